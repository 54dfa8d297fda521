//! Parties: organisations such as the Board of Investment, the National Highway Authority or
//! the Government of Azerbaijan.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::auth::Caller;
use super::extract::{Json, Problems, Query};
use super::pagination::Paging;
use super::{apply_patch, created, if_match, path_id, single, utc};
use crate::domain::codes::{CountryCode, PartyKind};
use crate::domain::ids::{PartyId, PersonId};
use crate::domain::page::{Position, timestamp_key};
use crate::domain::parties::{ContactPoint, Identifier, Party, PartyData};
use crate::domain::parties::{PartyFilter, PartySort};
use crate::error::AppError;
use crate::services::{self, AppState};

/// An identifier of the organisation in a register.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentifierDto {
    /// The register, e.g. `PK-SECP` or `XI-LEI`.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "XI-LEI")]
    pub scheme: String,
    /// The organisation's id in that register.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "5493001KJTIIGC8Y1R12")]
    pub id: String,
}

/// How to reach the organisation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPointDto {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[validate(email, length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[validate(length(min = 3, max = 50))]
    #[schema(min_length = 3, max_length = 50, example = "+92 51 9215870")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
}

/// The writable fields of a party (create, or the target of a merge patch).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PartyInput {
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "National Highway Authority"
    )]
    pub name: String,
    #[schema(value_type = PartyKind)]
    pub kind: String,
    #[schema(value_type = CountryCode)]
    pub country: String,
    #[validate(nested)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<IdentifierDto>,
    /// The organisation's website (http or https).
    #[validate(length(max = 2000))]
    #[schema(format = "uri", max_length = 2000, example = "https://nha.gov.pk")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[validate(nested)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_point: Option<ContactPointDto>,
    /// Members of a consortium (party ids).
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    #[serde(default)]
    pub member_ids: Vec<String>,
    /// The host-agency person who keeps liaison with this party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focal_person_id: Option<String>,
}

/// Parses an `http(s)` URL.
pub fn web_url(text: &str) -> Result<String, String> {
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(text.to_owned())
        }
        _ => Err("must be an absolute http or https URL".into()),
    }
}

/// Parses an optional id of one kind.
pub fn optional_id<T>(
    text: &Option<String>,
    parse: fn(&str) -> Option<T>,
    kind: &str,
) -> Result<Option<T>, String> {
    match text {
        None => Ok(None),
        Some(text) => parse(text)
            .map(Some)
            .ok_or_else(|| format!("is not a {kind} id")),
    }
}

impl PartyInput {
    /// Checks every field and builds the party's data, reporting all problems at once.
    pub fn parse(self) -> Result<PartyData, AppError> {
        let mut problems = Problems::from_validation(self.validate());
        let kind = problems.take(
            "/kind",
            PartyKind::parse(&self.kind)
                .ok_or_else(|| "is not a party kind (see /v1/codelists/partyKind)".to_owned()),
        );
        let country = problems.take("/country", CountryCode::try_from(self.country.clone()));
        let website = match &self.website {
            Some(w) => problems.take("/website", web_url(w).map(Some)),
            None => Some(None),
        };
        let members: Vec<Option<PartyId>> = self
            .member_ids
            .iter()
            .enumerate()
            .map(|(i, m)| {
                problems.take(
                    format!("/memberIds/{i}"),
                    PartyId::parse(m).ok_or_else(|| "is not a party id".to_owned()),
                )
            })
            .collect();
        let mut seen = std::collections::HashSet::new();
        for (i, m) in self.member_ids.iter().enumerate() {
            if !seen.insert(m) {
                problems.add(format!("/memberIds/{i}"), "is listed twice");
            }
        }
        let focal = problems.take(
            "/focalPersonId",
            optional_id(&self.focal_person_id, PersonId::parse, "person"),
        );
        problems.finish(|| {
            Some(PartyData {
                name: self.name,
                kind: kind?,
                country: country?,
                identifier: self.identifier.map(|i| Identifier {
                    scheme: i.scheme,
                    id: i.id,
                }),
                website: website?,
                contact_point: self.contact_point.map(|c| ContactPoint {
                    name: c.name,
                    email: c.email,
                    telephone: c.telephone,
                }),
                member_ids: members.into_iter().collect::<Option<Vec<_>>>()?,
                focal_person_id: focal?,
            })
        })
    }
}

impl From<&PartyData> for PartyInput {
    fn from(d: &PartyData) -> Self {
        PartyInput {
            name: d.name.clone(),
            kind: d.kind.as_str().to_owned(),
            country: d.country.to_string(),
            identifier: d.identifier.as_ref().map(|i| IdentifierDto {
                scheme: i.scheme.clone(),
                id: i.id.clone(),
            }),
            website: d.website.clone(),
            contact_point: d.contact_point.as_ref().map(|c| ContactPointDto {
                name: c.name.clone(),
                email: c.email.clone(),
                telephone: c.telephone.clone(),
            }),
            member_ids: d.member_ids.iter().map(|m| m.to_string()).collect(),
            focal_person_id: d.focal_person_id.as_ref().map(|p| p.to_string()),
        }
    }
}

/// A party.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartyResponse {
    #[schema(example = "pty_01jd8x3v5ffd2b6jq4w5k9h8zq")]
    pub id: String,
    #[serde(flatten)]
    pub fields: PartyInput,
    #[serde(serialize_with = "crate::handlers::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::handlers::rfc3339")]
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; the ETag is `"v<version>"`.
    pub version: i32,
}

impl From<&Party> for PartyResponse {
    fn from(party: &Party) -> Self {
        PartyResponse {
            id: party.id.to_string(),
            fields: PartyInput::from(&party.data),
            created_at: utc(party.created_at),
            updated_at: utc(party.updated_at),
            version: party.version,
        }
    }
}

crate::page_type!(
    /// A page of parties.
    PartyPage, PartyResponse);

crate::list_query!(
/// Filters and paging of parties (sort: `createdAt`, `updatedAt`, `name`).
PartyListQuery {
    /// Only parties of this kind.
    #[param(value_type = Option<PartyKind>)]
    kind: Option<String>,
    /// Only parties of this country.
    #[param(value_type = Option<CountryCode>)]
    country: Option<String>,
});

pub(crate) const SORTS: &[(&str, PartySort)] = &[
    ("createdAt", PartySort::Created),
    ("updatedAt", PartySort::Updated),
    ("name", PartySort::Name),
];

/// Create a party (officer).
#[utoipa::path(
    tag = "parties",
    request_body = PartyInput,
    security(("bearerAuth" = [])),
    responses((status = 201, description = "The new party", body = PartyResponse,
        headers(("Location" = String, description = "The new party's URL"), ("ETag" = String, description = "Version tag"))))
)]
#[post("")]
pub async fn create_party(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<PartyInput>,
) -> Result<HttpResponse, AppError> {
    caller.require_staff()?;
    let data = body.into_inner().parse()?;
    let party = services::parties::create(&state, &caller, data).await?;
    Ok(created(
        format!("/v1/parties/{}", party.id),
        party.version,
        &PartyResponse::from(&party),
    ))
}

/// List parties (officers: all; investors: their own).
#[utoipa::path(
    tag = "parties",
    params(PartyListQuery),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "A page of parties", body = PartyPage,
        headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))))
)]
#[get("")]
pub async fn list_parties(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    query: Query<PartyListQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require_key()?;
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
        PartySort::Created,
    )?;
    let filter = PartyFilter {
        only: None,
        kind: q
            .kind
            .map(|k| {
                PartyKind::parse(&k).ok_or_else(|| {
                    AppError::bad_request("kind is not a party kind (see /v1/codelists/partyKind).")
                })
            })
            .transpose()?,
        country: q
            .country
            .map(|c| {
                CountryCode::try_from(c).map_err(|e| AppError::bad_request(format!("country {e}.")))
            })
            .transpose()?,
    };
    let (items, total) = services::parties::list(
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
                PartySort::Created => String::new(),
                PartySort::Updated => timestamp_key(&p.updated_at),
                PartySort::Name => p.data.name.clone(),
            },
            id: p.id.to_string(),
        },
        |items, next_cursor| PartyPage {
            items: items.iter().map(PartyResponse::from).collect(),
            next_cursor,
            total_count: total,
        },
    ))
}

/// Get a party.
#[utoipa::path(
    tag = "parties",
    params(("id" = String, Path, description = "Party id")),
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The party", body = PartyResponse, headers(("ETag" = String, description = "Version tag"))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/{id}")]
pub async fn get_party(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.require_key()?;
    let id = path_id(&id, PartyId::parse)?;
    let party = services::parties::get(&state, &caller, id).await?;
    Ok(single(
        &request,
        party.version,
        &PartyResponse::from(&party),
    ))
}

/// Update a party with a JSON Merge Patch (officer).
#[utoipa::path(
    tag = "parties",
    params(("id" = String, Path, description = "Party id")),
    request_body(content = PartyInput, content_type = "application/merge-patch+json",
        description = "A JSON Merge Patch (RFC 7396) of the party's writable fields: absent = unchanged, null = cleared."),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The updated party", body = PartyResponse, headers(("ETag" = String, description = "Version tag"))))
)]
#[patch("/{id}")]
pub async fn update_party(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    caller.require_staff()?;
    let id = path_id(&id, PartyId::parse)?;
    let patch = body.into_inner();
    let party =
        services::parties::update(&state, &caller, id, if_match(&request), move |current| {
            apply_patch(&PartyInput::from(&current.data), patch)?.parse()
        })
        .await?;
    Ok(single(
        &request,
        party.version,
        &PartyResponse::from(&party),
    ))
}

/// Delete a party nothing refers to (officer).
#[utoipa::path(
    tag = "parties",
    params(("id" = String, Path, description = "Party id")),
    security(("bearerAuth" = [])),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/{id}")]
pub async fn delete_party(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.require_staff()?;
    let id = path_id(&id, PartyId::parse)?;
    services::parties::delete(&state, &caller, id, if_match(&request)).await?;
    Ok(HttpResponse::NoContent().finish())
}
