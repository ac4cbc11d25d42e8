//! Door check-in. An organizer's scanner devices ([`devices`]) send what they
//! scan; [`scan`] decides each scan under the ticket's row lock and stores it
//! with its answer, so a scan id sent again gets the same answer and exactly
//! one admission per entry of a ticket is ever recorded (also with two doors
//! scanning one code at once: the lock serializes them, and the
//! `checkins_one_admission` index would refuse a second). Devices that lost
//! the network verify codes themselves against the check-in list ([`list`])
//! and upload their scans later: an admission the server already had from
//! another door is kept as a conflict, and the earlier scan wins.

pub mod devices;
pub mod list;

use crate::codes::{self, CodeError};
use crate::failure::Failure;
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use slotwise_db::checkins::{self, ADMITTED, CONFLICT, Checkin, Scanner};
use slotwise_db::events::{CANCELLED, Event};
use slotwise_db::orders::tickets::{Ticket, TicketStatus, lock_by_code, lock_ticket};
use slotwise_db::{AsyncPgConnection, DbError};
use slotwise_web::problem::CheckinFacts;
use uuid::Uuid;

/// Which way a holder goes through the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// One scan as a device sent it.
#[derive(Debug, Clone)]
pub struct Scan {
    pub scan_id: String,
    pub code: String,
    pub direction: Direction,
    /// The device's clock (now, for an online scan without one).
    pub scanned_at: DateTime<Utc>,
    /// Decided by the device without the network (a batch upload).
    pub offline: bool,
}

/// What the door hears about one scan (the same for the same scan id).
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize, Deserialize)]
pub struct ScanAnswer {
    pub scan_id: String,
    /// 200 `admitted` or `checked_out`; 409 `already_checked_in`,
    /// `not_checked_in`, `reentry_off` or `conflict` (an offline admission
    /// that lost to an earlier one); 410 `ticket_void`; 422 `wrong_event`,
    /// `forged_code`, `scan_id_reused` or (a batch) `scanned_at_invalid`;
    /// 400 `invalid_code`. An offline scan the server refuses is kept as a
    /// conflict for the organizer.
    pub status: u16,
    pub code: String,
    /// One line a door person can read.
    pub detail: String,
    /// The ticket's tier (its name) or seat (its label).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_name: Option<String>,
    /// The ticket, the admission that counts and why a code is void: what a
    /// refused single scan's problem carries as `checkin`.
    #[oai(flatten)]
    #[serde(flatten)]
    pub facts: CheckinFacts,
}

impl ScanAnswer {
    fn new(scan_id: &str, status: u16, code: &str, detail: &str) -> Self {
        Self {
            scan_id: scan_id.to_owned(),
            status,
            code: code.to_owned(),
            detail: detail.to_owned(),
            tier: None,
            seat: None,
            holder_name: None,
            facts: CheckinFacts {
                ticket_id: None,
                checked_in_at: None,
                device: None,
                reason: None,
            },
        }
    }

    pub fn is_success(&self) -> bool {
        self.status == 200
    }
}

fn sha256(text: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes()).to_vec()
}

/// Decides and records one scan of `device` at `event` (one transaction).
pub async fn scan(
    state: &crate::AppState,
    event: &Event,
    device: &Scanner,
    scan: &Scan,
) -> Result<ScanAnswer, Failure> {
    let mut conn = state.pool.get().await?;
    Ok(slotwise_db::read_committed!(
        conn,
        async |conn: &mut AsyncPgConnection| decide(conn, event, device, scan).await
    )?)
}

async fn decide(
    conn: &mut AsyncPgConnection,
    event: &Event,
    device: &Scanner,
    scan: &Scan,
) -> Result<ScanAnswer, DbError> {
    let code_hash = sha256(&scan.code);
    if let Some(seen) = Checkin::find_scan(conn, event.id, device.id, &scan.scan_id).await? {
        if seen.code_hash == code_hash {
            return serde_json::from_value(seen.answer)
                .map_err(|e| DbError::DeserializationError(Box::new(e)));
        }
        let detail = "this scan id was sent before with another code";
        return Ok(ScanAnswer::new(
            &scan.scan_id,
            422,
            "scan_id_reused",
            detail,
        ));
    }
    let (answer, ticket, result, entry) = judge(conn, event, device, scan).await?;
    let row = Checkin {
        event_id: event.id,
        id: Uuid::now_v7(),
        scanner_id: device.id,
        scan_id: scan.scan_id.clone(),
        code_hash,
        ticket_id: ticket,
        direction: scan.direction.as_str().to_owned(),
        result,
        entry,
        offline: scan.offline,
        scanned_at: scan.scanned_at,
        recorded_at: Utc::now(),
        status: i16::try_from(answer.status).unwrap_or(500),
        answer: serde_json::to_value(&answer).unwrap_or_default(),
    };
    Checkin::insert(conn, &row).await?;
    Ok(answer)
}

/// The answer, the ticket it concerns, the stored result and the entry.
type Judged = (ScanAnswer, Option<Uuid>, String, Option<i32>);

async fn judge(
    conn: &mut AsyncPgConnection,
    event: &Event,
    device: &Scanner,
    scan: &Scan,
) -> Result<Judged, DbError> {
    let id = scan.scan_id.as_str();
    // A door that decided offline already let the holder in: a code the
    // server refuses is then a conflict the organizer sees, not a refusal.
    let refused = |a: ScanAnswer, ticket: Option<Uuid>| {
        let result = if scan.offline {
            CONFLICT.to_owned()
        } else {
            a.code.clone()
        };
        (a, ticket, result, None)
    };
    if scan.offline && scan.scanned_at < device.created_at {
        let detail = "scanned before this device existed: check the device's clock";
        let a = ScanAnswer::new(id, 422, "scanned_at_invalid", detail);
        return Ok(refused(a, None));
    }
    let scanned = match codes::verify(&scan.code) {
        Ok(s) => s,
        Err(CodeError::Garbled) => {
            // A code issued before codes were signed: the current one admits.
            let legacy = match scan.code.len() {
                32 => lock_by_code(conn, event.id, &scan.code).await?,
                _ => None,
            };
            let Some(t) = legacy else {
                let a = ScanAnswer::new(id, 400, "invalid_code", "not a ticket code: scan again");
                return Ok(refused(a, None));
            };
            codes::Scanned {
                event_id: event.id,
                ticket_id: t.id,
                counter: t.moves,
            }
        }
        Err(CodeError::Forged) => {
            let a = ScanAnswer::new(id, 422, "forged_code", "this code was not issued by us");
            return Ok(refused(a, None));
        }
    };
    if scanned.event_id != event.id {
        let a = ScanAnswer::new(id, 422, "wrong_event", "a ticket for another event");
        return Ok(refused(a, None));
    }
    let Some(ticket) = lock_ticket(conn, event.id, scanned.ticket_id).await? else {
        let a = ScanAnswer::new(id, 422, "forged_code", "no such ticket");
        return Ok(refused(a, None));
    };
    let mut answer = describe(conn, ScanAnswer::new(id, 200, ADMITTED, ""), &ticket).await?;
    if let Some(reason) = void_reason(event, &ticket, scanned.counter) {
        answer.status = 410;
        answer.code = "ticket_void".to_owned();
        answer.detail = match reason {
            "moved" => "an old code: the ticket has moved since",
            "refunded" => "the ticket was refunded",
            "event_cancelled" => "the event was cancelled",
            _ => "the organizer revoked the ticket",
        }
        .to_owned();
        answer.facts.reason = Some(reason.to_owned());
        return Ok(refused(answer, Some(ticket.id)));
    }
    match scan.direction {
        Direction::In => check_in(conn, event, device, scan, ticket, answer).await,
        Direction::Out => {
            let refusal = if !event.reentry {
                Some(("reentry_off", "this event has no re-entry"))
            } else if !ticket.inside {
                Some(("not_checked_in", "the ticket is not checked in"))
            } else {
                None
            };
            if let Some((code, detail)) = refusal {
                answer.status = 409;
                answer.code = code.to_owned();
                answer.detail = detail.to_owned();
                return Ok(refused(answer, Some(ticket.id)));
            }
            checkins::check_out(conn, event.id, ticket.id).await?;
            answer.code = "checked_out".to_owned();
            answer.detail = "checked out: may come back in".to_owned();
            Ok((answer, Some(ticket.id), "checked_out".to_owned(), None))
        }
    }
}

/// Why a verified code admits nobody, if it doesn't.
fn void_reason(event: &Event, ticket: &Ticket, counter: i32) -> Option<&'static str> {
    match ticket.status {
        TicketStatus::Refunded => Some("refunded"),
        TicketStatus::Void if event.status == CANCELLED => Some("event_cancelled"),
        TicketStatus::Void => Some("revoked"),
        // Given to an address that has not claimed it: the giver's code is old.
        TicketStatus::TransferPending => Some("moved"),
        TicketStatus::Valid if counter != ticket.moves => Some("moved"),
        TicketStatus::Valid => None,
    }
}

async fn check_in(
    conn: &mut AsyncPgConnection,
    event: &Event,
    device: &Scanner,
    scan: &Scan,
    ticket: Ticket,
    mut answer: ScanAnswer,
) -> Result<Judged, DbError> {
    let (event_id, ticket_id) = (event.id, ticket.id);
    let used = ticket.inside || (ticket.entries > 0 && !event.reentry);
    if !used {
        let entry = checkins::admit(conn, event_id, ticket_id).await?;
        // Used: off the resale market (a buyer paying meanwhile is refunded).
        crate::custody::withdraw_listing(conn, event_id, ticket_id).await?;
        answer.detail = "admitted".to_owned();
        answer.facts.checked_in_at = Some(scan.scanned_at);
        answer.facts.device = Some(device.name.clone());
        return Ok((answer, Some(ticket_id), ADMITTED.to_owned(), Some(entry)));
    }
    let entry = ticket.entries;
    let earlier = Checkin::admission(conn, event_id, ticket_id, entry).await?;
    // An offline admission earlier than the one on record wins: the holder
    // went in then; the later one becomes the conflict.
    if scan.offline
        && ticket.inside
        && let Some(first) = earlier.as_ref().filter(|f| scan.scanned_at < f.scanned_at)
    {
        Checkin::mark_conflict(conn, event_id, first.id).await?;
        answer.detail = "admitted (offline); a later scan of this code is a conflict".to_owned();
        answer.facts.checked_in_at = Some(scan.scanned_at);
        answer.facts.device = Some(device.name.clone());
        return Ok((answer, Some(ticket_id), ADMITTED.to_owned(), Some(entry)));
    }
    let device_name = match earlier.as_ref() {
        Some(first) => Scanner::name_of(conn, event_id, first.scanner_id).await?,
        None => None,
    };
    answer.facts.checked_in_at = earlier.as_ref().map(|f| f.scanned_at);
    answer.facts.device = device_name;
    answer.status = 409;
    if scan.offline {
        answer.code = CONFLICT.to_owned();
        answer.detail =
            "admitted offline, but this code was admitted earlier: listed as a conflict".to_owned();
        Ok((answer, Some(ticket_id), CONFLICT.to_owned(), Some(entry)))
    } else {
        answer.code = "already_checked_in".to_owned();
        answer.detail = "already checked in".to_owned();
        let result = answer.code.clone();
        Ok((answer, Some(ticket_id), result, None))
    }
}

/// The answer with what the door may show of the ticket.
async fn describe(
    conn: &mut AsyncPgConnection,
    mut answer: ScanAnswer,
    ticket: &Ticket,
) -> Result<ScanAnswer, DbError> {
    let (tier, seat, holder) = checkins::labels(conn, ticket.event_id, ticket.id).await?;
    answer.facts.ticket_id = Some(ticket.id);
    answer.tier = tier;
    answer.seat = seat;
    answer.holder_name = holder;
    Ok(answer)
}
