//! `/professionals/{id}/availability`: the windows in which a professional
//! takes bookings, changed only by the profile's owner.

use super::ApiTags;
use crate::AppState;
use crate::auth::BearerAuth;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use slotwise_db::availability::{AvailabilityWindow, RemoveOutcome};
use slotwise_db::{AsyncPgConnection, serializable};
use slotwise_web::problems::*;
use slotwise_web::{ApiError, FieldError, Problems};
use uuid::Uuid;

pub struct AvailabilityApi;

#[derive(Debug, Object)]
pub struct NewWindowRequest {
    pub start_time: DateTime<FixedOffset>,
    pub end_time: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, Object)]
pub struct WindowView {
    pub id: Uuid,
    pub professional_id: Uuid,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
}

impl From<AvailabilityWindow> for WindowView {
    fn from(w: AvailabilityWindow) -> Self {
        Self {
            id: w.id,
            professional_id: w.professional_id,
            start_time: w.start_time,
            end_time: w.end_time,
        }
    }
}

#[derive(Debug, Object)]
pub struct WindowList {
    pub items: Vec<WindowView>,
}

#[derive(ApiResponse)]
pub enum WindowCreated {
    #[oai(status = 201)]
    Created(Json<WindowView>),
}

#[derive(ApiResponse)]
pub enum WindowRemoved {
    #[oai(status = 204)]
    Removed,
}

#[OpenApi(tag = "ApiTags::Professionals")]
impl AvailabilityApi {
    /// Add an availability window `[start_time, end_time)`; windows may not overlap.
    #[oai(path = "/professionals/:id/availability", method = "post")]
    async fn add_window(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        body: Json<NewWindowRequest>,
    ) -> Result<
        WindowCreated,
        Problems<{ JSON_BODY | UNAUTHORIZED | FORBIDDEN | NOT_FOUND | CONFLICT | UNAVAILABLE }>,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let (start, end) = (
            body.start_time.with_timezone(&Utc),
            body.end_time.with_timezone(&Utc),
        );
        if end <= start || end - start > Duration::days(31) {
            return Err(ApiError::validation(vec![FieldError::new(
                "end_time",
                "must be after start_time, at most 31 days later",
            )])
            .into());
        }
        let pro = crate::api::professionals::owned_professional(&state, &user, &id).await?;
        let window = AvailabilityWindow {
            id: Uuid::now_v7(),
            professional_id: pro.id,
            start_time: start,
            end_time: end,
            created_at: Utc::now(),
        };
        let mut conn = state.pool.get().await?;
        match AvailabilityWindow::insert(&mut conn, &window).await {
            Err(e) if slotwise_db::is_exclusion_violation(&e) => Err(ApiError::conflict(
                "availability_overlap",
                "Overlapping window",
                "this window overlaps another availability window of the professional",
            )
            .into()),
            other => other
                .map(|()| WindowCreated::Created(Json(window.into())))
                .map_err(Into::into),
        }
    }

    /// Availability windows overlapping `[from, to)` (default: the next 31 days), at most 500.
    #[oai(path = "/professionals/:id/availability", method = "get")]
    async fn list_windows(
        &self,
        state: Data<&AppState>,
        id: Path<String>,
        from: Query<Option<DateTime<FixedOffset>>>,
        to: Query<Option<DateTime<FixedOffset>>>,
    ) -> Result<Json<WindowList>, Problems<{ BAD_REQUEST | NOT_FOUND | UNAVAILABLE }>> {
        let from = from
            .0
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(Utc::now);
        let to =
            to.0.map(|t| t.with_timezone(&Utc))
                .unwrap_or(from + Duration::days(31));
        if to <= from {
            return Err(
                ApiError::validation(vec![FieldError::new("to", "must be after from")]).into(),
            );
        }
        let pro = crate::api::professionals::load_professional(&state, &id).await?;
        let mut conn = state.pool.get().await?;
        let windows =
            AvailabilityWindow::list_overlapping(&mut conn, pro.id, from, to, 500).await?;
        Ok(Json(WindowList {
            items: windows.into_iter().map(Into::into).collect(),
        }))
    }

    /// Remove a window; refused (409) while an active booking lies inside it.
    #[oai(path = "/professionals/:id/availability/:window_id", method = "delete")]
    async fn remove_window(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        window_id: Path<Uuid>,
    ) -> Result<
        WindowRemoved,
        Problems<{ BAD_REQUEST | UNAUTHORIZED | FORBIDDEN | NOT_FOUND | CONFLICT | UNAVAILABLE }>,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let pro = crate::api::professionals::owned_professional(&state, &user, &id).await?;
        let mut conn = state.pool.get().await?;
        let window_id = window_id.0;
        let outcome = serializable!(conn, async |conn: &mut AsyncPgConnection| {
            AvailabilityWindow::remove(conn, pro.id, window_id).await
        })?;
        match outcome {
            RemoveOutcome::Removed => Ok(WindowRemoved::Removed),
            RemoveOutcome::NotFound => Err(ApiError::not_found("availability window").into()),
            RemoveOutcome::HasActiveBooking => Err(ApiError::conflict(
                "window_has_bookings",
                "Window has bookings",
                "an active booking lies inside this window; cancel it first",
            )
            .into()),
        }
    }
}
