//! `/bookings`: create (idempotent), read, list, cancel.

use super::ApiTags;
use crate::AppState;
use crate::auth::{BearerAuth, MaybeAuth, is_admin};
use crate::bookings::BookingView;
use crate::bookings::cancel::CancelledBy;
use crate::bookings::error::BookingError;
use crate::bookings::request::SlotRequest;
use crate::idempotency::IdempotencyKey;
use chrono::{DateTime, FixedOffset, Utc};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use slotwise_db::bookings::{Booking, BookingCursor, BookingOwner, BookingWithSlug};
use slotwise_db::status::Status;
use slotwise_db::users::User;
use slotwise_web::ApiError;
use slotwise_web::Plain;
use slotwise_web::Problems;
use slotwise_web::Text;
use slotwise_web::pagination::{decode_cursor, page_limit, split_page};
use slotwise_web::problems::*;
use uuid::Uuid;

pub struct BookingsApi;

/// The HTTP answer to each way a booking is refused.
impl From<BookingError> for ApiError {
    fn from(err: BookingError) -> Self {
        use BookingError as E;
        let detail = err.to_string();
        match err {
            E::Invalid(errors) => ApiError::validation(errors),
            E::NotFound => ApiError::not_found("booking"),
            E::ProfessionalNotFound => ApiError::not_found("professional"),
            E::OutsideAvailability => {
                ApiError::unprocessable("outside_availability", "Outside availability", detail)
            }
            E::SlotTaken => ApiError::conflict("booking_conflict", "Slot already booked", detail),
            E::TooSoon(_) => {
                ApiError::unprocessable("too_short_notice", "Too short notice", detail)
            }
            E::PriceOutOfRange => {
                ApiError::unprocessable("price_out_of_range", "Price out of range", detail)
            }
            E::SignInRequired => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "sign_in_required",
                "Sign-in required",
                detail,
            )
            .with_header("www-authenticate", "Bearer"),
            E::TooManyUnpaidHolds { .. } => {
                ApiError::conflict("too_many_unpaid_holds", "Too many unpaid holds", detail)
            }
            E::Started => ApiError::conflict("booking_started", "Booking already started", detail),
            E::NotCancellable(_) => {
                ApiError::conflict("booking_not_cancellable", "Booking not cancellable", detail)
            }
            E::Database(e) => e.into(),
            E::Pool(e) => e.into(),
        }
    }
}

/// The seed's body: `professional_id` takes the professional's UUID or slug.
#[derive(Debug, Object)]
pub struct BookingRequest {
    pub professional_id: Text,
    /// RFC 3339 with offset; must be in the future.
    pub start_time: DateTime<FixedOffset>,
    /// 5..=480.
    pub duration_minutes: i64,
    /// Optional Stripe PaymentMethod to charge at once (e.g. `pm_card_visa`); without it,
    /// pay later with `payment.client_secret`. A declined card answers 402.
    #[oai(validator(max_length = 255, pattern = r"^pm_[A-Za-z0-9_]+$"))]
    pub payment_method: Option<Text>,
}

#[derive(Debug, Object)]
pub struct BookingPage {
    pub items: Vec<BookingView>,
    /// Pass as `cursor` for the next page; null on the last one.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum BookingListView {
    /// Bookings you made (the default for clients).
    Client,
    /// Bookings of the professionals you own (the default for professionals).
    Professional,
}

#[derive(ApiResponse)]
pub enum CreateBookingResponse {
    /// Booked: `confirmed` when free, else `pending` until paid or `expires_at`.
    #[oai(status = 201)]
    Created(
        Json<BookingView>,
        #[oai(header = "Idempotent-Replayed")] Option<String>,
    ),
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Cursor {
    t: DateTime<Utc>,
    id: Uuid,
}

/// Who may see a booking: its client, its professional's owner, an admin;
/// an anonymous booking is reachable by its (unguessable) id alone.
fn may_see(booking: &BookingWithSlug, owner_id: Uuid, user: Option<&User>) -> bool {
    match (booking.booking.client_id, user) {
        (None, _) => true,
        (Some(client), Some(user)) => client == user.id || owner_id == user.id || is_admin(user),
        (Some(_), None) => false,
    }
}

/// The booking if `user` may see it, with the user id owning its professional.
async fn visible_booking(
    state: &AppState,
    id: Uuid,
    user: Option<&User>,
) -> Result<(BookingWithSlug, Uuid), ApiError> {
    let mut conn = state.pool.get().await?;
    let found = Booking::find(&mut conn, id).await?;
    let owner = match &found {
        Some(b) => slotwise_db::professionals::Professional::find(
            &mut conn,
            &slotwise_db::professionals::ProfessionalRef::Id(b.booking.professional_id),
        )
        .await?
        .map(|p| p.owner_id),
        None => None,
    };
    match (found, owner) {
        (Some(b), Some(owner)) if may_see(&b, owner, user) => Ok((b, owner)),
        _ => Err(ApiError::not_found("booking")),
    }
}

#[OpenApi(tag = "ApiTags::Bookings")]
impl BookingsApi {
    /// Book a professional's slot, exactly once per `Idempotency-Key`.
    ///
    /// A retry with the same key and body replays the first answer (errors too)
    /// with `Idempotent-Replayed: true`; the same key with another body is 422;
    /// while the first request is still running, 409. Keys last 24 hours.
    #[oai(path = "/bookings", method = "post")]
    async fn create(
        &self,
        req: &poem::Request,
        state: Data<&AppState>,
        auth: MaybeAuth,
        #[oai(name = "Idempotency-Key")] idempotency_key: Header<Option<String>>,
        body: Json<BookingRequest>,
    ) -> Result<
        CreateBookingResponse,
        Problems<
            {
                JSON_BODY
                    | UNAUTHORIZED
                    | PAYMENT_REQUIRED
                    | NOT_FOUND
                    | CONFLICT
                    | UNPROCESSABLE
                    | TOO_MANY_REQUESTS
                    | UNAVAILABLE
            },
        >,
    > {
        let user = crate::auth::authenticate_optional(&state, &auth).await?;
        let caller = crate::idempotency::caller(&state, req, user.map(|u| u.id))?;
        let key = IdempotencyKey::parse(idempotency_key.as_deref())?;
        let request = SlotRequest {
            professional: body.0.professional_id.plain(),
            start: body.0.start_time.with_timezone(&Utc),
            duration_minutes: body.0.duration_minutes,
            payment_method: body.0.payment_method.plain(),
        };
        let answer =
            crate::bookings::create::create_booking(&state, &caller, &key, request).await?;
        let view = answer.result?;
        Ok(CreateBookingResponse::Created(
            Json(view),
            answer.replayed.then(|| "true".to_owned()),
        ))
    }

    /// One booking; someone else's is 404.
    #[oai(path = "/bookings/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        id: Path<Uuid>,
    ) -> Result<Json<BookingView>, Problems<{ BAD_REQUEST | UNAUTHORIZED | NOT_FOUND | UNAVAILABLE }>>
    {
        let user = crate::auth::authenticate_optional(&state, &auth).await?;
        let (found, _) = visible_booking(&state, id.0, user.as_ref()).await?;
        let mut conn = state.pool.get().await?;
        let view = BookingView::load(&mut conn, found.booking, found.professional_slug).await?;
        Ok(Json(view))
    }

    /// Your bookings, newest first.
    #[oai(path = "/bookings", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u32>>,
        #[oai(validator(min_length = 1))] cursor: Query<Option<String>>,
        view: Query<Option<BookingListView>>,
    ) -> Result<Json<BookingPage>, Problems<{ BAD_REQUEST | UNAUTHORIZED | UNAVAILABLE }>> {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let limit = page_limit(limit.0)?;
        let after = cursor
            .0
            .as_deref()
            .map(decode_cursor::<Cursor>)
            .transpose()?;
        let view = view.0.unwrap_or(if user.role == "professional" {
            BookingListView::Professional
        } else {
            BookingListView::Client
        });
        let owner = match view {
            BookingListView::Client => BookingOwner::Client(user.id),
            BookingListView::Professional => BookingOwner::ProfessionalOwner(user.id),
        };
        let mut conn = state.pool.get().await?;
        let rows = Booking::list(
            &mut conn,
            owner,
            after.map(|c| BookingCursor {
                created_at: c.t,
                id: c.id,
            }),
            i64::from(limit) + 1,
        )
        .await?;
        let (rows, next_cursor) = split_page(rows, limit, |b| Cursor {
            t: b.booking.created_at,
            id: b.booking.id,
        });
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            items.push(BookingView::load(&mut conn, row.booking, row.professional_slug).await?);
        }
        Ok(Json(BookingPage { items, next_cursor }))
    }

    /// Cancel a pending or confirmed booking (its client, the professional's owner, or an admin).
    ///
    /// A client may cancel until the start (then 409 `booking_started`) and is
    /// refunded in full 24 h or more before it, else `LATE_CANCEL_REFUND_PERCENT`.
    /// The professional's owner or an admin may cancel at any time, always with
    /// a full refund. Cancelling an already cancelled booking answers it again.
    #[oai(path = "/bookings/:id/cancel", method = "post")]
    async fn cancel(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<
        Json<BookingView>,
        Problems<{ BAD_REQUEST | UNAUTHORIZED | NOT_FOUND | CONFLICT | UNAVAILABLE }>,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let (found, owner) = visible_booking(&state, id.0, Some(&user)).await?;
        let by = if is_admin(&user) {
            CancelledBy::Admin
        } else if owner == user.id {
            CancelledBy::Professional
        } else {
            CancelledBy::Client
        };
        // Anonymous bookings: only the professional or an admin may cancel them.
        if found.booking.client_id.is_none() && by == CancelledBy::Client {
            return Err(ApiError::not_found("booking").into());
        }
        let booking = if found.booking.status == Status::Cancelled {
            found.booking
        } else {
            (crate::bookings::cancel::cancel_booking(&state, found.booking.key(), user.id, by)
                .await)
                .map_err(ApiError::from)?
        };
        let mut conn = state.pool.get().await?;
        let view = BookingView::load(&mut conn, booking, found.professional_slug).await?;
        Ok(Json(view))
    }
}

impl slotwise_web::problems::IntoProblem for BookingError {}
