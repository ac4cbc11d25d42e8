//! The money and hold columns every kind of order shares (bookings, ticket
//! orders): its PaymentIntent, what Stripe last said,
//! the status machine with its record of why, and what the background jobs
//! claim, each `FOR UPDATE SKIP LOCKED` (or leased) so that many instances
//! never work on the same row. Written once, stamped onto each table.
//!
//! A job's claim is two steps, so that it also runs on Citus, which takes no
//! row locks in a query over several shards: the candidates are read without
//! locks, then each is locked on its own shard by its full key, with the
//! job's condition checked again on the locked row (READ COMMITTED re-reads
//! a row that changed meanwhile), skipping rows another worker holds.

/// Implements the payment-core queries on `$ty`, stored in `$table`, addressed
/// by `$key` (`$route` + `id`: `$route` is the column the table would be
/// distributed by, named by every statement), its history in `$transitions`
/// (`$fk` naming the row), and with the status predicates `$pending` and
/// `$unsettled` written as literal SQL so the partial indexes match.
macro_rules! payable_rows {
    (
        $ty:ident, $key:ident, $table:ident, $route:ident,
        $transitions:ident, $fk:ident, $pending:path, $unsettled:path
    ) => {
        mod payable_rows_impl {
            use super::{$key, $ty};
            use chrono::{DateTime, Utc};
            use diesel::prelude::*;
            use diesel_async::{AsyncPgConnection, RunQueryDsl};
            use uuid::Uuid;
            use $crate::schema::{$table, $transitions};
            use $crate::status::Status;

            /// The one row `key` names.
            fn one(
                key: $key,
            ) -> $crate::payable_rows::One<$table::table, $table::$route, $table::id> {
                $table::table
                    .filter($table::$route.eq(key.$route))
                    .filter($table::id.eq(key.id))
            }

            impl $ty {
                /// Records one status change: from, to, why, and on whose word.
                pub async fn record_transition(
                    conn: &mut AsyncPgConnection,
                    key: $key,
                    from: Option<Status>,
                    to: Status,
                    reason: &str,
                    source: &str,
                ) -> QueryResult<()> {
                    diesel::insert_into($transitions::table)
                        .values((
                            $transitions::$fk.eq(key.id),
                            $transitions::$route.eq(key.$route),
                            $transitions::from_status.eq(from),
                            $transitions::to_status.eq(to),
                            $transitions::reason.eq(reason),
                            $transitions::source.eq(source),
                        ))
                        .execute(conn)
                        .await
                        .map(drop)
                }

                /// Moves the row from one of `from` to `to` and records why, in
                /// the caller's transaction; answers the status it left and the
                /// row now, `None` when it was not in any of `from`.
                pub async fn transition_from(
                    conn: &mut AsyncPgConnection,
                    key: $key,
                    from: &[Status],
                    to: Status,
                    reason: &str,
                    source: &str,
                ) -> QueryResult<Option<(Status, $ty)>> {
                    let before: Option<Status> = one(key)
                        .select($table::status)
                        .for_update()
                        .first(conn)
                        .await
                        .optional()?;
                    let Some(before) = before.filter(|s| from.contains(s)) else {
                        return Ok(None);
                    };
                    let mut updated: $ty = diesel::update(one(key))
                        .set((
                            $table::status.eq(to),
                            $table::updated_at.eq(diesel::dsl::now),
                        ))
                        .returning($ty::as_returning())
                        .get_result(conn)
                        .await?;
                    if to == Status::Cancelled {
                        updated = diesel::update(one(key))
                            .set($table::cancelled_at.eq(diesel::dsl::now))
                            .returning($ty::as_returning())
                            .get_result(conn)
                            .await?;
                    }
                    Self::record_transition(conn, key, Some(before), to, reason, source).await?;
                    Ok(Some((before, updated)))
                }

                pub async fn find_by_intent(
                    conn: &mut AsyncPgConnection,
                    intent: &str,
                ) -> QueryResult<Option<$ty>> {
                    $table::table
                        .filter($table::payment_intent_id.eq(intent))
                        .select($ty::as_select())
                        .first(conn)
                        .await
                        .optional()
                }

                pub async fn get(
                    conn: &mut AsyncPgConnection,
                    key: $key,
                ) -> QueryResult<Option<$ty>> {
                    one(key)
                        .select($ty::as_select())
                        .first(conn)
                        .await
                        .optional()
                }

                /// Locked until the end of the caller's transaction.
                pub async fn lock(
                    conn: &mut AsyncPgConnection,
                    key: $key,
                ) -> QueryResult<Option<$ty>> {
                    one(key)
                        .select($ty::as_select())
                        .for_update()
                        .first(conn)
                        .await
                        .optional()
                }

                /// The key of the row with this id, for callers that hold only
                /// the id (crash recovery from an idempotency key, old
                /// PaymentIntents). On Citus this one lookup asks every shard.
                pub async fn locate(
                    conn: &mut AsyncPgConnection,
                    id: Uuid,
                ) -> QueryResult<Option<$key>> {
                    $table::table
                        .filter($table::id.eq(id))
                        .select(($table::$route, $table::id))
                        .first::<(Uuid, Uuid)>(conn)
                        .await
                        .optional()
                        .map(|found| found.map(|($route, id)| $key { $route, id }))
                }

                /// Stores its PaymentIntent, unless another one is attached
                /// already; `None` then (the caller must not leave the other payable).
                pub async fn attach_intent(
                    conn: &mut AsyncPgConnection,
                    key: $key,
                    intent: &str,
                    client_secret: &str,
                    status: &str,
                ) -> QueryResult<Option<$ty>> {
                    diesel::update(one(key))
                        .filter(
                            $table::payment_intent_id
                                .is_null()
                                .or($table::payment_intent_id.eq(intent)),
                        )
                        .set((
                            $table::payment_intent_id.eq(intent),
                            $table::payment_client_secret.eq(client_secret),
                            $table::payment_status.eq(status),
                            $table::updated_at.eq(diesel::dsl::now),
                        ))
                        .returning($ty::as_returning())
                        .get_result(conn)
                        .await
                        .optional()
                }

                /// Remembers what Stripe last said about the payment.
                pub async fn record_payment(
                    conn: &mut AsyncPgConnection,
                    key: $key,
                    status: &str,
                    error: Option<&str>,
                ) -> QueryResult<()> {
                    diesel::update(one(key))
                        .set((
                            $table::payment_status.eq(status),
                            $table::payment_error.eq(error),
                            $table::updated_at.eq(diesel::dsl::now),
                        ))
                        .execute(conn)
                        .await
                        .map(drop)
                }

                /// Pending ones whose hold has run out, locked for this worker only.
                pub async fn lock_expired_holds(
                    conn: &mut AsyncPgConnection,
                    limit: i64,
                ) -> QueryResult<Vec<$ty>> {
                    let expired = || {
                        $table::table
                            .filter($pending())
                            .filter($table::expires_at.le(diesel::dsl::now))
                    };
                    $crate::payable_rows::lock_each!(
                        conn,
                        expired,
                        $table::expires_at,
                        limit,
                        $table,
                        $route,
                        $ty
                    )
                }

                /// Ones whose payment Stripe should be asked about, untouched
                /// since `before`; locked for this worker only.
                pub async fn lock_unsettled(
                    conn: &mut AsyncPgConnection,
                    before: DateTime<Utc>,
                    limit: i64,
                ) -> QueryResult<Vec<$ty>> {
                    let unsettled = || {
                        $table::table
                            .filter($unsettled())
                            .filter($table::updated_at.le(before))
                    };
                    $crate::payable_rows::lock_each!(
                        conn,
                        unsettled,
                        $table::updated_at,
                        limit,
                        $table,
                        $route,
                        $ty
                    )
                }

                /// Marks one as looked at, so a reconciler moves on to others.
                pub async fn touch(conn: &mut AsyncPgConnection, key: $key) -> QueryResult<()> {
                    diesel::update(one(key))
                        .set($table::updated_at.eq(diesel::dsl::now))
                        .execute(conn)
                        .await
                        .map(drop)
                }
            }
        }
    };
}
pub(crate) use payable_rows;

/// A job's claim (see the top of this file): up to `$limit` keys of the rows
/// `$rows()` (the job's condition) finds, oldest `$order` first, read without
/// locks; then each row locked by its full key with the condition checked
/// again, skipping rows another worker holds. Answers the locked rows.
macro_rules! lock_each {
    ($conn:ident, $rows:ident, $order:expr, $limit:ident, $table:ident, $route:ident, $ty:ident) => {{
        let keys: Vec<(Uuid, Uuid)> = $rows()
            .order($order)
            .limit($limit)
            .select(($table::$route, $table::id))
            .load($conn)
            .await?;
        let mut locked = Vec::with_capacity(keys.len());
        for (route, id) in keys {
            let row = $rows()
                .filter($table::$route.eq(route))
                .filter($table::id.eq(id))
                .select($ty::as_select())
                .for_update()
                .skip_locked()
                .first($conn)
                .await
                .optional()?;
            locked.extend(row);
        }
        Ok(locked)
    }};
}
pub(crate) use lock_each;

/// A lease claim (refunds owed): like [`lock_each`], but each row found free
/// is leased by setting `$leased` to now, so other workers pass it by until
/// the lease runs out. Answers the claimed keys (route, id).
macro_rules! lease_each {
    ($conn:ident, $rows:ident, $order:expr, $limit:ident, $table:ident, $route:ident, $leased:ident) => {{
        let keys: Vec<(Uuid, Uuid)> = $rows()
            .order($order)
            .limit($limit)
            .select(($table::$route, $table::id))
            .load($conn)
            .await?;
        let mut claimed = Vec::with_capacity(keys.len());
        for (route, id) in keys {
            let free: Option<Uuid> = $rows()
                .filter($table::$route.eq(route))
                .filter($table::id.eq(id))
                .select($table::id)
                .for_update()
                .skip_locked()
                .first($conn)
                .await
                .optional()?;
            if free.is_some() {
                diesel::update($table::table)
                    .filter($table::$route.eq(route))
                    .filter($table::id.eq(id))
                    .set($table::$leased.eq(diesel::dsl::now))
                    .execute($conn)
                    .await?;
                claimed.push((route, id));
            }
        }
        claimed
    }};
}
pub(crate) use lease_each;

/// The type of `table.filter(route = ?).filter(id = ?)`.
pub type One<T, R, I> = diesel::dsl::Filter<
    diesel::dsl::Filter<T, diesel::dsl::Eq<R, uuid::Uuid>>,
    diesel::dsl::Eq<I, uuid::Uuid>,
>;
