//! What the payment core needs of an order: its money and hold, where its
//! rows are, what a status change does to stock and tickets, and whether a
//! late payment can still have what the order held.

use super::OrderView;
use super::stock::{hold_again, on_transition};
use crate::notify::News;
use crate::payments::{Held, Payable, PayableKind};
use crate::stripe::Intent;
use slotwise_db::events::{Event, PUBLISHED};
use slotwise_db::notify::announce;
use slotwise_db::orders::{Order, OrderKey};
use slotwise_db::status::Status;
use slotwise_db::{AsyncPgConnection, QueryResult};
use std::collections::HashMap;
use uuid::Uuid;

impl Payable for Order {
    type Key = OrderKey;
    type View = OrderView;
    const KIND: PayableKind = PayableKind::Order;
    const ID_FIELD: &'static str = "order_id";

    fn key(&self) -> OrderKey {
        Order::key(self)
    }

    crate::delegate_payable_rows!(Order, OrderKey);

    fn key_id(key: OrderKey) -> Uuid {
        key.id
    }

    fn scope(key: OrderKey) -> Uuid {
        key.event_id
    }

    fn key_from(event_id: Uuid, id: Uuid) -> OrderKey {
        OrderKey { event_id, id }
    }

    fn held(&self) -> Held<'_> {
        Held {
            id: self.id,
            status: self.status,
            amount: self.total_cents,
            currency: &self.currency,
            expires_at: self.expires_at,
            intent_id: self.payment_intent_id.as_deref(),
            payment_status: self.payment_status.as_deref(),
            payment_error: self.payment_error.as_deref(),
        }
    }

    /// The order and its event (the column it is distributed by).
    fn metadata(key: OrderKey) -> HashMap<String, String> {
        HashMap::from([
            ("kind".to_owned(), Self::KIND.as_str().to_owned()),
            (Self::ID_FIELD.to_owned(), key.id.to_string()),
            ("event_id".to_owned(), key.event_id.to_string()),
        ])
    }

    fn key_in(intent: &Intent) -> Option<OrderKey> {
        Some(OrderKey {
            event_id: intent.id_in("event_id")?,
            id: intent.id_in(Self::ID_FIELD)?,
        })
    }

    /// The status change, and what it does to the event's stock and tickets.
    async fn transition(
        conn: &mut AsyncPgConnection,
        key: OrderKey,
        from: &[Status],
        to: Status,
        reason: &str,
        source: &str,
    ) -> QueryResult<Option<Self>> {
        let Some((before, order)) =
            Order::transition_from(conn, key, from, to, reason, source).await?
        else {
            return Ok(None);
        };
        on_transition(conn, &order, before, source).await?;
        if let Some(news) = News::on(to) {
            Self::announce(conn, key, news, None).await?;
        }
        Ok(Some(order))
    }

    async fn announce(
        conn: &mut AsyncPgConnection,
        key: OrderKey,
        news: News,
        amount: Option<i64>,
    ) -> QueryResult<()> {
        let topic = news.order_topic();
        announce::order(conn, topic, key.event_id, key.id, amount).await
    }

    /// A resale is delivered only while its listing is still held by it and
    /// its ticket still the seller's valid one (a refund or a revoke may have
    /// taken it meanwhile); a tickets order's stock stays held until it ends.
    async fn lost_while_pending(
        &self,
        conn: &mut AsyncPgConnection,
    ) -> QueryResult<Option<(&'static str, &'static str)>> {
        if self.kind != slotwise_db::orders::OrderKind::Resale {
            return Ok(None);
        }
        if super::resale::still_deliverable(conn, self).await? {
            Ok(None)
        } else {
            Ok(Some((
                "paid after its ticket was taken back",
                "ticket_no_longer_for_sale",
            )))
        }
    }

    /// Kept if its event still takes place and everything it held can be
    /// held again (the stock rows' CHECK and the seats' single order column
    /// decide, under their row locks).
    async fn lost_while_unpaid(
        &self,
        conn: &mut AsyncPgConnection,
    ) -> QueryResult<Option<(&'static str, &'static str)>> {
        let event = Event::key_share(conn, self.event_id).await?;
        if event.is_none_or(|e| e.status != PUBLISHED) {
            return Ok(Some((
                "paid after its event was cancelled",
                "event_cancelled",
            )));
        }
        let kept = if self.kind == slotwise_db::orders::OrderKind::Resale {
            super::resale::hold_again(conn, self).await?
        } else {
            hold_again(conn, self.key()).await?
        };
        if kept {
            Ok(None)
        } else {
            Ok(Some((
                "paid after its tickets were sold to others",
                "sold_out_after_hold_expired",
            )))
        }
    }

    async fn view(self, conn: &mut AsyncPgConnection) -> QueryResult<OrderView> {
        OrderView::load(conn, self).await
    }
}
