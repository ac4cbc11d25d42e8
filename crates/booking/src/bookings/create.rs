//! Creating a booking: validation, the idempotency key, and the one
//! SERIALIZABLE transaction that stores the booking together with its key
//! (and, when it is free or refused, its answer). A paid booking then goes
//! through the payment core's phases 2 and 3.

use super::BookingView;
use super::error::BookingError;
use super::request::SlotRequest;
use crate::AppState;
use crate::faults::CrashPoint;
use crate::idempotency::{
    Answer, Caller, IdempotencyKey, IdempotentRequest, Prior, RecoveryPoint, key_in_use, stored,
};
use chrono::{Duration, SubsecRound, Utc};
use poem::http::StatusCode;
use slotwise_db::availability::AvailabilityWindow;
use slotwise_db::bookings::{Booking, HoldOwner, NewBooking};
use slotwise_db::idempotency::IdempotencyRecord;
use slotwise_db::professionals::{Professional, ProfessionalRef};
use slotwise_db::status::Status;
use slotwise_db::transitions::Transition;
use slotwise_db::tx::RetryableError;
use slotwise_db::{AsyncPgConnection, DbError, serializable};
use slotwise_web::ApiError;
use uuid::Uuid;

const PATH: &str = "/bookings";

enum TxError {
    Db(DbError),
    /// Refused for now (sign-in needed, too many holds): rolled back and not
    /// stored on the key, so the same key works once the caller fixed it.
    Refused(ApiError),
    /// Another request stored this key first: look again and replay.
    KeyTaken,
}

impl From<DbError> for TxError {
    fn from(e: DbError) -> Self {
        TxError::Db(e)
    }
}

impl RetryableError for TxError {
    fn is_retryable(&self) -> bool {
        matches!(self, TxError::Db(e) if e.is_retryable())
    }
}

impl AppState {
    /// `POST /bookings`, exactly once per (caller, key).
    pub async fn create_booking(
        &self,
        caller: &Caller,
        key: &IdempotencyKey,
        request: SlotRequest,
    ) -> Result<Answer<BookingView>, ApiError> {
        let idempotent = IdempotentRequest::new(caller, key, "POST", PATH, request.canonical());
        let caps = HoldCaps {
            per_user: self.config.max_unpaid_holds_per_user,
            per_ip: self.config.max_unpaid_holds_per_ip,
        };
        for _ in 0..3 {
            let mut conn = self.pool.get().await?;
            match self.prior(&mut conn, &idempotent).await? {
                Prior::Answered { status, body } => {
                    return Ok(Answer::from_stored(status, body, true));
                }
                Prior::Abandoned(record) => {
                    // No connection held while Stripe is asked.
                    drop(conn);
                    let (status, body) =
                        self.resume(&record).await?.ok_or_else(ApiError::internal)?;
                    return Ok(Answer::from_stored(status, body, false));
                }
                Prior::Absent => {}
            }
            let now = Utc::now();
            request.validate(now)?;
            let over_cap = over_hold_cap(&mut conn, caller, caps).await?;
            let (hold, ttl, source) = (
                self.config.hold,
                self.config.idempotency_ttl,
                idempotent.source(),
            );
            let outcome = serializable!(conn, async |conn: &mut AsyncPgConnection| {
                let result = decide(conn, caller, &request, hold, over_cap, &source)
                    .await?
                    .map_err(ApiError::from);
                // A paid booking is stored with its key at the first recovery point;
                // the answer is stored once Stripe has made the PaymentIntent.
                let point = match &result {
                    Ok(b) if b.status == Status::Pending.as_str() => {
                        RecoveryPoint::Created { payable_id: b.id }
                    }
                    _ => {
                        let (status, body) = stored(&result, StatusCode::CREATED);
                        let payable_id = result.as_ref().ok().map(|b| b.id);
                        RecoveryPoint::Finished {
                            status,
                            body,
                            payable_id,
                        }
                    }
                };
                let record = idempotent.record(now, ttl, point);
                if IdempotencyRecord::insert_if_absent(conn, &record).await? {
                    Ok(result)
                } else {
                    Err(TxError::KeyTaken)
                }
            });
            match outcome {
                Ok(Ok(view)) if view.status == Status::Pending.as_str() => {
                    crate::count_outcome("created");
                    drop(conn);
                    self.faults.crash_point(CrashPoint::AfterBookingCreated)?;
                    let done = self
                        .complete_payment::<Booking>(
                            &idempotent.scope,
                            &idempotent.key,
                            view.key(),
                            request.payment_method.as_deref(),
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
                Ok(result) => {
                    match &result {
                        Ok(_) => crate::count_outcome("created"),
                        Err(e) if e.problem.code == "booking_conflict" => {
                            crate::count_outcome("conflict")
                        }
                        Err(_) => {}
                    }
                    return Ok(Answer {
                        result,
                        replayed: false,
                    });
                }
                Err(TxError::KeyTaken) => continue,
                Err(TxError::Refused(e)) => return Err(e),
                Err(TxError::Db(e)) if e.is_retryable() => {
                    tracing::warn!(error = %e, "booking transaction kept conflicting");
                    return Err(ApiError::unavailable(
                        "too much contention on this slot; retry",
                    ));
                }
                Err(TxError::Db(e)) => return Err(e.into()),
            }
        }
        Err(key_in_use())
    }
}

/// How many unpaid bookings one user, and one address, may hold at once.
#[derive(Debug, Clone, Copy)]
struct HoldCaps {
    per_user: i64,
    per_ip: i64,
}

/// Whether a signed-in caller already holds as many unpaid bookings as
/// allowed (per user, then per address). Counted before the booking's
/// SERIALIZABLE transaction, on its connection: inside it, every paid booking
/// of one user (or address) would read the range the others insert into and
/// fail them. So the cap is soft under races: a client racing itself may pass
/// it by its concurrent requests, which the per-user rate limit bounds.
/// Anonymous callers hold nothing (paid bookings need sign-in).
async fn over_hold_cap(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    caps: HoldCaps,
) -> Result<Option<CapReached>, DbError> {
    let Some(user) = caller.user_id else {
        return Ok(None);
    };
    let held = Booking::count_unpaid_holds(conn, HoldOwner::Client(user)).await?;
    if held >= caps.per_user {
        let cap = caps.per_user;
        return Ok(Some(CapReached {
            whose: "you hold",
            held,
            cap,
        }));
    }
    let held = Booking::count_unpaid_holds(conn, HoldOwner::Ip(&caller.ip)).await?;
    if held >= caps.per_ip {
        let (whose, cap) = ("your address holds", caps.per_ip);
        return Ok(Some(CapReached { whose, held, cap }));
    }
    Ok(None)
}

/// A cap on unpaid holds the caller has reached.
#[derive(Debug, Clone, Copy)]
struct CapReached {
    whose: &'static str,
    held: i64,
    cap: i64,
}

impl From<CapReached> for BookingError {
    fn from(c: CapReached) -> Self {
        BookingError::TooManyUnpaidHolds {
            whose: c.whose,
            held: c.held,
            cap: c.cap,
        }
    }
}

/// The domain decision inside the transaction: a new booking, or why not.
async fn decide(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    request: &SlotRequest,
    hold: Duration,
    over_cap: Option<CapReached>,
    source: &str,
) -> Result<Result<BookingView, BookingError>, TxError> {
    let client_id = caller.user_id;
    let reference = ProfessionalRef::parse(&request.professional);
    let Some(pro) = Professional::find(conn, &reference).await? else {
        return Ok(Err(BookingError::ProfessionalNotFound));
    };
    let (start, end) = (request.start, request.end());
    if AvailabilityWindow::lock_containing(conn, pro.id, start, end)
        .await?
        .is_none()
    {
        return Ok(Err(BookingError::OutsideAvailability));
    }
    if Booking::slot_taken(conn, pro.id, start, end).await? {
        return Ok(Err(BookingError::SlotTaken));
    }
    let Some(price_cents) = pro.rate_per_minute.checked_mul(request.duration_minutes) else {
        return Ok(Err(BookingError::PriceOutOfRange));
    };
    let paid = price_cents > 0;
    if paid {
        if caller.user_id.is_none() {
            return Err(TxError::Refused(BookingError::SignInRequired.into()));
        }
        if let Some(reached) = over_cap {
            return Err(TxError::Refused(BookingError::from(reached).into()));
        }
    }
    // Microseconds, as PostgreSQL stores them, so the stored answer and a later read agree.
    let now = Utc::now().trunc_subsecs(6);
    let new = NewBooking {
        id: Uuid::now_v7(),
        professional_id: pro.id,
        client_id,
        start_time: start,
        end_time: end,
        duration_minutes: i32::try_from(request.duration_minutes).unwrap_or(i32::MAX),
        price_cents,
        currency: pro.currency.clone(),
        status: if paid {
            Status::Pending
        } else {
            Status::Confirmed
        },
        expires_at: paid.then(|| now + hold),
        created_at: now,
        updated_at: now,
        client_ip: Some(caller.ip.clone()),
    };
    let booking = Booking::insert(conn, &new).await?;
    Transition::record(conn, booking.key(), None, booking.status, "booked", source).await?;
    Ok(Ok(BookingView::new(booking, pro.slug)))
}
