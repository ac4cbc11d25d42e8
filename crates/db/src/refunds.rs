//! Refunds: one row per sum of money owed back on a payable's PaymentIntent,
//! whatever the payable (a booking, a ticket or resale order) and whatever the
//! cause (a cancellation's share, the rest of a payment, some tickets). Owed in
//! the transaction that decides it, made at Stripe by one job under a lease
//! (`attempted_at`), recorded once (`refund_id`). At most one *closing* refund
//! per payable (a unique index): the one that ends its payment.

use crate::schema::refunds;
use crate::status::PayableKind;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// How a refund is addressed: its payable's distribution column and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefundKey {
    pub scope_id: Uuid,
    pub id: Uuid,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refunds)]
pub struct Refund {
    pub scope_id: Uuid,
    pub id: Uuid,
    pub payable_kind: PayableKind,
    pub payable_id: Uuid,
    pub intent_id: String,
    pub closing: bool,
    pub ticket_ids: Vec<Uuid>,
    pub amount_cents: i64,
    pub reason: String,
    pub source: String,
    pub idempotency_key: String,
    pub requested_at: DateTime<Utc>,
    pub attempted_at: Option<DateTime<Utc>>,
    pub refund_id: Option<String>,
}

fn one(key: RefundKey) -> crate::payable_rows::One<refunds::table, refunds::scope_id, refunds::id> {
    refunds::table
        .filter(refunds::scope_id.eq(key.scope_id))
        .filter(refunds::id.eq(key.id))
}

impl Refund {
    pub fn key(&self) -> RefundKey {
        RefundKey {
            scope_id: self.scope_id,
            id: self.id,
        }
    }

    /// Stores an owed refund. A closing one is stored only if its payable has
    /// none yet: `false` then (the database refuses a second one).
    pub async fn owe(conn: &mut AsyncPgConnection, refund: &Refund) -> QueryResult<bool> {
        diesel::insert_into(refunds::table)
            .values(refund)
            .on_conflict_do_nothing()
            .execute(conn)
            .await
            .map(|n| n == 1)
    }

    pub async fn get(conn: &mut AsyncPgConnection, key: RefundKey) -> QueryResult<Option<Refund>> {
        one(key)
            .select(Refund::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// The payable's refunds, oldest first.
    pub async fn of_payable(
        conn: &mut AsyncPgConnection,
        scope_id: Uuid,
        payable_id: Uuid,
    ) -> QueryResult<Vec<Refund>> {
        refunds::table
            .filter(refunds::scope_id.eq(scope_id))
            .filter(refunds::payable_id.eq(payable_id))
            .order((refunds::requested_at, refunds::id))
            .select(Refund::as_select())
            .load(conn)
            .await
    }

    /// The payable's closing refund, if one is owed or made.
    pub async fn closing_of(
        conn: &mut AsyncPgConnection,
        scope_id: Uuid,
        payable_id: Uuid,
    ) -> QueryResult<Option<Refund>> {
        refunds::table
            .filter(refunds::scope_id.eq(scope_id))
            .filter(refunds::payable_id.eq(payable_id))
            .filter(refunds::closing)
            .select(Refund::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// What the payable's refunds give back: all of them (owed or made), or
    /// only those Stripe has made (`made_only`).
    pub async fn total(
        conn: &mut AsyncPgConnection,
        scope_id: Uuid,
        payable_id: Uuid,
        made_only: bool,
    ) -> QueryResult<i64> {
        let mut query = refunds::table
            .filter(refunds::scope_id.eq(scope_id))
            .filter(refunds::payable_id.eq(payable_id))
            .into_boxed();
        if made_only {
            query = query.filter(refunds::refund_id.is_not_null());
        }
        query
            .select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "coalesce(sum(amount_cents), 0)::bigint",
            ))
            .first(conn)
            .await
    }

    /// Records the refund Stripe made; true when this call recorded it.
    pub async fn record(
        conn: &mut AsyncPgConnection,
        key: RefundKey,
        refund_id: &str,
    ) -> QueryResult<bool> {
        diesel::update(one(key))
            .filter(refunds::refund_id.is_null())
            .set(refunds::refund_id.eq(refund_id))
            .execute(conn)
            .await
            .map(|n| n == 1)
    }

    /// Records a closing refund made outside (Stripe's dashboard): a closing
    /// one owed and not made yet is taken as made by it; true when recorded.
    pub async fn record_made_elsewhere(
        conn: &mut AsyncPgConnection,
        refund: &Refund,
    ) -> QueryResult<bool> {
        let owed = refunds::table
            .filter(refunds::scope_id.eq(refund.scope_id))
            .filter(refunds::payable_id.eq(refund.payable_id))
            .filter(refunds::closing)
            .select(Refund::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?;
        match owed {
            Some(owed) if owed.refund_id.is_none() => diesel::update(one(owed.key()))
                .filter(refunds::refund_id.is_null())
                .set((
                    refunds::refund_id.eq(&refund.refund_id),
                    refunds::amount_cents.eq(refund.amount_cents),
                ))
                .execute(conn)
                .await
                .map(|n| n == 1),
            Some(_) => Ok(false),
            None => Refund::owe(conn, refund).await,
        }
    }

    /// Claims refunds owed since before `before` and not tried since, leased
    /// to this worker (`attempted_at`), one by one by full key
    /// (`lease_each`: Citus locks rows on one shard only).
    pub async fn claim_due(
        conn: &mut AsyncPgConnection,
        before: DateTime<Utc>,
        limit: i64,
    ) -> QueryResult<Vec<RefundKey>> {
        let due = || {
            refunds::table
                .filter(refunds::refund_id.is_null())
                .filter(refunds::requested_at.le(before))
                .filter(
                    refunds::attempted_at
                        .is_null()
                        .or(refunds::attempted_at.le(before)),
                )
        };
        let claimed = crate::payable_rows::lease_each!(
            conn,
            due,
            refunds::requested_at,
            limit,
            refunds,
            scope_id,
            attempted_at
        );
        Ok(claimed
            .into_iter()
            .map(|(scope_id, id)| RefundKey { scope_id, id })
            .collect())
    }
}
