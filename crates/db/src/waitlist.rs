//! Waiting lists of sold-out tiers: entries in join order, offers (units
//! held for one person until a time), and what the organizer switches.
//! Plain SQL: every statement names the event, the distribution key.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Bool, Int4, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

pub const WAITING: &str = "waiting";
pub const OFFERED: &str = "offered";
pub const BOUGHT: &str = "bought";
pub const LAPSED: &str = "lapsed";
pub const LEFT: &str = "left";
/// The list was switched off, or its event cancelled.
pub const CLOSED: &str = "closed";

#[derive(Debug, Clone, QueryableByName)]
pub struct Entry {
    #[diesel(sql_type = SqlUuid)]
    pub event_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub tier_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub user_id: Uuid,
    #[diesel(sql_type = Int4)]
    pub quantity: i32,
    #[diesel(sql_type = Timestamptz)]
    pub joined_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub offered_until: Option<DateTime<Utc>>,
    /// The stock rows held for an offer: `[[bucket, quantity], ...]`.
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub held: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub order_id: Option<Uuid>,
}

impl Entry {
    /// The stock rows an offer holds, as (bucket, quantity).
    pub fn held_rows(&self) -> Vec<(i16, i32)> {
        serde_json::from_value(self.held.clone().unwrap_or_default()).unwrap_or_default()
    }
}

const COLUMNS: &str =
    "event_id, id, tier_id, user_id, quantity, joined_at, status, offered_until, held, order_id";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

pub async fn switch(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    on: bool,
) -> diesel::QueryResult<()> {
    diesel::sql_query("UPDATE events SET waitlist = $2 WHERE id = $1")
        .bind::<SqlUuid, _>(event_id)
        .bind::<Bool, _>(on)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Puts `user` in line for `quantity` of `tier`, or answers the place they
/// hold already (joining twice is one place).
pub async fn join(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    tier_id: Uuid,
    user_id: Uuid,
    quantity: i32,
) -> diesel::QueryResult<(Entry, bool)> {
    let new: Vec<Entry> = diesel::sql_query(format!(
        "INSERT INTO waitlist_entries (event_id, id, tier_id, user_id, quantity, joined_at, status) \
         VALUES ($1, $2, $3, $4, $5, clock_timestamp(), 'waiting') \
         ON CONFLICT (event_id, tier_id, user_id) WHERE status IN ('waiting', 'offered') DO NOTHING \
         RETURNING {COLUMNS}"
    ))
    .bind::<SqlUuid, _>(event_id)
    .bind::<SqlUuid, _>(Uuid::now_v7())
    .bind::<SqlUuid, _>(tier_id)
    .bind::<SqlUuid, _>(user_id)
    .bind::<Int4, _>(quantity)
    .load(conn)
    .await?;
    if let Some(entry) = new.into_iter().next() {
        return Ok((entry, true));
    }
    let existing = active_of(conn, event_id, tier_id, user_id).await?;
    let existing = existing.ok_or(diesel::result::Error::NotFound)?;
    Ok((existing, false))
}

/// A person's entries of an event, newest first.
pub async fn of_user(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    user_id: Uuid,
) -> diesel::QueryResult<Vec<Entry>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM waitlist_entries WHERE event_id = $1 AND user_id = $2 ORDER BY joined_at DESC"
    ))
    .bind::<SqlUuid, _>(event_id)
    .bind::<SqlUuid, _>(user_id)
    .load(conn)
    .await
}

/// Every entry of an event, in line order (the organizer's view).
pub async fn of_event(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
) -> diesel::QueryResult<Vec<Entry>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM waitlist_entries WHERE event_id = $1 ORDER BY tier_id, joined_at, id LIMIT 5000"
    ))
    .bind::<SqlUuid, _>(event_id)
    .load(conn)
    .await
}

/// 1 for the first person still waiting in the entry's line.
pub async fn place(conn: &mut AsyncPgConnection, entry: &Entry) -> diesel::QueryResult<i64> {
    let ahead: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM waitlist_entries WHERE event_id = $1 AND tier_id = $2 \
         AND status = 'waiting' AND (joined_at, id) < ($3, $4)",
    )
    .bind::<SqlUuid, _>(entry.event_id)
    .bind::<SqlUuid, _>(entry.tier_id)
    .bind::<Timestamptz, _>(entry.joined_at)
    .bind::<SqlUuid, _>(entry.id)
    .get_result(conn)
    .await?;
    Ok(ahead.n + 1)
}

/// The first person waiting for the tier, locked (the next offer is theirs).
pub async fn first_waiting(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    tier_id: Uuid,
) -> diesel::QueryResult<Option<Entry>> {
    let rows: Vec<Entry> = diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM waitlist_entries WHERE event_id = $1 AND tier_id = $2 AND status = 'waiting' \
         ORDER BY joined_at, id LIMIT 1 FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(event_id)
    .bind::<SqlUuid, _>(tier_id)
    .load(conn)
    .await?;
    Ok(rows.into_iter().next())
}

/// The person's place (waiting or offered) in the tier's line, locked.
pub async fn active_of(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    tier_id: Uuid,
    user_id: Uuid,
) -> diesel::QueryResult<Option<Entry>> {
    let rows: Vec<Entry> = diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM waitlist_entries WHERE event_id = $1 AND tier_id = $2 AND user_id = $3 \
         AND status IN ('waiting', 'offered') FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(event_id)
    .bind::<SqlUuid, _>(tier_id)
    .bind::<SqlUuid, _>(user_id)
    .load(conn)
    .await?;
    Ok(rows.into_iter().next())
}

/// The person's live offer for the tier, locked (only an offer: a place
/// still waiting is left unlocked, so an order never holds a waiting row
/// while it takes stock and a promo code, the locks a release takes in the
/// other order before it locks the first waiting row).
pub async fn offer_of(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    tier_id: Uuid,
    user_id: Uuid,
) -> diesel::QueryResult<Option<Entry>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM waitlist_entries WHERE event_id = $1 AND tier_id = $2 AND user_id = $3 \
         AND status = 'offered' FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(event_id)
    .bind::<SqlUuid, _>(tier_id)
    .bind::<SqlUuid, _>(user_id)
    .get_result(conn)
    .await
    .optional()
}

/// Closes the event's line: its waiting entries, and its live offers too
/// when `offers` (an event cancelled); the closed offers, whose held units
/// the caller gives back.
pub async fn close_line(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    offers: bool,
) -> diesel::QueryResult<Vec<Entry>> {
    let closed: Vec<Entry> = diesel::sql_query(format!(
        "UPDATE waitlist_entries SET status = 'closed' WHERE event_id = $1 \
         AND (status = 'waiting' OR (status = 'offered' AND $2)) RETURNING {COLUMNS}"
    ))
    .bind::<SqlUuid, _>(event_id)
    .bind::<Bool, _>(offers)
    .load(conn)
    .await?;
    Ok(closed.into_iter().filter(|e| e.held.is_some()).collect())
}

/// Makes the entry an offer of the stock rows `held` (what came back, up to
/// the quantity asked for: the offer's quantity), until `until`.
pub async fn offer(
    conn: &mut AsyncPgConnection,
    entry: &Entry,
    held: &[(i16, i32)],
    until: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE waitlist_entries SET status = 'offered', held = $3, offered_until = $4, quantity = $5 \
         WHERE event_id = $1 AND id = $2 AND status = 'waiting'",
    )
    .bind::<SqlUuid, _>(entry.event_id)
    .bind::<SqlUuid, _>(entry.id)
    .bind::<Jsonb, _>(serde_json::json!(held))
    .bind::<Timestamptz, _>(until)
    .bind::<Int4, _>(held.iter().map(|(_, quantity)| quantity).sum::<i32>())
    .execute(conn)
    .await
    .map(|_| ())
}

/// Ends an entry: `bought` (with its order), `lapsed` or `left`.
pub async fn close(
    conn: &mut AsyncPgConnection,
    entry: &Entry,
    status: &str,
    order_id: Option<Uuid>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE waitlist_entries SET status = $3, order_id = $4 WHERE event_id = $1 AND id = $2",
    )
    .bind::<SqlUuid, _>(entry.event_id)
    .bind::<SqlUuid, _>(entry.id)
    .bind::<Text, _>(status)
    .bind::<Nullable<SqlUuid>, _>(order_id)
    .execute(conn)
    .await
    .map(|_| ())
}

#[derive(QueryableByName)]
struct Key {
    #[diesel(sql_type = SqlUuid)]
    event_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// Offers whose time ran out, each locked by its key (another instance
/// skips them; on Citus a lock must name its shard's key).
pub async fn due_offers(
    conn: &mut AsyncPgConnection,
    limit: i64,
) -> diesel::QueryResult<Vec<Entry>> {
    let keys: Vec<Key> = diesel::sql_query(
        "SELECT event_id, id FROM waitlist_entries WHERE status = 'offered' AND offered_until <= now() \
         ORDER BY offered_until LIMIT $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
    .await?;
    let mut locked = Vec::with_capacity(keys.len());
    for key in keys {
        let rows: Vec<Entry> = diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM waitlist_entries WHERE event_id = $1 AND id = $2 \
             AND status = 'offered' AND offered_until <= now() FOR UPDATE SKIP LOCKED"
        ))
        .bind::<SqlUuid, _>(key.event_id)
        .bind::<SqlUuid, _>(key.id)
        .load(conn)
        .await?;
        locked.extend(rows);
    }
    Ok(locked)
}

/// The mail of an offer, to the person in line: in the entry's transaction.
pub async fn announce_offer(
    conn: &mut AsyncPgConnection,
    entry: &Entry,
    link: &str,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO outbox (id, topic, subject_id, owner_id, email, mail, payload) \
         SELECT $3, 'waitlist.offered', w.id, e.organizer_id, u.email, \
                jsonb_build_object('name', u.name, 'link', $4::text), \
                jsonb_build_object('event', jsonb_build_object('id', e.id, 'title', e.title, \
                    'venue_name', e.venue_name, 'starts_at', e.starts_at), \
                  'tier', jsonb_build_object('id', t.id, 'name', t.name), \
                  'quantity', w.quantity, 'offered_until', w.offered_until) \
           FROM waitlist_entries w JOIN events e ON e.id = w.event_id \
           JOIN ticket_tiers t ON t.event_id = w.event_id AND t.id = w.tier_id \
           JOIN users u ON u.id = w.user_id \
          WHERE w.event_id = $1 AND w.id = $2",
    )
    .bind::<SqlUuid, _>(entry.event_id)
    .bind::<SqlUuid, _>(entry.id)
    .bind::<SqlUuid, _>(Uuid::now_v7())
    .bind::<Text, _>(link)
    .execute(conn)
    .await
    .map(|_| ())
}
