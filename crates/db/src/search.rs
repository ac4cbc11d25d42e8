//! Search over professionals: place, category, rate and free time, answered
//! with KNN ordering from the GiST index on `(category, geog)`, or for free
//! time from the windows' index on `(category, period, geog)`.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{BigInt, Double, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::{QueryResult, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cached_sql::PreparedByText;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchSort {
    Distance,
    Price,
}

#[derive(Debug, Clone, Copy)]
pub struct Point {
    pub lat: f64,
    pub long: f64,
}

#[derive(Debug, Clone)]
pub struct SearchQuery {
    /// With a point, results lie within `radius_km` of it (and within each
    /// professional's own service radius) and carry their distance.
    pub near: Option<(Point, f64)>,
    pub category: Option<String>,
    pub max_rate_per_minute: Option<i64>,
    /// Only professionals free for the whole of `[start, end)`.
    pub free_during: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub sort: SearchSort,
    pub after: Option<SearchCursor>,
    pub limit: i64,
}

/// Keyset position: the sort keys of the last row of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SearchCursor {
    #[serde(rename = "r", skip_serializing_if = "Option::is_none", default)]
    pub rate: Option<i64>,
    #[serde(rename = "d", skip_serializing_if = "Option::is_none", default)]
    pub distance_m: Option<f64>,
    pub id: Uuid,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct SearchHit {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub category: String,
    #[diesel(sql_type = BigInt)]
    pub rate_per_minute: i64,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = Double)]
    pub lat: f64,
    #[diesel(sql_type = Double)]
    pub long: f64,
    #[diesel(sql_type = Nullable<Double>)]
    pub service_radius_km: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub distance_m: Option<f64>,
}

impl SearchHit {
    pub fn cursor(&self, sort: SearchSort) -> SearchCursor {
        SearchCursor {
            rate: (sort == SearchSort::Price).then_some(self.rate_per_minute),
            distance_m: self.distance_m,
            id: self.id,
        }
    }
}

pub(crate) const POINT: &str = "ST_SetSRID(ST_MakePoint($LONG, $LAT), 4326)::geography";

/// Runs one page of a search. Binds are numbered in the order they are pushed.
pub async fn search_professionals(
    conn: &mut AsyncPgConnection,
    query: &SearchQuery,
) -> QueryResult<Vec<SearchHit>> {
    let mut sql = SqlBuilder::default();
    // Free time, off Citus: the window open then is joined (at most one per
    // professional, as windows never overlap), and the place and category
    // are read from its copy, so the GiST index on (category, period, geog)
    // answers nearest first among those open. An hour when nobody works is
    // then one index probe, not a check of every professional in the disc.
    let windowed = query.free_during.is_some() && !crate::tx::on_citus();
    let (place, category_col) = if windowed {
        ("w.geog", "w.category")
    } else {
        ("p.geog", "p.category")
    };
    let distance = match query.near {
        Some((point, _)) => {
            let lat = sql.push(Bind::F64(point.lat));
            let long = sql.push(Bind::F64(point.long));
            let pt = POINT.replace("$LONG", &long).replace("$LAT", &lat);
            Some(pt)
        }
        None => None,
    };
    let distance_expr = distance
        .as_ref()
        .map(|pt| format!("({place} <-> {pt})"))
        .unwrap_or_else(|| "NULL::float8".to_owned());
    let mut conditions: Vec<String> = Vec::new();
    let mut disc = None;
    if let (Some(pt), Some((_, radius_km))) = (&distance, query.near) {
        let radius = sql.push(Bind::F64(radius_km * 1000.0));
        disc = Some((pt.clone(), radius));
        conditions.push(format!(
            "(p.service_radius_km IS NULL OR ST_DWithin(p.geog, {pt}, p.service_radius_km * 1000, false))"
        ));
    }
    if let Some(category) = &query.category {
        let c = sql.push(Bind::Text(category.clone()));
        conditions.push(format!("{category_col} = {c}"));
    }
    if let Some(max_rate) = query.max_rate_per_minute {
        let r = sql.push(Bind::I64(max_rate));
        conditions.push(format!("p.rate_per_minute <= {r}"));
    }
    let mut from = "professionals p".to_owned();
    if let Some((start, end)) = query.free_during {
        let s = sql.push(Bind::Time(start));
        let e = sql.push(Bind::Time(end));
        if !windowed {
            conditions.push(free_on_citus(&s, &e));
        } else {
            from = format!(
                "professionals p JOIN availability_windows w ON w.professional_id = p.id \
                 AND w.period @> tstzrange({s}, {e})"
            );
            conditions.push(format!(
                "NOT EXISTS (SELECT 1 FROM bookings b WHERE b.professional_id = p.id \
                 AND b.blocked && tstzrange({s}, {e} + COALESCE((SELECT make_interval(mins => ps.buffer_minutes) \
                 FROM professional_schedules ps WHERE ps.professional_id = p.id), interval '0')) \
                 AND b.status IN ('pending', 'confirmed'))"
            ));
            // Too soon for the professional's notice, or in their buffer before a booking.
            conditions.push(format!(
                "NOT EXISTS (SELECT 1 FROM professional_schedules ps WHERE ps.professional_id = p.id \
                 AND {s} < now() + make_interval(mins => ps.min_notice_minutes))"
            ));
        }
    }
    let order = match (query.sort, distance.is_some()) {
        (SearchSort::Distance, true) => vec![distance_expr.clone(), "p.id".to_owned()],
        (SearchSort::Price, true) => vec![
            "p.rate_per_minute".to_owned(),
            distance_expr.clone(),
            "p.id".to_owned(),
        ],
        (SearchSort::Distance, false) => vec!["p.id".to_owned()],
        (SearchSort::Price, false) => vec!["p.rate_per_minute".to_owned(), "p.id".to_owned()],
    };
    // The filters without place and cursor, for the KNN reach query below.
    let filters = conditions.clone();
    if let Some(cursor) = query.after {
        let mut keys: Vec<String> = Vec::new();
        for expr in &order {
            let bind = match expr.as_str() {
                "p.id" => Bind::Uuid(cursor.id),
                "p.rate_per_minute" => Bind::I64(cursor.rate.unwrap_or(i64::MIN)),
                _ => Bind::F64(cursor.distance_m.unwrap_or(f64::MIN)),
            };
            keys.push(sql.push(bind));
        }
        conditions.push(format!("({}) > ({})", order.join(", "), keys.join(", ")));
    }
    let columns = format!(
        "p.id, p.slug, p.name, p.category, p.rate_per_minute, p.currency, p.lat, p.long, \
         p.service_radius_km, {distance_expr} AS distance_m"
    );
    let order = order.join(", ");
    let text = match (query.sort, disc) {
        (SearchSort::Distance, Some((pt, radius))) => {
            // Nearest first: a KNN scan of the GiST index finds how far this page
            // reaches; the page is then read in full (distance, id) order from that
            // small disc, so ties at its edge are never cut off between pages.
            let mut reach_filters = filters;
            reach_filters.push(format!("{place} && _ST_Expand({pt}, {radius})"));
            if let Some(cursor) = query.after {
                let after = sql.push(Bind::F64(cursor.distance_m.unwrap_or(0.0)));
                let id = sql.push(Bind::Uuid(cursor.id));
                reach_filters.push(format!("(({place} <-> {pt}), p.id) > ({after}, {id})"));
            }
            let offset = sql.push(Bind::I64(query.limit - 1));
            conditions.push(format!(
                "ST_DWithin({place}, {pt}, LEAST({radius}, COALESCE((SELECT d FROM reach) + 0.001, {radius})), false)"
            ));
            let limit = sql.push(Bind::I64(query.limit));
            format!(
                "WITH reach AS MATERIALIZED (SELECT {place} <-> {pt} AS d FROM {from} \
                 WHERE {} ORDER BY {place} <-> {pt} LIMIT 1 OFFSET {offset}) \
                 SELECT {columns} FROM {from} WHERE {} ORDER BY {order} LIMIT {limit}",
                reach_filters.join(" AND "),
                conditions.join(" AND "),
            )
        }
        (_, disc) => {
            if let Some((pt, radius)) = disc {
                conditions.push(format!("ST_DWithin({place}, {pt}, {radius}, false)"));
            }
            let limit = sql.push(Bind::I64(query.limit));
            let where_clause = if conditions.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", conditions.join(" AND "))
            };
            format!("SELECT {columns} FROM {from} {where_clause} ORDER BY {order} LIMIT {limit}")
        }
    };
    PreparedByText(sql.into_query(&text)).load(conn).await
}

/// The same three conditions as one semi-join that Citus can run: it
/// refuses subqueries of the distributed `bookings` and windows correlated
/// with the reference table `professionals` ("complex joins"), but runs a
/// subquery whose tables all join on `professional_id` on every shard and
/// hands its ids to the outer query. On one PostgreSQL the window is joined
/// instead: its index finds only those open then, nearest first, where this
/// one lists every professional free at that time (docs/SCALING.md says what
/// it costs).
fn free_on_citus(s: &str, e: &str) -> String {
    format!(
        "p.id IN (SELECT w.professional_id FROM availability_windows w \
         LEFT JOIN professional_schedules ps ON ps.professional_id = w.professional_id \
         WHERE w.period @> tstzrange({s}, {e}) \
         AND (ps.min_notice_minutes IS NULL OR {s} >= now() + make_interval(mins => ps.min_notice_minutes)) \
         AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.professional_id = w.professional_id \
           AND b.blocked && tstzrange({s}, {e} + make_interval(mins => COALESCE(ps.buffer_minutes, 0))) \
           AND b.status IN ('pending', 'confirmed')))"
    )
}

pub(crate) enum Bind {
    F64(f64),
    I64(i64),
    Text(String),
    Time(DateTime<Utc>),
    Uuid(Uuid),
}

#[derive(Default)]
pub(crate) struct SqlBuilder {
    binds: Vec<Bind>,
}

impl SqlBuilder {
    pub(crate) fn push(&mut self, bind: Bind) -> String {
        self.binds.push(bind);
        format!("${}", self.binds.len())
    }

    pub(crate) fn into_query(
        self,
        text: &str,
    ) -> BoxedSqlQuery<'static, Pg, diesel::query_builder::SqlQuery> {
        let mut query = diesel::sql_query(text.to_owned()).into_boxed::<Pg>();
        for bind in self.binds {
            query = match bind {
                Bind::F64(v) => query.bind::<Double, _>(v),
                Bind::I64(v) => query.bind::<BigInt, _>(v),
                Bind::Text(v) => query.bind::<Text, _>(v),
                Bind::Time(v) => query.bind::<Timestamptz, _>(v),
                Bind::Uuid(v) => query.bind::<SqlUuid, _>(v),
            };
        }
        query
    }
}
