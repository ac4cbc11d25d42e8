//! Stripe events, each stored once by id in the transaction that applies it.

use crate::schema::stripe_events;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

pub struct StripeEvent;

impl StripeEvent {
    /// Claims the event id; false when it was applied before (a replay).
    pub async fn claim(conn: &mut AsyncPgConnection, id: &str, kind: &str) -> QueryResult<bool> {
        diesel::insert_into(stripe_events::table)
            .values((
                stripe_events::id.eq(id),
                stripe_events::type_.eq(kind),
                stripe_events::outcome.eq("received"),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await
            .map(|n| n == 1)
    }

    pub async fn set_outcome(
        conn: &mut AsyncPgConnection,
        id: &str,
        payable_id: Option<Uuid>,
        outcome: &str,
    ) -> QueryResult<()> {
        diesel::update(stripe_events::table.find(id))
            .set((
                stripe_events::payable_id.eq(payable_id),
                stripe_events::outcome.eq(outcome),
            ))
            .execute(conn)
            .await
            .map(drop)
    }
}
