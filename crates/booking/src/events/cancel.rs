//! Cancelling an event: in one transaction the event is marked cancelled,
//! every pending order cancelled (its hold released) and every confirmed one
//! cancelled with its refund owed. The refunds are then made by the refund
//! job (or at once, best effort): none twice (the refund lease and the
//! `refund_id IS NULL` guard), none lost if the process dies (they are rows).

use super::EventView;
use crate::AppState;
use crate::payments::Payable;
use slotwise_db::events::{CANCELLED, Event};
use slotwise_db::listings::{Listing, Payout};
use slotwise_db::notify::announce;
use slotwise_db::orders::refunds::TicketRefund;
use slotwise_db::orders::{Order, OrderKey};
use slotwise_db::status::Status;
use slotwise_db::{AsyncPgConnection, DbError, read_committed};
use slotwise_web::ApiError;
use uuid::Uuid;

/// What a cancellation left to do outside its transaction.
struct Cancelled {
    view: EventView,
    intents: Vec<(OrderKey, String)>,
    refunds: Vec<OrderKey>,
}

impl AppState {
    /// `POST /events/{id}/cancel` by its organizer; cancelling again answers it again.
    pub async fn cancel_event(
        &self,
        event_id: Uuid,
        organizer: Uuid,
    ) -> Result<EventView, ApiError> {
        let source = format!("user:{organizer}");
        let source = source.as_str();
        let mut conn = self.pool.get().await?;
        let done = read_committed!(conn, async |conn: &mut AsyncPgConnection| {
            let event = Event::lock(conn, event_id)
                .await?
                .ok_or(DbError::NotFound)?;
            let mut done = Cancelled {
                view: EventView::load(conn, event.clone()).await?,
                intents: Vec::new(),
                refunds: Vec::new(),
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
                let key = order.key();
                let reason = "event cancelled by its organizer";
                let from = [order.status];
                <Order as Payable>::transition(conn, key, &from, Status::Cancelled, reason, source)
                    .await?;
                let paid = order.payment_status.as_deref() == Some("succeeded");
                // What its ticket refunds gave back already is not given twice.
                let refunded =
                    TicketRefund::total_for_order(conn, key.event_id, key.id, false).await?;
                let owed = order.total_cents - refunded;
                if order.status == Status::Confirmed && owed > 0 && paid {
                    Order::request_refund(conn, key, owed, "event_cancelled").await?;
                    done.refunds.push(key);
                } else if let Some(intent) = order.payment_intent_id {
                    done.intents.push((key, intent));
                }
            }
            // Nothing of a cancelled event stays for sale.
            Listing::withdraw_for_event(conn, event_id).await?;
            let event = Event::lock(conn, event_id)
                .await?
                .ok_or(DbError::NotFound)?;
            done.view = EventView::load(conn, event).await?;
            Ok(done)
        })?;
        drop(conn);
        self.faults
            .crash_point(crate::faults::CrashPoint::AfterEventCancelled)?;
        let state = self.clone();
        let (intents, refunds) = (done.intents, done.refunds);
        // Best effort now; reconciliation and the refund job finish what this misses.
        tokio::spawn(async move {
            for (key, intent) in intents {
                if let Ok(intent) = state.stripe.cancel_intent(&intent).await
                    && let Ok(mut conn) = state.pool.get().await
                {
                    let _ = Order::record_payment(&mut conn, key, &intent.status, None).await;
                }
            }
            for key in refunds {
                let _ = state.settle_refund::<Order>(key).await;
            }
        });
        Ok(done.view)
    }
}
