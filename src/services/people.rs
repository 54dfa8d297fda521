//! Rules for people: officers only.

use super::events::{event, record};
use super::{AppState, Expected, check_references, deleted, fresh, replace};
use crate::domain::access::Caller;
use crate::domain::events::Audience;
use crate::domain::ids::PersonId;
use crate::domain::page::PageRequest;
use crate::domain::people::{Person, PersonData};
use crate::domain::people::{PersonFilter, PersonSort};
use crate::error::{AppError, FieldError};
use crate::persistence::people as store;
use crate::persistence::{DbConnection, parties};

fn validate(conn: &mut DbConnection, data: &PersonData) -> Result<(), AppError> {
    let mut problems = Vec::new();
    if !parties::exists(conn, &data.party_id)? {
        problems.push(FieldError::new("/partyId", "no party has this id"));
    }
    check_references(problems)
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    data: PersonData,
) -> Result<Person, AppError> {
    caller.require_staff()?;
    state
        .db
        .write(move |conn| {
            validate(conn, &data)?;
            let person = fresh(PersonId::generate(), data);
            store::insert(conn, &person)?;
            record(
                conn,
                event(
                    "person.created",
                    &person.id,
                    Audience::Staff,
                    serde_json::json!({"id": person.id}),
                ),
            )?;
            Ok(person)
        })
        .await
}

pub async fn get(state: &AppState, caller: &Caller, id: PersonId) -> Result<Person, AppError> {
    caller.require_staff()?;
    state
        .db
        .run(move |conn| store::get(conn, &id)?.ok_or(AppError::NotFound))
        .await
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    filter: PersonFilter,
    page: PageRequest<PersonSort>,
    with_total: bool,
) -> Result<(Vec<Person>, Option<i64>), AppError> {
    caller.require_staff()?;
    state
        .db
        .run(move |conn| {
            let items = store::list(conn, &filter, &page)?;
            let total = if with_total {
                Some(store::count(conn, &filter)?)
            } else {
                None
            };
            Ok((items, total))
        })
        .await
}

/// Replaces a person's data with what `build` makes of the current person.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: PersonId,
    expected: Expected,
    build: impl FnOnce(&Person) -> Result<PersonData, AppError> + Send + 'static,
) -> Result<Person, AppError> {
    caller.require_staff()?;
    state
        .db
        .write(move |conn| {
            let current = store::get(conn, &id)?.ok_or(AppError::NotFound)?;
            let version = current.version;
            let next = replace(conn, current, &expected, build, validate, store::update)?;
            if next.version != version {
                record(
                    conn,
                    event(
                        "person.updated",
                        &next.id,
                        Audience::Staff,
                        serde_json::json!({"id": next.id}),
                    ),
                )?;
            }
            Ok(next)
        })
        .await
}

/// Deletes a person nothing refers to; otherwise 409.
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    id: PersonId,
    expected: Expected,
) -> Result<(), AppError> {
    caller.require_staff()?;
    state
        .db
        .write(move |conn| {
            let current = store::get(conn, &id)?.ok_or(AppError::NotFound)?;
            expected.check(current.version)?;
            deleted(store::delete(conn, &id), "person")?;
            record(
                conn,
                event(
                    "person.deleted",
                    &id,
                    Audience::Staff,
                    serde_json::json!({"id": id}),
                ),
            )
        })
        .await
}
