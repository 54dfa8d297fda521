//! Rules for initiatives: officers write, everyone reads.

use diesel::QueryResult;

use super::crud::{self, Resource};
use super::{AppState, check_references};
use crate::api::initiatives::{
    InitiativeInput, InitiativeListQuery, InitiativeResponse, LIST, location,
};
use crate::api::pagination::{ListRequest, Listed};
use crate::api::parse::apply_patch;
use crate::api::reply::{IdempotencyKey, Reply};
use crate::domain::access::Caller;
use crate::domain::events::Audience;
use crate::domain::ids::InitiativeId;
use crate::domain::initiatives::{Initiative, InitiativeData, InitiativeSort};
use crate::domain::page::PageRequest;
use crate::domain::stored::Expected;
use crate::error::{AppError, FieldError};
use crate::persistence::initiatives as store;
use crate::persistence::{DbConnection, parties, people};

/// Initiatives, as a plain resource (lists of them take no filter).
pub(crate) struct Initiatives;

impl Resource for Initiatives {
    type Id = InitiativeId;
    type Data = InitiativeData;
    type Filter = ();
    type Sort = InitiativeSort;
    const NAME: &'static str = "initiative";
    const TABLE: &'static str = "initiatives";
    const EVENTS: [&'static str; 3] = [
        "initiative.created",
        "initiative.updated",
        "initiative.deleted",
    ];

    fn new_id() -> InitiativeId {
        InitiativeId::generate()
    }
    fn insert(conn: &mut DbConnection, item: &Initiative) -> QueryResult<()> {
        store::insert(conn, item)
    }
    fn get(conn: &mut DbConnection, id: &InitiativeId) -> QueryResult<Option<Initiative>> {
        store::get(conn, id)
    }
    fn update(conn: &mut DbConnection, item: &Initiative, previous: i32) -> QueryResult<bool> {
        store::update(conn, item, previous)
    }
    fn delete(conn: &mut DbConnection, id: &InitiativeId) -> QueryResult<bool> {
        store::delete(conn, id)
    }
    fn list(
        conn: &mut DbConnection,
        _: &(),
        page: &PageRequest<InitiativeSort>,
    ) -> QueryResult<Vec<Initiative>> {
        store::list(conn, page)
    }
    fn count(conn: &mut DbConnection, _: &()) -> QueryResult<i64> {
        store::count(conn)
    }

    fn validate(
        conn: &mut DbConnection,
        data: &InitiativeData,
        _: Option<&InitiativeId>,
    ) -> Result<(), AppError> {
        let mut problems = Vec::new();
        if let Some(party) = &data.lead_party_id
            && !parties::exists(conn, party)?
        {
            problems.push(FieldError::new("/leadPartyId", "no party has this id"));
        }
        if let Some(person) = &data.focal_person_id
            && !people::exists(conn, person)?
        {
            problems.push(FieldError::new("/focalPersonId", "no person has this id"));
        }
        check_references(problems)
    }

    /// Initiatives are public.
    fn audience(_: &InitiativeId) -> Audience {
        Audience::Public
    }
}

fn initiative_id(id: &str) -> Result<InitiativeId, AppError> {
    InitiativeId::parse(id).ok_or(AppError::NotFound)
}

/// Creates an initiative (officers).
pub async fn create(
    state: &AppState,
    caller: &Caller,
    key: Option<IdempotencyKey>,
    input: InitiativeInput,
) -> Result<Reply, AppError> {
    caller.require_staff()?;
    let data = input.parse()?;
    crud::create::<Initiatives, _>(state, caller, key, data, |initiative, _| {
        Reply::created(
            location(&initiative.id),
            Some(initiative.version),
            &InitiativeResponse::from(initiative),
        )
    })
    .await
}

/// An initiative (anyone).
pub async fn get(state: &AppState, id: &str) -> Result<Initiative, AppError> {
    crud::get::<Initiatives>(state, initiative_id(id)?).await
}

/// A page of initiatives (anyone).
pub async fn list(
    state: &AppState,
    request: ListRequest<InitiativeListQuery>,
) -> Result<Listed<Initiative, InitiativeSort>, AppError> {
    let paging = request.paging(&state.cursors, request.query.paging(), &LIST)?;
    let (items, total) =
        crud::list::<Initiatives>(state, (), paging.request.clone(), paging.with_total).await?;
    Ok(Listed {
        paging,
        items,
        total,
    })
}

/// Applies a JSON Merge Patch to an initiative (officers).
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    expected: Expected,
    patch: serde_json::Value,
) -> Result<Initiative, AppError> {
    caller.require_staff()?;
    crud::update::<Initiatives>(state, initiative_id(id)?, expected, move |current| {
        apply_patch(&InitiativeInput::from(&current.data), patch)?.parse()
    })
    .await
}

/// Deletes an initiative nothing refers to (officers); otherwise 409.
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    id: &str,
    expected: Expected,
) -> Result<(), AppError> {
    caller.require_staff()?;
    crud::delete::<Initiatives>(state, initiative_id(id)?, expected).await
}
