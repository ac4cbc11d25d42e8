//! The payment/hold core: anything paid for through one PaymentIntent and held
//! until paid (a [`Payable`]: a booking today, a ticket or resale order next)
//! goes through the same machinery, written once:
//! - `first_phase`: an idempotent create's key and decision in one transaction;
//! - `phases`: phases 2 and 3 of an idempotent create (make or find the
//!   intent, store it with the answer on the key);
//! - `intents`: Stripe's word on an intent (webhook or reconciliation)
//!   applied to the status machine, checked against what the payable recorded;
//! - `refunds`: every refund, owed as a row and made at Stripe exactly once;
//! - `cancel`: cancelling any payable (its intent released, its refund owed);
//! - `webhook`: Stripe's events in; `crate::stripe` is the wire.
//!
//! A kind of order implements [`Payable`] (bookings, ticket orders) and names
//! its `KIND` in its intents' metadata (`kind`); `webhook::receive_stripe_event`
//! routes Stripe's news by it, an intent without `kind` being a booking's
//! (intents made before the field existed). docs/ARCHITECTURE.md has the steps.

pub mod cancel;
pub mod first_phase;
pub mod intents;
pub mod phases;
pub mod refunds;
pub mod views;
pub mod webhook;

use crate::stripe::Intent;
use chrono::{DateTime, Utc};
use slotwise_db::refunds::RefundKey;
use slotwise_db::status::Status;
use slotwise_db::{AsyncPgConnection, QueryResult};
use std::collections::HashMap;
use std::future::Future;
use uuid::Uuid;

/// The [`Payable`] methods that are the row queries `payable_rows!` stamps on
/// every payable's table (`slotwise_db::payable_rows`), written once.
#[macro_export]
macro_rules! delegate_payable_rows {
    ($ty:ident, $key:ident) => {
        async fn get(
            conn: &mut slotwise_db::AsyncPgConnection,
            key: $key,
        ) -> slotwise_db::QueryResult<Option<Self>> {
            $ty::get(conn, key).await
        }

        async fn lock(
            conn: &mut slotwise_db::AsyncPgConnection,
            key: $key,
        ) -> slotwise_db::QueryResult<Option<Self>> {
            $ty::lock(conn, key).await
        }

        async fn locate(
            conn: &mut slotwise_db::AsyncPgConnection,
            id: uuid::Uuid,
        ) -> slotwise_db::QueryResult<Option<$key>> {
            $ty::locate(conn, id).await
        }

        async fn find_by_intent(
            conn: &mut slotwise_db::AsyncPgConnection,
            intent: &str,
        ) -> slotwise_db::QueryResult<Option<Self>> {
            $ty::find_by_intent(conn, intent).await
        }

        async fn attach_intent(
            conn: &mut slotwise_db::AsyncPgConnection,
            key: $key,
            intent: &$crate::stripe::Intent,
        ) -> slotwise_db::QueryResult<Option<Self>> {
            $ty::attach_intent(conn, key, &intent.id, &intent.client_secret, &intent.status).await
        }

        async fn record_payment(
            conn: &mut slotwise_db::AsyncPgConnection,
            key: $key,
            status: &str,
            error: Option<&str>,
        ) -> slotwise_db::QueryResult<()> {
            $ty::record_payment(conn, key, status, error).await
        }

        async fn lock_expired_holds(
            conn: &mut slotwise_db::AsyncPgConnection,
            limit: i64,
        ) -> slotwise_db::QueryResult<Vec<Self>> {
            $ty::lock_expired_holds(conn, limit).await
        }

        async fn lock_unsettled(
            conn: &mut slotwise_db::AsyncPgConnection,
            before: chrono::DateTime<chrono::Utc>,
            limit: i64,
        ) -> slotwise_db::QueryResult<Vec<Self>> {
            $ty::lock_unsettled(conn, before, limit).await
        }

        async fn touch(
            conn: &mut slotwise_db::AsyncPgConnection,
            key: $key,
        ) -> slotwise_db::QueryResult<()> {
            $ty::touch(conn, key).await
        }
    };
}

pub use slotwise_db::status::PayableKind;

/// Runs `$body` with `$P` the [`Payable`] type of `$kind`: the one place a
/// kind of payable (from an intent's metadata or an idempotency key) becomes
/// its type.
#[macro_export]
macro_rules! with_payable {
    ($kind:expr, $P:ident => $body:expr) => {
        match $kind {
            $crate::payments::PayableKind::Booking => {
                type $P = slotwise_db::bookings::Booking;
                $body
            }
            $crate::payments::PayableKind::Order => {
                type $P = slotwise_db::orders::Order;
                $body
            }
        }
    };
}

/// What the core reads of a payable's money and hold.
#[derive(Debug, Clone, Copy)]
pub struct Held<'a> {
    pub id: Uuid,
    pub status: Status,
    pub amount: i64,
    pub currency: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
    pub intent_id: Option<&'a str>,
    /// The intent's last known status, `unknown` when its creation timed out.
    pub payment_status: Option<&'a str>,
    pub payment_error: Option<&'a str>,
}

/// Something held and paid for through one PaymentIntent. Every method runs in
/// the caller's transaction (or on its connection); the core decides, the
/// payable stores.
pub trait Payable: Sized + Send + Sync + 'static {
    /// How one is addressed; every statement names it (docs/SCALING.md).
    type Key: Copy + Send + Sync + std::fmt::Debug + PartialEq + Eq + 'static;
    /// What a create request answers once paid for (or not).
    type View: poem_openapi::types::ToJSON + Send;

    /// `kind` in intent metadata and on the idempotency key, and the prefix
    /// of our Stripe idempotency keys.
    const KIND: PayableKind;
    /// The metadata field holding its id.
    const ID_FIELD: &'static str;

    fn key(&self) -> Self::Key;
    fn key_id(key: Self::Key) -> Uuid;
    /// Its distribution column (a booking's professional, an order's event),
    /// which its refunds are stored under.
    fn scope(key: Self::Key) -> Uuid;
    fn key_from(scope: Uuid, id: Uuid) -> Self::Key;
    fn held(&self) -> Held<'_>;
    /// What its intents carry, so news of them finds it.
    fn metadata(key: Self::Key) -> HashMap<String, String>;
    /// The payable an intent's metadata names, if it names one fully.
    fn key_in(intent: &Intent) -> Option<Self::Key>;

    fn get(
        conn: &mut AsyncPgConnection,
        key: Self::Key,
    ) -> impl Future<Output = QueryResult<Option<Self>>> + Send;
    /// Locked until the end of the caller's transaction.
    fn lock(
        conn: &mut AsyncPgConnection,
        key: Self::Key,
    ) -> impl Future<Output = QueryResult<Option<Self>>> + Send;
    /// The key of the one with this id (may ask every shard).
    fn locate(
        conn: &mut AsyncPgConnection,
        id: Uuid,
    ) -> impl Future<Output = QueryResult<Option<Self::Key>>> + Send;
    fn find_by_intent(
        conn: &mut AsyncPgConnection,
        intent: &str,
    ) -> impl Future<Output = QueryResult<Option<Self>>> + Send;
    /// Stores its intent unless another is attached; `None` then.
    fn attach_intent(
        conn: &mut AsyncPgConnection,
        key: Self::Key,
        intent: &Intent,
    ) -> impl Future<Output = QueryResult<Option<Self>>> + Send;
    fn record_payment(
        conn: &mut AsyncPgConnection,
        key: Self::Key,
        status: &str,
        error: Option<&str>,
    ) -> impl Future<Output = QueryResult<()>> + Send;
    /// Moves from one of `from` to `to`, recording why; `None` when not in `from`.
    fn transition(
        conn: &mut AsyncPgConnection,
        key: Self::Key,
        from: &[Status],
        to: Status,
        reason: &str,
        source: &str,
    ) -> impl Future<Output = QueryResult<Option<Self>>> + Send;
    /// Writes the outbox row of `news` about it, in the caller's transaction
    /// (`amount`: the money it is about, a refund's).
    fn announce(
        conn: &mut AsyncPgConnection,
        key: Self::Key,
        news: crate::notify::News,
        amount: Option<i64>,
    ) -> impl Future<Output = QueryResult<()>> + Send;
    /// Paid while still holding: why it cannot be kept after all (what it
    /// holds was taken from it meanwhile), or `None`. Takes its locks.
    fn lost_while_pending(
        &self,
        conn: &mut AsyncPgConnection,
    ) -> impl Future<Output = QueryResult<Option<(&'static str, &'static str)>>> + Send {
        let _ = conn;
        async { Ok(None) }
    }
    /// Paid after its hold ran out: why it cannot be kept now (a reason for the
    /// record and one for the refund), or `None` to confirm it after all.
    /// Takes whatever locks the kind's inventory needs.
    fn lost_while_unpaid(
        &self,
        conn: &mut AsyncPgConnection,
    ) -> impl Future<Output = QueryResult<Option<(&'static str, &'static str)>>> + Send;
    /// The answer a create request stores.
    fn view(
        self,
        conn: &mut AsyncPgConnection,
    ) -> impl Future<Output = QueryResult<Self::View>> + Send;

    /// Pending ones whose hold ran out, locked `SKIP LOCKED` for this worker.
    fn lock_expired_holds(
        conn: &mut AsyncPgConnection,
        limit: i64,
    ) -> impl Future<Output = QueryResult<Vec<Self>>> + Send;
    /// Ones Stripe should be asked about, untouched since `before`, locked for this worker.
    fn lock_unsettled(
        conn: &mut AsyncPgConnection,
        before: DateTime<Utc>,
        limit: i64,
    ) -> impl Future<Output = QueryResult<Vec<Self>>> + Send;
    /// Marks one as looked at, so a reconciler moves on.
    fn touch(
        conn: &mut AsyncPgConnection,
        key: Self::Key,
    ) -> impl Future<Output = QueryResult<()>> + Send;
}

/// What applying Stripe's view of a PaymentIntent did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied<K> {
    UnknownPayable,
    Confirmed,
    /// A confirmed one was refunded in Stripe (`charge.refunded`).
    Refunded,
    Unchanged,
    /// The intent charged another amount or currency than the payable's price:
    /// never applied. A succeeded one failed the payable and owes a refund.
    Mismatch {
        field: &'static str,
        intent: String,
        refund: Option<RefundKey>,
    },
    FailureRecorded,
    Released,
    /// The money must go back: a refund of it is now owed.
    RefundDue(K, RefundKey),
    /// A second intent of one that already has one was paid: refund it.
    StrayPaid {
        intent: String,
        amount: i64,
    },
}

impl<K> Applied<K> {
    pub fn label(&self) -> &'static str {
        match self {
            // The stored label predates other kinds; kept so stored outcomes read alike.
            Applied::UnknownPayable => "unknown_booking",
            Applied::Confirmed => "confirmed",
            Applied::Refunded => "refunded",
            Applied::Unchanged => "unchanged",
            Applied::Mismatch { .. } => "payment_mismatch",
            Applied::FailureRecorded => "failure_recorded",
            Applied::Released => "released",
            Applied::RefundDue(..) => "refund_due",
            Applied::StrayPaid { .. } => "stray_intent_refund",
        }
    }
}
