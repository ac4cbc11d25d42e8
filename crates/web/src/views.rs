//! API shapes that both services return.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use slotwise_db::professionals::Professional;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Object)]
pub struct Location {
    /// Latitude in degrees, -90..=90.
    pub lat: f64,
    /// Longitude in degrees, -180..=180.
    pub long: f64,
}

/// A professional as clients see it.
#[derive(Debug, Clone, Object)]
pub struct ProfessionalView {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub category: String,
    pub description: String,
    /// Price per minute in minor units of `currency`.
    pub rate_per_minute: i64,
    pub currency: String,
    pub location: Location,
    /// How far the professional travels; absent when they go anywhere.
    #[oai(skip_serializing_if_is_none)]
    pub service_radius_km: Option<f64>,
    /// IANA time zone, e.g. `Africa/Accra`.
    pub timezone: String,
    /// Send it back in `If-Match` to change the profile.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Professional> for ProfessionalView {
    fn from(p: Professional) -> Self {
        Self {
            id: p.id,
            slug: p.slug,
            name: p.name,
            category: p.category,
            description: p.description,
            rate_per_minute: p.rate_per_minute,
            currency: p.currency,
            location: Location {
                lat: p.lat,
                long: p.long,
            },
            service_radius_km: p.service_radius_km,
            timezone: p.timezone,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}
