//! What a professional's profile input must be: field checks for create and
//! patch, and the `If-Match` version.

use super::professionals::{NewProfessionalRequest, ProfessionalPatch};
use slotwise_web::views::Location;
use slotwise_web::{ApiError, FieldError};
use uuid::Uuid;

pub(crate) fn check_location(prefix: &str, location: &Location, errors: &mut Vec<FieldError>) {
    if !(-90.0..=90.0).contains(&location.lat) {
        errors.push(FieldError::new(
            &format!("{prefix}.lat"),
            "must be between -90 and 90",
        ));
    }
    if !(-180.0..=180.0).contains(&location.long) {
        errors.push(FieldError::new(
            &format!("{prefix}.long"),
            "must be between -180 and 180",
        ));
    }
}

pub(crate) fn check_text(name: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    if value.trim().is_empty() || value.chars().count() > max {
        errors.push(FieldError::new(
            name,
            &format!("must be 1 to {max} characters"),
        ));
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
        errors.push(FieldError::new(
            "rate_per_minute",
            "must be between 0 and 1000000 cents",
        ));
    }
    if currency.is_some_and(|c| !crate::stripe::is_supported_currency(c)) {
        errors.push(FieldError::new(
            "currency",
            "must be a lower-case ISO 4217 code that Stripe supports, e.g. usd",
        ));
    }
    if radius.is_some_and(|r| !(r > 0.0 && r <= 20_000.0)) {
        errors.push(FieldError::new(
            "service_radius_km",
            "must be above 0 and at most 20000",
        ));
    }
    if timezone.is_some_and(|t| t.is_empty() || t.len() > 64 || t.contains(char::is_whitespace)) {
        errors.push(FieldError::new(
            "timezone",
            "must be an IANA time zone name, e.g. Africa/Accra",
        ));
    }
}

pub(super) fn validate_new(req: &NewProfessionalRequest) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let slug_ok = (2..=64).contains(&req.slug.len())
        && req
            .slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && Uuid::parse_str(&req.slug).is_err();
    if !slug_ok {
        errors.push(FieldError::new("slug", "must be 2 to 64 of a-z, 0-9 and -"));
    }
    check_text("name", &req.name, 200, &mut errors);
    check_text("category", &req.category, 100, &mut errors);
    check_location("location", &req.location, &mut errors);
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

pub(super) fn validate_patch(req: &ProfessionalPatch) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if let Some(name) = &req.name {
        check_text("name", name, 200, &mut errors);
    }
    if let Some(category) = &req.category {
        check_text("category", category, 100, &mut errors);
    }
    if let Some(location) = &req.location {
        check_location("location", location, &mut errors);
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

/// 412 for a change sent with a `version` that is no longer `what`'s.
pub(crate) fn stale_version(what: &str, version: i64) -> ApiError {
    ApiError::new(
        poem::http::StatusCode::PRECONDITION_FAILED,
        "version_mismatch",
        "Stale version",
        format!("the {what} changed since version {version}; read it again"),
    )
}

/// 428: a change of something versioned came without `If-Match`.
pub(crate) fn if_match_required() -> ApiError {
    ApiError::new(
        poem::http::StatusCode::PRECONDITION_REQUIRED,
        "if_match_required",
        "If-Match required",
        "send `If-Match: <version>` with the version you read",
    )
}

/// `If-Match: 3` or `If-Match: "3"`.
pub(crate) fn parse_if_match(value: Option<&str>) -> Result<i64, ApiError> {
    let raw = value.ok_or_else(if_match_required)?;
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
