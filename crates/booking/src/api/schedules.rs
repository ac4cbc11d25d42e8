//! `/professionals/{id}/schedule`: weekly hours in the professional's own
//! time zone, changed by the profile's owner with `If-Match`.

use super::ApiTags;
use super::professional_input::{if_match_required, parse_if_match, stale_version};
use crate::AppState;
use crate::auth::BearerAuth;
use crate::schedules::{self, Saved, ScheduleRequest, ScheduleView};
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use slotwise_db::schedules::Schedule;
use slotwise_web::problems::*;
use slotwise_web::{ApiError, Problems};

pub struct SchedulesApi;

#[derive(ApiResponse)]
pub enum ScheduleFound {
    /// `ETag` is its version, for `If-Match`.
    #[oai(status = 200)]
    Ok(Json<ScheduleView>, #[oai(header = "ETag")] String),
}

fn etag(v: &ScheduleView) -> String {
    format!("\"{}\"", v.version)
}

#[OpenApi(tag = "ApiTags::Professionals")]
impl SchedulesApi {
    /// Set the weekly schedule: hours per weekday in an IANA time zone, date
    /// exceptions, buffers and notice. Slots open from today to
    /// `max_advance_days` ahead, correct across daylight saving; one-off
    /// windows stay, and where they overlap the schedule they win. The first
    /// schedule needs no `If-Match`; a change sends the version it read (stale: 412).
    #[oai(path = "/professionals/:id/schedule", method = "put")]
    async fn put(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<ScheduleRequest>,
    ) -> Result<
        ScheduleFound,
        Problems<
            {
                JSON_BODY
                    | UNAUTHORIZED
                    | FORBIDDEN
                    | NOT_FOUND
                    | PRECONDITION_FAILED
                    | PRECONDITION_REQUIRED
                    | UNAVAILABLE
            },
        >,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let week = schedules::parse(&body).map_err(ApiError::validation)?;
        let pro = crate::api::professionals::owned_professional(&state, &user, &id).await?;
        // Optional here: the first schedule has no version to name.
        let expected = if_match
            .0
            .as_deref()
            .map(|v| parse_if_match(Some(v)))
            .transpose()?;
        match schedules::save(&state.pool, pro.id, &body, &week, expected).await? {
            Saved::Saved(s) => {
                let view = ScheduleView::from(s);
                let tag = etag(&view);
                Ok(ScheduleFound::Ok(Json(view), tag))
            }
            // There is a schedule, and the request did not say which version it changes.
            Saved::Stale(Some(_)) if expected.is_none() => Err(if_match_required().into()),
            Saved::Stale(_) => Err(stale_version("schedule", expected.unwrap_or(0)).into()),
        }
    }

    /// The weekly schedule. A professional without one has an empty week,
    /// version 0 (ETag `"0"`), which `PUT` with `If-Match: "0"` replaces.
    #[oai(path = "/professionals/:id/schedule", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        id: Path<String>,
    ) -> Result<ScheduleFound, Problems<{ NOT_FOUND | UNAVAILABLE }>> {
        let pro = crate::api::professionals::load_professional(&state, &id).await?;
        let mut conn = state.pool.get().await?;
        let view = match Schedule::find(&mut conn, pro.id).await? {
            Some(schedule) => ScheduleView::from(schedule),
            None => ScheduleView::empty(pro.id, &pro.timezone, pro.created_at),
        };
        let tag = etag(&view);
        Ok(ScheduleFound::Ok(Json(view), tag))
    }
}
