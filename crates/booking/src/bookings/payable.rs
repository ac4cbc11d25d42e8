//! What the payment core needs of a booking: its money and hold, where its
//! rows are, and whether a late payment can still keep its slot.

use super::BookingView;
use crate::notify::News;
use crate::payments::{Held, Payable, PayableKind};
use crate::stripe::Intent;
use slotwise_db::availability::AvailabilityWindow;
use slotwise_db::bookings::{Booking, BookingKey};
use slotwise_db::notify::announce;
use slotwise_db::professionals::{Professional, ProfessionalRef};
use slotwise_db::status::Status;
use slotwise_db::{AsyncPgConnection, QueryResult};
use std::collections::HashMap;
use uuid::Uuid;

impl Payable for Booking {
    type Key = BookingKey;
    type View = BookingView;
    const KIND: PayableKind = PayableKind::Booking;
    const ID_FIELD: &'static str = "booking_id";

    fn key(&self) -> BookingKey {
        Booking::key(self)
    }

    crate::delegate_payable_rows!(Booking, BookingKey);

    fn key_id(key: BookingKey) -> Uuid {
        key.id
    }

    fn scope(key: BookingKey) -> Uuid {
        key.professional_id
    }

    fn key_from(professional_id: Uuid, id: Uuid) -> BookingKey {
        BookingKey {
            professional_id,
            id,
        }
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
        }
    }

    /// The booking and its professional (the column it is distributed by),
    /// so a payment locks it by key on one shard.
    fn metadata(key: BookingKey) -> HashMap<String, String> {
        HashMap::from([
            ("kind".to_owned(), Self::KIND.as_str().to_owned()),
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

    async fn transition(
        conn: &mut AsyncPgConnection,
        key: BookingKey,
        from: &[Status],
        to: Status,
        reason: &str,
        source: &str,
    ) -> QueryResult<Option<Self>> {
        let moved = Booking::transition_from(conn, key, from, to, reason, source).await?;
        if moved.is_some()
            && let Some(news) = News::on(to)
        {
            Self::announce(conn, key, news, None).await?;
        }
        Ok(moved.map(|(_, booking)| booking))
    }

    async fn announce(
        conn: &mut AsyncPgConnection,
        key: BookingKey,
        news: News,
        amount: Option<i64>,
    ) -> QueryResult<()> {
        let topic = news.booking_topic();
        announce::booking(conn, topic, key.id, key.professional_id, amount).await
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
        // Its own buffer counts too: the constraint compares blocked periods.
        let blocked_end = Booking::blocked_until(conn, self.key())
            .await?
            .unwrap_or(end);
        if Booking::slot_taken(conn, pro, start, blocked_end).await? {
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
        BookingView::load(conn, self, slug).await
    }
}
