//! Initiatives as the API shows them: programmes that group opportunities and countries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::pagination::{CursorId, ListShape};
use super::parse::{Problems, optional_id};
use super::utc;
use crate::domain::codes::CountryCode;
use crate::domain::ids::{InitiativeId, PartyId, PersonId};
use crate::domain::initiatives::InitiativeSort;
use crate::domain::initiatives::{Initiative, InitiativeData};
use crate::error::AppError;

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
    #[schema(value_type = Option<crate::domain::ids::PartyId>)]
    pub lead_party_id: Option<String>,
    /// The person keeping liaison for the initiative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::domain::ids::PersonId>)]
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
    #[schema(value_type = crate::domain::ids::InitiativeId)]
    pub id: String,
    #[serde(flatten)]
    pub fields: InitiativeInput,
    #[serde(serialize_with = "crate::api::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::api::rfc3339")]
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
    InitiativeListQuery(InitiativeSortField) {});

/// How lists of initiatives are paged.
pub const LIST: ListShape<InitiativeSort> = ListShape {
    sorts: &[
        ("createdAt", InitiativeSort::Created),
        ("updatedAt", InitiativeSort::Updated),
        ("name", InitiativeSort::Name),
    ],
    default: InitiativeSort::Created,
    id: CursorId::Of(InitiativeId::PREFIX),
};

/// The URL of an initiative.
pub fn location(id: &InitiativeId) -> String {
    format!("/v1/initiatives/{id}")
}

crate::sort_schema!(
    /// How a list of initiatives may be sorted.
    InitiativeSortField, LIST);
