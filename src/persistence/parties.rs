//! Stored parties and consortium memberships.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{parties, party_members};
use super::{DbConnection, MultiBackend};
use crate::domain::codes::{CountryCode, PartyKind};
use crate::domain::ids::{PartyId, PersonId};
use crate::domain::page::{PageRequest, parse_text_key, parse_timestamp_key};
use crate::domain::parties::{ContactPoint, Identifier, Party, PartyData, PartyFilter, PartySort};
use crate::persistence::api_keys::corrupt;

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = parties, treat_none_as_null = true, treat_none_as_default_value = false)]
struct PartyRow {
    id: String,
    name: String,
    kind: String,
    country: String,
    identifier_scheme: Option<String>,
    identifier_id: Option<String>,
    website: Option<String>,
    contact_name: Option<String>,
    contact_email: Option<String>,
    contact_telephone: Option<String>,
    focal_person_id: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
}

impl PartyRow {
    fn from_domain(party: &Party) -> Self {
        let d = &party.data;
        let contact = d.contact_point.clone().unwrap_or_default();
        PartyRow {
            id: party.id.to_string(),
            name: d.name.clone(),
            kind: d.kind.as_str().to_owned(),
            country: d.country.to_string(),
            identifier_scheme: d.identifier.as_ref().map(|i| i.scheme.clone()),
            identifier_id: d.identifier.as_ref().map(|i| i.id.clone()),
            website: d.website.clone(),
            contact_name: contact.name,
            contact_email: contact.email,
            contact_telephone: contact.telephone,
            focal_person_id: d.focal_person_id.as_ref().map(|p| p.to_string()),
            created_at: party.created_at,
            updated_at: party.updated_at,
            version: party.version,
        }
    }

    fn into_domain(self, member_ids: Vec<PartyId>) -> QueryResult<Party> {
        let contact_point = (self.contact_name.is_some()
            || self.contact_email.is_some()
            || self.contact_telephone.is_some())
        .then_some(ContactPoint {
            name: self.contact_name,
            email: self.contact_email,
            telephone: self.contact_telephone,
        });
        Ok(Party {
            id: PartyId::from_db(self.id),
            data: PartyData {
                name: self.name,
                kind: PartyKind::from_db(&self.kind).map_err(corrupt)?,
                country: CountryCode::from_db(self.country),
                identifier: match (self.identifier_scheme, self.identifier_id) {
                    (Some(scheme), Some(id)) => Some(Identifier { scheme, id }),
                    _ => None,
                },
                website: self.website,
                contact_point,
                member_ids,
                focal_person_id: self.focal_person_id.map(PersonId::from_db),
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        })
    }
}

fn filtered(filter: &PartyFilter) -> parties::BoxedQuery<'static, MultiBackend> {
    let mut query = parties::table.into_boxed();
    if let Some(only) = &filter.only {
        query = query.filter(parties::id.eq(only.to_string()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(parties::kind.eq(kind.as_str()));
    }
    if let Some(country) = &filter.country {
        query = query.filter(parties::country.eq(country.to_string()));
    }
    query
}

fn replace_members(conn: &mut DbConnection, party: &Party) -> QueryResult<()> {
    diesel::delete(party_members::table.filter(party_members::party_id.eq(party.id.as_str())))
        .execute(conn)?;
    for (position, member) in party.data.member_ids.iter().enumerate() {
        diesel::insert_into(party_members::table)
            .values((
                party_members::party_id.eq(party.id.as_str()),
                party_members::member_id.eq(member.as_str()),
                party_members::position.eq(position as i32),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn members_of(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    party_members::table
        .filter(party_members::party_id.eq_any(ids))
        .order((party_members::party_id, party_members::position))
        .select((party_members::party_id, party_members::member_id))
        .load(conn)
}

fn with_members(conn: &mut DbConnection, rows: Vec<PartyRow>) -> QueryResult<Vec<Party>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let members = members_of(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let mine = members
                .iter()
                .filter(|(owner, _)| *owner == row.id)
                .map(|(_, m)| PartyId::from_db(m.clone()))
                .collect();
            row.into_domain(mine)
        })
        .collect()
}

/// Inserts many rows in batches (bulk loads; no consortium members or co-investors).
pub fn insert_many(conn: &mut DbConnection, items: &[Party]) -> QueryResult<()> {
    let rows: Vec<PartyRow> = items.iter().map(PartyRow::from_domain).collect();
    for chunk in rows.chunks(500) {
        crate::insert_batch!(conn, parties::table, chunk)?;
    }
    Ok(())
}

pub fn insert(conn: &mut DbConnection, party: &Party) -> QueryResult<()> {
    diesel::insert_into(parties::table)
        .values(PartyRow::from_domain(party))
        .execute(conn)?;
    replace_members(conn, party)
}

/// Writes `party` over the stored row if that row is still at `previous_version`.
pub fn update(conn: &mut DbConnection, party: &Party, previous_version: i32) -> QueryResult<bool> {
    let changed = diesel::update(
        parties::table
            .find(party.id.as_str())
            .filter(parties::version.eq(previous_version)),
    )
    .set(PartyRow::from_domain(party))
    .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    replace_members(conn, party)?;
    Ok(true)
}

/// The party of a row read alone, with its members.
fn with_members_of(conn: &mut DbConnection, row: Option<PartyRow>) -> QueryResult<Option<Party>> {
    match row {
        Some(row) => Ok(with_members(conn, vec![row])?.pop()),
        None => Ok(None),
    }
}

pub fn get(conn: &mut DbConnection, id: &PartyId) -> QueryResult<Option<Party>> {
    let row = parties::table
        .find(id.as_str())
        .select(PartyRow::as_select())
        .first(conn)
        .optional()?;
    with_members_of(conn, row)
}

pub fn exists(conn: &mut DbConnection, id: &PartyId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(parties::table.find(id.as_str()))).get_result(conn)
}

pub fn list(
    conn: &mut DbConnection,
    filter: &PartyFilter,
    page: &PageRequest<PartySort>,
) -> QueryResult<Vec<Party>> {
    let mut query = filtered(filter);
    let rows = match page.sort {
        PartySort::Created => crate::keyset!(query, page, parties::id),
        PartySort::Updated => crate::keyset!(
            query,
            page,
            parties::id,
            parties::updated_at,
            parse_timestamp_key
        ),
        PartySort::Name => crate::keyset!(query, page, parties::id, parties::name, parse_text_key),
    }
    .select(PartyRow::as_select())
    .load(conn)?;
    with_members(conn, rows)
}

pub fn count(conn: &mut DbConnection, filter: &PartyFilter) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn)
}

pub fn delete(conn: &mut DbConnection, id: &PartyId) -> QueryResult<bool> {
    diesel::delete(parties::table.find(id.as_str()))
        .execute(conn)
        .map(|n| n > 0)
}

/// The oldest party with exactly this name (an import's party without an identifier).
pub fn find_by_name(conn: &mut DbConnection, name: &str) -> QueryResult<Option<Party>> {
    let row = parties::table
        .filter(parties::name.eq(name))
        .order((parties::created_at, parties::id))
        .select(PartyRow::as_select())
        .first(conn)
        .optional()?;
    with_members_of(conn, row)
}

/// The party registered under an identifier.
pub fn find_by_identifier(
    conn: &mut DbConnection,
    scheme: &str,
    id: &str,
) -> QueryResult<Option<Party>> {
    let row = parties::table
        .filter(parties::identifier_scheme.eq(scheme))
        .filter(parties::identifier_id.eq(id))
        .select(PartyRow::as_select())
        .first(conn)
        .optional()?;
    with_members_of(conn, row)
}
