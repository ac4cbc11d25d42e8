//! The event bus: every outbox row is also published to NATS JetStream
//! (`NATS_URL`), on subject `<prefix>.<type>` (`slotwise.booking.confirmed`),
//! with the outbox row's id as `Nats-Msg-Id`, so JetStream drops a re-send
//! within the stream's duplicate window (10 minutes, longer than a delivery
//! lease). The stream (`<PREFIX>`, subjects `<prefix>.>`) is made if missing.
//! Other systems subscribe with a durable consumer on it.

use async_nats::jetstream::{self, stream};
use std::time::Duration;
use tokio::sync::OnceCell;
use uuid::Uuid;

/// How long JetStream remembers a message id.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(600);

pub struct Bus {
    url: String,
    prefix: String,
    context: OnceCell<jetstream::Context>,
}

impl Bus {
    pub fn new(url: &str, prefix: &str) -> Self {
        Bus {
            url: url.to_owned(),
            prefix: prefix.to_owned(),
            context: OnceCell::new(),
        }
    }

    pub fn subject(&self, topic: &str) -> String {
        format!("{}.{topic}", self.prefix)
    }

    /// The stream's name: the prefix in capitals (`SLOTWISE`).
    pub fn stream_name(prefix: &str) -> String {
        (prefix.chars())
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect()
    }

    /// Connected (once; a failed connection is tried again next time).
    async fn context(&self) -> Result<&jetstream::Context, String> {
        self.context
            .get_or_try_init(|| async {
                let client = async_nats::connect(&self.url)
                    .await
                    .map_err(|e| format!("cannot reach NATS: {e}"))?;
                let js = jetstream::new(client);
                js.get_or_create_stream(stream::Config {
                    name: Self::stream_name(&self.prefix),
                    subjects: vec![format!("{}.>", self.prefix)],
                    duplicate_window: DUPLICATE_WINDOW,
                    ..Default::default()
                })
                .await
                .map_err(|e| format!("cannot make the stream: {e}"))?;
                Ok(js)
            })
            .await
    }

    /// Published and acknowledged by JetStream (or dropped there as a duplicate).
    pub async fn publish(&self, subject: &str, id: Uuid, body: String) -> Result<(), String> {
        let js = self.context().await?;
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(async_nats::header::NATS_MESSAGE_ID, id.to_string().as_str());
        let ack = js
            .publish_with_headers(subject.to_owned(), headers, body.into())
            .await
            .map_err(|e| format!("publish failed: {e}"))?;
        ack.await.map_err(|e| format!("not acknowledged: {e}"))?;
        Ok(())
    }
}
