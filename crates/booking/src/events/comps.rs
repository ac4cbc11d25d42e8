//! Organizer comps (`POST /events/{id}/comps`): tickets given away with no
//! order. They take stock like a sale (the stock rows' CHECK refuses more than
//! capacity), are never refundable (no payment), and go to the email's account,
//! or wait for that email to sign up. The answer is the same either way, so it
//! never tells whether an email has an account.

use crate::AppState;
use crate::custody::{self, MoveKind, TicketStatus};
use crate::idempotency::{Answer, Caller, IdempotencyKey, IdempotentRequest};
use crate::invalid::Invalid;
use crate::orders::error::OrderError;
use crate::payments::first_phase::{Immediate, TxError};
use chrono::Utc;
use poem_openapi::Object;
use slotwise_db::events::stock::{self, Units};
use slotwise_db::events::{Event, PUBLISHED};
use slotwise_db::orders::tickets::Ticket;
use slotwise_db::users::User;
use slotwise_db::{AsyncPgConnection, DbError};
use slotwise_web::Text;
use slotwise_web::{ApiError, FieldError};
use uuid::Uuid;

#[derive(Debug, Clone, Object)]
pub struct CompRequest {
    pub to_email: Text,
    pub tier_id: Uuid,
    /// 1..=100.
    pub quantity: i64,
}

/// Comps given: where they went is the recipient's business.
#[derive(Debug, Clone, Object)]
pub struct CompView {
    pub event_id: Uuid,
    pub tier_id: Uuid,
    pub quantity: i64,
    pub to_email: String,
}

struct Comp<'a> {
    event_id: Uuid,
    request: &'a CompRequest,
    email: &'a str,
    /// The email's account, if it has one.
    holder: Option<Uuid>,
}

/// A comp takes stock as an order would, and is refused as one would be.
impl Immediate for Comp<'_> {
    type View = CompView;
    type Refusal = OrderError;

    async fn decide(
        &self,
        conn: &mut AsyncPgConnection,
        source: &str,
    ) -> Result<Result<CompView, OrderError>, TxError> {
        stock::short_lock_timeout(conn).await?;
        let event = Event::key_share(conn, self.event_id)
            .await?
            .ok_or(DbError::NotFound)?;
        if event.status != PUBLISHED {
            return Ok(Err(OrderError::EventCancelled));
        }
        let tiers = Event::tier_rows(conn, event.id).await?;
        let Some(tier) = tiers.iter().find(|t| t.id == self.request.tier_id) else {
            // Comps are of general-admission tiers.
            return Ok(Err(OrderError::UnknownTier(vec![self.request.tier_id])));
        };
        let quantity = i32::try_from(self.request.quantity).unwrap_or(i32::MAX);
        let start = i16::try_from(self.request.quantity % 8).unwrap_or(0);
        let taken = match stock::hold_units(conn, event.id, tier.id, quantity, start).await? {
            Ok(taken) => taken,
            Err(available) => {
                let tier_id = tier.id;
                return Ok(Err(OrderError::SoldOut { tier_id, available }));
            }
        };
        stock::move_units(conn, event.id, &taken, Units::Sell).await?;
        let now = Utc::now();
        let pending = self.holder.is_none().then(|| self.email.to_owned());
        let mut tickets: Vec<Ticket> = (taken.iter())
            .flat_map(|t| (0..t.quantity).map(move |_| t))
            .map(|t| Ticket {
                id: Uuid::now_v7(),
                event_id: event.id,
                order_id: None,
                tier_id: Some(tier.id),
                seat_id: None,
                holder_id: self.holder,
                price_cents: 0,
                status: TicketStatus::Valid,
                // Signed when issued.
                code: String::new(),
                created_at: now,
                bucket: Some(t.bucket),
                pending_email: pending.clone(),
                moves: 0,
                changed_at: now,
                entries: 0,
                inside: false,
            })
            .collect();
        custody::issue(conn, &mut tickets, MoveKind::Comp, source).await?;
        Ok(Ok(CompView {
            event_id: event.id,
            tier_id: tier.id,
            quantity: self.request.quantity,
            to_email: self.email.to_owned(),
        }))
    }
}

/// `POST /events/{id}/comps` by the event's organizer (checked by the caller).
pub async fn give_comps(
    state: &AppState,
    caller: &Caller,
    key: &IdempotencyKey,
    event_id: Uuid,
    request: CompRequest,
) -> Result<Answer<CompView>, ApiError> {
    let mut errors = Vec::new();
    let email = crate::orders::transfer::recipient(&request.to_email, &mut errors);
    if !(1..=100).contains(&request.quantity) {
        errors.push(FieldError::new("quantity", "must be between 1 and 100"));
    }
    Invalid::check(errors)?;
    let holder = {
        let mut conn = state.pool.get().await?;
        // Only a verified address's account receives at once (see gifts).
        (User::find_by_email(&mut conn, &email).await?)
            .filter(|u| u.email_verified_at.is_some())
            .map(|u| u.id)
    };
    let body = serde_json::json!({
        "event_id": event_id, "to_email": email, "tier_id": request.tier_id, "quantity": request.quantity,
    });
    let idempotent = IdempotentRequest::new(caller, key, "POST", "/events/{id}/comps", body);
    let comp = Comp {
        event_id,
        request: &request,
        email: &email,
        holder,
    };
    crate::payments::first_phase::answer_once(state, &idempotent, &comp).await
}
