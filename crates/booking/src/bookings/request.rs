//! A booking request as the client sent it, checked before any database work.

use super::error::BookingError;
use chrono::{DateTime, Duration, Utc};
use slotwise_web::FieldError;

pub const MIN_MINUTES: i64 = 5;
pub const MAX_MINUTES: i64 = 480;

/// A validated booking request.
#[derive(Debug, Clone)]
pub struct SlotRequest {
    pub professional: String,
    pub start: DateTime<Utc>,
    pub duration_minutes: i64,
    /// Optional Stripe PaymentMethod to charge at once (e.g. `pm_card_visa`).
    pub payment_method: Option<String>,
}

impl SlotRequest {
    /// The body as the fingerprint sees it: what was asked, whatever its spelling.
    pub(super) fn canonical(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "professional_id": self.professional,
            "start_time": self.start.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            "duration_minutes": self.duration_minutes,
        });
        if let Some(pm) = &self.payment_method {
            body["payment_method"] = serde_json::Value::from(pm.clone());
        }
        body
    }

    pub(super) fn end(&self) -> DateTime<Utc> {
        self.start + Duration::minutes(self.duration_minutes)
    }

    /// Input checks that need no database; failures are not stored on the key.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), BookingError> {
        let mut errors = Vec::new();
        if !(MIN_MINUTES..=MAX_MINUTES).contains(&self.duration_minutes) {
            errors.push(FieldError {
                field: "duration_minutes".into(),
                message: format!("must be between {MIN_MINUTES} and {MAX_MINUTES}"),
            });
        }
        if self.start <= now {
            errors.push(FieldError {
                field: "start_time".into(),
                message: "must be in the future".into(),
            });
        }
        let has_control = |s: &str| s.chars().any(char::is_control);
        if has_control(&self.professional) {
            errors.push(FieldError {
                field: "professional_id".into(),
                message: "must not contain control characters".into(),
            });
        }
        if self.payment_method.as_deref().is_some_and(has_control) {
            errors.push(FieldError {
                field: "payment_method".into(),
                message: "must not contain control characters".into(),
            });
        }
        if self.professional.trim().is_empty() {
            errors.push(FieldError {
                field: "professional_id".into(),
                message: "must not be empty".into(),
            });
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(BookingError::Invalid(errors))
        }
    }
}
