//! OC4IDS 0.9 project packages: our opportunities as OC4IDS projects, and back.
//!
//! Fields the standard has no place for (engagement models, partner countries, the EOI deadline,
//! the investment sought) travel in an `investdesk` object on each project, which the schema
//! allows, so a package exported here imports back unchanged.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use super::codes::{
    CountryCode, CurrencyCode, DocumentType, EngagementModel, PartyKind, PppModel, ProjectStatus,
    ProjectType, SectorCode,
};
use super::money::Money;
use super::opportunities::{Document, Location, Opportunity, OpportunityData};
use super::parties::Party;
use super::people::Person;

/// The OC4IDS version packages declare.
pub const VERSION: &str = "0.9";

/// What a project refers to besides the opportunity itself.
pub struct Related<'a> {
    pub authority: Option<&'a Party>,
    /// The focal person and the party they belong to.
    pub focal: Option<(&'a Person, &'a Party)>,
}

fn money(m: &Money) -> Value {
    // OC4IDS amounts are JSON numbers; amounts up to 15 significant digits convert exactly.
    let amount: f64 = m.amount().parse().unwrap_or(0.0);
    json!({"amount": amount, "currency": m.currency().as_str()})
}

fn organization(party: &Party, roles: &[&str], people: Vec<Value>) -> Value {
    let d = &party.data;
    let mut org = json!({
        "id": party.id,
        "name": d.name,
        "roles": roles,
        "address": {"countryName": isocountry::CountryCode::for_alpha2(d.country.as_str()).map(|c| c.name()).unwrap_or(d.country.as_str())},
        "investdesk": {"kind": d.kind.as_str(), "country": d.country.as_str()},
    });
    if let Some(identifier) = &d.identifier {
        org["identifier"] = json!({"scheme": identifier.scheme, "id": identifier.id});
    }
    if let Some(contact) = &d.contact_point {
        let mut c = serde_json::Map::new();
        for (k, v) in [
            ("name", &contact.name),
            ("email", &contact.email),
            ("telephone", &contact.telephone),
        ] {
            if let Some(v) = v {
                c.insert(k.into(), json!(v));
            }
        }
        if !c.is_empty() {
            org["contactPoint"] = Value::Object(c);
        }
    }
    if !people.is_empty() {
        org["people"] = Value::Array(people);
    }
    org
}

fn person(p: &Person) -> Value {
    let mut v = json!({"id": p.id, "name": p.data.name});
    for (k, value) in [
        ("jobTitle", &p.data.job_title),
        ("email", &p.data.email),
        ("telephone", &p.data.telephone),
    ] {
        if let Some(value) = value {
            v[k] = json!(value);
        }
    }
    v
}

/// An opportunity as an OC4IDS project.
pub fn project(opportunity: &Opportunity, related: &Related<'_>) -> Value {
    let d = &opportunity.data.data;
    let mut sectors: Vec<String> = d
        .sectors
        .iter()
        .flat_map(SectorCode::with_ancestors)
        .collect();
    sectors.sort();
    sectors.dedup();
    let mut p = json!({
        "id": d.oc4ids_id.clone().unwrap_or_else(|| opportunity.id.to_string()),
        "identifiers": [{"scheme": "investdesk", "id": opportunity.id}],
        "updated": DateTime::<Utc>::from_naive_utc_and_offset(opportunity.updated_at, Utc),
        "title": d.title,
        "description": d.description,
        "status": d.project_status.as_str(),
        "sector": sectors,
    });
    if let Some(purpose) = &d.purpose {
        p["purpose"] = json!(purpose);
    }
    if let Some(kind) = &d.project_type {
        p["type"] = json!(kind.as_str());
    }
    if let Some(cost) = &d.estimated_cost {
        p["budget"] = json!({"amount": money(cost)});
    }
    if !d.locations.is_empty() {
        let locations: Vec<Value> = d
            .locations
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mut loc = json!({"id": (i + 1).to_string()});
                if let Some(description) = &l.description {
                    loc["description"] = json!(description);
                }
                if let Some(region) = &l.region {
                    loc["address"] = json!({"region": region});
                }
                match l.coordinates.len() {
                    0 => {}
                    1 => {
                        loc["geometry"] = json!({"type": "Point", "coordinates": l.coordinates[0]})
                    }
                    _ => {
                        loc["geometry"] =
                            json!({"type": "LineString", "coordinates": l.coordinates})
                    }
                }
                loc
            })
            .collect();
        p["locations"] = Value::Array(locations);
    }
    let mut parties = Vec::new();
    if let Some(authority) = related.authority {
        p["publicAuthority"] = json!({"id": authority.id, "name": authority.data.name});
        let people = match related.focal {
            Some((focal, party)) if party.id == authority.id => vec![person(focal)],
            _ => Vec::new(),
        };
        parties.push(organization(authority, &["publicAuthority"], people));
    }
    if let Some((focal, party)) = related.focal
        && related.authority.is_none_or(|a| a.id != party.id)
    {
        parties.push(organization(
            party,
            &["administrativeEntity"],
            vec![person(focal)],
        ));
    }
    if !parties.is_empty() {
        p["parties"] = Value::Array(parties);
    }
    if !d.documents.is_empty() {
        let documents: Vec<Value> = d
            .documents
            .iter()
            .enumerate()
            .map(|(i, doc)| {
                let mut v = json!({"id": (i + 1).to_string(), "documentType": doc.document_type.as_str(), "title": doc.title, "url": doc.url});
                if let Some(language) = &doc.language {
                    v["language"] = json!(language);
                }
                v
            })
            .collect();
        p["documents"] = Value::Array(documents);
    }
    let mut ext = json!({
        "engagementModels": d.engagement_models,
        "hostCountry": d.host_country.as_str(),
        "partnerCountries": d.partner_countries,
        "listingStatus": opportunity.data.status,
    });
    if let Some(model) = d.ppp_model {
        ext["pppModel"] = json!(model.as_str());
    }
    if let Some(deadline) = d.eoi_deadline {
        ext["eoiDeadline"] = json!(deadline.format("%Y-%m-%d").to_string());
    }
    if let Some(sought) = &d.investment_sought {
        ext["investmentSought"] =
            json!({"amount": sought.amount(), "currency": sought.currency().as_str()});
    }
    if let Some(focal) = related.focal {
        ext["focalPersonId"] = json!(focal.0.id);
    }
    p["investdesk"] = ext;
    p
}

/// A package of projects.
pub fn package(projects: Vec<Value>, uri: &str, next: Option<String>) -> Value {
    let mut package = json!({
        "uri": uri,
        "version": VERSION,
        "publishedDate": Utc::now(),
        "publisher": {"name": "InvestDesk"},
        "projects": projects,
    });
    if let Some(next) = next {
        package["links"] = json!({"next": next});
    }
    package
}

/// A party named in an imported project.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedParty {
    /// The id the package gives it.
    pub id: Option<String>,
    pub name: String,
    pub identifier: Option<(String, String)>,
    pub kind: PartyKind,
    pub country: Option<CountryCode>,
}

/// A person named in an imported project.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedPerson {
    pub id: Option<String>,
    pub name: String,
    pub job_title: Option<String>,
    pub email: Option<String>,
    pub telephone: Option<String>,
    pub party: ImportedParty,
}

/// A project read from a package, ready to become an opportunity.
#[derive(Debug, Clone)]
pub struct ImportedProject {
    /// The project's OC4IDS id.
    pub id: String,
    /// Our opportunity id, when the project came from here.
    pub local_id: Option<String>,
    /// The data, with references still to resolve (ids left empty).
    pub data: OpportunityData,
    pub authority: Option<ImportedParty>,
    pub focal: Option<ImportedPerson>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn imported_party(org: &Value, default_kind: PartyKind) -> Result<ImportedParty, String> {
    let name = text(org, "name").ok_or("a party has no name")?;
    let ext = org.get("investdesk").cloned().unwrap_or(Value::Null);
    let country = match text(&ext, "country") {
        Some(code) => Some(CountryCode::try_from(code)?),
        None => org
            .get("address")
            .and_then(|a| text(a, "countryName"))
            .and_then(|n| {
                isocountry::CountryCode::as_array()
                    .iter()
                    .find(|c| c.name() == n)
                    .map(|c| c.alpha2().to_owned())
            })
            .and_then(|c| CountryCode::try_from(c).ok()),
    };
    Ok(ImportedParty {
        id: text(org, "id"),
        name,
        identifier: org
            .get("identifier")
            .and_then(|i| Some((text(i, "scheme")?, text(i, "id")?))),
        kind: text(&ext, "kind")
            .and_then(|k| PartyKind::parse(&k))
            .unwrap_or(default_kind),
        country,
    })
}

fn take<T>(errors: &mut Vec<String>, what: &str, result: Result<T, String>) -> Option<T> {
    result.map_err(|e| errors.push(format!("{what}: {e}"))).ok()
}

/// Reads one project; every reason it cannot be imported is listed.
pub fn parse_project(p: &Value) -> Result<ImportedProject, Vec<String>> {
    let mut errors = Vec::new();
    let id = text(p, "id").unwrap_or_else(|| {
        errors.push("the project has no id".to_owned());
        String::new()
    });
    let ext = p.get("investdesk").cloned().unwrap_or(Value::Null);

    let title = take(
        &mut errors,
        "title",
        text(p, "title").ok_or_else(|| "is required".to_owned()),
    );
    let description = take(
        &mut errors,
        "description",
        text(p, "description").ok_or_else(|| "is required".to_owned()),
    );
    // Legacy packages call maintenance `completed`.
    let status = text(p, "status").map(|s| {
        if s == "completed" {
            "maintenance".to_owned()
        } else {
            s
        }
    });
    let project_status = take(
        &mut errors,
        "status",
        status
            .ok_or_else(|| "is required".to_owned())
            .and_then(ProjectStatus::try_from),
    );
    let project_type = take(
        &mut errors,
        "type",
        text(p, "type").map(ProjectType::try_from).transpose(),
    );
    let codes: Vec<String> = p
        .get("sector")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut sectors = Vec::new();
    for code in &codes {
        // A broad code listed beside its narrower code is implied by it.
        if codes
            .iter()
            .any(|other| other.starts_with(&format!("{code}.")))
        {
            continue;
        }
        if let Some(s) = take(&mut errors, "sector", SectorCode::try_from(code.clone())) {
            sectors.push(s);
        }
    }
    if sectors.is_empty() {
        errors.push("sector: at least one projectSector code is required".into());
    }
    let engagement_models: Vec<EngagementModel> = ext
        .get("engagementModels")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().and_then(EngagementModel::parse))
                .collect()
        })
        .unwrap_or_default();
    if engagement_models.is_empty() {
        errors
            .push("investdesk.engagementModels: at least one engagement model is required".into());
    }
    let ppp_model = take(
        &mut errors,
        "investdesk.pppModel",
        text(&ext, "pppModel")
            .map(|m| PppModel::parse(&m).ok_or_else(|| format!("{m:?} is not a PPP model")))
            .transpose(),
    );
    let partner_countries = ext
        .get("partnerCountries")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| {
                    c.as_str()
                        .and_then(|c| CountryCode::try_from(c.to_owned()).ok())
                })
                .collect()
        })
        .unwrap_or_default();
    let eoi_deadline = take(
        &mut errors,
        "investdesk.eoiDeadline",
        text(&ext, "eoiDeadline")
            .map(|d| {
                NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| "is not a date".to_owned())
            })
            .transpose(),
    );
    let money_of = |v: &Value, amount_as_text: bool| -> Result<Money, String> {
        let currency = CurrencyCode::try_from(text(v, "currency").ok_or("has no currency")?)?;
        let amount = if amount_as_text {
            text(v, "amount").ok_or("has no amount")?
        } else {
            let n = v
                .get("amount")
                .and_then(Value::as_f64)
                .ok_or("has no amount")?;
            format!("{:.*}", currency.minor_digits() as usize, n)
        };
        Money::parse(&amount, currency)
    };
    let estimated_cost = take(
        &mut errors,
        "budget.amount",
        p.pointer("/budget/amount")
            .map(|v| money_of(v, false))
            .transpose(),
    );
    let investment_sought = take(
        &mut errors,
        "investdesk.investmentSought",
        ext.get("investmentSought")
            .map(|v| money_of(v, true))
            .transpose(),
    );
    let locations: Vec<Location> = p
        .get("locations")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|l| {
                    let geometry = l.get("geometry");
                    let coordinates: Vec<[f64; 2]> =
                        match geometry.and_then(|g| text(g, "type")).as_deref() {
                            Some("Point") => serde_json::from_value::<[f64; 2]>(
                                geometry
                                    .and_then(|g| g.get("coordinates"))
                                    .cloned()
                                    .unwrap_or(Value::Null),
                            )
                            .map(|c| vec![c])
                            .unwrap_or_default(),
                            Some("LineString" | "MultiPoint") => serde_json::from_value(
                                geometry
                                    .and_then(|g| g.get("coordinates"))
                                    .cloned()
                                    .unwrap_or(Value::Null),
                            )
                            .unwrap_or_default(),
                            _ => Vec::new(),
                        };
                    Location {
                        description: text(l, "description"),
                        region: l.get("address").and_then(|a| text(a, "region")),
                        coordinates,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let documents: Vec<Document> = p
        .get("documents")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|d| {
                    Some(Document {
                        title: text(d, "title")?,
                        document_type: DocumentType::try_from(text(d, "documentType")?).ok()?,
                        url: text(d, "url")?,
                        language: text(d, "language"),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let parties: Vec<Value> = p
        .get("parties")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let authority_id = p.get("publicAuthority").and_then(|a| text(a, "id"));
    let authority = match parties
        .iter()
        .find(|org| text(org, "id") == authority_id && authority_id.is_some())
    {
        Some(org) => take(
            &mut errors,
            "publicAuthority",
            imported_party(org, PartyKind::GovernmentAgency),
        ),
        None => p.get("publicAuthority").and_then(|a| {
            take(
                &mut errors,
                "publicAuthority",
                imported_party(a, PartyKind::GovernmentAgency),
            )
        }),
    };
    let focal_id = text(&ext, "focalPersonId");
    let mut focal = None;
    for org in &parties {
        for person in org
            .get("people")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if focal.is_none() && (focal_id.is_none() || text(person, "id") == focal_id) {
                let Some(party) = take(
                    &mut errors,
                    "parties",
                    imported_party(org, PartyKind::GovernmentAgency),
                ) else {
                    continue;
                };
                if let Some(name) = text(person, "name") {
                    focal = Some(ImportedPerson {
                        id: text(person, "id"),
                        name,
                        job_title: text(person, "jobTitle"),
                        email: text(person, "email"),
                        telephone: text(person, "telephone"),
                        party,
                    });
                }
            }
        }
    }
    let host_country = take(
        &mut errors,
        "investdesk.hostCountry",
        match text(&ext, "hostCountry") {
            Some(c) => CountryCode::try_from(c),
            None => authority
                .as_ref()
                .and_then(|a| a.country.clone())
                .ok_or_else(|| "is required (or a public authority with a country)".to_owned()),
        },
    );
    let local_id = p
        .get("identifiers")
        .and_then(Value::as_array)
        .and_then(|ids| {
            ids.iter()
                .find(|i| text(i, "scheme").as_deref() == Some("investdesk"))
        })
        .and_then(|i| text(i, "id"));
    if !errors.is_empty() {
        return Err(errors);
    }
    let (
        Some(title),
        Some(description),
        Some(project_status),
        Some(project_type),
        Some(host_country),
    ) = (
        title,
        description,
        project_status,
        project_type,
        host_country,
    )
    else {
        return Err(vec!["the project is incomplete".into()]);
    };
    let oc4ids_id = (Some(&id) != local_id.as_ref()).then(|| id.clone());
    Ok(ImportedProject {
        id,
        local_id,
        data: OpportunityData {
            title,
            description,
            purpose: text(p, "purpose"),
            sectors,
            project_type,
            project_status,
            engagement_models,
            ppp_model: ppp_model.flatten(),
            host_country,
            locations,
            estimated_cost: estimated_cost.flatten(),
            investment_sought: investment_sought.flatten(),
            eoi_deadline: eoi_deadline.flatten(),
            public_authority_id: None,
            focal_person_id: None,
            partner_countries,
            initiative_id: None,
            documents,
            oc4ids_id,
        },
        authority,
        focal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_completed_status_becomes_maintenance_and_broad_sectors_collapse() {
        let project = json!({
            "id": "oc4ids-abc-1", "title": "Bridge", "description": "A bridge", "status": "completed",
            "sector": ["transport", "transport.road"],
            "investdesk": {"engagementModels": ["ppp"], "hostCountry": "PK"}
        });
        let parsed = parse_project(&project).unwrap();
        assert_eq!(parsed.data.project_status.as_str(), "maintenance");
        assert_eq!(parsed.data.sectors.len(), 1);
        assert_eq!(parsed.data.sectors[0].as_str(), "transport.road");
        assert_eq!(parsed.data.oc4ids_id.as_deref(), Some("oc4ids-abc-1"));
    }

    #[test]
    fn every_reason_to_refuse_a_project_is_listed() {
        let errors = parse_project(&json!({"id": "x", "status": "finished", "sector": ["roads"]}))
            .unwrap_err();
        assert!(errors.len() >= 4, "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("title")));
        assert!(errors.iter().any(|e| e.starts_with("status")));
    }
}
