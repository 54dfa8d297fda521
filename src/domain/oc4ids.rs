//! OC4IDS 0.9 project packages: our opportunities as OC4IDS projects, and back.
//!
//! Fields the standard has no place for (engagement models, partner countries, the EOI deadline,
//! the investment sought) travel in an `investdesk` object on each project, which the schema
//! allows, so a package exported here imports back unchanged.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Number, Value, json};

use super::codes::{
    CountryCode, CurrencyCode, DocumentType, EngagementModel, ListingStatus, PartyKind, PppModel,
    ProjectStatus, ProjectType, SectorCode,
};
use super::ids::InitiativeId;
use super::initiatives::{Initiative, InitiativeData};
use super::money::Money;
use super::opportunities::{Document, Location, Opportunity, OpportunityData};
use super::parties::Party;
use super::people::Person;

/// The OC4IDS version packages declare.
pub const VERSION: &str = "0.9";

/// Who publishes the packages, and the prefix of the project ids it mints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSettings {
    /// The registered OC4IDS prefix (`oc4ids-` and six characters); project ids are
    /// `<prefix>-<opportunity id>`. Without one, ids are the opportunity ids alone.
    pub prefix: Option<String>,
    pub publisher: Publisher,
}

/// The package's `publisher`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publisher {
    pub name: String,
    pub scheme: Option<String>,
    pub uid: Option<String>,
}

impl Default for PackageSettings {
    fn default() -> Self {
        PackageSettings {
            prefix: None,
            publisher: Publisher {
                name: "InvestDesk".to_owned(),
                scheme: None,
                uid: None,
            },
        }
    }
}

/// Checks an OC4IDS project-id prefix: `oc4ids-` and six lower-case letters or digits.
pub fn check_prefix(prefix: &str) -> Result<String, String> {
    let tail = prefix.strip_prefix("oc4ids-").unwrap_or("");
    if tail.len() == 6
        && tail
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        Ok(prefix.to_owned())
    } else {
        Err(format!(
            "{prefix:?} is not an OC4IDS prefix (`oc4ids-` and six lower-case letters or digits)"
        ))
    }
}

/// What a project refers to besides the opportunity itself.
pub struct Related<'a> {
    pub settings: &'a PackageSettings,
    pub initiative: Option<&'a Initiative>,
    pub authority: Option<&'a Party>,
    /// The focal person and the party they belong to.
    pub focal: Option<(&'a Person, &'a Party)>,
}

/// An amount as a JSON number with exactly the stored decimal digits (no binary float between
/// the database and the wire: serde_json keeps numbers as their text).
fn exact(m: &Money) -> Value {
    let amount = m.amount();
    Value::Number(
        amount
            .parse::<Number>()
            .expect("a decimal amount is a JSON number"),
    )
}

fn money(m: &Money) -> Value {
    json!({"amount": exact(m), "currency": m.currency().as_str()})
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

fn location(index: usize, l: &Location) -> Value {
    let mut loc = json!({"id": (index + 1).to_string()});
    if let Some(description) = &l.description {
        loc["description"] = json!(description);
    }
    if let Some(region) = &l.region {
        loc["address"] = json!({"region": region});
    }
    match l.coordinates.as_slice() {
        [] => {}
        [point] => loc["geometry"] = json!({"type": "Point", "coordinates": point}),
        line => loc["geometry"] = json!({"type": "LineString", "coordinates": line}),
    }
    loc
}

fn document(index: usize, doc: &Document) -> Value {
    let mut v = json!({
        "id": (index + 1).to_string(),
        "documentType": doc.document_type.as_str(),
        "title": doc.title,
        "url": doc.url,
    });
    if let Some(language) = &doc.language {
        v["language"] = json!(language);
    }
    v
}

/// The public authority and the focal person's party, each once.
fn parties(related: &Related<'_>) -> Vec<Value> {
    let mut parties = Vec::new();
    if let Some(authority) = related.authority {
        let people = match related.focal {
            Some((focal, party)) if party.id == authority.id => vec![person(focal)],
            _ => Vec::new(),
        };
        parties.push(organization(authority, &["publicAuthority"], people));
    }
    if let Some((focal, party)) = related.focal
        && related.authority.is_none_or(|a| a.id != party.id)
    {
        let people = vec![person(focal)];
        parties.push(organization(party, &["administrativeEntity"], people));
    }
    parties
}

/// The `investdesk` object: what the standard has no place for.
fn extension(opportunity: &Opportunity, related: &Related<'_>) -> Value {
    let d = &opportunity.data.data;
    let mut ext = json!({
        "hostCountry": d.host_country.as_str(),
        "listingStatus": opportunity.data.status,
    });
    // Empty values are left out (OC4IDS checkers flag them).
    if !d.engagement_models.is_empty() {
        ext["engagementModels"] = json!(d.engagement_models);
    }
    if !d.partner_countries.is_empty() {
        ext["partnerCountries"] = json!(d.partner_countries);
    }
    if let Some(initiative) = related.initiative {
        let mut i = json!({"id": initiative.id, "name": initiative.data.name});
        if let Some(description) = &initiative.data.description {
            i["description"] = json!(description);
        }
        if !initiative.data.countries.is_empty() {
            i["countries"] = json!(initiative.data.countries);
        }
        ext["initiative"] = i;
    }
    if let Some(model) = d.ppp_model {
        ext["pppModel"] = json!(model.as_str());
    }
    if let Some(deadline) = d.eoi_deadline {
        ext["eoiDeadline"] = json!(deadline.format("%Y-%m-%d").to_string());
    }
    if let Some(sought) = &d.investment_sought {
        ext["investmentSought"] = money(sought);
    }
    if let Some(focal) = related.focal {
        ext["focalPersonId"] = json!(focal.0.id);
    }
    ext
}

/// The project's OC4IDS id: the one it came with, else ours under the configured prefix.
pub fn project_id(opportunity: &Opportunity, settings: &PackageSettings) -> String {
    match (&opportunity.data.data.oc4ids_id, &settings.prefix) {
        (Some(id), _) => id.clone(),
        (None, Some(prefix)) => format!("{prefix}-{}", opportunity.id),
        (None, None) => opportunity.id.to_string(),
    }
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
        "id": project_id(opportunity, related.settings),
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
        p["locations"] = d
            .locations
            .iter()
            .enumerate()
            .map(|(i, l)| location(i, l))
            .collect();
    }
    if let Some(authority) = related.authority {
        p["publicAuthority"] = json!({"id": authority.id, "name": authority.data.name});
    }
    let parties = parties(related);
    if !parties.is_empty() {
        p["parties"] = Value::Array(parties);
    }
    if !d.documents.is_empty() {
        p["documents"] = d
            .documents
            .iter()
            .enumerate()
            .map(|(i, doc)| document(i, doc))
            .collect();
    }
    p["investdesk"] = extension(opportunity, related);
    p
}

/// The JSON Schema of the `investdesk` object on each exported project: what InvestDesk adds to
/// OC4IDS, made from the same codes the API takes.
pub fn extension_schema() -> Value {
    let codes = |all: Vec<&str>| json!({"type": "string", "enum": all});
    let engagement = codes(EngagementModel::ALL.iter().map(|m| m.as_str()).collect());
    let listing = codes(ListingStatus::ALL.iter().map(|s| s.as_str()).collect());
    let ppp = codes(PppModel::ALL.iter().map(|m| m.as_str()).collect());
    let country = json!({"type": "string", "maxLength": 2, "pattern": "^[A-Z]{2}$", "description": "ISO 3166-1 alpha-2"});
    let money = json!({
        "type": "object",
        "required": ["amount", "currency"],
        "additionalProperties": false,
        "properties": {
            "amount": {"type": "number", "minimum": 0, "description": "Exactly the stored decimal digits"},
            "currency": {"type": "string", "maxLength": 3, "pattern": "^[A-Z]{3}$", "description": "ISO 4217"},
        },
    });
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:investdesk:oc4ids-extension",
        "title": "InvestDesk's extension of an OC4IDS project",
        "description": "What InvestDesk adds to each OC4IDS project it exports, in the project's `investdesk` member. Empty values are left out.",
        "type": "object",
        "required": ["hostCountry", "listingStatus"],
        "additionalProperties": false,
        "properties": {
            "hostCountry": country,
            "listingStatus": listing,
            "engagementModels": {"type": "array", "minItems": 1, "maxItems": EngagementModel::ALL.len(), "uniqueItems": true, "items": engagement},
            "partnerCountries": {"type": "array", "minItems": 1, "maxItems": 50, "uniqueItems": true, "items": country},
            "pppModel": ppp,
            "eoiDeadline": {"type": "string", "format": "date"},
            "investmentSought": money,
            "focalPersonId": {"type": "string", "maxLength": 30, "pattern": "^per_[0-9a-z]{26}$"},
            "initiative": {
                "type": "object",
                "required": ["id", "name"],
                "additionalProperties": false,
                "properties": {
                    "id": {"type": "string", "maxLength": 30, "pattern": "^ini_[0-9a-z]{26}$"},
                    "name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "description": {"type": "string", "minLength": 1, "maxLength": 5000},
                    "countries": {"type": "array", "minItems": 1, "maxItems": 50, "items": country},
                },
            },
        },
    })
}

/// A package of projects, published as of `latest`: the latest change of what it holds.
pub fn package(
    projects: Vec<Value>,
    uri: &str,
    settings: &PackageSettings,
    latest: Option<NaiveDateTime>,
) -> Value {
    let mut publisher = json!({"name": settings.publisher.name});
    if let Some(scheme) = &settings.publisher.scheme {
        publisher["scheme"] = json!(scheme);
    }
    if let Some(uid) = &settings.publisher.uid {
        publisher["uid"] = json!(uid);
    }
    let published = latest.map_or_else(Utc::now, |t| DateTime::from_naive_utc_and_offset(t, Utc));
    json!({
        "uri": uri,
        "version": VERSION,
        "publishedDate": published,
        "publisher": publisher,
        "projects": projects,
    })
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
    /// The initiative the project belongs to, as the package describes it (created here when
    /// it does not exist yet).
    pub initiative: Option<(InitiativeId, InitiativeData)>,
    /// Whether the project carries our `investdesk` object (else what only it holds, such as
    /// the initiative, stays as it is here).
    pub extension: bool,
    /// The project as it came, without our `investdesk` object: kept, so that an export gives
    /// back every value (see [`merged`]).
    pub source: Value,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The country an address names: its ISO 3166-1 name in any case, or the one name that starts
/// with it ("United Kingdom" for "United Kingdom of Great Britain and Northern Ireland").
fn country_named(name: &str) -> Option<CountryCode> {
    let name = name.trim().to_lowercase();
    let all = isocountry::CountryCode::as_array();
    let exact = all.iter().find(|c| c.name().to_lowercase() == name);
    let found = exact.or_else(|| {
        let mut starting = all.iter().filter(|c| {
            let full = c.name().to_lowercase();
            full.strip_prefix(&name).is_some_and(|rest| {
                rest.starts_with(" of ") || rest.starts_with(", ") || rest.starts_with(" (")
            })
        });
        let first = starting.next();
        first.filter(|_| starting.next().is_none())
    })?;
    CountryCode::try_from(found.alpha2().to_owned()).ok()
}

fn imported_party(org: &Value, default_kind: PartyKind) -> Result<ImportedParty, String> {
    let name = text(org, "name").ok_or("a party has no name")?;
    let ext = org.get("investdesk").cloned().unwrap_or(Value::Null);
    let country = match text(&ext, "country") {
        Some(code) => Some(CountryCode::try_from(code)?),
        None => org
            .get("address")
            .and_then(|a| text(a, "countryName"))
            .and_then(|n| country_named(&n)),
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

/// The strings of an array member (others skipped).
fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn required(v: &Value, key: &str) -> Result<String, String> {
    text(v, key).ok_or_else(|| "is required".to_owned())
}

fn project_status(p: &Value) -> Result<ProjectStatus, String> {
    // Legacy packages call maintenance `completed`.
    let status = required(p, "status")?;
    ProjectStatus::try_from(if status == "completed" {
        "maintenance".to_owned()
    } else {
        status
    })
}

/// The narrowest sector codes (a broad code listed beside its narrower code is implied by it).
fn sectors(p: &Value, errors: &mut Vec<String>) -> Vec<SectorCode> {
    let codes = strings(p, "sector");
    let narrowest = codes.iter().filter(|code| {
        !codes
            .iter()
            .any(|other| other.starts_with(&format!("{code}.")))
    });
    let sectors: Vec<SectorCode> = narrowest
        .filter_map(|code| take(errors, "sector", SectorCode::try_from(code.clone())))
        .collect();
    if sectors.is_empty() {
        errors.push("sector: at least one projectSector code is required".into());
    }
    sectors
}

/// A JSON number as a plain decimal, exactly: an exponent is shifted into the digits, and zeros
/// after the last significant decimal are dropped (`1.50` is `1.5`).
fn decimal_text(n: &Number) -> String {
    let text = n.to_string();
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.trim_start_matches('+').parse::<i64>().unwrap_or(0)),
        None => (text.as_str(), 0),
    };
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    // Where the point goes in `digits`, clamped to a sane range (amounts have at most 15 digits).
    let point = (whole.len() as i64 + exponent).clamp(-64, 64);
    let (whole, fraction) = if point <= 0 {
        (
            "0".to_owned(),
            format!("{}{digits}", "0".repeat(point.unsigned_abs() as usize)),
        )
    } else if point as usize >= digits.len() {
        (
            format!("{digits}{}", "0".repeat(point as usize - digits.len())),
            String::new(),
        )
    } else {
        let (w, f) = digits.split_at(point as usize);
        (w.to_owned(), f.to_owned())
    };
    let whole = match whole.trim_start_matches('0') {
        "" => "0",
        w => w,
    };
    match fraction.trim_end_matches('0') {
        "" => format!("{sign}{whole}"),
        f => format!("{sign}{whole}.{f}"),
    }
}

/// An amount object: a JSON number read exactly (or, from older packages of ours, a decimal
/// string) in its currency.
fn money_of(v: &Value) -> Result<Money, String> {
    let currency = CurrencyCode::try_from(text(v, "currency").ok_or("has no currency")?)?;
    let amount = match v.get("amount") {
        Some(Value::Number(n)) => decimal_text(n),
        Some(Value::String(s)) => s.clone(),
        _ => return Err("has no amount".to_owned()),
    };
    Money::parse(&amount, currency)
}

fn coordinates(geometry: Option<&Value>) -> Vec<[f64; 2]> {
    let raw = || {
        geometry
            .and_then(|g| g.get("coordinates"))
            .cloned()
            .unwrap_or(Value::Null)
    };
    match geometry.and_then(|g| text(g, "type")).as_deref() {
        Some("Point") => serde_json::from_value::<[f64; 2]>(raw())
            .map(|c| vec![c])
            .unwrap_or_default(),
        Some("LineString" | "MultiPoint") => serde_json::from_value(raw()).unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn locations(p: &Value) -> Vec<Location> {
    let read = |l: &Value| Location {
        description: text(l, "description"),
        region: l.get("address").and_then(|a| text(a, "region")),
        coordinates: coordinates(l.get("geometry")),
    };
    let all = p.get("locations").and_then(Value::as_array);
    all.map(|a| a.iter().map(read).collect())
        .unwrap_or_default()
}

fn documents(p: &Value) -> Vec<Document> {
    let read = |d: &Value| {
        Some(Document {
            title: text(d, "title")?,
            document_type: DocumentType::try_from(text(d, "documentType")?).ok()?,
            url: text(d, "url")?,
            language: text(d, "language"),
        })
    };
    let all = p.get("documents").and_then(Value::as_array);
    all.map(|a| a.iter().filter_map(read).collect())
        .unwrap_or_default()
}

/// The public authority: its entry in `parties` when there is one, else the reference itself.
fn authority(p: &Value, parties: &[Value], errors: &mut Vec<String>) -> Option<ImportedParty> {
    let reference = p.get("publicAuthority")?;
    let id = text(reference, "id");
    let org = parties
        .iter()
        .find(|org| id.is_some() && text(org, "id") == id)
        .unwrap_or(reference);
    take(
        errors,
        "publicAuthority",
        imported_party(org, PartyKind::GovernmentAgency),
    )
}

/// The focal person: the one `focalPersonId` names, else the first person of any party.
fn focal(
    parties: &[Value],
    focal_id: Option<String>,
    errors: &mut Vec<String>,
) -> Option<ImportedPerson> {
    for org in parties {
        for person in org
            .get("people")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if focal_id.is_some() && text(person, "id") != focal_id {
                continue;
            }
            let Some(party) = take(
                errors,
                "parties",
                imported_party(org, PartyKind::GovernmentAgency),
            ) else {
                continue;
            };
            if let Some(name) = text(person, "name") {
                return Some(ImportedPerson {
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
    None
}

/// What the `investdesk` object carries, read with every error listed.
struct Extension {
    engagement_models: Vec<EngagementModel>,
    ppp_model: Option<PppModel>,
    partner_countries: Vec<CountryCode>,
    eoi_deadline: Option<NaiveDate>,
    investment_sought: Option<Money>,
}

fn extension_of(ext: &Value, errors: &mut Vec<String>) -> Extension {
    let engagement_models: Vec<EngagementModel> = strings(ext, "engagementModels")
        .iter()
        .filter_map(|m| EngagementModel::parse(m))
        .collect();
    let ppp_model = text(ext, "pppModel")
        .map(|m| PppModel::parse(&m).ok_or_else(|| format!("{m:?} is not a PPP model")))
        .transpose();
    let eoi_deadline = text(ext, "eoiDeadline")
        .map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| "is not a date".to_owned()))
        .transpose();
    let sought = ext.get("investmentSought").map(money_of).transpose();
    Extension {
        engagement_models,
        ppp_model: take(errors, "investdesk.pppModel", ppp_model).flatten(),
        partner_countries: strings(ext, "partnerCountries")
            .into_iter()
            .filter_map(|c| CountryCode::try_from(c).ok())
            .collect(),
        eoi_deadline: take(errors, "investdesk.eoiDeadline", eoi_deadline).flatten(),
        investment_sought: take(errors, "investdesk.investmentSought", sought).flatten(),
    }
}

/// The host country: ours, else the public authority's, else that of the first location whose
/// address names a country.
fn host_country(
    p: &Value,
    ext: &Value,
    authority: Option<&ImportedParty>,
) -> Result<CountryCode, String> {
    if let Some(c) = text(ext, "hostCountry") {
        return CountryCode::try_from(c);
    }
    let of_locations = || {
        let locations = p.get("locations").and_then(Value::as_array)?;
        locations
            .iter()
            .filter_map(|l| l.get("address").and_then(|a| text(a, "countryName")))
            .find_map(|name| country_named(&name))
    };
    authority
        .and_then(|a| a.country.clone())
        .or_else(of_locations)
        .ok_or_else(|| {
            "is required (or a public authority or a location with a country)".to_owned()
        })
}

/// The initiative an `investdesk.initiative` object describes (one without a valid id or name is
/// ignored).
fn initiative_of(v: &Value) -> Option<(InitiativeId, InitiativeData)> {
    let id = InitiativeId::parse(&text(v, "id")?)?;
    let data = InitiativeData {
        name: text(v, "name")?,
        description: text(v, "description"),
        countries: strings(v, "countries")
            .into_iter()
            .filter_map(|c| CountryCode::try_from(c).ok())
            .collect(),
        lead_party_id: None,
        focal_person_id: None,
    };
    Some((id, data))
}

/// The project's id when it is not ours (ours: our opportunity id, alone or under an OC4IDS
/// prefix).
fn foreign_id(id: &str, local: Option<&str>) -> Option<String> {
    let own = local.is_some_and(|local| id == local || id.ends_with(&format!("-{local}")));
    (!own).then(|| id.to_owned())
}

/// Our opportunity id, when the project came from here.
fn local_id(p: &Value) -> Option<String> {
    let ids = p.get("identifiers").and_then(Value::as_array)?;
    let ours = ids
        .iter()
        .find(|i| text(i, "scheme").as_deref() == Some("investdesk"))?;
    text(ours, "id")
}

/// Reads one project; every reason it cannot be imported is listed.
pub fn parse_project(p: &Value) -> Result<ImportedProject, Vec<String>> {
    let mut errors = Vec::new();
    let id = text(p, "id").unwrap_or_else(|| {
        errors.push("the project has no id".to_owned());
        String::new()
    });
    let ext = p.get("investdesk").cloned().unwrap_or(Value::Null);
    let title = take(&mut errors, "title", required(p, "title"));
    let description = take(&mut errors, "description", required(p, "description"));
    let project_status = take(&mut errors, "status", project_status(p));
    let project_type = text(p, "type").map(ProjectType::try_from).transpose();
    let project_type = take(&mut errors, "type", project_type);
    let sectors = sectors(p, &mut errors);
    let extension = extension_of(&ext, &mut errors);
    let cost = p.pointer("/budget/amount").map(money_of).transpose();
    let estimated_cost = take(&mut errors, "budget.amount", cost).flatten();
    let parties = p
        .get("parties")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let authority = authority(p, &parties, &mut errors);
    let focal = focal(&parties, text(&ext, "focalPersonId"), &mut errors);
    let host_country = host_country(p, &ext, authority.as_ref());
    let host_country = take(&mut errors, "investdesk.hostCountry", host_country);
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
    let initiative = ext.get("initiative").and_then(initiative_of);
    let local_id = local_id(p);
    let oc4ids_id = foreign_id(&id, local_id.as_deref());
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
            engagement_models: extension.engagement_models,
            ppp_model: extension.ppp_model,
            host_country,
            locations: locations(p),
            estimated_cost,
            investment_sought: extension.investment_sought,
            eoi_deadline: extension.eoi_deadline,
            public_authority_id: None,
            focal_person_id: None,
            partner_countries: extension.partner_countries,
            initiative_id: initiative.as_ref().map(|(id, _)| id.clone()),
            documents: documents(p),
            oc4ids_id,
        },
        authority,
        focal,
        initiative,
        extension: p.get("investdesk").is_some_and(Value::is_object),
        source: without_extension(p),
    })
}

fn without_extension(p: &Value) -> Value {
    let mut source = p.clone();
    if let Some(members) = source.as_object_mut() {
        members.remove("investdesk");
    }
    source
}

/// The project to export for an imported one. Each member is the source's own while what
/// InvestDesk exports for it is unchanged since the import (`modelled`); a member changed here is
/// InvestDesk's, merged over the source's (objects member by member, so what InvestDesk does not
/// model stays). InvestDesk's `investdesk` object and status (the codelist's, where a package
/// used a legacy code) are always its own; identifiers are the union of both.
pub fn merged(ours: Value, source: &Value, modelled: &Value) -> Value {
    let Some(source) = source.as_object() else {
        return ours;
    };
    let ours = match ours {
        Value::Object(ours) => ours,
        other => return other,
    };
    let mut out = source.clone();
    // What InvestDesk exported after the import and no longer does was cleared here.
    for name in modelled.as_object().into_iter().flat_map(|m| m.keys()) {
        if !ours.contains_key(name) {
            out.remove(name);
        }
    }
    for (name, value) in ours {
        let unchanged = modelled.get(&name) == Some(&value) && out.contains_key(&name);
        match name.as_str() {
            "identifiers" => {
                let mut all = out
                    .remove(&name)
                    .and_then(|v| v.as_array().cloned())
                    .unwrap_or_default();
                for identifier in value.as_array().into_iter().flatten() {
                    if !all.contains(identifier) {
                        all.push(identifier.clone());
                    }
                }
                out.insert(name, Value::Array(all));
            }
            "investdesk" | "status" => {
                out.insert(name, value);
            }
            _ if unchanged => {}
            _ => {
                let base = out.remove(&name);
                out.insert(name, deep_merge(base, value));
            }
        }
    }
    Value::Object(out)
}

/// `ours` over `base`: objects member by member, anything else replaced.
fn deep_merge(base: Option<Value>, ours: Value) -> Value {
    match (base, ours) {
        (Some(Value::Object(mut base)), Value::Object(ours)) => {
            for (name, value) in ours {
                let merged = deep_merge(base.remove(&name), value);
                base.insert(name, merged);
            }
            Value::Object(base)
        }
        (_, ours) => ours,
    }
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
    fn json_numbers_read_as_exact_decimals() {
        let read = |text: &str| decimal_text(&text.parse::<Number>().unwrap());
        assert_eq!(read("555555555555555.55"), "555555555555555.55");
        assert_eq!(read("999999999999999.99"), "999999999999999.99");
        assert_eq!(read("1700000000.00"), "1700000000");
        assert_eq!(read("1234.500"), "1234.5");
        assert_eq!(read("1.5e3"), "1500");
        assert_eq!(read("15E-3"), "0.015");
        assert_eq!(read("0.001"), "0.001");
        assert_eq!(read("-2.50"), "-2.5");
    }

    #[test]
    fn money_goes_out_with_its_stored_digits() {
        let kwd = Money::parse(
            "1234567.891",
            CurrencyCode::try_from("KWD".to_owned()).unwrap(),
        )
        .unwrap();
        let text = serde_json::to_string(&money(&kwd)).unwrap();
        assert_eq!(text, r#"{"amount":1234567.891,"currency":"KWD"}"#);
        let back = money_of(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back, kwd);
    }

    #[test]
    fn countries_are_found_by_their_common_names() {
        let code = |n: &str| country_named(n).map(|c| c.as_str().to_owned());
        assert_eq!(code("United Kingdom").as_deref(), Some("GB"));
        assert_eq!(code("united states").as_deref(), Some("US"));
        assert_eq!(code("Pakistan").as_deref(), Some("PK"));
        assert_eq!(code("Korea"), None, "two countries start with it");
        assert_eq!(code("Atlantis"), None);
    }

    #[test]
    fn an_export_gives_back_the_source_except_what_changed_here() {
        let source = json!({
            "id": "oc4ids-gb0001-a14", "title": "A14", "status": "completed",
            "budget": {"amount": {"amount": 10, "currency": "GBP"}, "budgetBreakdown": [{"id": "1"}]},
            "metrics": [{"id": "m1"}], "purpose": "Old purpose",
            "identifiers": [{"scheme": "GB-COH", "id": "1"}],
        });
        let modelled = json!({
            "id": "oc4ids-gb0001-a14", "title": "A14", "status": "maintenance",
            "budget": {"amount": {"amount": 10.00, "currency": "GBP"}}, "purpose": "Old purpose",
            "identifiers": [{"scheme": "investdesk", "id": "opp_1"}], "investdesk": {"hostCountry": "GB"},
        });
        // Unchanged: the source's members, ours for status, identifiers and the extension.
        let out = merged(modelled.clone(), &source, &modelled);
        assert_eq!(out["budget"], source["budget"]);
        assert_eq!(out["metrics"], source["metrics"]);
        assert_eq!(out["status"], "maintenance");
        assert_eq!(out["identifiers"].as_array().unwrap().len(), 2);
        assert_eq!(out["investdesk"]["hostCountry"], "GB");
        // Changed here: the budget's amount is ours, its breakdown stays; a cleared purpose goes.
        let mut ours = modelled.clone();
        ours["budget"]["amount"]["amount"] = Value::Number("12.50".parse().unwrap());
        ours.as_object_mut().unwrap().remove("purpose");
        let out = merged(ours, &source, &modelled);
        assert_eq!(out["budget"]["amount"]["amount"].to_string(), "12.50");
        assert_eq!(out["budget"]["budgetBreakdown"], json!([{"id": "1"}]));
        assert!(out.get("purpose").is_none());
        assert_eq!(out["metrics"], source["metrics"]);
    }

    #[test]
    fn prefixes_are_oc4ids_shaped() {
        assert!(check_prefix("oc4ids-bq6x2n").is_ok());
        for bad in [
            "oc4ids-",
            "oc4ids-ABCDEF",
            "ocds-abcdef",
            "oc4ids-abcdefg",
            "oc4ids-ab_def",
        ] {
            assert!(check_prefix(bad).is_err(), "{bad}");
        }
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
