//! `/professionals`: profiles and availability windows, changed only by their owner.

use super::ApiTags;
use crate::AppState;
use crate::auth::{BearerAuth, is_admin};
use chrono::{DateTime, Duration, FixedOffset, SubsecRound, Utc};
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use slotwise_db::availability::{AvailabilityWindow, RemoveOutcome};
use slotwise_db::professionals::{Professional, ProfessionalChanges, ProfessionalRef};
use slotwise_db::users::User;
use slotwise_db::{AsyncPgConnection, serializable};
use slotwise_web::problems::*;
use slotwise_web::views::{Location, ProfessionalView};
use slotwise_web::{ApiError, FieldError, Problems};
use uuid::Uuid;

pub struct ProfessionalsApi;

#[derive(Debug, Object)]
pub struct NewProfessionalRequest {
    /// Unique, human-readable handle: 2..=64 of `a-z`, `0-9`, `-`.
    pub slug: String,
    pub name: String,
    pub category: String,
    pub description: Option<String>,
    /// Cents (minor units) per minute; 0 makes bookings free.
    pub rate_per_minute: i64,
    /// ISO currency, lower case; defaults to `usd`.
    pub currency: Option<String>,
    pub location: Location,
    pub service_radius_km: Option<f64>,
    /// IANA time zone; defaults to `UTC`.
    pub timezone: Option<String>,
}

#[derive(Debug, Object)]
pub struct ProfessionalPatch {
    pub name: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
    pub rate_per_minute: Option<i64>,
    pub currency: Option<String>,
    pub location: Option<Location>,
    pub service_radius_km: Option<f64>,
    pub timezone: Option<String>,
}

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
pub enum ProfessionalCreated {
    #[oai(status = 201)]
    Created(Json<ProfessionalView>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
pub enum ProfessionalFound {
    #[oai(status = 200)]
    Ok(Json<ProfessionalView>, #[oai(header = "ETag")] String),
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

fn etag(p: &ProfessionalView) -> String {
    format!("\"{}\"", p.version)
}

fn field(field: &str, message: &str) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

fn check_location(location: &Location, errors: &mut Vec<FieldError>) {
    if !(-90.0..=90.0).contains(&location.lat) {
        errors.push(field("location.lat", "must be between -90 and 90"));
    }
    if !(-180.0..=180.0).contains(&location.long) {
        errors.push(field("location.long", "must be between -180 and 180"));
    }
}

fn check_text(name: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    if value.trim().is_empty() || value.chars().count() > max {
        errors.push(field(name, &format!("must be 1 to {max} characters")));
    }
}

fn check_common(
    rate: Option<i64>,
    currency: Option<&str>,
    radius: Option<f64>,
    timezone: Option<&str>,
    errors: &mut Vec<FieldError>,
) {
    if rate.is_some_and(|r| !(0..=1_000_000).contains(&r)) {
        errors.push(field(
            "rate_per_minute",
            "must be between 0 and 1000000 cents",
        ));
    }
    if currency.is_some_and(|c| !crate::payments::stripe::is_supported_currency(c)) {
        errors.push(field(
            "currency",
            "must be a lower-case ISO 4217 code that Stripe supports, e.g. usd",
        ));
    }
    if radius.is_some_and(|r| !(r > 0.0 && r <= 20_000.0)) {
        errors.push(field(
            "service_radius_km",
            "must be above 0 and at most 20000",
        ));
    }
    if timezone.is_some_and(|t| t.is_empty() || t.len() > 64 || t.contains(char::is_whitespace)) {
        errors.push(field(
            "timezone",
            "must be an IANA time zone name, e.g. Africa/Accra",
        ));
    }
}

fn validate_new(req: &NewProfessionalRequest) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let slug_ok = (2..=64).contains(&req.slug.len())
        && req
            .slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && Uuid::parse_str(&req.slug).is_err();
    if !slug_ok {
        errors.push(field("slug", "must be 2 to 64 of a-z, 0-9 and -"));
    }
    check_text("name", &req.name, 200, &mut errors);
    check_text("category", &req.category, 100, &mut errors);
    check_location(&req.location, &mut errors);
    check_common(
        Some(req.rate_per_minute),
        req.currency.as_deref(),
        req.service_radius_km,
        req.timezone.as_deref(),
        &mut errors,
    );
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

fn validate_patch(req: &ProfessionalPatch) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if let Some(name) = &req.name {
        check_text("name", name, 200, &mut errors);
    }
    if let Some(category) = &req.category {
        check_text("category", category, 100, &mut errors);
    }
    if let Some(location) = &req.location {
        check_location(location, &mut errors);
    }
    check_common(
        req.rate_per_minute,
        req.currency.as_deref(),
        req.service_radius_km,
        req.timezone.as_deref(),
        &mut errors,
    );
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// `If-Match: 3` or `If-Match: "3"`.
fn parse_if_match(value: Option<&str>) -> Result<i64, ApiError> {
    let raw = value.ok_or_else(|| {
        ApiError::new(
            poem::http::StatusCode::PRECONDITION_REQUIRED,
            "if_match_required",
            "If-Match required",
            "send `If-Match: <version>` with the version you read",
        )
    })?;
    raw.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map_err(|_| {
            ApiError::bad_request(
                "if_match_invalid",
                "If-Match must be the profile's version number",
            )
        })
}

impl AppState {
    async fn load_professional(&self, id: &str) -> Result<Professional, ApiError> {
        let mut conn = self.pool.get().await?;
        Professional::find(&mut conn, &ProfessionalRef::parse(id))
            .await?
            .ok_or_else(|| ApiError::not_found("professional"))
    }

    /// The professional, if `user` may change it.
    async fn owned_professional(&self, user: &User, id: &str) -> Result<Professional, ApiError> {
        let pro = self.load_professional(id).await?;
        if pro.owner_id == user.id || is_admin(user) {
            Ok(pro)
        } else {
            Err(ApiError::forbidden(
                "only the owner of this professional profile may change it",
            ))
        }
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
        let user = state.authenticate(&auth).await?;
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
            slug: req.slug,
            owner_id: user.id,
            name: req.name.trim().to_owned(),
            category: req.category.trim().to_owned(),
            description: req.description.unwrap_or_default(),
            rate_per_minute: req.rate_per_minute,
            currency: req.currency.unwrap_or_else(|| "usd".to_owned()),
            lat: req.location.lat,
            long: req.location.long,
            service_radius_km: req.service_radius_km,
            timezone: req.timezone.unwrap_or_else(|| "UTC".to_owned()),
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
        let view = ProfessionalView::from(state.load_professional(&id).await?);
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
        let user = state.authenticate(&auth).await?;
        let version = parse_if_match(if_match.as_deref())?;
        validate_patch(&body)?;
        let pro = state.owned_professional(&user, &id).await?;
        let req = body.0;
        let changes = ProfessionalChanges {
            name: req.name.map(|s| s.trim().to_owned()),
            category: req.category.map(|s| s.trim().to_owned()),
            description: req.description,
            rate_per_minute: req.rate_per_minute,
            currency: req.currency,
            lat: req.location.map(|l| l.lat),
            long: req.location.map(|l| l.long),
            service_radius_km: req.service_radius_km.map(Some),
            timezone: req.timezone,
        };
        let mut conn = state.pool.get().await?;
        let updated = Professional::update_if_version(&mut conn, pro.id, version, &changes)
            .await?
            .ok_or_else(|| {
                ApiError::new(
                    poem::http::StatusCode::PRECONDITION_FAILED,
                    "version_mismatch",
                    "Stale version",
                    format!("the profile changed since version {version}; read it again"),
                )
            })?;
        let view = ProfessionalView::from(updated);
        let tag = etag(&view);
        Ok(ProfessionalFound::Ok(Json(view), tag))
    }

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
        let user = state.authenticate(&auth).await?;
        let (start, end) = (
            body.start_time.with_timezone(&Utc),
            body.end_time.with_timezone(&Utc),
        );
        if end <= start || end - start > Duration::days(31) {
            return Err(ApiError::validation(vec![field(
                "end_time",
                "must be after start_time, at most 31 days later",
            )])
            .into());
        }
        let pro = state.owned_professional(&user, &id).await?;
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
            return Err(ApiError::validation(vec![field("to", "must be after from")]).into());
        }
        let pro = state.load_professional(&id).await?;
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
        Problems<{ UNAUTHORIZED | FORBIDDEN | NOT_FOUND | CONFLICT | UNAVAILABLE }>,
    > {
        let user = state.authenticate(&auth).await?;
        let pro = state.owned_professional(&user, &id).await?;
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
