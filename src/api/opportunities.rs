//! Opportunities as the API shows them: the catalogue of investment projects (motorways,
//! tourism zones, energy plants) offered to foreign investors.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::money::{MoneyDto, money};
use super::pagination::{CursorId, ListShape};
use super::parse::{Problems, optional_id, web_url};
use super::utc;
use crate::domain::codes::{
    CountryCode, CurrencyCode, DocumentType, EngagementModel, ListingStatus, PppModel,
    ProjectStatus, ProjectType, SectorCode,
};
use crate::domain::ids::{InitiativeId, OpportunityId, PartyId, PersonId};
use crate::domain::money::parse_minor_units;
use crate::domain::opportunities::{Document, Location, Opportunity, OpportunityData};
use crate::domain::opportunities::{OpportunityFilter, OpportunitySort};
use crate::error::{AppError, FieldError};

/// Where the project is: at least one of a description, a region or coordinates.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationDto {
    #[validate(length(min = 1, max = 500))]
    #[schema(
        min_length = 1,
        max_length = 500,
        example = "Hyderabad to Sukkur, Sindh"
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Sindh")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `[longitude, latitude]` points: one for a site, several for a route.
    #[validate(length(max = 1000))]
    #[schema(value_type = Vec<Point>, max_items = 1000, example = json!([[68.37, 25.39], [68.86, 27.70]]))]
    #[serde(default)]
    pub coordinates: Vec<[f64; 2]>,
}

/// A point: `[longitude, latitude]` in degrees (WGS 84), exactly two numbers.
pub struct Point;

impl utoipa::PartialSchema for Point {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
        ArrayBuilder::new()
            .items(
                ObjectBuilder::new()
                    .schema_type(Type::Number)
                    .minimum(Some(-180.0))
                    .maximum(Some(180.0)),
            )
            .min_items(Some(2))
            .max_items(Some(2))
            .description(Some("`[longitude, latitude]` in degrees (WGS 84)."))
            .examples([serde_json::json!([68.37, 25.39])])
            .into()
    }
}

impl utoipa::ToSchema for Point {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Point")
    }
}

/// A document about the project.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DocumentDto {
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300, example = "Feasibility study")]
    pub title: String,
    #[schema(value_type = DocumentType)]
    pub document_type: String,
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        format = "uri",
        max_length = 2000,
        example = "https://nha.gov.pk/m6/feasibility.pdf"
    )]
    pub url: String,
    /// BCP 47 language tag.
    #[validate(length(min = 2, max = 35))]
    #[schema(min_length = 2, max_length = 35, example = "en")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// The writable fields of an opportunity (create, or the target of a merge patch).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OpportunityInput {
    #[validate(length(min = 1, max = 300))]
    #[schema(
        min_length = 1,
        max_length = 300,
        example = "M-6 Hyderabad–Sukkur Motorway"
    )]
    pub title: String,
    #[validate(length(min = 1, max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub description: String,
    #[validate(length(min = 1, max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// OC4IDS projectSector codes; filtering on `transport` matches `transport.road`.
    #[validate(length(min = 1, max = 20))]
    #[schema(value_type = Vec<SectorCode>, min_items = 1, max_items = 20)]
    pub sectors: Vec<String>,
    #[schema(value_type = Option<ProjectType>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_type: Option<String>,
    #[schema(value_type = ProjectStatus)]
    pub project_status: String,
    /// How investors may take part (at least one before publication).
    #[validate(length(max = 8))]
    #[schema(value_type = Vec<EngagementModel>, max_items = 8)]
    pub engagement_models: Vec<String>,
    #[schema(value_type = Option<PppModel>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ppp_model: Option<String>,
    #[schema(value_type = CountryCode)]
    pub host_country: String,
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    #[serde(default)]
    pub locations: Vec<LocationDto>,
    #[validate(nested)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_cost: Option<MoneyDto>,
    #[validate(nested)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub investment_sought: Option<MoneyDto>,
    /// Last day to express interest (`YYYY-MM-DD`).
    #[schema(format = "date", value_type = Option<String>, example = "2027-03-31")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eoi_deadline: Option<String>,
    /// The public authority behind the project (a party).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::domain::ids::PartyId>)]
    pub public_authority_id: Option<String>,
    /// The host-agency person investors contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::domain::ids::PersonId>)]
    pub focal_person_id: Option<String>,
    /// Countries invited to take part (ISO 3166-1 alpha-2).
    #[validate(length(max = 50))]
    #[schema(value_type = Vec<CountryCode>, max_items = 50, example = json!(["AZ", "TR"]))]
    #[serde(default)]
    pub partner_countries: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::domain::ids::InitiativeId>)]
    pub initiative_id: Option<String>,
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    #[serde(default)]
    pub documents: Vec<DocumentDto>,
    /// The project's OC4IDS identifier, unique.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "oc4ids-bu3kcz-m6")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oc4ids_id: Option<String>,
}

fn listed<T>(
    problems: &mut Problems,
    base: &str,
    values: &[String],
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<Vec<T>> {
    let parsed: Vec<Option<T>> = values
        .iter()
        .enumerate()
        .map(|(i, v)| problems.take(format!("{base}/{i}"), parse(v)))
        .collect();
    let mut seen = std::collections::HashSet::new();
    for (i, v) in values.iter().enumerate() {
        if !seen.insert(v) {
            problems.add(format!("{base}/{i}"), "is listed twice");
        }
    }
    parsed.into_iter().collect()
}

fn ppp_model(m: &str) -> Result<PppModel, String> {
    PppModel::parse(m)
        .ok_or_else(|| format!("{m:?} is not a PPP model (see /v1/codelists/pppModel)"))
}

/// Each location says something, and its coordinates are on the globe.
fn check_locations(p: &mut Problems, locations: &[LocationDto]) {
    for (i, location) in locations.iter().enumerate() {
        if location.description.is_none()
            && location.region.is_none()
            && location.coordinates.is_empty()
        {
            p.add(
                format!("/locations/{i}"),
                "a location needs a description, a region or coordinates",
            );
        }
        for (j, [lon, lat]) in location.coordinates.iter().enumerate() {
            if !(-180.0..=180.0).contains(lon) || !(-90.0..=90.0).contains(lat) {
                p.add(
                    format!("/locations/{i}/coordinates/{j}"),
                    "must be [longitude, latitude] within [-180, 180] and [-90, 90]",
                );
            }
        }
    }
}

/// The documents, `None` where one is refused (its reasons are in `p`).
fn documents(p: &mut Problems, documents: &[DocumentDto]) -> Vec<Option<Document>> {
    let read = |(i, d): (usize, &DocumentDto)| {
        let kind = p.take(
            format!("/documents/{i}/documentType"),
            DocumentType::try_from(d.document_type.clone()),
        );
        let url = p.take(format!("/documents/{i}/url"), web_url(&d.url));
        Some(Document {
            title: d.title.clone(),
            document_type: kind?,
            url: url?,
            language: d.language.clone(),
        })
    };
    documents.iter().enumerate().map(read).collect()
}

impl From<LocationDto> for Location {
    fn from(l: LocationDto) -> Self {
        Location {
            description: l.description,
            region: l.region,
            coordinates: l.coordinates,
        }
    }
}

fn date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 10)
        .ok_or_else(|| format!("{text:?} is not a date in the form YYYY-MM-DD"))
}

impl OpportunityInput {
    /// Checks every field and builds the opportunity's data, reporting all problems at once.
    pub fn parse(self) -> Result<OpportunityData, AppError> {
        let mut p = Problems::from_validation(self.validate());
        let sectors = listed(&mut p, "/sectors", &self.sectors, |s| {
            SectorCode::try_from(s.to_owned())
        });
        let models = listed(&mut p, "/engagementModels", &self.engagement_models, |s| {
            EngagementModel::parse(s).ok_or_else(|| {
                format!("{s:?} is not an engagement model (see /v1/codelists/engagementModel)")
            })
        });
        let partners = listed(&mut p, "/partnerCountries", &self.partner_countries, |s| {
            CountryCode::try_from(s.to_owned())
        });
        let project_type = p.take(
            "/projectType",
            self.project_type
                .clone()
                .map(ProjectType::try_from)
                .transpose(),
        );
        let project_status = p.take(
            "/projectStatus",
            ProjectStatus::try_from(self.project_status.clone()),
        );
        let ppp_model = p.take(
            "/pppModel",
            self.ppp_model.as_deref().map(ppp_model).transpose(),
        );
        let host_country = p.take(
            "/hostCountry",
            CountryCode::try_from(self.host_country.clone()),
        );
        check_locations(&mut p, &self.locations);
        let documents = documents(&mut p, &self.documents);
        let estimated_cost = money(&mut p, "/estimatedCost", &self.estimated_cost);
        let investment_sought = money(&mut p, "/investmentSought", &self.investment_sought);
        let eoi_deadline = p.take(
            "/eoiDeadline",
            self.eoi_deadline.as_deref().map(date).transpose(),
        );
        let authority = p.take(
            "/publicAuthorityId",
            optional_id(&self.public_authority_id, PartyId::parse, "party"),
        );
        let focal = p.take(
            "/focalPersonId",
            optional_id(&self.focal_person_id, PersonId::parse, "person"),
        );
        let initiative = p.take(
            "/initiativeId",
            optional_id(&self.initiative_id, InitiativeId::parse, "initiative"),
        );
        p.finish(|| {
            Some(OpportunityData {
                title: self.title,
                description: self.description,
                purpose: self.purpose,
                sectors: sectors?,
                project_type: project_type?,
                project_status: project_status?,
                engagement_models: models?,
                ppp_model: ppp_model?,
                host_country: host_country?,
                locations: self.locations.into_iter().map(Location::from).collect(),
                estimated_cost: estimated_cost?,
                investment_sought: investment_sought?,
                eoi_deadline: eoi_deadline?,
                public_authority_id: authority?,
                focal_person_id: focal?,
                partner_countries: partners?,
                initiative_id: initiative?,
                documents: documents.into_iter().collect::<Option<_>>()?,
                oc4ids_id: self.oc4ids_id,
            })
        })
    }
}

impl From<OpportunityData> for OpportunityInput {
    fn from(d: OpportunityData) -> Self {
        OpportunityInput {
            title: d.title,
            description: d.description,
            purpose: d.purpose,
            sectors: d.sectors.into_iter().map(String::from).collect(),
            project_type: d.project_type.map(String::from),
            project_status: d.project_status.into(),
            engagement_models: d
                .engagement_models
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect(),
            ppp_model: d.ppp_model.map(|m| m.as_str().to_owned()),
            host_country: d.host_country.into(),
            locations: d
                .locations
                .into_iter()
                .map(|l| LocationDto {
                    description: l.description,
                    region: l.region,
                    coordinates: l.coordinates,
                })
                .collect(),
            estimated_cost: d.estimated_cost.as_ref().map(MoneyDto::from),
            investment_sought: d.investment_sought.as_ref().map(MoneyDto::from),
            // chrono's `Display` writes `%Y-%m-%d` directly; `format` interprets the pattern
            // for every date (a test checks they agree).
            eoi_deadline: d.eoi_deadline.map(|t| t.to_string()),
            public_authority_id: d.public_authority_id.map(PartyId::into_string),
            focal_person_id: d.focal_person_id.map(PersonId::into_string),
            partner_countries: d.partner_countries.into_iter().map(String::from).collect(),
            initiative_id: d.initiative_id.map(InitiativeId::into_string),
            documents: d
                .documents
                .into_iter()
                .map(|doc| DocumentDto {
                    title: doc.title,
                    document_type: doc.document_type.into(),
                    url: doc.url,
                    language: doc.language,
                })
                .collect(),
            oc4ids_id: d.oc4ids_id,
        }
    }
}

/// A merge patch of an opportunity: any writable field, and `listingStatus` to publish, close or
/// archive it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpportunityUpdate {
    #[serde(flatten)]
    pub fields: OpportunityInput,
    /// `draft` → `published` (only when complete: see the 422) → `closed` | `archived`.
    // Never null (a listing always has a status). Declared required so that the derived
    // `OpportunityUpdatePatch`, where every property is optional, does not offer `null` for it
    // as it does for the fields a patch may clear (`openapi::relax`).
    #[schema(value_type = ListingStatus, required = true)]
    pub listing_status: Option<ListingStatus>,
}

/// An opportunity.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpportunityResponse {
    #[schema(value_type = crate::domain::ids::OpportunityId)]
    pub id: String,
    #[serde(flatten)]
    pub fields: OpportunityInput,
    pub listing_status: ListingStatus,
    #[serde(serialize_with = "crate::api::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::api::rfc3339")]
    pub updated_at: DateTime<Utc>,
    /// When it was first published.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::api::rfc3339_optional"
    )]
    pub published_at: Option<DateTime<Utc>>,
    /// Increases on every change; the ETag is `"v<version>"`.
    pub version: i32,
}

impl From<Opportunity> for OpportunityResponse {
    fn from(o: Opportunity) -> Self {
        OpportunityResponse {
            id: o.id.into_string(),
            fields: OpportunityInput::from(o.data.data),
            listing_status: o.data.status,
            created_at: utc(o.created_at),
            updated_at: utc(o.updated_at),
            published_at: o.data.published_at.map(utc),
            version: o.version,
        }
    }
}

/// The opportunity as the API shows it, serialized: the body of `GET /v1/opportunities/{id}`,
/// and what each row stores for list pages to serve as it is (see migration 8).
pub fn representation(opportunity: &Opportunity) -> String {
    serde_json::to_string(&OpportunityResponse::from(opportunity.clone()))
        .expect("an opportunity serializes: its maps have string keys")
}

crate::page_type!(
    /// A page of opportunities.
    OpportunityPage, OpportunityResponse);

crate::list_query!(
/// Filters and paging of opportunities (sort: `createdAt`, `updatedAt`, `title`). Repeat a
/// list filter to match any of its values.
OpportunityListQuery(OpportunitySortField) {
    /// projectSector codes; `transport` also matches `transport.road`.
    #[param(value_type = Option<Vec<SectorCode>>)]
    #[serde(default)]
    sector: Vec<String>,
    #[param(value_type = Option<Vec<EngagementModel>>)]
    #[serde(default)]
    engagement_model: Vec<String>,
    #[param(value_type = Option<Vec<ProjectStatus>>)]
    #[serde(default)]
    project_status: Vec<String>,
    /// Officers see every status; others only `published` and `closed`.
    #[param(value_type = Option<Vec<ListingStatus>>)]
    #[serde(default)]
    listing_status: Vec<String>,
    #[param(value_type = Option<CountryCode>)]
    host_country: Option<String>,
    #[param(value_type = Option<CountryCode>)]
    partner_country: Option<String>,
    #[param(value_type = Option<crate::domain::ids::InitiativeId>)]
    initiative_id: Option<String>,
    /// Least investment sought, in `currency` (decimal string).
    min_investment: Option<String>,
    /// Most investment sought, in `currency` (decimal string).
    max_investment: Option<String>,
    /// Currency of `minInvestment`/`maxInvestment`; alone, matches that currency.
    #[param(value_type = Option<CurrencyCode>)]
    currency: Option<String>,
    /// EOI deadline strictly before this date (`YYYY-MM-DD`).
    #[param(format = Date, value_type = Option<String>)]
    eoi_deadline_before: Option<String>,
    /// EOI deadline strictly after this date (`YYYY-MM-DD`).
    #[param(format = Date, value_type = Option<String>)]
    eoi_deadline_after: Option<String>,
    /// Changed at or after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    updated_since: Option<String>,
    /// Words that must all appear in the title or description (case-insensitive).
    #[param(max_length = 200)]
    q: Option<String>,
});

/// How opportunity lists (and exports) are paged.
pub const LIST: ListShape<OpportunitySort> = ListShape {
    sorts: &[
        ("createdAt", OpportunitySort::Created),
        ("updatedAt", OpportunitySort::Updated),
        ("title", OpportunitySort::Title),
    ],
    default: OpportunitySort::Created,
    id: CursorId::Of(OpportunityId::PREFIX),
};

/// The URL of an opportunity.
pub fn location(id: &OpportunityId) -> String {
    format!("/v1/opportunities/{id}")
}

/// Splits `listingStatus` off a merge patch of an opportunity: what is left patches its fields.
pub fn take_listing_status(
    patch: &mut serde_json::Value,
) -> Result<Option<ListingStatus>, AppError> {
    match patch
        .as_object_mut()
        .and_then(|fields| fields.remove("listingStatus"))
    {
        None => Ok(None),
        Some(value) => value
            .as_str()
            .and_then(ListingStatus::parse)
            .map(Some)
            .ok_or_else(|| {
                AppError::invalid_field(
                    "/listingStatus",
                    "must be draft, published, closed or archived",
                )
            }),
    }
}

fn bad_parameter(name: &str, detail: impl Into<String>) -> FieldError {
    FieldError::new(name, detail)
}

impl OpportunityListQuery {
    /// The filter, or a 400 naming every bad parameter.
    pub fn filter(&self) -> Result<OpportunityFilter, AppError> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let sectors = many(e, "sector", &self.sector, |v| {
            SectorCode::try_from(v.to_owned()).ok()
        });
        let engagement_models = many(
            e,
            "engagementModel",
            &self.engagement_model,
            EngagementModel::parse,
        );
        let project_statuses = many(e, "projectStatus", &self.project_status, |v| {
            ProjectStatus::try_from(v.to_owned()).ok()
        });
        let listing_statuses = many(
            e,
            "listingStatus",
            &self.listing_status,
            ListingStatus::parse,
        );
        let country = |v: &str| CountryCode::try_from(v.to_owned());
        let host_country = one(e, "hostCountry", &self.host_country, country);
        let partner_country = one(e, "partnerCountry", &self.partner_country, country);
        let initiative_id = one(e, "initiativeId", &self.initiative_id, |v| {
            InitiativeId::parse(v).ok_or("is not an initiative id".into())
        });
        let currency = one(e, "currency", &self.currency, |v| {
            CurrencyCode::try_from(v.to_owned())
        });
        let eoi_deadline_before = one(e, "eoiDeadlineBefore", &self.eoi_deadline_before, date);
        let eoi_deadline_after = one(e, "eoiDeadlineAfter", &self.eoi_deadline_after, date);
        let updated_since = one(e, "updatedSince", &self.updated_since, |v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.naive_utc())
                .map_err(|_| "must be an RFC 3339 instant".into())
        });
        let q = one(e, "q", &self.q, |v| match v.chars().count() {
            0..=200 => Ok(v.to_lowercase()),
            _ => Err("at most 200 characters".into()),
        });
        let min = bound(e, "minInvestment", &self.min_investment, currency.as_ref());
        let max = bound(e, "maxInvestment", &self.max_investment, currency.as_ref());
        if !errors.is_empty() {
            return Err(AppError::bad_parameters(errors));
        }
        Ok(OpportunityFilter {
            listing_statuses,
            sectors,
            engagement_models,
            project_statuses,
            host_country,
            partner_country,
            initiative_id,
            investment: currency.map(|c| (c, min, max)),
            eoi_deadline_before,
            eoi_deadline_after,
            updated_since,
            words: q
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        })
    }
}

/// An investment bound in minor units of `currency`, which it needs.
fn bound(
    errors: &mut Vec<FieldError>,
    name: &str,
    value: &Option<String>,
    currency: Option<&CurrencyCode>,
) -> Option<i64> {
    let v = value.as_deref()?;
    let Some(currency) = currency else {
        errors.push(bad_parameter(name, "needs currency"));
        return None;
    };
    parse_minor_units(v, currency.minor_digits())
        .map_err(|e| errors.push(bad_parameter(name, e)))
        .ok()
}

/// Every value of a repeated code parameter, each bad one named.
fn many<T>(
    errors: &mut Vec<FieldError>,
    name: &str,
    values: &[String],
    parse: impl Fn(&str) -> Option<T>,
) -> Vec<T> {
    let mut parsed = Vec::new();
    for v in values {
        match parse(v) {
            Some(value) => parsed.push(value),
            None => errors.push(bad_parameter(name, format!("{v:?} is not a valid code"))),
        }
    }
    parsed
}

/// A single parameter, named with its reason when bad.
fn one<T>(
    errors: &mut Vec<FieldError>,
    name: &str,
    value: &Option<String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    let v = value.as_deref()?;
    parse(v)
        .map_err(|e| errors.push(bad_parameter(name, e)))
        .ok()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::opportunities::Listing;

    /// Lists serve each opportunity's representation as it was stored when the opportunity was
    /// last written (migration 8). So when this text changes, stored ones are out of date: add a
    /// migration that sets `opportunities.representation` to NULL, for every instance to render
    /// them again when it starts, and then update the text here.
    #[test]
    fn the_stored_representation_is_unchanged() {
        let input: OpportunityInput = serde_json::from_value(serde_json::json!({
            "title": "M-6 Hyderabad–Sukkur \"Motorway\"",
            "description": "A 306 km, six-lane motorway between Hyderabad and Sukkur.",
            "sectors": ["transport.road"],
            "projectType": "construction",
            "projectStatus": "preparation",
            "engagementModels": ["g2g", "ppp"],
            "pppModel": "bot",
            "hostCountry": "PK",
            "locations": [{"region": "Sindh", "coordinates": [[68.37, 25.39]]}],
            "estimatedCost": {"amount": "1700000000.00", "currency": "USD"},
            "investmentSought": {"amount": "1225000000", "currency": "USD"},
            "eoiDeadline": "2027-06-30",
            "publicAuthorityId": "pty_01jd8x3v5ffd2b6jq4w5k9h8zq",
            "focalPersonId": "per_01jd8x3v5ffd2b6jq4w5k9h8zq",
            "partnerCountries": ["AZ", "TR"],
            "documents": [{"title": "Feasibility", "documentType": "feasibilityStudy", "url": "https://nha.gov.pk/m6.pdf"}]
        }))
        .unwrap();
        let at =
            |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").unwrap();
        let opportunity = Opportunity {
            id: OpportunityId::from_db("opp_01jd8x3v5ffd2b6jq4w5k9h8zq".to_owned()),
            data: Listing {
                data: input.parse().unwrap(),
                status: ListingStatus::Published,
                published_at: Some(at("2026-11-28T10:00:00.5")),
            },
            created_at: at("2026-11-27T09:00:00"),
            updated_at: at("2026-11-28T10:00:00.123456"),
            version: 3,
        };
        assert_eq!(
            representation(&opportunity),
            concat!(
                r#"{"id":"opp_01jd8x3v5ffd2b6jq4w5k9h8zq","title":"M-6 Hyderabad–Sukkur \"Motorway\"","#,
                r#""description":"A 306 km, six-lane motorway between Hyderabad and Sukkur.","#,
                r#""sectors":["transport.road"],"projectType":"construction","projectStatus":"preparation","#,
                r#""engagementModels":["g2g","ppp"],"pppModel":"bot","hostCountry":"PK","#,
                r#""locations":[{"region":"Sindh","coordinates":[[68.37,25.39]]}],"#,
                r#""estimatedCost":{"amount":"1700000000.00","currency":"USD"},"#,
                r#""investmentSought":{"amount":"1225000000.00","currency":"USD"},"#,
                r#""eoiDeadline":"2027-06-30","publicAuthorityId":"pty_01jd8x3v5ffd2b6jq4w5k9h8zq","#,
                r#""focalPersonId":"per_01jd8x3v5ffd2b6jq4w5k9h8zq","partnerCountries":["AZ","TR"],"#,
                r#""documents":[{"title":"Feasibility","documentType":"feasibilityStudy","url":"https://nha.gov.pk/m6.pdf"}],"#,
                r#""listingStatus":"published","createdAt":"2026-11-27T09:00:00Z","#,
                r#""updatedAt":"2026-11-28T10:00:00.123456Z","publishedAt":"2026-11-28T10:00:00.500Z","version":3}"#,
            )
        );
    }

    /// Responses write `eoiDeadline` with chrono's `Display`, which must be `%Y-%m-%d`, the form
    /// requests are parsed in, for every year.
    #[test]
    fn deadlines_are_written_as_yyyy_mm_dd() {
        for (y, m, d) in [
            (2026, 11, 28),
            (1, 1, 1),
            (0, 12, 31),
            (-1, 6, 1),
            (9999, 12, 31),
            (12345, 6, 7),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(date.to_string(), date.format("%Y-%m-%d").to_string());
        }
    }
}

crate::sort_schema!(
    /// How a list of opportunities may be sorted.
    OpportunitySortField, LIST);
