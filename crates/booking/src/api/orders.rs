//! `/events/{id}/orders` (idempotent), `/orders` and `/tickets`: a buyer's
//! orders and tickets, visible to the buyer (holder) only.

use super::ApiTags;
use crate::AppState;
use crate::auth::BearerAuth;
use crate::idempotency::IdempotencyKey;
use crate::orders::create::OrderRequest;
use crate::orders::error::OrderError;
use crate::orders::refund::{RevokedView, TicketRefundView};
use crate::orders::transfer::{TransferRequest, TransferView};
use crate::orders::{OrderView, TicketMoveView, TicketView};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use slotwise_db::orders::moves::TicketMove;
use slotwise_db::orders::tickets::find_ticket;
use slotwise_db::orders::tickets::{Ticket, TicketCursor};
use slotwise_db::orders::{Order, OrderCursor};
use slotwise_web::Plain;
use slotwise_web::Text;
use slotwise_web::pagination::{decode_cursor, page_limit, split_page};
use slotwise_web::problems::*;
use slotwise_web::{ApiError, Problems};
use uuid::Uuid;

pub struct OrdersApi;

/// The HTTP answer to each way an order is refused.
/// Custody's refusals as problems (the codes clients know).
impl From<crate::custody::CustodyError> for ApiError {
    fn from(err: crate::custody::CustodyError) -> Self {
        use crate::custody::{Action, CustodyError as E};
        let detail = err.to_string();
        match err {
            E::NotYours => ApiError::not_found("ticket"),
            E::Listed => super::listings::ticket_listed(),
            E::CheckedIn => ApiError::conflict("ticket_checked_in", "Ticket used", detail),
            E::NotValid { action, .. } => {
                let (code, title) = match action {
                    Action::Give => ("ticket_not_transferable", "Ticket not transferable"),
                    Action::List => ("ticket_not_listable", "Ticket not listable"),
                    Action::Refund => ("ticket_not_refundable", "Tickets not refundable"),
                    Action::Revoke => ("ticket_not_revocable", "Ticket not revocable"),
                };
                ApiError::conflict(code, title, detail)
            }
        }
    }
}

/// Refusals of a refund of some tickets, as problems.
impl From<crate::orders::refund::RefundError> for ApiError {
    fn from(err: crate::orders::refund::RefundError) -> Self {
        use crate::orders::refund::RefundError as E;
        use poem::http::StatusCode;
        let detail = err.to_string();
        let (status, code) = match err {
            E::NotYours => return ApiError::not_found("order"),
            E::Listed => return super::listings::ticket_listed(),
            E::OrderNotRefundable(_) => (StatusCode::CONFLICT, "order_not_refundable"),
            E::Unknown(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_ticket"),
            E::Transferred(_) => (StatusCode::CONFLICT, "ticket_transferred"),
            E::Ended(_) => (StatusCode::CONFLICT, "ticket_not_refundable"),
            E::CheckedIn(_) => (StatusCode::CONFLICT, "ticket_checked_in"),
            E::NothingToRefund => (StatusCode::UNPROCESSABLE_ENTITY, "nothing_to_refund"),
            E::BadTicketIds => (StatusCode::UNPROCESSABLE_ENTITY, "ticket_ids_invalid"),
        };
        ApiError::new(status, code, "Tickets not refundable", detail)
    }
}

impl From<OrderError> for ApiError {
    fn from(err: OrderError) -> Self {
        use OrderError as E;
        let detail = err.to_string();
        match err {
            E::EventNotFound => ApiError::not_found("event"),
            E::EventCancelled => ApiError::conflict("event_cancelled", "Event cancelled", detail),
            E::EventOver => ApiError::conflict("event_over", "Event already started", detail),
            E::Mixed => ApiError::unprocessable("mixed_order", "Tiers and seats mixed", detail),
            E::Empty => ApiError::unprocessable("empty_order", "Nothing ordered", detail),
            E::SeatedEvent | E::NotSeated => {
                ApiError::unprocessable("wrong_order_kind", "Wrong kind of order", detail)
            }
            E::MaxPerOrder { .. } => {
                ApiError::unprocessable("max_per_order", "Too many tickets in one order", detail)
            }
            E::UnknownTier(_) => ApiError::unprocessable("unknown_tier", "Unknown tier", detail),
            E::UnknownSeats(seats) => {
                ApiError::unprocessable("unknown_seat", "Unknown seat", detail).with_seats(seats)
            }
            E::NotOnSale { off_sale, .. } => {
                use slotwise_db::events::OffSale;
                let (opens, closed) = match off_sale {
                    OffSale::Opens(at) => (Some(at), None),
                    OffSale::Closed(at) => (None, Some(at)),
                };
                ApiError::conflict("not_on_sale", "Not on sale", detail)
                    .with_sale_window(opens, closed)
            }
            E::Voucher(v) => voucher_problem(v, detail),
            E::SoldOut { available, .. } => {
                ApiError::conflict("sold_out", "Sold out", detail).with_available(available)
            }
            E::SeatUnavailable(seats) => {
                ApiError::conflict("seat_unavailable", "Seat unavailable", detail).with_seats(seats)
            }
            E::TooManyUnpaidHolds { .. } => {
                ApiError::conflict("too_many_unpaid_holds", "Too many unpaid holds", detail)
            }
        }
    }
}

#[derive(Debug, Object)]
pub struct OrderItemRequest {
    pub tier_id: Uuid,
    /// At least 1; all items together at most the event's `max_per_order`.
    pub quantity: i64,
}

/// `items` for general admission or `seats` for a seated event, not both.
#[derive(Debug, Object)]
pub struct NewOrderRequest {
    pub items: Option<Vec<OrderItemRequest>>,
    /// Seat labels, e.g. `["A1", "A2"]`.
    pub seats: Option<Vec<Text>>,
    /// Optional Stripe PaymentMethod to charge at once (e.g. `pm_card_visa`).
    #[oai(validator(max_length = 255, pattern = r"^pm_[A-Za-z0-9_]+$"))]
    pub payment_method: Option<Text>,
    /// A promo code of the event (3 to 32 characters; case and spaces around
    /// do not matter): its discount is taken off each ticket it applies to,
    /// and the price is frozen on the order. An unknown, expired, used-up or
    /// wrong-tier code is refused and nothing is held.
    #[oai(validator(max_length = 40))]
    pub voucher: Option<Text>,
}

/// `POST /orders/{id}/refunds`: which tickets to refund.
#[derive(Debug, Object)]
pub struct TicketRefundRequest {
    /// 1..=100 tickets of this order that you still hold.
    pub ticket_ids: Vec<Uuid>,
}

#[derive(ApiResponse)]
pub enum TicketRefundCreated {
    /// Refund owed: `refunded` once Stripe made it (at once, or by the refund job).
    #[oai(status = 201)]
    Created(
        Json<TicketRefundView>,
        #[oai(header = "Idempotent-Replayed")] Option<String>,
    ),
}

#[derive(ApiResponse)]
pub enum TransferSent {
    #[oai(status = 201)]
    Created(
        Json<TransferView>,
        #[oai(header = "Idempotent-Replayed")] Option<String>,
    ),
}

/// The caller's ticket with this id; 404 for anyone else's.
async fn held_ticket(state: &AppState, user: Uuid, id: Uuid) -> Result<Ticket, ApiError> {
    let mut conn = state.pool.get().await?;
    Ticket::find_for(&mut conn, user, id)
        .await?
        .map(|t| t.ticket)
        .ok_or_else(|| ApiError::not_found("ticket"))
}

#[derive(ApiResponse)]
pub enum OrderCreated {
    /// Ordered: `confirmed` with tickets when free, else `pending` until paid or `expires_at`.
    #[oai(status = 201)]
    Created(
        Json<OrderView>,
        #[oai(header = "Idempotent-Replayed")] Option<String>,
    ),
}

#[derive(Debug, Object)]
pub struct OrderPage {
    pub items: Vec<OrderView>,
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
pub struct TicketPage {
    pub items: Vec<TicketView>,
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Cursor {
    t: DateTime<Utc>,
    id: Uuid,
}

#[OpenApi(tag = "ApiTags::Orders")]
impl OrdersApi {
    /// Order tickets or seats, exactly once per `Idempotency-Key`; held 15
    /// minutes until paid through `payment.client_secret`.
    ///
    /// Not enough left: 409 `sold_out` with `available`; a seat held or sold:
    /// 409 `seat_unavailable` naming `seats`; more than `max_per_order`: 422.
    #[oai(path = "/events/:id/orders", method = "post")]
    async fn create(
        &self,
        req: &poem::Request,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "Idempotency-Key")] idempotency_key: Header<Option<String>>,
        body: Json<NewOrderRequest>,
    ) -> Result<
        OrderCreated,
        Problems<
            {
                JSON_BODY
                    | UNAUTHORIZED
                    | PAYMENT_REQUIRED
                    | NOT_FOUND
                    | CONFLICT
                    | UNPROCESSABLE
                    | TOO_MANY_REQUESTS
                    | UNAVAILABLE
            },
        >,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let caller = crate::idempotency::caller(&state, req, Some(user.id))?;
        let key = IdempotencyKey::parse(idempotency_key.as_deref())?;
        let event_id = match Uuid::parse_str(&id) {
            Ok(event_id) => event_id,
            Err(_) => crate::events::event(&state, &id).await?.id,
        };
        let body = body.0;
        let request = OrderRequest {
            event_id,
            items: (body.items.into_iter().flatten())
                .map(|i| (i.tier_id, i.quantity))
                .collect(),
            seats: body.seats.unwrap_or_default().plain(),
            payment_method: body.payment_method.plain(),
            voucher: body.voucher.plain(),
        };
        let answer = crate::orders::create::create_order(&state, &caller, &key, request).await?;
        let view = answer.result?;
        Ok(OrderCreated::Created(
            Json(view),
            answer.replayed.then(|| "true".to_owned()),
        ))
    }

    /// Refund some tickets of your paid order, exactly once per `Idempotency-Key`.
    ///
    /// The tickets' price goes back through Stripe (a partial refund of the
    /// order's payment), the tickets turn `refunded` and go back on sale. A
    /// ticket no longer yours: 409 `ticket_transferred`; already refunded or
    /// void: 409 `ticket_not_refundable`; not of this order: 422 `unknown_ticket`.
    #[oai(path = "/orders/:id/refunds", method = "post")]
    async fn refund(
        &self,
        req: &poem::Request,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        #[oai(name = "Idempotency-Key")] idempotency_key: Header<Option<String>>,
        body: Json<TicketRefundRequest>,
    ) -> Result<
        TicketRefundCreated,
        Problems<
            {
                JSON_BODY
                    | UNAUTHORIZED
                    | NOT_FOUND
                    | CONFLICT
                    | UNPROCESSABLE
                    | TOO_MANY_REQUESTS
                    | UNAVAILABLE
            },
        >,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let caller = crate::idempotency::caller(&state, req, Some(user.id))?;
        let key = IdempotencyKey::parse(idempotency_key.as_deref())?;
        let order = {
            let mut conn = state.pool.get().await?;
            Order::find_for(&mut conn, user.id, id.0)
                .await?
                .ok_or_else(|| ApiError::not_found("order"))?
        };
        let answer =
            crate::orders::refund::refund_tickets(&state, &caller, &key, order, body.0.ticket_ids)
                .await?;
        let view = answer.result?;
        Ok(TicketRefundCreated::Created(
            Json(view),
            answer.replayed.then(|| "true".to_owned()),
        ))
    }

    /// Give one of your tickets away, exactly once per `Idempotency-Key`.
    ///
    /// To an account it moves at once; to any other email it waits as
    /// `transfer_pending` until that email signs up (take it back meanwhile
    /// with `DELETE`). The answer is the same either way. The old code is void.
    #[oai(path = "/tickets/:id/transfer", method = "post")]
    async fn transfer(
        &self,
        req: &poem::Request,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        #[oai(name = "Idempotency-Key")] idempotency_key: Header<Option<String>>,
        body: Json<TransferRequest>,
    ) -> Result<
        TransferSent,
        Problems<
            {
                JSON_BODY
                    | UNAUTHORIZED
                    | NOT_FOUND
                    | CONFLICT
                    | UNPROCESSABLE
                    | TOO_MANY_REQUESTS
                    | UNAVAILABLE
            },
        >,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let caller = crate::idempotency::caller(&state, req, Some(user.id))?;
        let key = IdempotencyKey::parse(idempotency_key.as_deref())?;
        let ticket = held_ticket(&state, user.id, id.0).await?;
        let answer =
            crate::orders::transfer::give_ticket(&state, &caller, &key, ticket, body.0).await?;
        Ok(TransferSent::Created(
            Json(answer.result?),
            answer.replayed.then(|| "true".to_owned()),
        ))
    }

    /// Take back a gift not yet claimed.
    #[oai(path = "/tickets/:id/transfer", method = "delete")]
    async fn take_back(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<
        Json<TicketView>,
        Problems<{ BAD_REQUEST | UNAUTHORIZED | NOT_FOUND | CONFLICT | UNAVAILABLE }>,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let ticket = held_ticket(&state, user.id, id.0).await?;
        Ok(Json(
            crate::orders::transfer::take_back(&state, user.id, ticket).await?,
        ))
    }

    /// Revoke a ticket of your event (its organizer): void, back on sale, and
    /// its price refunded to the buyer when it was bought. Exactly once per
    /// `Idempotency-Key`; a ticket not valid any more: 409 `ticket_not_revocable`.
    #[oai(path = "/tickets/:id/revoke", method = "post")]
    async fn revoke(
        &self,
        req: &poem::Request,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        #[oai(name = "Idempotency-Key")] idempotency_key: Header<Option<String>>,
    ) -> Result<
        Json<RevokedView>,
        Problems<
            {
                BAD_REQUEST
                    | UNAUTHORIZED
                    | FORBIDDEN
                    | NOT_FOUND
                    | CONFLICT
                    | UNPROCESSABLE
                    | TOO_MANY_REQUESTS
                    | UNAVAILABLE
            },
        >,
    > {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let caller = crate::idempotency::caller(&state, req, Some(user.id))?;
        let key = IdempotencyKey::parse(idempotency_key.as_deref())?;
        let ticket = {
            let mut conn = state.pool.get().await?;
            find_ticket(&mut conn, id.0)
                .await?
                .ok_or_else(|| ApiError::not_found("ticket"))?
        };
        let event = crate::events::event(&state, &ticket.event_id.to_string()).await?;
        if event.organizer_id != user.id {
            // Its holder may see it, nobody else learns it exists.
            return Err(if ticket.holder_id == Some(user.id) {
                ApiError::forbidden("only the event's organizer may revoke a ticket")
            } else {
                ApiError::not_found("ticket")
            }
            .into());
        }
        let answer =
            crate::orders::refund::revoke_ticket(&state, &caller, &key, event.id, ticket.id)
                .await?;
        Ok(Json(answer.result?))
    }

    /// One of your orders; anyone else's is 404.
    #[oai(path = "/orders/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<Json<OrderView>, Problems<{ BAD_REQUEST | UNAUTHORIZED | NOT_FOUND | UNAVAILABLE }>>
    {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let mut conn = state.pool.get().await?;
        let order = Order::find_for(&mut conn, user.id, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("order"))?;
        Ok(Json(OrderView::load(&mut conn, order).await?))
    }

    /// Your orders, newest first.
    #[oai(path = "/orders", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u32>>,
        #[oai(validator(min_length = 1))] cursor: Query<Option<String>>,
    ) -> Result<Json<OrderPage>, Problems<{ BAD_REQUEST | UNAUTHORIZED | UNAVAILABLE }>> {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let limit = page_limit(limit.0)?;
        let after = cursor
            .0
            .as_deref()
            .map(decode_cursor::<Cursor>)
            .transpose()?;
        let mut conn = state.pool.get().await?;
        let after = after.map(|c| OrderCursor {
            created_at: c.t,
            id: c.id,
        });
        let rows = Order::list(&mut conn, user.id, after, i64::from(limit) + 1).await?;
        let (rows, next_cursor) = split_page(rows, limit, |o| Cursor {
            t: o.created_at,
            id: o.id,
        });
        let mut items = Vec::with_capacity(rows.len());
        for order in rows {
            items.push(OrderView::load(&mut conn, order).await?);
        }
        Ok(Json(OrderPage { items, next_cursor }))
    }

    /// Your tickets, newest first.
    #[oai(path = "/tickets", method = "get")]
    async fn tickets(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u32>>,
        #[oai(validator(min_length = 1))] cursor: Query<Option<String>>,
    ) -> Result<Json<TicketPage>, Problems<{ BAD_REQUEST | UNAUTHORIZED | UNAVAILABLE }>> {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let limit = page_limit(limit.0)?;
        let after = cursor
            .0
            .as_deref()
            .map(decode_cursor::<Cursor>)
            .transpose()?;
        let mut conn = state.pool.get().await?;
        let after = after.map(|c| TicketCursor {
            created_at: c.t,
            id: c.id,
        });
        let rows = Ticket::list(&mut conn, user.id, after, i64::from(limit) + 1).await?;
        let (rows, next_cursor) = split_page(rows, limit, |t| Cursor {
            t: t.ticket.created_at,
            id: t.ticket.id,
        });
        let items = rows.into_iter().map(Into::into).collect();
        Ok(Json(TicketPage { items, next_cursor }))
    }

    /// One of your tickets; anyone else's is 404.
    #[oai(path = "/tickets/:id", method = "get")]
    async fn ticket(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<Json<TicketView>, Problems<{ BAD_REQUEST | UNAUTHORIZED | NOT_FOUND | UNAVAILABLE }>>
    {
        let user = crate::auth::authenticate(&state, &auth).await?;
        let mut conn = state.pool.get().await?;
        let ticket = Ticket::find_for(&mut conn, user.id, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("ticket"))?;
        let moves =
            TicketMove::of_ticket(&mut conn, ticket.ticket.event_id, ticket.ticket.id).await?;
        drop(conn);
        let mut view = TicketView::from(ticket);
        view.listing = crate::orders::resale::ticket_listing(&state, &view).await?;
        view.history = Some(
            (moves.into_iter())
                .map(|m| TicketMoveView {
                    kind: m.kind.as_str().to_owned(),
                    from_holder: m.from_holder,
                    to_holder: m.to_holder,
                    at: m.at,
                })
                .collect(),
        );
        Ok(Json(view))
    }
}

impl slotwise_web::problems::IntoProblem for crate::custody::CustodyError {}
impl slotwise_web::problems::IntoProblem for crate::orders::refund::RefundError {}
impl slotwise_web::problems::IntoProblem for OrderError {}

/// A refused code's problem: 422 when the code cannot apply to this order at
/// all, 409 when it could at another time (not yet, expired, used up).
fn voucher_problem(err: crate::orders::voucher::VoucherError, detail: String) -> ApiError {
    use crate::orders::voucher::VoucherError as V;
    match err {
        V::Unknown => ApiError::unprocessable("voucher_invalid", "Invalid promo code", detail),
        V::NotApplicable => ApiError::unprocessable(
            "voucher_not_applicable",
            "Promo code not valid for these tickets",
            detail,
        ),
        V::OrderLimit(_) => ApiError::unprocessable(
            "voucher_order_limit",
            "Too many tickets for this promo code",
            detail,
        ),
        V::NotYet(_) => {
            ApiError::conflict("voucher_not_yet_valid", "Promo code not valid yet", detail)
        }
        V::Expired(_) => ApiError::conflict("voucher_expired", "Promo code expired", detail),
        V::UsedUp => ApiError::conflict("voucher_used_up", "Promo code used up", detail),
    }
}
