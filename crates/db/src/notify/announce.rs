//! Outbox rows, each written by one `INSERT ... SELECT` inside the caller's
//! transaction: what the notification says is read in the same snapshot as
//! the change, and a change that rolls back announces nothing.
//!
//! `payload` is the public body (webhooks, the bus): ids, times, amounts,
//! names, never a ticket's code. `mail` is what only the recipient's mail
//! carries: their name and, for an order, its ticket codes.

use crate::cached_sql::cached_sql;
use diesel::sql_types::{Int8, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

cached_sql! {
    /// A booking's news, mailed to its client, heard by its professional's owner.
    BookingNews { id: Uuid, topic: &'static str, amount: Option<i64>, booking: Uuid, professional: Uuid }
    "INSERT INTO outbox (id, topic, subject_id, owner_id, email, mail, payload) \
     SELECT " (id: SqlUuid) ", " (topic: Text) ", b.id, p.owner_id, u.email, \
       jsonb_build_object('name', u.name), \
       jsonb_build_object('booking', jsonb_build_object( \
           'id', b.id, 'status', b.status, 'start_time', b.start_time, 'end_time', b.end_time, \
           'duration_minutes', b.duration_minutes, 'price_cents', b.price_cents, 'currency', b.currency), \
         'professional', jsonb_build_object('id', p.id, 'slug', p.slug, 'name', p.name, \
           'category', p.category, 'lat', p.lat, 'long', p.long, 'timezone', p.timezone), \
         'amount_cents', " (amount: Nullable<Int8>) "::int8) \
     FROM bookings b JOIN professionals p ON p.id = b.professional_id \
     LEFT JOIN users u ON u.id = b.client_id \
     WHERE b.id = " (booking: SqlUuid) " AND b.professional_id = " (professional: SqlUuid) ""
}

cached_sql! {
    /// An order's news, mailed to its buyer (with the codes of the tickets
    /// the buyer still holds, valid: never one given or sold on), heard by the
    /// organizer. Its tickets: its own, or the one its resale bought. Every
    /// ticket table is pinned to the event by the bound value (not only by a
    /// join), so Citus routes the whole statement to the event's shards.
    OrderNews { id: Uuid, topic: &'static str, amount: Option<i64>, event: Uuid, order: Uuid }
    "INSERT INTO outbox (id, topic, subject_id, owner_id, email, mail, payload) \
     SELECT " (id: SqlUuid) ", " (topic: Text) ", o.id, e.organizer_id, u.email, \
       jsonb_build_object('name', u.name, 'codes', COALESCE(k.codes, '[]')), \
       jsonb_build_object('order', jsonb_build_object( \
           'id', o.id, 'kind', o.kind, 'status', o.status, 'total_cents', o.total_cents, 'currency', o.currency), \
         'event', jsonb_build_object('id', e.id, 'slug', e.slug, 'title', e.title, \
           'venue_name', e.venue_name, 'starts_at', e.starts_at, 'ends_at', e.ends_at), \
         'tickets', COALESCE(k.tickets, '[]'), \
         'amount_cents', " (amount: Nullable<Int8>) "::int8) \
     FROM orders o JOIN events e ON e.id = o.event_id JOIN users u ON u.id = o.buyer_id \
     LEFT JOIN ( \
       SELECT jsonb_agg(jsonb_build_object('id', t.id, 'status', t.status, 'price_cents', t.price_cents, \
                'tier', tt.name, 'seat', s.label) ORDER BY t.created_at, t.id) AS tickets, \
              jsonb_agg(jsonb_build_object('id', t.id, 'code', t.code) ORDER BY t.created_at, t.id) \
                FILTER (WHERE t.status = 'valid' AND t.holder_id = ob.buyer_id) AS codes \
       FROM (SELECT t.* FROM tickets t WHERE t.event_id = " (event: SqlUuid) " AND t.order_id = " (order: SqlUuid) " \
             UNION ALL \
             SELECT t.* FROM orders r JOIN listings l ON l.event_id = r.event_id AND l.id = r.listing_id \
               JOIN tickets t ON t.event_id = l.event_id AND t.id = l.ticket_id \
             WHERE r.event_id = " (event: SqlUuid) " AND r.id = " (order: SqlUuid) ") t \
       JOIN orders ob ON ob.event_id = " (event: SqlUuid) " AND ob.id = " (order: SqlUuid) " \
       LEFT JOIN ticket_tiers tt ON tt.event_id = " (event: SqlUuid) " AND tt.id = t.tier_id \
       LEFT JOIN seats s ON s.event_id = " (event: SqlUuid) " AND s.id = t.seat_id \
     ) k ON true \
     WHERE o.event_id = " (event: SqlUuid) " AND o.id = " (order: SqlUuid) ""
}

cached_sql! {
    /// A ticket given as a gift, mailed to whoever receives it (its new
    /// holder, or the address it waits for until they sign up; the row is
    /// written after the hand-over), heard by the organizer.
    GiftNews { id: Uuid, event: Uuid, ticket: Uuid, giver: Uuid }
    "INSERT INTO outbox (id, topic, subject_id, owner_id, email, mail, payload) \
     SELECT " (id: SqlUuid) ", 'ticket.gifted', t.id, e.organizer_id, COALESCE(t.pending_email, r.email), \
       jsonb_build_object('name', CASE WHEN t.pending_email IS NULL THEN r.name END, 'from', g.name), \
       jsonb_build_object('ticket', jsonb_build_object('id', t.id, 'status', t.status, \
           'tier', tt.name, 'seat', s.label), \
         'event', jsonb_build_object('id', e.id, 'slug', e.slug, 'title', e.title, \
           'venue_name', e.venue_name, 'starts_at', e.starts_at, 'ends_at', e.ends_at), \
         'from', jsonb_build_object('id', g.id, 'name', g.name)) \
     FROM tickets t JOIN events e ON e.id = t.event_id \
     LEFT JOIN users r ON r.id = t.holder_id LEFT JOIN users g ON g.id = " (giver: SqlUuid) " \
     LEFT JOIN ticket_tiers tt ON tt.event_id = " (event: SqlUuid) " AND tt.id = t.tier_id \
     LEFT JOIN seats s ON s.event_id = " (event: SqlUuid) " AND s.id = t.seat_id \
     WHERE t.event_id = " (event: SqlUuid) " AND t.id = " (ticket: SqlUuid) ""
}

cached_sql! {
    /// A resale listing sold, mailed to its seller with the payout, heard by the organizer.
    ListingSoldNews { id: Uuid, event: Uuid, listing: Uuid }
    "INSERT INTO outbox (id, topic, subject_id, owner_id, email, mail, payload) \
     SELECT " (id: SqlUuid) ", 'listing.sold', l.id, e.organizer_id, u.email, \
       jsonb_build_object('name', u.name), \
       jsonb_build_object('listing', jsonb_build_object('id', l.id, 'ticket_id', l.ticket_id, \
           'price_cents', l.price_cents, 'currency', l.currency, 'status', l.status), \
         'payout', jsonb_build_object('id', p.id, 'amount_cents', p.amount_cents, \
           'fee_cents', p.fee_cents, 'currency', p.currency, 'status', p.status), \
         'event', jsonb_build_object('id', e.id, 'slug', e.slug, 'title', e.title, \
           'venue_name', e.venue_name, 'starts_at', e.starts_at, 'ends_at', e.ends_at)) \
     FROM listings l JOIN events e ON e.id = l.event_id JOIN users u ON u.id = l.seller_id \
     LEFT JOIN payouts p ON p.event_id = " (event: SqlUuid) " AND p.listing_id = l.id AND p.status <> 'cancelled' \
     WHERE l.event_id = " (event: SqlUuid) " AND l.id = " (listing: SqlUuid) ""
}

cached_sql! {
    /// An event cancelled, mailed to its organizer (each order's buyer hears
    /// of their own order's cancellation), heard by the organizer's endpoints.
    EventCancelledNews { id: Uuid, event: Uuid }
    "INSERT INTO outbox (id, topic, subject_id, owner_id, email, mail, payload) \
     SELECT " (id: SqlUuid) ", 'event.cancelled', e.id, e.organizer_id, u.email, \
       jsonb_build_object('name', u.name), \
       jsonb_build_object('event', jsonb_build_object('id', e.id, 'slug', e.slug, 'title', e.title, \
           'venue_name', e.venue_name, 'starts_at', e.starts_at, 'ends_at', e.ends_at, 'status', e.status)) \
     FROM events e JOIN users u ON u.id = e.organizer_id \
     WHERE e.id = " (event: SqlUuid) ""
}

/// `booking.<topic>` for one booking; `amount` is the money it is about (a refund).
pub async fn booking(
    conn: &mut AsyncPgConnection,
    topic: &'static str,
    booking: Uuid,
    professional: Uuid,
    amount: Option<i64>,
) -> diesel::QueryResult<()> {
    let id = Uuid::now_v7();
    let news = BookingNews {
        id,
        topic,
        amount,
        booking,
        professional,
    };
    news.execute(conn).await.map(drop)
}

/// `order.<topic>` for one order of `event`.
pub async fn order(
    conn: &mut AsyncPgConnection,
    topic: &'static str,
    event: Uuid,
    order: Uuid,
    amount: Option<i64>,
) -> diesel::QueryResult<()> {
    let id = Uuid::now_v7();
    let news = OrderNews {
        id,
        topic,
        amount,
        event,
        order,
    };
    news.execute(conn).await.map(drop)
}

pub async fn gift(
    conn: &mut AsyncPgConnection,
    event: Uuid,
    ticket: Uuid,
    giver: Uuid,
) -> diesel::QueryResult<()> {
    let id = Uuid::now_v7();
    let news = GiftNews {
        id,
        event,
        ticket,
        giver,
    };
    news.execute(conn).await.map(drop)
}

pub async fn listing_sold(
    conn: &mut AsyncPgConnection,
    event: Uuid,
    listing: Uuid,
) -> diesel::QueryResult<()> {
    let id = Uuid::now_v7();
    let news = ListingSoldNews { id, event, listing };
    news.execute(conn).await.map(drop)
}

pub async fn event_cancelled(conn: &mut AsyncPgConnection, event: Uuid) -> diesel::QueryResult<()> {
    let id = Uuid::now_v7();
    let news = EventCancelledNews { id, event };
    news.execute(conn).await.map(drop)
}
