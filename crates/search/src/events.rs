//! `GET /search/events`: events by place, category, dates and words, with
//! only those that have tickets left when asked.

use crate::AppState;
use crate::query::{DEFAULT_RADIUS_KM, MAX_RADIUS_KM};
use chrono::{DateTime, FixedOffset, Utc};
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use slotwise_db::event_search::{EventCursor, EventHit, EventQuery, EventSort, search_events};
use slotwise_db::search::Point;
use slotwise_web::pagination::{decode_cursor, encode_cursor, page_limit};
use slotwise_web::problems::*;
use slotwise_web::{ApiError, FieldError, Problems};

pub struct EventsApi;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum EventSortBy {
    /// Soonest first (the default).
    Date,
    /// Nearest first; needs `lat` and `long`.
    Distance,
    /// Cheapest ticket first, then soonest.
    Price,
}

#[derive(Debug, Object)]
pub struct VenueHit {
    pub name: String,
    pub lat: f64,
    pub long: f64,
}

#[derive(Debug, Object)]
pub struct EventHitView {
    pub id: uuid::Uuid,
    pub slug: String,
    pub title: String,
    pub category: String,
    pub venue: VenueHit,
    pub starts_at: DateTime<Utc>,
    /// Great-circle distance from the searched point; absent without `lat`/`long`.
    #[oai(skip_serializing_if_is_none)]
    pub distance_km: Option<f64>,
    /// The cheapest ticket or seat.
    pub min_price_cents: i64,
    pub currency: String,
    /// Tickets (or seats) not sold or held.
    pub seats_left: i64,
    pub sold_out: bool,
    pub seated: bool,
    /// When tickets go on sale, while none are on sale yet; absent once they are.
    #[oai(skip_serializing_if_is_none)]
    pub on_sale_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Object)]
pub struct EventSearchPage {
    pub items: Vec<EventHitView>,
    /// Pass as `cursor` for the next page; null on the last one.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

impl From<EventHit> for EventHitView {
    fn from(h: EventHit) -> Self {
        Self {
            id: h.id,
            slug: h.slug,
            title: h.title,
            category: h.category,
            venue: VenueHit {
                name: h.venue_name,
                lat: h.lat,
                long: h.long,
            },
            starts_at: h.starts_at,
            distance_km: h.distance_m.map(|m| (m / 10.0).round() / 100.0),
            min_price_cents: h.min_price_cents,
            currency: h.currency,
            seats_left: h.seats_left,
            sold_out: h.seats_left <= 0,
            seated: h.seated,
            on_sale_at: h.on_sale_at,
        }
    }
}

/// The query parameters of an event search.
pub struct EventParams {
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub radius_km: Option<f64>,
    pub category: Option<String>,
    pub from: Option<DateTime<FixedOffset>>,
    pub to: Option<DateTime<FixedOffset>>,
    pub q: Option<String>,
    pub available: Option<bool>,
    pub sort: Option<EventSortBy>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl EventParams {
    /// Checked together, so every problem is reported at once.
    pub fn into_query(self, now: DateTime<Utc>) -> Result<EventQuery, ApiError> {
        let mut errors = Vec::new();
        let near = match (self.lat, self.long) {
            (Some(lat), Some(long)) => {
                let radius = self.radius_km.unwrap_or(DEFAULT_RADIUS_KM);
                if !(radius > 0.0 && radius <= MAX_RADIUS_KM) {
                    errors.push(FieldError::new(
                        "radius_km",
                        "must be above 0 and at most 500",
                    ));
                }
                Some((Point { lat, long }, radius))
            }
            (None, None) => None,
            _ => {
                errors.push(FieldError::new("lat", "lat and long go together"));
                None
            }
        };
        let sort = self.sort.unwrap_or(EventSortBy::Date);
        if sort == EventSortBy::Distance && near.is_none() {
            errors.push(FieldError::new(
                "sort",
                "sorting by distance needs lat and long",
            ));
        }
        let from = self.from.map_or(now, |f| f.with_timezone(&Utc));
        let to = self.to.map(|t| t.with_timezone(&Utc));
        if to.is_some_and(|to| to <= from) {
            errors.push(FieldError::new("to", "must be after from (default: now)"));
        }
        let text = self
            .q
            .map(|q| q.trim().to_owned())
            .filter(|q| !q.is_empty());
        if text.as_ref().is_some_and(|q| q.chars().count() > 200) {
            errors.push(FieldError::new("q", "must be at most 200 characters"));
        }
        let limit = page_limit(self.limit);
        if let Err(e) = &limit {
            errors.extend(e.problem.errors.clone());
        }
        let after = match self
            .cursor
            .as_deref()
            .map(decode_cursor::<EventCursor>)
            .transpose()
        {
            Ok(after) => after,
            Err(e) => {
                errors.extend(e.problem.errors);
                None
            }
        };
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(EventQuery {
            near,
            category: self.category.filter(|c| !c.is_empty()),
            from,
            to,
            text,
            available: self.available.unwrap_or(false),
            sort: match sort {
                EventSortBy::Date => EventSort::Date,
                EventSortBy::Distance => EventSort::Distance,
                EventSortBy::Price => EventSort::Price,
            },
            after,
            limit: i64::from(limit.unwrap_or(20)),
        })
    }
}

#[OpenApi]
impl EventsApi {
    /// Upcoming events near a point, by category, dates and words.
    ///
    /// `q` matches title and description (PostgreSQL full-text search, web
    /// syntax: `"exact phrase"`, `-without`, `or`); `available=true` hides
    /// sold-out events; `from` defaults to now.
    #[oai(path = "/search/events", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn search_events(
        &self,
        state: Data<&AppState>,
        #[oai(validator(minimum(value = "-90"), maximum(value = "90")))] lat: Query<Option<f64>>,
        #[oai(validator(minimum(value = "-180"), maximum(value = "180")))] long: Query<Option<f64>>,
        #[oai(validator(minimum(value = "0", exclusive), maximum(value = "500")))] radius_km: Query<
            Option<f64>,
        >,
        category: Query<Option<String>>,
        from: Query<Option<DateTime<FixedOffset>>>,
        to: Query<Option<DateTime<FixedOffset>>>,
        #[oai(validator(max_length = 200))] q: Query<Option<String>>,
        available: Query<Option<bool>>,
        sort: Query<Option<EventSortBy>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u32>>,
        #[oai(validator(min_length = 1))] cursor: Query<Option<String>>,
    ) -> Result<Json<EventSearchPage>, Problems<{ BAD_REQUEST | UNAVAILABLE }>> {
        let params = EventParams {
            lat: lat.0,
            long: long.0,
            radius_km: radius_km.0,
            category: category.0,
            from: from.0,
            to: to.0,
            q: q.0,
            available: available.0,
            sort: sort.0,
            limit: limit.0,
            cursor: cursor.0,
        };
        let mut query = params.into_query(Utc::now())?;
        let page_size = query.limit as usize;
        query.limit += 1;
        let mut conn = state.pool.get().await?;
        let mut hits = search_events(&mut conn, &query).await?;
        let next_cursor = (hits.len() > page_size)
            .then(|| {
                hits.truncate(page_size);
                hits.last().map(|h| encode_cursor(&h.cursor(query.sort)))
            })
            .flatten();
        let items = hits.into_iter().map(Into::into).collect();
        Ok(Json(EventSearchPage { items, next_cursor }))
    }
}
