//! What the payment core needs of a booking: its money and hold, where its
//! rows are, and whether a late payment can still keep its slot.

use super::BookingView;
use crate::payments::{Held, Payable};
use crate::stripe::Intent;
use chrono::{DateTime, Utc};
use slotwise_db::availability::AvailabilityWindow;
use slotwise_db::bookings::{Booking, BookingKey};
use slotwise_db::professionals::{Professional, ProfessionalRef};
use slotwise_db::status::Status;
use slotwise_db::{AsyncPgConnection, QueryResult};
use std::collections::HashMap;
use uuid::Uuid;

impl Payable for Booking {
    type Key = BookingKey;
    type View = BookingView;
    const KIND: &'static str = "booking";
    const ID_FIELD: &'static str = "booking_id";

    fn key(&self) -> BookingKey {
        Booking::key(self)
    }

    fn key_id(key: BookingKey) -> Uuid {
        key.id
    }

    fn held(&self) -> Held<'_> {
        Held {
            id: self.id,
            status: self.status,
            amount: self.price_cents,
            currency: &self.currency,
            expires_at: self.expires_at,
            intent_id: self.payment_intent_id.as_deref(),
            payment_status: self.payment_status.as_deref(),
            payment_error: self.payment_error.as_deref(),
            refund_id: self.refund_id.as_deref(),
            refund_amount: self.refund_amount_cents,
            refund_reason: self.refund_reason.as_deref(),
            refund_requested: self.refund_requested_at.is_some(),
        }
    }

    /// The booking and its professional (the column it is distributed by),
    /// so a payment locks it by key on one shard.
    fn metadata(key: BookingKey) -> HashMap<String, String> {
        HashMap::from([
            ("kind".to_owned(), Self::KIND.to_owned()),
            (Self::ID_FIELD.to_owned(), key.id.to_string()),
            (
                "professional_id".to_owned(),
                key.professional_id.to_string(),
            ),
        ])
    }

    fn key_in(intent: &Intent) -> Option<BookingKey> {
        Some(BookingKey {
            professional_id: intent.id_in("professional_id")?,
            id: intent.id_in(Self::ID_FIELD)?,
        })
    }

    async fn get(conn: &mut AsyncPgConnection, key: BookingKey) -> QueryResult<Option<Self>> {
        Booking::get(conn, key).await
    }

    async fn lock(conn: &mut AsyncPgConnection, key: BookingKey) -> QueryResult<Option<Self>> {
        Booking::lock(conn, key).await
    }

    async fn locate(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<BookingKey>> {
        Booking::locate(conn, id).await
    }

    async fn find_by_intent(
        conn: &mut AsyncPgConnection,
        intent: &str,
    ) -> QueryResult<Option<Self>> {
        Booking::find_by_intent(conn, intent).await
    }

    async fn attach_intent(
        conn: &mut AsyncPgConnection,
        key: BookingKey,
        intent: &Intent,
    ) -> QueryResult<Option<Self>> {
        Booking::attach_intent(conn, key, &intent.id, &intent.client_secret, &intent.status).await
    }

    async fn record_payment(
        conn: &mut AsyncPgConnection,
        key: BookingKey,
        status: &str,
        error: Option<&str>,
    ) -> QueryResult<()> {
        Booking::record_payment(conn, key, status, error).await
    }

    async fn transition(
        conn: &mut AsyncPgConnection,
        key: BookingKey,
        from: &[Status],
        to: Status,
        reason: &str,
        source: &str,
    ) -> QueryResult<Option<Self>> {
        Booking::transition(conn, key, from, to, reason, source).await
    }

    async fn request_refund(
        conn: &mut AsyncPgConnection,
        key: BookingKey,
        amount: i64,
        reason: &str,
    ) -> QueryResult<()> {
        Booking::request_refund(conn, key, amount, reason).await
    }

    async fn record_refund(
        conn: &mut AsyncPgConnection,
        key: BookingKey,
        refund_id: &str,
        amount: i64,
        reason: &str,
    ) -> QueryResult<bool> {
        Booking::record_refund(conn, key, refund_id, amount, reason).await
    }

    /// Kept if its window is still there and nobody took the slot. The
    /// window's lock queues this behind any booker of the window, as in
    /// booking creation.
    async fn lost_while_unpaid(
        &self,
        conn: &mut AsyncPgConnection,
    ) -> QueryResult<Option<(&'static str, &'static str)>> {
        let (pro, start, end) = (self.professional_id, self.start_time, self.end_time);
        if AvailabilityWindow::lock_containing(conn, pro, start, end)
            .await?
            .is_none()
        {
            return Ok(Some((
                "paid after the window was removed",
                "window_removed_after_hold_expired",
            )));
        }
        if Booking::slot_taken(conn, pro, start, end).await? {
            return Ok(Some((
                "paid after the slot was taken",
                "slot_taken_after_hold_expired",
            )));
        }
        Ok(None)
    }

    async fn view(self, conn: &mut AsyncPgConnection) -> QueryResult<BookingView> {
        let slug = Professional::find(conn, &ProfessionalRef::Id(self.professional_id))
            .await?
            .map(|p| p.slug)
            .unwrap_or_default();
        Ok(BookingView::new(self, slug))
    }

    async fn lock_expired_holds(
        conn: &mut AsyncPgConnection,
        limit: i64,
    ) -> QueryResult<Vec<Self>> {
        Booking::lock_expired_holds(conn, limit).await
    }

    async fn lock_unsettled(
        conn: &mut AsyncPgConnection,
        before: DateTime<Utc>,
        limit: i64,
    ) -> QueryResult<Vec<Self>> {
        Booking::lock_unsettled(conn, before, limit).await
    }

    async fn touch(conn: &mut AsyncPgConnection, key: BookingKey) -> QueryResult<()> {
        Booking::touch(conn, key).await
    }

    async fn claim_refunds_due(
        conn: &mut AsyncPgConnection,
        before: DateTime<Utc>,
        limit: i64,
    ) -> QueryResult<Vec<BookingKey>> {
        Booking::claim_refunds_due(conn, before, limit).await
    }
}
