//! Stored interests, their co-investors, their timelines, and the pipeline figures.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::schema::{interest_co_investors, interest_events, interests};
use super::{DbConnection, MultiBackend};
use crate::domain::codes::{CurrencyCode, EngagementModel, Role};
use crate::domain::ids::{ApiKeyId, EventId, InterestId, OpportunityId, PartyId, PersonId};
use crate::domain::interests::{
    EventKind, Interest, InterestData, InterestEvent, InterestFilter, InterestSort,
};
use crate::domain::money::Money;
use crate::domain::page::{PageRequest, parse_timestamp_key};
use crate::domain::stages::Stage;
use crate::persistence::api_keys::corrupt;

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = interests, treat_none_as_null = true, treat_none_as_default_value = false)]
struct InterestRow {
    id: String,
    opportunity_id: String,
    party_id: String,
    engagement_model: String,
    stage: String,
    held_stage: Option<String>,
    furthest_stage: String,
    probability_override: Option<i32>,
    indicative_amount_minor: Option<i64>,
    indicative_amount_currency: Option<String>,
    message: Option<String>,
    contact_person_id: Option<String>,
    assignee_id: Option<String>,
    notes: Option<String>,
    stage_changed_at: NaiveDateTime,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
    previous_interest_id: Option<String>,
}

fn stage(text: &str) -> QueryResult<Stage> {
    Stage::parse(text).ok_or_else(|| corrupt(format!("unknown stage {text:?}")))
}

impl InterestRow {
    fn from_domain(interest: &Interest) -> Self {
        let d = &interest.data;
        InterestRow {
            id: interest.id.to_string(),
            opportunity_id: d.opportunity_id.to_string(),
            party_id: d.party_id.to_string(),
            engagement_model: d.engagement_model.as_str().to_owned(),
            stage: d.stage.as_str().to_owned(),
            held_stage: d.held_stage.map(|s| s.as_str().to_owned()),
            furthest_stage: d.furthest_stage.as_str().to_owned(),
            probability_override: d.probability_override,
            indicative_amount_minor: d.indicative_amount.as_ref().map(Money::minor),
            indicative_amount_currency: d
                .indicative_amount
                .as_ref()
                .map(|m| m.currency().to_string()),
            message: d.message.clone(),
            contact_person_id: d.contact_person_id.as_ref().map(|p| p.to_string()),
            assignee_id: d.assignee_id.as_ref().map(|p| p.to_string()),
            notes: d.notes.clone(),
            stage_changed_at: d.stage_changed_at,
            created_at: interest.created_at,
            updated_at: interest.updated_at,
            version: interest.version,
            previous_interest_id: d.previous_interest_id.as_ref().map(|i| i.to_string()),
        }
    }

    fn into_domain(self, co_investor_ids: Vec<PartyId>) -> QueryResult<Interest> {
        Ok(Interest {
            id: InterestId::from_db(self.id),
            data: InterestData {
                opportunity_id: OpportunityId::from_db(self.opportunity_id),
                party_id: PartyId::from_db(self.party_id),
                engagement_model: EngagementModel::from_db(&self.engagement_model)
                    .map_err(corrupt)?,
                message: self.message,
                indicative_amount: match (
                    self.indicative_amount_minor,
                    self.indicative_amount_currency,
                ) {
                    (Some(minor), Some(currency)) => {
                        Some(Money::from_minor(minor, CurrencyCode::from_db(currency)))
                    }
                    _ => None,
                },
                co_investor_ids,
                contact_person_id: self.contact_person_id.map(PersonId::from_db),
                assignee_id: self.assignee_id.map(PersonId::from_db),
                notes: self.notes,
                probability_override: self.probability_override,
                stage: stage(&self.stage)?,
                held_stage: self.held_stage.as_deref().map(stage).transpose()?,
                furthest_stage: stage(&self.furthest_stage)?,
                stage_changed_at: self.stage_changed_at,
                previous_interest_id: self.previous_interest_id.map(InterestId::from_db),
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        })
    }
}

/// At most this many interests of one party are named in an investor's filter; beyond it the
/// filter is a join the database evaluates row by row.
const NAMED_INVOLVEMENT_LIMIT: usize = 5000;

/// The interests `party` leads or co-invests in, when there are few enough to name. Naming
/// them turns an investor's list into primary-key lookups: as `party_id = $1 OR id IN (…)`,
/// PostgreSQL walked every interest in key order to find a page of them.
fn involvement(conn: &mut DbConnection, party: &PartyId) -> QueryResult<Option<Vec<String>>> {
    let over = NAMED_INVOLVEMENT_LIMIT as i64 + 1;
    let mut ids: Vec<String> = interests::table
        .filter(interests::party_id.eq(party.to_string()))
        .select(interests::id)
        .limit(over)
        .load(conn)?;
    ids.extend(
        interest_co_investors::table
            .filter(interest_co_investors::party_id.eq(party.to_string()))
            .select(interest_co_investors::interest_id)
            .limit(over)
            .load::<String>(conn)?,
    );
    ids.sort_unstable();
    ids.dedup();
    Ok((ids.len() <= NAMED_INVOLVEMENT_LIMIT).then_some(ids))
}

fn filtered(
    conn: &mut DbConnection,
    filter: &InterestFilter,
) -> QueryResult<interests::BoxedQuery<'static, MultiBackend>> {
    let mut query = interests::table.into_boxed();
    if let Some(party) = &filter.involving {
        query = match involvement(conn, party)? {
            Some(ids) => query.filter(interests::id.eq_any(ids)),
            None => {
                let co = interest_co_investors::table
                    .filter(interest_co_investors::party_id.eq(party.to_string()))
                    .select(interest_co_investors::interest_id);
                query.filter(
                    interests::party_id
                        .eq(party.to_string())
                        .or(interests::id.eq_any(co)),
                )
            }
        };
    }
    if let Some(opportunity) = &filter.opportunity_id {
        query = query.filter(interests::opportunity_id.eq(opportunity.to_string()));
    }
    if let Some(party) = &filter.party_id {
        query = query.filter(interests::party_id.eq(party.to_string()));
    }
    if !filter.stages.is_empty() {
        let stages: Vec<&str> = filter.stages.iter().map(|s| s.as_str()).collect();
        query = query.filter(interests::stage.eq_any(stages));
    }
    if let Some(assignee) = &filter.assignee_id {
        query = query.filter(interests::assignee_id.eq(assignee.to_string()));
    }
    if let Some(model) = filter.engagement_model {
        query = query.filter(interests::engagement_model.eq(model.as_str()));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(interests::updated_at.ge(since));
    }
    Ok(query)
}

fn replace_co_investors(conn: &mut DbConnection, interest: &Interest) -> QueryResult<()> {
    let id = interest.id.as_str();
    diesel::delete(interest_co_investors::table.filter(interest_co_investors::interest_id.eq(id)))
        .execute(conn)?;
    for (position, party) in interest.data.co_investor_ids.iter().enumerate() {
        diesel::insert_into(interest_co_investors::table)
            .values((
                interest_co_investors::interest_id.eq(id),
                interest_co_investors::party_id.eq(party.as_str()),
                interest_co_investors::position.eq(position as i32),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn with_co_investors(
    conn: &mut DbConnection,
    rows: Vec<InterestRow>,
) -> QueryResult<Vec<Interest>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let co: Vec<(String, String)> = interest_co_investors::table
        .filter(interest_co_investors::interest_id.eq_any(&ids))
        .order((
            interest_co_investors::interest_id,
            interest_co_investors::position,
        ))
        .select((
            interest_co_investors::interest_id,
            interest_co_investors::party_id,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let mine = co
                .iter()
                .filter(|(owner, _)| *owner == row.id)
                .map(|(_, p)| PartyId::from_db(p.clone()))
                .collect();
            row.into_domain(mine)
        })
        .collect()
}

/// Whether `party` leads or co-invests in any interest in `opportunity`.
pub fn any_involving(
    conn: &mut DbConnection,
    opportunity: &OpportunityId,
    party: &PartyId,
) -> QueryResult<bool> {
    let co = interest_co_investors::table
        .filter(interest_co_investors::party_id.eq(party.as_str()))
        .select(interest_co_investors::interest_id);
    diesel::select(diesel::dsl::exists(
        interests::table
            .filter(interests::opportunity_id.eq(opportunity.as_str()))
            .filter(
                interests::party_id
                    .eq(party.as_str())
                    .or(interests::id.eq_any(co)),
            ),
    ))
    .get_result(conn)
}

/// Inserts many rows in batches (bulk loads; no consortium members or co-investors).
pub fn insert_many(conn: &mut DbConnection, items: &[Interest]) -> QueryResult<()> {
    let rows: Vec<InterestRow> = items.iter().map(InterestRow::from_domain).collect();
    for chunk in rows.chunks(500) {
        crate::insert_batch!(conn, interests::table, chunk)?;
    }
    Ok(())
}

pub fn insert(conn: &mut DbConnection, interest: &Interest) -> QueryResult<()> {
    diesel::insert_into(interests::table)
        .values(InterestRow::from_domain(interest))
        .execute(conn)?;
    replace_co_investors(conn, interest)
}

/// Writes `interest` over the stored row if that row is still at `previous_version`.
pub fn update(
    conn: &mut DbConnection,
    interest: &Interest,
    previous_version: i32,
) -> QueryResult<bool> {
    let changed = diesel::update(
        interests::table
            .find(interest.id.as_str())
            .filter(interests::version.eq(previous_version)),
    )
    .set(InterestRow::from_domain(interest))
    .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    replace_co_investors(conn, interest)?;
    Ok(true)
}

/// Writes the stage of `interest` (with what moves with it: the held and furthest stages, when
/// it changed, the version) over the stored row if that row is still at `previous_version`.
/// Only these columns are set, so the indexes on the others and the co-investors are left as they
/// are: a transition rewrites three of the table's eight indexes rather than all of them.
pub fn update_stage(
    conn: &mut DbConnection,
    interest: &Interest,
    previous_version: i32,
) -> QueryResult<bool> {
    let d = &interest.data;
    let changed = diesel::update(
        interests::table
            .find(interest.id.as_str())
            .filter(interests::version.eq(previous_version)),
    )
    .set((
        interests::stage.eq(d.stage.as_str()),
        interests::held_stage.eq(d.held_stage.map(Stage::as_str)),
        interests::furthest_stage.eq(d.furthest_stage.as_str()),
        interests::stage_changed_at.eq(d.stage_changed_at),
        interests::updated_at.eq(interest.updated_at),
        interests::version.eq(interest.version),
    ))
    .execute(conn)?;
    Ok(changed > 0)
}

/// The party's latest interest in the opportunity that was withdrawn or rejected, if any: what a
/// new expression of interest follows on from.
pub fn latest_closed(
    conn: &mut DbConnection,
    opportunity: &OpportunityId,
    party: &PartyId,
) -> QueryResult<Option<InterestId>> {
    interests::table
        .filter(interests::opportunity_id.eq(opportunity.as_str()))
        .filter(interests::party_id.eq(party.as_str()))
        .filter(interests::stage.eq_any([Stage::Withdrawn.as_str(), Stage::Rejected.as_str()]))
        .order(interests::id.desc())
        .select(interests::id)
        .first::<String>(conn)
        .optional()
        .map(|id| id.map(InterestId::from_db))
}

/// The stages an interest was put at, oldest first (its creation, every move, every correction).
pub fn stages_reached(conn: &mut DbConnection, id: &InterestId) -> QueryResult<Vec<String>> {
    interest_events::table
        .filter(interest_events::interest_id.eq(id.as_str()))
        .filter(interest_events::to_stage.is_not_null())
        .order(interest_events::id.asc())
        .select(interest_events::to_stage.assume_not_null())
        .load(conn)
}

pub fn get(conn: &mut DbConnection, id: &InterestId) -> QueryResult<Option<Interest>> {
    let row = interests::table
        .find(id.as_str())
        .select(InterestRow::as_select())
        .first(conn)
        .optional()?;
    Ok(match row {
        Some(row) => with_co_investors(conn, vec![row])?.pop(),
        None => None,
    })
}

pub fn list(
    conn: &mut DbConnection,
    filter: &InterestFilter,
    page: &PageRequest<InterestSort>,
) -> QueryResult<Vec<Interest>> {
    let mut query = filtered(conn, filter)?;
    let rows = match page.sort {
        InterestSort::Created => crate::keyset!(query, page, interests::id),
        InterestSort::Updated => crate::keyset!(
            query,
            page,
            interests::id,
            interests::updated_at,
            parse_timestamp_key
        ),
        InterestSort::StageChanged => {
            crate::keyset!(
                query,
                page,
                interests::id,
                interests::stage_changed_at,
                parse_timestamp_key
            )
        }
    }
    .select(InterestRow::as_select())
    .load(conn)?;
    with_co_investors(conn, rows)
}

pub fn count(conn: &mut DbConnection, filter: &InterestFilter) -> QueryResult<i64> {
    filtered(conn, filter)?.count().get_result(conn)
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = interest_events)]
struct EventRow {
    id: String,
    interest_id: String,
    kind: String,
    from_stage: Option<String>,
    to_stage: Option<String>,
    seconds_in_stage: Option<i64>,
    reason: Option<String>,
    details: String,
    actor_key_id: Option<String>,
    actor_role: Option<String>,
    occurred_at: NaiveDateTime,
}

impl EventRow {
    fn into_domain(self) -> QueryResult<InterestEvent> {
        Ok(InterestEvent {
            id: EventId::from_db(self.id),
            interest_id: InterestId::from_db(self.interest_id),
            kind: EventKind::parse(&self.kind)
                .ok_or_else(|| corrupt(format!("unknown event kind {:?}", self.kind)))?,
            from_stage: self.from_stage.as_deref().map(stage).transpose()?,
            to_stage: self.to_stage.as_deref().map(stage).transpose()?,
            seconds_in_stage: self.seconds_in_stage,
            reason: self.reason,
            details: serde_json::from_str(&self.details).map_err(|e| corrupt(e.to_string()))?,
            actor_key_id: self.actor_key_id.map(ApiKeyId::from_db),
            actor_role: self
                .actor_role
                .as_deref()
                .map(Role::from_db)
                .transpose()
                .map_err(corrupt)?,
            occurred_at: self.occurred_at,
        })
    }
}

/// Appends to a timeline; entries are never changed or removed.
pub fn append_event(conn: &mut DbConnection, event: &InterestEvent) -> QueryResult<()> {
    diesel::insert_into(interest_events::table)
        .values(EventRow {
            id: event.id.to_string(),
            interest_id: event.interest_id.to_string(),
            kind: event.kind.as_str().to_owned(),
            from_stage: event.from_stage.map(|s| s.as_str().to_owned()),
            to_stage: event.to_stage.map(|s| s.as_str().to_owned()),
            seconds_in_stage: event.seconds_in_stage,
            reason: event.reason.clone(),
            details: event.details.to_string(),
            actor_key_id: event.actor_key_id.as_ref().map(|k| k.to_string()),
            actor_role: event.actor_role.map(|r| r.as_str().to_owned()),
            occurred_at: event.occurred_at,
        })
        .execute(conn)
        .map(drop)
}

/// A page of one interest's timeline, oldest first; `internal` includes officer-only events.
pub fn events(
    conn: &mut DbConnection,
    interest: &InterestId,
    hidden_kinds: &[&str],
    page: &PageRequest<()>,
) -> QueryResult<Vec<InterestEvent>> {
    let mut query = interest_events::table
        .filter(interest_events::interest_id.eq(interest.as_str()))
        .into_boxed();
    if !hidden_kinds.is_empty() {
        query = query.filter(interest_events::kind.ne_all(hidden_kinds.to_vec()));
    }
    let query = crate::keyset!(query, page, interest_events::id);
    query
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(EventRow::into_domain)
        .collect()
}

/// A count per group value.
#[derive(Debug, QueryableByName)]
pub struct GroupCount {
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// A median per stage, in seconds.
#[derive(Debug, QueryableByName)]
pub struct StageMedian {
    #[diesel(sql_type = Text)]
    pub stage: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub median_seconds: Option<i64>,
}

/// An amount per currency, in minor units.
#[derive(Debug, QueryableByName)]
pub struct CurrencyTotal {
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = BigInt)]
    pub total_minor: i64,
}

/// Interests per value of `column` (one of a fixed set of column names, never user input).
pub fn count_interests_by(
    conn: &mut DbConnection,
    column: &'static str,
) -> QueryResult<Vec<GroupCount>> {
    debug_assert!(["stage", "engagement_model", "furthest_stage"].contains(&column));
    diesel::sql_query(format!(
        "SELECT {column} AS key, COUNT(*) AS count FROM interests GROUP BY {column} ORDER BY {column}"
    ))
    .load(conn)
}

/// The `n` opportunities with the most interests, most first (ties by id).
pub fn top_opportunities_by_interests(
    conn: &mut DbConnection,
    n: usize,
) -> QueryResult<Vec<GroupCount>> {
    diesel::sql_query(format!(
        "SELECT opportunity_id AS key, COUNT(*) AS count FROM interests \
         GROUP BY opportunity_id ORDER BY COUNT(*) DESC, opportunity_id LIMIT {n}"
    ))
    .load(conn)
}

/// Interests that reached each pipeline stage at some point (withdrawn, rejected and on-hold
/// ones count up to the furthest stage they reached).
pub fn furthest_stage_counts(conn: &mut DbConnection) -> QueryResult<Vec<GroupCount>> {
    count_interests_by(conn, "furthest_stage")
}

/// The median time spent in each stage, over completed stays (computed by the database with
/// window functions, on both backends).
pub fn median_seconds_in_stage(conn: &mut DbConnection) -> QueryResult<Vec<StageMedian>> {
    diesel::sql_query(
        "SELECT stage, CAST(AVG(seconds) AS BIGINT) AS median_seconds FROM ( \
             SELECT from_stage AS stage, seconds_in_stage AS seconds, \
                    ROW_NUMBER() OVER (PARTITION BY from_stage ORDER BY seconds_in_stage) AS rn, \
                    COUNT(*) OVER (PARTITION BY from_stage) AS n \
             FROM interest_events \
             WHERE kind = 'interest.stageChanged' AND seconds_in_stage IS NOT NULL AND from_stage IS NOT NULL \
         ) stays \
         WHERE rn IN ((n + 1) / 2, (n + 2) / 2) \
         GROUP BY stage ORDER BY stage",
    )
    .load(conn)
}
