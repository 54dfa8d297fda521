//! Rules for opportunities: officers write; the public and investors see published and closed
//! ones only; publication needs a complete listing; a published opportunity is archived, never
//! deleted.

use diesel::QueryResult;

use super::events::{event, record};
use super::idempotency::write_once;
use super::{AppState, check_references, fresh, replace};
use crate::api::opportunities::{
    LIST, OpportunityInput, OpportunityListQuery, OpportunityResponse, location, representation,
    take_listing_status,
};
use crate::api::pagination::{ListRequest, Paging, serialized_page};
use crate::api::parse::apply_patch;
use crate::api::reply::{IdempotencyKey, Reply};
use crate::domain::access::Caller;
use crate::domain::codes::{EngagementModel, ListingStatus};
use crate::domain::events::Audience;
use crate::domain::ids::OpportunityId;
use crate::domain::opportunities::{Listing, Opportunity, OpportunityData};
use crate::domain::opportunities::{OpportunityFilter, OpportunitySort};
use crate::domain::page::PageRequest;
use crate::domain::stored::Expected;
use crate::error::{AppError, FieldError};
use crate::persistence::opportunities::{self as store, ListedOpportunity};
use crate::persistence::transaction::lock_row;
use crate::persistence::{self, DbConnection, initiatives, interests, parties, people};

pub(crate) fn validate(conn: &mut DbConnection, listing: &Listing) -> Result<(), AppError> {
    let data = &listing.data;
    let mut problems = Vec::new();
    if let Some(party) = &data.public_authority_id
        && !parties::exists(conn, party)?
    {
        problems.push(FieldError::new(
            "/publicAuthorityId",
            "no party has this id",
        ));
    }
    if let Some(person) = &data.focal_person_id
        && !people::exists(conn, person)?
    {
        problems.push(FieldError::new("/focalPersonId", "no person has this id"));
    }
    if let Some(initiative) = &data.initiative_id
        && !initiatives::exists(conn, initiative)?
    {
        problems.push(FieldError::new(
            "/initiativeId",
            "no initiative has this id",
        ));
    }
    if data.ppp_model.is_some()
        && !data
            .engagement_models
            .iter()
            .any(|m| matches!(m, EngagementModel::Ppp | EngagementModel::Concession))
    {
        problems.push(FieldError::new(
            "/pppModel",
            "applies only when engagementModels include ppp or concession",
        ));
    }
    if listing.status == ListingStatus::Published {
        for (pointer, detail) in data.missing_for_publication() {
            problems.push(FieldError::new(pointer, detail));
        }
    }
    check_references(problems)
}

/// The listing that results from asking for `requested` status with `data`.
fn relist(
    current: &Opportunity,
    data: OpportunityData,
    requested: Option<ListingStatus>,
    caller: &Caller,
) -> Result<Listing, AppError> {
    let from = current.data.status;
    let status = requested.unwrap_or(from);
    let restoring = status != from && from.restored() == Some(status);
    if restoring {
        caller.require_admin()?;
    } else if status != from && !from.next().contains(&status) {
        let allowed: Vec<&str> = from
            .next()
            .iter()
            .chain(from.restored().iter())
            .map(|s| s.as_str())
            .collect();
        return Err(AppError::conflict(
            "illegalListingTransition",
            format!(
                "An opportunity cannot move from {from} to {status}; allowed: {}.",
                if allowed.is_empty() {
                    "none".to_owned()
                } else {
                    allowed.join(", ")
                }
            ),
        ));
    }
    let published_at = match (current.data.published_at, status) {
        (None, ListingStatus::Published) => Some(persistence::now()),
        (at, _) => at,
    };
    Ok(Listing {
        data,
        status,
        published_at,
    })
}

/// An opportunity event: public while the opportunity is (or, once archived, was) public.
pub(crate) fn opportunity_event(
    kind: &'static str,
    o: &Opportunity,
) -> crate::domain::events::NewEvent {
    let public = o.data.status.is_public()
        || (o.data.status == ListingStatus::Archived && o.data.published_at.is_some());
    event(
        kind,
        &o.id,
        if public {
            Audience::Public
        } else {
            Audience::Staff
        },
        crate::api::event_data::data(&crate::api::event_data::OpportunityEventData {
            id: o.id.to_string(),
            title: o.data.data.title.clone(),
            listing_status: o.data.status,
        }),
    )
}

/// Creates an opportunity, as a draft (officers).
pub async fn create(
    state: &AppState,
    caller: &Caller,
    key: Option<IdempotencyKey>,
    input: OpportunityInput,
) -> Result<Reply, AppError> {
    caller.require_staff()?;
    let data = input.parse()?;
    write_once(
        state,
        caller,
        key,
        move |conn| {
            let listing = Listing {
                data,
                status: ListingStatus::Draft,
                published_at: None,
            };
            validate(conn, &listing)?;
            let opportunity = fresh(OpportunityId::generate(), listing);
            insert(conn, &opportunity)?;
            record(conn, opportunity_event("opportunity.created", &opportunity))?;
            Ok(opportunity)
        },
        |opportunity, _| {
            Reply::created(
                location(&opportunity.id),
                Some(opportunity.version),
                &OpportunityResponse::from(opportunity.clone()),
            )
        },
    )
    .await
}

/// One opportunity, if the caller may see it: officers see all; others see published and closed
/// ones, and an investor also one its party has an interest in (so an interest never points at
/// an opportunity its party cannot read, archived ones included).
pub async fn get(state: &AppState, caller: &Caller, id: &str) -> Result<Opportunity, AppError> {
    let id = OpportunityId::parse(id).ok_or(AppError::NotFound)?;
    let staff = caller.is_staff();
    let party = caller.investor_party().cloned();
    state
        .db
        .run(move |conn| {
            let opportunity = store::get(conn, &id)?.ok_or(AppError::NotFound)?;
            let mut involved = || match &party {
                Some(party) => interests::any_involving(conn, &id, party),
                None => Ok(false),
            };
            if staff || opportunity.data.status.is_public() || involved()? {
                Ok(opportunity)
            } else {
                Err(AppError::NotFound)
            }
        })
        .await
}

/// Inserts a new opportunity with its representation.
pub(crate) fn insert(conn: &mut DbConnection, opportunity: &Opportunity) -> QueryResult<()> {
    store::insert(conn, opportunity, &representation(opportunity))
}

/// Writes a changed opportunity, with its representation, if its row is still at
/// `previous_version`.
pub(crate) fn write(
    conn: &mut DbConnection,
    opportunity: &Opportunity,
    previous_version: i32,
) -> QueryResult<bool> {
    store::update(
        conn,
        opportunity,
        previous_version,
        &representation(opportunity),
    )
}

/// Renders the representation of every opportunity stored without one (see migration 8), a batch
/// per transaction; returns how many it rendered. Cheap when there are none: one probe of an index
/// that holds only such rows.
pub fn render_unrendered(conn: &mut DbConnection) -> QueryResult<usize> {
    let mut rendered = 0;
    loop {
        let ids = store::unrendered(conn, 500)?;
        if ids.is_empty() {
            return Ok(rendered);
        }
        rendered += persistence::write_transaction(conn, |conn| {
            let mut done = 0;
            for id in &ids {
                // Gone since, or changed since (and then written with its representation).
                if let Some(o) = store::get(conn, id)? {
                    done += usize::from(store::set_representation(
                        conn,
                        id,
                        o.version,
                        &representation(&o),
                    )?);
                }
            }
            QueryResult::Ok(done)
        })?;
    }
}

/// The filter narrowed to what the caller may see, or `None` when that is nothing.
pub(crate) fn visible(caller: &Caller, mut filter: OpportunityFilter) -> Option<OpportunityFilter> {
    if !caller.is_staff() {
        let requested = std::mem::take(&mut filter.listing_statuses);
        filter.listing_statuses = ListingStatus::ALL
            .iter()
            .copied()
            .filter(|s| s.is_public() && (requested.is_empty() || requested.contains(s)))
            .collect();
        if filter.listing_statuses.is_empty() {
            return None;
        }
    }
    Some(filter)
}

/// A list page of the opportunities the caller may see, serialized: each item its stored
/// representation, as it is.
pub async fn list_page(
    state: &AppState,
    caller: &Caller,
    request: ListRequest<OpportunityListQuery>,
) -> Result<(Paging<OpportunitySort>, Vec<u8>, Option<String>), AppError> {
    let paging = request.paging(&state.cursors, request.query.paging(), &LIST)?;
    let filter = request.query.filter()?;
    let cut = paging.clone();
    let codec = state.cursors.clone();
    let (body, next) = list_listed(
        state,
        caller,
        filter,
        paging.request.clone(),
        paging.with_total,
        move |items, total| {
            let (items, next_cursor) = cut.cut(&codec, items, |o, sort| {
                crate::domain::page::Positioned::position(o, sort)
            });
            let body = serialized_page(
                items.iter().filter_map(|o| o.representation.as_deref()),
                next_cursor.as_deref(),
                total,
            );
            (body, next_cursor)
        },
    )
    .await?;
    Ok((paging, body, next))
}

/// The opportunities the caller may see, a page of them, and their total when asked for, handed to
/// `render` on the thread that loaded them: the page is serialized where its rows were decoded,
/// and its memory freed there too, instead of crossing to an HTTP worker (freeing another
/// thread's allocations was a quarter of a page's time).
pub async fn list<R: Send + 'static>(
    state: &AppState,
    caller: &Caller,
    filter: OpportunityFilter,
    page: PageRequest<OpportunitySort>,
    with_total: bool,
    render: impl FnOnce(Vec<Opportunity>, Option<i64>) -> R + Send + 'static,
) -> Result<R, AppError> {
    visible_page(state, caller, filter, page, with_total, store::list, render).await
}

/// As [`list`], with the opportunities as their stored representations (what a list page
/// serves), each present: one not rendered yet is rendered from its columns here.
pub async fn list_listed<R: Send + 'static>(
    state: &AppState,
    caller: &Caller,
    filter: OpportunityFilter,
    page: PageRequest<OpportunitySort>,
    with_total: bool,
    render: impl FnOnce(Vec<ListedOpportunity>, Option<i64>) -> R + Send + 'static,
) -> Result<R, AppError> {
    let load = |conn: &mut DbConnection, filter: &OpportunityFilter, page: &PageRequest<_>| {
        let mut items = store::list_listed(conn, filter, page)?;
        for item in items.iter_mut().filter(|i| i.representation.is_none()) {
            let id = OpportunityId::from_db(item.id.clone());
            item.representation = store::get(conn, &id)?.map(|o| representation(&o));
        }
        // One deleted between the two reads is left out.
        items.retain(|i| i.representation.is_some());
        QueryResult::Ok(items)
    };
    visible_page(state, caller, filter, page, with_total, load, render).await
}

/// A page of what `load` reads of the opportunities the caller may see, with their total when
/// asked for, handed to `render` on the thread that loaded them.
async fn visible_page<T, R: Send + 'static>(
    state: &AppState,
    caller: &Caller,
    filter: OpportunityFilter,
    page: PageRequest<OpportunitySort>,
    with_total: bool,
    load: impl FnOnce(
        &mut DbConnection,
        &OpportunityFilter,
        &PageRequest<OpportunitySort>,
    ) -> QueryResult<Vec<T>>
    + Send
    + 'static,
    render: impl FnOnce(Vec<T>, Option<i64>) -> R + Send + 'static,
) -> Result<R, AppError> {
    let Some(filter) = visible(caller, filter) else {
        return Ok(render(Vec::new(), with_total.then_some(0)));
    };
    state
        .db
        .run(move |conn| {
            let items = load(conn, &filter, &page)?;
            let total = with_total
                .then(|| store::count(conn, &filter))
                .transpose()?;
            Ok(render(items, total))
        })
        .await
}

/// Replaces an opportunity's data with what `build` makes of the current one, and moves it to
/// the requested listing status if that move is allowed.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    expected: Expected,
    mut patch: serde_json::Value,
) -> Result<Opportunity, AppError> {
    caller.require_staff()?;
    let id = OpportunityId::parse(id).ok_or(AppError::NotFound)?;
    let requested = take_listing_status(&mut patch)?;
    let caller = caller.clone();
    let build = move |current: &Opportunity| {
        let data =
            apply_patch(&OpportunityInput::from(current.data.data.clone()), patch)?.parse()?;
        Ok::<_, AppError>((data, requested))
    };
    state
        .db
        .write(move |conn| {
            lock_row(conn, "opportunities", id.as_str())?;
            let current = store::get(conn, &id)?.ok_or(AppError::NotFound)?;
            let (version, status) = (current.version, current.data.status);
            let next = replace(
                conn,
                current,
                &expected,
                |current| {
                    let (data, status) = build(current)?;
                    relist(current, data, status, &caller)
                },
                validate,
                write,
            )?;
            if next.version != version {
                let kind = match next.data.status {
                    s if s == status => "opportunity.updated",
                    ListingStatus::Published => "opportunity.published",
                    ListingStatus::Closed => "opportunity.closed",
                    ListingStatus::Archived => "opportunity.archived",
                    ListingStatus::Draft if status == ListingStatus::Archived => {
                        "opportunity.restored"
                    }
                    ListingStatus::Draft => "opportunity.updated",
                };
                record(conn, opportunity_event(kind, &next))?;
            }
            Ok(next)
        })
        .await
}

/// Refuses to delete what investors may have seen: only a draft that was never published goes.
fn deletable(current: &Opportunity) -> Result<(), AppError> {
    let never_published = current.data.published_at.is_none();
    if current.data.status == ListingStatus::Draft && never_published {
        return Ok(());
    }
    Err(AppError::conflict(
        "archiveInstead",
        "Only a draft that was never published can be deleted; archive this opportunity \
         instead (PATCH {\"listingStatus\": \"archived\"}).",
    ))
}

/// Deletes a draft that was never published; anything else must be archived instead.
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    id: &str,
    expected: Expected,
) -> Result<(), AppError> {
    caller.require_staff()?;
    let id = OpportunityId::parse(id).ok_or(AppError::NotFound)?;
    state
        .db
        .write(move |conn| {
            let current = store::get(conn, &id)?.ok_or(AppError::NotFound)?;
            expected.check(current.version)?;
            deletable(&current)?;
            store::delete(conn, &id)?;
            record(conn, opportunity_event("opportunity.deleted", &current))
        })
        .await
}
