//! Rules for initiatives: officers write, everyone reads.

use super::events::{event, record};
use super::{AppState, Expected, check_references, deleted, fresh, replace};
use crate::domain::access::Caller;
use crate::domain::events::Audience;
use crate::domain::ids::InitiativeId;
use crate::domain::initiatives::InitiativeSort;
use crate::domain::initiatives::{Initiative, InitiativeData};
use crate::domain::page::PageRequest;
use crate::error::{AppError, FieldError};
use crate::persistence::initiatives as store;
use crate::persistence::{DbConnection, parties, people};

fn validate(conn: &mut DbConnection, data: &InitiativeData) -> Result<(), AppError> {
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

pub async fn create(
    state: &AppState,
    caller: &Caller,
    data: InitiativeData,
) -> Result<Initiative, AppError> {
    caller.require_staff()?;
    state
        .db
        .write(move |conn| {
            validate(conn, &data)?;
            let initiative = fresh(InitiativeId::generate(), data);
            store::insert(conn, &initiative)?;
            record(
                conn,
                event(
                    "initiative.created",
                    &initiative.id,
                    Audience::Public,
                    serde_json::json!({"id": initiative.id}),
                ),
            )?;
            Ok(initiative)
        })
        .await
}

pub async fn get(state: &AppState, id: InitiativeId) -> Result<Initiative, AppError> {
    state
        .db
        .run(move |conn| store::get(conn, &id)?.ok_or(AppError::NotFound))
        .await
}

pub async fn list(
    state: &AppState,
    page: PageRequest<InitiativeSort>,
    with_total: bool,
) -> Result<(Vec<Initiative>, Option<i64>), AppError> {
    state
        .db
        .run(move |conn| {
            let items = store::list(conn, &page)?;
            let total = if with_total {
                Some(store::count(conn)?)
            } else {
                None
            };
            Ok((items, total))
        })
        .await
}

/// Replaces an initiative's data with what `build` makes of the current one.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: InitiativeId,
    expected: Expected,
    build: impl FnOnce(&Initiative) -> Result<InitiativeData, AppError> + Send + 'static,
) -> Result<Initiative, AppError> {
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
                        "initiative.updated",
                        &next.id,
                        Audience::Public,
                        serde_json::json!({"id": next.id}),
                    ),
                )?;
            }
            Ok(next)
        })
        .await
}

/// Deletes an initiative no opportunity belongs to; otherwise 409.
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    id: InitiativeId,
    expected: Expected,
) -> Result<(), AppError> {
    caller.require_staff()?;
    state
        .db
        .write(move |conn| {
            let current = store::get(conn, &id)?.ok_or(AppError::NotFound)?;
            expected.check(current.version)?;
            deleted(store::delete(conn, &id), "initiative")?;
            record(
                conn,
                event(
                    "initiative.deleted",
                    &id,
                    Audience::Public,
                    serde_json::json!({"id": id}),
                ),
            )
        })
        .await
}
