//! The search's query parameters, checked together so every problem is
//! reported at once, into the database's `SearchQuery`.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use poem_openapi::Enum;
use slotwise_db::search::{Point, SearchCursor, SearchQuery, SearchSort};
use slotwise_web::pagination::{decode_cursor, page_limit};
use slotwise_web::{ApiError, FieldError};

pub const DEFAULT_RADIUS_KM: f64 = 25.0;
pub const MAX_RADIUS_KM: f64 = 500.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum SortBy {
    /// Nearest first (the default).
    Distance,
    /// Cheapest first, then nearest.
    Price,
    /// Quickest to arrive first (same order as distance for one travel mode).
    TravelTime,
}

/// Every query parameter of the search, checked together so all problems are reported at once.
#[allow(clippy::too_many_arguments)]
pub fn build_query(
    lat: Option<f64>,
    long: Option<f64>,
    radius_km: Option<f64>,
    category: Option<String>,
    max_rate: Option<i64>,
    available_at: Option<DateTime<FixedOffset>>,
    duration_minutes: Option<i64>,
    sort: Option<SortBy>,
    limit: Option<u32>,
    cursor: Option<&str>,
) -> Result<SearchQuery, ApiError> {
    let mut errors = Vec::new();
    let near = match (lat, long) {
        (Some(lat), Some(long)) => {
            if !(-90.0..=90.0).contains(&lat) {
                errors.push(FieldError::new("lat", "must be between -90 and 90"));
            }
            if !(-180.0..=180.0).contains(&long) {
                errors.push(FieldError::new("long", "must be between -180 and 180"));
            }
            let radius = radius_km.unwrap_or(DEFAULT_RADIUS_KM);
            if !(radius > 0.0 && radius <= MAX_RADIUS_KM) {
                errors.push(FieldError::new(
                    "location_radius_km",
                    "must be above 0 and at most 500",
                ));
            }
            Some((Point { lat, long }, radius))
        }
        (None, None) => None,
        _ => {
            errors.push(FieldError::new("lat", "lat and long go together"));
            None
        }
    };
    if max_rate.is_some_and(|r| r < 0) {
        errors.push(FieldError::new("rate_per_minute", "must not be negative"));
    }
    let duration = duration_minutes.unwrap_or(60);
    if !(5..=480).contains(&duration) {
        errors.push(FieldError::new(
            "duration_minutes",
            "must be between 5 and 480",
        ));
    }
    let limit = page_limit(limit);
    if let Err(e) = &limit {
        errors.extend(e.problem.errors.clone());
    }
    let after = match cursor.map(decode_cursor::<SearchCursor>).transpose() {
        Ok(after) => after,
        Err(e) => {
            errors.extend(e.problem.errors);
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let free_during = available_at.map(|start| {
        let start = start.with_timezone(&Utc);
        (start, start + Duration::minutes(duration))
    });
    Ok(SearchQuery {
        near,
        category: category.filter(|c| !c.is_empty()),
        max_rate_per_minute: max_rate,
        free_during,
        sort: match sort.unwrap_or(SortBy::Distance) {
            SortBy::Price => SearchSort::Price,
            SortBy::Distance | SortBy::TravelTime => SearchSort::Distance,
        },
        after,
        limit: i64::from(limit.unwrap_or(20)),
    })
}
