//! What an event has left: tier units counted in split counter rows
//! (`tier_stock`, whose CHECK refuses an oversell) and seats claimed by
//! writing the order's id on them (one column: one active order per seat).
//! Every change happens in the caller's transaction, which also changes the
//! order it is for.

use crate::schema::seats;
use diesel::prelude::*;
use diesel::sql_types::{Array, Int2, Int4, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
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
pub async fn short_lock_timeout(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query("SET LOCAL lock_timeout = '2s'")
        .execute(conn)
        .await
        .map(drop)
}

/// Takes `quantity` units from one counter row with room, tried from
/// `start`: one no other transaction has locked (`SKIP LOCKED`: no waiting),
/// else waiting for the first with room.
const TAKE_FROM_AN_UNLOCKED_ROW: &str = "UPDATE tier_stock SET held = held + $3
     WHERE event_id = $1 AND tier_id = $2 AND held + sold + $3 <= capacity
       AND bucket = (SELECT bucket FROM tier_stock
                     WHERE event_id = $1 AND tier_id = $2 AND held + sold + $3 <= capacity
                     ORDER BY (bucket - $4 + 8) % 8 LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING bucket, capacity - held - sold AS free";
const TAKE_FROM_A_ROW: &str = "UPDATE tier_stock SET held = held + $3
     WHERE event_id = $1 AND tier_id = $2 AND held + sold + $3 <= capacity
       AND bucket = (SELECT bucket FROM tier_stock
                     WHERE event_id = $1 AND tier_id = $2 AND held + sold + $3 <= capacity
                     ORDER BY (bucket - $4 + 8) % 8 LIMIT 1)
     RETURNING bucket, capacity - held - sold AS free";

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
    for take in [TAKE_FROM_AN_UNLOCKED_ROW, TAKE_FROM_A_ROW] {
        let one: Option<Bucket> = diesel::sql_query(take)
            .bind::<SqlUuid, _>(event_id)
            .bind::<SqlUuid, _>(tier_id)
            .bind::<Int4, _>(quantity)
            .bind::<Int2, _>(start)
            .get_result(conn)
            .await
            .optional()?;
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
    let seen: Vec<Bucket> = diesel::sql_query(
        "SELECT bucket, capacity - held - sold AS free FROM tier_stock
         WHERE event_id = $1 AND tier_id = $2",
    )
    .bind::<SqlUuid, _>(event_id)
    .bind::<SqlUuid, _>(tier_id)
    .load(conn)
    .await?;
    let available: i64 = seen.iter().map(|b| i64::from(b.free)).sum();
    if available < i64::from(quantity) {
        return Ok(Err(available));
    }
    // Else lock the rows that had room, in order, and take from several.
    let with_room: Vec<i16> = seen
        .iter()
        .filter(|b| b.free > 0)
        .map(|b| b.bucket)
        .collect();
    let rows: Vec<Bucket> = diesel::sql_query(
        "SELECT bucket, capacity - held - sold AS free FROM tier_stock
         WHERE event_id = $1 AND tier_id = $2 AND bucket = ANY($3) ORDER BY bucket FOR UPDATE",
    )
    .bind::<SqlUuid, _>(event_id)
    .bind::<SqlUuid, _>(tier_id)
    .bind::<Array<Int2>, _>(with_room)
    .load(conn)
    .await?;
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
    let (held, sold) = how.deltas();
    let tiers: Vec<Uuid> = taken.iter().map(|t| t.tier_id).collect();
    let buckets: Vec<i16> = taken.iter().map(|t| t.bucket).collect();
    let held: Vec<i32> = taken.iter().map(|t| t.quantity * held).collect();
    let sold: Vec<i32> = taken.iter().map(|t| t.quantity * sold).collect();
    diesel::sql_query(
        "UPDATE tier_stock s SET held = s.held + m.held, sold = s.sold + m.sold
         FROM unnest($2::uuid[], $3::int2[], $4::int4[], $5::int4[]) AS m(tier_id, bucket, held, sold)
         WHERE s.event_id = $1 AND s.tier_id = m.tier_id AND s.bucket = m.bucket",
    )
    .bind::<SqlUuid, _>(event_id)
    .bind::<Array<SqlUuid>, _>(tiers)
    .bind::<Array<Int2>, _>(buckets)
    .bind::<Array<Int4>, _>(held)
    .bind::<Array<Int4>, _>(sold)
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
    let got: Vec<Label> = diesel::sql_query(
        "UPDATE seats SET order_id = $3
         WHERE event_id = $1 AND label = ANY($2) AND order_id IS NULL
         RETURNING label",
    )
    .bind::<SqlUuid, _>(event_id)
    .bind::<Array<Text>, _>(labels)
    .bind::<SqlUuid, _>(order_id)
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
