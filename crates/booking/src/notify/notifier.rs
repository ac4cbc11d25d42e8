//! The handles the notification jobs send through, made once per instance.

use super::NotifyConfig;
use super::bus::Bus;
use super::email::Mailer;

pub struct Notifier {
    /// `None` when `SMTP_URL` is unset: nobody is mailed.
    pub mailer: Option<Mailer>,
    /// `None` when `NATS_URL` is unset: nothing is published.
    pub bus: Option<Bus>,
    pub http: reqwest::Client,
}

impl Notifier {
    pub fn new(config: &NotifyConfig) -> anyhow::Result<Self> {
        let mailer = match &config.smtp_url {
            Some(url) => Some(Mailer::new(url, &config.mail_from)?),
            None => {
                tracing::info!("SMTP_URL is not set: notifications are not mailed");
                None
            }
        };
        let bus = (config.nats_url.as_deref()).map(|url| Bus::new(url, &config.subject_prefix));
        let http = super::webhooks::client(config.webhook_timeout, config.allow_private_urls)?;
        Ok(Notifier { mailer, bus, http })
    }
}
