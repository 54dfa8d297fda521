//! People: contacts who belong to a party, such as a focal person at the Board of Investment.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::auth::Caller;
use super::extract::{Json, Problems, Query};
use super::pagination::Paging;
use super::{apply_patch, created, if_match, path_id, single, utc};
use crate::domain::ids::{PartyId, PersonId};
use crate::domain::page::{Position, timestamp_key};
use crate::domain::people::{Person, PersonData};
use crate::domain::people::{PersonFilter, PersonSort};
use crate::error::AppError;
use crate::services::{self, AppState};

/// The writable fields of a person (create, or the target of a merge patch).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PersonInput {
    /// The party the person belongs to.
    #[schema(example = "pty_01jd8x3v5ffd2b6jq4w5k9h8zq")]
    pub party_id: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "Focal Person, Azerbaijan Desk"
    )]
    pub name: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "Director, Investment Promotion"
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    #[validate(email, length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[validate(length(min = 3, max = 50))]
    #[schema(min_length = 3, max_length = 50)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
}

impl PersonInput {
    /// Checks every field and builds the person's data, reporting all problems at once.
    pub fn parse(self) -> Result<PersonData, AppError> {
        let mut problems = Problems::from_validation(self.validate());
        let party_id = problems.take(
            "/partyId",
            PartyId::parse(&self.party_id).ok_or_else(|| "is not a party id".to_owned()),
        );
        problems.finish(|| {
            Some(PersonData {
                party_id: party_id?,
                name: self.name,
                job_title: self.job_title,
                email: self.email,
                telephone: self.telephone,
            })
        })
    }
}

impl From<&PersonData> for PersonInput {
    fn from(d: &PersonData) -> Self {
        PersonInput {
            party_id: d.party_id.to_string(),
            name: d.name.clone(),
            job_title: d.job_title.clone(),
            email: d.email.clone(),
            telephone: d.telephone.clone(),
        }
    }
}

/// A person.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonResponse {
    #[schema(example = "per_01jd8x3v5ffd2b6jq4w5k9h8zq")]
    pub id: String,
    #[serde(flatten)]
    pub fields: PersonInput,
    #[serde(serialize_with = "crate::handlers::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::handlers::rfc3339")]
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; the ETag is `"v<version>"`.
    pub version: i32,
}

impl From<&Person> for PersonResponse {
    fn from(person: &Person) -> Self {
        PersonResponse {
            id: person.id.to_string(),
            fields: PersonInput::from(&person.data),
            created_at: utc(person.created_at),
            updated_at: utc(person.updated_at),
            version: person.version,
        }
    }
}

crate::page_type!(
    /// A page of people.
    PersonPage, PersonResponse);

crate::list_query!(
/// Filters and paging of people (sort: `createdAt`, `updatedAt`, `name`).
PersonListQuery {
    /// Only people of this party.
    party_id: Option<String>,
});

pub(crate) const SORTS: &[(&str, PersonSort)] = &[
    ("createdAt", PersonSort::Created),
    ("updatedAt", PersonSort::Updated),
    ("name", PersonSort::Name),
];

/// Create a person (officer).
#[utoipa::path(
    tag = "people",
    request_body = PersonInput,
    security(("bearerAuth" = [])),
    responses((status = 201, description = "The new person", body = PersonResponse,
        headers(("Location" = String, description = "The new person's URL"), ("ETag" = String, description = "Version tag"))))
)]
#[post("")]
pub async fn create_person(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<PersonInput>,
) -> Result<HttpResponse, AppError> {
    caller.require_staff()?;
    let data = body.into_inner().parse()?;
    let person = services::people::create(&state, &caller, data).await?;
    Ok(created(
        format!("/v1/people/{}", person.id),
        person.version,
        &PersonResponse::from(&person),
    ))
}

/// List people (officer).
#[utoipa::path(
    tag = "people",
    params(PersonListQuery),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "A page of people", body = PersonPage,
        headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))))
)]
#[get("")]
pub async fn list_people(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    query: Query<PersonListQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require_staff()?;
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
        PersonSort::Created,
    )?;
    let filter = PersonFilter {
        party_id: q
            .party_id
            .map(|p| {
                PartyId::parse(&p)
                    .ok_or_else(|| AppError::bad_request("partyId is not a party id."))
            })
            .transpose()?,
    };
    let (items, total) = services::people::list(
        &state,
        &caller,
        filter,
        paging.request.clone(),
        paging.with_total,
    )
    .await?;
    Ok(paging.respond(
        &state.cursors,
        items,
        |p, sort| Position {
            key: match sort {
                PersonSort::Created => String::new(),
                PersonSort::Updated => timestamp_key(&p.updated_at),
                PersonSort::Name => p.data.name.clone(),
            },
            id: p.id.to_string(),
        },
        |items, next_cursor| PersonPage {
            items: items.iter().map(PersonResponse::from).collect(),
            next_cursor,
            total_count: total,
        },
    ))
}

/// Get a person (officer).
#[utoipa::path(
    tag = "people",
    params(("id" = String, Path, description = "Person id")),
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The person", body = PersonResponse, headers(("ETag" = String, description = "Version tag"))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/{id}")]
pub async fn get_person(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.require_staff()?;
    let id = path_id(&id, PersonId::parse)?;
    let person = services::people::get(&state, &caller, id).await?;
    Ok(single(
        &request,
        person.version,
        &PersonResponse::from(&person),
    ))
}

/// Update a person with a JSON Merge Patch (officer).
#[utoipa::path(
    tag = "people",
    params(("id" = String, Path, description = "Person id")),
    request_body(content = PersonInput, content_type = "application/merge-patch+json",
        description = "A JSON Merge Patch (RFC 7396) of the person's writable fields: absent = unchanged, null = cleared."),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The updated person", body = PersonResponse, headers(("ETag" = String, description = "Version tag"))))
)]
#[patch("/{id}")]
pub async fn update_person(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    caller.require_staff()?;
    let id = path_id(&id, PersonId::parse)?;
    let patch = body.into_inner();
    let person =
        services::people::update(&state, &caller, id, if_match(&request), move |current| {
            apply_patch(&PersonInput::from(&current.data), patch)?.parse()
        })
        .await?;
    Ok(single(
        &request,
        person.version,
        &PersonResponse::from(&person),
    ))
}

/// Delete a person nothing refers to (officer).
#[utoipa::path(
    tag = "people",
    params(("id" = String, Path, description = "Person id")),
    security(("bearerAuth" = [])),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/{id}")]
pub async fn delete_person(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.require_staff()?;
    let id = path_id(&id, PersonId::parse)?;
    services::people::delete(&state, &caller, id, if_match(&request)).await?;
    Ok(HttpResponse::NoContent().finish())
}
