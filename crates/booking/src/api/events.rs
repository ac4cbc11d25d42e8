//! `/events`: publish (idempotent), read with what is left, the seat map,
//! the organizer's changes (If-Match) and cancellation.

use super::ApiTags;
use super::professional_input::{parse_if_match, stale_version};
use crate::AppState;
use crate::auth::BearerAuth;
use crate::events::comps::{CompRequest, CompView};
use crate::events::input::{EventPatch, NewEventRequest};
use crate::events::{EventView, SeatView};
use crate::idempotency::IdempotencyKey;
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use slotwise_db::events::{Event, EventChanges};
use slotwise_web::Plain;
use slotwise_web::Problems;
use slotwise_web::problems::*;

pub struct EventsApi;

#[derive(ApiResponse)]
pub enum EventCreated {
    /// Published; `ETag` is its version, for `If-Match`.
    #[oai(status = 201)]
    Created(
        Json<EventView>,
        #[oai(header = "ETag")] String,
        #[oai(header = "Idempotent-Replayed")] Option<String>,
    ),
}

#[derive(ApiResponse)]
pub enum EventFound {
    #[oai(status = 200)]
    Ok(Json<EventView>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
pub enum CompsGiven {
    #[oai(status = 201)]
    Created(
        Json<CompView>,
        #[oai(header = "Idempotent-Replayed")] Option<String>,
    ),
}

#[derive(Debug, Object)]
pub struct SeatMap {
    /// Every seat in map order.
    pub items: Vec<SeatView>,
}

#[derive(Debug, Object)]
pub struct OrganizedEvents {
    /// Upcoming ones soonest first, then past ones; at most 100.
    pub items: Vec<EventView>,
}

fn etag(e: &EventView) -> String {
    format!("\"{}\"", e.version)
}

#[OpenApi(tag = "ApiTags::Events")]
impl EventsApi {
    /// Publish an event, exactly once per `Idempotency-Key`; you are its organizer.
    ///
    /// General admission with `tiers` (each `capacity` tickets at `price_cents`)
    /// or named `seats` (each with its own price), not both.
    #[oai(path = "/events", method = "post")]
    async fn create(
        &self,
        req: &poem::Request,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(name = "Idempotency-Key")] idempotency_key: Header<Option<String>>,
        body: Json<NewEventRequest>,
    ) -> Result<
        EventCreated,
        Problems<
            {
                JSON_BODY
                    | UNAUTHORIZED
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
        let answer = crate::events::create::create_event(&state, &caller, &key, body.0).await?;
        let view = answer.result?;
        let tag = etag(&view);
        Ok(EventCreated::Created(
            Json(view),
            tag,
            answer.replayed.then(|| "true".to_owned()),
        ))
    }

    /// The events you organize, each with its sales (every tier's `sold`,
    /// `held`, `available`; a seated event's counts).
    #[oai(path = "/events", method = "get")]
    async fn organized(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> Result<Json<OrganizedEvents>, Problems<{ UNAUTHORIZED | UNAVAILABLE }>> {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let mut conn = state.pool.get().await?;
        let events = Event::of_organizer(&mut conn, user.id, 100).await?;
        let mut items = Vec::with_capacity(events.len());
        for event in events {
            items.push(EventView::load(&mut conn, event).await?);
        }
        Ok(Json(OrganizedEvents { items }))
    }

    /// One event by id or slug, with each tier's `capacity, sold, held,
    /// available, sold_out` (or a seated event's counts).
    #[oai(path = "/events/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: crate::auth::MaybeAuth,
        id: Path<String>,
    ) -> Result<EventFound, Problems<{ NOT_FOUND | UNAVAILABLE }>> {
        // A public page: a stale token reads it as anyone does.
        let viewer = (crate::auth::authenticate_optional(&state, &auth).await)
            .ok()
            .flatten();
        let event = crate::events::event(&state, &id).await?;
        let mut conn = state.pool.get().await?;
        let mut view = EventView::load(&mut conn, event).await?;
        // Hidden tiers are the organizer's to show (through a promo code).
        if viewer.map(|u| u.id) != Some(view.organizer_id) {
            view.tiers.retain(|t| !t.hidden);
        }
        let tag = etag(&view);
        Ok(EventFound::Ok(Json(view), tag))
    }

    /// A seated event's map: every seat with its price and `available | held | sold`.
    #[oai(path = "/events/:id/seats", method = "get")]
    async fn seats(
        &self,
        state: Data<&AppState>,
        id: Path<String>,
    ) -> Result<Json<SeatMap>, Problems<{ NOT_FOUND | UNAVAILABLE }>> {
        let event = crate::events::event(&state, &id).await?;
        let mut conn = state.pool.get().await?;
        let seats = Event::seats(&mut conn, event.id).await?;
        Ok(Json(SeatMap {
            items: seats.into_iter().map(Into::into).collect(),
        }))
    }

    /// Change title, description or venue (the organizer); `If-Match` must
    /// carry the current version (stale: 412).
    #[oai(path = "/events/:id", method = "patch")]
    async fn patch(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<EventPatch>,
    ) -> Result<
        EventFound,
        Problems<
            {
                JSON_BODY
                    | UNAUTHORIZED
                    | FORBIDDEN
                    | NOT_FOUND
                    | PRECONDITION_FAILED
                    | PRECONDITION_REQUIRED
                    | UNPROCESSABLE
                    | UNAVAILABLE
            },
        >,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let version = parse_if_match(if_match.as_deref())?;
        body.validate()?;
        let event = crate::events::organized_event(&state, &id, user.id).await?;
        let req = body.0;
        let changes = EventChanges {
            title: req.title.map(|s| s.trim().to_owned()),
            description: req.description.plain(),
            venue_name: req.venue.as_ref().map(|v| v.name.trim().to_owned()),
            lat: req.venue.as_ref().map(|v| v.lat),
            long: req.venue.as_ref().map(|v| v.long),
            reentry: req.reentry,
        };
        let mut conn = state.pool.get().await?;
        let updated = Event::update(&mut conn, event.id, version, &changes)
            .await?
            .ok_or_else(|| stale_version("event", version))?;
        let view = EventView::load(&mut conn, updated).await?;
        let tag = etag(&view);
        Ok(EventFound::Ok(Json(view), tag))
    }

    /// Give tickets of a tier away (the organizer): comps count against
    /// capacity and are never refundable. They go to the email's account, or
    /// wait for that email to sign up; the answer is the same either way.
    #[oai(path = "/events/:id/comps", method = "post")]
    async fn comps(
        &self,
        req: &poem::Request,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "Idempotency-Key")] idempotency_key: Header<Option<String>>,
        body: Json<CompRequest>,
    ) -> Result<
        CompsGiven,
        Problems<
            {
                JSON_BODY
                    | UNAUTHORIZED
                    | FORBIDDEN
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
        let event = crate::events::organized_event(&state, &id, user.id).await?;
        let answer =
            crate::events::comps::give_comps(&state, &caller, &key, event.id, body.0).await?;
        Ok(CompsGiven::Created(
            Json(answer.result?),
            answer.replayed.then(|| "true".to_owned()),
        ))
    }

    /// Cancel an event (the organizer): pending orders are cancelled, every
    /// bought ticket refunded (by the refund job). Cancelling again answers it again.
    #[oai(path = "/events/:id/cancel", method = "post")]
    async fn cancel(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
    ) -> Result<Json<EventView>, Problems<{ UNAUTHORIZED | FORBIDDEN | NOT_FOUND | UNAVAILABLE }>>
    {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let event = crate::events::organized_event(&state, &id, user.id).await?;
        Ok(Json(
            crate::events::cancel::cancel_event(&state, event.id, user.id).await?,
        ))
    }
}
