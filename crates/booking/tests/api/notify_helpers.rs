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
        self.state
            .notify_until_idle()
            .await
            .expect("notifications delivered")
    }
}
