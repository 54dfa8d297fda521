//! Exchanging opportunities with other systems: OC4IDS packages out and in, CSV out.

use serde::Serialize;
use serde_json::Value;

use super::AppState;
use super::events::record;
use super::opportunities::{self as service, opportunity_event, validate};
use crate::domain::access::Caller;
use crate::domain::codes::ListingStatus;
use crate::domain::ids::{OpportunityId, PartyId, PersonId};
use crate::domain::oc4ids::{self, ImportedParty, ImportedPerson, ImportedProject, Related};
use crate::domain::opportunities::{Listing, Opportunity};
use crate::domain::opportunities::{OpportunityFilter, OpportunitySort};
use crate::domain::page::PageRequest;
use crate::domain::parties::{Identifier, PartyData};
use crate::domain::people::PersonData;
use crate::domain::stored::Stored;
use crate::error::AppError;
use crate::persistence::opportunities as store;
use crate::persistence::{self, DbConnection, parties, people};

/// Published opportunities of one page as OC4IDS projects; the opportunities come along for
/// paging.
pub fn projects_page(
    conn: &mut DbConnection,
    mut filter: OpportunityFilter,
    page: &PageRequest<OpportunitySort>,
) -> Result<(Vec<Opportunity>, Vec<Value>), AppError> {
    filter.listing_statuses = vec![ListingStatus::Published];
    let opportunities = store::list(conn, &filter, page)?;
    let mut projects = Vec::with_capacity(opportunities.len());
    for o in opportunities.iter().take(page.limit as usize) {
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
        let related = Related {
            authority: authority.as_ref(),
            focal: focal.as_ref().zip(focal_party.as_ref()),
        };
        projects.push(oc4ids::project(o, &related));
    }
    Ok((opportunities, projects))
}

pub async fn export_page(
    state: &AppState,
    filter: OpportunityFilter,
    page: PageRequest<OpportunitySort>,
) -> Result<(Vec<Opportunity>, Vec<Value>), AppError> {
    state
        .db
        .run(move |conn| projects_page(conn, filter, &page))
        .await
}

/// What happened to one imported project.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportResult {
    /// The project's id in the package.
    pub id: String,
    /// `created`, `updated`, `unchanged` or `rejected`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opportunity_id: Option<String>,
    /// Why the project was rejected, or what keeps it from being published.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
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
    Ok(created.id)
}

fn import_one(
    conn: &mut DbConnection,
    project: ImportedProject,
    publish: bool,
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
    let wanted = |current: ListingStatus| -> ListingStatus {
        if publish && current != ListingStatus::Archived {
            ListingStatus::Published
        } else {
            current
        }
    };
    let now = persistence::now();
    let (status, opportunity) = match existing {
        Some(current) => {
            let mut listing = Listing {
                data,
                status: wanted(current.data.status),
                published_at: current.data.published_at,
            };
            if listing.status == ListingStatus::Published
                && !listing.data.missing_for_publication().is_empty()
            {
                listing.status = current.data.status;
            }
            if listing.status == ListingStatus::Published && listing.published_at.is_none() {
                listing.published_at = Some(now);
            }
            if listing == current.data {
                ("unchanged", current)
            } else {
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
                let kind = if next.data.status != current.data.status
                    && next.data.status == ListingStatus::Published
                {
                    "opportunity.published"
                } else {
                    "opportunity.updated"
                };
                record(conn, opportunity_event(kind, &next))?;
                ("updated", next)
            }
        }
        None => {
            let complete = data.missing_for_publication().is_empty();
            let status = if publish && complete {
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
            ("created", created)
        }
    };
    if publish && opportunity.data.status != ListingStatus::Published {
        for (pointer, detail) in opportunity.data.data.missing_for_publication() {
            warnings.push(format!(
                "not published: {} {detail}",
                pointer.trim_start_matches('/')
            ));
        }
    }
    Ok(ImportResult {
        id: project.id,
        status,
        opportunity_id: Some(opportunity.id.to_string()),
        errors: warnings,
    })
}

/// Imports a package project by project, each in its own transaction: one bad project does
/// not stop the others.
/// The most projects one import takes (each is its own transaction).
pub const MAX_IMPORT_PROJECTS: usize = 1000;

pub async fn import(
    state: &AppState,
    caller: &Caller,
    package: Value,
    publish: bool,
) -> Result<Vec<ImportResult>, AppError> {
    caller.require_staff()?;
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
    let not_objects: Vec<crate::error::FieldError> = projects
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.is_object())
        .map(|(i, _)| {
            crate::error::FieldError::new(
                format!("/projects/{i}"),
                "must be an OC4IDS project object",
            )
        })
        .collect();
    if !not_objects.is_empty() {
        return Err(AppError::invalid(not_objects));
    }
    let mut results = Vec::with_capacity(projects.len());
    for (index, project) in projects.into_iter().enumerate() {
        let id = project
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("#{index}"));
        let parsed = match oc4ids::parse_project(&project) {
            Ok(parsed) => parsed,
            Err(errors) => {
                results.push(ImportResult {
                    id,
                    status: "rejected",
                    opportunity_id: None,
                    errors,
                });
                continue;
            }
        };
        let outcome = state
            .db
            .write(move |conn| import_one(conn, parsed, publish))
            .await;
        results.push(match outcome {
            Ok(result) => result,
            Err(AppError::Unprocessable { errors, .. }) => ImportResult {
                id,
                status: "rejected",
                opportunity_id: None,
                errors: errors
                    .into_iter()
                    .map(|e| format!("{}: {}", e.pointer.trim_start_matches('/'), e.detail))
                    .collect(),
            },
            Err(AppError::Conflict { detail, .. }) => ImportResult {
                id,
                status: "rejected",
                opportunity_id: None,
                errors: vec![detail],
            },
            Err(other) => return Err(other),
        });
    }
    Ok(results)
}
