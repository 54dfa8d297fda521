//! Rules for parties: officers write and read all; an investor reads only its own party.

use diesel::QueryResult;

use super::crud::{self, Resource};
use super::{AppState, check_references};
use crate::api::pagination::{ListRequest, Listed};
use crate::api::parse::apply_patch;
use crate::api::parties::{LIST, PartyInput, PartyListQuery, PartyResponse, location};
use crate::api::reply::{IdempotencyKey, Reply};
use crate::domain::access::Caller;
use crate::domain::codes::PartyKind;
use crate::domain::events::Audience;
use crate::domain::ids::PartyId;
use crate::domain::page::PageRequest;
use crate::domain::parties::{Party, PartyData, PartyFilter, PartySort};
use crate::domain::stored::Expected;
use crate::error::{AppError, FieldError};
use crate::persistence::parties as store;
use crate::persistence::{DbConnection, people};

/// Parties, as a plain resource.
pub(crate) struct Parties;

impl Resource for Parties {
    type Id = PartyId;
    type Data = PartyData;
    type Filter = PartyFilter;
    type Sort = PartySort;
    const NAME: &'static str = "party";
    const TABLE: &'static str = "parties";
    const EVENTS: [&'static str; 3] = ["party.created", "party.updated", "party.deleted"];

    fn new_id() -> PartyId {
        PartyId::generate()
    }
    fn insert(conn: &mut DbConnection, item: &Party) -> QueryResult<()> {
        store::insert(conn, item)
    }
    fn get(conn: &mut DbConnection, id: &PartyId) -> QueryResult<Option<Party>> {
        store::get(conn, id)
    }
    fn update(conn: &mut DbConnection, item: &Party, previous: i32) -> QueryResult<bool> {
        store::update(conn, item, previous)
    }
    fn delete(conn: &mut DbConnection, id: &PartyId) -> QueryResult<bool> {
        store::delete(conn, id)
    }
    fn list(
        conn: &mut DbConnection,
        filter: &PartyFilter,
        page: &PageRequest<PartySort>,
    ) -> QueryResult<Vec<Party>> {
        store::list(conn, filter, page)
    }
    fn count(conn: &mut DbConnection, filter: &PartyFilter) -> QueryResult<i64> {
        store::count(conn, filter)
    }

    fn validate(
        conn: &mut DbConnection,
        data: &PartyData,
        this: Option<&PartyId>,
    ) -> Result<(), AppError> {
        let mut problems = Vec::new();
        if !data.member_ids.is_empty() && data.kind != PartyKind::Consortium {
            problems.push(FieldError::new(
                "/memberIds",
                "only a consortium has members",
            ));
        }
        for (i, member) in data.member_ids.iter().enumerate() {
            if Some(member) == this {
                problems.push(FieldError::new(
                    format!("/memberIds/{i}"),
                    "a consortium cannot be its own member",
                ));
            } else if !store::exists(conn, member)? {
                problems.push(FieldError::new(
                    format!("/memberIds/{i}"),
                    "no party has this id",
                ));
            }
        }
        if let Some(person) = &data.focal_person_id
            && !people::exists(conn, person)?
        {
            problems.push(FieldError::new("/focalPersonId", "no person has this id"));
        }
        check_references(problems)
    }

    /// Party events reach officers and the party's own investors.
    fn audience(id: &PartyId) -> Audience {
        Audience::Parties(vec![id.clone()])
    }
}

/// The party `id` names, if the caller may see it: officers see all, an investor its own party;
/// any other id is the same 404 as one that does not exist.
fn visible(caller: &Caller, id: &str) -> Result<PartyId, AppError> {
    caller.require_key()?;
    let id = PartyId::parse(id).ok_or(AppError::NotFound)?;
    if caller.is_staff() || caller.investor_party() == Some(&id) {
        Ok(id)
    } else {
        Err(AppError::NotFound)
    }
}

/// Creates a party (officers).
pub async fn create(
    state: &AppState,
    caller: &Caller,
    key: Option<IdempotencyKey>,
    input: PartyInput,
) -> Result<Reply, AppError> {
    caller.require_staff()?;
    let data = input.parse()?;
    crud::create::<Parties, _>(state, caller, key, data, |party, _| {
        Reply::created(
            location(&party.id),
            Some(party.version),
            &PartyResponse::from(party),
        )
    })
    .await
}

pub async fn get(state: &AppState, caller: &Caller, id: &str) -> Result<Party, AppError> {
    let id = visible(caller, id)?;
    crud::get::<Parties>(state, id).await
}

/// A page of parties: officers see all, an investor only its own.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    request: ListRequest<PartyListQuery>,
) -> Result<Listed<Party, PartySort>, AppError> {
    caller.require_key()?;
    let paging = request.paging(&state.cursors, request.query.paging(), &LIST)?;
    let mut filter = request.query.filter()?;
    if !caller.is_staff() {
        filter.only = caller.investor_party().cloned();
    }
    let (items, total) =
        crud::list::<Parties>(state, filter, paging.request.clone(), paging.with_total).await?;
    Ok(Listed {
        paging,
        items,
        total,
    })
}

/// Applies a JSON Merge Patch to a party (officers).
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    expected: Expected,
    patch: serde_json::Value,
) -> Result<Party, AppError> {
    caller.require_staff()?;
    let id = PartyId::parse(id).ok_or(AppError::NotFound)?;
    crud::update::<Parties>(state, id, expected, move |current| {
        apply_patch(&PartyInput::from(&current.data), patch)?.parse()
    })
    .await
}

/// Deletes a party nothing refers to (officers); otherwise 409.
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    id: &str,
    expected: Expected,
) -> Result<(), AppError> {
    caller.require_staff()?;
    let id = PartyId::parse(id).ok_or(AppError::NotFound)?;
    crud::delete::<Parties>(state, id, expected).await
}
