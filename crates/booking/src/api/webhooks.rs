//! `POST /webhooks/stripe`.

use super::ApiTags;
use crate::AppState;
use crate::payments::webhook::Delivery;
use poem::web::Data;
use poem_openapi::param::Header;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{Object, OpenApi};
use slotwise_web::Problems;
use slotwise_web::problems::*;

pub struct WebhooksApi;

#[derive(Debug, Object)]
pub struct WebhookAck {
    pub received: bool,
    /// True when this event id was applied before (a replay changes nothing).
    pub duplicate: bool,
    /// What applying it did, e.g. `confirmed`, `refund_due`, `ignored`.
    #[oai(skip_serializing_if_is_none)]
    pub outcome: Option<String>,
}

#[OpenApi(tag = "ApiTags::Webhooks")]
impl WebhooksApi {
    /// Stripe events, verified by `Stripe-Signature` (HMAC-SHA256, 300 s tolerance).
    ///
    /// Each event id is applied once; replays and unknown types answer 200 and change nothing.
    #[oai(path = "/webhooks/stripe", method = "post")]
    async fn stripe(
        &self,
        state: Data<&AppState>,
        #[oai(name = "Stripe-Signature")] signature: Header<Option<String>>,
        body: Binary<Vec<u8>>,
    ) -> Result<
        Json<WebhookAck>,
        Problems<{ BAD_REQUEST | PAYLOAD_TOO_LARGE | UNSUPPORTED_MEDIA_TYPE | UNAVAILABLE }>,
    > {
        let delivery =
            crate::payments::webhook::receive_stripe_event(&state, signature.as_deref(), &body)
                .await?;
        Ok(Json(match delivery {
            Delivery::Duplicate => WebhookAck {
                received: true,
                duplicate: true,
                outcome: None,
            },
            Delivery::Applied(outcome) => WebhookAck {
                received: true,
                duplicate: false,
                outcome: Some(outcome),
            },
        }))
    }
}
