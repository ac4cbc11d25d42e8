//! The invariants `scripts/reconcile` checks, from the one file that states
//! them (scripts/money/invariants.sql), for the tests that check them too.

const SQL: &str = include_str!("../../../../scripts/money/invariants.sql");

/// The file's sections: (heading, query), in order.
fn sections() -> Vec<(&'static str, String)> {
    let mut found: Vec<(&'static str, String)> = Vec::new();
    for line in SQL.lines() {
        if let Some(name) = line.strip_prefix("-- check: ") {
            found.push((name, String::new()));
        } else if line.starts_with("-- books:") {
            found.push(("books", String::new()));
        } else if let Some((_, query)) = found.last_mut()
            && !line.starts_with("--")
        {
            query.push_str(line);
            query.push('\n');
        }
    }
    (found.into_iter())
        .map(|(name, q)| (name, q.trim().trim_end_matches(';').to_owned()))
        .collect()
}

/// Each check: what it says, and the query answering the ids breaking it.
pub fn checks() -> Vec<(&'static str, String)> {
    (sections().into_iter())
        .filter(|(name, _)| *name != "books")
        .collect()
}

/// Per payable with an intent: kind, id, intent, status, payment, paid,
/// refunded (made at Stripe), owed (a refund not made yet).
pub fn books() -> String {
    (sections().into_iter())
        .find(|(name, _)| *name == "books")
        .map(|(_, q)| q)
        .expect("a books query in scripts/money/invariants.sql")
}

#[test]
fn the_invariants_file_has_its_checks_and_its_books() {
    assert!(checks().len() >= 6, "{:?}", checks());
    assert!(books().starts_with("SELECT 'booking'"));
}
