//! OpenTelemetry traces of the real binary, received over OTLP/HTTP by a
//! receiver in the test: one paid booking's request, its transactions and
//! its Stripe call in the caller's trace, the `traceparent` on the wire to
//! Stripe, the trace id in the log lines, and the webhook that confirms the
//! payment on a trace of its own, linked back to the booking's.

use crate::helpers::{event, status_and_json, stripe_base, tomorrow_at};
use crate::process::Process;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::{Span, span::SpanKind};
use poem::web::Data;
use poem::{Body, EndpointExt, Response, Route, handler, post};
use prost::Message;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a receiver has been sent.
type Seen<T> = Arc<Mutex<Vec<T>>>;

/// Serves `app` on a free local port in the background; its base URL.
async fn serve(app: impl poem::Endpoint + 'static) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let acceptor = poem::listener::TcpListener::bind(addr.to_string());
    tokio::spawn(poem::Server::new(acceptor).run(app));
    let base = format!("http://{addr}");
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return base;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{base} did not start listening");
}

#[handler]
async fn collect(body: Body, Data(spans): Data<&Seen<Span>>) -> StatusCode {
    let bytes = body.into_bytes().await.expect("body");
    let request = ExportTraceServiceRequest::decode(bytes).expect("OTLP protobuf");
    let mut seen = spans.lock().expect("spans");
    for resource in request.resource_spans {
        for scope in resource.scope_spans {
            seen.extend(scope.spans);
        }
    }
    StatusCode::OK
}

/// One request the Stripe proxy forwarded: path and `traceparent`.
type Forwarded = (String, Option<String>);

/// Forwards every request to the emulator, noting its `traceparent`.
#[handler]
async fn forward(req: &poem::Request, body: Body, Data(seen): Data<&Seen<Forwarded>>) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let traceparent = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    seen.lock()
        .expect("forwarded")
        .push((req.uri().path().to_owned(), traceparent));
    let mut headers = req.headers().clone();
    headers.remove("host");
    let answer = reqwest::Client::new()
        .request(
            req.method().clone(),
            format!("{}{}", stripe_base().trim_end_matches('/'), path),
        )
        .headers(headers)
        .body(body.into_bytes().await.expect("body"))
        .send()
        .await
        .expect("the emulator answers");
    let status = answer.status();
    let bytes = answer.bytes().await.expect("answer");
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attribute(span: &Span, key: &str) -> Option<AnyValue> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.clone())
        .and_then(|v| v.value)
}

fn named<'a>(spans: &'a [Span], name: &str) -> Vec<&'a Span> {
    spans.iter().filter(|s| s.name == name).collect()
}

/// Whether `span` descends from the span `ancestor` (same trace), by its parents.
fn descends_from(spans: &[Span], span: &Span, ancestor: &Span) -> bool {
    let mut current = span;
    for _ in 0..32 {
        if current.trace_id != ancestor.trace_id {
            return false;
        }
        if current.parent_span_id == ancestor.span_id {
            return true;
        }
        match spans.iter().find(|s| s.span_id == current.parent_span_id) {
            Some(parent) => current = parent,
            None => return false,
        }
    }
    false
}

/// Polls what was received until `ready` holds for it (30 s at most).
async fn received(spans: &Seen<Span>, ready: impl Fn(&[Span]) -> bool) -> Vec<Span> {
    for _ in 0..600 {
        let now = spans.lock().expect("spans").clone();
        if ready(&now) {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let names: Vec<String> = spans
        .lock()
        .expect("spans")
        .iter()
        .map(|s| s.name.clone())
        .collect();
    panic!("the expected spans did not arrive in 30 s; got {names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_booking_is_one_trace_and_its_webhook_links_back_to_it() {
    let spans: Seen<Span> = Arc::default();
    let otlp = serve(
        Route::new()
            .at("/v1/traces", post(collect))
            .data(spans.clone()),
    )
    .await;
    let forwarded: Seen<Forwarded> = Arc::default();
    let stripe = serve(Route::new().at("/*path", forward).data(forwarded.clone())).await;
    let process = Process::start_with(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ("OTEL_TRACES_SAMPLER", "parentbased_always_on"),
        ("STRIPE_API_BASE", &format!("{stripe}/")),
    ])
    .await;
    let app = &process.app;
    let client = app.user("client").await;
    let pro = app.pro(100).await;

    // The caller's trace: our request span is to be a child of its span.
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller = "00f067aa0ba902b7";
    let res = app
        .http
        .post(app.url("/bookings"))
        .bearer_auth(&client)
        .header("Idempotency-Key", "traced-1")
        .header("traceparent", format!("00-{trace}-{caller}-01"))
        .json(&json!({
            "professional_id": pro.id,
            "start_time": tomorrow_at(10).to_rfc3339(),
            "duration_minutes": 30,
        }))
        .send()
        .await
        .expect("book");
    let (status, booking) = status_and_json(res).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let intent = booking["payment"]["payment_intent_id"]
        .as_str()
        .expect("a paid booking has an intent")
        .to_owned();

    let got = received(&spans, |s| {
        !named(s, "POST /bookings").is_empty() && !named(s, "stripe create_intent").is_empty()
    })
    .await;
    let request = named(&got, "POST /bookings")[0];
    assert_eq!(hex(&request.trace_id), trace, "the caller's trace is kept");
    assert_eq!(
        hex(&request.parent_span_id),
        caller,
        "the caller's span is the parent"
    );
    assert_eq!(request.kind, SpanKind::Server as i32);
    assert_eq!(
        attribute(request, "http.route"),
        Some(AnyValue::StringValue("/bookings".to_owned()))
    );
    assert_eq!(
        attribute(request, "http.response.status_code"),
        Some(AnyValue::IntValue(201))
    );
    let transactions: Vec<&Span> = named(&got, "db.transaction")
        .into_iter()
        .filter(|t| descends_from(&got, t, request))
        .collect();
    assert!(
        !transactions.is_empty(),
        "the booking's transactions are in its trace"
    );
    // The booking's own transaction: SERIALIZABLE, but READ COMMITTED on Citus
    // (`slotwise_db::tx::set_on_citus`).
    let booked_at = if slotwise_db::testing::citus_nodes().is_empty() {
        "serializable"
    } else {
        "read committed"
    };
    assert!(transactions.iter().any(|t| {
        attribute(t, "db.isolation_level") == Some(AnyValue::StringValue(booked_at.to_owned()))
    }));
    let call = named(&got, "stripe create_intent")[0];
    assert!(
        descends_from(&got, call, request),
        "the Stripe call is the booking's"
    );
    assert_eq!(call.kind, SpanKind::Client as i32);
    // On the wire to Stripe, the call's own span is the parent.
    let sent = forwarded.lock().expect("forwarded").clone();
    let expected = format!("00-{trace}-{}-01", hex(&call.span_id));
    assert!(
        sent.iter()
            .any(|(path, tp)| path == "/v1/payment_intents" && tp.as_deref() == Some(&expected)),
        "Stripe was sent {expected}: {sent:?}"
    );
    // The log lines of the request carry its trace id.
    let finished = process.logs().iter().any(|line| {
        serde_json::from_str::<Value>(line).is_ok_and(|v| {
            v["span"]["trace_id"] == trace && v["fields"]["message"] == "request finished"
        })
    });
    assert!(finished, "the log line names the trace");

    // Stripe's webhook arrives on a trace of its own, linked to the booking's.
    let succeeded = event(
        "payment_intent.succeeded",
        json!({
            "id": intent, "object": "payment_intent", "status": "succeeded",
            "amount": booking["price_cents"], "currency": booking["currency"],
            "metadata": { "booking_id": booking["id"] },
        }),
    );
    let (status, ack) = status_and_json(app.send_event(&succeeded, None).await).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    let got = received(&spans, |s| {
        !named(s, "stripe webhook payment_intent.succeeded").is_empty()
            && !named(s, "POST /webhooks/stripe").is_empty()
    })
    .await;
    let webhook = named(&got, "POST /webhooks/stripe")[0];
    let applied = named(&got, "stripe webhook payment_intent.succeeded")[0];
    assert_ne!(
        hex(&webhook.trace_id),
        trace,
        "a webhook is a trace of its own"
    );
    assert!(descends_from(&got, applied, webhook));
    assert!(
        applied
            .links
            .iter()
            .any(|l| l.trace_id == request.trace_id && l.span_id == request.span_id),
        "the webhook's application links to the booking's request: {:?}",
        applied.links
    );
    assert_eq!(
        attribute(applied, "stripe.outcome"),
        Some(AnyValue::StringValue("confirmed".to_owned()))
    );
}
