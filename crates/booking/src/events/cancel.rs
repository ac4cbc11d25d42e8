//! Cancelling an event: in one transaction the event is marked cancelled,
//! every pending order cancelled (its hold released) and every confirmed one
//! cancelled with its refund owed (`payments::cancel`, as a booking is). The
//! refunds are then made by the refund job (or at once, best effort): none
//! twice (the refund lease and the `refund_id IS NULL` guard), none lost if
//! the process dies (they are rows).

use super::EventError;
use super::EventView;
use crate::AppState;
use crate::payments::cancel::{Cancelled, cancel};
use slotwise_db::events::{CANCELLED, Event};
use slotwise_db::listings::{Listing, Payout};
use slotwise_db::notify::announce;
use slotwise_db::orders::Order;
use slotwise_db::{AsyncPgConnection, DbError, read_committed};
use uuid::Uuid;

/// What a cancellation left to do outside its transaction.
struct EventCancelled {
    view: EventView,
    orders: Vec<Cancelled<Order>>,
}

/// `POST /events/{id}/cancel` by its organizer; cancelling again answers it again.
pub async fn cancel_event(
    state: &AppState,
    event_id: Uuid,
    organizer: Uuid,
) -> Result<EventView, EventError> {
    let source = format!("user:{organizer}");
    let source = source.as_str();
    let mut conn = state.pool.get().await?;
    let done = read_committed!(conn, async |conn: &mut AsyncPgConnection| {
        let event = Event::lock(conn, event_id)
            .await?
            .ok_or(DbError::NotFound)?;
        let mut done = EventCancelled {
            view: EventView::load(conn, event.clone()).await?,
            orders: Vec::new(),
        };
        if event.status == CANCELLED {
            return Ok::<_, DbError>(done);
        }
        Event::cancel(conn, event_id).await?;
        announce::event_cancelled(conn, event_id).await?;
        // Resales are refunded to their buyers below; their sellers get their
        // own orders refunded instead of a payout.
        Payout::cancel_for_event(conn, event_id).await?;
        for order in Order::active_of_event(conn, event_id).await? {
            // Cancelled the one way every payable is: a paid one owed back
            // what its ticket refunds have not given back already.
            let why = "event cancelled by its organizer";
            let share = order.total_cents;
            let cancelled = cancel(conn, &order, share, why, "event_cancelled", source);
            done.orders.extend(cancelled.await?);
        }
        // Nothing of a cancelled event stays for sale, nor anyone in line.
        Listing::withdraw_for_event(conn, event_id).await?;
        crate::waitlist::close_line(conn, event_id, true).await?;
        let event = Event::lock(conn, event_id)
            .await?
            .ok_or(DbError::NotFound)?;
        done.view = EventView::load(conn, event).await?;
        Ok(done)
    })?;
    drop(conn);
    state
        .faults
        .crash_point(crate::faults::CrashPoint::AfterEventCancelled)?;
    let state = state.clone();
    let orders = done.orders;
    // Best effort now; reconciliation and the refund job finish what this misses.
    tokio::spawn(async move {
        for cancelled in &orders {
            crate::payments::cancel::after_cancel(&state, cancelled).await;
        }
    });
    Ok(done.view)
}
