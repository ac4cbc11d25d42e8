//! OpenTelemetry traces over OTLP/HTTP (protobuf), configured by the standard
//! variables: `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) turns
//! them on; `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER(_ARG)`, `OTEL_BSP_*`
//! and `OTEL_EXPORTER_OTLP_HEADERS` are read by the SDK. `OTEL_SDK_DISABLED=true`
//! or `OTEL_TRACES_EXPORTER=none` keeps them off.
//!
//! Off, the spans made here are never built: their target ([`TARGET`]) is
//! enabled by no layer, so each call site costs one cached check. On, they
//! go to the OpenTelemetry layer only; the log lines keep their `request`
//! span, which then carries `trace_id`.
//!
//! The W3C `traceparent` of a request is its parent; Stripe calls and
//! outbound webhooks carry the current span's ([`inject`]). The exporter
//! sends through reqwest on the service's own runtime (the SDK's batch
//! thread has none).

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanContext, TraceContextExt, TracerProvider as _};
use opentelemetry_http::{Bytes, HeaderExtractor, HeaderInjector, HttpClient, HttpError};
use opentelemetry_otlp::{SpanExporter, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use poem::http;
use std::sync::OnceLock;
use std::time::Duration;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

/// The target of spans made only for traces (transactions, Stripe calls,
/// webhook applications, job rounds, deliveries): the log output skips it.
pub const TARGET: &str = "slotwise_trace";

/// Targets whose spans are exported: ours.
pub const EXPORTED: [&str; 5] = [
    TARGET,
    "slotwise_web",
    "slotwise_booking",
    "slotwise_search",
    "slotwise_db",
];

static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Whether traces are being exported (set once, at start).
pub fn enabled() -> bool {
    PROVIDER.get().is_some()
}

/// Whether the environment asks for traces.
fn wanted() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    let off = std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true"))
        || std::env::var("OTEL_TRACES_EXPORTER").is_ok_and(|v| v.eq_ignore_ascii_case("none"));
    !off && (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
}

/// The OpenTelemetry layer when the environment asks for traces (and a
/// tokio runtime is running, for the exporter's requests); `service` names
/// the service unless `OTEL_SERVICE_NAME` does.
pub fn layer<S>(service: &str) -> anyhow::Result<Option<impl Layer<S> + use<S>>>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    if !wanted() {
        return Ok(None);
    }
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| anyhow::anyhow!("traces need a tokio runtime"))?;
    let exporter = SpanExporter::builder()
        .with_http()
        .with_http_client(Export {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            runtime,
        })
        .build()?;
    let mut resource = Resource::builder();
    if std::env::var("OTEL_SERVICE_NAME").is_err() {
        resource = resource.with_service_name(service.to_owned());
    }
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build();
    let tracer = provider.tracer("slotwise");
    let _ = PROVIDER.set(provider);
    Ok(Some(
        tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_threads(false)
            .with_tracked_inactivity(false),
    ))
}

/// Sends what is buffered and stops the exporter (at exit).
pub async fn shutdown() {
    if let Some(provider) = PROVIDER.get().cloned() {
        let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        if let Ok(Err(e)) = flushed {
            tracing::warn!(error = %e, "traces not all exported at exit");
        }
    }
}

/// Makes the request's `traceparent` (if any) the parent of `span`.
pub fn accept(headers: &http::HeaderMap, span: &Span) {
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// The trace id of `span`, hex, when it is sampled.
pub fn trace_id(span: &Span) -> Option<String> {
    let cx = span.context();
    let sc = cx.span().span_context().clone();
    sc.is_sampled().then(|| sc.trace_id().to_string())
}

/// Adds the current span's `traceparent` to outgoing `headers`.
pub fn inject(headers: &mut http::HeaderMap) {
    if enabled() {
        TraceContextPropagator::new()
            .inject_context(&Span::current().context(), &mut HeaderInjector(headers));
    }
}

/// The current span's `traceparent`, when it is sampled: what a later trace
/// (the webhook that confirms a payment) links back to.
pub fn current_traceparent() -> Option<String> {
    if !enabled() {
        return None;
    }
    let mut headers = http::HeaderMap::new();
    let cx = Span::current().context();
    if !cx.span().span_context().is_sampled() {
        return None;
    }
    TraceContextPropagator::new().inject_context(&cx, &mut HeaderInjector(&mut headers));
    headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Links `span` to the span a stored `traceparent` names.
pub fn link(span: &Span, traceparent: &str) {
    let mut headers = http::HeaderMap::new();
    let Ok(value) = http::HeaderValue::from_str(traceparent) else {
        return;
    };
    headers.insert("traceparent", value);
    let cx = TraceContextPropagator::new().extract(&HeaderExtractor(&headers));
    let linked: SpanContext = cx.span().span_context().clone();
    if linked.is_valid() {
        span.add_link(linked);
    }
}

/// Marks `span` failed with `message` (its status and `error.message`).
pub fn fail(span: &Span, message: &str) {
    span.record("otel.status_code", "error");
    span.record("error.message", message);
}

/// The exporter's HTTP client: reqwest, run on the service's runtime.
#[derive(Debug)]
struct Export {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl HttpClient for Export {
    async fn send_bytes(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, HttpError> {
        let (parts, body) = request.into_parts();
        let client = self.client.clone();
        // Built and sent on the runtime: reqwest's timers need its reactor.
        let answered = self
            .runtime
            .spawn(async move {
                let response = client
                    .request(parts.method, parts.uri.to_string())
                    .headers(parts.headers)
                    .body(body)
                    .send()
                    .await?;
                let status = response.status();
                let bytes = response.bytes().await?;
                Ok::<_, reqwest::Error>((status, bytes))
            })
            .await??;
        let (status, bytes) = answered;
        Ok(http::Response::builder().status(status).body(bytes)?)
    }
}
