//! Loading data: the demo set (`demo.json`, the Pakistan–Azerbaijan(–Türkiye) story from public
//! reporting, written as a client would send it to the API), and synthetic data for benchmarks.

use serde::Deserialize;
use serde_json::Value;

use super::AppState;
use crate::api::reply::Reply;
use crate::domain::access::Caller;
use crate::domain::codes::{ListingStatus, Role};
use crate::domain::ids::ApiKeyId;
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
    /// Each move: the stage, or `{"to", "reason"}` for a move that needs a reason.
    stages: Vec<Value>,
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
            let to = match stage {
                Value::String(_) => serde_json::json!({ "to": stage }),
                other => other.clone(),
            };
            let request = names.input(&to)?;
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
