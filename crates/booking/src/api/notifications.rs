//! Outbound webhook endpoints (`/webhook-endpoints`) and the admin's view of
//! dead deliveries (`/admin/deliveries`).

use super::ApiTags;
use crate::AppState;
use crate::auth::{BearerAuth, is_admin};
use crate::notify::TOPICS;
use crate::notify::views::{DeliveryPage, DeliveryView, EndpointList, EndpointView};
use crate::notify::webhooks::check_url;
use chrono::Utc;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use slotwise_db::notify::deliveries;
use slotwise_db::notify::endpoints::Endpoint;
use slotwise_web::Plain;
use slotwise_web::Text;
use slotwise_web::pagination::{decode_cursor, page_limit, split_page};
use slotwise_web::problems::*;
use slotwise_web::{ApiError, FieldError, Problems};
use uuid::Uuid;

/// Endpoints one user may register.
pub const MAX_ENDPOINTS: usize = 10;

pub struct NotificationsApi;

#[derive(Debug, Object)]
pub struct NewEndpoint {
    /// Where deliveries are POSTed: a public `https://` (or `http://`) URL.
    #[oai(validator(max_length = 2048))]
    pub url: Text,
    /// Event types to receive, e.g. `booking.confirmed`, `order.confirmed`; `*` for all.
    pub event_types: Vec<Text>,
    #[oai(default, validator(max_length = 200))]
    pub description: Text,
}

#[derive(ApiResponse)]
pub enum EndpointCreated {
    /// Made; the answer carries its signing `secret`, shown this once.
    #[oai(status = 201)]
    Created(Json<EndpointView>),
}

#[derive(ApiResponse)]
pub enum Deleted {
    #[oai(status = 204)]
    Gone,
}

#[OpenApi(tag = "ApiTags::Notifications")]
impl NotificationsApi {
    /// Register a webhook endpoint. It receives the events of what you own
    /// (your professional profiles' bookings, your events' orders, gifts,
    /// resales and cancellations), each POSTed as JSON signed with
    /// `Slotwise-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
    /// under the endpoint's secret. URLs on loopback or private addresses are
    /// refused (422 `url_not_allowed`).
    #[oai(path = "/webhook-endpoints", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<NewEndpoint>,
    ) -> Result<
        EndpointCreated,
        Problems<{ JSON_BODY | UNAUTHORIZED | CONFLICT | UNPROCESSABLE | UNAVAILABLE }>,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let NewEndpoint {
            url,
            event_types,
            description,
        } = body.0;
        let event_types = checked_types(event_types.plain())?;
        let url = check_url(url.trim(), state.config.notify.allow_private_urls)
            .await
            .map_err(|why| {
                ApiError::unprocessable("url_not_allowed", "Endpoint URL not allowed", why)
            })?;
        let mut conn = state.pool.get().await?;
        if Endpoint::of_owner(&mut conn, user.id).await?.len() >= MAX_ENDPOINTS {
            return Err(ApiError::conflict(
                "too_many_endpoints",
                "Too many webhook endpoints",
                format!("at most {MAX_ENDPOINTS} per account; delete one first"),
            )
            .into());
        }
        let endpoint = Endpoint {
            id: Uuid::now_v7(),
            owner_id: user.id,
            url: url.to_string(),
            event_types,
            secret: format!("whsec_{}", hex::encode(rand::random::<[u8; 24]>())),
            description: description.plain(),
            consecutive_failures: 0,
            disabled_at: None,
            created_at: Utc::now(),
        };
        Endpoint::insert(&mut conn, &endpoint).await?;
        Ok(EndpointCreated::Created(Json(EndpointView::new(
            endpoint, true,
        ))))
    }

    /// Your webhook endpoints (their secrets are not shown again).
    #[oai(path = "/webhook-endpoints", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> Result<Json<EndpointList>, Problems<{ UNAUTHORIZED | UNAVAILABLE }>> {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let mut conn = state.pool.get().await?;
        let items = Endpoint::of_owner(&mut conn, user.id).await?;
        Ok(Json(EndpointList {
            items: items
                .into_iter()
                .map(|e| EndpointView::new(e, false))
                .collect(),
        }))
    }

    /// One of your webhook endpoints.
    #[oai(path = "/webhook-endpoints/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<
        Json<EndpointView>,
        Problems<{ BAD_REQUEST | UNAUTHORIZED | NOT_FOUND | UNAVAILABLE }>,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let mut conn = state.pool.get().await?;
        let endpoint = owned(&mut conn, id.0, user.id).await?;
        Ok(Json(EndpointView::new(endpoint, false)))
    }

    /// Delete one of your webhook endpoints, with its delivery history.
    #[oai(path = "/webhook-endpoints/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<Deleted, Problems<{ BAD_REQUEST | UNAUTHORIZED | NOT_FOUND | UNAVAILABLE }>> {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let mut conn = state.pool.get().await?;
        if !Endpoint::delete_owned(&mut conn, id.0, user.id).await? {
            return Err(ApiError::not_found("webhook endpoint").into());
        }
        Ok(Deleted::Gone)
    }

    /// Enable an endpoint again after it was disabled for failing; new
    /// events reach it from now on (what died meanwhile an admin can retry).
    #[oai(path = "/webhook-endpoints/:id/enable", method = "post")]
    async fn enable(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<
        Json<EndpointView>,
        Problems<{ BAD_REQUEST | UNAUTHORIZED | NOT_FOUND | UNAVAILABLE }>,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let mut conn = state.pool.get().await?;
        let endpoint = Endpoint::enable_owned(&mut conn, id.0, user.id)
            .await?
            .ok_or_else(|| ApiError::not_found("webhook endpoint"))?;
        Ok(Json(EndpointView::new(endpoint, false)))
    }

    /// An endpoint's deliveries, newest first: status, attempts, the last
    /// answer's status code.
    #[oai(path = "/webhook-endpoints/:id/deliveries", method = "get")]
    async fn deliveries(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u32>>,
        #[oai(validator(min_length = 1))] cursor: Query<Option<String>>,
    ) -> Result<
        Json<DeliveryPage>,
        Problems<{ BAD_REQUEST | UNAUTHORIZED | NOT_FOUND | UNPROCESSABLE | UNAVAILABLE }>,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let limit = page_limit(limit.0)?;
        let before = cursor.0.as_deref().map(decode_cursor::<Uuid>).transpose()?;
        let mut conn = state.pool.get().await?;
        owned(&mut conn, id.0, user.id).await?;
        let rows = deliveries::of_endpoint(&mut conn, id.0, before, i64::from(limit) + 1).await?;
        let (rows, next_cursor) = split_page(rows, limit, |(d, _)| d.id);
        Ok(Json(DeliveryPage {
            items: (rows.into_iter())
                .map(|(d, topic)| DeliveryView::new(d, Some(topic), false))
                .collect(),
            next_cursor,
        }))
    }

    /// (Admin) Deliveries that gave up, newest first.
    #[oai(path = "/admin/deliveries/dead", method = "get")]
    async fn dead(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u32>>,
        #[oai(validator(min_length = 1))] cursor: Query<Option<String>>,
    ) -> Result<
        Json<DeliveryPage>,
        Problems<{ BAD_REQUEST | UNAUTHORIZED | FORBIDDEN | UNPROCESSABLE | UNAVAILABLE }>,
    > {
        admin(&state, &auth).await?;
        let limit = page_limit(limit.0)?;
        let before = cursor.0.as_deref().map(decode_cursor::<Uuid>).transpose()?;
        let mut conn = state.pool.get().await?;
        let rows = deliveries::dead(&mut conn, before, i64::from(limit) + 1).await?;
        let (rows, next_cursor) = split_page(rows, limit, |d| d.id);
        Ok(Json(DeliveryPage {
            items: rows
                .into_iter()
                .map(|d| DeliveryView::new(d, None, true))
                .collect(),
            next_cursor,
        }))
    }

    /// (Admin) Try a dead delivery again, from its first attempt.
    #[oai(path = "/admin/deliveries/:id/retry", method = "post")]
    async fn retry(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<
        Json<DeliveryView>,
        Problems<{ BAD_REQUEST | UNAUTHORIZED | FORBIDDEN | NOT_FOUND | UNAVAILABLE }>,
    > {
        admin(&state, &auth).await?;
        let mut conn = state.pool.get().await?;
        let retried = deliveries::retry(&mut conn, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("dead delivery"))?;
        Ok(Json(DeliveryView::new(retried, None, true)))
    }
}

async fn admin(state: &AppState, auth: &BearerAuth) -> Result<(), ApiError> {
    let user = crate::auth::authenticate(state, auth).await?;
    if !is_admin(&user) {
        return Err(ApiError::forbidden(
            "only an admin may see or retry deliveries",
        ));
    }
    Ok(())
}

async fn owned(
    conn: &mut slotwise_db::AsyncPgConnection,
    id: Uuid,
    owner: Uuid,
) -> Result<Endpoint, ApiError> {
    Endpoint::find_owned(conn, id, owner)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook endpoint"))
}

/// The event types asked for, each known, none twice.
fn checked_types(asked: Vec<String>) -> Result<Vec<String>, ApiError> {
    if asked.is_empty() {
        return Err(ApiError::validation(vec![FieldError::new(
            "event_types",
            "name at least one event type (or `*`)",
        )]));
    }
    let mut types: Vec<String> = Vec::new();
    for t in asked {
        let t = t.trim().to_owned();
        if t != "*" && (!TOPICS.contains(&t.as_str()) || crate::notify::is_private(&t)) {
            let known: Vec<&str> = (TOPICS.iter().copied())
                .filter(|t| !crate::notify::is_private(t))
                .collect();
            return Err(ApiError::validation(vec![FieldError::new(
                "event_types",
                &format!("unknown event type {t:?}; known: {}", known.join(", ")),
            )]));
        }
        if !types.contains(&t) {
            types.push(t);
        }
    }
    Ok(types)
}
