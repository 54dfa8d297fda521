//! Demo data: the projects and parties of the Pakistan–Azerbaijan(–Türkiye) story, from public
//! reporting (dates in the descriptions). Companies are invented and say so.

use chrono::NaiveDate;

use super::AppState;
use crate::domain::access::Caller;
use crate::domain::codes::{
    CountryCode, CurrencyCode, DocumentType, EngagementModel, ListingStatus, PartyKind, PppModel,
    ProjectStatus, ProjectType, Role, SectorCode,
};
use crate::domain::ids::{ApiKeyId, InitiativeId, OpportunityId, PartyId, PersonId};
use crate::domain::initiatives::InitiativeData;
use crate::domain::interests::NewInterest;
use crate::domain::money::Money;
use crate::domain::opportunities::{Document, Location, OpportunityData};
use crate::domain::parties::{ContactPoint, Identifier, PartyData};
use crate::domain::people::PersonData;
use crate::domain::stages::Stage;
use crate::error::AppError;
use crate::persistence::parties as party_store;

/// The identifier scheme that marks demo records, so a second run can tell they exist.
const DEMO_SCHEME: &str = "investdesk-demo";

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
    T::try_from(text.to_owned()).unwrap_or_else(|e| panic!("demo data uses valid codes: {e}"))
}

fn money(amount: &str, currency: &str) -> Money {
    Money::parse(amount, code::<CurrencyCode>(currency)).expect("demo amounts are valid")
}

fn party(
    name: &str,
    kind: PartyKind,
    country: &str,
    key: &str,
    website: Option<&str>,
) -> PartyData {
    PartyData {
        name: name.into(),
        kind,
        country: code(country),
        identifier: Some(Identifier {
            scheme: DEMO_SCHEME.into(),
            id: key.into(),
        }),
        website: website.map(str::to_owned),
        contact_point: None,
        member_ids: Vec::new(),
        focal_person_id: None,
    }
}

struct Listing<'a> {
    title: &'a str,
    description: &'a str,
    sectors: &'a [&'a str],
    status: &'a str,
    kind: &'a str,
    models: &'a [EngagementModel],
    ppp: Option<PppModel>,
    locations: Vec<Location>,
    cost: Option<Money>,
    sought: Option<Money>,
    authority: &'a PartyId,
    partners: &'a [&'a str],
    initiative: Option<&'a InitiativeId>,
    oc4ids: &'a str,
}

/// (opportunity index, party, model, co-investors, contact, amount, message, stages to move through)
struct DemoInterest<'a>(
    usize,
    &'a PartyId,
    EngagementModel,
    Vec<PartyId>,
    Option<&'a PersonId>,
    Option<Money>,
    &'a str,
    Vec<Stage>,
);

fn place(description: &str, region: &str, points: &[[f64; 2]]) -> Location {
    Location {
        description: Some(description.into()),
        region: Some(region.into()),
        coordinates: points.to_vec(),
    }
}

/// Loads the demo data once; a second run finds it and changes nothing.
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
    let caller = seeder();
    let mut report = SeedReport::default();
    let new_party = async |data: PartyData| -> Result<PartyId, AppError> {
        Ok(super::parties::create(state, &caller, data).await?.id)
    };
    let boi = new_party(party(
        "Board of Investment",
        PartyKind::GovernmentAgency,
        "PK",
        "boi",
        Some("https://invest.gov.pk"),
    ))
    .await?;
    let nha = new_party(party(
        "National Highway Authority",
        PartyKind::GovernmentAgency,
        "PK",
        "nha",
        Some("https://nha.gov.pk"),
    ))
    .await?;
    let sindh = new_party(party(
        "Sindh Tourism Development Corporation",
        PartyKind::GovernmentAgency,
        "PK",
        "stdc",
        None,
    ))
    .await?;
    let kp = new_party(party(
        "Khyber Pakhtunkhwa Culture and Tourism Authority",
        PartyKind::GovernmentAgency,
        "PK",
        "kpcta",
        None,
    ))
    .await?;
    let ppib = new_party(party(
        "Private Power and Infrastructure Board",
        PartyKind::GovernmentAgency,
        "PK",
        "ppib",
        Some("https://ppib.gov.pk"),
    ))
    .await?;
    let azerbaijan = new_party(party(
        "Government of Azerbaijan — Ministry of Economy",
        PartyKind::Government,
        "AZ",
        "az-economy",
        Some("https://economy.gov.az"),
    ))
    .await?;
    let isdb = new_party(party(
        "Islamic Development Bank",
        PartyKind::DevelopmentFinanceInstitution,
        "SA",
        "isdb",
        Some("https://www.isdb.org"),
    ))
    .await?;
    let anatolia = new_party(party(
        "Anatolia Yol Yapım A.Ş. (demo company)",
        PartyKind::Company,
        "TR",
        "anatolia",
        None,
    ))
    .await?;
    let caspian = new_party(party(
        "Caspian Infrastructure Partners (demo company)",
        PartyKind::Company,
        "AZ",
        "caspian",
        None,
    ))
    .await?;
    report.parties = 9;

    let new_person = async |party: &PartyId,
                            name: &str,
                            title: &str,
                            email: &str|
           -> Result<PersonId, AppError> {
        let data = PersonData {
            party_id: party.clone(),
            name: name.into(),
            job_title: Some(title.into()),
            email: Some(email.into()),
            telephone: None,
        };
        Ok(super::people::create(state, &caller, data).await?.id)
    };
    let focal = new_person(
        &boi,
        "Focal Person, Azerbaijan Desk (demo name)",
        "Director, Investment Promotion",
        "azerbaijan.desk@invest.gov.pk",
    )
    .await?;
    let nha_director = new_person(
        &nha,
        "Project Director M-6 (demo name)",
        "Project Director",
        "m6@nha.gov.pk",
    )
    .await?;
    let az_contact = new_person(
        &azerbaijan,
        "Investment Liaison (demo name)",
        "Head of Foreign Investment",
        "liaison@economy.gov.az",
    )
    .await?;
    let anatolia_contact = new_person(
        &anatolia,
        "Business Development Lead (demo)",
        "Business Development",
        "bd@anatolia.example",
    )
    .await?;
    report.people = 4;

    // The BOI focal person keeps liaison with Azerbaijan.
    super::parties::update(state, &caller, azerbaijan.clone(), super::Expected::Any, {
        let focal = focal.clone();
        move |current| {
            Ok(PartyData {
                focal_person_id: Some(focal),
                contact_point: Some(ContactPoint {
                    name: Some("Investment Liaison (demo name)".into()),
                    email: Some("liaison@economy.gov.az".into()),
                    telephone: None,
                }),
                ..current.data.clone()
            })
        }
    })
    .await?;

    let joint = super::initiatives::create(state, &caller, InitiativeData {
        name: "Pakistan–Azerbaijan joint projects".into(),
        description: Some("Joint projects on a government-to-government or business-to-business basis, with a focal person at the Board of Investment for liaison with Azerbaijan. Azerbaijan announced a US$2 bn investment intention (May 2025).".into()),
        countries: vec![code("PK"), code("AZ")],
        lead_party_id: Some(boi.clone()),
        focal_person_id: Some(focal.clone()),
    })
    .await?
    .id;
    let trilateral = super::initiatives::create(state, &caller, InitiativeData {
        name: "Pakistan–Azerbaijan–Türkiye trilateral".into(),
        description: Some("A trilateral effort on motorways and tourism between Pakistan, Azerbaijan and Türkiye.".into()),
        countries: vec![code("PK"), code("AZ"), code("TR")],
        lead_party_id: Some(boi.clone()),
        focal_person_id: Some(focal.clone()),
    })
    .await?
    .id;
    report.initiatives = 2;

    let listings = vec![
        Listing {
            title: "M-6 Hyderabad–Sukkur Motorway",
            description: "A 306 km, six-lane motorway between Hyderabad and Sukkur in Sindh, implemented by the National Highway Authority. Cost reported at US$1.7 bn (2025); the Islamic Development Bank approved US$475 m for sections 4–5 (Sept 2025); sections 1–2 are planned as a public–private partnership. Azerbaijan considered the M-6 and M-9 on a G2G model (Nov 2024).",
            sectors: &["transport.road"],
            status: "preparation",
            kind: "construction",
            models: &[
                EngagementModel::G2g,
                EngagementModel::Ppp,
                EngagementModel::Debt,
            ],
            ppp: Some(PppModel::Bot),
            locations: vec![place(
                "Hyderabad to Sukkur",
                "Sindh",
                &[[68.37, 25.40], [68.86, 27.70]],
            )],
            cost: Some(money("1700000000", "USD")),
            sought: Some(money("1225000000", "USD")),
            authority: &nha,
            partners: &["AZ", "TR"],
            initiative: Some(&trilateral),
            oc4ids: "investdesk-demo-m6",
        },
        Listing {
            title: "M-9 Karachi–Hyderabad Motorway",
            description: "A 136 km, six-lane motorway between Karachi and Hyderabad, run as a build-operate-transfer concession over 25 years. Azerbaijan considered the M-6 and M-9 on a G2G model (Nov 2024); the investment sought is still being estimated.",
            sectors: &["transport.road"],
            status: "implementation",
            kind: "expansion",
            models: &[EngagementModel::G2g, EngagementModel::Concession],
            ppp: Some(PppModel::Bot),
            locations: vec![place(
                "Karachi to Hyderabad",
                "Sindh",
                &[[67.10, 24.95], [68.37, 25.40]],
            )],
            cost: None,
            sought: None,
            authority: &nha,
            partners: &["AZ"],
            initiative: Some(&joint),
            oc4ids: "investdesk-demo-m9",
        },
        Listing {
            title: "M-10 Karachi Northern Bypass–Jamshoro Motorway",
            description: "About 168 km of motorway from the Karachi Northern Bypass to Jamshoro, with an estimate of about Rs254 bn, offered for partnership and EPC with financing.",
            sectors: &["transport.road"],
            status: "preparation",
            kind: "construction",
            models: &[EngagementModel::Ppp, EngagementModel::EpcFinance],
            ppp: Some(PppModel::Dbfot),
            locations: vec![place(
                "Karachi Northern Bypass to Jamshoro",
                "Sindh",
                &[[67.05, 25.05], [68.28, 25.43]],
            )],
            cost: Some(money("254000000000", "PKR")),
            sought: Some(money("254000000000", "PKR")),
            authority: &nha,
            partners: &["AZ", "TR"],
            initiative: Some(&trilateral),
            oc4ids: "investdesk-demo-m10",
        },
        Listing {
            title: "Kharian–Rawalpindi Motorway",
            description: "A 117.6 km motorway between Kharian and Rawalpindi, offered as a build-operate-transfer project at Rs202.61 bn, with viability gap funding of Rs40 bn (2025).",
            sectors: &["transport.road"],
            status: "preparation",
            kind: "construction",
            models: &[EngagementModel::Ppp, EngagementModel::Concession],
            ppp: Some(PppModel::Bot),
            locations: vec![place(
                "Kharian to Rawalpindi",
                "Punjab",
                &[[73.88, 32.81], [73.05, 33.60]],
            )],
            cost: Some(money("202610000000", "PKR")),
            sought: Some(money("162610000000", "PKR")),
            authority: &nha,
            partners: &[],
            initiative: None,
            oc4ids: "investdesk-demo-kharian-rawalpindi",
        },
        Listing {
            title: "Keenjhar Lake resort, Thatta",
            description: "A lakeside tourism resort at Keenjhar Lake in Thatta, Sindh, offered as a public–private partnership of about Rs3.4 bn: 40% government, 60% investor.",
            sectors: &["cultureSportsAndRecreation"],
            status: "preparation",
            kind: "construction",
            models: &[EngagementModel::Ppp, EngagementModel::B2b],
            ppp: Some(PppModel::Dbfo),
            locations: vec![place("Keenjhar Lake, Thatta", "Sindh", &[[68.05, 24.95]])],
            cost: Some(money("3400000000", "PKR")),
            sought: Some(money("2040000000", "PKR")),
            authority: &sindh,
            partners: &["AZ", "TR"],
            initiative: Some(&trilateral),
            oc4ids: "investdesk-demo-keenjhar",
        },
        Listing {
            title: "Khyber Pakhtunkhwa integrated tourism zones: Ganool, Mankiyal, Madaklasht",
            description: "Three integrated tourism zones in Khyber Pakhtunkhwa — Ganool, Mankiyal and Madaklasht — worth Rs12.2 bn, open to partnership and business investment.",
            sectors: &["cultureSportsAndRecreation"],
            status: "identification",
            kind: "construction",
            models: &[EngagementModel::Ppp, EngagementModel::B2b],
            ppp: Some(PppModel::Boot),
            locations: vec![
                place("Ganool, Mansehra", "Khyber Pakhtunkhwa", &[[73.55, 34.80]]),
                place("Mankiyal, Swat", "Khyber Pakhtunkhwa", &[[72.60, 35.45]]),
                place(
                    "Madaklasht, Chitral",
                    "Khyber Pakhtunkhwa",
                    &[[71.85, 35.68]],
                ),
            ],
            cost: Some(money("12200000000", "PKR")),
            sought: Some(money("12200000000", "PKR")),
            authority: &kp,
            partners: &[],
            initiative: None,
            oc4ids: "investdesk-demo-kp-tourism",
        },
        Listing {
            title: "Jhimpir wind corridor extension (demo project)",
            description: "A demonstration energy listing: a 100 MW extension of wind generation in the Jhimpir corridor, Sindh, on a build-own-operate basis. Invented for the demo.",
            sectors: &["energy.wind"],
            status: "identification",
            kind: "expansion",
            models: &[EngagementModel::Ppp, EngagementModel::Equity],
            ppp: Some(PppModel::Boo),
            locations: vec![place("Jhimpir, Thatta", "Sindh", &[[67.98, 25.03]])],
            cost: Some(money("150000000", "USD")),
            sought: Some(money("150000000", "USD")),
            authority: &ppib,
            partners: &["TR"],
            initiative: None,
            oc4ids: "investdesk-demo-jhimpir",
        },
    ];
    let mut ids: Vec<OpportunityId> = Vec::new();
    for l in listings {
        let data = OpportunityData {
            title: l.title.into(),
            description: l.description.into(),
            purpose: None,
            sectors: l.sectors.iter().map(|s| code::<SectorCode>(s)).collect(),
            project_type: Some(code::<ProjectType>(l.kind)),
            project_status: code::<ProjectStatus>(l.status),
            engagement_models: l.models.to_vec(),
            ppp_model: l.ppp,
            host_country: code::<CountryCode>("PK"),
            locations: l.locations,
            estimated_cost: l.cost,
            investment_sought: l.sought.clone(),
            eoi_deadline: Some(NaiveDate::from_ymd_opt(2027, 6, 30).expect("a date")),
            public_authority_id: Some(l.authority.clone()),
            focal_person_id: Some(if l.authority == &nha {
                nha_director.clone()
            } else {
                focal.clone()
            }),
            partner_countries: l.partners.iter().map(|c| code::<CountryCode>(c)).collect(),
            initiative_id: l.initiative.cloned(),
            documents: vec![Document {
                title: format!("{} — project brief (demo)", l.title),
                document_type: code::<DocumentType>("projectScope"),
                url: "https://invest.gov.pk/".into(),
                language: Some("en".into()),
            }],
            oc4ids_id: Some(l.oc4ids.into()),
        };
        let created = super::opportunities::create(state, &caller, data).await?;
        if l.sought.is_some() {
            super::opportunities::update(
                state,
                &caller,
                created.id.clone(),
                super::Expected::Any,
                |current| Ok((current.data.data.clone(), Some(ListingStatus::Published))),
            )
            .await?;
        }
        ids.push(created.id);
    }
    report.opportunities = ids.len();

    // Interests at several stages.
    let interests: Vec<DemoInterest<'_>> = vec![
        DemoInterest(
            0,
            &azerbaijan,
            EngagementModel::G2g,
            vec![],
            Some(&az_contact),
            Some(money("2000000000", "USD")),
            "G2G interest in the M-6, following Azerbaijan's US$2 bn investment intention (May 2025). Stages here are demo data.",
            vec![
                Stage::Screening,
                Stage::Engaged,
                Stage::DueDiligence,
                Stage::Negotiation,
                Stage::MouSigned,
            ],
        ),
        DemoInterest(
            0,
            &isdb,
            EngagementModel::Debt,
            vec![],
            None,
            Some(money("475000000", "USD")),
            "Financing for sections 4–5 (IsDB approval reported Sept 2025).",
            vec![
                Stage::Screening,
                Stage::DueDiligence,
                Stage::AgreementSigned,
            ],
        ),
        DemoInterest(
            2,
            &anatolia,
            EngagementModel::Ppp,
            vec![caspian.clone()],
            Some(&anatolia_contact),
            Some(money("60000000000", "PKR")),
            "Trilateral consortium bid (demo companies).",
            vec![Stage::Screening, Stage::Engaged, Stage::DueDiligence],
        ),
        DemoInterest(
            4,
            &caspian,
            EngagementModel::B2b,
            vec![],
            None,
            None,
            "Interest in operating the resort (demo).",
            vec![Stage::Screening],
        ),
        DemoInterest(
            5,
            &anatolia,
            EngagementModel::B2b,
            vec![],
            Some(&anatolia_contact),
            None,
            "Interest in Mankiyal (demo).",
            vec![],
        ),
        DemoInterest(
            6,
            &anatolia,
            EngagementModel::Equity,
            vec![],
            Some(&anatolia_contact),
            None,
            "Withdrawn after screening (demo).",
            vec![Stage::Screening, Stage::Withdrawn],
        ),
    ];
    for DemoInterest(opportunity, party, model, co, contact, amount, message, stages) in interests {
        let interest = super::interests::create(
            state,
            &caller,
            ids[opportunity].clone(),
            NewInterest {
                party_id: Some(party.clone()),
                engagement_model: model,
                message: Some(message.into()),
                indicative_amount: amount,
                co_investor_ids: co,
                contact_person_id: contact.cloned(),
            },
        )
        .await?;
        for stage in stages {
            super::interests::transition(
                state,
                &caller,
                interest.id.clone(),
                super::Expected::Any,
                stage,
                None,
            )
            .await?;
        }
        report.interests += 1;
    }
    Ok(report)
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
            let shown = crate::handlers::opportunities::representation(&opportunity);
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
