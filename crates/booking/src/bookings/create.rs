//! Creating a booking: validation, hold caps, and the decision made in the
//! payment core's phase 1 (one SERIALIZABLE transaction that stores the
//! booking together with its key). A paid booking then goes through phases 2 and 3.

use super::BookingView;
use super::error::BookingError;
use super::request::SlotRequest;
use crate::AppState;
use crate::idempotency::{Answer, Caller, IdempotencyKey, IdempotentRequest};
use crate::notify::News;
use crate::payments::Payable;
use crate::payments::first_phase::{Decided, Decision, Outcome, TxError};
use chrono::{Duration, SubsecRound, Utc};
use slotwise_db::availability::AvailabilityWindow;
use slotwise_db::bookings::{Booking, BookingKey, HoldOwner, NewBooking};
use slotwise_db::professionals::ProfessionalRef;
use slotwise_db::schedules;
use slotwise_db::status::Status;
use slotwise_db::{AsyncPgConnection, DbError};
use slotwise_web::ApiError;
use uuid::Uuid;

const PATH: &str = "/bookings";

/// A booking request as phase 1 of the payment core runs it.
struct BookingDecision<'a> {
    caller: &'a Caller,
    request: &'a SlotRequest,
    hold: Duration,
    caps: HoldCaps,
}

impl Decision for BookingDecision<'_> {
    type Payable = Booking;
    type Refusal = BookingError;
    type Before = Option<CapReached>;
    const SERIALIZABLE: bool = true;

    async fn before(
        &self,
        conn: &AsyncPgConnection,
    ) -> Result<Option<CapReached>, TxError<BookingError>> {
        self.request
            .validate(Utc::now())
            .map_err(TxError::Refused)?;
        Ok(over_hold_cap(conn, self.caller, self.caps).await?)
    }

    async fn decide(
        &self,
        conn: &mut AsyncPgConnection,
        over_cap: &Option<CapReached>,
        source: &str,
    ) -> Result<Decided<BookingView, BookingError>, TxError<BookingError>> {
        let result = decide(
            conn,
            self.caller,
            self.request,
            self.hold,
            *over_cap,
            source,
        )
        .await?;
        let payable_id = result.as_ref().ok().map(|b| b.id);
        let awaits_payment = matches!(&result, Ok(b) if b.status == Status::Pending.as_str());
        Ok(Decided {
            result,
            payable_id,
            awaits_payment,
        })
    }

    fn key_of(view: &BookingView) -> BookingKey {
        view.key()
    }

    fn payment_method(&self) -> Option<&str> {
        self.request.payment_method.as_deref()
    }

    fn outcome(result: &Result<BookingView, BookingError>) -> Option<Outcome> {
        match result {
            Ok(_) => Some(Outcome("created")),
            Err(BookingError::SlotTaken) => Some(Outcome("conflict")),
            Err(_) => None,
        }
    }

    fn count(Outcome(outcome): Outcome) {
        crate::count_outcome(outcome)
    }
}

/// `POST /bookings`, exactly once per (caller, key).
pub async fn create_booking(
    state: &AppState,
    caller: &Caller,
    key: &IdempotencyKey,
    request: SlotRequest,
) -> Result<Answer<BookingView>, ApiError> {
    let idempotent = IdempotentRequest::new(caller, key, "POST", PATH, request.canonical());
    let decision = BookingDecision {
        caller,
        request: &request,
        hold: state.config.hold,
        caps: HoldCaps {
            per_user: state.config.max_unpaid_holds_per_user,
            per_ip: state.config.max_unpaid_holds_per_ip,
        },
    };
    crate::payments::first_phase::create_idempotent(state, &idempotent, &decision).await
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
    conn: &AsyncPgConnection,
    caller: &Caller,
    caps: HoldCaps,
) -> Result<Option<CapReached>, DbError> {
    let Some(user) = caller.user_id else {
        return Ok(None);
    };
    // Both counts in one round trip (pipelined).
    let (held, held_by_ip) = futures::try_join!(
        Booking::count_unpaid_holds(conn, HoldOwner::Client(user)),
        Booking::count_unpaid_holds(conn, HoldOwner::Ip(&caller.ip))
    )?;
    if held >= caps.per_user {
        let cap = caps.per_user;
        return Ok(Some(CapReached {
            whose: "you hold",
            held,
            cap,
        }));
    }
    if held_by_ip >= caps.per_ip {
        return Ok(Some(CapReached {
            whose: "your address holds",
            held: held_by_ip,
            cap: caps.per_ip,
        }));
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
) -> Result<Result<BookingView, BookingError>, TxError<BookingError>> {
    let client_id = caller.user_id;
    let reference = ProfessionalRef::parse(&request.professional);
    let Some((pro, rules)) = schedules::find_with_rules(conn, &reference).await? else {
        return Ok(Err(BookingError::ProfessionalNotFound));
    };
    let (start, end) = (request.start, request.end());
    let (buffer, notice) = (rules.buffer_minutes, rules.min_notice_minutes);
    if start < Utc::now() + Duration::minutes(i64::from(notice)) {
        return Ok(Err(BookingError::TooSoon(notice)));
    }
    let blocked_until = (buffer > 0).then(|| end + Duration::minutes(i64::from(buffer)));
    let until = blocked_until.unwrap_or(end);
    // Taken already (a racer committed first): said without queueing for the
    // window's lock. Under a race for one slot, only those that came before
    // the winner committed wait for it; on Citus each waiter holds the lock
    // through a two-phase commit, so that queue is what a crowd waits on.
    if Booking::slot_taken(conn, pro.id, start, until).await? {
        return Ok(Err(BookingError::SlotTaken));
    }
    if AvailabilityWindow::lock_containing(conn, pro.id, start, end)
        .await?
        .is_none()
    {
        return Ok(Err(BookingError::OutsideAvailability));
    }
    if Booking::slot_taken(conn, pro.id, start, until).await? {
        return Ok(Err(BookingError::SlotTaken));
    }
    let Some(price_cents) = pro.rate_per_minute.checked_mul(request.duration_minutes) else {
        return Ok(Err(BookingError::PriceOutOfRange));
    };
    let paid = price_cents > 0;
    if paid {
        if caller.user_id.is_none() {
            return Err(TxError::Refused(BookingError::SignInRequired));
        }
        if let Some(reached) = over_cap {
            return Err(TxError::Refused(BookingError::from(reached)));
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
        blocked_until,
    };
    let booking = Booking::insert(conn, &new).await?;
    Booking::record_transition(conn, booking.key(), None, booking.status, "booked", source).await?;
    if booking.status == Status::Confirmed {
        <Booking as Payable>::announce(conn, booking.key(), News::Confirmed, None).await?;
    }
    Ok(Ok(BookingView::new(booking, pro.slug)))
}
