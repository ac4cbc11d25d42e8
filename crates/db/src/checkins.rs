//! Door check-in rows: an event's scanner devices and every scan they sent,
//! with the answer each got. One admission per entry of a ticket is held by
//! the ticket's row lock and by `checkins_one_admission` (a unique index).

use crate::schema::{checkins, scanners, seats, ticket_tiers, tickets, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = scanners)]
pub struct Scanner {
    pub event_id: Uuid,
    pub id: Uuid,
    pub name: String,
    /// SHA-256 of the device token (the token is shown once).
    pub token_hash: Vec<u8>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Scanner {
    pub async fn insert(conn: &mut AsyncPgConnection, scanner: &Scanner) -> QueryResult<()> {
        diesel::insert_into(scanners::table)
            .values(scanner)
            .execute(conn)
            .await
            .map(drop)
    }

    /// The event's devices, oldest first (revoked ones too).
    pub async fn of_event(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
    ) -> QueryResult<Vec<Scanner>> {
        scanners::table
            .filter(scanners::event_id.eq(event_id))
            .order((scanners::created_at, scanners::id))
            .select(Scanner::as_select())
            .load(conn)
            .await
    }

    /// The event's device holding this token, unless revoked.
    pub async fn by_token(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        token_hash: &[u8],
    ) -> QueryResult<Option<Scanner>> {
        scanners::table
            .filter(scanners::event_id.eq(event_id))
            .filter(scanners::token_hash.eq(token_hash))
            .filter(scanners::revoked_at.is_null())
            .select(Scanner::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// A device's name, for answers that say who admitted a ticket.
    pub async fn name_of(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<String>> {
        scanners::table
            .filter(scanners::event_id.eq(event_id))
            .filter(scanners::id.eq(id))
            .select(scanners::name)
            .first(conn)
            .await
            .optional()
    }

    /// Revokes the device (again: no change); `None` when the event has no such device.
    pub async fn revoke(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<Scanner>> {
        let found = scanners::table
            .filter(scanners::event_id.eq(event_id))
            .filter(scanners::id.eq(id));
        diesel::update(found.filter(scanners::revoked_at.is_null()))
            .set(scanners::revoked_at.eq(Utc::now()))
            .execute(conn)
            .await?;
        found
            .select(Scanner::as_select())
            .first(conn)
            .await
            .optional()
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = checkins)]
pub struct Checkin {
    pub event_id: Uuid,
    pub id: Uuid,
    pub scanner_id: Uuid,
    /// The device's own id of the scan: sent again, it gets the same answer.
    pub scan_id: String,
    /// SHA-256 of the scanned text (a scan id reused for another code is refused).
    pub code_hash: Vec<u8>,
    pub ticket_id: Option<Uuid>,
    /// `in` or `out`.
    pub direction: String,
    /// `admitted`, `checked_out`, `conflict`, or the refusal's code.
    pub result: String,
    /// Which admission of the ticket (`admitted`, and the one a `conflict` lost to).
    pub entry: Option<i32>,
    /// Decided by the device without the network, uploaded later.
    pub offline: bool,
    /// When the device scanned it.
    pub scanned_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    /// The HTTP status of the answer.
    pub status: i16,
    pub answer: serde_json::Value,
}

pub const ADMITTED: &str = "admitted";
pub const CONFLICT: &str = "conflict";

impl Checkin {
    pub async fn insert(conn: &mut AsyncPgConnection, row: &Checkin) -> QueryResult<()> {
        diesel::insert_into(checkins::table)
            .values(row)
            .execute(conn)
            .await
            .map(drop)
    }

    /// The device's scan with this id, if it sent it before.
    pub async fn find_scan(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        scanner_id: Uuid,
        scan_id: &str,
    ) -> QueryResult<Option<Checkin>> {
        checkins::table
            .filter(checkins::event_id.eq(event_id))
            .filter(checkins::scanner_id.eq(scanner_id))
            .filter(checkins::scan_id.eq(scan_id))
            .select(Checkin::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// The admission of the ticket's `entry`.
    pub async fn admission(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        ticket_id: Uuid,
        entry: i32,
    ) -> QueryResult<Option<Checkin>> {
        checkins::table
            .filter(checkins::event_id.eq(event_id))
            .filter(checkins::ticket_id.eq(ticket_id))
            .filter(checkins::entry.eq(entry))
            .filter(checkins::result.eq(ADMITTED))
            .select(Checkin::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// An admission that lost to an earlier scan becomes a conflict.
    pub async fn mark_conflict(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        id: Uuid,
    ) -> QueryResult<()> {
        diesel::update(checkins::table)
            .filter(checkins::event_id.eq(event_id))
            .filter(checkins::id.eq(id))
            .set(checkins::result.eq(CONFLICT))
            .execute(conn)
            .await
            .map(drop)
    }

    /// How many conflicts the event has.
    pub async fn count_conflicts(conn: &mut AsyncPgConnection, event_id: Uuid) -> QueryResult<i64> {
        checkins::table
            .filter(checkins::event_id.eq(event_id))
            .filter(checkins::result.eq(CONFLICT))
            .count()
            .get_result(conn)
            .await
    }

    /// The event's scans, newest first; only conflicts with `conflicts`.
    pub async fn of_event(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        conflicts: bool,
        limit: i64,
    ) -> QueryResult<Vec<Checkin>> {
        let mut query = checkins::table
            .filter(checkins::event_id.eq(event_id))
            .order((checkins::recorded_at.desc(), checkins::id.desc()))
            .limit(limit)
            .select(Checkin::as_select())
            .into_boxed();
        if conflicts {
            query = query.filter(checkins::result.eq(CONFLICT));
        }
        query.load(conn).await
    }
}

/// Admits the locked ticket once more; answers the entry's number.
pub async fn admit(conn: &mut AsyncPgConnection, event_id: Uuid, id: Uuid) -> QueryResult<i32> {
    diesel::update(tickets::table)
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::id.eq(id))
        .filter(tickets::inside.eq(false))
        .set((
            tickets::inside.eq(true),
            tickets::entries.eq(tickets::entries + 1),
            tickets::changed_at.eq(Utc::now()),
        ))
        .returning(tickets::entries)
        .get_result(conn)
        .await
}

/// The locked ticket's holder went out (re-entry).
pub async fn check_out(conn: &mut AsyncPgConnection, event_id: Uuid, id: Uuid) -> QueryResult<()> {
    diesel::update(tickets::table)
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::id.eq(id))
        .set((
            tickets::inside.eq(false),
            tickets::changed_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Tickets with their tier's name, seat's label and holder's name (joined
/// on the event too, so that on Citus each join stays in the event's shards).
macro_rules! with_labels {
    () => {
        tickets::table
            .left_join(
                ticket_tiers::table.on(ticket_tiers::event_id
                    .eq(tickets::event_id)
                    .and(tickets::tier_id.eq(ticket_tiers::id.nullable()))),
            )
            .left_join(
                seats::table.on(seats::event_id
                    .eq(tickets::event_id)
                    .and(tickets::seat_id.eq(seats::id.nullable()))),
            )
            .left_join(users::table.on(tickets::holder_id.eq(users::id.nullable())))
    };
}

/// What the door may show of a ticket: its tier, seat and holder's name.
pub async fn labels(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    id: Uuid,
) -> QueryResult<(Option<String>, Option<String>, Option<String>)> {
    with_labels!()
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::id.eq(id))
        .select((
            ticket_tiers::name.nullable(),
            seats::label.nullable(),
            users::name.nullable(),
        ))
        .first(conn)
        .await
}

/// A ticket as the check-in list carries it.
#[derive(Debug, Clone, Queryable)]
pub struct ListedTicket {
    pub id: Uuid,
    pub moves: i32,
    pub status: String,
    pub tier: Option<String>,
    pub seat: Option<String>,
    pub holder_name: Option<String>,
    pub inside: bool,
    pub entries: i32,
    pub changed_at: DateTime<Utc>,
}

/// The event's tickets for the scanners: every valid one, or every one
/// changed at or after `since` (any status, so a device drops what moved away).
pub async fn list(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    since: Option<DateTime<Utc>>,
) -> QueryResult<Vec<ListedTicket>> {
    let mut query = with_labels!()
        .filter(tickets::event_id.eq(event_id))
        .select((
            tickets::id,
            tickets::moves,
            tickets::status,
            ticket_tiers::name.nullable(),
            seats::label.nullable(),
            users::name.nullable(),
            tickets::inside,
            tickets::entries,
            tickets::changed_at,
        ))
        .order(tickets::id)
        .into_boxed();
    query = match since {
        Some(at) => query.filter(tickets::changed_at.ge(at)),
        None => query.filter(tickets::status.eq("valid")),
    };
    query.load(conn).await
}

/// Valid tickets and how many of them were admitted, per tier (`None`: seats).
#[derive(Debug, Clone, QueryableByName)]
pub struct TierCount {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    pub tier_id: Option<Uuid>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub checked_in: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub valid: i64,
}

/// Admissions per device.
#[derive(Debug, Clone, QueryableByName)]
pub struct DeviceCount {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub scanner_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub admitted: i64,
}

/// Admissions in one five-minute slice (by the devices' scan times).
#[derive(Debug, Clone, QueryableByName)]
pub struct Slice {
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub from: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub admitted: i64,
}

pub async fn counts(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
) -> QueryResult<(Vec<TierCount>, Vec<DeviceCount>, Vec<Slice>)> {
    use diesel::sql_types::Uuid as SqlUuid;
    let tiers = diesel::sql_query(
        "SELECT tier_id, count(*) FILTER (WHERE entries > 0) AS checked_in, count(*) AS valid \
         FROM tickets WHERE event_id = $1 AND status = 'valid' GROUP BY tier_id",
    )
    .bind::<SqlUuid, _>(event_id)
    .load(conn)
    .await?;
    let devices = diesel::sql_query(
        "SELECT scanner_id, count(*) AS admitted FROM checkins \
         WHERE event_id = $1 AND result = 'admitted' GROUP BY scanner_id",
    )
    .bind::<SqlUuid, _>(event_id)
    .load(conn)
    .await?;
    let slices = diesel::sql_query(
        "SELECT date_bin('5 minutes', scanned_at, TIMESTAMPTZ '2000-01-01 00:00Z') AS \"from\", \
                count(*) AS admitted FROM checkins \
         WHERE event_id = $1 AND result = 'admitted' GROUP BY 1 ORDER BY 1",
    )
    .bind::<SqlUuid, _>(event_id)
    .load(conn)
    .await?;
    Ok((tiers, devices, slices))
}
