//! Input that fails its checks: each field and why, which `api/` answers as
//! one 400 `validation_failed` listing them all.

use slotwise_web::FieldError;

#[derive(Debug, Clone, thiserror::Error)]
#[error("the request is not valid")]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    /// `Ok` when nothing was found wrong.
    pub fn check(errors: Vec<FieldError>) -> Result<(), Invalid> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Invalid(errors))
        }
    }
}
