//! Search over events: place, category, dates, full text over title and
//! description, and only those with tickets left; answered from the partial
//! indexes on published events (GiST on `geog`, GIN on `search`, B-trees on
//! `starts_at` and `min_price_cents`).

use crate::search::{Bind, POINT, Point, SqlBuilder};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::{QueryResult, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSort {
    /// Soonest first.
    Date,
    /// Nearest first (needs a point).
    Distance,
    /// Cheapest ticket first, then soonest.
    Price,
}

#[derive(Debug, Clone)]
pub struct EventQuery {
    pub near: Option<(Point, f64)>,
    pub category: Option<String>,
    pub from: DateTime<Utc>,
    pub to: Option<DateTime<Utc>>,
    /// Words to find in title or description (`websearch_to_tsquery` syntax).
    pub text: Option<String>,
    /// Only events with tickets or seats left.
    pub available: bool,
    pub sort: EventSort,
    pub after: Option<EventCursor>,
    pub limit: i64,
}

/// Keyset position: the sort keys of the last row of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EventCursor {
    #[serde(rename = "t")]
    pub starts_at: DateTime<Utc>,
    #[serde(rename = "d", skip_serializing_if = "Option::is_none", default)]
    pub distance_m: Option<f64>,
    #[serde(rename = "p", skip_serializing_if = "Option::is_none", default)]
    pub price: Option<i64>,
    pub id: Uuid,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct EventHit {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub category: String,
    #[diesel(sql_type = Text)]
    pub venue_name: String,
    #[diesel(sql_type = Double)]
    pub lat: f64,
    #[diesel(sql_type = Double)]
    pub long: f64,
    #[diesel(sql_type = Timestamptz)]
    pub starts_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub min_price_cents: i64,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = BigInt)]
    pub seats_left: i64,
    #[diesel(sql_type = Bool)]
    pub seated: bool,
    #[diesel(sql_type = Nullable<Double>)]
    pub distance_m: Option<f64>,
    /// When the first tier goes on sale, while none is on sale yet.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub on_sale_at: Option<DateTime<Utc>>,
}

impl EventHit {
    pub fn cursor(&self, sort: EventSort) -> EventCursor {
        EventCursor {
            starts_at: self.starts_at,
            distance_m: (sort == EventSort::Distance)
                .then_some(self.distance_m)
                .flatten(),
            price: (sort == EventSort::Price).then_some(self.min_price_cents),
            id: self.id,
        }
    }
}

/// When its first public tier goes on sale, while none is yet (none: on
/// sale, or seated). Hidden tiers (sold with a promo code) are nobody's business.
const ON_SALE_AT: &str = "(SELECT CASE WHEN bool_or(t.sales_start IS NULL OR t.sales_start <= now()) \
     THEN NULL ELSE min(t.sales_start) END FROM ticket_tiers t WHERE t.event_id = e.id AND NOT t.hidden)";
/// Units left: free seats, or what the public tiers' stock rows have room for.
const SEATS_LEFT: &str = "CASE WHEN e.seated \
     THEN (SELECT count(*) FROM seats s WHERE s.event_id = e.id AND s.order_id IS NULL) \
     ELSE (SELECT COALESCE(sum(t.capacity - t.held - t.sold), 0)::bigint FROM tier_stock t \
           WHERE t.event_id = e.id AND NOT EXISTS (SELECT 1 FROM ticket_tiers h \
             WHERE h.event_id = t.event_id AND h.id = t.tier_id AND h.hidden)) END";
/// Written as an OR on `seated` (not a CASE): the planner then estimates it
/// as about half the rows, where a CASE of subplans counted as almost none
/// and turned a 10 ms date-ordered scan into a 300 ms bitmap of the whole disc.
const ANY_LEFT: &str = "((NOT e.seated AND EXISTS (SELECT 1 FROM tier_stock t \
     WHERE t.event_id = e.id AND t.held + t.sold < t.capacity AND NOT EXISTS (SELECT 1 FROM ticket_tiers h \
       WHERE h.event_id = t.event_id AND h.id = t.tier_id AND h.hidden))) \
     OR (e.seated AND EXISTS (SELECT 1 FROM seats s WHERE s.event_id = e.id AND s.order_id IS NULL)))";

/// The statement and its binds for one page.
fn statement(query: &EventQuery) -> (String, SqlBuilder) {
    let mut sql = SqlBuilder::default();
    let mut conditions = vec!["e.status = 'published'".to_owned()];
    let point = query.near.map(|(p, radius_km)| {
        let lat = sql.push(Bind::F64(p.lat));
        let long = sql.push(Bind::F64(p.long));
        let pt = POINT.replace("$LONG", &long).replace("$LAT", &lat);
        let radius = sql.push(Bind::F64(radius_km * 1000.0));
        // The box test (`&&`, estimated from the index's statistics) and the exact
        // distance apart: ST_DWithin's own estimate counts the disc twice (9% of
        // events estimated as 0.01%), which made the planner sort a whole disc.
        conditions.push(format!(
            "e.geog && _ST_Expand({pt}, {radius}) AND _ST_DWithin(e.geog, {pt}, {radius}, false)"
        ));
        (pt, radius)
    });
    let distance = point
        .as_ref()
        .map(|(pt, _)| format!("(e.geog <-> {pt})"))
        .unwrap_or_else(|| "NULL::float8".to_owned());
    let from = sql.push(Bind::Time(query.from));
    conditions.push(format!("e.starts_at >= {from}"));
    if let Some(to) = query.to {
        let to = sql.push(Bind::Time(to));
        conditions.push(format!("e.starts_at < {to}"));
    }
    if let Some(category) = &query.category {
        let c = sql.push(Bind::Text(category.clone()));
        conditions.push(format!("e.category = {c}"));
    }
    if let Some(text) = &query.text {
        let q = sql.push(Bind::Text(text.clone()));
        conditions.push(format!("e.search @@ websearch_to_tsquery('english', {q})"));
    }
    if query.available {
        conditions.push(ANY_LEFT.to_owned());
    }
    let order: Vec<String> = match query.sort {
        EventSort::Distance if point.is_some() => vec![distance.clone(), "e.id".to_owned()],
        EventSort::Price => vec![
            "e.min_price_cents".to_owned(),
            "e.starts_at".to_owned(),
            "e.id".to_owned(),
        ],
        _ => vec!["e.starts_at".to_owned(), "e.id".to_owned()],
    };
    if let Some(cursor) = query.after {
        let keys: Vec<String> = order
            .iter()
            .map(|expr| {
                sql.push(match expr.as_str() {
                    "e.id" => Bind::Uuid(cursor.id),
                    "e.starts_at" => Bind::Time(cursor.starts_at),
                    "e.min_price_cents" => Bind::I64(cursor.price.unwrap_or(i64::MIN)),
                    _ => Bind::F64(cursor.distance_m.unwrap_or(f64::MIN)),
                })
            })
            .collect();
        conditions.push(format!("({}) > ({})", order.join(", "), keys.join(", ")));
    }
    let mut reach = String::new();
    if let (EventSort::Distance, Some((pt, radius))) = (query.sort, &point) {
        // Nearest first, as professional search does it: a KNN scan of the GiST
        // index finds how far this page reaches (ties on distance would stop it
        // from using the index), then that small disc is read in full in
        // (distance, id) order, so events at one venue are never split between pages.
        let offset = sql.push(Bind::I64(query.limit - 1));
        reach = format!(
            "WITH reach AS MATERIALIZED (SELECT e.geog <-> {pt} AS d FROM events e WHERE {} \
             ORDER BY e.geog <-> {pt} LIMIT 1 OFFSET {offset}) ",
            conditions.join(" AND ")
        );
        conditions.push(format!(
            "e.geog && _ST_Expand({pt}, LEAST({radius}, COALESCE((SELECT d FROM reach) + 0.001, {radius})))"
        ));
    }
    let limit = sql.push(Bind::I64(query.limit));
    let text = format!(
        "{reach}SELECT e.id, e.slug, e.title, e.category, e.venue_name, e.lat, e.long, e.starts_at, \
         e.min_price_cents, e.currency, {SEATS_LEFT} AS seats_left, e.seated, {distance} AS distance_m, \
         {ON_SALE_AT} AS on_sale_at FROM events e WHERE {} ORDER BY {} LIMIT {limit}",
        conditions.join(" AND "),
        order.join(", "),
    );
    (text, sql)
}

/// Runs one page of an event search.
pub async fn search_events(
    conn: &mut AsyncPgConnection,
    query: &EventQuery,
) -> QueryResult<Vec<EventHit>> {
    let (text, sql) = statement(query);
    sql.into_query(&text).load(conn).await
}

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The plan PostgreSQL picks for one page (a test checks it uses the indexes).
pub async fn explain(conn: &mut AsyncPgConnection, query: &EventQuery) -> QueryResult<Vec<String>> {
    let (text, sql) = statement(query);
    let lines: Vec<PlanLine> = sql
        .into_query(&format!("EXPLAIN {text}"))
        .load(conn)
        .await?;
    Ok(lines.into_iter().map(|l| l.line).collect())
}
