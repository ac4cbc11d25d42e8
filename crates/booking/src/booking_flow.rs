//! Creating a booking: validation, the idempotency key, and the one
//! SERIALIZABLE transaction that stores the booking together with its answer.

use crate::AppState;
use crate::faults::CrashPoint;
use crate::idempotency::{self, Caller, IdempotencyKey, Prior};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use poem::http::StatusCode;
use poem_openapi::Object;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use slotwise_db::availability::AvailabilityWindow;
use slotwise_db::bookings::{Booking, BookingKey, BookingWithSlug, CONFIRMED, HoldOwner, PENDING};
use slotwise_db::idempotency::{BOOKING_CREATED, FINISHED, IdempotencyRecord};
use slotwise_db::payments::Transition;
use slotwise_db::professionals::{Professional, ProfessionalRef};
use slotwise_db::tx::RetryableError;
use slotwise_db::{AsyncPgConnection, DbError, serializable};
use slotwise_web::{ApiError, FieldError, Problem};
use uuid::Uuid;

pub const MIN_MINUTES: i64 = 5;
pub const MAX_MINUTES: i64 = 480;
const PATH: &str = "/bookings";

/// A booking as its client and professional see it.
#[derive(Debug, Clone, Object)]
pub struct BookingView {
    pub id: Uuid,
    pub professional_id: Uuid,
    pub professional_slug: String,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub duration_minutes: i32,
    /// Fixed when the booking was made: `rate_per_minute * duration_minutes`.
    pub price_cents: i64,
    pub currency: String,
    /// `pending`, `confirmed`, `expired`, `cancelled`, `failed` or `refunded`.
    pub status: String,
    /// Until when an unpaid booking holds its slot.
    #[oai(skip_serializing_if_is_none)]
    pub expires_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub cancelled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The Stripe PaymentIntent of a paid booking; pay it with `client_secret`.
    #[oai(skip_serializing_if_is_none)]
    pub payment: Option<PaymentView>,
    #[oai(skip_serializing_if_is_none)]
    pub refund: Option<RefundView>,
}

#[derive(Debug, Clone, Object)]
pub struct PaymentView {
    /// Always `stripe`.
    pub provider: String,
    pub payment_intent_id: String,
    pub client_secret: String,
    /// The PaymentIntent's last known status, e.g. `requires_payment_method`, `succeeded`.
    pub status: String,
    /// Why the last payment attempt failed, if it did.
    #[oai(skip_serializing_if_is_none)]
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct RefundView {
    /// Stripe's refund id; absent while the refund is still being made.
    #[oai(skip_serializing_if_is_none)]
    pub refund_id: Option<String>,
    pub amount_cents: i64,
    /// `requested_by_customer`, `slot_taken_after_hold_expired`,
    /// `window_removed_after_hold_expired`, `cancelled_before_payment_arrived`, ...
    pub reason: String,
}

impl BookingView {
    pub fn key(&self) -> BookingKey {
        BookingKey {
            professional_id: self.professional_id,
            id: self.id,
        }
    }

    pub fn new(booking: Booking, professional_slug: String) -> Self {
        Self {
            id: booking.id,
            professional_id: booking.professional_id,
            professional_slug,
            start_time: booking.start_time,
            end_time: booking.end_time,
            duration_minutes: booking.duration_minutes,
            price_cents: booking.price_cents,
            currency: booking.currency,
            status: booking.status,
            expires_at: booking.expires_at,
            cancelled_at: booking.cancelled_at,
            created_at: booking.created_at,
            payment: booking.payment_intent_id.map(|id| PaymentView {
                provider: "stripe".to_owned(),
                payment_intent_id: id,
                client_secret: booking.payment_client_secret.unwrap_or_default(),
                status: booking.payment_status.unwrap_or_default(),
                last_error: booking.payment_error,
            }),
            refund: booking.refund_requested_at.map(|_| RefundView {
                refund_id: booking.refund_id,
                amount_cents: booking.refund_amount_cents.unwrap_or_default(),
                reason: booking.refund_reason.unwrap_or_default(),
            }),
        }
    }
}

impl From<BookingWithSlug> for BookingView {
    fn from(b: BookingWithSlug) -> Self {
        Self::new(b.booking, b.professional_slug)
    }
}

/// A validated booking request.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub professional: String,
    pub start: DateTime<Utc>,
    pub duration_minutes: i64,
    /// Optional Stripe PaymentMethod to charge at once (e.g. `pm_card_visa`).
    pub payment_method: Option<String>,
}

impl NewBooking {
    /// The body as the fingerprint sees it: what was asked, whatever its spelling.
    fn canonical(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "professional_id": self.professional,
            "start_time": self.start.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            "duration_minutes": self.duration_minutes,
        });
        if let Some(pm) = &self.payment_method {
            body["payment_method"] = serde_json::Value::from(pm.clone());
        }
        body
    }

    fn end(&self) -> DateTime<Utc> {
        self.start + Duration::minutes(self.duration_minutes)
    }

    /// Input checks that need no database; failures are not stored on the key.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        if !(MIN_MINUTES..=MAX_MINUTES).contains(&self.duration_minutes) {
            errors.push(FieldError {
                field: "duration_minutes".into(),
                message: format!("must be between {MIN_MINUTES} and {MAX_MINUTES}"),
            });
        }
        if self.start <= now {
            errors.push(FieldError {
                field: "start_time".into(),
                message: "must be in the future".into(),
            });
        }
        let has_control = |s: &str| s.chars().any(char::is_control);
        if has_control(&self.professional) {
            errors.push(FieldError {
                field: "professional_id".into(),
                message: "must not contain control characters".into(),
            });
        }
        if self.payment_method.as_deref().is_some_and(has_control) {
            errors.push(FieldError {
                field: "payment_method".into(),
                message: "must not contain control characters".into(),
            });
        }
        if self.professional.trim().is_empty() {
            errors.push(FieldError {
                field: "professional_id".into(),
                message: "must not be empty".into(),
            });
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(errors))
        }
    }
}

/// The answer to a create request: fresh, or replayed from the key.
pub struct Answer {
    pub result: Result<BookingView, ApiError>,
    pub replayed: bool,
}

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

pub(crate) fn stored(result: &Result<BookingView, ApiError>) -> (u16, serde_json::Value) {
    match result {
        Ok(view) => (201, view.to_json().unwrap_or_default()),
        Err(err) => (
            err.problem.status,
            serde_json::to_value(&err.problem).unwrap_or_default(),
        ),
    }
}

/// Rebuilds an answer from a stored status and body.
pub(crate) fn answer(status: u16, body: serde_json::Value, replayed: bool) -> Answer {
    let result = if status == StatusCode::CREATED.as_u16() {
        BookingView::parse_from_json(Some(body)).map_err(|_| ApiError::internal())
    } else {
        serde_json::from_value::<Problem>(body)
            .map(|p| {
                let err = ApiError::from_problem(p);
                Err(if replayed {
                    err.with_header("idempotent-replayed", "true")
                } else {
                    err
                })
            })
            .unwrap_or_else(|_| Err(ApiError::internal()))
    };
    Answer { result, replayed }
}

impl AppState {
    /// `POST /bookings`, exactly once per (caller, key).
    pub async fn create_booking(
        &self,
        caller: &Caller,
        key: &IdempotencyKey,
        request: NewBooking,
    ) -> Result<Answer, ApiError> {
        let client_id = caller.user_id;
        let scope = caller.scope();
        let caps = HoldCaps {
            per_user: self.config.max_unpaid_holds_per_user,
            per_ip: self.config.max_unpaid_holds_per_ip,
        };
        let canonical = request.canonical();
        let fingerprint = idempotency::fingerprint("POST", PATH, &canonical);
        let mut conn = self.pool.get().await?;
        for _ in 0..3 {
            let now = Utc::now();
            if let Some(prior) = IdempotencyRecord::find(&mut conn, &scope, key.as_str()).await? {
                if prior.expires_at <= now {
                    IdempotencyRecord::delete_if_expired(&mut conn, &scope, key.as_str(), now)
                        .await?;
                } else {
                    return match idempotency::judge(&prior, &fingerprint) {
                        Prior::Answered { status, body } => Ok(answer(status, body, true)),
                        Prior::Mismatch => Err(idempotency::reused_key()),
                        Prior::InFlight => self.resume_if_abandoned(&prior).await,
                    };
                }
            }
            request.validate(now)?;
            let hold = self.config.hold;
            let source = format!("idempotency:{scope}/{}", key.as_str());
            let ttl = self.config.idempotency_ttl;
            let outcome = serializable!(conn, async |conn: &mut AsyncPgConnection| {
                let result = decide(conn, caller, &request, hold, caps, &source).await?;
                // A paid booking is stored with its key at the first recovery point;
                // the answer is stored once Stripe has made the PaymentIntent.
                let unpaid = result.as_ref().is_ok_and(|b| b.status == PENDING);
                let (status, body) = stored(&result);
                let record = IdempotencyRecord {
                    scope: scope.clone(),
                    key: key.as_str().to_owned(),
                    fingerprint: fingerprint.clone(),
                    request_method: "POST".into(),
                    request_path: PATH.into(),
                    request_body: canonical.clone(),
                    user_id: client_id,
                    recovery_point: if unpaid { BOOKING_CREATED } else { FINISHED }.into(),
                    locked_at: unpaid.then_some(now),
                    booking_id: result.as_ref().ok().map(|b| b.id),
                    response_status: (!unpaid).then_some(i32::from(status)),
                    response_body: (!unpaid).then_some(body),
                    created_at: now,
                    expires_at: now + ttl,
                };
                if IdempotencyRecord::insert_if_absent(conn, &record).await? {
                    Ok(result)
                } else {
                    Err(TxError::KeyTaken)
                }
            });
            match outcome {
                Ok(Ok(view)) if view.status == PENDING => {
                    crate::count_outcome("created");
                    drop(conn);
                    self.crash_point(CrashPoint::AfterBookingCreated)?;
                    let payment_method = request.payment_method.as_deref();
                    let (status, body) = self
                        .complete_payment(&scope, key.as_str(), view.key(), payment_method, false)
                        .await?;
                    return Ok(answer(status, body, false));
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
        Err(idempotency::key_in_use())
    }

    /// A retry found its key unfinished: 409 while the first request may still
    /// be working, else take the key over and finish from its recovery point.
    async fn resume_if_abandoned(&self, prior: &IdempotencyRecord) -> Result<Answer, ApiError> {
        let stale_before = Utc::now() - self.config.idempotency_lease;
        let fresh = prior.locked_at.is_some_and(|at| at >= stale_before);
        let Some(booking_id) = prior.booking_id.filter(|_| !fresh) else {
            return Err(idempotency::key_in_use());
        };
        let mut conn = self.pool.get().await?;
        if !IdempotencyRecord::claim_stale(&mut conn, &prior.scope, &prior.key, stale_before)
            .await?
        {
            return Err(idempotency::key_in_use());
        }
        let booking = Booking::locate(&mut conn, booking_id)
            .await?
            .ok_or_else(ApiError::internal)?;
        drop(conn);
        let payment_method = prior
            .request_body
            .get("payment_method")
            .and_then(|v| v.as_str());
        let (status, body) = self
            .complete_payment(&prior.scope, &prior.key, booking, payment_method, true)
            .await?;
        Ok(answer(status, body, false))
    }
}

/// How many unpaid bookings one user, and one address, may hold at once.
#[derive(Debug, Clone, Copy)]
struct HoldCaps {
    per_user: i64,
    per_ip: i64,
}

/// Why a paid booking may not be held by this caller now, if it may not.
async fn hold_refused(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    caps: HoldCaps,
) -> Result<Option<ApiError>, DbError> {
    let Some(user) = caller.user_id else {
        return Ok(Some(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "sign_in_required",
            "Sign-in required",
            "paid bookings need a signed-in client: send `Authorization: Bearer <token>` from /api/users/signin",
        )));
    };
    let too_many = |held: i64, cap: i64, whose: &str| {
        ApiError::conflict(
            "too_many_unpaid_holds",
            "Too many unpaid holds",
            format!(
                "{whose} already {held} unpaid bookings (at most {cap}); pay or cancel one, or wait until a hold expires"
            ),
        )
    };
    let held = Booking::count_unpaid_holds(conn, HoldOwner::Client(user)).await?;
    if held >= caps.per_user {
        return Ok(Some(too_many(held, caps.per_user, "you hold")));
    }
    let held = Booking::count_unpaid_holds(conn, HoldOwner::Ip(&caller.ip)).await?;
    if held >= caps.per_ip {
        return Ok(Some(too_many(held, caps.per_ip, "your address holds")));
    }
    Ok(None)
}

/// The domain decision inside the transaction: a new booking, or why not.
async fn decide(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    request: &NewBooking,
    hold: Duration,
    caps: HoldCaps,
    source: &str,
) -> Result<Result<BookingView, ApiError>, TxError> {
    let client_id = caller.user_id;
    let reference = ProfessionalRef::parse(&request.professional);
    let Some(pro) = Professional::find(conn, &reference).await? else {
        return Ok(Err(ApiError::not_found("professional")));
    };
    let (start, end) = (request.start, request.end());
    if AvailabilityWindow::lock_containing(conn, pro.id, start, end)
        .await?
        .is_none()
    {
        return Ok(Err(ApiError::unprocessable(
            "outside_availability",
            "Outside availability",
            "the requested time is not inside one of the professional's availability windows",
        )));
    }
    if Booking::slot_taken(conn, pro.id, start, end).await? {
        return Ok(Err(ApiError::conflict(
            "booking_conflict",
            "Slot already booked",
            "another booking overlaps the requested time",
        )));
    }
    let Some(price_cents) = pro.rate_per_minute.checked_mul(request.duration_minutes) else {
        return Ok(Err(ApiError::unprocessable(
            "price_out_of_range",
            "Price out of range",
            "the price overflows",
        )));
    };
    let paid = price_cents > 0;
    if paid && let Some(refused) = hold_refused(conn, caller, caps).await? {
        return Err(TxError::Refused(refused));
    }
    // Microseconds, as PostgreSQL stores them, so the stored answer and a later read agree.
    let now = Utc::now().trunc_subsecs(6);
    let booking = Booking {
        id: Uuid::now_v7(),
        professional_id: pro.id,
        client_id,
        start_time: start,
        end_time: end,
        duration_minutes: i32::try_from(request.duration_minutes).unwrap_or(i32::MAX),
        price_cents,
        currency: pro.currency.clone(),
        status: if paid { PENDING } else { CONFIRMED }.to_owned(),
        expires_at: paid.then(|| now + hold),
        cancelled_at: None,
        created_at: now,
        updated_at: now,
        payment_intent_id: None,
        payment_client_secret: None,
        payment_status: None,
        payment_error: None,
        refund_id: None,
        refund_amount_cents: None,
        refund_reason: None,
        refund_requested_at: None,
        client_ip: Some(caller.ip.clone()),
    };
    Booking::insert(conn, &booking).await?;
    Transition::record(conn, booking.key(), None, &booking.status, "booked", source).await?;
    Ok(Ok(BookingView::new(booking, pro.slug)))
}
