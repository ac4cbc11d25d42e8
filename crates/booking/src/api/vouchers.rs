//! `/events/{id}/vouchers`: the organizer's promo codes — one named code or a
//! batch of random ones, a percentage or an amount off (or neither: a code
//! that only unlocks hidden tiers), for chosen tiers, dates, uses and order
//! sizes — with what each brought in; and switching one off.

use super::ApiTags;
use super::checkins::organized;
use crate::AppState;
use crate::auth::BearerAuth;
use crate::events::input::MAX_PRICE_CENTS;
use chrono::{DateTime, FixedOffset, SubsecRound, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use rand::Rng;
use slotwise_db::events::Event;
use slotwise_db::vouchers::{Voucher, VoucherSales};
use slotwise_web::problems::*;
use slotwise_web::{ApiError, FieldError, Problems, Text};
use uuid::Uuid;

pub struct VouchersApi;

/// At most this many codes per request.
pub const MAX_BATCH: i32 = 1000;
/// Random codes: 10 of 32 unambiguous characters (50 bits), unguessable.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// `POST /events/{id}/vouchers`: `code` for one named code, or `count` random ones.
#[derive(Debug, Clone, Object)]
pub struct NewVouchers {
    /// One code, 3 to 32 of `A-Z`, `0-9`, `-`, `_` (case does not matter).
    #[oai(validator(max_length = 32))]
    pub code: Option<Text>,
    /// Or this many random codes (1..=1000); default one, without `code`.
    pub count: Option<i32>,
    /// A percentage off each ticket (1..=100).
    pub percent_off: Option<i32>,
    /// Or an amount off each ticket, in the event's currency (never below 0).
    pub amount_off_cents: Option<i64>,
    /// The tiers it is valid for (and unlocks, if hidden); none: every tier.
    pub tier_ids: Option<Vec<Uuid>>,
    pub valid_from: Option<DateTime<FixedOffset>>,
    /// After `valid_from`.
    pub valid_until: Option<DateTime<FixedOffset>>,
    /// Orders that may hold each code (1..=1000000); default 1.
    pub max_uses: Option<i32>,
    /// Tickets one order may take with it (1..=100); default: the event's limit.
    pub max_per_order: Option<i32>,
}

/// What a voucher's paid orders brought in.
#[derive(Debug, Clone, Copy, Default, Object)]
pub struct VoucherStats {
    pub orders: i64,
    pub tickets: i64,
    /// Paid, after the discount.
    pub revenue_cents: i64,
    /// Taken off.
    pub discount_cents: i64,
}

#[derive(Debug, Clone, Object)]
pub struct VoucherView {
    pub id: Uuid,
    pub code: String,
    #[oai(skip_serializing_if_is_none)]
    pub percent_off: Option<i32>,
    #[oai(skip_serializing_if_is_none)]
    pub amount_off_cents: Option<i64>,
    /// Empty: every tier.
    pub tier_ids: Vec<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub valid_from: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub valid_until: Option<DateTime<Utc>>,
    pub max_uses: i32,
    /// Orders holding it now (paid or being paid).
    pub uses: i32,
    #[oai(skip_serializing_if_is_none)]
    pub max_per_order: Option<i32>,
    /// Switched off: no new order may take it.
    #[oai(skip_serializing_if_is_none)]
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub stats: VoucherStats,
}

impl VoucherView {
    fn new(v: Voucher, sales: &[VoucherSales]) -> Self {
        let stats = (sales.iter().find(|s| s.voucher_id == v.id))
            .map(|s| VoucherStats {
                orders: s.orders,
                tickets: s.tickets,
                revenue_cents: s.revenue_cents,
                discount_cents: s.discount_cents,
            })
            .unwrap_or_default();
        Self {
            id: v.id,
            code: v.code,
            percent_off: v.percent_off,
            amount_off_cents: v.amount_off_cents,
            tier_ids: v.tier_ids,
            valid_from: v.valid_from,
            valid_until: v.valid_until,
            max_uses: v.max_uses,
            uses: v.uses,
            max_per_order: v.max_per_order,
            disabled_at: v.disabled_at,
            created_at: v.created_at,
            stats,
        }
    }
}

#[derive(Debug, Clone, Object)]
pub struct VoucherList {
    pub items: Vec<VoucherView>,
}

#[derive(ApiResponse)]
pub enum VouchersCreated {
    #[oai(status = 201)]
    Created(Json<VoucherList>),
}

fn random_code() -> String {
    let mut rng = rand::rng();
    (0..10)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// The request checked against the event: the vouchers to store, or every
/// field's error.
fn vouchers_of(event: &Event, tiers: &[Uuid], req: NewVouchers) -> Result<Vec<Voucher>, ApiError> {
    let mut errors = Vec::new();
    let mut bad = |field: &str, message: &str| errors.push(FieldError::new(field, message));
    let code = req.code.map(|c| crate::orders::voucher::normalize(&c));
    let valid = |c: &str| {
        (3..=32).contains(&c.len())
            && c.starts_with(|ch: char| ch.is_ascii_alphanumeric())
            && c.chars()
                .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '-' || ch == '_')
    };
    if code.as_deref().is_some_and(|c| !valid(c)) {
        bad(
            "code",
            "must be 3 to 32 of A-Z, 0-9, '-' and '_', starting with a letter or digit",
        );
    }
    let count = req.count.unwrap_or(1);
    if code.is_some() && req.count.is_some() {
        bad("count", "give `code` or `count`, not both");
    } else if !(1..=MAX_BATCH).contains(&count) {
        bad("count", &format!("must be 1 to {MAX_BATCH}"));
    }
    if req.percent_off.is_some() && req.amount_off_cents.is_some() {
        bad(
            "amount_off_cents",
            "give `percent_off` or `amount_off_cents`, not both",
        );
    }
    if req.percent_off.is_some_and(|p| !(1..=100).contains(&p)) {
        bad("percent_off", "must be 1 to 100");
    }
    if req
        .amount_off_cents
        .is_some_and(|a| !(1..=MAX_PRICE_CENTS).contains(&a))
    {
        bad(
            "amount_off_cents",
            &format!("must be 1 to {MAX_PRICE_CENTS}"),
        );
    }
    let tier_ids = req.tier_ids.unwrap_or_default();
    if tier_ids.iter().any(|t| !tiers.contains(t)) {
        bad("tier_ids", "must name tiers of this event");
    }
    if let (Some(from), Some(until)) = (req.valid_from, req.valid_until)
        && until <= from
    {
        bad("valid_until", "must be after valid_from");
    }
    let max_uses = req.max_uses.unwrap_or(1);
    if !(1..=1_000_000).contains(&max_uses) {
        bad("max_uses", "must be 1 to 1000000");
    }
    if req.max_per_order.is_some_and(|m| !(1..=100).contains(&m)) {
        bad("max_per_order", "must be 1 to 100");
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let now = Utc::now().trunc_subsecs(6);
    let codes: Vec<String> = match code {
        Some(c) => vec![c],
        None => (0..count).map(|_| random_code()).collect(),
    };
    Ok(codes
        .into_iter()
        .map(|code| Voucher {
            event_id: event.id,
            id: Uuid::now_v7(),
            code,
            percent_off: req.percent_off,
            amount_off_cents: req.amount_off_cents,
            tier_ids: tier_ids.clone(),
            valid_from: req.valid_from.map(|t| t.with_timezone(&Utc)),
            valid_until: req.valid_until.map(|t| t.with_timezone(&Utc)),
            max_uses,
            uses: 0,
            max_per_order: req.max_per_order,
            created_at: now,
            disabled_at: None,
        })
        .collect())
}

#[OpenApi(tag = "ApiTags::Events")]
impl VouchersApi {
    /// Create promo codes (the organizer): one named `code`, or `count`
    /// random ones with the same terms. A code the event has already: 409.
    #[oai(path = "/events/:id/vouchers", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        body: Json<NewVouchers>,
    ) -> Result<
        VouchersCreated,
        Problems<{ JSON_BODY | UNAUTHORIZED | FORBIDDEN | NOT_FOUND | CONFLICT | UNAVAILABLE }>,
    > {
        let event = organized(&state, &auth, &id).await?;
        let mut conn = state.pool.get().await?;
        let tiers: Vec<Uuid> = (Event::tier_rows(&conn, event.id).await?)
            .into_iter()
            .map(|t| t.id)
            .collect();
        let new = vouchers_of(&event, &tiers, body.0)?;
        match Voucher::insert_all(&mut conn, &new).await {
            Ok(()) => {}
            Err(e) if slotwise_db::is_unique_violation(&e) => {
                return Err(ApiError::conflict(
                    "voucher_code_taken",
                    "Code taken",
                    "this event has a code like that already; choose another",
                )
                .into());
            }
            Err(e) => return Err(ApiError::from(e).into()),
        }
        let items = new.into_iter().map(|v| VoucherView::new(v, &[])).collect();
        Ok(VouchersCreated::Created(Json(VoucherList { items })))
    }

    /// The event's promo codes with their uses and what they brought in:
    /// paid orders, tickets, revenue after discount and discount given.
    #[oai(path = "/events/:id/vouchers", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
    ) -> Result<Json<VoucherList>, Problems<{ UNAUTHORIZED | FORBIDDEN | NOT_FOUND | UNAVAILABLE }>>
    {
        let event = organized(&state, &auth, &id).await?;
        let mut conn = state.pool.get().await?;
        let vouchers = Voucher::of_event(&mut conn, event.id).await?;
        let sales = Voucher::sales_of_event(&mut conn, event.id).await?;
        let items = vouchers
            .into_iter()
            .map(|v| VoucherView::new(v, &sales))
            .collect();
        Ok(Json(VoucherList { items }))
    }

    /// Switch a promo code off (the organizer): orders holding it keep it,
    /// no new order may take it. Again: the same answer.
    #[oai(path = "/events/:id/vouchers/:voucher_id", method = "delete")]
    async fn disable(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        voucher_id: Path<Uuid>,
    ) -> Result<
        Json<VoucherView>,
        Problems<{ BAD_REQUEST | UNAUTHORIZED | FORBIDDEN | NOT_FOUND | UNAVAILABLE }>,
    > {
        let event = organized(&state, &auth, &id).await?;
        let mut conn = state.pool.get().await?;
        Voucher::disable(&mut conn, event.id, voucher_id.0).await?;
        let found = (Voucher::of_event(&mut conn, event.id).await?)
            .into_iter()
            .find(|v| v.id == voucher_id.0)
            .ok_or_else(|| ApiError::not_found("voucher"))?;
        let sales = Voucher::sales_of_event(&mut conn, event.id).await?;
        Ok(Json(VoucherView::new(found, &sales)))
    }
}
