//! Professionals: the people clients book.

use crate::schema::professionals;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = professionals)]
pub struct Professional {
    pub id: Uuid,
    pub slug: String,
    pub owner_id: Uuid,
    pub name: String,
    pub category: String,
    pub description: String,
    pub rate_per_minute: i64,
    pub currency: String,
    pub lat: f64,
    pub long: f64,
    pub service_radius_km: Option<f64>,
    pub timezone: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A partial update; `None` leaves a field as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = professionals)]
pub struct ProfessionalChanges {
    pub name: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
    pub rate_per_minute: Option<i64>,
    pub currency: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub service_radius_km: Option<Option<f64>>,
    pub timezone: Option<String>,
}

/// How a caller names a professional: its UUID or its slug.
#[derive(Debug, Clone)]
pub enum ProfessionalRef {
    Id(Uuid),
    Slug(String),
}

impl ProfessionalRef {
    pub fn parse(s: &str) -> Self {
        match Uuid::parse_str(s) {
            Ok(id) => ProfessionalRef::Id(id),
            Err(_) => ProfessionalRef::Slug(s.to_owned()),
        }
    }
}

impl Professional {
    pub async fn insert(conn: &mut AsyncPgConnection, pro: &Professional) -> QueryResult<()> {
        diesel::insert_into(professionals::table)
            .values(pro)
            .execute(conn)
            .await
            .map(drop)
    }

    pub async fn find(
        conn: &mut AsyncPgConnection,
        reference: &ProfessionalRef,
    ) -> QueryResult<Option<Professional>> {
        // Two static queries rather than one boxed: each keeps a cached prepared statement.
        let select = professionals::table.select(Professional::as_select());
        match reference {
            ProfessionalRef::Id(id) => select.filter(professionals::id.eq(*id)).first(conn).await,
            ProfessionalRef::Slug(slug) => {
                select
                    .filter(professionals::slug.eq(slug))
                    .first(conn)
                    .await
            }
        }
        .optional()
    }

    /// Applies `changes` only if the stored version is still `expected_version`;
    /// `None` means the version was stale (or the row is gone).
    pub async fn update_if_version(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        expected_version: i64,
        changes: &ProfessionalChanges,
    ) -> QueryResult<Option<Professional>> {
        diesel::update(professionals::table)
            .filter(professionals::id.eq(id))
            .filter(professionals::version.eq(expected_version))
            .set((
                changes,
                professionals::version.eq(professionals::version + 1),
                professionals::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Professional::as_returning())
            .get_result(conn)
            .await
            .optional()
    }
}

impl Professional {
    /// Inserts professionals whose slug is free; returns how many went in.
    pub async fn insert_missing(
        conn: &mut AsyncPgConnection,
        pros: &[Professional],
    ) -> QueryResult<usize> {
        diesel::insert_into(professionals::table)
            .values(pros)
            .on_conflict(professionals::slug)
            .do_nothing()
            .execute(conn)
            .await
    }
}
