//! Resale (seeds 001/002): a holder lists a ticket; a buyer's order of kind
//! `resale`, on the same payment core as any order, freezes the price of that
//! moment and locks the listing (`locked_by`) for its hold, so nobody else can
//! buy it and the seller cannot reprice or withdraw it meanwhile. Paid, the
//! ticket moves to the buyer with a new code and the seller is owed a payout;
//! expired or failed, the listing unlocks. Every step happens in the
//! transaction that changes the order (`on_transition`).

use super::error::ResaleError;
use super::{OrderView, TicketView};
use crate::AppState;
use crate::custody::{self, Action, Holder, MoveKind, TicketStatus};
use crate::events::input::MAX_PRICE_CENTS;
use crate::failure::Failure;
use crate::idempotency::{Answer, Caller, IdempotencyKey, IdempotentRequest};
use crate::payments::first_phase::{Decided, Decision, TxError};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use poem_openapi::Object;
use slotwise_db::events::{Event, PUBLISHED};
use slotwise_db::listings::{ACTIVE, Listing, Payout, SOLD, WITHDRAWN};
use slotwise_db::notify::announce;
use slotwise_db::orders::tickets::Ticket;
use slotwise_db::orders::tickets::lock_ticket;
use slotwise_db::orders::{NewOrder, Order, OrderItem, OrderKey, OrderKind};
use slotwise_db::status::Status;
use slotwise_db::{AsyncPgConnection, DbError, QueryResult};
use slotwise_web::ApiError;
use uuid::Uuid;

pub const PATH: &str = "/listings/{id}/orders";

#[derive(Debug, Clone, Object)]
pub struct ListingView {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub event_id: Uuid,
    pub price_cents: i64,
    pub currency: String,
    /// `active`, `sold` or `withdrawn`.
    pub status: String,
    /// Send it back in `If-Match` to change the price.
    pub version: i64,
    /// Until when a buyer's unpaid order holds it (null when nobody does).
    #[oai(nullable)]
    pub locked_until: Option<DateTime<Utc>>,
}

impl From<Listing> for ListingView {
    fn from(l: Listing) -> Self {
        Self {
            id: l.id,
            ticket_id: l.ticket_id,
            event_id: l.event_id,
            price_cents: l.price_cents,
            currency: l.currency,
            status: l.status,
            version: l.version,
            locked_until: l.locked_by.and(l.locked_until),
        }
    }
}

/// The most a ticket may be listed for: its event's share of its face value
/// when the event sets one, else what any ticket may cost.
fn price_cap(event: &Event, face_cents: i64) -> i64 {
    match event.resale_max_percent_of_face {
        Some(percent) => face_cents.saturating_mul(i64::from(percent)) / 100,
        None => MAX_PRICE_CENTS,
    }
}

fn over_cap(event: &Event, price_cents: i64, cap: i64) -> Result<(), ResaleError> {
    if price_cents <= cap {
        return Ok(());
    }
    Err(ResaleError::OverCap {
        cap,
        percent: event.resale_max_percent_of_face,
    })
}

/// A listing's price: at least 1 cent, at most what a ticket may cost.
fn check_price(price_cents: i64) -> Result<(), ResaleError> {
    if (1..=MAX_PRICE_CENTS).contains(&price_cents) {
        return Ok(());
    }
    Err(ResaleError::PriceOutOfRange(MAX_PRICE_CENTS))
}

/// What a resale's status change does: paid, the ticket moves to the buyer
/// (a new code) and the seller is owed a payout; released unpaid, the
/// listing unlocks.
pub async fn on_transition(
    conn: &mut AsyncPgConnection,
    order: &Order,
    from: Status,
    source: &str,
) -> QueryResult<()> {
    let Some(listing_id) = order.listing_id else {
        return Ok(());
    };
    let Some(listing) = Listing::lock(conn, order.event_id, listing_id).await? else {
        return Ok(());
    };
    let released = [Status::Expired, Status::Cancelled, Status::Failed];
    match (from, order.status) {
        (_, Status::Confirmed) => {
            let ticket = lock_ticket(conn, order.event_id, listing.ticket_id)
                .await?
                .ok_or(DbError::NotFound)?;
            let buyer = Holder::Account(order.buyer_id);
            custody::hand_over(conn, &ticket, buyer, MoveKind::Resale, source).await?;
            Listing::set_state(conn, order.event_id, listing.id, SOLD, Some(order.id), None)
                .await?;
            let amount = order.payout_cents.unwrap_or(order.total_cents);
            let payout = Payout {
                id: Uuid::now_v7(),
                event_id: order.event_id,
                listing_id: listing.id,
                order_id: order.id,
                seller_id: listing.seller_id,
                amount_cents: amount,
                fee_cents: order.total_cents - amount,
                currency: order.currency.clone(),
                status: "owed".to_owned(),
                created_at: Utc::now(),
            };
            Payout::insert(conn, &payout).await?;
            announce::listing_sold(conn, order.event_id, listing.id).await?;
        }
        (Status::Confirmed, Status::Refunded | Status::Cancelled)
            if listing.status == SOLD && listing.locked_by == Some(order.id) =>
        {
            undo_sale(conn, order, &listing, source).await?;
        }
        (Status::Pending, to) if released.contains(&to) && listing.locked_by == Some(order.id) => {
            Listing::set_state(
                conn,
                order.event_id,
                listing.id,
                &listing.status,
                None,
                None,
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}

/// A sold resale refunded whole (from Stripe's dashboard, or its event
/// cancelled): the seller's payout is no longer owed, and a ticket still
/// valid with the buyer goes back to the seller with a new code (its new
/// listing, if any, withdrawn). A ticket the buyer passed on, or is reselling
/// to someone paying right now, stays where it is (the payout is still
/// cancelled).
async fn undo_sale(
    conn: &mut AsyncPgConnection,
    order: &Order,
    listing: &Listing,
    source: &str,
) -> QueryResult<()> {
    let event_id = order.event_id;
    Payout::cancel_for_listing(conn, event_id, listing.id).await?;
    let Some(ticket) = lock_ticket(conn, event_id, listing.ticket_id).await? else {
        return Ok(());
    };
    if ticket.status != TicketStatus::Valid || ticket.holder_id != Some(order.buyer_id) {
        return Ok(());
    }
    if let Some(relisted) = Listing::active_for_ticket(conn, event_id, ticket.id).await? {
        if relisted.locked_by.is_some() {
            // Someone is paying for it right now: it stays the buyer's to sell.
            return Ok(());
        }
        let relisted = Listing::lock(conn, event_id, relisted.id).await?;
        if let Some(relisted) = relisted.filter(|l| l.locked_by.is_none()) {
            Listing::set_state(conn, event_id, relisted.id, WITHDRAWN, None, None).await?;
        } else {
            return Ok(());
        }
    }
    let seller = Holder::Account(listing.seller_id);
    custody::hand_over(conn, &ticket, seller, MoveKind::ResaleUndone, source).await?;
    Ok(())
}

/// Whether a pending resale can still be delivered: its listing active and
/// held by it, its ticket the seller's valid one (locked, in that order).
pub async fn still_deliverable(conn: &mut AsyncPgConnection, order: &Order) -> QueryResult<bool> {
    let Some(listing_id) = order.listing_id else {
        return Ok(false);
    };
    let Some(listing) = Listing::lock(conn, order.event_id, listing_id).await? else {
        return Ok(false);
    };
    if listing.status != ACTIVE || listing.locked_by != Some(order.id) {
        return Ok(false);
    }
    let ticket = lock_ticket(conn, order.event_id, listing.ticket_id).await?;
    Ok(ticket.is_some_and(|t| custody::sellable(&t, listing.seller_id)))
}

/// A resale paid after its hold ran out is kept if the listing is still for
/// sale, unlocked, at the same price, and its ticket still the seller's: it
/// is locked again.
pub async fn hold_again(conn: &mut AsyncPgConnection, order: &Order) -> QueryResult<bool> {
    let Some(listing_id) = order.listing_id else {
        return Ok(false);
    };
    let Some(listing) = Listing::lock(conn, order.event_id, listing_id).await? else {
        return Ok(false);
    };
    // Still for sale, unlocked, and at the price this order froze: a seller who
    // repriced after the hold ran out is not held to the old price.
    let free = listing.status == ACTIVE
        && listing.locked_by.is_none()
        && listing.price_cents == order.total_cents;
    let ticket = lock_ticket(conn, order.event_id, listing.ticket_id).await?;
    let still_sellers = ticket.is_some_and(|t| custody::sellable(&t, listing.seller_id));
    if !(free && still_sellers) {
        return Ok(false);
    }
    Listing::set_state(
        conn,
        order.event_id,
        listing.id,
        ACTIVE,
        Some(order.id),
        order.expires_at,
    )
    .await?;
    Ok(true)
}

struct Buy<'a> {
    buyer: Uuid,
    ip: &'a str,
    listing: Uuid,
    event_id: Uuid,
    hold: Duration,
    fee_percent: i64,
    payment_method: Option<&'a str>,
    max_unpaid: i64,
}

impl Decision for Buy<'_> {
    type Payable = Order;
    type Refusal = ResaleError;
    type Before = ();
    const SERIALIZABLE: bool = false;

    /// A resale counts toward the buyer's unpaid holds like any order, so one
    /// account cannot lock a whole resale market.
    async fn before(&self, conn: &AsyncPgConnection) -> Result<(), TxError<ResaleError>> {
        let held = Order::count_unpaid(conn, self.buyer).await?;
        if held >= self.max_unpaid {
            let cap = self.max_unpaid;
            let refused = super::error::OrderError::TooManyUnpaidHolds { held, cap };
            return Err(TxError::Refused(ResaleError::Order(refused)));
        }
        Ok(())
    }

    async fn decide(
        &self,
        conn: &mut AsyncPgConnection,
        _before: &(),
        source: &str,
    ) -> Result<Decided<OrderView, ResaleError>, TxError<ResaleError>> {
        slotwise_db::events::stock::short_lock_timeout(conn).await?;
        let refused = |e: ResaleError| Decided {
            result: Err(e),
            payable_id: None,
            awaits_payment: false,
        };
        let Some(listing) = Listing::lock(conn, self.event_id, self.listing).await? else {
            return Ok(refused(ResaleError::ListingNotFound));
        };
        if listing.seller_id == self.buyer {
            return Ok(refused(ResaleError::OwnListing));
        }
        if listing.status != ACTIVE {
            return Ok(refused(ResaleError::Unavailable));
        }
        // Only while the event takes place and has not started.
        let event = Event::key_share(conn, self.event_id).await?;
        if event.is_none_or(|e| e.status != PUBLISHED || e.starts_at <= Utc::now()) {
            return Ok(refused(ResaleError::NotAllowed));
        }
        if listing.locked_by.is_some() {
            return Ok(refused(ResaleError::Locked));
        }
        let ticket = lock_ticket(conn, self.event_id, listing.ticket_id)
            .await?
            .ok_or(DbError::NotFound)?;
        if !custody::sellable(&ticket, listing.seller_id) {
            return Ok(refused(ResaleError::Unavailable));
        }
        // The price of this moment is the order's: a later reprice cannot change it.
        let price = listing.price_cents;
        let fee = price * self.fee_percent.clamp(0, 100) / 100;
        let now = Utc::now().trunc_subsecs(6);
        let expires_at = now + self.hold;
        let new = NewOrder {
            voucher_id: None,
            discount_cents: 0,
            voucher_held: false,
            id: Uuid::now_v7(),
            event_id: self.event_id,
            buyer_id: self.buyer,
            total_cents: price,
            currency: listing.currency.clone(),
            status: Status::Pending,
            expires_at: Some(expires_at),
            created_at: now,
            updated_at: now,
            client_ip: Some(self.ip.to_owned()),
            kind: OrderKind::Resale,
            listing_id: Some(listing.id),
            payout_cents: Some(price - fee),
        };
        let item = OrderItem {
            id: 0,
            order_id: new.id,
            event_id: self.event_id,
            tier_id: ticket.tier_id,
            bucket: ticket.tier_id.map(|_| ticket.bucket.unwrap_or(0)),
            seat_id: ticket.seat_id.filter(|_| ticket.tier_id.is_none()),
            quantity: 1,
            unit_price_cents: price,
        };
        let order = Order::insert(conn, &new, std::slice::from_ref(&item)).await?;
        Order::record_transition(
            conn,
            order.key(),
            None,
            Status::Pending,
            "resale ordered",
            source,
        )
        .await?;
        Listing::set_state(
            conn,
            self.event_id,
            listing.id,
            ACTIVE,
            Some(order.id),
            Some(expires_at),
        )
        .await?;
        let id = order.id;
        Ok(Decided {
            result: Ok(OrderView::from_parts(
                order,
                vec![item],
                &Default::default(),
                Vec::new(),
            )),
            payable_id: Some(id),
            awaits_payment: true,
        })
    }

    fn key_of(view: &OrderView) -> OrderKey {
        view.key()
    }

    fn payment_method(&self) -> Option<&str> {
        self.payment_method
    }
}

/// `POST /listings/{id}/orders`, exactly once per (caller, key).
pub async fn buy_listing(
    state: &AppState,
    caller: &Caller,
    key: &IdempotencyKey,
    listing: &Listing,
    payment_method: Option<&str>,
) -> Result<Answer<OrderView>, ApiError> {
    let buyer = (caller.user_id).ok_or(Failure::Broken("a resale needs a signed-in buyer"))?;
    let body = serde_json::json!({ "listing_id": listing.id, "payment_method": payment_method });
    let idempotent = IdempotentRequest::new(caller, key, "POST", PATH, body);
    let buy = Buy {
        buyer,
        ip: &caller.ip,
        listing: listing.id,
        event_id: listing.event_id,
        hold: state.config.hold,
        fee_percent: state.config.resale_fee_percent,
        payment_method,
        max_unpaid: state.config.max_unpaid_holds_per_user,
    };
    crate::payments::first_phase::create_idempotent(state, &idempotent, &buy).await
}

/// `POST /tickets/{id}/listing` by its holder: in one transaction with
/// the ticket locked (a gift, refund or revoke racing it waits), so a
/// listing is only ever made on a valid ticket its seller holds.
pub async fn list_ticket(
    state: &AppState,
    seller: Uuid,
    ticket: Ticket,
    price_cents: i64,
) -> Result<ListingView, ResaleError> {
    check_price(price_cents)?;
    let mut conn = state.pool.get().await?;
    let event = Event::find(
        &mut conn,
        &slotwise_db::events::EventRef::Id(ticket.event_id),
    )
    .await?
    .ok_or(ResaleError::EventNotFound)?;
    if event.status != PUBLISHED || !event.resale_allowed || event.starts_at <= Utc::now() {
        return Err(ResaleError::NotAllowed);
    }
    let max_price_cents = price_cap(&event, ticket.price_cents);
    over_cap(&event, price_cents, max_price_cents)?;
    let (event_id, ticket_id, currency) = (ticket.event_id, ticket.id, event.currency);
    let listed = slotwise_db::read_committed!(conn, async |conn: &mut AsyncPgConnection| {
        // Key-share: an event being cancelled waits for the listing, or refuses it.
        let event = Event::key_share(conn, event_id).await?;
        if event.is_none_or(|e| e.status != PUBLISHED) {
            return Ok::<_, DbError>(Err(ResaleError::NotAllowed));
        }
        // Locked until the listing is stored: a gift or refund racing it waits.
        let _ticket =
            match custody::lock_for(conn, event_id, ticket_id, Some(seller), Action::List).await? {
                Ok(ticket) => ticket,
                Err(refused) => return Ok(Err(ResaleError::Custody(refused))),
            };
        let now = Utc::now().trunc_subsecs(6);
        let listing = Listing {
            id: Uuid::now_v7(),
            event_id,
            ticket_id,
            seller_id: seller,
            price_cents,
            currency: currency.clone(),
            status: ACTIVE.to_owned(),
            version: 1,
            locked_by: None,
            locked_until: None,
            created_at: now,
            updated_at: now,
            max_price_cents,
        };
        match Listing::insert(conn, &listing).await {
            Err(e) if slotwise_db::is_unique_violation(&e) => Ok(Err(ResaleError::TicketListed)),
            Err(e) => Err(e),
            Ok(()) => Ok(Ok(listing)),
        }
    })?;
    Ok(listed?.into())
}

/// The seller's listing, or 404 for anyone else's.
pub async fn own_listing(state: &AppState, seller: Uuid, id: Uuid) -> Result<Listing, ResaleError> {
    let mut conn = state.pool.get().await?;
    Listing::find(&mut conn, id)
        .await?
        .filter(|l| l.seller_id == seller)
        .ok_or(ResaleError::ListingNotFound)
}

/// A new price within the listing's cap (422; the database refuses more
/// too), unless the version is stale (412) or a buyer holds it (409).
pub async fn reprice(
    state: &AppState,
    listing: Listing,
    version: i64,
    price_cents: i64,
) -> Result<ListingView, ResaleError> {
    check_price(price_cents)?;
    if price_cents > listing.max_price_cents {
        let cap = listing.max_price_cents;
        return Err(ResaleError::OverCap { cap, percent: None });
    }
    let mut conn = state.pool.get().await?;
    if let Some(updated) = Listing::reprice(
        &mut conn,
        listing.event_id,
        listing.id,
        version,
        price_cents,
    )
    .await?
    {
        return Ok(updated.into());
    }
    let now = Listing::find(&mut conn, listing.id)
        .await?
        .ok_or(ResaleError::ListingNotFound)?;
    Err(if now.locked_by.is_some() {
        ResaleError::Locked
    } else if now.status != ACTIVE {
        ResaleError::Unavailable
    } else {
        ResaleError::StaleVersion(version)
    })
}

/// Withdraws a listing no buyer holds.
pub async fn withdraw(state: &AppState, listing: Listing) -> Result<ListingView, ResaleError> {
    let mut conn = state.pool.get().await?;
    let (event_id, id) = (listing.event_id, listing.id);
    let done = slotwise_db::read_committed!(conn, async |conn: &mut AsyncPgConnection| {
        let now = Listing::lock(conn, event_id, id)
            .await?
            .ok_or(DbError::NotFound)?;
        if now.locked_by.is_some() || now.status != ACTIVE {
            return Ok::<_, DbError>(Err(now));
        }
        Ok(Ok(Listing::set_state(
            conn, event_id, id, WITHDRAWN, None, None,
        )
        .await?))
    })?;
    match done {
        Ok(listing) => Ok(listing.into()),
        Err(now) if now.locked_by.is_some() => Err(ResaleError::Locked),
        Err(_) => Err(ResaleError::Unavailable),
    }
}

/// The ticket as its holder sees it, with its active listing.
pub async fn ticket_listing(
    state: &AppState,
    ticket: &TicketView,
) -> Result<Option<ListingView>, Failure> {
    let mut conn = state.pool.get().await?;
    Ok(
        Listing::active_for_ticket(&mut conn, ticket.event_id, ticket.id)
            .await?
            .map(Into::into),
    )
}
