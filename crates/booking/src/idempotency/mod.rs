//! Idempotent unsafe requests, in the manner of zero-to-production's
//! `idempotency/` and Stripe's recovery points, in one place:
//! - [`find`](prior): an earlier request with the caller's key, judged
//!   (replay its answer, 422 for another request, 409 while it runs);
//! - claim: the key stored with the request's first atomic phase
//!   ([`IdempotentRequest::record`], inserted in that phase's transaction);
//! - finish: the answer stored on the key (`IdempotencyRecord::finish`, in the
//!   payment core's phase 3);
//! - [`resume`]: an abandoned request finished from its
//!   recovery point, by a retry or by the completer job.

pub mod key;

pub use key::{IdempotencyKey, fingerprint};

use crate::AppState;
use crate::payments::Payable;
use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use slotwise_db::DbConn;
use slotwise_db::idempotency::{BOOKING_CREATED, FINISHED, IdempotencyRecord};
use slotwise_db::status::PayableKind;
use slotwise_web::{ApiError, Problem};
use uuid::Uuid;

/// Who is calling: keys are scoped, and unpaid holds counted, per caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: Option<Uuid>,
    /// The client's address, as `rate_limit::client_ip` reads it.
    pub ip: String,
}

impl Caller {
    /// Keys belong to their caller: the signed-in user, else the client's
    /// address, so two anonymous clients never share a key's stored answer.
    /// (Anonymous callers may only make free bookings, whose answer holds no secret.)
    pub fn scope(&self) -> String {
        match self.user_id {
            Some(id) => format!("user:{id}"),
            None => format!("anonymous:{}", self.ip),
        }
    }
}

/// The caller of an unsafe request, after its rate limit (429 past it).
pub fn caller(
    state: &AppState,
    req: &poem::Request,
    user_id: Option<Uuid>,
) -> Result<Caller, ApiError> {
    let caller = Caller {
        user_id,
        ip: crate::rate_limit::client_ip(req, state.config.trust_forwarded_for),
    };
    state.limits.booking.check(&caller.scope())?;
    Ok(caller)
}

/// One unsafe request under an `Idempotency-Key`.
#[derive(Debug, Clone)]
pub struct IdempotentRequest {
    pub scope: String,
    pub key: String,
    pub user_id: Option<Uuid>,
    pub method: &'static str,
    pub path: &'static str,
    /// What was asked, whatever its spelling (the fingerprint's input).
    pub body: serde_json::Value,
    pub fingerprint: Vec<u8>,
}

/// How far a request got when its key was stored.
pub enum RecoveryPoint {
    /// Its answer is known (and, when it made one, its payable).
    Finished {
        status: u16,
        body: serde_json::Value,
        payable_id: Option<Uuid>,
    },
    /// Its payable is stored, its payment not yet set up (leased to this request).
    Created { payable_id: Uuid },
}

impl IdempotentRequest {
    pub fn new(
        caller: &Caller,
        key: &IdempotencyKey,
        method: &'static str,
        path: &'static str,
        body: serde_json::Value,
    ) -> Self {
        Self {
            scope: caller.scope(),
            key: key.as_str().to_owned(),
            user_id: caller.user_id,
            method,
            path,
            fingerprint: fingerprint(method, path, &body),
            body,
        }
    }

    /// The `source` of the state changes this request makes.
    pub fn source(&self) -> String {
        format!("idempotency:{}/{}", self.scope, self.key)
    }

    /// The key as stored by the request's first atomic phase.
    pub fn record(
        &self,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
        point: RecoveryPoint,
        kind: Option<PayableKind>,
    ) -> IdempotencyRecord {
        let (recovery_point, locked_at, payable_id, status, body) = match point {
            RecoveryPoint::Finished {
                status,
                body,
                payable_id,
            } => (
                FINISHED,
                None,
                payable_id,
                Some(i32::from(status)),
                Some(body),
            ),
            RecoveryPoint::Created { payable_id } => {
                (BOOKING_CREATED, Some(now), Some(payable_id), None, None)
            }
        };
        IdempotencyRecord {
            scope: self.scope.clone(),
            key: self.key.clone(),
            fingerprint: self.fingerprint.clone(),
            request_method: self.method.into(),
            request_path: self.path.into(),
            request_body: self.body.clone(),
            user_id: self.user_id,
            recovery_point: recovery_point.into(),
            locked_at,
            payable_id,
            response_status: status,
            response_body: body,
            created_at: now,
            expires_at: now + ttl,
            payable_kind: payable_id.and(kind),
        }
    }
}

/// An answer stored on a key (or about to be): its status and body.
pub fn stored<V: ToJSON>(
    result: &Result<V, ApiError>,
    success: StatusCode,
) -> (u16, serde_json::Value) {
    match result {
        Ok(view) => (success.as_u16(), view.to_json().unwrap_or_default()),
        Err(err) => (
            err.problem.status,
            serde_json::to_value(&err.problem).unwrap_or_default(),
        ),
    }
}

/// An answer to give: fresh, or replayed from the key.
pub struct Answer<V> {
    pub result: Result<V, ApiError>,
    pub replayed: bool,
}

impl<V: ParseFromJSON> Answer<V> {
    /// Rebuilds an answer from a stored status and body; a replayed error
    /// carries `Idempotent-Replayed` too.
    pub fn from_stored(status: u16, body: serde_json::Value, replayed: bool) -> Self {
        let result = if (200..300).contains(&status) {
            V::parse_from_json(Some(body)).map_err(|_| ApiError::internal())
        } else {
            match serde_json::from_value::<Problem>(body) {
                Ok(problem) if replayed => {
                    Err(ApiError::from_problem(problem).with_header("idempotent-replayed", "true"))
                }
                Ok(problem) => Err(ApiError::from_problem(problem)),
                Err(_) => Err(ApiError::internal()),
            }
        };
        Self { result, replayed }
    }
}

pub fn reused_key() -> ApiError {
    ApiError::unprocessable(
        "idempotency_key_reused",
        "Idempotency key reused",
        "this Idempotency-Key was already used with a different request; use a new key",
    )
}

pub fn key_in_use() -> ApiError {
    ApiError::conflict(
        "idempotency_key_in_use",
        "Request in progress",
        "a request with this Idempotency-Key is still being processed; retry shortly",
    )
    .with_header("retry-after", "1")
}

/// What an earlier request with the same key means for this one.
pub enum Prior {
    /// None (or one past its 24 h, now forgotten): go ahead.
    Absent,
    /// Its answer, to replay.
    Answered {
        status: u16,
        body: serde_json::Value,
    },
    /// Abandoned, and now claimed by this request: finish it with
    /// [`resume`] once no connection is held.
    Abandoned(Box<IdempotencyRecord>),
}

/// Finds and judges an earlier request with this key: its answer, 422 when
/// it was another request, 409 while it may still run, or its abandoned
/// work claimed for this request to finish.
pub async fn prior(
    state: &AppState,
    conn: &mut DbConn,
    request: &IdempotentRequest,
) -> Result<Prior, ApiError> {
    let found = IdempotencyRecord::find(conn, &request.scope, &request.key).await?;
    judge(state, conn, request, found).await
}

/// [`prior`] for a key already looked up (`found`).
pub async fn judge(
    state: &AppState,
    conn: &mut DbConn,
    request: &IdempotentRequest,
    found: Option<IdempotencyRecord>,
) -> Result<Prior, ApiError> {
    let now = Utc::now();
    let Some(prior) = found else {
        return Ok(Prior::Absent);
    };
    if prior.expires_at <= now {
        IdempotencyRecord::delete_if_expired(conn, &request.scope, &request.key, now).await?;
        return Ok(Prior::Absent);
    }
    if prior.fingerprint != request.fingerprint {
        return Err(reused_key());
    }
    if let (Some(status), Some(body)) = (prior.response_status, prior.response_body.clone()) {
        return Ok(Prior::Answered {
            status: u16::try_from(status).unwrap_or(500),
            body,
        });
    }
    // Unfinished: 409 while the first request may still be working, else
    // take the key over and finish from its recovery point.
    let stale_before = now - state.config.idempotency_lease;
    if prior.locked_at.is_some_and(|at| at >= stale_before) || prior.payable_id.is_none() {
        return Err(key_in_use());
    }
    if !IdempotencyRecord::claim_stale(conn, &prior.scope, &prior.key, stale_before).await? {
        return Err(key_in_use());
    }
    Ok(Prior::Abandoned(Box::new(prior)))
}

/// Finishes a claimed, unfinished request from its recovery point: finds
/// (or makes) its PaymentIntent and stores the answer on its key. `None`
/// when its payable is gone (nothing to finish).
pub async fn resume(
    state: &AppState,
    record: &IdempotencyRecord,
) -> Result<Option<(u16, serde_json::Value)>, ApiError> {
    let payable_id = record.payable_id.ok_or_else(ApiError::internal)?;
    let payment_method = record
        .request_body
        .get("payment_method")
        .and_then(|v| v.as_str());
    let kind = record.payable_kind.ok_or_else(ApiError::internal)?;
    crate::with_payable!(kind, P => {
        resume_payable::<P>(state, record, payable_id, payment_method).await
    })
}

async fn resume_payable<P: Payable>(
    state: &AppState,
    record: &IdempotencyRecord,
    payable_id: Uuid,
    payment_method: Option<&str>,
) -> Result<Option<(u16, serde_json::Value)>, ApiError> {
    let key = {
        let mut conn = state.pool.get().await?;
        P::locate(&mut conn, payable_id).await?
    };
    let Some(key) = key else {
        return Ok(None);
    };
    let done = crate::payments::phases::complete_payment::<P>(
        state,
        &record.scope,
        &record.key,
        key,
        payment_method,
        true,
    )
    .await?;
    Ok(Some(done.stored))
}
