//! A model-based test of the ticket lifecycle against the real service,
//! database and Stripe emulator: a seeded random sequence of buys (paid at
//! once, or later, or never), gifts to accounts and to addresses without one,
//! verifications, take-backs, listings, reprices (within and over the cap),
//! resale purchases (paid or left to expire), revokes and refunds, promo
//! codes, waiting lists (joined; offers bought, given up or left to lapse),
//! across four accounts. After every step the custody invariants are read from the
//! database and the API; at the end, once Stripe's news has arrived, every
//! PaymentIntent's money is checked against the books.
//!
//! `LIFECYCLE_SEED` replays a sequence (`random` for a new one), and
//! `LIFECYCLE_STEPS` sets its length; the seed is printed on failure. Without
//! them it is a short run of a fixed seed, so `scripts/test` is repeatable;
//! `scripts/lifecycle` runs long ones of new seeds.

use crate::event_helpers::{publish, tier_id};
use crate::helpers::{TestApp, spawn_app_with, status_and_json};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Account {
    token: Option<String>,
    email: String,
}

struct World {
    app: TestApp,
    organizer: String,
    event: Value,
    /// Named seats A1..A4.
    seated: Value,
    accounts: Vec<Account>,
    seed: u64,
    step: usize,
    /// Answers by move: (move, status) → count.
    tally: std::cell::RefCell<std::collections::BTreeMap<(&'static str, u16), usize>>,
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

impl World {
    fn ctx(&self) -> String {
        format!("LIFECYCLE_SEED={} step {}", self.seed, self.step)
    }

    /// Any answer but a 5xx is the service's to give; a 5xx fails the run.
    fn judge(&self, what: &'static str, status: StatusCode, body: &Value) {
        assert!(
            !status.is_server_error(),
            "{}: {what} answered {status}: {body}",
            self.ctx()
        );
        *(self.tally.borrow_mut())
            .entry((what, status.as_u16()))
            .or_default() += 1;
    }

    async fn send(&self, req: reqwest::RequestBuilder, what: &'static str) -> (StatusCode, Value) {
        let (status, body) = status_and_json(req.send().await.expect("send")).await;
        self.judge(what, status, &body);
        (status, body)
    }

    fn key() -> String {
        uuid::Uuid::new_v4().to_string()
    }

    /// Ids of tickets in `status` (and, when given, held by `holder`'s account).
    async fn tickets(&self, status: &str) -> Vec<(String, Option<String>)> {
        let rows = self
            .app
            .sql_text(&format!(
                "SELECT COALESCE(string_agg(t.id::text || ':' || COALESCE(u.email, ''), ',' ORDER BY t.id), '') \
                 FROM tickets t LEFT JOIN users u ON u.id = t.holder_id WHERE t.status = '{status}'"
            ))
            .await;
        (rows.split(',').filter(|r| !r.is_empty()))
            .map(|r| {
                let (id, email) = r.split_once(':').expect("id:email");
                (id.to_owned(), (!email.is_empty()).then(|| email.to_owned()))
            })
            .collect()
    }

    fn token_of(&self, email: &str) -> Option<&str> {
        (self.accounts.iter())
            .find(|a| a.email == email)
            .and_then(|a| a.token.as_deref())
    }

    async fn ids(&self, query: &str) -> Vec<String> {
        let rows = self
            .app
            .sql_text(&format!(
                "SELECT COALESCE(string_agg(x::text, ',' ORDER BY x), '') FROM ({query}) q(x)"
            ))
            .await;
        rows.split(',')
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect()
    }

    async fn step(&mut self, rng: &mut StdRng) {
        let app = &self.app;
        let who = rng.random_range(0..self.accounts.len());
        // The first steps buy, so the moves after them have tickets to move.
        let action = if self.step < 6 {
            0
        } else {
            rng.random_range(0..16)
        };
        match action {
            0 | 1 => {
                let Some(token) = self.accounts[who].token.clone() else {
                    return;
                };
                let tier = rng.random_range(0..2);
                let paid_now = rng.random_bool(0.7);
                let seats = rng.random_bool(0.3);
                let mut body = if seats {
                    let seat = format!("A{}", rng.random_range(1..=4));
                    json!({ "seats": [seat] })
                } else {
                    json!({ "items": [{ "tier_id": tier_id(&self.event, tier), "quantity": rng.random_range(1..=2) }] })
                };
                if paid_now {
                    body["payment_method"] = json!("pm_card_visa");
                }
                if rng.random_bool(0.3) {
                    body["voucher"] = json!("life");
                }
                let event = if seats { &self.seated } else { &self.event };
                let (status, order) = self.app.order(&token, &Self::key(), event, body).await;
                self.judge("order", status, &order);
            }
            2 => {
                // A gift, to another account's address or to one with no account yet.
                let valid = self.tickets("valid").await;
                let Some((ticket, Some(holder))) = pick(rng, &valid) else {
                    return;
                };
                let to = self.accounts[rng.random_range(0..self.accounts.len())]
                    .email
                    .clone();
                let Some(token) = self.token_of(&holder) else {
                    return;
                };
                let req = app
                    .http
                    .post(app.url(&format!("/tickets/{ticket}/transfer")))
                    .bearer_auth(token)
                    .header("Idempotency-Key", Self::key())
                    .json(&json!({ "to_email": to }));
                self.send(req, "gift").await;
            }
            3 => {
                // The address without an account signs up; later it verifies.
                let account = &self.accounts[who];
                if account.token.is_none() {
                    let email = account.email.clone();
                    let token = self.app.unverified_signup(&email).await;
                    self.accounts[who].token = Some(token);
                    self.judge("sign up", StatusCode::ACCEPTED, &Value::Null);
                } else if rng.random_bool(0.5) {
                    let email = self.accounts[who].email.clone();
                    let verified = app.sql_i64(&format!("SELECT count(*) FROM users WHERE email = '{email}' AND email_verified_at IS NOT NULL")).await;
                    if verified == 0 {
                        self.app.verify_email(&email).await;
                        self.judge("verify", StatusCode::OK, &Value::Null);
                    }
                }
            }
            4 => {
                let pending = self.tickets("transfer_pending").await;
                let Some((ticket, Some(giver))) = pick(rng, &pending) else {
                    return;
                };
                let Some(token) = self.token_of(&giver) else {
                    return;
                };
                let req = app
                    .http
                    .delete(app.url(&format!("/tickets/{ticket}/transfer")))
                    .bearer_auth(token);
                self.send(req, "take back").await;
            }
            5 => {
                let valid = self.tickets("valid").await;
                let Some((ticket, Some(holder))) = pick(rng, &valid) else {
                    return;
                };
                let Some(token) = self.token_of(&holder) else {
                    return;
                };
                let price = rng.random_range(1..=1600);
                let req = app
                    .http
                    .post(app.url(&format!("/tickets/{ticket}/listing")))
                    .bearer_auth(token)
                    .json(&json!({ "price_cents": price }));
                self.send(req, "list").await;
            }
            6 => {
                let listings = self
                    .ids("SELECT id FROM listings WHERE status = 'active'")
                    .await;
                let Some(listing) = pick(rng, &listings) else {
                    return;
                };
                let (seller, version) = (
                    app.sql_text(&format!("SELECT u.email FROM listings l JOIN users u ON u.id = l.seller_id WHERE l.id = '{listing}'")).await,
                    app.sql_i64(&format!("SELECT version FROM listings WHERE id = '{listing}'")).await,
                );
                let Some(token) = self.token_of(&seller) else {
                    return;
                };
                // Within the cap, or far over it.
                let price = if rng.random_bool(0.8) {
                    rng.random_range(1..=1500)
                } else {
                    99_000_000
                };
                let req = app
                    .http
                    .patch(app.url(&format!("/listings/{listing}")))
                    .bearer_auth(token)
                    .header("If-Match", version.to_string())
                    .json(&json!({ "price_cents": price }));
                let (status, body) = self.send(req, "reprice").await;
                if price == 99_000_000 {
                    assert_ne!(
                        status,
                        StatusCode::OK,
                        "{}: a reprice past the cap was taken: {body}",
                        self.ctx()
                    );
                }
            }
            7 => {
                let listings = self
                    .ids("SELECT id FROM listings WHERE status = 'active'")
                    .await;
                let Some(listing) = pick(rng, &listings) else {
                    return;
                };
                let Some(token) = self.accounts[who].token.clone() else {
                    return;
                };
                let body = if rng.random_bool(0.6) {
                    json!({ "payment_method": "pm_card_visa" })
                } else {
                    json!({})
                };
                let req = app
                    .http
                    .post(app.url(&format!("/listings/{listing}/orders")))
                    .bearer_auth(token)
                    .header("Idempotency-Key", Self::key())
                    .json(&body);
                self.send(req, "buy listing").await;
            }
            // Revokes are rarer than the holders' own moves.
            8 if rng.random_bool(0.4) => {
                let mut live = self.tickets("valid").await;
                live.extend(self.tickets("transfer_pending").await);
                let Some((ticket, _)) = pick(rng, &live) else {
                    return;
                };
                let req = app
                    .http
                    .post(app.url(&format!("/tickets/{ticket}/revoke")))
                    .bearer_auth(&self.organizer)
                    .header("Idempotency-Key", Self::key())
                    .json(&json!({}));
                self.send(req, "revoke").await;
            }
            9 => {
                // The buyer refunds some tickets of one of their orders: mostly
                // of one that still has paid tickets they hold.
                let orders = if rng.random_bool(0.8) {
                    self.ids("SELECT DISTINCT o.id FROM orders o JOIN tickets t ON t.event_id = o.event_id AND t.order_id = o.id \
                              WHERE o.kind = 'tickets' AND o.status = 'confirmed' AND t.status = 'valid' \
                                AND t.holder_id = o.buyer_id AND t.price_cents > 0")
                        .await
                } else {
                    self.ids(
                        "SELECT id FROM orders WHERE kind = 'tickets' AND status = 'confirmed'",
                    )
                    .await
                };
                let Some(order) = pick(rng, &orders) else {
                    return;
                };
                let buyer = app.sql_text(&format!("SELECT u.email FROM orders o JOIN users u ON u.id = o.buyer_id WHERE o.id = '{order}'")).await;
                let Some(token) = self.token_of(&buyer) else {
                    return;
                };
                let tickets = self
                    .ids(&format!(
                        "SELECT id FROM tickets WHERE order_id = '{order}'"
                    ))
                    .await;
                let some: Vec<&String> = tickets.iter().filter(|_| rng.random_bool(0.6)).collect();
                let req = app
                    .http
                    .post(app.url(&format!("/orders/{order}/refunds")))
                    .bearer_auth(token)
                    .header("Idempotency-Key", Self::key())
                    .json(&json!({ "ticket_ids": some }));
                self.send(req, "refund").await;
            }
            11 if rng.random_bool(0.3) => {
                // Refunded whole in Stripe's dashboard (Stripe then says
                // `charge.refunded`): an order nothing was refunded of yet.
                let paid = self.ids("SELECT o.payment_intent_id FROM orders o WHERE o.status = 'confirmed' AND o.payment_status = 'succeeded' \
                                     AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.scope_id = o.event_id AND r.payable_id = o.id)").await;
                let Some(intent) = pick(rng, &paid) else {
                    return;
                };
                let total = app
                    .sql_i64(&format!(
                        "SELECT total_cents FROM orders WHERE payment_intent_id = '{intent}'"
                    ))
                    .await;
                super::custody::refund_in_dashboard(app, &intent, None).await;
                let (status, body) = super::custody::refunded_in_stripe(app, &intent, total).await;
                self.judge("refund in dashboard", status, &body);
            }
            // The seated event is cancelled once, late in the run.
            12 if self.step > 20 && rng.random_bool(0.1) => {
                let id = self.seated["id"].as_str().expect("id").to_owned();
                let req = app
                    .http
                    .post(app.url(&format!("/events/{id}/cancel")))
                    .bearer_auth(&self.organizer);
                self.send(req, "cancel event").await;
            }
            13 => {
                // Joining a tier's waiting list (refused while it is not sold out).
                let Some(token) = self.accounts[who].token.clone() else {
                    return;
                };
                let id = self.event["id"].as_str().expect("id");
                let tier = tier_id(&self.event, rng.random_range(0..2));
                let req = app
                    .http
                    .post(app.url(&format!("/events/{id}/waitlist")))
                    .bearer_auth(token)
                    .json(&json!({ "tier_id": tier, "quantity": rng.random_range(1..=2) }));
                self.send(req, "join waiting list").await;
            }
            14 | 15 => self.answer_offer(rng).await,
            _ => {
                // A pending order is paid, or its hold runs out first (then it may be paid late).
                let pending = self.ids("SELECT payment_intent_id FROM orders WHERE status IN ('pending', 'expired') AND payment_intent_id IS NOT NULL AND payment_status <> 'succeeded'").await;
                let Some(intent) = pick(rng, &pending) else {
                    return;
                };
                if rng.random_bool(0.4) {
                    app.sql(&format!("UPDATE orders SET expires_at = now() - interval '1 second' WHERE payment_intent_id = '{intent}' AND status = 'pending'")).await;
                    slotwise_booking::jobs::holds::expire_holds_once(&app.state)
                        .await
                        .expect("expire");
                    self.judge("let expire", StatusCode::OK, &Value::Null);
                } else {
                    app.pay(&intent, "pm_card_visa").await;
                    self.judge("pay", StatusCode::OK, &Value::Null);
                }
            }
        }
    }

    /// A waiting-list offer is bought (its tier and quantity, paid now or
    /// later, sometimes with the promo code), given up, or ignored until it
    /// lapses and passes to the next person in line.
    async fn answer_offer(&self, rng: &mut StdRng) {
        let app = &self.app;
        let offers = self
            .ids("SELECT id FROM waitlist_entries WHERE status = 'offered'")
            .await;
        let Some(entry) = pick(rng, &offers) else {
            return;
        };
        let row = app
            .sql_text(&format!(
                "SELECT u.email || ' ' || w.tier_id || ' ' || w.quantity FROM waitlist_entries w \
                 JOIN users u ON u.id = w.user_id WHERE w.id = '{entry}'"
            ))
            .await;
        let [email, tier, quantity] = row.split(' ').collect::<Vec<_>>()[..] else {
            panic!("{}: entry {entry}: {row}", self.ctx());
        };
        let Some(token) = self.token_of(email) else {
            return;
        };
        let quantity: i64 = quantity.parse().expect("quantity");
        let id = self.event["id"].as_str().expect("id");
        match rng.random_range(0..3) {
            0 => {
                let mut body = json!({ "items": [{ "tier_id": tier, "quantity": quantity }] });
                if rng.random_bool(0.6) {
                    body["payment_method"] = json!("pm_card_visa");
                }
                if rng.random_bool(0.3) {
                    body["voucher"] = json!("life");
                }
                let (status, order) = app.order(token, &Self::key(), &self.event, body).await;
                self.judge("accept offer", status, &order);
                // Only a refused promo code leaves the offer as it was.
                let now = app
                    .sql_text(&format!(
                        "SELECT status FROM waitlist_entries WHERE id = '{entry}'"
                    ))
                    .await;
                let expected = if status.is_success() {
                    "bought"
                } else {
                    "offered"
                };
                assert_eq!(
                    now,
                    expected,
                    "{}: offer {entry} answered {status}: {order}",
                    self.ctx()
                );
            }
            1 => {
                let req = app
                    .http
                    .delete(app.url(&format!("/events/{id}/waitlist/me/{tier}")))
                    .bearer_auth(token);
                self.send(req, "give up offer").await;
            }
            _ => {
                app.sql(&format!("UPDATE waitlist_entries SET offered_until = now() - interval '1 second' WHERE id = '{entry}'")).await;
                slotwise_booking::waitlist::lapse_due_once(&app.state)
                    .await
                    .expect("lapse");
                self.judge("ignore offer", StatusCode::OK, &Value::Null);
            }
        }
    }

    /// The custody invariants, from the database and as each account sees its orders.
    async fn check_custody(&self) {
        let app = &self.app;
        let ctx = self.ctx();
        // What scripts/reconcile checks, from the same file.
        for (what, query) in super::invariants::checks() {
            let broken = self.ids(&query).await;
            assert!(broken.is_empty(), "{ctx}: {what}: {broken:?}");
        }
        // A code is shown to its ticket's holder only, and only while valid.
        for account in &self.accounts {
            let Some(token) = &account.token else {
                continue;
            };
            let me = app
                .sql_text(&format!(
                    "SELECT id::text FROM users WHERE email = '{}'",
                    account.email
                ))
                .await;
            // The orders where a code could leak: those holding a ticket that
            // is no longer its buyer's valid one (at most the 5 newest), and
            // the account's newest orders and tickets.
            let leaky = self
                .ids(&format!(
                    "SELECT id FROM (SELECT DISTINCT o.id FROM orders o JOIN tickets t \
                       ON t.event_id = o.event_id AND t.order_id = o.id \
                     WHERE o.buyer_id = '{me}' AND (t.holder_id IS DISTINCT FROM o.buyer_id OR t.status <> 'valid') \
                     ORDER BY o.id DESC LIMIT 5) x"
                ))
                .await;
            let mut orders = Vec::new();
            for id in leaky {
                orders.push(app.get_json(token, &format!("/orders/{id}")).await.1);
            }
            let (_, page) = app.get_json(token, "/orders?limit=3").await;
            orders.extend(page["items"].as_array().expect("orders").iter().cloned());
            let (_, mine) = app.get_json(token, "/tickets?limit=20").await;
            let held = mine["items"].as_array().expect("tickets").clone();
            let shown = (orders.iter())
                .flat_map(|o| o["tickets"].as_array().cloned().unwrap_or_default())
                .chain(held);
            {
                for t in shown {
                    if let Some(code) = t["code"].as_str() {
                        // In the same answer: shown only with the viewer as holder.
                        let id = t["id"].as_str().expect("id");
                        assert_eq!(
                            (t["holder_id"].as_str(), t["status"].as_str()),
                            (Some(me.as_str()), Some("valid")),
                            "{ctx}: ticket {id}'s code shown in {}'s order",
                            account.email
                        );
                        // And it is the code the ticket has, unless a webhook moved it meanwhile.
                        let now = app
                            .sql_text(&format!("SELECT COALESCE(holder_id::text, '') || ':' || code FROM tickets WHERE id = '{id}'"))
                            .await;
                        if now.starts_with(&me) {
                            assert_eq!(now, format!("{me}:{code}"), "{ctx}: ticket {id}");
                        }
                    }
                }
            }
        }
    }

    /// Once Stripe's news has arrived and owed refunds are made: for every
    /// PaymentIntent, captured minus refunded at Stripe is what the books keep.
    async fn check_money(&self) {
        let app = &self.app;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            slotwise_booking::payments::refunds::complete_refunds_once(&app.state)
                .await
                .expect("refunds");
            let mismatches = self.money_mismatches().await;
            if mismatches.is_empty() {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{}: money differs: {mismatches:?}",
                self.ctx()
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    async fn money_mismatches(&self) -> Vec<String> {
        let app = &self.app;
        let books = super::invariants::books();
        let rows = app
            .sql_text(&format!(
                "SELECT COALESCE(string_agg(b.intent || ':' || (b.paid - b.refunded)::text, ','), '') \
                 FROM ({books}) b WHERE b.kind = 'order'"
            ))
            .await;
        let mut out = Vec::new();
        for row in rows.split(',').filter(|r| !r.is_empty()) {
            let (intent, books) = row.split_once(':').expect("intent:kept");
            let pi = app.stripe_get(&format!("payment_intents/{intent}")).await;
            let charges = pi["charges"]["data"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let kept: i64 = (charges.iter())
                .filter(|c| c["paid"] == true && c["captured"] != false)
                .map(|c| {
                    c["amount"].as_i64().unwrap_or(0) - c["amount_refunded"].as_i64().unwrap_or(0)
                })
                .sum();
            if kept.to_string() != books {
                out.push(format!("{intent}: Stripe kept {kept}, books {books}"));
            }
        }
        out
    }
}

fn pick<T: Clone>(rng: &mut StdRng, items: &[T]) -> Option<T> {
    (!items.is_empty()).then(|| items[rng.random_range(0..items.len())].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_sequences_of_moves_keep_every_ticket_valid_once_and_the_money_exact() {
    let seed = match std::env::var("LIFECYCLE_SEED").as_deref() {
        Ok("random") => rand::random(),
        _ => env_u64("LIFECYCLE_SEED").unwrap_or(20_261_207),
    };
    let steps = env_u64("LIFECYCLE_STEPS").unwrap_or(60) as usize;
    println!("LIFECYCLE_SEED={seed} LIFECYCLE_STEPS={steps}");
    let mut rng = StdRng::seed_from_u64(seed);
    let app = spawn_app_with(|c| c.idempotency_lease = chrono::Duration::zero()).await;
    // scripts/lifecycle runs scripts/reconcile on this database afterwards.
    println!("LIFECYCLE_DATABASE={}", app.state.config.database_url);
    let organizer = app.user("client").await;
    let event = publish(
        &app,
        &organizer,
        json!({ "resale": { "allowed": true, "max_percent_of_face": 150 },
                "tiers": [{ "name": "Paid", "price_cents": 1000, "capacity": 4 },
                          { "name": "Free", "price_cents": 0, "capacity": 3 }] }),
    )
    .await;
    let seats: Vec<Value> = (1..=4)
        .map(|n| json!({ "label": format!("A{n}"), "row": "A", "price_cents": 800 }))
        .collect();
    let seated = publish(
        &app,
        &organizer,
        json!({ "resale": { "allowed": true, "max_percent_of_face": 150 }, "seats": seats }),
    )
    .await;
    // A promo code on both events, for fewer orders than will be made:
    // "apply voucher" is a move (issue 28), and its uses are an invariant.
    for e in [&event, &seated] {
        let id = e["id"].as_str().expect("id");
        let res = (app.http.post(app.url(&format!("/events/{id}/vouchers"))))
            .bearer_auth(&organizer)
            .json(&json!({ "code": "LIFE", "percent_off": 50, "max_uses": 3 }))
            .send()
            .await
            .expect("voucher");
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let mut accounts = Vec::new();
    for i in 0..4 {
        let email = format!("model-{i}-{}@example.com", uuid::Uuid::new_v4().simple());
        // Three accounts (two verified), and one address with none yet.
        let token = match i {
            0 | 1 => Some(app.signup(&email).await),
            2 => Some(app.unverified_signup(&email).await),
            _ => None,
        };
        accounts.push(Account { token, email });
    }
    let mut world = World {
        app,
        organizer,
        event,
        seated,
        accounts,
        seed,
        step: 0,
        tally: Default::default(),
    };
    for step in 0..steps {
        world.step = step;
        world.step(&mut rng).await;
        world.check_custody().await;
    }
    world.check_money().await;
    let tally = world.tally.borrow().clone();
    println!("moves (move, status) -> count: {tally:?}");
    let done: usize = (tally.iter())
        .filter(|((_, status), _)| *status < 300)
        .map(|(_, n)| n)
        .sum();
    let intents = world
        .app
        .sql_i64("SELECT count(*) FROM orders WHERE payment_intent_id IS NOT NULL")
        .await;
    println!(
        "moves that changed something: {done}; orders with an intent checked against Stripe: {intents}"
    );
    assert!(
        done * 8 >= steps,
        "LIFECYCLE_SEED={seed}: too few moves happened ({done} of {steps})"
    );
}
