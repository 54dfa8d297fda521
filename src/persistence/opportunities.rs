//! Stored opportunities, with a facet table that makes multi-valued filters index lookups.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{opportunities, opportunity_facets};
use super::timestamp::{StoredOptionalDate, StoredOptionalTimestamp, StoredTimestamp};
use super::{DbConnection, MultiBackend};
use crate::domain::codes::{
    CountryCode, CurrencyCode, EngagementModel, ListingStatus, PppModel, ProjectStatus, ProjectType,
};
use crate::domain::ids::{InitiativeId, OpportunityId, PartyId, PersonId};
use crate::domain::money::Money;
use crate::domain::opportunities::{
    Listing, Opportunity, OpportunityData, OpportunityFilter, OpportunitySort,
};
use crate::domain::page::{PageRequest, parse_text_key, parse_timestamp_key};
use crate::persistence::api_keys::corrupt;

pub const SECTOR: &str = "sector";
pub const ENGAGEMENT_MODEL: &str = "engagementModel";
const PARTNER_COUNTRY: &str = "partnerCountry";

/// The bit of `facet_mask` for each sector code: the code's position here. A position, once
/// given, never changes (stored masks and migration 6 hold it); a new code takes the next free
/// one, up to 32.
const SECTOR_BITS: [&str; 23] = [
    "education",
    "health",
    "energy",
    "energy.solar",
    "energy.wind",
    "energy.hydropower",
    "energy.biomass",
    "energy.geothermal",
    "communications",
    "waterAndWaste",
    "governance",
    "economy",
    "cultureSportsAndRecreation",
    "transport",
    "transport.air",
    "transport.water",
    "transport.rail",
    "transport.road",
    "transport.urban",
    "transport.lowCarbon",
    "socialHousing",
    "naturalResources",
    "naturalResources.floodProtection",
];

/// The bit of `facet_mask` for each engagement model: 32 plus its position here, fixed as
/// [`SECTOR_BITS`] are.
const ENGAGEMENT_BITS: [EngagementModel; 8] = [
    EngagementModel::G2g,
    EngagementModel::B2b,
    EngagementModel::Ppp,
    EngagementModel::JointVenture,
    EngagementModel::Concession,
    EngagementModel::EpcFinance,
    EngagementModel::Equity,
    EngagementModel::Debt,
];

fn sector_bit(code: &str) -> Option<i64> {
    SECTOR_BITS.iter().position(|c| *c == code).map(|i| 1 << i)
}

fn engagement_bit(model: EngagementModel) -> Option<i64> {
    ENGAGEMENT_BITS
        .iter()
        .position(|m| *m == model)
        .map(|i| 1 << (32 + i))
}

/// The facets an opportunity is found by: each sector with its broader codes, each engagement
/// model, each partner country.
fn facets_of(d: &OpportunityData) -> BTreeSet<(&'static str, String)> {
    let mut facets = BTreeSet::new();
    for sector in &d.sectors {
        for code in sector.with_ancestors() {
            facets.insert((SECTOR, code));
        }
    }
    for model in &d.engagement_models {
        facets.insert((ENGAGEMENT_MODEL, model.as_str().to_owned()));
    }
    for country in &d.partner_countries {
        facets.insert((PARTNER_COUNTRY, country.to_string()));
    }
    facets
}

/// The sectors (with their broader codes) and engagement models of an opportunity as one
/// integer, which the public catalogue's indexes carry so that a filtered page tests candidates
/// inside the index it walks.
fn facet_mask(d: &OpportunityData) -> i64 {
    let sectors = d
        .sectors
        .iter()
        .flat_map(|s| s.with_ancestors())
        .filter_map(|code| sector_bit(&code));
    let models = d
        .engagement_models
        .iter()
        .filter_map(|m| engagement_bit(*m));
    sectors.chain(models).fold(0, |mask, bit| mask | bit)
}

/// The bits of `codes`, or `None` when one of them has no bit.
fn bits<T>(codes: &[T], bit: impl Fn(&T) -> Option<i64>) -> Option<i64> {
    codes
        .iter()
        .try_fold(0, |mask, code| Some(mask | bit(code)?))
}

diesel::infix_operator!(BitAnd, " & ", diesel::sql_types::BigInt);

/// Whether the opportunity's `facet_mask` shares a bit with `bits`.
fn has_any_bit(
    bits: i64,
) -> diesel::dsl::NotEq<
    BitAnd<opportunities::facet_mask, diesel::dsl::AsExprOf<i64, diesel::sql_types::BigInt>>,
    i64,
> {
    use diesel::expression::AsExpression;
    BitAnd::new(
        opportunities::facet_mask,
        AsExpression::<diesel::sql_types::BigInt>::as_expression(bits),
    )
    .ne(0)
}

/// The columns that hold an opportunity: what reads select and decode.
#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = opportunities, treat_none_as_null = true, treat_none_as_default_value = false)]
struct StoredOpportunity {
    id: String,
    title: String,
    description: String,
    purpose: Option<String>,
    sectors: String,
    project_type: Option<String>,
    project_status: String,
    listing_status: String,
    engagement_models: String,
    ppp_model: Option<String>,
    host_country: String,
    locations: String,
    estimated_cost_minor: Option<i64>,
    estimated_cost_currency: Option<String>,
    investment_sought_minor: Option<i64>,
    investment_sought_currency: Option<String>,
    #[diesel(deserialize_as = StoredOptionalDate)]
    eoi_deadline: Option<NaiveDate>,
    public_authority_id: Option<String>,
    focal_person_id: Option<String>,
    partner_countries: String,
    initiative_id: Option<String>,
    documents: String,
    oc4ids_id: Option<String>,
    #[diesel(deserialize_as = StoredTimestamp)]
    created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTimestamp)]
    updated_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredOptionalTimestamp)]
    published_at: Option<NaiveDateTime>,
    version: i32,
}

/// A row as written: the stored opportunity and the columns derived from it, which only queries
/// read (a list page does not decode them).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = opportunities)]
struct OpportunityRow {
    #[diesel(embed)]
    stored: StoredOpportunity,
    /// Title and description, lowercased for `q` (see [`OpportunityData::search_text`]).
    search_text: String,
    /// Derived from `listing_status` for the public catalogue's index (see migration 5).
    is_public: i32,
    /// Derived from the sectors and engagement models (see [`facet_mask`] and migration 6).
    facet_mask: i64,
    /// The opportunity as the API shows it, which list pages serve as stored (see migration 8).
    representation: String,
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> QueryResult<T> {
    serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))
}

fn money_parts(money: &Option<Money>) -> (Option<i64>, Option<String>) {
    match money {
        Some(m) => (Some(m.minor()), Some(m.currency().to_string())),
        None => (None, None),
    }
}

fn money_of(minor: Option<i64>, currency: Option<String>) -> Option<Money> {
    match (minor, currency) {
        (Some(minor), Some(currency)) => {
            Some(Money::from_minor(minor, CurrencyCode::from_db(currency)))
        }
        _ => None,
    }
}

impl OpportunityRow {
    fn from_domain(opportunity: &Opportunity, representation: &str) -> Self {
        let d = &opportunity.data.data;
        OpportunityRow {
            stored: StoredOpportunity::from_domain(opportunity),
            search_text: d.search_text(),
            is_public: i32::from(opportunity.data.status.is_public()),
            facet_mask: facet_mask(d),
            representation: representation.to_owned(),
        }
    }
}

impl StoredOpportunity {
    fn from_domain(opportunity: &Opportunity) -> Self {
        let d = &opportunity.data.data;
        let (estimated_cost_minor, estimated_cost_currency) = money_parts(&d.estimated_cost);
        let (investment_sought_minor, investment_sought_currency) =
            money_parts(&d.investment_sought);
        StoredOpportunity {
            id: opportunity.id.to_string(),
            title: d.title.clone(),
            description: d.description.clone(),
            purpose: d.purpose.clone(),
            sectors: json(&d.sectors),
            project_type: d.project_type.as_ref().map(|c| c.to_string()),
            project_status: d.project_status.to_string(),
            listing_status: opportunity.data.status.as_str().to_owned(),
            engagement_models: json(&d.engagement_models),
            ppp_model: d.ppp_model.map(|m| m.as_str().to_owned()),
            host_country: d.host_country.to_string(),
            locations: json(&d.locations),
            estimated_cost_minor,
            estimated_cost_currency,
            investment_sought_minor,
            investment_sought_currency,
            eoi_deadline: d.eoi_deadline,
            public_authority_id: d.public_authority_id.as_ref().map(|p| p.to_string()),
            focal_person_id: d.focal_person_id.as_ref().map(|p| p.to_string()),
            partner_countries: json(&d.partner_countries),
            initiative_id: d.initiative_id.as_ref().map(|i| i.to_string()),
            documents: json(&d.documents),
            oc4ids_id: d.oc4ids_id.clone(),
            created_at: opportunity.created_at,
            updated_at: opportunity.updated_at,
            published_at: opportunity.data.published_at,
            version: opportunity.version,
        }
    }

    fn into_domain(self) -> QueryResult<Opportunity> {
        Ok(Opportunity {
            id: OpportunityId::from_db(self.id),
            data: Listing {
                data: OpportunityData {
                    title: self.title,
                    description: self.description,
                    purpose: self.purpose,
                    sectors: from_json(&self.sectors)?,
                    project_type: self.project_type.map(ProjectType::from_db),
                    project_status: ProjectStatus::from_db(self.project_status),
                    engagement_models: from_json(&self.engagement_models)?,
                    ppp_model: self
                        .ppp_model
                        .map(|m| PppModel::from_db(&m).map_err(corrupt))
                        .transpose()?,
                    host_country: CountryCode::from_db(self.host_country),
                    locations: from_json(&self.locations)?,
                    estimated_cost: money_of(
                        self.estimated_cost_minor,
                        self.estimated_cost_currency,
                    ),
                    investment_sought: money_of(
                        self.investment_sought_minor,
                        self.investment_sought_currency,
                    ),
                    eoi_deadline: self.eoi_deadline,
                    public_authority_id: self.public_authority_id.map(PartyId::from_db),
                    focal_person_id: self.focal_person_id.map(PersonId::from_db),
                    partner_countries: from_json(&self.partner_countries)?,
                    initiative_id: self.initiative_id.map(InitiativeId::from_db),
                    documents: from_json(&self.documents)?,
                    oc4ids_id: self.oc4ids_id,
                },
                status: ListingStatus::from_db(&self.listing_status).map_err(corrupt)?,
                published_at: self.published_at,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        })
    }
}

/// Escapes LIKE wildcards so a search for `100%` finds the text `100%`.
fn like_pattern(word: &str) -> String {
    let escaped = word
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

type Boxed = opportunities::BoxedQuery<'static, MultiBackend>;

/// Narrows to the requested listing statuses.
fn by_listing_status(query: Boxed, filter: &OpportunityFilter) -> Boxed {
    let public = ListingStatus::ALL.iter().filter(|s| s.is_public()).count();
    let mut requested = filter.listing_statuses.clone();
    requested.sort_by_key(|s| s.as_str());
    requested.dedup();
    match requested.as_slice() {
        [] => query,
        // The public catalogue: one indexed value instead of a list.
        statuses if statuses.len() == public && statuses.iter().all(|s| s.is_public()) => {
            query.filter(opportunities::is_public.eq(1))
        }
        [one] => query.filter(opportunities::listing_status.eq(one.as_str())),
        statuses => {
            let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
            query.filter(opportunities::listing_status.eq_any(statuses))
        }
    }
}

fn filtered(filter: &OpportunityFilter) -> Boxed {
    let mut query = by_listing_status(opportunities::table.into_boxed(), filter);
    if !filter.sectors.is_empty() {
        let bits =
            bits(&filter.sectors, |s| sector_bit(s.as_str())).expect("every sector code has a bit");
        query = query.filter(has_any_bit(bits));
    }
    if !filter.engagement_models.is_empty() {
        let bits = bits(&filter.engagement_models, |m| engagement_bit(*m))
            .expect("every engagement model has a bit");
        query = query.filter(has_any_bit(bits));
    }
    if let Some(country) = &filter.partner_country {
        query = query.filter(diesel::dsl::exists(
            opportunity_facets::table
                .filter(opportunity_facets::facet.eq(PARTNER_COUNTRY))
                .filter(opportunity_facets::value.eq(country.to_string()))
                .filter(opportunity_facets::opportunity_id.eq(opportunities::id)),
        ));
    }
    // One value is an equality, which keeps the statement cacheable (`IN (…)` is prepared anew
    // for each request on SQLite).
    match filter.project_statuses.as_slice() {
        [] => {}
        [one] => query = query.filter(opportunities::project_status.eq(one.to_string())),
        many => {
            let values: Vec<String> = many.iter().map(|s| s.to_string()).collect();
            query = query.filter(opportunities::project_status.eq_any(values));
        }
    }
    if let Some(country) = &filter.host_country {
        query = query.filter(opportunities::host_country.eq(country.to_string()));
    }
    if let Some(initiative) = &filter.initiative_id {
        query = query.filter(opportunities::initiative_id.eq(initiative.to_string()));
    }
    if let Some((currency, min, max)) = &filter.investment {
        query = query.filter(opportunities::investment_sought_currency.eq(currency.to_string()));
        if let Some(min) = min {
            query = query.filter(opportunities::investment_sought_minor.ge(*min));
        }
        if let Some(max) = max {
            query = query.filter(opportunities::investment_sought_minor.le(*max));
        }
    }
    if let Some(before) = filter.eoi_deadline_before {
        query = query.filter(opportunities::eoi_deadline.lt(before));
    }
    if let Some(after) = filter.eoi_deadline_after {
        query = query.filter(opportunities::eoi_deadline.gt(after));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(opportunities::updated_at.ge(since));
    }
    for word in &filter.words {
        query = query.filter(
            opportunities::search_text
                .like(like_pattern(word))
                .escape('\\'),
        );
    }
    query
}

fn replace_facets(conn: &mut DbConnection, opportunity: &Opportunity) -> QueryResult<()> {
    let id = opportunity.id.as_str();
    diesel::delete(opportunity_facets::table.filter(opportunity_facets::opportunity_id.eq(id)))
        .execute(conn)?;
    for (facet, value) in facets_of(&opportunity.data.data) {
        diesel::insert_into(opportunity_facets::table)
            .values((
                opportunity_facets::facet.eq(facet),
                opportunity_facets::value.eq(value),
                opportunity_facets::opportunity_id.eq(id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Inserts many opportunities, each with its representation, and their facets in batches (bulk
/// loads).
pub fn insert_many(conn: &mut DbConnection, items: &[(Opportunity, String)]) -> QueryResult<()> {
    let rows: Vec<OpportunityRow> = items
        .iter()
        .map(|(o, representation)| OpportunityRow::from_domain(o, representation))
        .collect();
    for chunk in rows.chunks(500) {
        crate::insert_batch!(conn, opportunities::table, chunk)?;
    }
    let mut facets = Vec::new();
    for (o, _) in items {
        for (facet, value) in facets_of(&o.data.data) {
            facets.push((
                opportunity_facets::facet.eq(facet),
                opportunity_facets::value.eq(value),
                opportunity_facets::opportunity_id.eq(o.id.to_string()),
            ));
        }
    }
    for chunk in facets.chunks(3000) {
        crate::insert_batch!(conn, opportunity_facets::table, chunk)?;
    }
    Ok(())
}

/// Inserts an opportunity with its representation (see migration 8).
pub fn insert(
    conn: &mut DbConnection,
    opportunity: &Opportunity,
    representation: &str,
) -> QueryResult<()> {
    diesel::insert_into(opportunities::table)
        .values(OpportunityRow::from_domain(opportunity, representation))
        .execute(conn)?;
    replace_facets(conn, opportunity)
}

/// Writes `opportunity`, with its representation, over the stored row if that row is still at
/// `previous_version`.
pub fn update(
    conn: &mut DbConnection,
    opportunity: &Opportunity,
    previous_version: i32,
    representation: &str,
) -> QueryResult<bool> {
    let changed = diesel::update(
        opportunities::table
            .find(opportunity.id.as_str())
            .filter(opportunities::version.eq(previous_version)),
    )
    .set(OpportunityRow::from_domain(opportunity, representation))
    .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    replace_facets(conn, opportunity)?;
    Ok(true)
}

pub fn get(conn: &mut DbConnection, id: &OpportunityId) -> QueryResult<Option<Opportunity>> {
    opportunities::table
        .find(id.as_str())
        .select(StoredOpportunity::as_select())
        .first(conn)
        .optional()?
        .map(StoredOpportunity::into_domain)
        .transpose()
}

/// What an expression of interest is checked against: whether the opportunity takes them, until
/// when, and on which terms. Read without decoding the rest of the row.
#[derive(Debug, Clone, PartialEq)]
pub struct Intake {
    pub status: ListingStatus,
    pub eoi_deadline: Option<NaiveDate>,
    pub engagement_models: Vec<EngagementModel>,
}

pub fn intake(conn: &mut DbConnection, id: &OpportunityId) -> QueryResult<Option<Intake>> {
    opportunities::table
        .find(id.as_str())
        .select((
            opportunities::listing_status,
            opportunities::eoi_deadline,
            opportunities::engagement_models,
        ))
        .first::<(String, Option<NaiveDate>, String)>(conn)
        .optional()?
        .map(|(status, eoi_deadline, engagement_models)| {
            Ok(Intake {
                status: ListingStatus::from_db(&status).map_err(corrupt)?,
                eoi_deadline,
                engagement_models: from_json(&engagement_models)?,
            })
        })
        .transpose()
}

pub fn exists(conn: &mut DbConnection, id: &OpportunityId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(opportunities::table.find(id.as_str()))).get_result(conn)
}

/// The opportunities on a page, in its order, with one more row than the page holds when there is
/// another page.
fn page_of(
    filter: &OpportunityFilter,
    page: &PageRequest<OpportunitySort>,
) -> opportunities::BoxedQuery<'static, MultiBackend> {
    let mut query = filtered(filter);
    match page.sort {
        OpportunitySort::Created => crate::keyset!(query, page, opportunities::id),
        OpportunitySort::Updated => crate::keyset!(
            query,
            page,
            opportunities::id,
            opportunities::updated_at,
            parse_timestamp_key
        ),
        OpportunitySort::Title => crate::keyset!(
            query,
            page,
            opportunities::id,
            opportunities::title,
            parse_text_key
        ),
    }
}

pub fn list(
    conn: &mut DbConnection,
    filter: &OpportunityFilter,
    page: &PageRequest<OpportunitySort>,
) -> QueryResult<Vec<Opportunity>> {
    page_of(filter, page)
        .select(StoredOpportunity::as_select())
        .load(conn)?
        .into_iter()
        .map(StoredOpportunity::into_domain)
        .collect()
}

/// An opportunity on a list page, as the page serves it: the keys of its cursor, and its stored
/// representation (`None` until rendered: see migration 8).
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = opportunities)]
pub struct ListedOpportunity {
    pub id: String,
    #[diesel(deserialize_as = StoredTimestamp)]
    pub updated_at: NaiveDateTime,
    pub title: String,
    pub representation: Option<String>,
}

impl crate::domain::page::Positioned<OpportunitySort> for ListedOpportunity {
    fn position(&self, sort: OpportunitySort) -> crate::domain::page::Position {
        let key = match sort {
            OpportunitySort::Created => String::new(),
            OpportunitySort::Updated => crate::domain::page::timestamp_key(&self.updated_at),
            OpportunitySort::Title => self.title.clone(),
        };
        crate::domain::page::Position {
            key,
            id: self.id.clone(),
        }
    }
}

/// A page of opportunities as [`ListedOpportunity`]s: what [`list`] selects, without decoding the
/// opportunities.
pub fn list_listed(
    conn: &mut DbConnection,
    filter: &OpportunityFilter,
    page: &PageRequest<OpportunitySort>,
) -> QueryResult<Vec<ListedOpportunity>> {
    page_of(filter, page)
        .select(ListedOpportunity::as_select())
        .load(conn)
}

/// Up to `limit` opportunities whose representation is not rendered yet, found through the
/// partial index of migration 8.
pub fn unrendered(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<OpportunityId>> {
    Ok(opportunities::table
        .filter(opportunities::representation.is_null())
        .select(opportunities::id)
        .order(opportunities::id)
        .limit(limit)
        .load::<String>(conn)?
        .into_iter()
        .map(OpportunityId::from_db)
        .collect())
}

/// Stores the representation of the opportunity `id` if its row is still at `version`.
pub fn set_representation(
    conn: &mut DbConnection,
    id: &OpportunityId,
    version: i32,
    representation: &str,
) -> QueryResult<bool> {
    diesel::update(
        opportunities::table
            .find(id.as_str())
            .filter(opportunities::version.eq(version)),
    )
    .set(opportunities::representation.eq(representation))
    .execute(conn)
    .map(|changed| changed == 1)
}

/// The latest change among the opportunities a filter matches.
pub fn latest_update(
    conn: &mut DbConnection,
    filter: &OpportunityFilter,
) -> QueryResult<Option<NaiveDateTime>> {
    filtered(filter)
        .select(diesel::dsl::max(opportunities::updated_at))
        .get_result(conn)
}

pub fn count(conn: &mut DbConnection, filter: &OpportunityFilter) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn)
}

/// Deletes an opportunity (its facets go with it).
pub fn delete(conn: &mut DbConnection, id: &OpportunityId) -> QueryResult<bool> {
    diesel::delete(opportunities::table.find(id.as_str()))
        .execute(conn)
        .map(|n| n > 0)
}

/// Published opportunities per value of a facet (`sector` counts a broad code for each of its
/// narrower codes' opportunities, once each).
pub fn published_count_by_facet(
    conn: &mut DbConnection,
    facet: &'static str,
) -> QueryResult<Vec<super::interests::GroupCount>> {
    debug_assert!([SECTOR, ENGAGEMENT_MODEL, PARTNER_COUNTRY].contains(&facet));
    // `facet` is one of our constants, never client input.
    diesel::sql_query(format!(
        "SELECT f.value AS key, COUNT(*) AS count FROM opportunity_facets f \
         JOIN opportunities o ON o.id = f.opportunity_id \
         WHERE f.facet = '{facet}' AND o.listing_status = 'published' \
         GROUP BY f.value ORDER BY f.value"
    ))
    .load(conn)
}

/// Published opportunities per host country.
pub fn published_count_by_host_country(
    conn: &mut DbConnection,
) -> QueryResult<Vec<super::interests::GroupCount>> {
    diesel::sql_query(
        "SELECT host_country AS key, COUNT(*) AS count FROM opportunities \
         WHERE listing_status = 'published' GROUP BY host_country ORDER BY host_country",
    )
    .load(conn)
}

/// Investment sought by published opportunities, per currency.
pub fn published_investment_by_currency(
    conn: &mut DbConnection,
) -> QueryResult<Vec<super::interests::CurrencyTotal>> {
    diesel::sql_query(
        "SELECT investment_sought_currency AS currency, CAST(SUM(investment_sought_minor) AS BIGINT) AS total_minor \
         FROM opportunities WHERE listing_status = 'published' AND investment_sought_currency IS NOT NULL \
         GROUP BY investment_sought_currency ORDER BY investment_sought_currency",
    )
    .load(conn)
}

/// The opportunity carrying an OC4IDS project id.
pub fn find_by_oc4ids(
    conn: &mut DbConnection,
    oc4ids_id: &str,
) -> QueryResult<Option<Opportunity>> {
    opportunities::table
        .filter(opportunities::oc4ids_id.eq(oc4ids_id))
        .select(StoredOpportunity::as_select())
        .first(conn)
        .optional()?
        .map(StoredOpportunity::into_domain)
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codes::{PROJECT_SECTOR, SectorCode};
    use crate::persistence::{Database, DatabaseUrl};

    #[test]
    fn every_sector_and_engagement_model_has_its_own_bit() {
        let mut seen = 0_i64;
        for entry in &PROJECT_SECTOR.entries {
            let bit =
                sector_bit(&entry.code).unwrap_or_else(|| panic!("{} has no bit", entry.code));
            assert!(bit < 1 << 32, "{} is past the sector bits", entry.code);
            assert_eq!(seen & bit, 0, "{} shares a bit", entry.code);
            seen |= bit;
        }
        for model in EngagementModel::ALL {
            let bit = engagement_bit(*model).unwrap_or_else(|| panic!("{model:?} has no bit"));
            assert!(bit >= 1 << 32);
            assert_eq!(seen & bit, 0, "{model:?} shares a bit");
            seen |= bit;
        }
        assert_eq!(SECTOR_BITS.len(), PROJECT_SECTOR.entries.len());
        assert_eq!(ENGAGEMENT_BITS.len(), EngagementModel::ALL.len());
    }

    fn database() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("t.db").to_string_lossy().into_owned());
        let options = crate::config::DatabaseSettings::for_url(url.clone()).pool_options();
        let db = Database::open(url, &options).unwrap();
        db.migrate().unwrap();
        (dir, db)
    }

    fn masks(conn: &mut DbConnection) -> Vec<(String, i64)> {
        opportunities::table
            .select((opportunities::id, opportunities::facet_mask))
            .order(opportunities::id)
            .load(conn)
            .unwrap()
    }

    /// Migration 6 derives `facet_mask` for rows already stored from their facets; it must agree
    /// with what the application writes.
    #[test]
    fn the_migration_backfill_computes_the_masks_the_application_writes() {
        let sqlite = include_str!("../../migrations/sqlite/2026-11-27-000006_facet_mask/up.sql");
        let postgres =
            include_str!("../../migrations/postgres/2026-11-27-000006_facet_mask/up.sql");
        assert_eq!(sqlite, postgres, "both backends backfill alike");
        let start = sqlite.find("UPDATE opportunities SET facet_mask").unwrap();
        let end = start + sqlite[start..].find(";\n").unwrap();
        let backfill = &sqlite[start..end];

        let (_dir, db) = database();
        let mut conn = db.get().unwrap();
        crate::services::synthetic::generate(&mut conn, 300, |_, _| {}).unwrap();
        let written = masks(&mut conn);
        assert!(written.iter().all(|(_, mask)| *mask != 0));
        diesel::sql_query("UPDATE opportunities SET facet_mask = 0")
            .execute(&mut conn)
            .unwrap();
        diesel::sql_query(backfill).execute(&mut conn).unwrap();
        assert_eq!(masks(&mut conn), written);
    }

    /// The public catalogue's filtered page, as a list page reads it, is prepared once per
    /// connection, not per request.
    #[test]
    fn a_filtered_page_is_prepared_once() {
        use diesel::connection::{Instrumentation, InstrumentationEvent};
        use std::sync::{Arc, Mutex};
        struct Prepares(Arc<Mutex<Vec<String>>>);
        impl Instrumentation for Prepares {
            fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
                if let InstrumentationEvent::CacheQuery { sql, .. } = event {
                    self.0.lock().unwrap().push(sql.to_owned());
                }
            }
        }
        let (_dir, db) = database();
        let mut conn = db.get().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        conn.set_instrumentation(Prepares(seen.clone()));
        let filter = OpportunityFilter {
            listing_statuses: vec![ListingStatus::Published, ListingStatus::Closed],
            sectors: vec![SectorCode::try_from("transport".to_owned()).unwrap()],
            engagement_models: vec![EngagementModel::G2g],
            ..OpportunityFilter::default()
        };
        let page = PageRequest {
            limit: 20,
            after: None,
            descending: false,
            sort: OpportunitySort::Created,
        };
        for _ in 0..3 {
            list_listed(&mut conn, &filter, &page).unwrap();
        }
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
    }
}
