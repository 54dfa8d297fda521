//! Rules for people: officers only.

use diesel::QueryResult;

use super::crud::{self, Resource};
use super::{AppState, check_references};
use crate::api::pagination::{ListRequest, Listed};
use crate::api::parse::apply_patch;
use crate::api::people::{LIST, PersonInput, PersonListQuery, PersonResponse, location};
use crate::api::reply::{IdempotencyKey, Reply};
use crate::domain::access::Caller;
use crate::domain::events::Audience;
use crate::domain::ids::PersonId;
use crate::domain::page::PageRequest;
use crate::domain::people::{Person, PersonData, PersonFilter, PersonSort};
use crate::domain::stored::Expected;
use crate::error::{AppError, FieldError};
use crate::persistence::people as store;
use crate::persistence::{DbConnection, parties};

/// People, as a plain resource.
pub(crate) struct People;

impl Resource for People {
    type Id = PersonId;
    type Data = PersonData;
    type Filter = PersonFilter;
    type Sort = PersonSort;
    const NAME: &'static str = "person";
    const TABLE: &'static str = "people";
    const EVENTS: [&'static str; 3] = ["person.created", "person.updated", "person.deleted"];

    fn new_id() -> PersonId {
        PersonId::generate()
    }
    fn insert(conn: &mut DbConnection, item: &Person) -> QueryResult<()> {
        store::insert(conn, item)
    }
    fn get(conn: &mut DbConnection, id: &PersonId) -> QueryResult<Option<Person>> {
        store::get(conn, id)
    }
    fn update(conn: &mut DbConnection, item: &Person, previous: i32) -> QueryResult<bool> {
        store::update(conn, item, previous)
    }
    fn delete(conn: &mut DbConnection, id: &PersonId) -> QueryResult<bool> {
        store::delete(conn, id)
    }
    fn list(
        conn: &mut DbConnection,
        filter: &PersonFilter,
        page: &PageRequest<PersonSort>,
    ) -> QueryResult<Vec<Person>> {
        store::list(conn, filter, page)
    }
    fn count(conn: &mut DbConnection, filter: &PersonFilter) -> QueryResult<i64> {
        store::count(conn, filter)
    }

    fn validate(
        conn: &mut DbConnection,
        data: &PersonData,
        _: Option<&PersonId>,
    ) -> Result<(), AppError> {
        let mut problems = Vec::new();
        if !parties::exists(conn, &data.party_id)? {
            problems.push(FieldError::new("/partyId", "no party has this id"));
        }
        check_references(problems)
    }

    /// People are officers' business.
    fn audience(_: &PersonId) -> Audience {
        Audience::Staff
    }
}

fn person_id(caller: &Caller, id: &str) -> Result<PersonId, AppError> {
    caller.require_staff()?;
    PersonId::parse(id).ok_or(AppError::NotFound)
}

/// Creates a person (officers).
pub async fn create(
    state: &AppState,
    caller: &Caller,
    key: Option<IdempotencyKey>,
    input: PersonInput,
) -> Result<Reply, AppError> {
    caller.require_staff()?;
    let data = input.parse()?;
    crud::create::<People, _>(state, caller, key, data, |person, _| {
        Reply::created(
            location(&person.id),
            Some(person.version),
            &PersonResponse::from(person),
        )
    })
    .await
}

pub async fn get(state: &AppState, caller: &Caller, id: &str) -> Result<Person, AppError> {
    let id = person_id(caller, id)?;
    crud::get::<People>(state, id).await
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    request: ListRequest<PersonListQuery>,
) -> Result<Listed<Person, PersonSort>, AppError> {
    caller.require_staff()?;
    let paging = request.paging(&state.cursors, request.query.paging(), &LIST)?;
    let filter = request.query.filter()?;
    let (items, total) =
        crud::list::<People>(state, filter, paging.request.clone(), paging.with_total).await?;
    Ok(Listed {
        paging,
        items,
        total,
    })
}

/// Applies a JSON Merge Patch to a person.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    expected: Expected,
    patch: serde_json::Value,
) -> Result<Person, AppError> {
    let id = person_id(caller, id)?;
    crud::update::<People>(state, id, expected, move |current| {
        apply_patch(&PersonInput::from(&current.data), patch)?.parse()
    })
    .await
}

/// Deletes a person nothing refers to; otherwise 409.
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    id: &str,
    expected: Expected,
) -> Result<(), AppError> {
    let id = person_id(caller, id)?;
    crud::delete::<People>(state, id, expected).await
}
