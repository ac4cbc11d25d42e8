//! The Stripe API as Slotwise uses it (and, in `signature`, the check of
//! what Stripe sends us), through async-stripe. The same code
//! talks to real Stripe (test keys) and to the emulator (`STRIPE_API_BASE`).

pub mod signature;
mod transport;

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;
use stripe::{IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_core::PaymentIntent;
use stripe_core::payment_intent::{
    CancelPaymentIntent, CreatePaymentIntent, ListPaymentIntent, RetrievePaymentIntent,
};
use stripe_core::refund::{CreateRefund, ListRefund};
use tracing::Instrument;
use transport::Transport;
use uuid::Uuid;

/// Whether `code` (lower case) is an ISO 4217 currency Stripe charges in.
pub fn is_supported_currency(code: &str) -> bool {
    code.len() == 3
        && code.bytes().all(|b| b.is_ascii_lowercase())
        && !matches!(
            code.parse::<stripe_types::Currency>(),
            Ok(stripe_types::Currency::Unknown(_))
        )
}

/// What Slotwise needs to know of a PaymentIntent.
#[derive(Debug, Clone)]
pub struct Intent {
    pub id: String,
    pub client_secret: String,
    pub status: String,
    pub amount: i64,
    /// ISO 4217, lower case, as Stripe writes it.
    pub currency: String,
    /// Names the payable it was made for (`booking_id`, `professional_id`, ...).
    pub metadata: HashMap<String, String>,
    pub last_error: Option<String>,
}

impl From<PaymentIntent> for Intent {
    fn from(pi: PaymentIntent) -> Self {
        Self {
            id: pi.id.as_str().to_owned(),
            client_secret: pi.client_secret.clone().unwrap_or_default(),
            status: pi.status.as_str().to_owned(),
            amount: pi.amount,
            currency: pi.currency.to_string(),
            metadata: pi.metadata,
            last_error: pi.last_payment_error.and_then(|e| e.message),
        }
    }
}

impl Intent {
    /// A UUID its metadata holds under `field`.
    pub fn id_in(&self, field: &str) -> Option<Uuid> {
        self.metadata
            .get(field)
            .and_then(|v| Uuid::parse_str(v).ok())
    }
}

#[derive(Debug, Clone)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
}

/// Why a Stripe call did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StripeFailure {
    /// The card was declined (HTTP 402): the customer's problem, not ours.
    Declined(String),
    /// Stripe could not be reached, timed out, or failed on its side.
    Unavailable(String),
    /// Stripe refused the request (4xx): the state does not allow it.
    Refused(String),
}

impl From<StripeError> for StripeFailure {
    fn from(err: StripeError) -> Self {
        match err {
            StripeError::Stripe(api, 402) => {
                StripeFailure::Declined(api.message.unwrap_or_else(|| "card declined".to_owned()))
            }
            StripeError::Stripe(api, status) if (400..500).contains(&status) => {
                StripeFailure::Refused(api.message.unwrap_or_else(|| format!("HTTP {status}")))
            }
            // Only Stripe's message: the error object can hold the PaymentIntent,
            // client_secret included, and this text reaches the logs.
            StripeError::Stripe(api, status) => StripeFailure::Unavailable(format!(
                "HTTP {status}: {}",
                api.message.as_deref().unwrap_or("no message")
            )),
            // A parser's message can quote the value it choked on.
            StripeError::JSONDeserialize(_) => {
                StripeFailure::Unavailable("Stripe's answer could not be read".to_owned())
            }
            other => StripeFailure::Unavailable(other.to_string()),
        }
    }
}

/// Runs one Stripe call in its own client span (`stripe <operation>`, the
/// parent of the request's `traceparent`) and counts it by operation and
/// outcome for `/metrics` (`stripe_requests_total`): `ok`, `declined` (the
/// card), `refused` (the request) or `unavailable` (Stripe unreachable or
/// failing), which the StripeUnavailable alert watches.
async fn counted<T>(
    operation: &'static str,
    call: impl Future<Output = Result<T, StripeFailure>>,
) -> Result<T, StripeFailure> {
    static CALLS: slotwise_web::metrics::Metric = slotwise_web::metrics::Metric::new(
        "stripe_requests_total",
        "Stripe API calls by operation and outcome.",
    );
    let span = tracing::info_span!(
        target: "slotwise_trace",
        "stripe",
        otel.name = format!("stripe {operation}"),
        otel.kind = "client",
        stripe.operation = operation,
        stripe.outcome = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
        error.message = tracing::field::Empty,
    );
    let result = call.instrument(span.clone()).await;
    let outcome = match &result {
        Ok(_) => "ok",
        Err(StripeFailure::Declined(_)) => "declined",
        Err(StripeFailure::Refused(_)) => "refused",
        Err(StripeFailure::Unavailable(_)) => "unavailable",
    };
    CALLS.inc(&[("operation", operation), ("outcome", outcome)]);
    if !span.is_disabled() {
        span.record("stripe.outcome", outcome);
        if let Err(
            StripeFailure::Declined(m) | StripeFailure::Refused(m) | StripeFailure::Unavailable(m),
        ) = &result
        {
            slotwise_web::otel::fail(&span, m);
        }
    }
    result
}

#[derive(Clone)]
pub struct Stripe {
    client: Transport,
}

impl Stripe {
    pub fn new(secret_key: &str, api_base: &str, timeout: Duration) -> anyhow::Result<Self> {
        let base = if api_base.ends_with('/') {
            api_base.to_owned()
        } else {
            format!("{api_base}/")
        };
        let client = Transport::new(secret_key, base, timeout)?;
        Ok(Self { client })
    }

    /// Creates a payable's PaymentIntent (`kind`, its id and `metadata`). Our
    /// own idempotency key makes a retry safe at real Stripe;
    /// [`Stripe::find_intent`] covers emulators that ignore it.
    pub async fn create_intent(
        &self,
        kind: &str,
        id: Uuid,
        metadata: HashMap<String, String>,
        amount: i64,
        currency: &str,
        payment_method: Option<&str>,
    ) -> Result<Intent, StripeFailure> {
        let made = async {
            // Currencies are checked at the edge; one Stripe does not know is refused, never charged as another.
            let currency = match currency.parse::<stripe_types::Currency>() {
                Ok(stripe_types::Currency::Unknown(code)) => {
                    return Err(StripeFailure::Refused(format!(
                        "currency {code:?} is not one Stripe supports"
                    )));
                }
                Ok(known) => known,
                Err(never) => match never {},
            };
            let mut request = CreatePaymentIntent::new(amount, currency).metadata(metadata);
            if let Some(pm) = payment_method {
                request = request.payment_method(pm).confirm(true);
            }
            let key = IdempotencyKey::new(format!("{kind}-intent-{id}"))
                .map_err(|e| StripeFailure::Refused(e.to_string()))?;
            let intent = request
                .customize()
                .request_strategy(RequestStrategy::Idempotent(key))
                .send(&self.client)
                .await?;
            Ok::<Intent, StripeFailure>(intent.into())
        };
        counted("create_intent", made).await
    }

    /// The PaymentIntent whose metadata holds `id` under `field`, if one exists.
    pub async fn find_intent(
        &self,
        field: &str,
        id: Uuid,
    ) -> Result<Option<Intent>, StripeFailure> {
        counted("find_intent", self.search_intents(field, id)).await
    }

    async fn search_intents(&self, field: &str, id: Uuid) -> Result<Option<Intent>, StripeFailure> {
        let mut after: Option<String> = None;
        for _ in 0..100 {
            let mut request = ListPaymentIntent::new().limit(100);
            if let Some(a) = &after {
                request = request.starting_after(a.clone());
            }
            let page = request.send(&self.client).await?;
            let id = id.to_string();
            let found = page
                .data
                .iter()
                .find(|pi| pi.metadata.get(field) == Some(&id));
            if let Some(pi) = found {
                return Ok(Some(pi.clone().into()));
            }
            match (page.has_more, page.data.last()) {
                (true, Some(last)) => after = Some(last.id.as_str().to_owned()),
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    pub async fn retrieve_intent(&self, id: &str) -> Result<Intent, StripeFailure> {
        counted("retrieve_intent", async {
            let found = RetrievePaymentIntent::new(id).send(&self.client).await?;
            Ok::<Intent, StripeFailure>(found.into())
        })
        .await
    }

    pub async fn cancel_intent(&self, id: &str) -> Result<Intent, StripeFailure> {
        counted("cancel_intent", async {
            let canceled = CancelPaymentIntent::new(id).send(&self.client).await?;
            Ok::<Intent, StripeFailure>(canceled.into())
        })
        .await
    }

    /// Refunds `amount` of the intent for one refund of ours (a whole
    /// payable's, or some tickets of an order), once: the intent's refund
    /// carrying `key` in its metadata is returned instead of making another
    /// (the emulator ignores Idempotency-Key). A refund without that metadata
    /// was made before refunds carried their key, when an intent had one
    /// refund at most: it is taken as this one.
    pub async fn refund(
        &self,
        key: &str,
        intent: &str,
        amount: i64,
    ) -> Result<Refund, StripeFailure> {
        counted("refund", self.refund_once(key, intent, amount)).await
    }

    async fn refund_once(
        &self,
        key: &str,
        intent: &str,
        amount: i64,
    ) -> Result<Refund, StripeFailure> {
        let page = ListRefund::new()
            .payment_intent(intent)
            .limit(100)
            .send(&self.client)
            .await?;
        let key_of = |r: &stripe_core::Refund| {
            r.metadata
                .as_ref()
                .and_then(|m| m.get("slotwise_refund"))
                .cloned()
        };
        // Only a refund carrying this key is this one: a refund made another
        // way (Stripe's dashboard, another of ours) is never taken for it.
        if let Some(r) = page.data.iter().find(|r| key_of(r).as_deref() == Some(key)) {
            return Ok(Refund {
                id: r.id.as_str().to_owned(),
                amount: r.amount,
            });
        }
        let idempotency =
            IdempotencyKey::new(key).map_err(|e| StripeFailure::Refused(e.to_string()))?;
        let refund = CreateRefund::new()
            .payment_intent(intent)
            .amount(amount)
            .metadata(std::collections::HashMap::from([(
                "slotwise_refund".to_owned(),
                key.to_owned(),
            )]))
            .customize()
            .request_strategy(RequestStrategy::Idempotent(idempotency))
            .send(&self.client)
            .await?;
        Ok(Refund {
            id: refund.id.as_str().to_owned(),
            amount: refund.amount,
        })
    }
}
