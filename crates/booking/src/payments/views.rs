//! How any payable shows its money: its PaymentIntent and its refund.

use poem_openapi::Object;

#[derive(Debug, Clone, Object)]
pub struct PaymentView {
    /// Always `stripe`.
    pub provider: String,
    pub payment_intent_id: String,
    pub client_secret: String,
    /// The PaymentIntent's last known status, e.g. `requires_payment_method`, `succeeded`.
    pub status: String,
    /// Why the last payment attempt failed, if it did.
    #[oai(skip_serializing_if_is_none)]
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct RefundView {
    /// Stripe's refund id; absent while the refund is still being made.
    #[oai(skip_serializing_if_is_none)]
    pub refund_id: Option<String>,
    pub amount_cents: i64,
    /// `requested_by_customer`, `slot_taken_after_hold_expired`,
    /// `window_removed_after_hold_expired`, `cancelled_before_payment_arrived`, ...
    pub reason: String,
}

impl PaymentView {
    /// The view of a stored intent; `None` before one is attached.
    pub fn of(
        intent: Option<String>,
        client_secret: Option<String>,
        status: Option<String>,
        last_error: Option<String>,
    ) -> Option<Self> {
        intent.map(|id| PaymentView {
            provider: "stripe".to_owned(),
            payment_intent_id: id,
            client_secret: client_secret.unwrap_or_default(),
            status: status.unwrap_or_default(),
            last_error,
        })
    }
}

impl From<slotwise_db::refunds::Refund> for RefundView {
    fn from(r: slotwise_db::refunds::Refund) -> Self {
        RefundView {
            refund_id: r.refund_id,
            amount_cents: r.amount_cents,
            reason: r.reason,
        }
    }
}
