//! Resale: `/tickets/{id}/listing`, `/events/{id}/listings`, `/listings/{id}`
//! and `/listings/{id}/orders` (idempotent, on the payment core).

use super::ApiTags;
use super::professional_input::parse_if_match;
use crate::AppState;
use crate::auth::BearerAuth;
use crate::idempotency::IdempotencyKey;
use crate::orders::OrderView;
use crate::orders::resale::ListingView;
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use slotwise_db::listings::Listing;
use slotwise_db::orders::tickets::Ticket;
use slotwise_web::Text;
use slotwise_web::problems::*;
use slotwise_web::{ApiError, Problems};
use uuid::Uuid;

pub struct ListingsApi;

/// The HTTP answer to each way a listing or a resale is refused.
impl From<crate::orders::error::ResaleError> for ApiError {
    fn from(err: crate::orders::error::ResaleError) -> Self {
        use crate::orders::error::ResaleError as E;
        let detail = err.to_string();
        match err {
            E::ListingNotFound => ApiError::not_found("listing"),
            E::EventNotFound => ApiError::not_found("event"),
            E::OwnListing => ApiError::unprocessable("own_listing", "Own listing", detail),
            E::Unavailable => {
                ApiError::conflict("listing_unavailable", "Listing unavailable", detail)
            }
            E::NotAllowed => ApiError::conflict("resale_not_allowed", "Resale not allowed", detail),
            E::Locked => ApiError::conflict("listing_locked", "Listing locked", detail),
            E::TicketListed => ticket_listed(),
            E::PriceOutOfRange(_) => {
                ApiError::unprocessable("price_out_of_range", "Price out of range", detail)
            }
            E::OverCap { .. } => {
                ApiError::unprocessable("price_over_cap", "Price over the cap", detail)
            }
            E::StaleVersion(version) => {
                super::professional_input::stale_version("listing", version)
            }
            E::Custody(e) => e.into(),
            E::Order(e) => e.into(),
            E::Failure(e) => e.into(),
        }
    }
}

/// 409 `ticket_listed`: what custody, refunds and listings answer alike.
pub(crate) fn ticket_listed() -> ApiError {
    ApiError::conflict(
        "ticket_listed",
        "Ticket listed for resale",
        "withdraw the ticket's listing first",
    )
}

#[derive(Debug, Object)]
pub struct ListingPrice {
    /// In minor units; within the event's `max_percent_of_face` when it has one.
    pub price_cents: i64,
}

#[derive(Debug, Object)]
pub struct BuyListing {
    /// Optional Stripe PaymentMethod to charge at once (e.g. `pm_card_visa`).
    #[oai(validator(max_length = 255, pattern = r"^pm_[A-Za-z0-9_]+$"))]
    pub payment_method: Option<Text>,
}

#[derive(Debug, Object)]
pub struct ListingPage {
    /// Active listings, cheapest first (at most 100).
    pub items: Vec<ListingView>,
}

#[derive(ApiResponse)]
pub enum ListingCreated {
    #[oai(status = 201)]
    Created(Json<ListingView>),
}

#[derive(ApiResponse)]
pub enum ResaleOrdered {
    /// Ordered at the listing's price of this moment; the listing is locked
    /// for the hold while it is paid.
    #[oai(status = 201)]
    Created(
        Json<OrderView>,
        #[oai(header = "Idempotent-Replayed")] Option<String>,
    ),
}

#[OpenApi(tag = "ApiTags::Orders")]
impl ListingsApi {
    /// List one of your tickets for resale. A listed ticket cannot be given
    /// away or refunded until withdrawn (409 `ticket_listed`).
    #[oai(path = "/tickets/:id/listing", method = "post")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<ListingPrice>,
    ) -> Result<
        ListingCreated,
        Problems<{ JSON_BODY | UNAUTHORIZED | NOT_FOUND | CONFLICT | UNPROCESSABLE | UNAVAILABLE }>,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let ticket = {
            let mut conn = state.pool.get().await?;
            Ticket::find_for(&mut conn, user.id, id.0)
                .await?
                .ok_or_else(|| ApiError::not_found("ticket"))?
                .ticket
        };
        let listing =
            crate::orders::resale::list_ticket(&state, user.id, ticket, body.0.price_cents).await?;
        Ok(ListingCreated::Created(Json(listing)))
    }

    /// An event's active listings, cheapest first.
    #[oai(path = "/events/:id/listings", method = "get")]
    async fn of_event(
        &self,
        state: Data<&AppState>,
        id: Path<String>,
    ) -> Result<Json<ListingPage>, Problems<{ NOT_FOUND | UNAVAILABLE }>> {
        let event = crate::events::event(&state, &id).await?;
        let mut conn = state.pool.get().await?;
        let items = Listing::of_event(&mut conn, event.id, 100).await?;
        Ok(Json(ListingPage {
            items: items.into_iter().map(Into::into).collect(),
        }))
    }

    /// Change your listing's price with `If-Match: <version>` (stale: 412);
    /// while a buyer holds it: 409 `listing_locked`.
    #[oai(path = "/listings/:id", method = "patch")]
    async fn reprice(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<ListingPrice>,
    ) -> Result<
        Json<ListingView>,
        Problems<
            {
                JSON_BODY
                    | UNAUTHORIZED
                    | NOT_FOUND
                    | CONFLICT
                    | PRECONDITION_FAILED
                    | PRECONDITION_REQUIRED
                    | UNPROCESSABLE
                    | UNAVAILABLE
            },
        >,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let version = parse_if_match(if_match.as_deref())?;
        let listing = crate::orders::resale::own_listing(&state, user.id, id.0).await?;
        Ok(Json(
            crate::orders::resale::reprice(&state, listing, version, body.0.price_cents).await?,
        ))
    }

    /// Withdraw your listing (409 `listing_locked` while a buyer holds it).
    #[oai(path = "/listings/:id", method = "delete")]
    async fn withdraw(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<
        Json<ListingView>,
        Problems<{ BAD_REQUEST | UNAUTHORIZED | NOT_FOUND | CONFLICT | UNAVAILABLE }>,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let listing = crate::orders::resale::own_listing(&state, user.id, id.0).await?;
        Ok(Json(
            crate::orders::resale::withdraw(&state, listing).await?,
        ))
    }

    /// Buy a listed ticket, exactly once per `Idempotency-Key`: an order of kind
    /// `resale` at the price of this moment, the listing locked for 15 minutes
    /// (others: 409 `listing_locked`). Paid, the ticket is yours with a new code.
    #[oai(path = "/listings/:id/orders", method = "post")]
    async fn buy(
        &self,
        req: &poem::Request,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        #[oai(name = "Idempotency-Key")] idempotency_key: Header<Option<String>>,
        body: Json<BuyListing>,
    ) -> Result<
        ResaleOrdered,
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
        let user = crate::auth::authenticate(&state, &auth).await?;
        let caller = crate::idempotency::caller(&state, req, Some(user.id))?;
        let key = IdempotencyKey::parse(idempotency_key.as_deref())?;
        let listing = {
            let mut conn = state.pool.get().await?;
            Listing::find(&mut conn, id.0)
                .await?
                .ok_or_else(|| ApiError::not_found("listing"))?
        };
        let answer = crate::orders::resale::buy_listing(
            &state,
            &caller,
            &key,
            &listing,
            body.0.payment_method.as_deref(),
        )
        .await?;
        Ok(ResaleOrdered::Created(
            Json(answer.result?),
            answer.replayed.then(|| "true".to_owned()),
        ))
    }
}

impl slotwise_web::problems::IntoProblem for crate::orders::error::ResaleError {}
