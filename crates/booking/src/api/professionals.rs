//! `/professionals`: profiles and availability windows, changed only by their owner.

use super::ApiTags;
use super::professional_input::{parse_if_match, stale_version, validate_new, validate_patch};
use crate::AppState;
use crate::auth::{BearerAuth, is_admin};
use chrono::{SubsecRound, Utc};
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use slotwise_db::professionals::{Professional, ProfessionalChanges, ProfessionalRef};
use slotwise_db::users::User;
use slotwise_web::Plain;
use slotwise_web::Text;
use slotwise_web::problems::*;
use slotwise_web::views::{Location, ProfessionalView};
use slotwise_web::{ApiError, Problems};
use uuid::Uuid;

pub struct ProfessionalsApi;

#[derive(Debug, Object)]
pub struct NewProfessionalRequest {
    /// Unique, human-readable handle: 2..=64 of `a-z`, `0-9`, `-`.
    pub slug: Text,
    pub name: Text,
    pub category: Text,
    pub description: Option<Text>,
    /// Cents (minor units) per minute; 0 makes bookings free.
    pub rate_per_minute: i64,
    /// ISO currency, lower case; defaults to `usd`.
    pub currency: Option<Text>,
    pub location: Location,
    pub service_radius_km: Option<f64>,
    /// IANA time zone; defaults to `UTC`.
    pub timezone: Option<Text>,
}

#[derive(Debug, Object)]
pub struct ProfessionalPatch {
    pub name: Option<Text>,
    pub category: Option<Text>,
    pub description: Option<Text>,
    pub rate_per_minute: Option<i64>,
    pub currency: Option<Text>,
    pub location: Option<Location>,
    pub service_radius_km: Option<f64>,
    pub timezone: Option<Text>,
}

#[derive(ApiResponse)]
pub enum ProfessionalCreated {
    #[oai(status = 201)]
    Created(Json<ProfessionalView>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
pub enum ProfessionalFound {
    #[oai(status = 200)]
    Ok(Json<ProfessionalView>, #[oai(header = "ETag")] String),
}

fn etag(p: &ProfessionalView) -> String {
    format!("\"{}\"", p.version)
}

pub(super) async fn load_professional(
    state: &AppState,
    id: &str,
) -> Result<Professional, ApiError> {
    let mut conn = state.pool.get().await?;
    Professional::find(&mut conn, &ProfessionalRef::parse(id))
        .await?
        .ok_or_else(|| ApiError::not_found("professional"))
}

/// The professional, if `user` may change it.
pub(super) async fn owned_professional(
    state: &AppState,
    user: &User,
    id: &str,
) -> Result<Professional, ApiError> {
    let pro = load_professional(state, id).await?;
    if pro.owner_id == user.id || is_admin(user) {
        Ok(pro)
    } else {
        Err(ApiError::forbidden(
            "only the owner of this professional profile may change it",
        ))
    }
}

#[OpenApi(tag = "ApiTags::Professionals")]
impl ProfessionalsApi {
    /// Create a professional profile (professional or admin accounts).
    #[oai(path = "/professionals", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<NewProfessionalRequest>,
    ) -> Result<
        ProfessionalCreated,
        Problems<{ JSON_BODY | UNAUTHORIZED | FORBIDDEN | CONFLICT | UNAVAILABLE }>,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        if user.role != "professional" && !is_admin(&user) {
            return Err(ApiError::forbidden(
                "only professional accounts can create a professional profile",
            )
            .into());
        }
        validate_new(&body)?;
        let now = Utc::now().trunc_subsecs(6);
        let req = body.0;
        let pro = Professional {
            id: Uuid::now_v7(),
            slug: req.slug.plain(),
            owner_id: user.id,
            name: req.name.trim().to_owned(),
            category: req.category.trim().to_owned(),
            description: req.description.unwrap_or_default().plain(),
            rate_per_minute: req.rate_per_minute,
            currency: req.currency.map_or_else(|| "usd".to_owned(), Plain::plain),
            lat: req.location.lat,
            long: req.location.long,
            service_radius_km: req.service_radius_km,
            timezone: req.timezone.map_or_else(|| "UTC".to_owned(), Plain::plain),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let mut conn = state.pool.get().await?;
        match Professional::insert(&mut conn, &pro).await {
            Err(e) if slotwise_db::is_unique_violation(&e) => {
                return Err(ApiError::conflict(
                    "slug_taken",
                    "Slug taken",
                    "another professional has this slug",
                )
                .into());
            }
            other => other?,
        }
        let view = ProfessionalView::from(pro);
        let tag = etag(&view);
        Ok(ProfessionalCreated::Created(Json(view), tag))
    }

    /// A professional by id or slug.
    #[oai(path = "/professionals/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        id: Path<String>,
    ) -> Result<ProfessionalFound, Problems<{ NOT_FOUND | UNAVAILABLE }>> {
        let view = ProfessionalView::from(load_professional(&state, &id).await?);
        let tag = etag(&view);
        Ok(ProfessionalFound::Ok(Json(view), tag))
    }

    /// Change a profile; `If-Match` must carry the current version (stale: 412).
    #[oai(path = "/professionals/:id", method = "patch")]
    async fn patch(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<ProfessionalPatch>,
    ) -> Result<
        ProfessionalFound,
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
        let version = parse_if_match(if_match.as_deref())?;
        validate_patch(&body)?;
        let pro = owned_professional(&state, &user, &id).await?;
        let req = body.0;
        let changes = ProfessionalChanges {
            name: req.name.map(|s| s.trim().to_owned()),
            category: req.category.map(|s| s.trim().to_owned()),
            description: req.description.plain(),
            rate_per_minute: req.rate_per_minute,
            currency: req.currency.plain(),
            lat: req.location.map(|l| l.lat),
            long: req.location.map(|l| l.long),
            service_radius_km: req.service_radius_km.map(Some),
            timezone: req.timezone.plain(),
        };
        let mut conn = state.pool.get().await?;
        let updated = Professional::update_if_version(&mut conn, pro.id, version, &changes)
            .await?
            .ok_or_else(|| stale_version("profile", version))?;
        let view = ProfessionalView::from(updated);
        let tag = etag(&view);
        Ok(ProfessionalFound::Ok(Json(view), tag))
    }
}
