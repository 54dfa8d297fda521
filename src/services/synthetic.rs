//! Synthetic data for benchmarks: realistic spreads from a fixed random seed, written in batches
//! straight to the store (no events or checks per row: the volume is the point).

use chrono::{NaiveDate, NaiveDateTime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::codes::{EngagementModel, ListingStatus, PartyKind, SectorCode};
use crate::domain::events::{Audience, NewEvent};
use crate::domain::ids::{InterestId, OpportunityId, PartyId, PersonId};
use crate::domain::interests::{Interest, InterestData};
use crate::domain::money::Money;
use crate::domain::opportunities::{Document, Listing, Location, Opportunity, OpportunityData};
use crate::domain::parties::{Party, PartyData};
use crate::domain::people::{Person, PersonData};
use crate::domain::stages::Stage;
use crate::domain::stored::Stored;
use crate::error::AppError;
use crate::persistence::{
    self, DbConnection, events, interests, opportunities, parties, people, write_transaction,
};

/// What a synthetic load wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct SyntheticReport {
    pub opportunities: usize,
    pub parties: usize,
    pub interests: usize,
    pub events: usize,
}

/// Rows per write transaction.
const BATCH: usize = 2000;

const SECTORS: [&str; 12] = [
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
const COUNTRIES: [&str; 10] = ["PK", "PK", "PK", "PK", "AZ", "TR", "AE", "SA", "CN", "GB"];
const REGIONS: [&str; 6] = [
    "Sindh",
    "Punjab",
    "Khyber Pakhtunkhwa",
    "Balochistan",
    "Gilgit-Baltistan",
    "Islamabad",
];
/// Interest stages, the early ones more often.
const STAGES: [Stage; 11] = [
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

fn code<T: TryFrom<String, Error = String>>(text: &str) -> T {
    T::try_from(text.to_owned()).unwrap_or_else(|e| panic!("synthetic data uses valid codes: {e}"))
}

fn stored<I, D>(id: I, data: D, now: NaiveDateTime) -> Stored<I, D> {
    Stored {
        id,
        data,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

/// The generator's state: one random sequence, one clock reading, the parties made so far.
struct Generator {
    rng: StdRng,
    now: NaiveDateTime,
    parties: Vec<Party>,
    people: Vec<Person>,
    /// Published opportunities and the models they offer, for interests.
    published: Vec<(OpportunityId, Vec<EngagementModel>)>,
}

impl Generator {
    fn pick(&mut self, items: &[&'static str]) -> &'static str {
        items[self.rng.random_range(0..items.len())]
    }

    /// `count` parties and one contact each.
    fn parties(&mut self, conn: &mut DbConnection, count: usize) -> Result<(), AppError> {
        for i in 0..count {
            let id = PartyId::generate();
            let contact = PersonData {
                party_id: id.clone(),
                name: format!("Contact {i} (synthetic)"),
                job_title: Some("Director".into()),
                email: Some(format!("contact{i}@example.org")),
                telephone: None,
            };
            self.people
                .push(stored(PersonId::generate(), contact, self.now));
            let party = PartyData {
                name: format!("Synthetic party {i}"),
                kind: PartyKind::ALL[self.rng.random_range(0..PartyKind::ALL.len())],
                country: code(self.pick(&COUNTRIES)),
                identifier: None,
                website: None,
                contact_point: None,
                member_ids: Vec::new(),
                focal_person_id: None,
            };
            self.parties.push(stored(id, party, self.now));
        }
        write_transaction(conn, |conn| {
            parties::insert_many(conn, &self.parties)?;
            people::insert_many(conn, &self.people)
        })?;
        Ok(())
    }

    fn listing_status(&mut self) -> ListingStatus {
        // 14 in 20 published, 2 closed, 3 drafts, 1 archived.
        match self.rng.random_range(0..20) {
            0..14 => ListingStatus::Published,
            14..16 => ListingStatus::Closed,
            16..19 => ListingStatus::Draft,
            _ => ListingStatus::Archived,
        }
    }

    fn opportunity_data(&mut self, i: usize) -> OpportunityData {
        let authority = self.parties[self.rng.random_range(0..self.parties.len())]
            .id
            .clone();
        let mut sectors: Vec<SectorCode> = (0..self.rng.random_range(1..=2))
            .map(|_| code(self.pick(&SECTORS)))
            .collect();
        sectors.sort();
        sectors.dedup();
        let models = EngagementModel::ALL;
        let mut engagement: Vec<EngagementModel> = (0..self.rng.random_range(1..=3))
            .map(|_| models[self.rng.random_range(0..models.len())])
            .collect();
        engagement.sort_by_key(|m| m.as_str());
        engagement.dedup();
        // Costs spread over four orders of magnitude, in minor units.
        let cost = 10_i64.pow(self.rng.random_range(8..12)) * self.rng.random_range(1..10) * 100;
        let currency = if self.rng.random_bool(0.6) {
            "USD"
        } else {
            "PKR"
        };
        let coordinates = [
            self.rng.random_range(61.0..77.0_f64),
            self.rng.random_range(24.0..37.0_f64),
        ];
        let region = self.pick(&REGIONS);
        OpportunityData {
            title: format!("Synthetic opportunity {i}: {} in {region}", sectors[0]),
            description: format!(
                "A synthetic listing for benchmarks: {} project number {i}, offered on {} terms, with enough words to search.",
                sectors[0], engagement[0]
            ),
            purpose: None,
            sectors,
            project_type: Some(code("construction")),
            project_status: code(self.pick(&["identification", "preparation", "implementation"])),
            engagement_models: engagement,
            ppp_model: None,
            host_country: code(self.pick(&COUNTRIES)),
            locations: vec![Location {
                description: Some("Site".into()),
                region: Some(self.pick(&REGIONS).into()),
                coordinates: vec![coordinates],
            }],
            estimated_cost: Some(Money::from_minor(cost, code(currency))),
            investment_sought: Some(Money::from_minor(cost / 2, code(currency))),
            eoi_deadline: NaiveDate::from_ymd_opt(
                2027,
                self.rng.random_range(1..=12),
                self.rng.random_range(1..=28),
            ),
            public_authority_id: Some(authority),
            focal_person_id: Some(self.people[0].id.clone()),
            partner_countries: vec![code(self.pick(&["AZ", "TR", "AE"]))],
            initiative_id: None,
            documents: vec![Document {
                title: "Project brief".into(),
                document_type: code("projectScope"),
                url: "https://example.org/brief.pdf".into(),
                language: Some("en".into()),
            }],
            oc4ids_id: None,
        }
    }

    fn opportunity(&mut self, i: usize) -> Opportunity {
        let data = self.opportunity_data(i);
        let status = self.listing_status();
        let id = OpportunityId::generate();
        if status == ListingStatus::Published {
            self.published
                .push((id.clone(), data.engagement_models.clone()));
        }
        let listing = Listing {
            data,
            status,
            published_at: status.is_public().then_some(self.now),
        };
        stored(id, listing, self.now)
    }

    /// `n` opportunities in batches, with their stored representations.
    fn opportunities(
        &mut self,
        conn: &mut DbConnection,
        n: usize,
        progress: &mut impl FnMut(usize, usize),
    ) -> Result<(), AppError> {
        let mut done = 0;
        while done < n {
            let size = BATCH.min(n - done);
            let batch: Vec<_> = (done..done + size)
                .map(|i| {
                    let opportunity = self.opportunity(i);
                    let shown = crate::api::opportunities::representation(&opportunity);
                    (opportunity, shown)
                })
                .collect();
            write_transaction(conn, |conn| opportunities::insert_many(conn, &batch))?;
            done += size;
            progress(done, n);
        }
        Ok(())
    }

    fn interest(
        &mut self,
        opportunity: OpportunityId,
        party: PartyId,
        model: EngagementModel,
    ) -> Interest {
        let stage = STAGES[self.rng.random_range(0..STAGES.len())];
        let data = InterestData {
            opportunity_id: opportunity,
            party_id: party,
            engagement_model: model,
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
            stage_changed_at: self.now,
            previous_interest_id: None,
        };
        stored(InterestId::generate(), data, self.now)
    }

    /// Up to `wanted` interests on published opportunities, one per (opportunity, party).
    fn interests(&mut self, conn: &mut DbConnection, wanted: usize) -> Result<usize, AppError> {
        let wanted = if self.published.is_empty() { 0 } else { wanted };
        let mut seen = std::collections::HashSet::new();
        let mut pending = Vec::with_capacity(BATCH);
        let (mut made, mut attempts) = (0, 0);
        while made < wanted && attempts < wanted * 4 {
            attempts += 1;
            let (opportunity, offered) =
                self.published[self.rng.random_range(0..self.published.len())].clone();
            let party = self.parties[self.rng.random_range(0..self.parties.len())]
                .id
                .clone();
            if !seen.insert((opportunity.clone(), party.clone())) {
                continue;
            }
            pending.push(self.interest(opportunity, party, offered[0]));
            made += 1;
            if pending.len() == BATCH {
                write_transaction(conn, |conn| interests::insert_many(conn, &pending))?;
                pending.clear();
            }
        }
        write_transaction(conn, |conn| interests::insert_many(conn, &pending))?;
        Ok(made)
    }

    /// `count` events, two public for each internal one.
    fn events(&self, conn: &mut DbConnection, count: usize) -> Result<(), AppError> {
        let mut feed = Vec::with_capacity(BATCH);
        for i in 0..count {
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
                occurred_at: self.now,
            });
            if feed.len() == BATCH {
                write_transaction(conn, |conn| events::append_many(conn, &feed))?;
                feed.clear();
            }
        }
        write_transaction(conn, |conn| events::append_many(conn, &feed))?;
        Ok(())
    }
}

/// Writes `n` opportunities (with sectors, locations, documents), `n/10` parties, `2n`
/// interests spread over the stages and `n/2` events, with realistic spreads and a fixed random
/// seed, in batches; `progress` hears how many opportunities are done.
pub fn generate(
    conn: &mut DbConnection,
    n: usize,
    mut progress: impl FnMut(usize, usize),
) -> Result<SyntheticReport, AppError> {
    let mut generator = Generator {
        rng: StdRng::seed_from_u64(42),
        now: persistence::now(),
        parties: Vec::new(),
        people: Vec::new(),
        published: Vec::new(),
    };
    // Parties: a tenth of the opportunities, at least ten.
    let party_count = (n / 10).max(10);
    generator.parties(conn, party_count)?;
    generator.opportunities(conn, n, &mut progress)?;
    let interests = generator.interests(conn, 2 * n)?;
    generator.events(conn, n / 2)?;
    // The planner's statistics, for tables that just grew by orders of magnitude (PostgreSQL
    // chose sequential scans for filtered pages until autovacuum came by).
    persistence::analyze(conn)?;
    Ok(SyntheticReport {
        opportunities: n,
        parties: party_count,
        interests,
        events: n / 2,
    })
}
