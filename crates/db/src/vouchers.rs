//! An event's vouchers (promo codes): stored, found by code, and their uses
//! taken and given back in the transaction of the order that holds them.
//! `uses` never passes `max_uses`: the UPDATE asks for room and the table's
//! CHECK refuses what any other write would do.

use crate::schema::{orders, vouchers};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = vouchers)]
pub struct Voucher {
    pub event_id: Uuid,
    pub id: Uuid,
    /// Upper case, 3 to 32 of A-Z, 0-9, `-`, `_`.
    pub code: String,
    pub percent_off: Option<i32>,
    pub amount_off_cents: Option<i64>,
    /// The tiers it is valid for; empty: every tier.
    pub tier_ids: Vec<Uuid>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub max_uses: i32,
    pub uses: i32,
    pub max_per_order: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

#[derive(QueryableByName)]
struct Released {
    #[diesel(sql_type = SqlUuid)]
    voucher_id: Uuid,
}

/// What a voucher brought in, from the orders holding it that were paid.
#[derive(Debug, Clone, Copy, Default, QueryableByName)]
pub struct VoucherSales {
    #[diesel(sql_type = SqlUuid)]
    pub voucher_id: Uuid,
    #[diesel(sql_type = BigInt)]
    pub orders: i64,
    #[diesel(sql_type = BigInt)]
    pub tickets: i64,
    #[diesel(sql_type = BigInt)]
    pub revenue_cents: i64,
    #[diesel(sql_type = BigInt)]
    pub discount_cents: i64,
}

impl Voucher {
    /// Stores new vouchers; a code the event has already is refused by the
    /// unique index (the caller answers 409).
    pub async fn insert_all(conn: &mut AsyncPgConnection, new: &[Voucher]) -> QueryResult<()> {
        diesel::insert_into(vouchers::table)
            .values(new)
            .execute(conn)
            .await
            .map(|_| ())
    }

    pub async fn by_code(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        code: &str,
    ) -> QueryResult<Option<Voucher>> {
        vouchers::table
            .filter(vouchers::event_id.eq(event_id))
            .filter(vouchers::code.eq(code))
            .select(Voucher::as_select())
            .first(conn)
            .await
            .optional()
    }

    pub async fn of_event(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
    ) -> QueryResult<Vec<Voucher>> {
        vouchers::table
            .filter(vouchers::event_id.eq(event_id))
            .order((vouchers::created_at, vouchers::code))
            .select(Voucher::as_select())
            .load(conn)
            .await
    }

    /// Takes one use, if one is left (and, for a new order, the voucher is
    /// on; an order that held it before keeps it): false otherwise. The row
    /// stays locked until the caller's transaction ends.
    pub async fn take_use(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        id: Uuid,
        new_order: bool,
    ) -> QueryResult<bool> {
        let query = diesel::update(vouchers::table)
            .filter(vouchers::event_id.eq(event_id))
            .filter(vouchers::id.eq(id))
            .filter(vouchers::uses.lt(vouchers::max_uses));
        let taken = if new_order {
            (query.filter(vouchers::disabled_at.is_null()))
                .set(vouchers::uses.eq(vouchers::uses + 1))
                .execute(conn)
                .await?
        } else {
            query
                .set(vouchers::uses.eq(vouchers::uses + 1))
                .execute(conn)
                .await?
        };
        Ok(taken == 1)
    }

    /// Gives back the uses held by the orders `orders` names that hold one
    /// and, when `only_if_ended`, have no live ticket left: each order's
    /// once (its `voucher_held` turns false in the same statement).
    pub async fn give_back_of_orders(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        orders: &[Uuid],
        only_if_ended: bool,
    ) -> QueryResult<()> {
        let released: Vec<Released> = diesel::sql_query(
            "UPDATE orders o SET voucher_held = false WHERE o.event_id = $1 AND o.id = ANY($2) AND o.voucher_held \
             AND (NOT $3 OR NOT EXISTS (SELECT 1 FROM tickets t WHERE t.event_id = o.event_id AND t.order_id = o.id \
                                         AND t.status IN ('valid', 'transfer_pending'))) \
             RETURNING o.voucher_id",
        )
        .bind::<SqlUuid, _>(event_id)
        .bind::<diesel::sql_types::Array<SqlUuid>, _>(orders)
        .bind::<diesel::sql_types::Bool, _>(only_if_ended)
        .load(conn)
        .await?;
        for r in released {
            Voucher::give_back(conn, event_id, r.voucher_id).await?;
        }
        Ok(())
    }

    /// Marks an order as holding its voucher's use again (a late payment).
    pub async fn hold_again(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        order: Uuid,
    ) -> QueryResult<()> {
        diesel::update(orders::table)
            .filter(orders::event_id.eq(event_id))
            .filter(orders::id.eq(order))
            .set(orders::voucher_held.eq(true))
            .execute(conn)
            .await
            .map(|_| ())
    }

    /// Gives a use back (the order holding it expired, failed, was cancelled
    /// or refunded whole).
    pub async fn give_back(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        id: Uuid,
    ) -> QueryResult<()> {
        diesel::update(vouchers::table)
            .filter(vouchers::event_id.eq(event_id))
            .filter(vouchers::id.eq(id))
            .filter(vouchers::uses.gt(0))
            .set(vouchers::uses.eq(vouchers::uses - 1))
            .execute(conn)
            .await
            .map(|_| ())
    }

    /// Switches a voucher off: no new order may take it.
    pub async fn disable(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        id: Uuid,
    ) -> QueryResult<bool> {
        let changed = diesel::update(vouchers::table)
            .filter(vouchers::event_id.eq(event_id))
            .filter(vouchers::id.eq(id))
            .filter(vouchers::disabled_at.is_null())
            .set(vouchers::disabled_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?;
        Ok(changed == 1)
    }

    /// What each voucher's paid (confirmed) orders brought in, by voucher.
    pub async fn sales_of_event(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
    ) -> QueryResult<Vec<VoucherSales>> {
        diesel::sql_query(
            "SELECT o.voucher_id, count(*) AS orders, \
             COALESCE(sum((SELECT sum(i.quantity) FROM order_items i \
                           WHERE i.event_id = o.event_id AND i.order_id = o.id)), 0)::bigint AS tickets, \
             COALESCE(sum(o.total_cents - COALESCE((SELECT sum(r.amount_cents) FROM refunds r \
                 WHERE r.scope_id = o.event_id AND r.payable_kind = 'order' AND r.payable_id = o.id), 0)), 0)::bigint \
               AS revenue_cents, \
             COALESCE(sum(o.discount_cents), 0)::bigint AS discount_cents \
             FROM orders o WHERE o.event_id = $1 AND o.voucher_id IS NOT NULL AND o.status = 'confirmed' \
             GROUP BY o.voucher_id",
        )
        .bind::<SqlUuid, _>(event_id)
        .load(conn)
        .await
    }
}
