//! `GET /search/professionals`, `GET /professionals/{id}`, `GET /professionals/{id}/slots`.

use crate::AppState;
use crate::query::{SortBy, build_query};
use crate::travel::TravelMode;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use slotwise_db::availability::AvailabilityWindow;
use slotwise_db::professionals::{Professional, ProfessionalRef};
use slotwise_db::search::{SearchHit, search_professionals};
use slotwise_db::slots::{busy_spans, free_slots};
use slotwise_web::pagination::encode_cursor;
use slotwise_web::problems::*;
use slotwise_web::views::{Location, ProfessionalView};
use slotwise_web::{ApiError, FieldError, Problems};

pub struct SearchApi;

const MAX_SLOT_RANGE_DAYS: i64 = 31;
const MAX_SLOTS: usize = 500;

#[derive(Debug, Object)]
pub struct ProfessionalHit {
    pub id: uuid::Uuid,
    pub slug: String,
    pub name: String,
    pub category: String,
    pub rate_per_minute: i64,
    pub currency: String,
    pub location: Location,
    #[oai(skip_serializing_if_is_none)]
    pub service_radius_km: Option<f64>,
    /// Great-circle distance from the searched point; absent without `lat`/`long`.
    #[oai(skip_serializing_if_is_none)]
    pub distance_km: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub travel_mode: Option<TravelMode>,
    #[oai(skip_serializing_if_is_none)]
    pub travel_time_minutes: Option<i64>,
}

#[derive(Debug, Object)]
pub struct SearchPage {
    pub items: Vec<ProfessionalHit>,
    /// Pass as `cursor` for the next page; null on the last one.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
pub struct SlotView {
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
}

#[derive(Debug, Object)]
pub struct SlotList {
    pub items: Vec<SlotView>,
}

fn hit_view(hit: SearchHit, mode: TravelMode) -> ProfessionalHit {
    let distance_km = hit.distance_m.map(|m| (m / 10.0).round() / 100.0);
    let mode = mode.normalized();
    ProfessionalHit {
        travel_mode: distance_km.map(|_| mode),
        travel_time_minutes: hit.distance_m.map(|m| mode.minutes_for(m / 1000.0)),
        id: hit.id,
        slug: hit.slug,
        name: hit.name,
        category: hit.category,
        rate_per_minute: hit.rate_per_minute,
        currency: hit.currency,
        location: Location {
            lat: hit.lat,
            long: hit.long,
        },
        service_radius_km: hit.service_radius_km,
        distance_km,
    }
}

#[OpenApi]
impl SearchApi {
    /// Professionals near a point, by category, maximum rate and free time.
    ///
    /// `rate_per_minute` is the most the client will pay per minute (cents).
    /// Without `lat`/`long` no distance is computed and results are unordered by place.
    /// With `available_at` (+ `duration_minutes`, default 60) only professionals free
    /// for that whole slot are returned.
    #[oai(path = "/search/professionals", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        state: Data<&AppState>,
        #[oai(validator(minimum(value = "-90"), maximum(value = "90")))] lat: Query<Option<f64>>,
        #[oai(validator(minimum(value = "-180"), maximum(value = "180")))] long: Query<Option<f64>>,
        #[oai(validator(minimum(value = "0", exclusive), maximum(value = "500")))]
        location_radius_km: Query<Option<f64>>,
        category: Query<Option<String>>,
        #[oai(validator(minimum(value = "0")))] rate_per_minute: Query<Option<i64>>,
        travel_mode: Query<Option<TravelMode>>,
        available_at: Query<Option<DateTime<FixedOffset>>>,
        #[oai(validator(minimum(value = "5"), maximum(value = "480")))] duration_minutes: Query<
            Option<i64>,
        >,
        sort: Query<Option<SortBy>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u32>>,
        #[oai(validator(min_length = 1))] cursor: Query<Option<String>>,
    ) -> Result<Json<SearchPage>, Problems<{ BAD_REQUEST | UNAVAILABLE }>> {
        let mut query = build_query(
            lat.0,
            long.0,
            location_radius_km.0,
            category.0,
            rate_per_minute.0,
            available_at.0,
            duration_minutes.0,
            sort.0,
            limit.0,
            cursor.0.as_deref(),
        )?;
        let page_size = query.limit as usize;
        query.limit += 1;
        let mut conn = state.pool.get().await?;
        let mut hits = search_professionals(&mut conn, &query).await?;
        let next_cursor = (hits.len() > page_size)
            .then(|| {
                hits.truncate(page_size);
                hits.last().map(|h| encode_cursor(&h.cursor(query.sort)))
            })
            .flatten();
        let mode = travel_mode.0.unwrap_or(TravelMode::Driving);
        let items = hits.into_iter().map(|h| hit_view(h, mode)).collect();
        Ok(Json(SearchPage { items, next_cursor }))
    }

    /// A professional by id or slug.
    #[oai(path = "/professionals/:id", method = "get")]
    async fn professional(
        &self,
        state: Data<&AppState>,
        id: Path<String>,
    ) -> Result<Json<ProfessionalView>, Problems<{ NOT_FOUND | UNAVAILABLE }>> {
        let mut conn = state.pool.get().await?;
        let pro = Professional::find(&mut conn, &ProfessionalRef::parse(&id))
            .await?
            .ok_or_else(|| ApiError::not_found("professional"))?;
        Ok(Json(pro.into()))
    }

    /// Free bookable slots in `[from, to)` (default: the next 7 days; at most 31 days, 500 slots).
    ///
    /// Slots start every 15 minutes inside availability windows and avoid active bookings.
    #[oai(path = "/professionals/:id/slots", method = "get")]
    async fn slots(
        &self,
        state: Data<&AppState>,
        id: Path<String>,
        from: Query<Option<DateTime<FixedOffset>>>,
        to: Query<Option<DateTime<FixedOffset>>>,
        #[oai(validator(minimum(value = "5"), maximum(value = "480")))] duration_minutes: Query<
            Option<i64>,
        >,
    ) -> Result<Json<SlotList>, Problems<{ BAD_REQUEST | NOT_FOUND | UNAVAILABLE }>> {
        let now = Utc::now();
        let from = from.0.map(|t| t.with_timezone(&Utc)).unwrap_or(now);
        let to =
            to.0.map(|t| t.with_timezone(&Utc))
                .unwrap_or(from + Duration::days(7));
        let duration = duration_minutes.0.unwrap_or(30);
        let mut errors = Vec::new();
        if to <= from || to - from > Duration::days(MAX_SLOT_RANGE_DAYS) {
            errors.push(FieldError::new(
                "to",
                "must be after from, at most 31 days later",
            ));
        }
        if !(5..=480).contains(&duration) {
            errors.push(FieldError::new(
                "duration_minutes",
                "must be between 5 and 480",
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors).into());
        }
        let mut conn = state.pool.get().await?;
        let (pro, rules) =
            slotwise_db::schedules::find_with_rules(&mut conn, &ProfessionalRef::parse(&id))
                .await?
                .ok_or_else(|| ApiError::not_found("professional"))?;
        let windows =
            AvailabilityWindow::list_overlapping(&mut conn, pro.id, from, to, 1000).await?;
        let (buffer, notice) = (rules.buffer_minutes, rules.min_notice_minutes);
        let buffer = Duration::minutes(i64::from(buffer));
        // A slot keeps the buffer free after itself too: it must end that long
        // before the next booking starts.
        let busy: Vec<_> = busy_spans(&mut conn, pro.id, from - buffer, to + buffer)
            .await?
            .into_iter()
            .map(|(start, end)| (start - buffer, end))
            .collect();
        let slots = free_slots(
            &windows,
            &busy,
            from,
            to,
            now + Duration::minutes(i64::from(notice)),
            Duration::minutes(duration),
            MAX_SLOTS,
        );
        Ok(Json(SlotList {
            items: slots
                .into_iter()
                .map(|s| SlotView {
                    start_time: s.start,
                    end_time: s.end,
                })
                .collect(),
        }))
    }
}
