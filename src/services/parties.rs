//! Rules for parties: officers write and read all; an investor reads only its own party.

use super::events::{event, record};
use super::{AppState, Expected, check_references, deleted, fresh, replace};
use crate::domain::access::Caller;
use crate::domain::codes::PartyKind;
use crate::domain::events::Audience;
use crate::domain::ids::PartyId;
use crate::domain::page::PageRequest;
use crate::domain::parties::{Party, PartyData};
use crate::domain::parties::{PartyFilter, PartySort};
use crate::error::{AppError, FieldError};
use crate::persistence::parties as store;
use crate::persistence::{DbConnection, people};

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
fn party_event(kind: &'static str, id: &PartyId) -> crate::domain::events::NewEvent {
    event(
        kind,
        id,
        Audience::Parties(vec![id.clone()]),
        serde_json::json!({"id": id}),
    )
}

fn visible(caller: &Caller, id: &PartyId) -> Result<(), AppError> {
    if caller.is_staff() || caller.investor_party() == Some(id) {
        Ok(())
    } else {
        caller.require_key()?;
        Err(AppError::NotFound)
    }
}

pub async fn create(state: &AppState, caller: &Caller, data: PartyData) -> Result<Party, AppError> {
    caller.require_staff()?;
    state
        .db
        .write(move |conn| {
            validate(conn, &data, None)?;
            let party = fresh(PartyId::generate(), data);
            store::insert(conn, &party)?;
            record(conn, party_event("party.created", &party.id))?;
            Ok(party)
        })
        .await
}

pub async fn get(state: &AppState, caller: &Caller, id: PartyId) -> Result<Party, AppError> {
    visible(caller, &id)?;
    state
        .db
        .run(move |conn| store::get(conn, &id)?.ok_or(AppError::NotFound))
        .await
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    mut filter: PartyFilter,
    page: PageRequest<PartySort>,
    with_total: bool,
) -> Result<(Vec<Party>, Option<i64>), AppError> {
    caller.require_key()?;
    if !caller.is_staff() {
        filter.only = caller.investor_party().cloned();
    }
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

/// Replaces a party's data with what `build` makes of the current party.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: PartyId,
    expected: Expected,
    build: impl FnOnce(&Party) -> Result<PartyData, AppError> + Send + 'static,
) -> Result<Party, AppError> {
    caller.require_staff()?;
    state
        .db
        .write(move |conn| {
            let current = store::get(conn, &id)?.ok_or(AppError::NotFound)?;
            let version = current.version;
            let next = replace(
                conn,
                current,
                &expected,
                build,
                |conn, data| validate(conn, data, Some(&id)),
                store::update,
            )?;
            if next.version != version {
                record(conn, party_event("party.updated", &next.id))?;
            }
            Ok(next)
        })
        .await
}

/// Deletes a party nothing refers to; otherwise 409.
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    id: PartyId,
    expected: Expected,
) -> Result<(), AppError> {
    caller.require_staff()?;
    state
        .db
        .write(move |conn| {
            let current = store::get(conn, &id)?.ok_or(AppError::NotFound)?;
            expected.check(current.version)?;
            deleted(store::delete(conn, &id), "party")?;
            record(conn, party_event("party.deleted", &id))
        })
        .await
}
