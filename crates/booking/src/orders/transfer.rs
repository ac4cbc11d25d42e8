//! Gifts (`POST /tickets/{id}/transfer {to_email}`): a ticket its holder gives
//! away. To a verified account it moves at once; to any other email it is
//! `transfer_pending`, still the giver's, until that address is verified
//! (the link mailed at sign-up, or a password reset),
//! and the giver may take it back meanwhile (`DELETE /tickets/{id}/transfer`).
//! Every move voids the old code and issues a new one. The answer is the same
//! whether the email has an account or not.

use super::TicketView;
use crate::AppState;
use crate::custody::{self, Action, CustodyError, Holder, MoveKind, TicketStatus};
use crate::failure::Failure;
use crate::idempotency::{Answer, Caller, IdempotencyKey, IdempotentRequest};
use crate::invalid::Invalid;
use crate::payments::first_phase::{Immediate, TxError};
use poem_openapi::Object;
use slotwise_db::notify::announce;
use slotwise_db::orders::tickets::Ticket;
use slotwise_db::orders::tickets::lock_ticket;
use slotwise_db::users::User;
use slotwise_db::{AsyncPgConnection, DbError};
use slotwise_web::Text;
use slotwise_web::{ApiError, FieldError};
use uuid::Uuid;

#[derive(Debug, Clone, Object)]
pub struct TransferRequest {
    pub to_email: Text,
}

/// A gift sent: where it went is the recipient's business.
#[derive(Debug, Clone, Object)]
pub struct TransferView {
    pub ticket_id: Uuid,
    pub to_email: String,
    /// Always `sent`.
    pub status: String,
}

/// The recipient's email as accounts store it (`to_email`), or why not.
pub(crate) fn recipient(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let email = raw.trim().to_lowercase();
    if !(3..=254).contains(&email.len()) || !email.contains('@') {
        errors.push(FieldError::new("to_email", "must be an email address"));
    }
    email
}

struct Gift<'a> {
    giver: Uuid,
    event_id: Uuid,
    ticket: Uuid,
    email: &'a str,
    to: Option<Uuid>,
}

impl Immediate for Gift<'_> {
    type View = TransferView;
    type Refusal = CustodyError;

    async fn decide(
        &self,
        conn: &mut AsyncPgConnection,
        source: &str,
    ) -> Result<Result<TransferView, CustodyError>, TxError> {
        let giver = Some(self.giver);
        let ticket =
            match custody::lock_for(conn, self.event_id, self.ticket, giver, Action::Give).await? {
                Ok(ticket) => ticket,
                Err(refused) => return Ok(Err(refused)),
            };
        let (to, kind) = match self.to {
            Some(to) => (Holder::Account(to), MoveKind::Gift),
            None => {
                let (giver, email) = (self.giver, self.email);
                (Holder::Awaiting { giver, email }, MoveKind::GiftPending)
            }
        };
        custody::hand_over(conn, &ticket, to, kind, source).await?;
        announce::gift(conn, self.event_id, ticket.id, self.giver).await?;
        Ok(Ok(TransferView {
            ticket_id: ticket.id,
            to_email: self.email.to_owned(),
            status: "sent".to_owned(),
        }))
    }
}

/// Why a gift is not given or taken back (`api/` answers each).
#[derive(Debug, thiserror::Error)]
pub enum GiftError {
    #[error("the ticket is yours already")]
    ToSelf,
    #[error("the ticket is {0}: only a gift not yet claimed can be taken back")]
    NothingToTakeBack(TicketStatus),
    #[error(transparent)]
    Failure(#[from] Failure),
}

crate::failure_sources!(GiftError);

/// `POST /tickets/{id}/transfer`, exactly once per (caller, key), by its holder.
pub async fn give_ticket(
    state: &AppState,
    caller: &Caller,
    key: &IdempotencyKey,
    ticket: Ticket,
    request: TransferRequest,
) -> Result<Answer<TransferView>, ApiError> {
    let giver = (caller.user_id).ok_or(Failure::Broken("a gift needs a signed-in giver"))?;
    let mut errors = Vec::new();
    let email = recipient(&request.to_email, &mut errors);
    Invalid::check(errors)?;
    let to = {
        let mut conn = state.pool.get().await?;
        // Only a verified address's account receives at once; any other
        // waits for the address to be verified (whoever signed up with it).
        (User::find_by_email(&mut conn, &email).await?)
            .filter(|u| u.email_verified_at.is_some() || u.id == giver)
            .map(|u| u.id)
    };
    if to == Some(giver) {
        return Err(GiftError::ToSelf.into());
    }
    let body = serde_json::json!({ "ticket_id": ticket.id, "to_email": email });
    let idempotent = IdempotentRequest::new(caller, key, "POST", "/tickets/{id}/transfer", body);
    let gift = Gift {
        giver,
        event_id: ticket.event_id,
        ticket: ticket.id,
        email: &email,
        to,
    };
    crate::payments::first_phase::answer_once(state, &idempotent, &gift).await
}

/// `DELETE /tickets/{id}/transfer`: the giver takes back a gift not yet
/// claimed (a new code again); answers the ticket.
pub async fn take_back(
    state: &AppState,
    giver: Uuid,
    ticket: Ticket,
) -> Result<TicketView, GiftError> {
    let mut conn = state.pool.get().await?;
    let (event_id, id) = (ticket.event_id, ticket.id);
    let taken = slotwise_db::read_committed!(conn, async |conn: &mut AsyncPgConnection| {
        let ticket = lock_ticket(conn, event_id, id)
            .await?
            .ok_or(DbError::NotFound)?;
        if ticket.holder_id != Some(giver) || ticket.status != TicketStatus::TransferPending {
            return Ok::<_, DbError>(Err(ticket.status));
        }
        let source = format!("user:{giver}");
        let back = Holder::Account(giver);
        let kind = MoveKind::GiftTakenBack;
        Ok(Ok(
            custody::hand_over(conn, &ticket, back, kind, &source).await?
        ))
    })?;
    match taken {
        Ok(ticket) => Ok(TicketView::new(ticket, None)),
        Err(status) => Err(GiftError::NothingToTakeBack(status)),
    }
}
