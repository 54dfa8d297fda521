//! Stored people.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::people;
use super::{DbConnection, MultiBackend};
use crate::domain::ids::{PartyId, PersonId};
use crate::domain::page::{PageRequest, parse_text_key, parse_timestamp_key};
use crate::domain::people::{Person, PersonData, PersonFilter, PersonSort};

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = people, treat_none_as_null = true, treat_none_as_default_value = false)]
struct PersonRow {
    id: String,
    party_id: String,
    name: String,
    job_title: Option<String>,
    email: Option<String>,
    telephone: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
}

impl PersonRow {
    fn from_domain(person: &Person) -> Self {
        let d = &person.data;
        PersonRow {
            id: person.id.to_string(),
            party_id: d.party_id.to_string(),
            name: d.name.clone(),
            job_title: d.job_title.clone(),
            email: d.email.clone(),
            telephone: d.telephone.clone(),
            created_at: person.created_at,
            updated_at: person.updated_at,
            version: person.version,
        }
    }

    fn into_domain(self) -> Person {
        Person {
            id: PersonId::from_db(self.id),
            data: PersonData {
                party_id: PartyId::from_db(self.party_id),
                name: self.name,
                job_title: self.job_title,
                email: self.email,
                telephone: self.telephone,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }
}

fn filtered(filter: &PersonFilter) -> people::BoxedQuery<'static, MultiBackend> {
    let mut query = people::table.into_boxed();
    if let Some(party) = &filter.party_id {
        query = query.filter(people::party_id.eq(party.to_string()));
    }
    query
}

/// Inserts many rows in batches (bulk loads; no consortium members or co-investors).
pub fn insert_many(conn: &mut DbConnection, items: &[Person]) -> QueryResult<()> {
    let rows: Vec<PersonRow> = items.iter().map(PersonRow::from_domain).collect();
    for chunk in rows.chunks(500) {
        crate::insert_batch!(conn, people::table, chunk)?;
    }
    Ok(())
}

pub fn insert(conn: &mut DbConnection, person: &Person) -> QueryResult<()> {
    diesel::insert_into(people::table)
        .values(PersonRow::from_domain(person))
        .execute(conn)
        .map(drop)
}

/// Writes `person` over the stored row if that row is still at `previous_version`.
pub fn update(
    conn: &mut DbConnection,
    person: &Person,
    previous_version: i32,
) -> QueryResult<bool> {
    diesel::update(
        people::table
            .find(person.id.as_str())
            .filter(people::version.eq(previous_version)),
    )
    .set(PersonRow::from_domain(person))
    .execute(conn)
    .map(|n| n > 0)
}

pub fn get(conn: &mut DbConnection, id: &PersonId) -> QueryResult<Option<Person>> {
    Ok(people::table
        .find(id.as_str())
        .select(PersonRow::as_select())
        .first(conn)
        .optional()?
        .map(PersonRow::into_domain))
}

/// The people of a party, oldest first (an import matches a named person among them).
pub fn of_party(conn: &mut DbConnection, party: &PartyId) -> QueryResult<Vec<Person>> {
    Ok(people::table
        .filter(people::party_id.eq(party.as_str()))
        .order((people::created_at, people::id))
        .limit(1000)
        .select(PersonRow::as_select())
        .load(conn)?
        .into_iter()
        .map(PersonRow::into_domain)
        .collect())
}

pub fn exists(conn: &mut DbConnection, id: &PersonId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(people::table.find(id.as_str()))).get_result(conn)
}

pub fn list(
    conn: &mut DbConnection,
    filter: &PersonFilter,
    page: &PageRequest<PersonSort>,
) -> QueryResult<Vec<Person>> {
    let mut query = filtered(filter);
    let rows = match page.sort {
        PersonSort::Created => crate::keyset!(query, page, people::id),
        PersonSort::Updated => crate::keyset!(
            query,
            page,
            people::id,
            people::updated_at,
            parse_timestamp_key
        ),
        PersonSort::Name => crate::keyset!(query, page, people::id, people::name, parse_text_key),
    }
    .select(PersonRow::as_select())
    .load(conn)?;
    Ok(rows.into_iter().map(PersonRow::into_domain).collect())
}

pub fn count(conn: &mut DbConnection, filter: &PersonFilter) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn)
}

pub fn delete(conn: &mut DbConnection, id: &PersonId) -> QueryResult<bool> {
    diesel::delete(people::table.find(id.as_str()))
        .execute(conn)
        .map(|n| n > 0)
}
