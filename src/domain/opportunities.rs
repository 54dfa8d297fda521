//! Opportunities: investment projects listed for foreign investors, aligned with an OC4IDS
//! project.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::codes::{
    CountryCode, CurrencyCode, DocumentType, EngagementModel, ListingStatus, PppModel,
    ProjectStatus, ProjectType, SectorCode,
};
use super::ids::{InitiativeId, OpportunityId, PartyId, PersonId};
use super::money::Money;
use super::page::{Position, Positioned, timestamp_key};
use super::stored::Stored;

/// Where a project is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub description: Option<String>,
    pub region: Option<String>,
    /// `[longitude, latitude]` points (one for a site, several for a route).
    #[serde(default)]
    pub coordinates: Vec<[f64; 2]>,
}

/// A document about the project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub title: String,
    pub document_type: DocumentType,
    pub url: String,
    pub language: Option<String>,
}

/// The writable fields of an opportunity (the listing status has its own rules).
#[derive(Debug, Clone, PartialEq)]
pub struct OpportunityData {
    pub title: String,
    pub description: String,
    pub purpose: Option<String>,
    pub sectors: Vec<SectorCode>,
    pub project_type: Option<ProjectType>,
    pub project_status: ProjectStatus,
    pub engagement_models: Vec<EngagementModel>,
    pub ppp_model: Option<PppModel>,
    pub host_country: CountryCode,
    pub locations: Vec<Location>,
    pub estimated_cost: Option<Money>,
    pub investment_sought: Option<Money>,
    pub eoi_deadline: Option<NaiveDate>,
    pub public_authority_id: Option<PartyId>,
    pub focal_person_id: Option<PersonId>,
    pub partner_countries: Vec<CountryCode>,
    pub initiative_id: Option<InitiativeId>,
    pub documents: Vec<Document>,
    pub oc4ids_id: Option<String>,
}

/// An opportunity's data with its place in the listing lifecycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub data: OpportunityData,
    pub status: ListingStatus,
    /// When it was first published; set once, never cleared.
    pub published_at: Option<NaiveDateTime>,
}

pub type Opportunity = Stored<OpportunityId, Listing>;

impl OpportunityData {
    /// What an investor needs before an opportunity may be published; empty when complete.
    ///
    /// The rule: a description of at least 50 characters, a location, an amount of investment
    /// sought, a focal person to contact, a public authority behind the project, and at least
    /// one engagement model (a draft imported from elsewhere may have none yet). Title, sectors,
    /// host country and project status are required on every opportunity already.
    pub fn missing_for_publication(&self) -> Vec<(&'static str, &'static str)> {
        let mut missing = Vec::new();
        if self.description.chars().count() < 50 {
            missing.push((
                "/description",
                "needs at least 50 characters before publication",
            ));
        }
        if self.locations.is_empty() {
            missing.push((
                "/locations",
                "needs at least one location before publication",
            ));
        }
        if self.investment_sought.is_none() {
            missing.push(("/investmentSought", "is required before publication"));
        }
        if self.focal_person_id.is_none() {
            missing.push((
                "/focalPersonId",
                "is required before publication: investors need someone to contact",
            ));
        }
        if self.public_authority_id.is_none() {
            missing.push(("/publicAuthorityId", "is required before publication"));
        }
        if self.engagement_models.is_empty() {
            missing.push((
                "/engagementModels",
                "needs at least one engagement model before publication",
            ));
        }
        missing
    }

    /// Every searchable word, lower-cased, for the `q` filter.
    pub fn search_text(&self) -> String {
        format!("{} {}", self.title, self.description).to_lowercase()
    }
}

/// Which opportunities a list shows. Empty lists mean "no restriction".
#[derive(Debug, Clone, Default)]
pub struct OpportunityFilter {
    /// Listing statuses the caller may see, intersected with any requested ones.
    pub listing_statuses: Vec<ListingStatus>,
    /// Any of these sectors (a broad code matches its narrower codes).
    pub sectors: Vec<SectorCode>,
    pub engagement_models: Vec<EngagementModel>,
    pub project_statuses: Vec<ProjectStatus>,
    pub host_country: Option<CountryCode>,
    pub partner_country: Option<CountryCode>,
    pub initiative_id: Option<InitiativeId>,
    /// Investment sought in one currency, between optional bounds in minor units.
    pub investment: Option<(CurrencyCode, Option<i64>, Option<i64>)>,
    pub eoi_deadline_before: Option<NaiveDate>,
    pub eoi_deadline_after: Option<NaiveDate>,
    pub updated_since: Option<NaiveDateTime>,
    /// Lower-case words that must all appear in the title or description.
    pub words: Vec<String>,
}

/// Orders for opportunity lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpportunitySort {
    Created,
    Updated,
    Title,
}

impl Positioned<OpportunitySort> for Opportunity {
    fn position(&self, sort: OpportunitySort) -> Position {
        let key = match sort {
            OpportunitySort::Created => String::new(),
            OpportunitySort::Updated => timestamp_key(&self.updated_at),
            OpportunitySort::Title => self.data.data.title.clone(),
        };
        Position {
            key,
            id: self.id.to_string(),
        }
    }
}
