//! Ticket custody: the one place a ticket moves. Every move (issue, comp,
//! gift, claim, take back, resale and its undoing, refund, revoke, void on
//! cancel) is a transition of a typed [`TicketStatus`] made here, under the
//! ticket's row lock, in the caller's transaction, with its history row
//! ([`MoveKind`]) and, whenever the ticket changes hands, a new code: the old
//! code admits nobody. What a holder may do with a ticket is decided here too
//! ([`lock_for`]), not per endpoint. The database refuses what code might get
//! wrong: one live ticket per seat (a unique index), stock rows that never
//! sell past capacity (their CHECK), listings priced within their cap.

use slotwise_db::events::stock::{self, Taken, Units};
use slotwise_db::listings::{Listing, WITHDRAWN};
use slotwise_db::orders::tickets::Ticket;
use slotwise_db::orders::tickets::{lock_ticket, set_ticket_status};
use slotwise_db::users::User;
use slotwise_db::{AsyncPgConnection, DbError, QueryResult};
use uuid::Uuid;

pub use slotwise_db::orders::moves::{Move, MoveKind, TicketMove};
pub use slotwise_db::orders::tickets::TicketStatus;

/// What a holder asks to do with a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Give,
    List,
    Refund,
    Revoke,
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Action::Give => "given away",
            Action::List => "listed",
            Action::Refund => "refunded",
            Action::Revoke => "revoked",
        })
    }
}

/// Why custody refuses a move (`api/` says it as a problem).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustodyError {
    /// Not the caller's ticket (nobody learns whose it is).
    #[error("no such ticket")]
    NotYours,
    #[error("a {status} ticket cannot be {action}")]
    NotValid {
        status: TicketStatus,
        action: Action,
    },
    #[error("withdraw the ticket's listing first")]
    Listed,
    /// Its holder went through the door with it: it is used.
    #[error("the ticket was checked in at the door")]
    CheckedIn,
}

/// Who a ticket goes to.
#[derive(Debug, Clone, Copy)]
pub enum Holder<'a> {
    /// An account: the ticket is valid and theirs.
    Account(Uuid),
    /// An address with no verified account: the ticket stays its giver's,
    /// `transfer_pending`, until the address is verified.
    Awaiting { giver: Uuid, email: &'a str },
}

/// The ticket locked for `action` by `holder`: theirs, valid (a revoke also
/// takes one waiting for its recipient), and, to give or refund it, not
/// listed. `holder` `None`: the organizer, who may revoke anyone's.
pub async fn lock_for(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    id: Uuid,
    holder: Option<Uuid>,
    action: Action,
) -> Result<Result<Ticket, CustodyError>, DbError> {
    let Some(ticket) = lock_ticket(conn, event_id, id).await? else {
        return Ok(Err(CustodyError::NotYours));
    };
    may(conn, ticket, holder, action).await
}

/// Whether `holder` may do `action` with a ticket the caller has locked.
pub async fn may(
    conn: &mut AsyncPgConnection,
    ticket: Ticket,
    holder: Option<Uuid>,
    action: Action,
) -> Result<Result<Ticket, CustodyError>, DbError> {
    if holder.is_some() && ticket.holder_id != holder {
        return Ok(Err(CustodyError::NotYours));
    }
    let allowed = match action {
        Action::Revoke => ticket.status.is_live(),
        _ => ticket.status == TicketStatus::Valid,
    };
    if !allowed {
        let status = ticket.status;
        return Ok(Err(CustodyError::NotValid { status, action }));
    }
    // A used ticket stays its holder's (the organizer may still revoke it).
    if ticket.entries > 0 && action != Action::Revoke {
        return Ok(Err(CustodyError::CheckedIn));
    }
    if matches!(action, Action::Give | Action::Refund)
        && Listing::active_for_ticket(conn, ticket.event_id, ticket.id)
            .await?
            .is_some()
    {
        return Ok(Err(CustodyError::Listed));
    }
    Ok(Ok(ticket))
}

/// Hands a locked ticket to `to` with a new code (its move counter bumped,
/// signed: [`crate::codes`]), and records the move.
pub async fn hand_over(
    conn: &mut AsyncPgConnection,
    ticket: &Ticket,
    to: Holder<'_>,
    kind: MoveKind,
    source: &str,
) -> QueryResult<Ticket> {
    let (holder, status, pending, to_holder) = match to {
        Holder::Account(user) => (Some(user), TicketStatus::Valid, None, Some(user)),
        Holder::Awaiting { giver, email } => (
            Some(giver),
            TicketStatus::TransferPending,
            Some(email),
            None,
        ),
    };
    let (event_id, id) = (ticket.event_id, ticket.id);
    let moves = ticket.moves + 1;
    let code = crate::codes::sign(event_id, id, moves);
    let changed = slotwise_db::orders::tickets::Handover {
        holder,
        status,
        pending_email: pending,
        moves,
        code: &code,
        inside: false,
    };
    let moved = Ticket::hand_over(conn, event_id, id, ticket.moves, &changed).await?;
    let record = Move {
        event_id,
        ticket_id: id,
        kind,
        from: ticket.holder_id,
        to: to_holder,
    };
    TicketMove::record(conn, &[record], source).await?;
    Ok(moved)
}

/// New tickets (sold or comped), each with its first signed code, stored
/// with their history.
pub async fn issue(
    conn: &mut AsyncPgConnection,
    tickets: &mut [Ticket],
    kind: MoveKind,
    source: &str,
) -> QueryResult<()> {
    for t in tickets.iter_mut() {
        t.moves = 0;
        t.code = crate::codes::sign(t.event_id, t.id, 0);
    }
    Ticket::insert_all(conn, tickets).await?;
    let moves: Vec<Move> = (tickets.iter())
        .map(|t| Move {
            event_id: t.event_id,
            ticket_id: t.id,
            kind,
            from: None,
            to: t.holder_id,
        })
        .collect();
    TicketMove::record(conn, &moves, source).await
}

/// Ends live tickets (`Refunded` or `Void`): each tier ticket's unit back on
/// sale in the stock row it was sold from, each seat freed, the status set,
/// any active listing withdrawn, the moves recorded. The caller holds their
/// locks (or their order's).
pub async fn end(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    tickets: &[Ticket],
    status: TicketStatus,
    source: &str,
) -> QueryResult<()> {
    debug_assert!(!status.is_live());
    let live: Vec<&Ticket> = tickets.iter().filter(|t| t.status.is_live()).collect();
    if live.is_empty() {
        return Ok(());
    }
    let units: Vec<Taken> = (live.iter())
        .filter_map(|t| {
            Some(Taken {
                tier_id: t.tier_id?,
                bucket: t.bucket?,
                quantity: 1,
            })
        })
        .collect();
    // An order left with no live ticket (each refunded or revoked) holds its
    // promo code's use no more. The code's row before the stock's.
    let mut orders: Vec<Uuid> = live.iter().filter_map(|t| t.order_id).collect();
    orders.sort();
    orders.dedup();
    let ids: Vec<Uuid> = live.iter().map(|t| t.id).collect();
    set_ticket_status(conn, event_id, &ids, status).await?;
    crate::orders::voucher::give_back_if_ended(conn, event_id, &orders).await?;
    stock::move_units(conn, event_id, &units, Units::ReleaseSold).await?;
    // What came back goes to the waiting list first.
    let tiers: Vec<Uuid> = units.iter().map(|t| t.tier_id).collect();
    crate::waitlist::refill(conn, event_id, &tiers).await?;
    let seats: Vec<Uuid> = live.iter().filter_map(|t| t.seat_id).collect();
    if !seats.is_empty() {
        stock::release_seats_by_id(conn, event_id, &seats).await?;
    }
    // Nothing ended stays for sale (a buyer paying for it meanwhile is
    // refunded when the payment lands).
    for t in &live {
        withdraw_listing(conn, event_id, t.id).await?;
    }
    let kind = match status {
        TicketStatus::Refunded => MoveKind::Refunded,
        _ => MoveKind::Void,
    };
    let moves: Vec<Move> = (live.iter())
        .map(|t| Move {
            event_id,
            ticket_id: t.id,
            kind,
            from: t.holder_id,
            to: None,
        })
        .collect();
    TicketMove::record(conn, &moves, source).await
}

/// Takes a ticket off the resale market, if it is on it: it ended, or was
/// used at the door. A buyer paying for it meanwhile is refunded when the
/// payment lands (the listing is no longer for sale).
pub async fn withdraw_listing(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    ticket_id: Uuid,
) -> QueryResult<()> {
    if let Some(listing) = Listing::active_for_ticket(conn, event_id, ticket_id).await? {
        Listing::set_state(conn, event_id, listing.id, WITHDRAWN, None, None).await?;
    }
    Ok(())
}

/// Whether the ticket can still be sold on by `seller`: valid, theirs, unused.
pub fn sellable(ticket: &Ticket, seller: Uuid) -> bool {
    ticket.status == TicketStatus::Valid && ticket.holder_id == Some(seller) && ticket.entries == 0
}

/// Tickets given (or comped) to the account's address while it had no
/// verified account are its now, each with a new code; nothing for an
/// address not verified.
pub async fn claim_waiting(conn: &mut AsyncPgConnection, user: &User) -> QueryResult<usize> {
    if user.email_verified_at.is_none() {
        return Ok(0);
    }
    let claimed = Ticket::claim_pending(conn, &user.email, user.id, crate::codes::sign).await?;
    if !claimed.is_empty() {
        let moves: Vec<Move> = (claimed.iter())
            .map(|(event_id, ticket_id)| Move {
                event_id: *event_id,
                ticket_id: *ticket_id,
                kind: MoveKind::Claimed,
                from: None,
                to: Some(user.id),
            })
            .collect();
        TicketMove::record(conn, &moves, &format!("user:{}", user.id)).await?;
    }
    Ok(claimed.len())
}
