//! What an event has left: tier units counted in split counter rows
//! (`tier_stock`, whose CHECK refuses an oversell) and seats claimed by
//! writing the order's id on them (one column: one active order per seat).
//! Every change happens in the caller's transaction, which also changes the
//! order it is for.

use crate::cached_sql::cached_sql;
use crate::schema::seats;
use diesel::prelude::*;
use diesel::sql_types::{Array, Int2, Int4, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use uuid::Uuid;

/// Units of one tier taken from one counter row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    pub tier_id: Uuid,
    pub bucket: i16,
    pub quantity: i32,
}

#[derive(QueryableByName)]
struct Bucket {
    #[diesel(sql_type = Int2)]
    bucket: i16,
    #[diesel(sql_type = Int4)]
    free: i32,
}

/// Makes the caller's transaction give up on a row lock after 2 s (pretix's lesson: a hot sale answers fast instead of
/// queueing connections behind one stock row).
pub async fn short_lock_timeout(mut conn: &AsyncPgConnection) -> QueryResult<()> {
    // The simple protocol: one round trip, nothing to prepare; sent at once
    // when first polled, so it goes ahead of the reads pipelined after it.
    SimpleAsyncConnection::batch_execute(&mut conn, "SET LOCAL lock_timeout = '2s'").await
}

cached_sql! {
    /// Takes `qty` units from one counter row with room, tried from `start`:
    /// one no other transaction has locked (`SKIP LOCKED`: no waiting).
    TakeFromAnUnlockedRow { event_id: Uuid, tier_id: Uuid, qty: i32, start: i16 }
    "UPDATE tier_stock SET held = held + " (qty: Int4)
    " WHERE event_id = " (event_id: SqlUuid) " AND tier_id = " (tier_id: SqlUuid)
    " AND held + sold + " (qty: Int4) " <= capacity \
      AND bucket = (SELECT bucket FROM tier_stock WHERE event_id = " (event_id: SqlUuid)
    " AND tier_id = " (tier_id: SqlUuid) " AND held + sold + " (qty: Int4)
    " <= capacity ORDER BY (bucket - " (start: Int2) " + 8) % 8 LIMIT 1 FOR UPDATE SKIP LOCKED) \
     RETURNING bucket, capacity - held - sold AS free"
}

cached_sql! {
    /// The same, waiting for the first row with room if all are locked.
    TakeFromARow { event_id: Uuid, tier_id: Uuid, qty: i32, start: i16 }
    "UPDATE tier_stock SET held = held + " (qty: Int4)
    " WHERE event_id = " (event_id: SqlUuid) " AND tier_id = " (tier_id: SqlUuid)
    " AND held + sold + " (qty: Int4) " <= capacity \
      AND bucket = (SELECT bucket FROM tier_stock WHERE event_id = " (event_id: SqlUuid)
    " AND tier_id = " (tier_id: SqlUuid) " AND held + sold + " (qty: Int4)
    " <= capacity ORDER BY (bucket - " (start: Int2) " + 8) % 8 LIMIT 1) \
     RETURNING bucket, capacity - held - sold AS free"
}

cached_sql! {
    /// What each of a tier's rows has room for, read without locks.
    RoomPerRow { event_id: Uuid, tier_id: Uuid }
    "SELECT bucket, capacity - held - sold AS free FROM tier_stock WHERE event_id = " (event_id: SqlUuid)
    " AND tier_id = " (tier_id: SqlUuid) ""
}

cached_sql! {
    /// The same, every row locked in order.
    LockRows { event_id: Uuid, tier_id: Uuid }
    "SELECT bucket, capacity - held - sold AS free FROM tier_stock WHERE event_id = " (event_id: SqlUuid)
    " AND tier_id = " (tier_id: SqlUuid) " ORDER BY bucket FOR UPDATE"
}

cached_sql! {
    /// Adds `held[i]` and `sold[i]` to row `buckets[i]` of tier `tiers[i]`, in one statement.
    MoveUnits { event_id: Uuid, tiers: Vec<Uuid>, buckets: Vec<i16>, held: Vec<i32>, sold: Vec<i32> }
    "UPDATE tier_stock s SET held = s.held + m.held, sold = s.sold + m.sold \
     FROM unnest(" (tiers: Array<SqlUuid>) "::uuid[], " (buckets: Array<Int2>) "::int2[], "
    (held: Array<Int4>) "::int4[], " (sold: Array<Int4>) "::int4[]) AS m(tier_id, bucket, held, sold) \
     WHERE s.event_id = " (event_id: SqlUuid) " AND s.tier_id = m.tier_id AND s.bucket = m.bucket"
}

cached_sql! {
    /// Writes the order on the named seats no order holds; answers their labels.
    /// The seats are locked in label order first: two buyers of overlapping
    /// seats then wait for each other in one order and never deadlock (the
    /// update's own scan follows the tuples' places, which moves change).
    ClaimSeats { event_id: Uuid, labels: Vec<String>, order_id: Uuid }
    "UPDATE seats SET order_id = " (order_id: SqlUuid) " WHERE event_id = " (event_id: SqlUuid)
    " AND label IN (SELECT label FROM seats WHERE event_id = " (event_id: SqlUuid)
    " AND label = ANY(" (labels: Array<Text>) ") ORDER BY label FOR UPDATE) \
     AND order_id IS NULL RETURNING label"
}

/// Holds `quantity` units of a tier: from one counter row when one has room
/// (one nobody else holds locked if there is one, so concurrent buyers rarely
/// wait; `start`, a random row, spreads them), else from several, the rows
/// with room locked in order. `Err(available)` when the tier has fewer left;
/// nothing is held then.
pub async fn hold_units(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    tier_id: Uuid,
    quantity: i32,
    start: i16,
) -> QueryResult<Result<Vec<Taken>, i64>> {
    for wait in [false, true] {
        let (qty, row) = (quantity, start);
        let one: Option<Bucket> = if wait {
            let take = TakeFromARow {
                event_id,
                tier_id,
                qty,
                start: row,
            };
            take.get_result(conn).await.optional()?
        } else {
            let take = TakeFromAnUnlockedRow {
                event_id,
                tier_id,
                qty,
                start: row,
            };
            take.get_result(conn).await.optional()?
        };
        if let Some(b) = one {
            return Ok(Ok(vec![Taken {
                tier_id,
                bucket: b.bucket,
                quantity,
            }]));
        }
    }
    // No single row has room (or a racer took it first). Too few left in all
    // of them, read without locks: sold out (stock freed later is a new answer).
    let seen: Vec<Bucket> = RoomPerRow { event_id, tier_id }.load(conn).await?;
    let available: i64 = seen.iter().map(|b| i64::from(b.free)).sum();
    if available < i64::from(quantity) {
        return Ok(Err(available));
    }
    // Else lock all the tier's rows, in order (units move between rows
    // meanwhile), count again, and take from several.
    let rows: Vec<Bucket> = LockRows { event_id, tier_id }.load(conn).await?;
    let available: i64 = rows.iter().map(|b| i64::from(b.free)).sum();
    if available < i64::from(quantity) {
        return Ok(Err(available));
    }
    let mut left = quantity;
    let mut taken = Vec::new();
    for b in rows.iter().filter(|b| b.free > 0) {
        let q = left.min(b.free);
        taken.push(Taken {
            tier_id,
            bucket: b.bucket,
            quantity: q,
        });
        left -= q;
        if left == 0 {
            break;
        }
    }
    move_units(conn, event_id, &taken, Units::Hold).await?;
    Ok(Ok(taken))
}

/// What happens to units an order took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Units {
    /// Free -> held (what `hold_units` does when several rows are needed).
    Hold,
    /// Held -> free: the order expired, failed or was cancelled unpaid.
    ReleaseHeld,
    /// Held -> sold: the order was paid.
    Sell,
    /// Sold -> free: a paid order was refunded.
    ReleaseSold,
}

impl Units {
    /// (change of `held`, change of `sold`) per unit.
    fn deltas(self) -> (i32, i32) {
        match self {
            Units::Hold => (1, 0),
            Units::ReleaseHeld => (-1, 0),
            Units::Sell => (-1, 1),
            Units::ReleaseSold => (0, -1),
        }
    }
}

/// Applies one move to the counter rows `taken` names, in one statement.
pub async fn move_units(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    taken: &[Taken],
    how: Units,
) -> QueryResult<()> {
    if taken.is_empty() {
        return Ok(());
    }
    // One entry per row: an UPDATE ... FROM joins a row once, so units of one
    // row given twice would move only once.
    let mut merged: Vec<Taken> = Vec::with_capacity(taken.len());
    for t in taken {
        match merged
            .iter_mut()
            .find(|m| m.tier_id == t.tier_id && m.bucket == t.bucket)
        {
            Some(m) => m.quantity += t.quantity,
            None => merged.push(*t),
        }
    }
    let taken = &merged;
    let (held, sold) = how.deltas();
    let tiers: Vec<Uuid> = taken.iter().map(|t| t.tier_id).collect();
    let buckets: Vec<i16> = taken.iter().map(|t| t.bucket).collect();
    let held: Vec<i32> = taken.iter().map(|t| t.quantity * held).collect();
    let sold: Vec<i32> = taken.iter().map(|t| t.quantity * sold).collect();
    MoveUnits {
        event_id,
        tiers,
        buckets,
        held,
        sold,
    }
    .execute(conn)
    .await
    .map(drop)
}

#[derive(QueryableByName)]
struct Label {
    #[diesel(sql_type = Text)]
    label: String,
}

/// Claims the named seats for `order_id`; answers the labels it got. Seats
/// held or sold to another order are not touched; a caller that got fewer
/// than it asked for gives them back with [`release_seats`].
pub async fn claim_seats(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    order_id: Uuid,
    labels: &[String],
) -> QueryResult<Vec<String>> {
    let labels = labels.to_vec();
    let got: Vec<Label> = ClaimSeats {
        event_id,
        labels,
        order_id,
    }
    .load(conn)
    .await?;
    Ok(got.into_iter().map(|l| l.label).collect())
}

/// The order's seats, held or sold, back on sale.
pub async fn release_seats(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    order_id: Uuid,
) -> QueryResult<()> {
    diesel::update(seats::table)
        .filter(seats::event_id.eq(event_id))
        .filter(seats::order_id.eq(order_id))
        .set((seats::order_id.eq(None::<Uuid>), seats::sold.eq(false)))
        .execute(conn)
        .await
        .map(drop)
}

/// These seats back on sale (their tickets were refunded).
pub async fn release_seats_by_id(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    ids: &[Uuid],
) -> QueryResult<()> {
    diesel::update(seats::table)
        .filter(seats::event_id.eq(event_id))
        .filter(seats::id.eq_any(ids))
        .set((seats::order_id.eq(None::<Uuid>), seats::sold.eq(false)))
        .execute(conn)
        .await
        .map(drop)
}

/// The order's held seats, sold.
pub async fn sell_seats(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    order_id: Uuid,
) -> QueryResult<usize> {
    diesel::update(seats::table)
        .filter(seats::event_id.eq(event_id))
        .filter(seats::order_id.eq(order_id))
        .set(seats::sold.eq(true))
        .execute(conn)
        .await
}

/// Units of a tier nobody holds or bought, read without locks.
pub async fn units_left(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    tier_id: Uuid,
) -> QueryResult<i64> {
    let rows: Vec<Bucket> = RoomPerRow { event_id, tier_id }.load(conn).await?;
    Ok(rows.iter().map(|b| i64::from(b.free)).sum())
}
