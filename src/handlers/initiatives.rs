//! Initiatives: programmes such as the Pakistan–Azerbaijan–Türkiye trilateral.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::auth::Caller;
use super::extract::{Json, Problems, Query};
use super::pagination::Paging;
use super::parties::optional_id;
use super::{apply_patch, created, if_match, path_id, single, utc};
use crate::domain::codes::CountryCode;
use crate::domain::ids::{InitiativeId, PartyId, PersonId};
use crate::domain::initiatives::InitiativeSort;
use crate::domain::initiatives::{Initiative, InitiativeData};
use crate::domain::page::{Position, timestamp_key};
use crate::error::AppError;
use crate::services::{self, AppState};

/// The writable fields of an initiative (create, or the target of a merge patch).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InitiativeInput {
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "Pakistan–Azerbaijan–Türkiye trilateral"
    )]
    pub name: String,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Participating countries (ISO 3166-1 alpha-2).
    #[validate(length(max = 50))]
    #[schema(value_type = Vec<CountryCode>, max_items = 50, example = json!(["PK", "AZ", "TR"]))]
    #[serde(default)]
    pub countries: Vec<String>,
    /// The party leading the initiative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_party_id: Option<String>,
    /// The person keeping liaison for the initiative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focal_person_id: Option<String>,
}

impl InitiativeInput {
    /// Checks every field and builds the initiative's data, reporting all problems at once.
    pub fn parse(self) -> Result<InitiativeData, AppError> {
        let mut problems = Problems::from_validation(self.validate());
        let countries: Vec<Option<CountryCode>> = self
            .countries
            .iter()
            .enumerate()
            .map(|(i, c)| {
                problems.take(format!("/countries/{i}"), CountryCode::try_from(c.clone()))
            })
            .collect();
        let lead = problems.take(
            "/leadPartyId",
            optional_id(&self.lead_party_id, PartyId::parse, "party"),
        );
        let focal = problems.take(
            "/focalPersonId",
            optional_id(&self.focal_person_id, PersonId::parse, "person"),
        );
        problems.finish(|| {
            let mut countries: Vec<CountryCode> = countries.into_iter().collect::<Option<_>>()?;
            countries.dedup();
            Some(InitiativeData {
                name: self.name,
                description: self.description,
                countries,
                lead_party_id: lead?,
                focal_person_id: focal?,
            })
        })
    }
}

impl From<&InitiativeData> for InitiativeInput {
    fn from(d: &InitiativeData) -> Self {
        InitiativeInput {
            name: d.name.clone(),
            description: d.description.clone(),
            countries: d.countries.iter().map(|c| c.to_string()).collect(),
            lead_party_id: d.lead_party_id.as_ref().map(|p| p.to_string()),
            focal_person_id: d.focal_person_id.as_ref().map(|p| p.to_string()),
        }
    }
}

/// An initiative.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InitiativeResponse {
    #[schema(example = "ini_01jd8x3v5ffd2b6jq4w5k9h8zq")]
    pub id: String,
    #[serde(flatten)]
    pub fields: InitiativeInput,
    #[serde(serialize_with = "crate::handlers::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::handlers::rfc3339")]
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; the ETag is `"v<version>"`.
    pub version: i32,
}

impl From<&Initiative> for InitiativeResponse {
    fn from(initiative: &Initiative) -> Self {
        InitiativeResponse {
            id: initiative.id.to_string(),
            fields: InitiativeInput::from(&initiative.data),
            created_at: utc(initiative.created_at),
            updated_at: utc(initiative.updated_at),
            version: initiative.version,
        }
    }
}

crate::page_type!(
    /// A page of initiatives.
    InitiativePage, InitiativeResponse);

crate::list_query!(
    /// Paging of initiatives (sort: `createdAt`, `updatedAt`, `name`).
    InitiativeListQuery {});

pub(crate) const SORTS: &[(&str, InitiativeSort)] = &[
    ("createdAt", InitiativeSort::Created),
    ("updatedAt", InitiativeSort::Updated),
    ("name", InitiativeSort::Name),
];

/// Create an initiative (officer).
#[utoipa::path(
    tag = "initiatives",
    request_body = InitiativeInput,
    security(("bearerAuth" = [])),
    responses((status = 201, description = "The new initiative", body = InitiativeResponse,
        headers(("Location" = String, description = "The new initiative's URL"), ("ETag" = String, description = "Version tag"))))
)]
#[post("")]
pub async fn create_initiative(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<InitiativeInput>,
) -> Result<HttpResponse, AppError> {
    caller.require_staff()?;
    let data = body.into_inner().parse()?;
    let initiative = services::initiatives::create(&state, &caller, data).await?;
    Ok(created(
        format!("/v1/initiatives/{}", initiative.id),
        initiative.version,
        &InitiativeResponse::from(&initiative),
    ))
}

/// List initiatives (public).
#[utoipa::path(
    tag = "initiatives",
    params(InitiativeListQuery),
    security((), ("bearerAuth" = [])),
    responses((status = 200, description = "A page of initiatives", body = InitiativePage,
        headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))))
)]
#[get("")]
pub async fn list_initiatives(
    state: web::Data<AppState>,
    _caller: Caller,
    request: HttpRequest,
    query: Query<InitiativeListQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.0;
    let paging = Paging::new(
        &request,
        &state.cursors,
        (
            q.limit,
            q.cursor.as_deref(),
            q.sort.as_deref(),
            q.include_total,
        ),
        SORTS,
        InitiativeSort::Created,
    )?;
    let (items, total) =
        services::initiatives::list(&state, paging.request.clone(), paging.with_total).await?;
    Ok(paging.respond(
        &state.cursors,
        items,
        |i, sort| Position {
            key: match sort {
                InitiativeSort::Created => String::new(),
                InitiativeSort::Updated => timestamp_key(&i.updated_at),
                InitiativeSort::Name => i.data.name.clone(),
            },
            id: i.id.to_string(),
        },
        |items, next_cursor| InitiativePage {
            items: items.iter().map(InitiativeResponse::from).collect(),
            next_cursor,
            total_count: total,
        },
    ))
}

/// Get an initiative (public).
#[utoipa::path(
    tag = "initiatives",
    params(("id" = String, Path, description = "Initiative id")),
    security((), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The initiative", body = InitiativeResponse, headers(("ETag" = String, description = "Version tag"))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/{id}")]
pub async fn get_initiative(
    state: web::Data<AppState>,
    _caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id, InitiativeId::parse)?;
    let initiative = services::initiatives::get(&state, id).await?;
    Ok(single(
        &request,
        initiative.version,
        &InitiativeResponse::from(&initiative),
    ))
}

/// Update an initiative with a JSON Merge Patch (officer).
#[utoipa::path(
    tag = "initiatives",
    params(("id" = String, Path, description = "Initiative id")),
    request_body(content = InitiativeInput, content_type = "application/merge-patch+json",
        description = "A JSON Merge Patch (RFC 7396) of the initiative's writable fields: absent = unchanged, null = cleared."),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The updated initiative", body = InitiativeResponse, headers(("ETag" = String, description = "Version tag"))))
)]
#[patch("/{id}")]
pub async fn update_initiative(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    caller.require_staff()?;
    let id = path_id(&id, InitiativeId::parse)?;
    let patch = body.into_inner();
    let initiative =
        services::initiatives::update(&state, &caller, id, if_match(&request), move |current| {
            apply_patch(&InitiativeInput::from(&current.data), patch)?.parse()
        })
        .await?;
    Ok(single(
        &request,
        initiative.version,
        &InitiativeResponse::from(&initiative),
    ))
}

/// Delete an initiative no opportunity belongs to (officer).
#[utoipa::path(
    tag = "initiatives",
    params(("id" = String, Path, description = "Initiative id")),
    security(("bearerAuth" = [])),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/{id}")]
pub async fn delete_initiative(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.require_staff()?;
    let id = path_id(&id, InitiativeId::parse)?;
    services::initiatives::delete(&state, &caller, id, if_match(&request)).await?;
    Ok(HttpResponse::NoContent().finish())
}
