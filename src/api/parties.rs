//! Parties as the API shows them: organisations such as the Board of Investment, the National
//! Highway Authority or the Government of Azerbaijan.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::pagination::{CursorId, ListShape};
use super::parse::{Problems, optional_id, web_url};
use super::utc;
use crate::domain::codes::{CountryCode, PartyKind};
use crate::domain::ids::{PartyId, PersonId};
use crate::domain::parties::{ContactPoint, Identifier, Party, PartyData};
use crate::domain::parties::{PartyFilter, PartySort};
use crate::error::{AppError, FieldError};

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
    #[schema(value_type = Vec<crate::domain::ids::PartyId>, max_items = 50)]
    #[serde(default)]
    pub member_ids: Vec<String>,
    /// The host-agency person who keeps liaison with this party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::domain::ids::PersonId>)]
    pub focal_person_id: Option<String>,
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
    #[schema(value_type = crate::domain::ids::PartyId)]
    pub id: String,
    #[serde(flatten)]
    pub fields: PartyInput,
    #[serde(serialize_with = "crate::api::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::api::rfc3339")]
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
PartyListQuery(PartySortField) {
    /// Only parties of this kind.
    #[param(value_type = Option<PartyKind>)]
    kind: Option<String>,
    /// Only parties of this country.
    #[param(value_type = Option<CountryCode>)]
    country: Option<String>,
});

/// How party lists are paged.
pub const LIST: ListShape<PartySort> = ListShape {
    sorts: &[
        ("createdAt", PartySort::Created),
        ("updatedAt", PartySort::Updated),
        ("name", PartySort::Name),
    ],
    default: PartySort::Created,
    id: CursorId::Of(PartyId::PREFIX),
};

impl PartyListQuery {
    /// The filter, or a 400 naming every bad parameter.
    pub fn filter(&self) -> Result<PartyFilter, AppError> {
        let mut errors = Vec::new();
        let kind = self.kind.as_deref().and_then(|k| {
            let kind = PartyKind::parse(k);
            if kind.is_none() {
                errors.push(FieldError::new(
                    "kind",
                    "is not a party kind (see /v1/codelists/partyKind)",
                ));
            }
            kind
        });
        let country = self.country.clone().and_then(|c| {
            CountryCode::try_from(c)
                .map_err(|e| errors.push(FieldError::new("country", e)))
                .ok()
        });
        if !errors.is_empty() {
            return Err(AppError::bad_parameters(errors));
        }
        Ok(PartyFilter {
            only: None,
            kind,
            country,
        })
    }
}

/// The URL of a party.
pub fn location(id: &PartyId) -> String {
    format!("/v1/parties/{id}")
}

crate::sort_schema!(
    /// How a list of parties may be sorted.
    PartySortField, LIST);
