//! Exchanging opportunities with other systems: OC4IDS packages out and in, CSV out.

use serde_json::Value;

use super::AppState;
use super::crud::{Resource, announce};
use super::events::record;
use super::idempotency::write_once;
use super::initiatives::Initiatives;
use super::opportunities::{self as service, opportunity_event, validate};
use super::parties::Parties;
use super::people::People;
use crate::api::exchange::{ImportQuery, ImportReport, ImportResult, csv_bytes};
use crate::api::opportunities::{LIST, OpportunityListQuery};
use crate::api::pagination::{ListRequest, Paging};
use crate::api::reply::{IdempotencyKey, Reply};
use crate::domain::access::Caller;
use crate::domain::codes::ListingStatus;
use crate::domain::ids::{OpportunityId, PartyId, PersonId};
use crate::domain::oc4ids::{self, ImportedParty, ImportedPerson, ImportedProject, Related};
use crate::domain::opportunities::{Listing, Opportunity, OpportunityData};
use crate::domain::opportunities::{OpportunityFilter, OpportunitySort};
use crate::domain::page::{PageRequest, Position, Positioned};
use crate::domain::parties::{Identifier, PartyData};
use crate::domain::people::PersonData;
use crate::domain::stored::Stored;
use crate::error::{AppError, FieldError};
use crate::persistence::opportunities as store;
use crate::persistence::{self, DbConnection, initiatives, oc4ids_sources, parties, people};

/// What a page of an OC4IDS export holds.
pub struct ExportPage {
    /// The opportunities read (one more than the page when another follows), for paging.
    pub opportunities: Vec<Opportunity>,
    /// The page's projects.
    pub projects: Vec<Value>,
    /// The latest change among them: the package's `publishedDate`.
    pub latest: Option<chrono::NaiveDateTime>,
}

/// One page of opportunities as OC4IDS projects.
pub fn projects_page(
    conn: &mut DbConnection,
    filter: &OpportunityFilter,
    page: &PageRequest<OpportunitySort>,
    settings: &oc4ids::PackageSettings,
) -> Result<ExportPage, AppError> {
    let opportunities = store::list(conn, filter, page)?;
    let shown = &opportunities[..opportunities.len().min(page.limit as usize)];
    let ids: Vec<&OpportunityId> = shown.iter().map(|o| &o.id).collect();
    let mut sources = oc4ids_sources::of(conn, &ids)?;
    let mut projects = Vec::with_capacity(shown.len());
    for o in shown {
        let ours = project_of(conn, o, settings)?;
        projects.push(match sources.remove(o.id.as_str()) {
            Some(kept) => {
                let source = serde_json::from_str(&kept.source)
                    .map_err(|e| AppError::internal(e.to_string()))?;
                let modelled = serde_json::from_str(&kept.modelled)
                    .map_err(|e| AppError::internal(e.to_string()))?;
                oc4ids::merged(ours, &source, &modelled)
            }
            None => ours,
        });
    }
    let latest = shown.iter().map(|o| o.updated_at).max();
    Ok(ExportPage {
        opportunities,
        projects,
        latest,
    })
}

/// An opportunity as InvestDesk models it, as an OC4IDS project.
fn project_of(
    conn: &mut DbConnection,
    o: &Opportunity,
    settings: &oc4ids::PackageSettings,
) -> Result<Value, AppError> {
    let authority = match &o.data.data.public_authority_id {
        Some(id) => parties::get(conn, id)?,
        None => None,
    };
    let focal = match &o.data.data.focal_person_id {
        Some(id) => people::get(conn, id)?,
        None => None,
    };
    let focal_party = match &focal {
        Some(p) => parties::get(conn, &p.data.party_id)?,
        None => None,
    };
    let initiative = match &o.data.data.initiative_id {
        Some(id) => initiatives::get(conn, id)?,
        None => None,
    };
    let related = Related {
        settings,
        initiative: initiative.as_ref(),
        authority: authority.as_ref(),
        focal: focal.as_ref().zip(focal_party.as_ref()),
    };
    Ok(oc4ids::project(o, &related))
}

/// Keeps the project an opportunity was imported from, and what InvestDesk made of it, so that
/// exports give back every value. An opportunity of ours that a package left unchanged keeps no
/// source; a source that changed is kept anew (and the project reported `updated`).
fn keep_source(
    conn: &mut DbConnection,
    opportunity: &Opportunity,
    source: &Value,
    settings: &oc4ids::PackageSettings,
    status: &'static str,
) -> Result<&'static str, AppError> {
    let stored = oc4ids_sources::of(conn, &[&opportunity.id])?.remove(opportunity.id.as_str());
    let text = serde_json::to_string(source).map_err(|e| AppError::internal(e.to_string()))?;
    if status == "unchanged" && stored.as_ref().is_none_or(|s| s.source == text) {
        return Ok(status);
    }
    let modelled = project_of(conn, opportunity, settings)?;
    let modelled =
        serde_json::to_string(&modelled).map_err(|e| AppError::internal(e.to_string()))?;
    oc4ids_sources::put(conn, &opportunity.id, &text, &modelled)?;
    Ok(if status == "unchanged" {
        "updated"
    } else {
        status
    })
}

/// The export's filter: the list's, published listings unless others are asked for, and only
/// what the caller may see (`None`: nothing).
pub fn export_filter(caller: &Caller, mut filter: OpportunityFilter) -> Option<OpportunityFilter> {
    if filter.listing_statuses.is_empty() {
        filter.listing_statuses = vec![ListingStatus::Published];
    }
    service::visible(caller, filter)
}

/// A page of the OC4IDS export (anyone): the paging it was asked with and the page.
pub async fn export_page(
    state: &AppState,
    caller: &Caller,
    request: ListRequest<OpportunityListQuery>,
) -> Result<(Paging<OpportunitySort>, ExportPage), AppError> {
    let paging = request
        .paging(&state.cursors, request.query.paging(), &LIST)?
        .without_total("exports")?;
    let Some(filter) = export_filter(caller, request.query.filter()?) else {
        let empty = ExportPage {
            opportunities: Vec::new(),
            projects: Vec::new(),
            latest: None,
        };
        return Ok((paging, empty));
    };
    let page = paging.request.clone();
    let settings = state.oc4ids.clone();
    let exported = state
        .db
        .run(move |conn| projects_page(conn, &filter, &page, &settings))
        .await?;
    Ok((paging, exported))
}

fn resolve_party(
    conn: &mut DbConnection,
    party: &ImportedParty,
    fallback_country: &crate::domain::codes::CountryCode,
) -> Result<PartyId, AppError> {
    let local = party.id.as_deref().and_then(PartyId::parse);
    if let Some(id) = &local
        && parties::exists(conn, id)?
    {
        return Ok(id.clone());
    }
    if let Some((scheme, id)) = &party.identifier
        && let Some(found) = parties::find_by_identifier(conn, scheme, id)?
    {
        return Ok(found.id);
    }
    // Without an identifier, the party of this name (a second import makes no copy).
    if party.identifier.is_none()
        && let Some(found) = parties::find_by_name(conn, &party.name)?
        && party
            .country
            .as_ref()
            .is_none_or(|c| *c == found.data.country)
    {
        return Ok(found.id);
    }
    // A party new here keeps the id it had where it came from, when that id is one of ours.
    let created = Stored {
        id: local.unwrap_or_else(PartyId::generate),
        data: PartyData {
            name: party.name.clone(),
            kind: party.kind,
            country: party
                .country
                .clone()
                .unwrap_or_else(|| fallback_country.clone()),
            identifier: party
                .identifier
                .clone()
                .map(|(scheme, id)| Identifier { scheme, id }),
            website: None,
            contact_point: None,
            member_ids: Vec::new(),
            focal_person_id: None,
        },
        created_at: persistence::now(),
        updated_at: persistence::now(),
        version: 1,
    };
    parties::insert(conn, &created)?;
    announce::<Parties>(conn, Parties::EVENTS[0], &created.id)?;
    Ok(created.id)
}

fn resolve_person(
    conn: &mut DbConnection,
    person: &ImportedPerson,
    party: PartyId,
) -> Result<PersonId, AppError> {
    let local = person.id.as_deref().and_then(PersonId::parse);
    if let Some(id) = &local
        && people::exists(conn, id)?
    {
        return Ok(id.clone());
    }
    // Else the party's person with this email, or with this name when either has no email.
    let same_email = |p: &PersonData| match (&p.email, &person.email) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => p.name == person.name,
    };
    if let Some(found) = people::of_party(conn, &party)?
        .into_iter()
        .find(|p| same_email(&p.data))
    {
        return Ok(found.id);
    }
    let created = Stored {
        id: local.unwrap_or_else(PersonId::generate),
        data: PersonData {
            party_id: party,
            name: person.name.clone(),
            job_title: person.job_title.clone(),
            email: person.email.clone(),
            telephone: person.telephone.clone(),
        },
        created_at: persistence::now(),
        updated_at: persistence::now(),
        version: 1,
    };
    people::insert(conn, &created)?;
    announce::<People>(conn, People::EVENTS[0], &created.id)?;
    Ok(created.id)
}

/// What an import does to an opportunity it already has: `None` when nothing changes.
fn update_existing(
    conn: &mut DbConnection,
    current: &Opportunity,
    data: OpportunityData,
    publish: bool,
) -> Result<Option<Opportunity>, AppError> {
    let now = persistence::now();
    let mut listing = Listing {
        data,
        status: current.data.status,
        published_at: current.data.published_at,
    };
    if publish
        && current.data.status != ListingStatus::Archived
        && listing.data.missing_for_publication().is_empty()
    {
        listing.status = ListingStatus::Published;
    }
    if listing.status == ListingStatus::Published && listing.published_at.is_none() {
        listing.published_at = Some(now);
    }
    if listing == current.data {
        return Ok(None);
    }
    validate(conn, &listing)?;
    let next = Stored {
        data: listing,
        updated_at: now,
        version: current.version + 1,
        ..current.clone()
    };
    if !service::write(conn, &next, current.version)? {
        return Err(AppError::PreconditionFailed);
    }
    let published =
        next.data.status != current.data.status && next.data.status == ListingStatus::Published;
    let kind = if published {
        "opportunity.published"
    } else {
        "opportunity.updated"
    };
    record(conn, opportunity_event(kind, &next))?;
    Ok(Some(next))
}

/// A new opportunity from an imported project, under its own id when the project came from here
/// and the id is free.
fn create_new(
    conn: &mut DbConnection,
    local: Option<OpportunityId>,
    data: OpportunityData,
    publish: bool,
) -> Result<Opportunity, AppError> {
    let now = persistence::now();
    let status = if publish && data.missing_for_publication().is_empty() {
        ListingStatus::Published
    } else {
        ListingStatus::Draft
    };
    let listing = Listing {
        data,
        status,
        published_at: (status == ListingStatus::Published).then_some(now),
    };
    validate(conn, &listing)?;
    let created = Stored {
        id: local
            .filter(|id| !store::exists(conn, id).unwrap_or(true))
            .unwrap_or_else(OpportunityId::generate),
        data: listing,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    service::insert(conn, &created)?;
    record(conn, opportunity_event("opportunity.created", &created))?;
    if status == ListingStatus::Published {
        record(conn, opportunity_event("opportunity.published", &created))?;
    }
    Ok(created)
}

fn import_one(
    conn: &mut DbConnection,
    project: ImportedProject,
    publish: bool,
    settings: &oc4ids::PackageSettings,
) -> Result<ImportResult, AppError> {
    let mut data = project.data;
    let host = data.host_country.clone();
    if let Some(authority) = &project.authority {
        data.public_authority_id = Some(resolve_party(conn, authority, &host)?);
    }
    if let Some(focal) = &project.focal {
        let party = resolve_party(conn, &focal.party, &host)?;
        data.focal_person_id = Some(resolve_person(conn, focal, party)?);
    }
    let local = project.local_id.as_deref().and_then(OpportunityId::parse);
    let existing = match &local {
        Some(id) => store::get(conn, id)?,
        None => None,
    };
    let existing = match existing {
        Some(o) => Some(o),
        None => store::find_by_oc4ids(conn, &project.id)?,
    };
    let mut warnings = Vec::new();
    // An initiative new here is created as the package describes it (its lead and focal person
    // are left for an officer to name).
    if let Some((id, initiative)) = &project.initiative
        && !initiatives::exists(conn, id)?
    {
        let created = Stored {
            id: id.clone(),
            data: initiative.clone(),
            created_at: persistence::now(),
            updated_at: persistence::now(),
            version: 1,
        };
        initiatives::insert(conn, &created)?;
        announce::<Initiatives>(conn, Initiatives::EVENTS[0], &created.id)?;
    }
    if !project.extension
        && let Some(current) = &existing
    {
        // A package from elsewhere knows nothing of our initiatives: this one stays.
        data.initiative_id = current.data.data.initiative_id.clone();
    }
    let (status, opportunity) = match existing {
        Some(current) => match update_existing(conn, &current, data, publish)? {
            Some(next) => ("updated", next),
            None => ("unchanged", current),
        },
        None => ("created", create_new(conn, local, data, publish)?),
    };
    let status = keep_source(conn, &opportunity, &project.source, settings, status)?;
    if publish && opportunity.data.status != ListingStatus::Published {
        for (pointer, detail) in opportunity.data.data.missing_for_publication() {
            let field = pointer.trim_start_matches('/');
            warnings.push(format!("not published: {field} {detail}"));
        }
    }
    Ok(ImportResult {
        id: project.id,
        status,
        opportunity_id: Some(opportunity.id.to_string()),
        errors: warnings,
    })
}

/// The most projects one import takes.
pub const MAX_IMPORT_PROJECTS: usize = 1000;

/// The projects of a package, each an object, or a 422 saying what is wrong with the package.
fn projects_of(package: Value) -> Result<Vec<Value>, AppError> {
    let Some(projects) = package.get("projects").and_then(Value::as_array).cloned() else {
        return Err(AppError::invalid_field(
            "/projects",
            "a project package needs a projects array",
        ));
    };
    if projects.is_empty() {
        return Err(AppError::invalid_field(
            "/projects",
            "the package has no projects",
        ));
    }
    if projects.len() > MAX_IMPORT_PROJECTS {
        return Err(AppError::invalid_field(
            "/projects",
            format!("at most {MAX_IMPORT_PROJECTS} projects per package; split it"),
        ));
    }
    let not_objects: Vec<FieldError> = projects
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.is_object())
        .map(|(i, _)| FieldError::new(format!("/projects/{i}"), "must be an OC4IDS project object"))
        .collect();
    if !not_objects.is_empty() {
        return Err(AppError::invalid(not_objects));
    }
    Ok(projects)
}

fn rejected(id: String, errors: Vec<String>) -> ImportResult {
    ImportResult {
        id,
        status: "rejected",
        opportunity_id: None,
        errors,
    }
}

/// Imports a package (officers): one transaction for the whole package, each project in a
/// savepoint of its own, so one bad project does not stop the others, and the answer (kept for
/// a retry with the same `Idempotency-Key`) commits with what it reports.
pub async fn import(
    state: &AppState,
    caller: &Caller,
    key: Option<IdempotencyKey>,
    query: ImportQuery,
    package: Value,
) -> Result<Reply, AppError> {
    caller.require_staff()?;
    let parsed: Vec<(String, Result<ImportedProject, Vec<String>>)> = projects_of(package)?
        .into_iter()
        .enumerate()
        .map(|(index, project)| {
            let id = project
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("#{index}"));
            // The report echoes the id: an absurdly long one is cut.
            let mut id = id;
            crate::error::shorten(&mut id, crate::error::MAX_FIELD_TEXT);
            (id, oc4ids::parse_project(&project))
        })
        .collect();
    let publish = query.publish;
    let settings = state.oc4ids.clone();
    write_once(
        state,
        caller,
        key,
        move |conn| {
            let mut results = Vec::with_capacity(parsed.len());
            for (id, project) in parsed {
                results.push(match project {
                    Err(errors) => rejected(id, errors),
                    Ok(project) => import_project(conn, id, project, publish, &settings)?,
                });
            }
            Ok(ImportReport::new(results))
        },
        |report, _| Reply::ok(None, report),
    )
    .await
}

/// One project of an import, in a savepoint: a project refused for what it holds is reported
/// `rejected` and leaves nothing behind; a database failure fails the import.
fn import_project(
    conn: &mut DbConnection,
    id: String,
    project: ImportedProject,
    publish: bool,
    settings: &oc4ids::PackageSettings,
) -> Result<ImportResult, AppError> {
    let import = |conn: &mut DbConnection| import_one(conn, project, publish, settings);
    match persistence::write_transaction(conn, import) {
        Ok(result) => Ok(result),
        Err(AppError::Unprocessable { errors, .. }) => Ok(rejected(
            id,
            errors
                .into_iter()
                .map(|e| format!("{}: {}", e.pointer.trim_start_matches('/'), e.detail))
                .collect(),
        )),
        Err(AppError::Conflict { detail, .. }) => Ok(rejected(id, vec![detail])),
        Err(other) => Err(other),
    }
}

/// What a CSV export streams: the opportunities the caller may see that match the request's
/// filters, in its sort.
#[derive(Clone)]
pub struct CsvExport {
    filter: OpportunityFilter,
    sort: OpportunitySort,
    descending: bool,
}

/// Rows per page of a CSV export.
const CSV_PAGE: i64 = 500;

/// Checks a CSV export request up front, so that refusals are problems rather than a broken
/// stream.
pub async fn csv_export(
    state: &AppState,
    caller: &Caller,
    query: &OpportunityListQuery,
) -> Result<CsvExport, AppError> {
    if query.cursor.is_some() || query.limit.is_some() || query.include_total.is_some() {
        return Err(AppError::bad_request(
            "The CSV export streams every matching row; drop limit, cursor and includeTotal.",
        ));
    }
    let (sort, descending) =
        crate::api::pagination::sort(query.sort.as_deref(), LIST.sorts, LIST.default)?;
    let export = CsvExport {
        filter: query.filter()?,
        sort,
        descending,
    };
    csv_page(state, caller, &export, None, 0).await?;
    Ok(export)
}

/// One page of a CSV export after `after` (the header row first, for the first page), and where
/// the next page starts when there is one.
pub async fn csv_page(
    state: &AppState,
    caller: &Caller,
    export: &CsvExport,
    after: Option<Position>,
    rows: i64,
) -> Result<(Vec<u8>, Option<Position>), AppError> {
    let header = after.is_none();
    let page = PageRequest {
        sort: export.sort,
        descending: export.descending,
        after,
        limit: rows,
    };
    let sort = export.sort;
    service::list(
        state,
        caller,
        export.filter.clone(),
        page,
        false,
        move |mut items, _| {
            let next = if items.len() as i64 > rows {
                items.truncate(rows as usize);
                items.last().map(|last| last.position(sort))
            } else {
                None
            };
            (csv_bytes(header, &items), next)
        },
    )
    .await
}

/// The rows a CSV page holds.
pub fn csv_rows() -> i64 {
    CSV_PAGE
}
