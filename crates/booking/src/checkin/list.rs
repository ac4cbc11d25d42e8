//! What scanners sync and organizers watch: the check-in list (the event's
//! public key and each ticket's current move counter, or what changed since
//! a cursor) and the live counts.

use crate::failure::Failure;
use chrono::{DateTime, Duration, Utc};
use poem_openapi::Object;
use slotwise_db::checkins::{self, Checkin, Scanner};

use uuid::Uuid;

/// A change committed up to this long after it was stamped is still in the
/// next sync: a cursor is the read's time less this (a device may see a
/// ticket twice, never miss one). Longer than any transaction may run.
pub const CURSOR_OVERLAP_SECS: i64 = 60;

#[derive(Debug, Clone, Object)]
pub struct ListedTicketView {
    pub id: Uuid,
    /// The move counter a current code carries; a code with another is stale.
    pub counter: i32,
    /// Only `valid` admits; others (in a sync) are to be dropped.
    pub status: String,
    #[oai(skip_serializing_if_is_none)]
    pub tier: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub seat: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub holder_name: Option<String>,
    /// Checked in and not out.
    pub inside: bool,
    /// Admissions so far.
    pub entries: i32,
}

#[derive(Debug, Clone, Object)]
pub struct CheckinList {
    pub event_id: Uuid,
    /// The event's Ed25519 public key (32 bytes, unpadded base64url): a code
    /// is the 37-byte payload (version 1, event id, ticket id, counter as a
    /// big-endian u32) followed by its 64-byte signature, base64url.
    pub public_key: String,
    /// Whether a holder may check out and back in.
    pub reentry: bool,
    /// Every valid ticket; with `since`, every ticket changed since (any status).
    pub tickets: Vec<ListedTicketView>,
    /// Send as `since` to get only what changed after this read.
    pub cursor: String,
}

/// The list, whole or since `since` (a cursor from an earlier list).
pub async fn checkin_list(
    state: &crate::AppState,
    event: &slotwise_db::events::Event,
    since: Option<DateTime<Utc>>,
) -> Result<CheckinList, Failure> {
    let read_at = Utc::now();
    let mut conn = state.pool.get().await?;
    let rows = checkins::list(&mut conn, event.id, since).await?;
    let tickets = rows
        .into_iter()
        .map(|t| ListedTicketView {
            id: t.id,
            counter: t.moves,
            status: t.status,
            tier: t.tier,
            seat: t.seat,
            holder_name: t.holder_name,
            inside: t.inside,
            entries: t.entries,
        })
        .collect();
    let cursor = (read_at - Duration::seconds(CURSOR_OVERLAP_SECS)).to_rfc3339();
    Ok(CheckinList {
        event_id: event.id,
        public_key: crate::codes::public_key(event.id),
        reentry: event.reentry,
        tickets,
        cursor,
    })
}

#[derive(Debug, Clone, Object)]
pub struct TierCountView {
    /// The tier's name; `seats` for a seated event's tickets.
    pub tier: String,
    pub checked_in: i64,
    pub valid: i64,
}

#[derive(Debug, Clone, Object)]
pub struct DeviceCountView {
    pub scanner_id: Uuid,
    pub name: String,
    pub admitted: i64,
}

#[derive(Debug, Clone, Object)]
pub struct SliceView {
    /// Start of a five-minute slice (by the devices' scan times).
    pub from: DateTime<Utc>,
    pub admitted: i64,
}

#[derive(Debug, Clone, Object)]
pub struct CheckinCounts {
    pub checked_in: i64,
    pub valid: i64,
    pub tiers: Vec<TierCountView>,
    pub devices: Vec<DeviceCountView>,
    pub slices: Vec<SliceView>,
    /// Offline admissions that lost to an earlier scan of the same code.
    pub conflicts: i64,
}

/// Live counts for the organizer.
pub async fn counts(
    state: &crate::AppState,
    event: &slotwise_db::events::Event,
) -> Result<CheckinCounts, Failure> {
    let mut conn = state.pool.get().await?;
    let (tiers, devices, slices) = checkins::counts(&mut conn, event.id).await?;
    let tier_rows = slotwise_db::events::Event::tier_rows(&conn, event.id).await?;
    let scanners = Scanner::of_event(&mut conn, event.id).await?;
    let conflicts = Checkin::count_conflicts(&mut conn, event.id).await?;
    let name_of_tier = |id: Option<Uuid>| match id {
        Some(id) => (tier_rows.iter().find(|t| t.id == id))
            .map_or_else(|| id.to_string(), |t| t.name.clone()),
        None => "seats".to_owned(),
    };
    Ok(CheckinCounts {
        checked_in: tiers.iter().map(|t| t.checked_in).sum(),
        valid: tiers.iter().map(|t| t.valid).sum(),
        tiers: (tiers.iter())
            .map(|t| TierCountView {
                tier: name_of_tier(t.tier_id),
                checked_in: t.checked_in,
                valid: t.valid,
            })
            .collect(),
        devices: (devices.iter())
            .map(|d| DeviceCountView {
                scanner_id: d.scanner_id,
                name: (scanners.iter().find(|s| s.id == d.scanner_id))
                    .map_or_else(String::new, |s| s.name.clone()),
                admitted: d.admitted,
            })
            .collect(),
        slices: (slices.into_iter())
            .map(|s| SliceView {
                from: s.from,
                admitted: s.admitted,
            })
            .collect(),
        conflicts,
    })
}

#[derive(Debug, Clone, Object)]
pub struct CheckinView {
    pub id: Uuid,
    pub scanner_id: Uuid,
    pub scan_id: String,
    #[oai(skip_serializing_if_is_none)]
    pub ticket_id: Option<Uuid>,
    /// `in` or `out`.
    pub direction: String,
    /// `admitted`, `checked_out`, `conflict`, or the refusal's code.
    pub result: String,
    /// What the device was told (a conflict: why it is one).
    pub detail: String,
    pub offline: bool,
    pub scanned_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    /// `conflict`: the admission that counts.
    #[oai(skip_serializing_if_is_none)]
    pub winner: Option<AdmissionView>,
}

/// The admission a conflict lost to.
#[derive(Debug, Clone, Object)]
pub struct AdmissionView {
    pub id: Uuid,
    pub scanner_id: Uuid,
    pub scan_id: String,
    pub offline: bool,
    pub scanned_at: DateTime<Utc>,
}

impl From<Checkin> for CheckinView {
    fn from(c: Checkin) -> Self {
        Self {
            id: c.id,
            scanner_id: c.scanner_id,
            scan_id: c.scan_id,
            ticket_id: c.ticket_id,
            direction: c.direction,
            result: c.result,
            detail: (c.answer.get("detail").and_then(|d| d.as_str()))
                .unwrap_or_default()
                .to_owned(),
            offline: c.offline,
            scanned_at: c.scanned_at,
            recorded_at: c.recorded_at,
            winner: None,
        }
    }
}

/// The event's latest scans (at most 200), or its conflicts with the
/// admission each lost to.
pub async fn scans(
    state: &crate::AppState,
    event_id: Uuid,
    conflicts: bool,
) -> Result<Vec<CheckinView>, Failure> {
    let mut conn = state.pool.get().await?;
    let rows = Checkin::of_event(&mut conn, event_id, conflicts, 200).await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        let winner = match (conflicts, row.ticket_id, row.entry) {
            (true, Some(ticket), Some(entry)) => {
                Checkin::admission(&mut conn, event_id, ticket, entry).await?
            }
            _ => None,
        };
        let mut view = CheckinView::from(row);
        view.winner = winner.map(|w| AdmissionView {
            id: w.id,
            scanner_id: w.scanner_id,
            scan_id: w.scan_id,
            offline: w.offline,
            scanned_at: w.scanned_at,
        });
        views.push(view);
    }
    Ok(views)
}
