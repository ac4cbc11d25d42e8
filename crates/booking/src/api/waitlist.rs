//! `/events/{id}/waitlist`: joining a sold-out tier's waiting list, one's
//! place in line and offers, leaving; the organizer's list and switch.

use super::ApiTags;
use crate::AppState;
use crate::auth::BearerAuth;
use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use slotwise_db::AsyncPgConnection;
use slotwise_db::events::Event;
use slotwise_db::waitlist::{self as db, Entry};
use slotwise_web::problems::*;
use slotwise_web::{ApiError, Problems};
use uuid::Uuid;

pub struct WaitlistApi;

#[derive(Debug, Clone, Object)]
pub struct JoinWaitlist {
    pub tier_id: Uuid,
    /// 1..=the event's `max_per_order`.
    pub quantity: i32,
}

#[derive(Debug, Clone, Object)]
pub struct WaitlistEntryView {
    pub id: Uuid,
    pub tier_id: Uuid,
    /// Tickets asked for; once offered, the tickets offered (what came back,
    /// up to what was asked for): an order of exactly these buys the offer.
    pub quantity: i32,
    pub joined_at: DateTime<Utc>,
    /// `waiting`, `offered` (order them before `offered_until`), `bought`,
    /// `lapsed` (the offer passed on), `left`, or `closed` (the organizer
    /// switched the list off, or cancelled the event).
    pub status: String,
    /// 1 for the first person waiting; absent once not waiting.
    #[oai(skip_serializing_if_is_none)]
    pub place: Option<i64>,
    #[oai(skip_serializing_if_is_none)]
    pub offered_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Object)]
pub struct WaitlistEntries {
    pub items: Vec<WaitlistEntryView>,
}

#[derive(Debug, Clone, Object)]
pub struct WaitlistSwitch {
    /// false: nobody joins and no offer is made (offers made stand).
    pub open: bool,
}

#[derive(ApiResponse)]
pub enum Joined {
    /// In line.
    #[oai(status = 201)]
    Created(Json<WaitlistEntryView>),
    /// Already in line: the same place.
    #[oai(status = 200)]
    Ok(Json<WaitlistEntryView>),
}

async fn view(conn: &mut AsyncPgConnection, e: Entry) -> Result<WaitlistEntryView, ApiError> {
    let place = if e.status == db::WAITING {
        Some(db::place(conn, &e).await?)
    } else {
        None
    };
    Ok(entry_view(e, place))
}

/// A person's entries of the event, each with its place while waiting.
async fn entries_of(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    user_id: Uuid,
) -> Result<WaitlistEntries, ApiError> {
    let mut items = Vec::new();
    for e in db::of_user(conn, event_id, user_id).await? {
        items.push(view(conn, e).await?);
    }
    Ok(WaitlistEntries { items })
}

fn entry_view(e: Entry, place: Option<i64>) -> WaitlistEntryView {
    WaitlistEntryView {
        id: e.id,
        tier_id: e.tier_id,
        quantity: e.quantity,
        joined_at: e.joined_at,
        status: e.status,
        place,
        offered_until: e.offered_until,
    }
}

fn conflict(code: &str, title: &str, detail: &str) -> ApiError {
    ApiError::conflict(code, title, detail)
}

#[OpenApi(tag = "ApiTags::Events")]
impl WaitlistApi {
    /// Join a sold-out tier's waiting list (signed in). Units that come back
    /// are offered in join order: the first person's are held for them and
    /// mailed with a link. Joining again answers the same place.
    #[oai(path = "/events/:id/waitlist", method = "post")]
    async fn join(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        body: Json<JoinWaitlist>,
    ) -> Result<
        Joined,
        Problems<
            {
                JSON_BODY
                    | UNAUTHORIZED
                    | FORBIDDEN
                    | NOT_FOUND
                    | CONFLICT
                    | UNPROCESSABLE
                    | UNAVAILABLE
            },
        >,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        // Offers are mailed: to an address its person has confirmed.
        if user.email_verified_at.is_none() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "email_not_verified",
                "Email address not confirmed",
                "confirm your email address first: offers from the waiting list are mailed to it",
            )
            .into());
        }
        let event = crate::events::event(&state, &id).await?;
        let mut conn = state.pool.get().await?;
        if !event.takes_waitlist(Utc::now()) {
            return Err(conflict(
                "waitlist_closed",
                "Waiting list closed",
                "this event takes nobody on its waiting lists",
            )
            .into());
        }
        let tiers = Event::tier_rows(&conn, event.id).await?;
        let Some(tier) = tiers.iter().find(|t| t.id == body.tier_id && !t.hidden) else {
            return Err(ApiError::unprocessable(
                "unknown_tier",
                "Unknown tier",
                "no such tier in this event",
            )
            .into());
        };
        if !(1..=event.max_per_order).contains(&body.quantity) {
            let detail = format!("quantity must be 1 to {}", event.max_per_order);
            return Err(ApiError::validation(vec![slotwise_web::FieldError::new(
                "quantity", &detail,
            )])
            .into());
        }
        if let Some(off_sale) = tier.off_sale(Utc::now()) {
            let order_error = crate::orders::error::OrderError::NotOnSale {
                tier_id: tier.id,
                off_sale,
            };
            return Err(ApiError::from(order_error).into());
        }
        let left = slotwise_db::events::stock::units_left(&mut conn, event.id, tier.id).await?;
        if left > 0 {
            let detail = format!("{left} left: order them instead");
            return Err(conflict("not_sold_out", "Not sold out", &detail).into());
        }
        let (entry, new) = db::join(&mut conn, event.id, tier.id, user.id, body.quantity).await?;
        let view = view(&mut conn, entry).await?;
        Ok(if new {
            Joined::Created(Json(view))
        } else {
            Joined::Ok(Json(view))
        })
    }

    /// One's places in the event's waiting lists, and offers.
    #[oai(path = "/events/:id/waitlist/me", method = "get")]
    async fn mine(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
    ) -> Result<Json<WaitlistEntries>, Problems<{ UNAUTHORIZED | NOT_FOUND | UNAVAILABLE }>> {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let event = crate::events::event(&state, &id).await?;
        let mut conn = state.pool.get().await?;
        Ok(Json(entries_of(&mut conn, event.id, user.id).await?))
    }

    /// Leave a tier's waiting list: one's place, or an offer, whose units
    /// go to the next person in line at once.
    #[oai(path = "/events/:id/waitlist/me/:tier_id", method = "delete")]
    async fn leave(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        tier_id: Path<Uuid>,
    ) -> Result<
        Json<WaitlistEntries>,
        Problems<{ BAD_REQUEST | UNAUTHORIZED | NOT_FOUND | UNAVAILABLE }>,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let event = crate::events::event(&state, &id).await?;
        let mut conn = state.pool.get().await?;
        let (event_id, tier, user_id) = (event.id, tier_id.0, user.id);
        let left = slotwise_db::read_committed!(conn, async |conn: &mut AsyncPgConnection| {
            let entry = db::active_of(conn, event_id, tier, user_id).await?;
            if let Some(entry) = &entry {
                crate::waitlist::leave(conn, entry).await?;
            }
            Ok::<_, slotwise_db::DbError>(entry.is_some())
        })?;
        if !left {
            return Err(ApiError::not_found("waiting list place").into());
        }
        Ok(Json(entries_of(&mut conn, event_id, user_id).await?))
    }

    /// The event's waiting lists in line order (the organizer).
    #[oai(path = "/events/:id/waitlist", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
    ) -> Result<
        Json<WaitlistEntries>,
        Problems<{ UNAUTHORIZED | FORBIDDEN | NOT_FOUND | UNAVAILABLE }>,
    > {
        let event = super::checkins::organized(&state, &auth, &id).await?;
        let mut conn = state.pool.get().await?;
        // In line order, so a waiting entry's place is one more than the
        // waiting entries of its tier before it (no query per entry).
        let (mut tier, mut waiting) = (None, 0);
        let items = db::of_event(&mut conn, event.id)
            .await?
            .into_iter()
            .map(|e| {
                if tier != Some(e.tier_id) {
                    (tier, waiting) = (Some(e.tier_id), 0);
                }
                let place = (e.status == db::WAITING).then(|| {
                    waiting += 1;
                    waiting
                });
                entry_view(e, place)
            })
            .collect();
        Ok(Json(WaitlistEntries { items }))
    }

    /// Switch the event's waiting lists on or off (the organizer).
    #[oai(path = "/events/:id/waitlist", method = "put")]
    async fn switch(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        body: Json<WaitlistSwitch>,
    ) -> Result<
        Json<WaitlistSwitch>,
        Problems<{ JSON_BODY | UNAUTHORIZED | FORBIDDEN | NOT_FOUND | UNAVAILABLE }>,
    > {
        let event = super::checkins::organized(&state, &auth, &id).await?;
        let mut conn = state.pool.get().await?;
        let (event_id, open) = (event.id, body.open);
        // Switched off, the line closes: nobody waits for offers that will
        // not come (live offers stay theirs until bought or lapsed).
        slotwise_db::read_committed!(conn, async |conn: &mut AsyncPgConnection| {
            db::switch(conn, event_id, open).await?;
            if !open {
                crate::waitlist::close_line(conn, event_id, false).await?;
            }
            Ok::<_, slotwise_db::DbError>(())
        })?;
        Ok(Json(WaitlistSwitch { open: body.open }))
    }
}
