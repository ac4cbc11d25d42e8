//! The HTTP side of Stripe calls: async-stripe builds each request, we send it
//! through reqwest, so that it carries the current trace's `traceparent`
//! (async-stripe's own client adds no header of ours) and reuses connections.
//! One attempt per call: every request Slotwise makes is `Once` or
//! `Idempotent`, and a failed one is retried by the job that owns it.

use std::time::Duration;
use stripe::StripeError;
use stripe_client_core::{CustomizedStripeRequest, StripeClient, StripeMethod, VERSION};

#[derive(Clone)]
pub struct Transport {
    http: reqwest::Client,
    /// With the trailing `/`; paths are appended after `v1`.
    base: String,
    authorization: reqwest::header::HeaderValue,
    version: reqwest::header::HeaderValue,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Transport {
    pub fn new(secret_key: &str, base: String, timeout: Duration) -> anyhow::Result<Self> {
        let mut authorization =
            reqwest::header::HeaderValue::from_str(&format!("Bearer {secret_key}"))
                .map_err(|_| anyhow::anyhow!("the Stripe secret key is not a header value"))?;
        authorization.set_sensitive(true);
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("Slotwise/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            base,
            authorization,
            version: reqwest::header::HeaderValue::from_str(VERSION.as_str())?,
        })
    }

    async fn send(&self, request: CustomizedStripeRequest) -> Result<bytes::Bytes, StripeError> {
        let (req, config) = request.into_pieces();
        let method = match req.method {
            StripeMethod::Get => reqwest::Method::GET,
            StripeMethod::Post => reqwest::Method::POST,
            StripeMethod::Delete => reqwest::Method::DELETE,
        };
        let mut url = format!("{}v1{}", self.base, req.path);
        if let Some(query) = req.query {
            url.push('?');
            url.push_str(&query);
        }
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::AUTHORIZATION, self.authorization.clone());
        headers.insert("stripe-version", self.version.clone());
        if let Some(key) = config.request_strategy.as_ref().and_then(|s| s.get_key()) {
            let value = reqwest::header::HeaderValue::from_str(key.as_str())
                .map_err(|_| StripeError::ClientError("idempotency key".to_owned()))?;
            headers.insert("idempotency-key", value);
        }
        slotwise_web::otel::inject(&mut headers);
        let mut builder = self.http.request(method, url).headers(headers);
        if let Some(body) = req.body {
            builder = builder
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body);
        }
        if let Some(timeout) = config.timeout {
            builder = builder.timeout(timeout);
        }
        let response = builder.send().await.map_err(unreachable)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(unreachable)?;
        if status.is_success() {
            return Ok(bytes);
        }
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| StripeError::JSONDeserialize("Response was not valid UTF-8".into()))?;
        Err(miniserde::json::from_str::<stripe_shared::Error>(text)
            .map(|e| StripeError::Stripe(e.error, status.as_u16()))
            .unwrap_or_else(|_| {
                StripeError::JSONDeserialize("error deserializing Stripe error".into())
            }))
    }
}

/// Stripe was not reached or did not answer in time. Only reqwest's own text:
/// it names the URL, never a header.
fn unreachable(err: reqwest::Error) -> StripeError {
    if err.is_timeout() {
        StripeError::Timeout
    } else {
        StripeError::ClientError(err.to_string())
    }
}

impl StripeClient for Transport {
    type Err = StripeError;

    fn execute(
        &self,
        req: CustomizedStripeRequest,
    ) -> impl std::future::Future<Output = Result<bytes::Bytes, Self::Err>> + Send {
        self.send(req)
    }
}
