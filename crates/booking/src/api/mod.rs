//! The booking service's HTTP API, one module per resource.

pub mod accounts;
pub mod availability;
pub mod bookings;
pub mod checkins;
pub mod events;
pub mod failures;
pub mod listings;
pub mod notifications;
pub mod orders;
pub mod professional_input;
pub mod professionals;
pub mod schedules;
pub mod vouchers;
pub mod waitlist;
pub mod webhooks;

use poem_openapi::Tags;

#[derive(Tags)]
pub enum ApiTags {
    /// Sign-up, sign-in, sessions.
    Accounts,
    /// Professionals and their availability.
    Professionals,
    /// Idempotent bookings.
    Bookings,
    /// Events with ticket tiers or named seats.
    Events,
    /// Ticket orders and tickets.
    Orders,
    /// Stripe webhooks.
    Webhooks,
    /// Outbound webhook endpoints and delivery status.
    Notifications,
}

pub type Api = (
    accounts::AccountsApi,
    professionals::ProfessionalsApi,
    availability::AvailabilityApi,
    schedules::SchedulesApi,
    bookings::BookingsApi,
    events::EventsApi,
    checkins::CheckinsApi,
    vouchers::VouchersApi,
    waitlist::WaitlistApi,
    orders::OrdersApi,
    listings::ListingsApi,
    webhooks::WebhooksApi,
    notifications::NotificationsApi,
);

pub fn api() -> Api {
    (
        accounts::AccountsApi,
        professionals::ProfessionalsApi,
        availability::AvailabilityApi,
        schedules::SchedulesApi,
        bookings::BookingsApi,
        events::EventsApi,
        checkins::CheckinsApi,
        vouchers::VouchersApi,
        waitlist::WaitlistApi,
        orders::OrdersApi,
        listings::ListingsApi,
        webhooks::WebhooksApi,
        notifications::NotificationsApi,
    )
}
