//! Booking service tests: a real PostgreSQL, a fresh database per test, real HTTP.

mod access;
mod accounts;
mod bookings;
mod cancellation;
mod comps;
mod concurrency;
mod event_bus;
mod event_helpers;
mod gifts;
mod hardening;
mod helpers;
mod idempotency;
mod metrics;
mod notifications;
mod notify_helpers;
mod openapi;
mod outbound_webhooks;
mod payments;
mod process;
mod professionals;
mod recovery;
mod resale;
mod ticket_refunds;
mod tickets;
mod tickets_races;
mod webhooks;
