//! What each kind of news says in a mail ([`Letter`]), from the outbox row's
//! public `payload` and its private `mail` part (the recipient's name, an
//! order's ticket codes).

use super::template::Letter;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// The letter for `topic`, or `None` for a topic that mails nobody.
pub fn letter(topic: &str, payload: &Value, mail: &Value) -> Option<Letter> {
    let name = text(mail, "/name");
    let greeting = if name.is_empty() {
        "Hello,".to_owned()
    } else {
        format!("Hello {name},")
    };
    let mut letter = match topic.split_once('.')? {
        ("booking", what) => booking(what, payload)?,
        ("order", what) => order(what, payload, mail)?,
        ("ticket", "gifted") => gifted(payload, mail),
        ("listing", "sold") => sold(payload),
        ("event", "cancelled") => event_cancelled(payload),
        ("account", what) => account(what, mail)?,
        ("waitlist", "offered") => offered(payload, mail),
        _ => return None,
    };
    letter.greeting = greeting;
    Some(letter)
}

fn booking(what: &str, p: &Value) -> Option<Letter> {
    let pro = text(p, "/professional/name");
    let when = when(p, "/booking/start_time");
    let (subject, headline, closing) = match what {
        "confirmed" => (
            format!("Booking confirmed: {pro}, {when}"),
            "Your booking is confirmed. The calendar invite is attached.",
            "See you there.",
        ),
        "cancelled" => (
            format!("Booking cancelled: {pro}, {when}"),
            "Your booking was cancelled. Any refund follows in its own mail.",
            "The calendar invite attached removes it from your calendar.",
        ),
        "expired" => (
            format!("Booking not completed: {pro}, {when}"),
            "The slot was held for you, but it was not paid in time and is free again.",
            "Book again whenever you like.",
        ),
        "payment_failed" => (
            format!("Payment failed: {pro}, {when}"),
            "The payment for your booking did not go through, so the slot was released.",
            "Book again with another card whenever you like.",
        ),
        "refunded" => (
            format!(
                "Refund of {}: {pro}, {when}",
                amount(p, "/amount_cents", "/booking/currency")
            ),
            "Your refund was made. Your bank shows it within a few days.",
            "Thank you for using Slotwise.",
        ),
        _ => return None,
    };
    let mut details = vec![
        ("Booking".to_owned(), text(p, "/booking/id")),
        (
            "With".to_owned(),
            format!("{pro} ({})", text(p, "/professional/category")),
        ),
        ("Starts".to_owned(), when.clone()),
        ("Ends".to_owned(), self::when(p, "/booking/end_time")),
        (
            "Price".to_owned(),
            amount(p, "/booking/price_cents", "/booking/currency"),
        ),
    ];
    if what == "refunded" {
        details.push((
            "Refunded".to_owned(),
            amount(p, "/amount_cents", "/booking/currency"),
        ));
    }
    Some(Letter {
        subject,
        headline: headline.to_owned(),
        details,
        closing: closing.to_owned(),
        ..Letter::default()
    })
}

fn order(what: &str, p: &Value, mail: &Value) -> Option<Letter> {
    let title = text(p, "/event/title");
    let (subject, headline, closing) = match what {
        "confirmed" => (
            format!("Your tickets for {title}"),
            "Your order is confirmed. Show a ticket's code at the door.",
            "Keep the codes to yourself: each lets one person in.",
        ),
        "cancelled" => (
            format!("Order cancelled: {title}"),
            "Your order was cancelled and its tickets are no longer valid. Any refund follows in its own mail.",
            "We are sorry it did not work out.",
        ),
        "expired" => (
            format!("Order not completed: {title}"),
            "Your tickets were held for you, but not paid in time; they are on sale again.",
            "Order again whenever you like.",
        ),
        "payment_failed" => (
            format!("Payment failed: {title}"),
            "The payment for your order did not go through, so its tickets were released.",
            "Order again with another card whenever you like.",
        ),
        "refunded" => (
            format!(
                "Refund of {}: {title}",
                amount(p, "/amount_cents", "/order/currency")
            ),
            "Your refund was made. Your bank shows it within a few days.",
            "Thank you for using Slotwise.",
        ),
        _ => return None,
    };
    let mut details = vec![
        ("Order".to_owned(), text(p, "/order/id")),
        ("Event".to_owned(), title.clone()),
        ("Venue".to_owned(), text(p, "/event/venue_name")),
        ("Starts".to_owned(), when(p, "/event/starts_at")),
        (
            "Total".to_owned(),
            amount(p, "/order/total_cents", "/order/currency"),
        ),
    ];
    if what == "refunded" {
        details.push((
            "Refunded".to_owned(),
            amount(p, "/amount_cents", "/order/currency"),
        ));
    }
    let items = if what == "confirmed" {
        ticket_lines(p, mail)
    } else {
        Vec::new()
    };
    Some(Letter {
        subject,
        headline: headline.to_owned(),
        details,
        items,
        closing: closing.to_owned(),
        ..Letter::default()
    })
}

/// One line per ticket: what it is, then its code.
fn ticket_lines(p: &Value, mail: &Value) -> Vec<String> {
    let codes = mail.pointer("/codes").and_then(Value::as_array);
    let code_of = |id: &str| {
        (codes.into_iter().flatten())
            .find(|c| c.pointer("/id").and_then(Value::as_str) == Some(id))
            .map(|c| text(c, "/code"))
            .unwrap_or_default()
    };
    (p.pointer("/tickets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten())
    .filter(|t| text(t, "/status") == "valid")
    .map(|t| {
        let what = match (text(t, "/seat"), text(t, "/tier")) {
            (seat, _) if !seat.is_empty() => format!("Seat {seat}"),
            (_, tier) => tier,
        };
        format!("{what}: {}", code_of(&text(t, "/id")))
    })
    .collect()
}

fn gifted(p: &Value, mail: &Value) -> Letter {
    let title = text(p, "/event/title");
    let from = text(mail, "/from");
    Letter {
        subject: format!("{from} sent you a ticket for {title}"),
        headline: format!(
            "{from} gave you a ticket. Sign in (or sign up) with this address to see it and its code."
        ),
        details: vec![
            ("Event".to_owned(), title),
            ("Venue".to_owned(), text(p, "/event/venue_name")),
            ("Starts".to_owned(), when(p, "/event/starts_at")),
            ("Ticket".to_owned(), text(p, "/ticket/id")),
        ],
        closing: "Enjoy the show.".to_owned(),
        ..Letter::default()
    }
}

fn offered(p: &Value, mail: &Value) -> Letter {
    let title = text(p, "/event/title");
    let quantity = p.pointer("/quantity").and_then(Value::as_i64).unwrap_or(1);
    Letter {
        subject: format!("Tickets for {title} are yours to buy"),
        headline: format!(
            "You were first on the waiting list: {quantity} × {} are held for you. Open the link below and check out before the hold ends; after that they go to the next person in line.",
            text(p, "/tier/name")
        ),
        details: vec![
            ("Event".to_owned(), title),
            ("Venue".to_owned(), text(p, "/event/venue_name")),
            ("Starts".to_owned(), when(p, "/event/starts_at")),
            ("Held until".to_owned(), when(p, "/offered_until")),
            ("Link".to_owned(), text(mail, "/link")),
        ],
        closing: "If you no longer want them, do nothing: they pass on by themselves.".to_owned(),
        ..Letter::default()
    }
}

/// Mails about the account itself, each with its one link.
fn account(what: &str, mail: &Value) -> Option<Letter> {
    let link = text(mail, "/link");
    let (subject, headline, closing) = match what {
        "verify_email" => (
            "Confirm your email address",
            "Please confirm that this address is yours: open the link below. Tickets sent to this address become yours once it is confirmed.",
            "The link works once, for 7 days. If you did not sign up, ignore this mail.",
        ),
        "signup_taken" => (
            "You already have an account",
            "Someone (you, we hope) tried to create an account with this address, which has one already. Sign in instead, or reset your password from the sign-in page.",
            "If it was not you, ignore this mail: nothing has changed.",
        ),
        "password_reset" => (
            "Reset your password",
            "Open the link below to choose a new password. Every device signed in to your account will be signed out.",
            "The link works once, for 30 minutes. If you did not ask for it, ignore this mail.",
        ),
        _ => return None,
    };
    Some(Letter {
        subject: subject.to_owned(),
        headline: headline.to_owned(),
        details: vec![("Link".to_owned(), link)],
        closing: closing.to_owned(),
        ..Letter::default()
    })
}

fn sold(p: &Value) -> Letter {
    let title = text(p, "/event/title");
    Letter {
        subject: format!("Your ticket for {title} was sold"),
        headline: "Your resale listing sold. Your payout is on its way.".to_owned(),
        details: vec![
            ("Event".to_owned(), title),
            (
                "Sold for".to_owned(),
                amount(p, "/listing/price_cents", "/listing/currency"),
            ),
            (
                "Fee".to_owned(),
                amount(p, "/payout/fee_cents", "/payout/currency"),
            ),
            (
                "Your payout".to_owned(),
                amount(p, "/payout/amount_cents", "/payout/currency"),
            ),
        ],
        closing: "Thank you for passing it on.".to_owned(),
        ..Letter::default()
    }
}

fn event_cancelled(p: &Value) -> Letter {
    let title = text(p, "/event/title");
    Letter {
        subject: format!("Event cancelled: {title}"),
        headline:
            "Your event is cancelled. Every paid order is being refunded, and each buyer is told."
                .to_owned(),
        details: vec![
            ("Event".to_owned(), title),
            ("Was to start".to_owned(), when(p, "/event/starts_at")),
        ],
        closing: "Refunds and their progress are in the event's orders.".to_owned(),
        ..Letter::default()
    }
}

fn text(v: &Value, pointer: &str) -> String {
    match v.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// `GHS 12.50` from integer cents and a currency.
pub fn amount(v: &Value, cents: &str, currency: &str) -> String {
    let cents = v.pointer(cents).and_then(Value::as_i64).unwrap_or(0);
    let currency = text(v, currency).to_uppercase();
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{currency} {sign}{}.{:02}", abs / 100, abs % 100)
}

/// A stored time as people read it (UTC, said so).
fn when(v: &Value, pointer: &str) -> String {
    parse_time(v, pointer)
        .map(|t| t.format("%a %-d %b %Y, %H:%M UTC").to_string())
        .unwrap_or_default()
}

pub fn parse_time(v: &Value, pointer: &str) -> Option<DateTime<Utc>> {
    let raw = v.pointer(pointer)?.as_str()?;
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_order_confirmation_lists_each_valid_ticket_with_its_code() {
        let payload = json!({
            "order": {"id": "o1", "total_cents": 5000, "currency": "ghs"},
            "event": {"title": "Highlife", "venue_name": "Hall", "starts_at": "2027-01-02T20:00:00+00:00"},
            "tickets": [
                {"id": "t1", "status": "valid", "tier": "VIP", "seat": null},
                {"id": "t2", "status": "valid", "tier": null, "seat": "A2"},
                {"id": "t3", "status": "refunded", "tier": "VIP", "seat": null}
            ]
        });
        let mail = json!({"name": "Efua", "codes": [
            {"id": "t1", "code": "C1"}, {"id": "t2", "code": "C2"}, {"id": "t3", "code": "C3"}
        ]});
        let letter = letter("order.confirmed", &payload, &mail).expect("a letter");
        assert_eq!(letter.items, vec!["VIP: C1", "Seat A2: C2"]);
        assert_eq!(letter.greeting, "Hello Efua,");
        assert!(
            letter
                .details
                .contains(&("Total".to_owned(), "GHS 50.00".to_owned()))
        );
        assert!(
            letter
                .details
                .contains(&("Starts".to_owned(), "Sat 2 Jan 2027, 20:00 UTC".to_owned()))
        );
    }

    #[test]
    fn a_refund_mail_says_the_amount() {
        let payload = json!({
            "booking": {"id": "b1", "price_cents": 9000, "currency": "usd",
                        "start_time": "2027-01-02T09:00:00+00:00", "end_time": "2027-01-02T10:00:00+00:00"},
            "professional": {"name": "Ama", "category": "Plumber"},
            "amount_cents": 4500
        });
        let letter = letter("booking.refunded", &payload, &json!({})).expect("a letter");
        assert!(letter.subject.starts_with("Refund of USD 45.00"));
        assert!(
            letter
                .details
                .contains(&("Refunded".to_owned(), "USD 45.00".to_owned()))
        );
        assert_eq!(letter.greeting, "Hello,");
        assert!(super::letter("something.else", &payload, &json!({})).is_none());
    }
}
