//! People as the API shows them: contacts who belong to a party, such as a focal person at the
//! Board of Investment.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::pagination::{CursorId, ListShape};
use super::parse::Problems;
use super::utc;
use crate::domain::ids::{PartyId, PersonId};
use crate::domain::people::{Person, PersonData};
use crate::domain::people::{PersonFilter, PersonSort};
use crate::error::{AppError, FieldError};

/// The writable fields of a person (create, or the target of a merge patch).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PersonInput {
    /// The party the person belongs to.
    #[schema(value_type = crate::domain::ids::PartyId)]
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
    #[schema(value_type = crate::domain::ids::PersonId)]
    pub id: String,
    #[serde(flatten)]
    pub fields: PersonInput,
    #[serde(serialize_with = "crate::api::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::api::rfc3339")]
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
PersonListQuery(PersonSortField) {
    /// Only people of this party.
    #[param(value_type = Option<crate::domain::ids::PartyId>)]
    party_id: Option<String>,
});

/// How lists of people are paged.
pub const LIST: ListShape<PersonSort> = ListShape {
    sorts: &[
        ("createdAt", PersonSort::Created),
        ("updatedAt", PersonSort::Updated),
        ("name", PersonSort::Name),
    ],
    default: PersonSort::Created,
    id: CursorId::Of(PersonId::PREFIX),
};

impl PersonListQuery {
    /// The filter, or a 400 naming the bad parameter.
    pub fn filter(&self) -> Result<PersonFilter, AppError> {
        let party_id = match &self.party_id {
            None => None,
            Some(p) => Some(PartyId::parse(p).ok_or_else(|| {
                AppError::bad_parameters(vec![FieldError::new("partyId", "is not a party id")])
            })?),
        };
        Ok(PersonFilter { party_id })
    }
}

/// The URL of a person.
pub fn location(id: &PersonId) -> String {
    format!("/v1/people/{id}")
}

crate::sort_schema!(
    /// How a list of people may be sorted.
    PersonSortField, LIST);
