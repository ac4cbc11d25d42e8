//! Mail over SMTP (`lettre`): a text and an HTML part from the templates,
//! an `.ics` invite where the news has one, the outbox row's id as the
//! Message-ID (the delivery key: a resend is the same message, and mail
//! systems and clients drop a second copy of a Message-ID).

use super::calendar::invite;
use super::letters::letter;
use chrono::{DateTime, Utc};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use uuid::Uuid;

/// Sends mail through `SMTP_URL`.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Why a mail was not sent; a permanent one is not tried again.
#[derive(Debug)]
pub struct MailFailure {
    pub permanent: bool,
    pub message: String,
}

impl Mailer {
    pub fn new(smtp_url: &str, from: &str) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| anyhow::anyhow!("SMTP_URL is not valid: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        let from = from
            .parse()
            .map_err(|e| anyhow::anyhow!("MAIL_FROM is not a valid address: {e}"))?;
        Ok(Mailer { transport, from })
    }

    pub async fn send(&self, message: Message) -> Result<(), MailFailure> {
        self.transport
            .send(message)
            .await
            .map(drop)
            .map_err(|e| MailFailure {
                permanent: e.is_permanent(),
                message: e.to_string(),
            })
    }
}

/// The mail an outbox row sends to `to`; `Err` when it cannot be made (a bad
/// address, a topic that mails nobody): such a delivery is dead at once.
pub fn compose(
    from: &Mailbox,
    to: &str,
    id: Uuid,
    topic: &str,
    payload: &serde_json::Value,
    mail: &serde_json::Value,
    occurred_at: DateTime<Utc>,
) -> Result<Message, String> {
    let letter = letter(topic, payload, mail).ok_or_else(|| format!("no mail for {topic}"))?;
    let to: Mailbox = to.parse().map_err(|e| format!("recipient address: {e}"))?;
    let body = MultiPart::alternative_plain_html(letter.text(), letter.html());
    let body = match invite(topic, payload, occurred_at, from.email.as_ref()) {
        Some(ics) => {
            let method = if topic.ends_with(".cancelled") {
                "CANCEL"
            } else {
                "REQUEST"
            };
            let kind =
                ContentType::parse(&format!("text/calendar; method={method}; charset=utf-8"))
                    .map_err(|e| e.to_string())?;
            MultiPart::mixed()
                .multipart(body)
                .singlepart(Attachment::new("invite.ics".to_owned()).body(ics, kind))
        }
        None => body,
    };
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(letter.subject)
        .message_id(Some(message_id(id)))
        .date(occurred_at.into())
        .multipart(body)
        .map_err(|e| e.to_string())
}

/// The Message-ID of the mail about outbox row `id`.
pub fn message_id(id: Uuid) -> String {
    format!("<{id}@slotwise.dev>")
}

impl Mailer {
    pub fn mailbox(&self) -> &Mailbox {
        &self.from
    }
}
