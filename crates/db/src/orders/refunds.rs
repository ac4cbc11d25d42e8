//! Refunds of part of an order (some of its tickets): owed when asked for, in
//! the transaction that gives the tickets back, and made at Stripe by the
//! refund job under a lease, like a whole payable's refund.

use crate::schema::{order_refunds, tickets};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_refunds)]
pub struct TicketRefund {
    pub id: Uuid,
    pub event_id: Uuid,
    pub order_id: Uuid,
    pub ticket_ids: Vec<Uuid>,
    pub amount_cents: i64,
    pub reason: String,
    pub source: String,
    pub requested_at: DateTime<Utc>,
    pub attempted_at: Option<DateTime<Utc>>,
    pub refund_id: Option<String>,
}

impl TicketRefund {
    pub async fn insert(conn: &mut AsyncPgConnection, refund: &TicketRefund) -> QueryResult<()> {
        diesel::insert_into(order_refunds::table)
            .values(refund)
            .execute(conn)
            .await
            .map(drop)
    }

    pub async fn get(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<TicketRefund>> {
        order_refunds::table
            .filter(order_refunds::event_id.eq(event_id))
            .filter(order_refunds::id.eq(id))
            .select(TicketRefund::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// The order's refunds of tickets, oldest first.
    pub async fn of_order(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        order_id: Uuid,
    ) -> QueryResult<Vec<TicketRefund>> {
        order_refunds::table
            .filter(order_refunds::event_id.eq(event_id))
            .filter(order_refunds::order_id.eq(order_id))
            .order(order_refunds::requested_at)
            .select(TicketRefund::as_select())
            .load(conn)
            .await
    }

    /// What the order's ticket refunds give back: all of them (owed or
    /// made), or only those Stripe has made (`made_only`).
    pub async fn total_for_order(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        order_id: Uuid,
        made_only: bool,
    ) -> QueryResult<i64> {
        let mut query = order_refunds::table
            .filter(order_refunds::event_id.eq(event_id))
            .filter(order_refunds::order_id.eq(order_id))
            .into_boxed();
        if made_only {
            query = query.filter(order_refunds::refund_id.is_not_null());
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
        event_id: Uuid,
        id: Uuid,
        refund_id: &str,
    ) -> QueryResult<bool> {
        diesel::update(order_refunds::table)
            .filter(order_refunds::event_id.eq(event_id))
            .filter(order_refunds::id.eq(id))
            .filter(order_refunds::refund_id.is_null())
            .set(order_refunds::refund_id.eq(refund_id))
            .execute(conn)
            .await
            .map(|n| n == 1)
    }

    /// Claims refunds owed since before `before` and not tried since, leased
    /// to this worker (`attempted_at`), one by one by full key
    /// (`lease_each`: Citus locks rows on one shard only).
    pub async fn claim_due(
        conn: &mut AsyncPgConnection,
        before: DateTime<Utc>,
        limit: i64,
    ) -> QueryResult<Vec<(Uuid, Uuid)>> {
        let due = || {
            order_refunds::table
                .filter(order_refunds::refund_id.is_null())
                .filter(order_refunds::requested_at.le(before))
                .filter(
                    order_refunds::attempted_at
                        .is_null()
                        .or(order_refunds::attempted_at.le(before)),
                )
        };
        Ok(crate::payable_rows::lease_each!(
            conn,
            due,
            order_refunds::requested_at,
            limit,
            order_refunds,
            event_id,
            attempted_at
        ))
    }
}

/// The order's tickets with these ids, locked (a refund or a move of the same
/// ticket waits for this transaction).
pub async fn lock_tickets(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    order_id: Uuid,
    ids: &[Uuid],
) -> QueryResult<Vec<super::tickets::Ticket>> {
    tickets::table
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::order_id.eq(order_id))
        .filter(tickets::id.eq_any(ids))
        .order(tickets::id)
        .select(super::tickets::Ticket::as_select())
        .for_update()
        .load(conn)
        .await
}

/// The ticket with this id, whoever holds it (its event's organizer acts on it).
pub async fn find_ticket(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<super::tickets::Ticket>> {
    tickets::table
        .filter(tickets::id.eq(id))
        .select(super::tickets::Ticket::as_select())
        .first(conn)
        .await
        .optional()
}

/// The event's ticket with this id, locked.
pub async fn lock_ticket(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<super::tickets::Ticket>> {
    tickets::table
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::id.eq(id))
        .select(super::tickets::Ticket::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Marks these tickets `status`.
pub async fn set_ticket_status(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    ids: &[Uuid],
    status: super::tickets::TicketStatus,
) -> QueryResult<()> {
    diesel::update(tickets::table)
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::id.eq_any(ids))
        .set(tickets::status.eq(status))
        .execute(conn)
        .await
        .map(drop)
}
