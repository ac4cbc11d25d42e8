//! What the notification tests read: the SMTP sink's mail folder, the outbox.

use crate::helpers::TestApp;
use std::path::PathBuf;

/// The folder the SMTP sink stores mail in (`scripts/test` sets it).
pub fn mail_dir() -> PathBuf {
    std::env::var("TEST_MAIL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("../../.local/test-mail"))
}

/// The mail about outbox row `id`, as the sink stored it.
pub fn mail(id: &str) -> Option<Vec<u8>> {
    std::fs::read(mail_dir().join(format!("{id}@slotwise.dev.eml"))).ok()
}

/// A stored mail, parsed: what the tests look at.
pub struct Received {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The `invite.ics` attachment, if any.
    pub ics: Option<String>,
}

/// The mail about outbox row `id`, parsed; `None` until the sink has it.
pub fn received(id: &str) -> Option<Received> {
    use mail_parser::MimeHeaders;
    let raw = mail(id)?;
    let message = mail_parser::MessageParser::default()
        .parse(&raw)
        .expect("a MIME message");
    let to = (message
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.address()))
    .unwrap_or_default()
    .to_owned();
    let ics = (message.attachments())
        .find(|a| a.attachment_name() == Some("invite.ics"))
        .map(|a| String::from_utf8(a.contents().to_vec()).expect("utf-8"));
    Some(Received {
        to,
        subject: message.subject().unwrap_or_default().to_owned(),
        text: message
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default(),
        html: message
            .body_html(0)
            .map(|t| t.into_owned())
            .unwrap_or_default(),
        ics,
    })
}

/// How many further copies of that mail reached the sink (and were dropped by its Message-ID).
pub fn duplicates(id: &str) -> usize {
    let log = std::fs::read_to_string(mail_dir().join("duplicates.log")).unwrap_or_default();
    let name = format!("{id}@slotwise.dev");
    log.lines().filter(|l| *l == name).count()
}

impl TestApp {
    /// The outbox rows of `topic`, oldest first: id and the address mailed.
    pub async fn outbox(&self, topic: &str) -> Vec<(String, String)> {
        let rows = self
            .sql_text(&format!(
                "SELECT COALESCE(string_agg(id::text || ' ' || COALESCE(email, '-'), ',' ORDER BY id), '') \
                 FROM outbox WHERE topic = '{topic}'"
            ))
            .await;
        rows.split(',')
            .filter(|r| !r.is_empty())
            .map(|r| {
                let (id, email) = r.split_once(' ').expect("id and email");
                (id.to_owned(), email.to_owned())
            })
            .collect()
    }

    /// Fans out and sends every notification due now.
    pub async fn deliver(&self) -> usize {
        slotwise_booking::notify::send::notify_until_idle(&self.state)
            .await
            .expect("notifications delivered")
    }
}

/// One request a [`Receiver`] got, and what it answered.
#[derive(Debug, Clone)]
pub struct Hit {
    pub signature: String,
    pub event_id: String,
    pub event_type: String,
    pub body: String,
    pub answered: u16,
}

/// A real local HTTP receiver of webhooks: answers the scripted statuses in
/// turn, then 200, and records every request.
pub struct Receiver {
    pub url: String,
    pub hits: std::sync::Arc<std::sync::Mutex<Vec<Hit>>>,
}

impl Receiver {
    pub async fn start(script: Vec<u16>) -> Receiver {
        use std::sync::{Arc, Mutex};
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let script = Arc::new(Mutex::new(std::collections::VecDeque::from(script)));
        let recorded = hits.clone();
        let endpoint = poem::endpoint::make(move |req: poem::Request| {
            let (hits, script) = (recorded.clone(), script.clone());
            async move {
                let header = |name: &str| {
                    (req.headers().get(name))
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                let (signature, event_id, event_type) = (
                    header("Slotwise-Signature"),
                    header("Slotwise-Event-Id"),
                    header("Slotwise-Event-Type"),
                );
                let body = req.into_body().into_string().await.unwrap_or_default();
                let answered = script.lock().expect("script").pop_front().unwrap_or(200);
                hits.lock().expect("hits").push(Hit {
                    signature,
                    event_id,
                    event_type,
                    body,
                    answered,
                });
                poem::http::StatusCode::from_u16(answered).expect("status")
            }
        });
        let bound = slotwise_web::serve::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", bound.addr);
        tokio::spawn(bound.serve(endpoint, std::future::pending()));
        Receiver { url, hits }
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("hits").clone()
    }
}

/// Checks a `Slotwise-Signature` as a receiver would (README: "Verifying webhooks").
pub fn verify(secret: &str, header: &str, body: &str) -> bool {
    use hmac::{Hmac, Mac};
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value),
            Some(("v1", value)) => v1 = Some(value),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let fresh = t
        .parse::<i64>()
        .is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() < 300);
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{body}").as_bytes());
    fresh && hex::decode(v1).is_ok_and(|sig| mac.verify_slice(&sig).is_ok())
}

impl TestApp {
    /// `POST /webhook-endpoints` as `token`: status and body.
    pub async fn add_endpoint(
        &self,
        token: &str,
        url: &str,
        types: &[&str],
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let res = self
            .http
            .post(self.url("/webhook-endpoints"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "url": url, "event_types": types }))
            .send()
            .await
            .expect("add endpoint");
        crate::helpers::status_and_json(res).await
    }
}
