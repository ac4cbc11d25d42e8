//! Door check-in: the organizer's scanner devices, the scans they send (one
//! at a time, or a batch made offline), the list they verify codes against
//! offline, and the organizer's live counts and conflicts.

use super::ApiTags;
use crate::AppState;
use crate::auth::BearerAuth;
use crate::checkin::devices::{self, ScannerView};
use crate::checkin::list::{CheckinCounts, CheckinList, CheckinView};
use crate::checkin::{self, Direction, Scan, ScanAnswer};
use chrono::{DateTime, FixedOffset, SubsecRound, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use slotwise_db::checkins::Scanner;
use slotwise_db::events::Event;
use slotwise_web::Plain;
use slotwise_web::Text;
use slotwise_web::problems::*;
use slotwise_web::{ApiError, FieldError, Problems};
use uuid::Uuid;

pub struct CheckinsApi;

#[derive(Debug, Clone, Object)]
pub struct NewScanner {
    /// What the door calls it, e.g. `North door 1` (1..=80 characters).
    #[oai(validator(min_length = 1, max_length = 80))]
    pub name: Text,
}

#[derive(Debug, Clone, Object)]
pub struct Scanners {
    pub items: Vec<ScannerView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum DirectionParam {
    In,
    Out,
}

/// One scan.
#[derive(Debug, Clone, Object)]
pub struct ScanRequest {
    /// The scanned text: the ticket's code (135 characters), as the camera or
    /// a USB scanner read it.
    #[oai(validator(min_length = 1, max_length = 1000))]
    pub code: Text,
    /// The device's own id of this scan: sending it again (a retry) gets the
    /// same answer and records nothing new.
    #[oai(validator(min_length = 1, max_length = 100))]
    pub scan_id: Text,
    /// `in` (default) or `out` (a check-out, on events with re-entry).
    pub direction: Option<DirectionParam>,
    /// When the device scanned it (RFC 3339): required in a batch (a time
    /// before the device was created is refused per scan); online, the
    /// server's clock decides and this is ignored.
    pub scanned_at: Option<DateTime<FixedOffset>>,
}

/// Scans a device decided offline, uploaded once the network is back.
#[derive(Debug, Clone, Object)]
pub struct ScanBatch {
    /// 1..=200 scans, each with its `scanned_at` (200 signed codes with
    /// their ids and times fit the 64 KiB body limit; 500 did not).
    #[oai(validator(min_items = 1, max_items = 200))]
    pub scans: Vec<ScanRequest>,
}

#[derive(Debug, Clone, Object)]
pub struct BatchAnswers {
    /// One answer per scan, in order.
    pub answers: Vec<ScanAnswer>,
}

#[derive(Debug, Clone, Object)]
pub struct Checkins {
    /// Newest first, at most 200.
    pub items: Vec<CheckinView>,
}

/// A scan as the domain takes it, or what is wrong with it.
fn scan_of(
    req: &ScanRequest,
    offline: bool,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Scan> {
    // Microseconds, as the database keeps times: an answer says what is stored.
    let now = Utc::now().trunc_subsecs(6);
    // Device clocks drift: online, the server's decides.
    let scanned_at = match req.scanned_at {
        Some(at) if offline => at.with_timezone(&Utc).trunc_subsecs(6).min(now),
        None if offline => {
            errors.push(FieldError::new(
                &format!("{field}scanned_at"),
                "required for a scan made offline",
            ));
            return None;
        }
        _ => now,
    };
    Some(Scan {
        scan_id: req.scan_id.clone().plain(),
        code: req.code.clone().plain(),
        direction: match req.direction {
            Some(DirectionParam::Out) => Direction::Out,
            _ => Direction::In,
        },
        scanned_at,
        offline,
    })
}

/// The event and the device whose token the caller sent (401 for any
/// other token: a session, another event's device, a revoked one).
async fn device(
    state: &AppState,
    auth: &BearerAuth,
    id: &str,
) -> Result<(Event, Scanner), ApiError> {
    let event = crate::events::event(state, id).await?;
    match devices::device(state, event.id, &auth.0.token).await? {
        Some(scanner) => Ok((event, scanner)),
        None => Err(ApiError::unauthorized(
            "send the token of one of this event's scanner devices",
        )),
    }
}

/// The organizer's event (a session of its organizer), and the organizer.
async fn organized_by(
    state: &AppState,
    auth: &BearerAuth,
    id: &str,
) -> Result<(Event, Uuid), ApiError> {
    let user = crate::auth::authenticate(state, auth).await?;
    Ok((
        crate::events::organized_event(state, id, user.id).await?,
        user.id,
    ))
}

/// The event `id`, when the signed-in caller organizes it.
pub(super) async fn organized(
    state: &AppState,
    auth: &BearerAuth,
    id: &str,
) -> Result<Event, ApiError> {
    Ok(organized_by(state, auth, id).await?.0)
}

#[derive(poem_openapi::ApiResponse)]
pub enum ScannerCreated {
    /// Created; `token` is in this answer only.
    #[oai(status = 201)]
    Created(Json<ScannerView>),
}

/// A single scan's answer: 200 with it, or the refusal as a problem.
fn answered(answer: ScanAnswer) -> Result<Json<ScanAnswer>, ApiError> {
    if answer.is_success() {
        return Ok(Json(answer));
    }
    let status = poem::http::StatusCode::from_u16(answer.status)
        .unwrap_or(poem::http::StatusCode::UNPROCESSABLE_ENTITY);
    let title = match answer.status {
        409 => "Not admitted",
        410 => "Ticket no longer valid",
        400 => "Not a ticket code",
        _ => "Not admitted",
    };
    Err(ApiError::new(status, &answer.code, title, answer.detail).with_checkin(answer.facts))
}

#[OpenApi(tag = "ApiTags::Events")]
impl CheckinsApi {
    /// Create a scanner device for the event (its organizer). The answer's
    /// `token` is shown this once: the device sends it as its bearer token,
    /// and it does nothing but check in this event's tickets.
    #[oai(path = "/events/:id/scanners", method = "post")]
    async fn create_scanner(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        body: Json<NewScanner>,
    ) -> Result<
        ScannerCreated,
        Problems<{ JSON_BODY | UNAUTHORIZED | FORBIDDEN | NOT_FOUND | UNAVAILABLE }>,
    > {
        let (event, organizer) = organized_by(&state, &auth, &id).await?;
        let name = body.0.name.trim();
        if name.is_empty() {
            let blank = FieldError::new("name", "must not be blank");
            return Err(ApiError::validation(vec![blank]).into());
        }
        let created = devices::create(&state, event.id, organizer, name).await?;
        Ok(ScannerCreated::Created(Json(created)))
    }

    /// The event's scanner devices, revoked ones too (the organizer).
    #[oai(path = "/events/:id/scanners", method = "get")]
    async fn scanners(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
    ) -> Result<Json<Scanners>, Problems<{ UNAUTHORIZED | FORBIDDEN | NOT_FOUND | UNAVAILABLE }>>
    {
        let event = organized(&state, &auth, &id).await?;
        let mut conn = state.pool.get().await?;
        let items = Scanner::of_event(&mut conn, event.id).await?;
        Ok(Json(Scanners {
            items: items.into_iter().map(Into::into).collect(),
        }))
    }

    /// Revoke a scanner device (the organizer): its token stops working at
    /// once; its scans stay recorded. Revoking again answers the same.
    #[oai(path = "/events/:id/scanners/:scanner_id", method = "delete")]
    async fn revoke_scanner(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        scanner_id: Path<Uuid>,
    ) -> Result<
        Json<ScannerView>,
        Problems<{ BAD_REQUEST | UNAUTHORIZED | FORBIDDEN | NOT_FOUND | UNAVAILABLE }>,
    > {
        let event = organized(&state, &auth, &id).await?;
        let mut conn = state.pool.get().await?;
        let revoked = Scanner::revoke(&mut conn, event.id, scanner_id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("scanner"))?;
        Ok(Json(revoked.into()))
    }

    /// Check a ticket in (or out) at the door: a scanner device of this
    /// event. 200 `admitted` with tier, seat and holder's name; 409
    /// `already_checked_in` with when and by which device; 410 `ticket_void`
    /// with why (`moved`, `refunded`, `revoked`, `event_cancelled`); 422
    /// `wrong_event` or `forged_code`; 400 `invalid_code`. The same
    /// `scan_id` again gets the same answer.
    #[oai(path = "/events/:id/checkins", method = "post")]
    async fn check_in(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        body: Json<ScanRequest>,
    ) -> Result<
        Json<ScanAnswer>,
        Problems<
            {
                JSON_BODY | UNAUTHORIZED | NOT_FOUND | CONFLICT | GONE | UNPROCESSABLE | UNAVAILABLE
            },
        >,
    > {
        let (event, scanner) = device(&state, &auth, &id).await?;
        let mut errors = Vec::new();
        let Some(scan) = scan_of(&body.0, false, "", &mut errors) else {
            return Err(ApiError::validation(errors).into());
        };
        let answer = checkin::scan(&state, &event, &scanner, &scan).await?;
        Ok(answered(answer)?)
    }

    /// Upload scans a device decided offline (a scanner device of this
    /// event): each is decided as online, by its `scanned_at`. A ticket two
    /// devices both admitted is recorded twice: the earlier scan is the
    /// admission, the later a `conflict` the organizer sees.
    #[oai(path = "/events/:id/checkins/batch", method = "post")]
    async fn check_in_batch(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        body: Json<ScanBatch>,
    ) -> Result<Json<BatchAnswers>, Problems<{ JSON_BODY | UNAUTHORIZED | NOT_FOUND | UNAVAILABLE }>>
    {
        let (event, scanner) = device(&state, &auth, &id).await?;
        let mut errors = Vec::new();
        let scans: Vec<Scan> = (body.0.scans.iter().enumerate())
            .filter_map(|(i, s)| scan_of(s, true, &format!("scans[{i}]."), &mut errors))
            .collect();
        if !errors.is_empty() {
            return Err(ApiError::validation(errors).into());
        }
        // Oldest first, so the earlier of two scans of one code admits.
        let mut order: Vec<usize> = (0..scans.len()).collect();
        order.sort_by_key(|&i| scans[i].scanned_at);
        let mut answers: Vec<Option<ScanAnswer>> = vec![None; scans.len()];
        for i in order {
            answers[i] = Some(checkin::scan(&state, &event, &scanner, &scans[i]).await?);
        }
        Ok(Json(BatchAnswers {
            answers: answers.into_iter().flatten().collect(),
        }))
    }

    /// What a scanner needs to verify codes offline: the event's public key
    /// and, per valid ticket, its id and current move counter (with `since`,
    /// a cursor from an earlier list: every ticket changed after it, any
    /// status). A scanner device of this event, or its organizer.
    #[oai(path = "/events/:id/checkin-list", method = "get")]
    async fn checkin_list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        since: Query<Option<DateTime<FixedOffset>>>,
    ) -> Result<
        Json<CheckinList>,
        Problems<{ BAD_REQUEST | UNAUTHORIZED | FORBIDDEN | NOT_FOUND | UNAVAILABLE }>,
    > {
        let event = if auth.0.token.starts_with(devices::TOKEN_PREFIX) {
            device(&state, &auth, &id).await?.0
        } else {
            organized(&state, &auth, &id).await?
        };
        let since = since.0.map(|s| s.with_timezone(&Utc));
        Ok(Json(
            crate::checkin::list::checkin_list(&state, &event, since).await?,
        ))
    }

    /// The event's latest scans, or (`conflicts=true`) the offline
    /// admissions that lost to an earlier scan of the same ticket, each with
    /// the admission that counts (the organizer).
    #[oai(path = "/events/:id/checkins", method = "get")]
    async fn checkins(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        conflicts: Query<Option<bool>>,
    ) -> Result<
        Json<Checkins>,
        Problems<{ BAD_REQUEST | UNAUTHORIZED | FORBIDDEN | NOT_FOUND | UNAVAILABLE }>,
    > {
        let event = organized(&state, &auth, &id).await?;
        let items =
            crate::checkin::list::scans(&state, event.id, conflicts.0.unwrap_or(false)).await?;
        Ok(Json(Checkins { items }))
    }

    /// Live counts (the organizer): checked in and valid per tier, admissions
    /// per device and per five minutes, and how many conflicts.
    #[oai(path = "/events/:id/checkins/stats", method = "get")]
    async fn stats(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
    ) -> Result<Json<CheckinCounts>, Problems<{ UNAUTHORIZED | FORBIDDEN | NOT_FOUND | UNAVAILABLE }>>
    {
        let event = organized(&state, &auth, &id).await?;
        Ok(Json(crate::checkin::list::counts(&state, &event).await?))
    }
}
