//! The history of a ticket: every move, why, and on whose word.

use crate::schema::ticket_moves;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

crate::text_enum! {
    /// Why a ticket moved: its history's `kind`.
    pub enum MoveKind {
        Issued = "issued",
        Comp = "comp",
        Gift = "gift",
        GiftPending = "gift_pending",
        GiftTakenBack = "gift_taken_back",
        Claimed = "claimed",
        Resale = "resale",
        ResaleUndone = "resale_undone",
        Refunded = "refunded",
        Void = "void",
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ticket_moves)]
pub struct TicketMove {
    pub kind: MoveKind,
    pub from_holder: Option<Uuid>,
    pub to_holder: Option<Uuid>,
    pub source: String,
    pub at: DateTime<Utc>,
}

/// One move of one ticket.
#[derive(Debug, Clone, Copy)]
pub struct Move {
    pub event_id: Uuid,
    pub ticket_id: Uuid,
    pub kind: MoveKind,
    pub from: Option<Uuid>,
    pub to: Option<Uuid>,
}

impl TicketMove {
    /// Records moves, in the caller's transaction.
    pub async fn record(
        conn: &mut AsyncPgConnection,
        moves: &[Move],
        source: &str,
    ) -> QueryResult<()> {
        let rows: Vec<_> = moves
            .iter()
            .map(|m| {
                (
                    ticket_moves::event_id.eq(m.event_id),
                    ticket_moves::ticket_id.eq(m.ticket_id),
                    ticket_moves::kind.eq(m.kind),
                    ticket_moves::from_holder.eq(m.from),
                    ticket_moves::to_holder.eq(m.to),
                    ticket_moves::source.eq(source),
                )
            })
            .collect();
        diesel::insert_into(ticket_moves::table)
            .values(rows)
            .execute(conn)
            .await
            .map(drop)
    }

    /// A ticket's history, oldest first.
    pub async fn of_ticket(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        ticket_id: Uuid,
    ) -> QueryResult<Vec<TicketMove>> {
        ticket_moves::table
            .filter(ticket_moves::event_id.eq(event_id))
            .filter(ticket_moves::ticket_id.eq(ticket_id))
            .order(ticket_moves::id)
            .select(TicketMove::as_select())
            .load(conn)
            .await
    }
}
