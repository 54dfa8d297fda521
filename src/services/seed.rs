//! Loading data: the demo set (`demo.json`, the Pakistan–Azerbaijan(–Türkiye) story from public
//! reporting, written as a client would send it to the API), and synthetic data for benchmarks.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;

use super::AppState;
use crate::api::reply::Reply;
use crate::domain::access::Caller;
use crate::domain::codes::{EngagementModel, ListingStatus, PartyKind, Role, SectorCode};
use crate::domain::ids::{ApiKeyId, OpportunityId, PartyId, PersonId};
use crate::domain::money::Money;
use crate::domain::opportunities::{Document, Location, OpportunityData};
use crate::domain::parties::PartyData;
use crate::domain::people::PersonData;
use crate::domain::stages::Stage;
use crate::domain::stored::Expected;
use crate::error::AppError;
use crate::persistence::parties as party_store;

/// The identifier scheme that marks demo records, so a second run can tell they exist.
const DEMO_SCHEME: &str = "investdesk-demo";

/// The demo set.
const DEMO: &str = include_str!("demo.json");

/// What a seed run did.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub parties: usize,
    pub people: usize,
    pub initiatives: usize,
    pub opportunities: usize,
    pub interests: usize,
    /// True when the demo data was there already and nothing changed.
    pub already_present: bool,
}

fn seeder() -> Caller {
    Caller::Key {
        id: ApiKeyId::parse("key_00000000000000000000000000").expect("a valid id"),
        role: Role::Admin,
        party_id: None,
    }
}

fn code<T: TryFrom<String, Error = String>>(text: &str) -> T {
    T::try_from(text.to_owned()).unwrap_or_else(|e| panic!("seed data uses valid codes: {e}"))
}

/// A record of the demo set: its name (for `@name` references) and what a client would send.
#[derive(Deserialize)]
struct Named {
    name: String,
    input: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PartyChange {
    party: String,
    patch: Value,
}

#[derive(Deserialize)]
struct DemoOpportunity {
    name: String,
    publish: bool,
    input: Value,
}

#[derive(Deserialize)]
struct DemoInterest {
    opportunity: String,
    stages: Vec<String>,
    input: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoSet {
    parties: Vec<Named>,
    people: Vec<Named>,
    party_changes: Vec<PartyChange>,
    initiatives: Vec<Named>,
    opportunities: Vec<DemoOpportunity>,
    interests: Vec<DemoInterest>,
}

/// The ids of the records made so far, by name.
#[derive(Default)]
struct Names(std::collections::HashMap<String, String>);

impl Names {
    /// `value` with every `"@name"` string replaced by that record's id.
    fn resolve(&self, value: &Value) -> Result<Value, AppError> {
        Ok(match value {
            Value::String(s) if s.starts_with('@') => Value::String(self.id(s)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.resolve(v))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), self.resolve(v)?)))
                    .collect::<Result<_, AppError>>()?,
            ),
            other => other.clone(),
        })
    }

    fn id(&self, reference: &str) -> Result<String, AppError> {
        self.0
            .get(reference.trim_start_matches('@'))
            .cloned()
            .ok_or_else(|| AppError::internal(format!("the demo set names no {reference}")))
    }

    /// The wire input of `value`, its references resolved.
    fn input<T: serde::de::DeserializeOwned>(&self, value: &Value) -> Result<T, AppError> {
        crate::api::parse::from_value(self.resolve(value)?)
    }

    /// Remembers the id a creation answered with under `name`.
    fn made(&mut self, name: &str, reply: &Reply) -> Result<String, AppError> {
        let id = serde_json::from_slice::<Value>(&reply.body)
            .ok()
            .and_then(|body| body["id"].as_str().map(str::to_owned))
            .ok_or_else(|| AppError::internal("a creation answered without an id"))?;
        self.0.insert(name.to_owned(), id.clone());
        Ok(id)
    }
}

/// Loads the demo set once, through the same services (and checks) as the API; a second run
/// finds it and changes nothing.
pub async fn demo(state: &AppState) -> Result<SeedReport, AppError> {
    let present = state
        .db
        .run(|conn| {
            party_store::find_by_identifier(conn, DEMO_SCHEME, "boi")
                .map(|found| found.is_some())
                .map_err(AppError::from)
        })
        .await?;
    if present {
        return Ok(SeedReport {
            already_present: true,
            ..SeedReport::default()
        });
    }
    let set: DemoSet = serde_json::from_str(DEMO)
        .map_err(|e| AppError::internal(format!("the demo set does not parse: {e}")))?;
    let caller = seeder();
    let mut names = Names::default();
    for party in &set.parties {
        let reply =
            super::parties::create(state, &caller, None, names.input(&party.input)?).await?;
        names.made(&party.name, &reply)?;
    }
    for person in &set.people {
        let reply =
            super::people::create(state, &caller, None, names.input(&person.input)?).await?;
        names.made(&person.name, &reply)?;
    }
    for change in &set.party_changes {
        let id = names.id(&change.party)?;
        super::parties::update(
            state,
            &caller,
            &id,
            Expected::Any,
            names.resolve(&change.patch)?,
        )
        .await?;
    }
    for initiative in &set.initiatives {
        let input = names.input(&initiative.input)?;
        let reply = super::initiatives::create(state, &caller, None, input).await?;
        names.made(&initiative.name, &reply)?;
    }
    for opportunity in &set.opportunities {
        let input = names.input(&opportunity.input)?;
        let reply = super::opportunities::create(state, &caller, None, input).await?;
        let id = names.made(&opportunity.name, &reply)?;
        if opportunity.publish {
            let publish = serde_json::json!({"listingStatus": ListingStatus::Published});
            super::opportunities::update(state, &caller, &id, Expected::Any, publish).await?;
        }
    }
    for interest in &set.interests {
        let opportunity = names.id(&interest.opportunity)?;
        let input = names.input(&interest.input)?;
        let reply = super::interests::create(state, &caller, None, &opportunity, input).await?;
        let id = names.made("interest", &reply)?;
        for stage in &interest.stages {
            let request = names.input(&serde_json::json!({"to": stage}))?;
            super::interests::transition(state, &caller, None, &id, Expected::Any, request).await?;
        }
    }
    Ok(SeedReport {
        parties: set.parties.len(),
        people: set.people.len(),
        initiatives: set.initiatives.len(),
        opportunities: set.opportunities.len(),
        interests: set.interests.len(),
        already_present: false,
    })
}

/// What a synthetic load wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct SyntheticReport {
    pub opportunities: usize,
    pub parties: usize,
    pub interests: usize,
    pub events: usize,
}

/// Writes `n` opportunities (with sectors, locations, documents), `n/10` parties, `2n`
/// interests spread over the stages and `n/2` events, with realistic spreads and a fixed random
/// seed, in batches; `progress` hears how many opportunities are done.
pub fn synthetic(
    conn: &mut crate::persistence::DbConnection,
    n: usize,
    mut progress: impl FnMut(usize, usize),
) -> Result<SyntheticReport, AppError> {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use crate::domain::events::{Audience, NewEvent};
    use crate::domain::interests::{Interest, InterestData};
    use crate::domain::opportunities::Listing;
    use crate::domain::stored::Stored;
    use crate::persistence::{
        self, events, interests, opportunities, parties, people, write_transaction,
    };

    let mut rng = StdRng::seed_from_u64(42);
    let now = persistence::now();
    let pick = |rng: &mut StdRng, items: &[&'static str]| items[rng.random_range(0..items.len())];
    let sectors = [
        "transport.road",
        "transport.rail",
        "transport.air",
        "energy.solar",
        "energy.wind",
        "energy.hydropower",
        "waterAndWaste",
        "health",
        "education",
        "cultureSportsAndRecreation",
        "communications",
        "socialHousing",
    ];
    let countries = ["PK", "PK", "PK", "PK", "AZ", "TR", "AE", "SA", "CN", "GB"];
    let regions = [
        "Sindh",
        "Punjab",
        "Khyber Pakhtunkhwa",
        "Balochistan",
        "Gilgit-Baltistan",
        "Islamabad",
    ];
    let models = EngagementModel::ALL;
    let kinds = PartyKind::ALL;

    // Parties (a tenth of the opportunities, at least ten) and one contact each.
    let party_count = (n / 10).max(10);
    let mut all_parties = Vec::with_capacity(party_count);
    let mut all_people = Vec::with_capacity(party_count);
    for i in 0..party_count {
        let id = PartyId::generate();
        all_people.push(Stored {
            id: PersonId::generate(),
            data: PersonData {
                party_id: id.clone(),
                name: format!("Contact {i} (synthetic)"),
                job_title: Some("Director".into()),
                email: Some(format!("contact{i}@example.org")),
                telephone: None,
            },
            created_at: now,
            updated_at: now,
            version: 1,
        });
        all_parties.push(Stored {
            id,
            data: PartyData {
                name: format!("Synthetic party {i}"),
                kind: kinds[rng.random_range(0..kinds.len())],
                country: code(pick(&mut rng, &countries)),
                identifier: None,
                website: None,
                contact_point: None,
                member_ids: Vec::new(),
                focal_person_id: None,
            },
            created_at: now,
            updated_at: now,
            version: 1,
        });
    }
    write_transaction(conn, |conn| {
        parties::insert_many(conn, &all_parties)?;
        people::insert_many(conn, &all_people)
    })?;

    let statuses = [ListingStatus::Published; 14]
        .into_iter()
        .chain([ListingStatus::Closed; 2])
        .chain([ListingStatus::Draft; 3])
        .chain([ListingStatus::Archived; 1])
        .collect::<Vec<_>>();
    let mut published: Vec<(OpportunityId, Vec<EngagementModel>)> = Vec::new();
    let mut report = SyntheticReport {
        parties: party_count,
        ..SyntheticReport::default()
    };
    const BATCH: usize = 2000;
    let mut done = 0;
    while done < n {
        let size = BATCH.min(n - done);
        let mut batch = Vec::with_capacity(size);
        for i in done..done + size {
            let authority = &all_parties[rng.random_range(0..party_count)];
            let sector_count = rng.random_range(1..=2);
            let mut chosen: Vec<SectorCode> = (0..sector_count)
                .map(|_| code(pick(&mut rng, &sectors)))
                .collect();
            chosen.sort();
            chosen.dedup();
            let mut engagement: Vec<EngagementModel> = (0..rng.random_range(1..=3))
                .map(|_| models[rng.random_range(0..models.len())])
                .collect();
            engagement.sort_by_key(|m| m.as_str());
            engagement.dedup();
            // Costs spread over four orders of magnitude, in minor units.
            let cost = 10_i64.pow(rng.random_range(8..12)) * rng.random_range(1..10) * 100;
            let currency = if rng.random_bool(0.6) { "USD" } else { "PKR" };
            let status = statuses[rng.random_range(0..statuses.len())];
            let lon = rng.random_range(61.0..77.0_f64);
            let lat = rng.random_range(24.0..37.0_f64);
            let id = OpportunityId::generate();
            if status == ListingStatus::Published {
                published.push((id.clone(), engagement.clone()));
            }
            let opportunity = Stored {
                id,
                data: Listing {
                    data: OpportunityData {
                        title: format!(
                            "Synthetic opportunity {i}: {} in {}",
                            chosen[0],
                            pick(&mut rng, &regions)
                        ),
                        description: format!(
                            "A synthetic listing for benchmarks: {} project number {i}, offered on {} terms, with enough words to search.",
                            chosen[0], engagement[0]
                        ),
                        purpose: None,
                        sectors: chosen,
                        project_type: Some(code("construction")),
                        project_status: code(pick(
                            &mut rng,
                            &["identification", "preparation", "implementation"],
                        )),
                        engagement_models: engagement,
                        ppp_model: None,
                        host_country: code(pick(&mut rng, &countries)),
                        locations: vec![Location {
                            description: Some("Site".into()),
                            region: Some(pick(&mut rng, &regions).into()),
                            coordinates: vec![[lon, lat]],
                        }],
                        estimated_cost: Some(Money::from_minor(cost, code(currency))),
                        investment_sought: Some(Money::from_minor(cost / 2, code(currency))),
                        eoi_deadline: NaiveDate::from_ymd_opt(
                            2027,
                            rng.random_range(1..=12),
                            rng.random_range(1..=28),
                        ),
                        public_authority_id: Some(authority.id.clone()),
                        focal_person_id: Some(all_people[0].id.clone()),
                        partner_countries: vec![code(pick(&mut rng, &["AZ", "TR", "AE"]))],
                        initiative_id: None,
                        documents: vec![Document {
                            title: "Project brief".into(),
                            document_type: code("projectScope"),
                            url: "https://example.org/brief.pdf".into(),
                            language: Some("en".into()),
                        }],
                        oc4ids_id: None,
                    },
                    status,
                    published_at: status.is_public().then_some(now),
                },
                created_at: now,
                updated_at: now,
                version: 1,
            };
            let shown = crate::api::opportunities::representation(&opportunity);
            batch.push((opportunity, shown));
        }
        write_transaction(conn, |conn| opportunities::insert_many(conn, &batch))?;
        done += size;
        progress(done, n);
    }
    report.opportunities = n;

    // Interests: twice as many, on published opportunities, one active per (opportunity, party).
    let stages = [
        Stage::Expressed,
        Stage::Expressed,
        Stage::Screening,
        Stage::Engaged,
        Stage::DueDiligence,
        Stage::Shortlisted,
        Stage::ProposalSubmitted,
        Stage::Negotiation,
        Stage::MouSigned,
        Stage::Withdrawn,
        Stage::Rejected,
    ];
    let mut seen = std::collections::HashSet::new();
    let mut pending = Vec::with_capacity(BATCH);
    let wanted = if published.is_empty() { 0 } else { 2 * n };
    let mut attempts = 0;
    while report.interests < wanted && attempts < wanted * 4 {
        attempts += 1;
        let (opportunity, offered) = &published[rng.random_range(0..published.len())];
        let party = &all_parties[rng.random_range(0..party_count)];
        if !seen.insert((opportunity.clone(), party.id.clone())) {
            continue;
        }
        let stage = stages[rng.random_range(0..stages.len())];
        pending.push(Interest {
            id: crate::domain::ids::InterestId::generate(),
            data: InterestData {
                opportunity_id: opportunity.clone(),
                party_id: party.id.clone(),
                engagement_model: offered[0],
                message: None,
                indicative_amount: None,
                co_investor_ids: Vec::new(),
                contact_person_id: None,
                assignee_id: None,
                notes: None,
                probability_override: None,
                stage,
                held_stage: None,
                furthest_stage: if stage.rank().is_some() {
                    stage
                } else {
                    Stage::Screening
                },
                stage_changed_at: now,
            },
            created_at: now,
            updated_at: now,
            version: 1,
        });
        report.interests += 1;
        if pending.len() == BATCH {
            write_transaction(conn, |conn| interests::insert_many(conn, &pending))?;
            pending.clear();
        }
    }
    write_transaction(conn, |conn| interests::insert_many(conn, &pending))?;

    // Events: half as many as opportunities, public and internal.
    let event_count = n / 2;
    let mut feed = Vec::with_capacity(BATCH);
    for i in 0..event_count {
        let public = i % 3 != 0;
        feed.push(NewEvent {
            kind: if public {
                "opportunity.updated"
            } else {
                "party.updated"
            },
            subject_id: format!("synthetic-{i}"),
            audience: if public {
                Audience::Public
            } else {
                Audience::Staff
            },
            data: serde_json::json!({"synthetic": i}),
            occurred_at: now,
        });
        if feed.len() == BATCH {
            write_transaction(conn, |conn| events::append_many(conn, &feed))?;
            feed.clear();
        }
    }
    write_transaction(conn, |conn| events::append_many(conn, &feed))?;
    report.events = event_count;
    // The planner's statistics, for tables that just grew by orders of magnitude (PostgreSQL
    // chose sequential scans for filtered pages until autovacuum came by).
    crate::persistence::analyze(conn)?;
    Ok(report)
}
