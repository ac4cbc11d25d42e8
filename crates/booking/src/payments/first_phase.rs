//! Phase 1 of an idempotent create, for every kind of order: judge an earlier
//! request with the key, then in one transaction make the domain decision
//! and store the key with it (its answer when final, else the recovery point
//! `booking_created`), then hand a payable awaiting payment to phases 2 and 3.

use super::Payable;
use crate::AppState;
use crate::failure::Failure;
use crate::faults::CrashPoint;
use crate::idempotency::{Answer, IdempotentRequest, Prior, RecoveryPoint, key_in_use, stored};
use chrono::Utc;
use poem::http::StatusCode;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use slotwise_db::idempotency::IdempotencyRecord;
use slotwise_db::tx::RetryableError;
use slotwise_db::{AsyncPgConnection, DbError, read_committed, serializable};
use slotwise_web::ApiError;
use std::future::Future;
use uuid::Uuid;

/// Why a phase-1 transaction did not commit its decision; `R` is the
/// decision's refusal, in its module's terms.
pub enum TxError<R = std::convert::Infallible> {
    Db(DbError),
    /// Refused for now (sign-in needed, too many holds): rolled back and not
    /// stored on the key, so the same key works once the caller fixed it.
    Refused(R),
    /// Another request stored this key first: look again and replay.
    KeyTaken,
}

impl<R> From<DbError> for TxError<R> {
    fn from(e: DbError) -> Self {
        TxError::Db(e)
    }
}

impl<R> RetryableError for TxError<R> {
    fn is_retryable(&self) -> bool {
        matches!(self, TxError::Db(e) if e.is_retryable())
    }
}

/// What a create request decided: the answer (or the refusal, in the
/// decision's terms), and the payable it made.
pub struct Decided<V, R> {
    pub result: Result<V, R>,
    pub payable_id: Option<Uuid>,
    /// True when the payable waits for payment (phases 2 and 3 follow).
    pub awaits_payment: bool,
}

/// An outcome `/metrics` counts (`created`, `sold_out`, ...). A type of its
/// own, without lifetimes: the transaction's closure returns it, and an
/// `&'static str` there gets a lifetime of the closure's own.
#[derive(Debug, Clone, Copy)]
pub struct Outcome(pub &'static str);

/// What [`Decision::decide`] answers: the decision, or why its transaction
/// did not commit one.
pub type DecideResult<D> = Result<
    Decided<<<D as Decision>::Payable as Payable>::View, <D as Decision>::Refusal>,
    TxError<<D as Decision>::Refusal>,
>;

/// One kind's create request: what it checks before its transaction and what
/// it decides inside it.
pub trait Decision: Sync {
    type Payable: Payable;
    /// Why it refuses, in its module's terms; `api/` says each as a problem
    /// (the answer stored on the key is that problem).
    type Refusal: Into<ApiError> + Send;
    /// Checked on the request's connection before the transaction (hold
    /// caps), pipelined with the key's lookup (a shared connection).
    type Before: Sync;
    /// SERIALIZABLE (bookings: the slot check reads a range) or READ COMMITTED
    /// with row locks (orders: stock rows and seats are locked and checked).
    const SERIALIZABLE: bool;

    fn before(
        &self,
        conn: &AsyncPgConnection,
    ) -> impl Future<Output = Result<Self::Before, TxError<Self::Refusal>>> + Send;

    fn decide(
        &self,
        conn: &mut AsyncPgConnection,
        before: &Self::Before,
        source: &str,
    ) -> impl Future<Output = DecideResult<Self>> + Send;

    /// The key of what the answer shows (to finish its payment).
    fn key_of(view: &<Self::Payable as Payable>::View) -> <Self::Payable as Payable>::Key;

    /// A Stripe PaymentMethod to charge at once, if the request named one.
    fn payment_method(&self) -> Option<&str>;

    /// The outcome `/metrics` counts, if any (read in the transaction,
    /// counted once it commits).
    fn outcome(
        _result: &Result<<Self::Payable as Payable>::View, Self::Refusal>,
    ) -> Option<Outcome> {
        None
    }

    /// Counts an outcome.
    fn count(_outcome: Outcome) {}
}

/// Runs `decision` exactly once per (caller, key).
pub async fn create_idempotent<D>(
    state: &AppState,
    idempotent: &IdempotentRequest,
    decision: &D,
) -> Result<Answer<<D::Payable as Payable>::View>, ApiError>
where
    D: Decision,
    <D::Payable as Payable>::View: ParseFromJSON + ToJSON,
{
    for _ in 0..3 {
        let mut conn = state.pool.get().await?;
        // The key's lookup and the checks before the transaction, in one
        // round trip (pipelined); a replay's answer wins over the checks.
        let (found, before) = futures::join!(
            IdempotencyRecord::find(&conn, &idempotent.scope, &idempotent.key),
            decision.before(&conn)
        );
        match crate::idempotency::judge(state, &mut conn, idempotent, found?).await? {
            Prior::Answered { status, body } => {
                return Ok(Answer::from_stored(status, body, true));
            }
            Prior::Abandoned(record) => {
                // No connection held while Stripe is asked.
                drop(conn);
                let (status, body) = crate::idempotency::resume(state, &record)
                    .await?
                    .ok_or_else(ApiError::internal)?;
                return Ok(Answer::from_stored(status, body, false));
            }
            Prior::Absent => {}
        }
        let before = match before {
            Ok(before) => before,
            Err(TxError::Refused(refused)) => return Err(refused.into()),
            Err(TxError::Db(e)) => return Err(e.into()),
            Err(TxError::KeyTaken) => continue,
        };
        let (now, ttl, source) = (
            Utc::now(),
            state.config.idempotency_ttl,
            idempotent.source(),
        );
        let (before, source) = (&before, source.as_str());
        let body = async |conn: &mut AsyncPgConnection| {
            let Decided {
                result,
                payable_id,
                awaits_payment,
            } = decision.decide(conn, before, source).await?;
            let outcome = D::outcome(&result);
            let decided = Decided {
                result: result.map_err(Into::into),
                payable_id,
                awaits_payment,
            };
            // A payable awaiting payment is stored with its key at the first
            // recovery point; the answer once Stripe has made the PaymentIntent.
            let point = match decided.payable_id {
                Some(payable_id) if decided.awaits_payment => RecoveryPoint::Created { payable_id },
                payable_id => {
                    let (status, body) = stored(&decided.result, StatusCode::CREATED);
                    RecoveryPoint::Finished {
                        status,
                        body,
                        payable_id,
                    }
                }
            };
            let kind = Some(<D::Payable as super::Payable>::KIND);
            let record = idempotent.record(now, ttl, point, kind);
            if IdempotencyRecord::insert_if_absent(conn, &record).await? {
                Ok((decided, outcome))
            } else {
                Err(TxError::KeyTaken)
            }
        };
        let outcome = if D::SERIALIZABLE {
            serializable!(conn, body)
        } else {
            read_committed!(conn, body)
        };
        match outcome {
            Ok((decided, outcome)) if decided.awaits_payment => {
                let Ok(view) = &decided.result else {
                    return Err(Failure::Broken("a refusal awaits payment").into());
                };
                let key = D::key_of(view);
                if let Some(outcome) = outcome {
                    D::count(outcome);
                }
                drop(conn);
                state.faults.crash_point(CrashPoint::AfterBookingCreated)?;
                let done = crate::payments::phases::complete_payment::<D::Payable>(
                    state,
                    &idempotent.scope,
                    &idempotent.key,
                    key,
                    decision.payment_method(),
                    false,
                )
                .await?;
                return Ok(match done.fresh {
                    Some(result) => Answer {
                        result,
                        replayed: false,
                    },
                    None => Answer::from_stored(done.stored.0, done.stored.1, false),
                });
            }
            Ok((decided, outcome)) => {
                if let Some(outcome) = outcome {
                    D::count(outcome);
                }
                return Ok(Answer {
                    result: decided.result,
                    replayed: false,
                });
            }
            Err(TxError::KeyTaken) => continue,
            Err(TxError::Refused(e)) => return Err(e.into()),
            Err(TxError::Db(e)) if e.is_retryable() => {
                tracing::warn!(error = %e, "create transaction kept conflicting");
                return Err(Failure::Contention.into());
            }
            Err(TxError::Db(e)) => return Err(e.into()),
        }
    }
    Err(key_in_use())
}

/// A request answered within its one transaction, no payment following
/// (publishing an event, refunding tickets): its key is stored with its
/// answer in that transaction.
pub trait Immediate: Sync {
    type View: ParseFromJSON + ToJSON + Send;
    /// Why the decision refuses, in its module's terms; `api/` says each as a
    /// problem (the answer stored on the key is that problem).
    type Refusal: Into<ApiError> + Send;

    fn decide(
        &self,
        conn: &mut AsyncPgConnection,
        source: &str,
    ) -> impl Future<Output = Result<Result<Self::View, Self::Refusal>, TxError>> + Send;
}

/// Runs `decision` exactly once per (caller, key), at READ COMMITTED (it
/// takes the row locks it needs).
pub async fn answer_once<D: Immediate>(
    state: &AppState,
    idempotent: &IdempotentRequest,
    decision: &D,
) -> Result<Answer<D::View>, ApiError> {
    for _ in 0..3 {
        let mut conn = state.pool.get().await?;
        match crate::idempotency::prior(state, &mut conn, idempotent).await? {
            Prior::Answered { status, body } => {
                return Ok(Answer::from_stored(status, body, true));
            }
            // Only requests with a payment leave a key unfinished.
            Prior::Abandoned(_) => return Err(ApiError::internal()),
            Prior::Absent => {}
        }
        let (now, ttl, source) = (
            Utc::now(),
            state.config.idempotency_ttl,
            idempotent.source(),
        );
        let source = source.as_str();
        let outcome = read_committed!(conn, async |conn: &mut AsyncPgConnection| {
            let result = decision.decide(conn, source).await?.map_err(Into::into);
            let (status, body) = stored(&result, StatusCode::CREATED);
            let point = RecoveryPoint::Finished {
                status,
                body,
                payable_id: None,
            };
            let record = idempotent.record(now, ttl, point, None);
            if IdempotencyRecord::insert_if_absent(conn, &record).await? {
                Ok(result)
            } else {
                // Rolled back: the request that stored the key first answers.
                Err(TxError::KeyTaken)
            }
        });
        match outcome {
            Ok(result) => {
                return Ok(Answer {
                    result,
                    replayed: false,
                });
            }
            Err(TxError::KeyTaken) => continue,
            Err(TxError::Refused(never)) => match never {},
            Err(TxError::Db(e)) => return Err(e.into()),
        }
    }
    Err(key_in_use())
}
