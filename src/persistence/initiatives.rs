//! Stored initiatives.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::initiatives;
use super::{DbConnection, MultiBackend};
use crate::domain::codes::CountryCode;
use crate::domain::ids::{InitiativeId, PartyId, PersonId};
use crate::domain::initiatives::{Initiative, InitiativeData, InitiativeSort};
use crate::domain::page::{PageRequest, parse_text_key, parse_timestamp_key};
use crate::persistence::api_keys::corrupt;

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = initiatives, treat_none_as_null = true)]
struct InitiativeRow {
    id: String,
    name: String,
    description: Option<String>,
    /// JSON array of country codes.
    countries: String,
    lead_party_id: Option<String>,
    focal_person_id: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
}

impl InitiativeRow {
    fn from_domain(initiative: &Initiative) -> Self {
        let d = &initiative.data;
        InitiativeRow {
            id: initiative.id.to_string(),
            name: d.name.clone(),
            description: d.description.clone(),
            countries: serde_json::to_string(&d.countries).unwrap_or_else(|_| "[]".into()),
            lead_party_id: d.lead_party_id.as_ref().map(|p| p.to_string()),
            focal_person_id: d.focal_person_id.as_ref().map(|p| p.to_string()),
            created_at: initiative.created_at,
            updated_at: initiative.updated_at,
            version: initiative.version,
        }
    }

    fn into_domain(self) -> QueryResult<Initiative> {
        let countries: Vec<CountryCode> =
            serde_json::from_str(&self.countries).map_err(|e| corrupt(e.to_string()))?;
        Ok(Initiative {
            id: InitiativeId::from_db(self.id),
            data: InitiativeData {
                name: self.name,
                description: self.description,
                countries,
                lead_party_id: self.lead_party_id.map(PartyId::from_db),
                focal_person_id: self.focal_person_id.map(PersonId::from_db),
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        })
    }
}

fn all() -> initiatives::BoxedQuery<'static, MultiBackend> {
    initiatives::table.into_boxed()
}

pub fn insert(conn: &mut DbConnection, initiative: &Initiative) -> QueryResult<()> {
    diesel::insert_into(initiatives::table)
        .values(InitiativeRow::from_domain(initiative))
        .execute(conn)
        .map(drop)
}

/// Writes `initiative` over the stored row if that row is still at `previous_version`.
pub fn update(
    conn: &mut DbConnection,
    initiative: &Initiative,
    previous_version: i32,
) -> QueryResult<bool> {
    diesel::update(
        initiatives::table
            .find(initiative.id.as_str())
            .filter(initiatives::version.eq(previous_version)),
    )
    .set(InitiativeRow::from_domain(initiative))
    .execute(conn)
    .map(|n| n > 0)
}

pub fn get(conn: &mut DbConnection, id: &InitiativeId) -> QueryResult<Option<Initiative>> {
    initiatives::table
        .find(id.as_str())
        .select(InitiativeRow::as_select())
        .first(conn)
        .optional()?
        .map(InitiativeRow::into_domain)
        .transpose()
}

pub fn exists(conn: &mut DbConnection, id: &InitiativeId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(initiatives::table.find(id.as_str()))).get_result(conn)
}

pub fn list(
    conn: &mut DbConnection,
    page: &PageRequest<InitiativeSort>,
) -> QueryResult<Vec<Initiative>> {
    let mut query = all();
    let rows = match page.sort {
        InitiativeSort::Created => crate::keyset!(query, page, initiatives::id),
        InitiativeSort::Updated => crate::keyset!(
            query,
            page,
            initiatives::id,
            initiatives::updated_at,
            parse_timestamp_key
        ),
        InitiativeSort::Name => crate::keyset!(
            query,
            page,
            initiatives::id,
            initiatives::name,
            parse_text_key
        ),
    }
    .select(InitiativeRow::as_select())
    .load(conn)?;
    rows.into_iter().map(InitiativeRow::into_domain).collect()
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    all().count().get_result(conn)
}

pub fn delete(conn: &mut DbConnection, id: &InitiativeId) -> QueryResult<bool> {
    diesel::delete(initiatives::table.find(id.as_str()))
        .execute(conn)
        .map(|n| n > 0)
}
