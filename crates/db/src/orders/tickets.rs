//! Tickets: one per unit of a paid (or free) order, each with an unguessable
//! code that admits its holder.

use crate::schema::{seats, tickets};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

crate::text_enum! {
    /// Where a ticket stands. Only `Valid` admits; `Refunded` and `Void` are
    /// final (the custody module never makes one valid again).
    pub enum TicketStatus {
        Valid = "valid",
        /// Given to an address with no verified account yet; still its giver's until claimed.
        TransferPending = "transfer_pending",
        Refunded = "refunded",
        /// Revoked by the organizer, or its order cancelled before it was paid for.
        Void = "void",
    }
}

impl TicketStatus {
    /// Still someone's: it holds its stock unit or seat.
    pub fn is_live(self) -> bool {
        matches!(self, TicketStatus::Valid | TicketStatus::TransferPending)
    }
}

const LIVE: [TicketStatus; 2] = [TicketStatus::Valid, TicketStatus::TransferPending];

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tickets)]
pub struct Ticket {
    pub id: Uuid,
    pub event_id: Uuid,
    pub order_id: Option<Uuid>,
    pub tier_id: Option<Uuid>,
    pub seat_id: Option<Uuid>,
    /// `None` while the ticket waits for `pending_email` to sign up.
    pub holder_id: Option<Uuid>,
    pub price_cents: i64,
    pub status: TicketStatus,
    pub code: String,
    pub created_at: DateTime<Utc>,
    /// The stock row a tier ticket was sold from (given back on refund).
    pub bucket: Option<i16>,
    pub pending_email: Option<String>,
    /// Bumped by every move: a code signed for an older count is stale.
    pub moves: i32,
    /// Last move or scan (scanners sync what changed since).
    pub changed_at: DateTime<Utc>,
    /// Admissions at the door so far.
    pub entries: i32,
    /// Admitted and not checked out.
    pub inside: bool,
}

/// What a hand-over writes on a ticket.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = tickets, treat_none_as_null = true)]
pub struct Handover<'a> {
    #[diesel(column_name = holder_id)]
    pub holder: Option<Uuid>,
    pub status: TicketStatus,
    pub pending_email: Option<&'a str>,
    pub moves: i32,
    pub code: &'a str,
    /// Whoever was inside on the old code is not the new holder.
    pub inside: bool,
}

/// A ticket as shown: with its seat's label.
#[derive(Debug, Clone, Queryable, Selectable)]
pub struct TicketWithSeat {
    #[diesel(embed)]
    pub ticket: Ticket,
    #[diesel(select_expression = seats::label.nullable())]
    #[diesel(select_expression_type = diesel::dsl::Nullable<seats::label>)]
    pub seat: Option<String>,
}

/// Keyset position for paging newest-first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TicketCursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

/// Tickets with their seats, joined on the event as well as the seat, so
/// that on Citus the join stays within the event's shards.
macro_rules! with_seats {
    () => {
        tickets::table.left_join(
            seats::table.on(seats::event_id
                .eq(tickets::event_id)
                .and(tickets::seat_id.eq(seats::id.nullable()))),
        )
    };
}

impl Ticket {
    pub async fn insert_all(conn: &mut AsyncPgConnection, issued: &[Ticket]) -> QueryResult<()> {
        diesel::insert_into(tickets::table)
            .values(issued)
            .execute(conn)
            .await
            .map(drop)
    }

    pub async fn of_order(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        order_id: Uuid,
    ) -> QueryResult<Vec<TicketWithSeat>> {
        with_seats!()
            .filter(tickets::event_id.eq(event_id))
            .filter(tickets::order_id.eq(order_id))
            .order(tickets::id)
            .select(TicketWithSeat::as_select())
            .load(conn)
            .await
    }

    /// The ticket a resale order bought through `listing_id`, once it is the
    /// buyer's (a resale moves the seller's ticket; its `order_id` stays the
    /// first sale's).
    pub async fn bought_through(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        listing_id: Uuid,
        buyer_id: Uuid,
    ) -> QueryResult<Vec<TicketWithSeat>> {
        use crate::schema::listings;
        with_seats!()
            .filter(tickets::event_id.eq(event_id))
            .filter(tickets::holder_id.eq(buyer_id))
            .filter(
                tickets::id.eq_any(
                    listings::table
                        .filter(listings::event_id.eq(event_id))
                        .filter(listings::id.eq(listing_id))
                        .select(listings::ticket_id),
                ),
            )
            .select(TicketWithSeat::as_select())
            .load(conn)
            .await
    }

    /// Gives the tickets waiting for `email` to its new account, each with a
    /// new code (`sign(event, ticket, moves)`); answers them (event, id).
    /// Found first, then each changed by its full key and its move count
    /// (Citus refuses volatile functions in an UPDATE, and locks over shards).
    pub async fn claim_pending(
        conn: &mut AsyncPgConnection,
        email: &str,
        user: Uuid,
        sign: impl Fn(Uuid, Uuid, i32) -> String,
    ) -> QueryResult<Vec<(Uuid, Uuid)>> {
        // Not one voided (revoked) while it waited.
        let waiting = || {
            tickets::table
                .filter(tickets::pending_email.eq(email))
                .filter(tickets::status.eq_any(LIVE))
        };
        let found: Vec<(Uuid, Uuid, i32)> = waiting()
            .select((tickets::event_id, tickets::id, tickets::moves))
            .load(conn)
            .await?;
        let mut claimed = Vec::with_capacity(found.len());
        for (event_id, id, moves) in found {
            let changed = diesel::update(
                waiting()
                    .filter(tickets::event_id.eq(event_id))
                    .filter(tickets::id.eq(id))
                    .filter(tickets::moves.eq(moves)),
            )
            .set((
                tickets::holder_id.eq(user),
                tickets::status.eq(TicketStatus::Valid),
                tickets::pending_email.eq(None::<String>),
                tickets::moves.eq(moves + 1),
                tickets::code.eq(sign(event_id, id, moves + 1)),
                tickets::changed_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
            if changed == 1 {
                claimed.push((event_id, id));
            }
        }
        Ok(claimed)
    }

    /// Writes a hand-over on the ticket, which must still be at move `moves`
    /// (the caller holds its lock): the old code no longer admits anyone.
    pub async fn hand_over(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        id: Uuid,
        moves: i32,
        change: &Handover<'_>,
    ) -> QueryResult<Ticket> {
        diesel::update(tickets::table)
            .filter(tickets::event_id.eq(event_id))
            .filter(tickets::id.eq(id))
            .filter(tickets::moves.eq(moves))
            .set((change, tickets::changed_at.eq(Utc::now())))
            .returning(Ticket::as_returning())
            .get_result(conn)
            .await
    }

    /// The holder's ticket with this id; `None` for anyone else's.
    pub async fn find_for(
        conn: &mut AsyncPgConnection,
        holder: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<TicketWithSeat>> {
        with_seats!()
            .filter(tickets::id.eq(id))
            .filter(tickets::holder_id.eq(holder))
            .select(TicketWithSeat::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// The holder's tickets, newest first.
    pub async fn list(
        conn: &mut AsyncPgConnection,
        holder: Uuid,
        cursor: Option<TicketCursor>,
        limit: i64,
    ) -> QueryResult<Vec<TicketWithSeat>> {
        let mut query = with_seats!()
            .filter(tickets::holder_id.eq(holder))
            .select(TicketWithSeat::as_select())
            .order((tickets::created_at.desc(), tickets::id.desc()))
            .limit(limit)
            .into_boxed();
        if let Some(c) = cursor {
            query = query.filter(
                tickets::created_at.lt(c.created_at).or(tickets::created_at
                    .eq(c.created_at)
                    .and(tickets::id.lt(c.id))),
            );
        }
        query.load(conn).await
    }
}

/// The order's tickets with these ids, locked (a refund or a move of the same
/// ticket waits for this transaction).
pub async fn lock_tickets(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    order_id: Uuid,
    ids: &[Uuid],
) -> QueryResult<Vec<Ticket>> {
    tickets::table
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::order_id.eq(order_id))
        .filter(tickets::id.eq_any(ids))
        .order(tickets::id)
        .select(Ticket::as_select())
        .for_update()
        .load(conn)
        .await
}

/// The ticket with this id, whoever holds it (its event's organizer acts on it).
pub async fn find_ticket(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Ticket>> {
    tickets::table
        .filter(tickets::id.eq(id))
        .select(Ticket::as_select())
        .first(conn)
        .await
        .optional()
}

/// The event's ticket whose current code is `code`, locked (codes issued
/// before codes were signed are found this way; a stale one is not).
pub async fn lock_by_code(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    code: &str,
) -> QueryResult<Option<Ticket>> {
    tickets::table
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::code.eq(code))
        .select(Ticket::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// The event's ticket with this id, locked.
pub async fn lock_ticket(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<Ticket>> {
    tickets::table
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::id.eq(id))
        .select(Ticket::as_select())
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
    status: TicketStatus,
) -> QueryResult<()> {
    diesel::update(tickets::table)
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::id.eq_any(ids))
        .set((
            tickets::status.eq(status),
            tickets::moves.eq(tickets::moves + 1),
            tickets::changed_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
        .map(drop)
}
