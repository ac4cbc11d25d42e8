//! Creating a booking: validation, the idempotency key, and the one
//! SERIALIZABLE transaction that stores the booking together with its answer.

use crate::AppState;
use crate::idempotency::{self, IdempotencyKey, Prior};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use poem::http::StatusCode;
use poem_openapi::Object;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use slotwise_db::availability::AvailabilityWindow;
use slotwise_db::bookings::{Booking, BookingWithSlug, CONFIRMED, PENDING};
use slotwise_db::idempotency::{FINISHED, IdempotencyRecord};
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
}

impl BookingView {
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
}

impl NewBooking {
    /// The body as the fingerprint sees it: what was asked, whatever its spelling.
    fn canonical(&self) -> serde_json::Value {
        serde_json::json!({
            "professional_id": self.professional,
            "start_time": self.start.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            "duration_minutes": self.duration_minutes,
        })
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

fn stored(result: &Result<BookingView, ApiError>) -> (u16, serde_json::Value) {
    match result {
        Ok(view) => (201, view.to_json().unwrap_or_default()),
        Err(err) => (
            err.problem.status,
            serde_json::to_value(&err.problem).unwrap_or_default(),
        ),
    }
}

fn replay(status: u16, body: serde_json::Value) -> Answer {
    let result = if status == StatusCode::CREATED.as_u16() {
        BookingView::parse_from_json(Some(body)).map_err(|_| ApiError::internal())
    } else {
        serde_json::from_value::<Problem>(body)
            .map(|p| Err(ApiError::from_problem(p).with_header("idempotent-replayed", "true")))
            .unwrap_or_else(|_| Err(ApiError::internal()))
    };
    Answer {
        result,
        replayed: true,
    }
}

impl AppState {
    /// `POST /bookings`, exactly once per (caller, key).
    pub async fn create_booking(
        &self,
        client_id: Option<Uuid>,
        key: &IdempotencyKey,
        request: NewBooking,
    ) -> Result<Answer, ApiError> {
        let scope = idempotency::scope(client_id, PATH);
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
                        Prior::Answered { status, body } => Ok(replay(status, body)),
                        Prior::Mismatch => Err(idempotency::reused_key()),
                        Prior::InFlight => Err(idempotency::key_in_use()),
                    };
                }
            }
            request.validate(now)?;
            let hold = self.config.hold;
            let ttl = self.config.idempotency_ttl;
            let outcome = serializable!(conn, async |conn: &mut AsyncPgConnection| {
                let result = decide(conn, client_id, &request, hold).await?;
                let (status, body) = stored(&result);
                let record = IdempotencyRecord {
                    scope: scope.clone(),
                    key: key.as_str().to_owned(),
                    fingerprint: fingerprint.clone(),
                    request_method: "POST".into(),
                    request_path: PATH.into(),
                    request_body: canonical.clone(),
                    user_id: client_id,
                    recovery_point: FINISHED.into(),
                    locked_at: None,
                    booking_id: result.as_ref().ok().map(|b| b.id),
                    response_status: Some(i32::from(status)),
                    response_body: Some(body),
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
                Ok(result) => {
                    return Ok(Answer {
                        result,
                        replayed: false,
                    });
                }
                Err(TxError::KeyTaken) => continue,
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
}

/// The domain decision inside the transaction: a new booking, or why not.
async fn decide(
    conn: &mut AsyncPgConnection,
    client_id: Option<Uuid>,
    request: &NewBooking,
    hold: Duration,
) -> Result<Result<BookingView, ApiError>, DbError> {
    let reference = ProfessionalRef::parse(&request.professional);
    let Some(pro) = Professional::find(conn, &reference).await? else {
        return Ok(Err(ApiError::not_found("professional")));
    };
    let (start, end) = (request.start, request.end());
    if AvailabilityWindow::find_containing(conn, pro.id, start, end)
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
    // Microseconds, as PostgreSQL stores them, so the stored answer and a later read agree.
    let now = Utc::now().trunc_subsecs(6);
    let paid = price_cents > 0;
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
    };
    Booking::insert(conn, &booking).await?;
    Ok(Ok(BookingView::new(booking, pro.slug)))
}
