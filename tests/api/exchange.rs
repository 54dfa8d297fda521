//! Exchange: OC4IDS export validated against the 0.9.5 schema, import and round trip, CSV.

use serde_json::{Value, json};

use crate::helpers::{As, TestApp, problem, spawn_app};

/// Two published opportunities with every exported field, and a draft.
async fn catalogue(app: &TestApp) -> (String, String) {
    let (authority, focal) = app.authority_and_focal_person().await;
    let mut m6 = app.m6(&authority, &focal);
    m6["documents"] = json!([{"title": "Feasibility study", "documentType": "feasibilityStudy", "url": "https://nha.gov.pk/m6.pdf", "language": "en"}]);
    m6["purpose"] = json!("Complete the Karachi–Peshawar motorway network");
    let m6 = app.published(&m6).await;
    let mut resort = app.m6(&authority, &focal);
    resort["title"] = json!("Keenjhar Lake resort");
    resort["sectors"] = json!(["cultureSportsAndRecreation"]);
    resort["engagementModels"] = json!(["ppp", "b2b"]);
    resort["estimatedCost"] = json!({"amount": "3400000000", "currency": "PKR"});
    resort["investmentSought"] = json!({"amount": "2040000000.50", "currency": "PKR"});
    resort["locations"] = json!([{"description": "Keenjhar Lake, Thatta", "region": "Sindh", "coordinates": [[68.05, 24.95]]}]);
    resort["oc4idsId"] = json!("oc4ids-demo-keenjhar");
    let resort = app.published(&resort).await;
    let mut draft = app.m6(&authority, &focal);
    draft["title"] = json!("=HYPERLINK(\"http://evil\")");
    app.create("/v1/opportunities", &draft).await;
    (m6, resort)
}

/// An officer's import of `package`; its report.
async fn import(app: &TestApp, path: &str, package: &Value) -> Value {
    let response = app.post(path, app.officer(), package).await;
    assert_eq!(response.status(), 200, "importing at {path}");
    response.json().await.unwrap()
}

/// What an officer reads at `path`.
async fn read(app: &TestApp, path: &str) -> Value {
    let response = app.get(path, app.officer()).await;
    assert_eq!(response.status(), 200, "reading {path}");
    response.json().await.unwrap()
}

async fn export(app: &TestApp, query: &str) -> Value {
    let response = app
        .get(&format!("/v1/exports/oc4ids{query}"), As::Anonymous)
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn without_volatile(mut package: Value) -> Value {
    package["publishedDate"] = Value::Null;
    package["uri"] = Value::Null;
    for project in package["projects"].as_array_mut().unwrap() {
        project["updated"] = Value::Null;
    }
    package
}

/// What the OC4IDS 0.9.5 package schema finds wrong with `package`; `None` when the schema is
/// not at hand (`OC4IDS_SCHEMA_DIR` unset; `.ci/run` sets it).
fn schema_errors(package: &Value) -> Option<Vec<String>> {
    let Ok(dir) = std::env::var("OC4IDS_SCHEMA_DIR") else {
        eprintln!("skipped schema validation: OC4IDS_SCHEMA_DIR is not set");
        return None;
    };
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{name}")).unwrap()).unwrap()
    };
    let registry = jsonschema::Registry::new()
        .add("https://standard.open-contracting.org/infrastructure/schema/0__9__5/project-schema.json", read("project-schema.json"))
        .unwrap()
        .prepare()
        .unwrap();
    let validator = jsonschema::options()
        .with_registry(&registry)
        .build(&read("project-package-schema.json"))
        .expect("the package schema compiles");
    Some(
        validator
            .iter_errors(package)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect(),
    )
}

/// What the served schema of the `investdesk` extension finds wrong with each project's object.
async fn extension_errors(app: &TestApp, package: &Value) -> Vec<String> {
    let response = app
        .get("/v1/exports/oc4ids/extension-schema", As::Anonymous)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/schema+json"
    );
    let schema: Value = response.json().await.unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the extension schema compiles");
    // The schema refuses what is not ours to send (so passing it means something).
    let wrong = json!({"hostCountry": "PAK", "listingStatus": "live", "engagementModels": []});
    // `PAK` breaks the country's length and pattern; the status and the empty list one each.
    assert_eq!(validator.iter_errors(&wrong).count(), 4);
    let mut errors = Vec::new();
    for project in package["projects"].as_array().unwrap() {
        for e in validator.iter_errors(&project["investdesk"]) {
            errors.push(format!("{}: {e} at {}", project["id"], e.instance_path()));
        }
    }
    errors
}

/// Every scalar of a JSON value, by its JSON pointer.
fn leaves(value: &Value, path: String, out: &mut std::collections::BTreeMap<String, Value>) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                leaves(item, format!("{path}/{i}"), out);
            }
        }
        Value::Object(members) => {
            for (name, member) in members {
                leaves(member, format!("{path}/{name}"), out);
            }
        }
        scalar => {
            out.insert(path, scalar.clone());
        }
    }
}

#[actix_web::test]
async fn a_project_using_every_field_of_the_standard_comes_back_whole() {
    let app = spawn_app().await;
    let package: Value =
        serde_json::from_str(include_str!("fixtures/oc4ids-every-field.json")).unwrap();
    if let Some(errors) = schema_errors(&package) {
        assert!(
            errors.is_empty(),
            "the fixture is not valid OC4IDS: {errors:#?}"
        );
    }
    let report: Value = import(&app, "/v1/imports/oc4ids", &package).await;
    assert_eq!(
        report["created"], 1,
        "imported unchanged, as a draft: {report}"
    );
    let id = report["results"][0]["opportunityId"]
        .as_str()
        .unwrap()
        .to_owned();
    let draft: Value = read(&app, &format!("/v1/opportunities/{id}")).await;
    assert_eq!(
        draft["hostCountry"], "GB",
        "from the public authority's address"
    );
    assert_eq!(
        draft["engagementModels"],
        json!([]),
        "left for an officer to set"
    );
    let exported = app
        .get("/v1/exports/oc4ids?listingStatus=draft", app.officer())
        .await;
    let exported: Value = exported.json().await.unwrap();
    if let Some(errors) = schema_errors(&exported) {
        assert!(
            errors.is_empty(),
            "the export is not valid OC4IDS: {errors:#?}"
        );
    }
    let (mut before, mut after) = Default::default();
    leaves(&package["projects"][0], String::new(), &mut before);
    leaves(&exported["projects"][0], String::new(), &mut after);
    let changed: Vec<&String> = before
        .iter()
        .filter(|(p, v)| after.get(*p).is_some_and(|a| a != *v))
        .map(|(p, _)| p)
        .collect();
    let lost: Vec<&String> = before.keys().filter(|p| !after.contains_key(*p)).collect();
    let kept = before.len() - changed.len() - lost.len();
    report!(
        "oc4ids fixture with every project field: {} values, kept {kept}, changed {}, lost {}",
        before.len(),
        changed.len(),
        lost.len()
    );
    assert!(
        changed.is_empty() && lost.is_empty(),
        "changed {changed:?}, lost {lost:?}"
    );
    // Imported again, nothing changes.
    let again: Value = import(&app, "/v1/imports/oc4ids", &package).await;
    assert_eq!(again["unchanged"], 1, "{again}");
}

#[actix_web::test]
async fn the_export_validates_against_the_oc4ids_schema() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let package = export(&app, "").await;
    assert_eq!(
        package["projects"].as_array().unwrap().len(),
        2,
        "drafts are not exported"
    );
    let m6 = &package["projects"][0];
    assert_eq!(m6["sector"], json!(["transport", "transport.road"]));
    // Amounts are JSON numbers with exactly the stored digits.
    assert_eq!(
        m6["budget"]["amount"]["amount"].to_string(),
        "1700000000.00"
    );
    assert_eq!(m6["budget"]["amount"]["currency"], "USD");
    assert_eq!(m6["parties"][0]["roles"], json!(["publicAuthority"]));
    assert_eq!(
        m6["parties"][1]["people"][0]["name"],
        "Focal Person, Azerbaijan desk"
    );
    assert_eq!(m6["locations"][0]["geometry"]["type"], "LineString");
    assert_eq!(package["projects"][1]["id"], "oc4ids-demo-keenjhar");

    let extension = extension_errors(&app, &package).await;
    assert!(
        extension.is_empty(),
        "the extension breaks its schema: {extension:#?}"
    );
    let Some(errors) = schema_errors(&package) else {
        return;
    };
    assert!(errors.is_empty(), "invalid OC4IDS: {errors:#?}");
    println!(
        "OC4IDS package with {} projects validated against project-package-schema.json 0.9.5",
        package["projects"].as_array().unwrap().len()
    );
}

#[actix_web::test]
async fn exports_page_with_a_link_header_and_each_page_is_a_plain_package() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let first = app.get("/v1/exports/oc4ids?limit=1", As::Anonymous).await;
    assert_eq!(first.status(), 200);
    let link = first.headers()["link"].to_str().unwrap().to_owned();
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["projects"].as_array().unwrap().len(), 1);
    assert!(
        first.get("links").is_none(),
        "the package schema has no links member"
    );
    let next = link
        .strip_prefix('<')
        .and_then(|l| l.strip_suffix(">; rel=\"next\""))
        .unwrap_or_else(|| panic!("{link}"));
    assert!(next.starts_with(&app.address), "{next}");
    let second = app.client.get(next).send().await.unwrap();
    assert!(second.headers().get("link").is_none());
    let second: Value = second.json().await.unwrap();
    assert_eq!(second["projects"].as_array().unwrap().len(), 1);
    assert_ne!(first["projects"][0]["id"], second["projects"][0]["id"]);
    let filtered = export(&app, "?sector=cultureSportsAndRecreation").await;
    assert_eq!(filtered["projects"][0]["id"], "oc4ids-demo-keenjhar");
}

/// Every empty array, object or string in a JSON value, by its path.
fn empty_values(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::Array(items) if items.is_empty() => found.push(path.to_owned()),
        Value::Object(members) if members.is_empty() => found.push(path.to_owned()),
        Value::String(text) if text.is_empty() => found.push(path.to_owned()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                empty_values(item, &format!("{path}/{i}"), found);
            }
        }
        Value::Object(members) => {
            for (name, member) in members {
                empty_values(member, &format!("{path}/{name}"), found);
            }
        }
        _ => {}
    }
}

#[actix_web::test]
async fn the_export_keeps_the_checkers_rules_ids_empty_values_published_date_publisher() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.oc4ids.oc4ids_prefix = Some("oc4ids-bq6x2n".into());
        s.oc4ids.oc4ids_publisher_name = "Board of Investment".into();
        s.oc4ids.oc4ids_publisher_scheme = Some("PK-GOV".into());
        s.oc4ids.oc4ids_publisher_uid = Some("BOI".into());
    })
    .await;
    let (m6, _) = catalogue(&app).await;
    // No partner countries: the export leaves the member out rather than send `[]`.
    let response = app
        .patch(
            &format!("/v1/opportunities/{m6}"),
            app.officer(),
            &json!({"partnerCountries": []}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let package = export(&app, "").await;
    let projects = package["projects"].as_array().unwrap();
    let mine = projects
        .iter()
        .find(|p| p["identifiers"][0]["id"] == m6.as_str())
        .unwrap();
    assert_eq!(mine["id"], format!("oc4ids-bq6x2n-{m6}"));
    assert!(
        projects
            .iter()
            .all(|p| p["id"].as_str().unwrap().starts_with("oc4ids-"))
    );
    let mut empty = Vec::new();
    empty_values(&package, "", &mut empty);
    assert!(empty.is_empty(), "empty values: {empty:?}");
    let latest = projects
        .iter()
        .map(|p| p["updated"].as_str().unwrap())
        .max()
        .unwrap();
    let published =
        chrono::DateTime::parse_from_rfc3339(package["publishedDate"].as_str().unwrap());
    assert_eq!(
        published.unwrap(),
        chrono::DateTime::parse_from_rfc3339(latest).unwrap()
    );
    assert_eq!(
        package["publisher"],
        json!({"name": "Board of Investment", "scheme": "PK-GOV", "uid": "BOI"})
    );
    // Importing the prefixed export into the same instance recognises its own projects.
    let report: Value = import(&app, "/v1/imports/oc4ids", &package).await;
    assert_eq!(report["unchanged"], 2, "{report}");
    report!(
        "oc4ids export rules: {} projects, ids prefixed, {} empty values, publishedDate = latest update",
        projects.len(),
        empty.len()
    );
}

#[actix_web::test]
async fn the_export_honours_the_listing_status_filter() {
    let app = spawn_app().await;
    let (m6, _) = catalogue(&app).await;
    let response = app
        .patch(
            &format!("/v1/opportunities/{m6}"),
            app.officer(),
            &json!({"listingStatus": "closed"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let ids = |package: &Value| -> Vec<String> {
        package["projects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["identifiers"][0]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let closed = export(&app, "?listingStatus=closed").await;
    assert_eq!(ids(&closed), vec![m6.clone()]);
    assert_eq!(
        closed["projects"][0]["investdesk"]["listingStatus"],
        "closed"
    );
    let published = export(&app, "").await;
    assert!(
        !ids(&published).contains(&m6),
        "the default is what is published"
    );
    let drafts = app
        .get("/v1/exports/oc4ids?listingStatus=draft", app.officer())
        .await;
    let drafts: Value = drafts.json().await.unwrap();
    assert_eq!(ids(&drafts).len(), 1, "officers may export drafts");
    let hidden = app
        .get("/v1/exports/oc4ids?listingStatus=draft", As::Anonymous)
        .await;
    problem(hidden, 409).await;
}

#[actix_web::test]
async fn money_goes_out_and_comes_back_exactly_at_the_extremes() {
    let source = spawn_app().await;
    let (authority, focal) = source.authority_and_focal_person().await;
    let mut big = source.m6(&authority, &focal);
    big["estimatedCost"] = json!({"amount": "555555555555555.55", "currency": "USD"});
    big["investmentSought"] = json!({"amount": "999999999999999.99", "currency": "USD"});
    let big = source.published(&big).await;
    let mut kuwaiti = source.m6(&authority, &focal);
    kuwaiti["title"] = json!("Kuwaiti dinar listing");
    kuwaiti["estimatedCost"] = json!({"amount": "1234567.891", "currency": "KWD"});
    kuwaiti["investmentSought"] = json!({"amount": "0.005", "currency": "KWD"});
    let kuwaiti = source.published(&kuwaiti).await;
    let response = source.get("/v1/exports/oc4ids", As::Anonymous).await;
    let text = response.text().await.unwrap();
    for amount in [
        "555555555555555.55",
        "999999999999999.99",
        "1234567.891",
        "0.005",
    ] {
        assert!(
            text.contains(&format!("\"amount\":{amount},")),
            "{amount} not exact in {text}"
        );
    }
    let package: Value = serde_json::from_str(&text).unwrap();
    let target = spawn_app().await;
    let report: Value = import(&target, "/v1/imports/oc4ids?publish=true", &package).await;
    assert_eq!(report["created"], 2, "{report}");
    for id in [big, kuwaiti] {
        let before: Value = source
            .get(&format!("/v1/opportunities/{id}"), As::Anonymous)
            .await
            .json()
            .await
            .unwrap();
        let after: Value = target
            .get(&format!("/v1/opportunities/{id}"), As::Anonymous)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(before["estimatedCost"], after["estimatedCost"]);
        assert_eq!(before["investmentSought"], after["investmentSought"]);
    }
    report!(
        "oc4ids money: 4 extreme amounts out and back exactly (USD 15+2 digits, KWD 3 decimals)"
    );
}

/// A package as another system writes it: no `investdesk` object beyond what importing needs,
/// a party without an identifier, a contact person with an email, a country by its name.
fn foreign_package() -> Value {
    json!({
        "uri": "https://example.org/package.json", "version": "0.9", "publishedDate": "2025-05-01T00:00:00Z",
        "publisher": {"name": "Ministry of Transport"},
        "projects": [{
            "id": "oc4ids-gb0001-a14", "title": "A14 upgrade", "description": "Upgrading the A14 between Cambridge and Huntingdon.",
            "status": "implementation", "sector": ["transport.road"],
            "publicAuthority": {"id": "GB-GOV-1", "name": "Highways England"},
            "parties": [{
                "id": "GB-GOV-1", "name": "Highways England", "roles": ["publicAuthority"],
                "address": {"countryName": "United Kingdom"},
                "people": [{"id": "1", "name": "Jane Doe", "email": "jane.doe@example.gov.uk"}]
            }],
            "investdesk": {"engagementModels": ["ppp"], "hostCountry": "PK"}
        }]
    })
}

async fn total(app: &TestApp, path: &str) -> usize {
    let page: Value = app.get(path, app.officer()).await.json().await.unwrap();
    page["items"].as_array().unwrap().len()
}

#[actix_web::test]
async fn a_second_import_of_a_foreign_package_changes_nothing() {
    let app = spawn_app().await;
    let package = foreign_package();
    let first: Value = import(&app, "/v1/imports/oc4ids", &package).await;
    assert_eq!(first["created"], 1, "{first}");
    let id = first["results"][0]["opportunityId"]
        .as_str()
        .unwrap()
        .to_owned();
    let before: Value = read(&app, &format!("/v1/opportunities/{id}")).await;
    let events = total(&app, "/v1/events?limit=100").await;
    let second: Value = import(&app, "/v1/imports/oc4ids", &package).await;
    assert_eq!(second["unchanged"], 1, "{second}");
    let after: Value = read(&app, &format!("/v1/opportunities/{id}")).await;
    assert_eq!(before["version"], after["version"]);
    assert_eq!(
        total(&app, "/v1/events?limit=100").await,
        events,
        "no event for no change"
    );
    assert_eq!(
        total(&app, "/v1/parties").await,
        1,
        "no second copy of the party"
    );
    assert_eq!(
        total(&app, "/v1/people").await,
        1,
        "no second copy of the person"
    );
    // The authority keeps its own country (from its address), not the project's host country.
    let authority = after["publicAuthorityId"].as_str().unwrap();
    let party: Value = read(&app, &format!("/v1/parties/{authority}")).await;
    assert_eq!(party["country"], "GB");
    report!(
        "oc4ids re-import of a foreign package: unchanged, version {}, 0 new events, 1 party, 1 person",
        after["version"]
    );
}

#[actix_web::test]
async fn the_initiative_travels_in_the_extension_and_survives_a_reimport() {
    let app = spawn_app().await;
    let (m6, _) = catalogue(&app).await;
    let body = json!({"name": "Trilateral corridor", "countries": ["PK", "AZ", "TR"]});
    let initiative = app.create("/v1/initiatives", &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let patch = json!({"initiativeId": initiative});
    let response = app
        .patch(&format!("/v1/opportunities/{m6}"), app.officer(), &patch)
        .await;
    assert_eq!(response.status(), 200);
    let package = export(&app, "").await;
    let projects = package["projects"].as_array().unwrap();
    let mine = projects
        .iter()
        .find(|p| p["identifiers"][0]["id"] == m6.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        mine["investdesk"]["initiative"],
        json!({"id": initiative, "name": "Trilateral corridor", "countries": ["PK", "AZ", "TR"]})
    );
    let report: Value = import(&app, "/v1/imports/oc4ids", &package).await;
    assert_eq!(report["unchanged"], 2, "{report}");
    // Elsewhere the initiative is created as the package describes it, under its own id.
    let other = spawn_app().await;
    let single = json!({"projects": [mine]});
    let report: Value = import(&other, "/v1/imports/oc4ids", &single).await;
    assert_eq!(report["created"], 1, "{report}");
    let there: Value = read(&other, &format!("/v1/initiatives/{initiative}")).await;
    assert_eq!(there["name"], "Trilateral corridor");
}

/// The compact JSON of each project of a package, by its id.
fn project_texts(package: &Value) -> std::collections::BTreeMap<String, String> {
    package["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap().to_owned(), p.to_string()))
        .collect()
}

#[actix_web::test]
async fn the_demo_data_goes_out_and_back_byte_for_byte_initiatives_included() {
    let source = spawn_app().await;
    let db = investdesk::persistence::Database::open(
        source.db.url(),
        &investdesk::config::DatabaseSettings::for_url(source.db.url()).pool_options(),
    )
    .unwrap();
    let state = investdesk::services::AppState::new(db, Default::default()).unwrap();
    investdesk::services::seed::demo(&state).await.unwrap();
    let everything = "?listingStatus=draft&listingStatus=published&listingStatus=closed&listingStatus=archived&limit=100";
    let path = format!("/v1/exports/oc4ids{everything}");
    let package: Value = read(&source, &path).await;
    let before = project_texts(&package);
    let extension = extension_errors(&source, &package).await;
    assert!(
        extension.is_empty(),
        "the extension breaks its schema: {extension:#?}"
    );
    assert!(
        package.to_string().contains("\"initiative\":{"),
        "the demo has an initiative"
    );
    // Into the same instance: nothing changes.
    let report: Value = import(&source, "/v1/imports/oc4ids", &package).await;
    assert_eq!(report["unchanged"], before.len(), "{report}");
    let again: Value = read(&source, &path).await;
    assert_eq!(project_texts(&again), before);
    // Into an empty instance: every project comes back byte for byte.
    // Published where complete (`publish=true`); the listing status follows that choice of the
    // importing officer, not the package.
    let target = spawn_app().await;
    let report: Value = import(&target, "/v1/imports/oc4ids?publish=true", &package).await;
    assert_eq!(report["rejected"], 0, "{report}");
    let there: Value = read(&target, &path).await;
    let after = project_texts(&there);
    let identical = before
        .iter()
        .filter(|(id, text)| after.get(*id) == Some(*text))
        .count();
    report!(
        "oc4ids demo round trip: {} projects, {identical} byte-identical after export → import into an empty instance → export",
        before.len()
    );
    let mut differences = Vec::new();
    for (id, text) in &before {
        let (mut was, mut is) = Default::default();
        leaves(
            &serde_json::from_str(text).unwrap(),
            String::new(),
            &mut was,
        );
        if let Some(there) = after.get(id) {
            leaves(
                &serde_json::from_str(there).unwrap(),
                String::new(),
                &mut is,
            );
        }
        for (path, value) in &was {
            if is.get(path) != Some(value) {
                differences.push(format!("{id}{path}: {value} -> {:?}", is.get(path)));
            }
        }
        for path in is.keys().filter(|p| !was.contains_key(*p)) {
            differences.push(format!("{id}{path}: added"));
        }
    }
    assert_eq!(identical, before.len(), "{differences:#?}");
}

#[actix_web::test]
async fn importing_an_export_into_an_empty_instance_and_exporting_again_yields_the_same_projects() {
    let source = spawn_app().await;
    catalogue(&source).await;
    let package = export(&source, "").await;

    let target = spawn_app().await;
    let report: Value = import(&target, "/v1/imports/oc4ids?publish=true", &package).await;
    assert_eq!(
        (report["created"].clone(), report["rejected"].clone()),
        (json!(2), json!(0)),
        "{report}"
    );
    let again = export(&target, "").await;
    assert_eq!(without_volatile(again), without_volatile(package.clone()));

    // Importing its own export changes nothing.
    let report: Value = import(&source, "/v1/imports/oc4ids?publish=true", &package).await;
    assert_eq!(report["unchanged"], 2, "{report}");
    let feed: Value = read(&source, "/v1/events?type=opportunity.updated").await;
    assert!(feed["items"].as_array().unwrap().is_empty());
}

#[actix_web::test]
async fn an_import_reports_each_project_and_accepts_legacy_statuses() {
    let app = spawn_app().await;
    let package = json!({
        "uri": "https://example.org/package.json", "version": "0.9", "publishedDate": "2025-05-01T00:00:00Z",
        "publisher": {"name": "Demo publisher"},
        "projects": [
            {"id": "oc4ids-demo-bridge", "title": "Indus bridge (demo)", "description": "A completed bridge offered for O&M.",
             "status": "completed", "sector": ["transport", "transport.road"],
             "publicAuthority": {"id": "nha", "name": "National Highway Authority"},
             "parties": [{"id": "nha", "name": "National Highway Authority", "roles": ["publicAuthority"], "address": {"countryName": "Pakistan"}, "identifier": {"scheme": "PK-GOV", "id": "NHA"}}],
             "investdesk": {"engagementModels": ["concession"], "hostCountry": "PK"}},
            {"id": "oc4ids-demo-broken", "title": "", "status": "finished", "sector": ["roads"]}
        ]
    });
    let response = app
        .post("/v1/imports/oc4ids", app.officer(), &package)
        .await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["created"], 1);
    assert_eq!(report["rejected"], 1);
    assert_eq!(report["results"][1]["status"], "rejected");
    assert!(
        report["results"][1]["errors"].as_array().unwrap().len() >= 3,
        "{report}"
    );
    let id = report["results"][0]["opportunityId"].as_str().unwrap();
    let imported: Value = read(&app, &format!("/v1/opportunities/{id}")).await;
    assert_eq!(imported["projectStatus"], "maintenance");
    assert_eq!(
        imported["listingStatus"], "draft",
        "drafts unless publish=true"
    );
    assert_eq!(imported["oc4idsId"], "oc4ids-demo-bridge");
    let authority = imported["publicAuthorityId"].as_str().unwrap();
    let party: Value = read(&app, &format!("/v1/parties/{authority}")).await;
    assert_eq!(party["country"], "PK");
    // Importing again matches the party by its identifier and the project by its id.
    let report: Value = import(&app, "/v1/imports/oc4ids", &package).await;
    assert_eq!(report["unchanged"], 1, "{report}");
    let parties: Value = read(&app, "/v1/parties?includeTotal=true").await;
    assert_eq!(parties["totalCount"], 1);

    problem(
        app.post(
            "/v1/imports/oc4ids",
            app.officer(),
            &json!({"projects": []}),
        )
        .await,
        422,
    )
    .await;
    problem(
        app.post("/v1/imports/oc4ids", As::Anonymous, &package)
            .await,
        401,
    )
    .await;
}

#[actix_web::test]
async fn the_csv_export_parses_back_with_codes_and_titles() {
    let app = spawn_app().await;
    let (m6, _) = catalogue(&app).await;
    let response = app
        .get("/v1/exports/opportunities.csv?sort=title", As::Anonymous)
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "anonymous callers get published ones");
    let column = |row: &csv::StringRecord, name: &str| {
        row[headers.iter().position(|h| h == name).unwrap()].to_owned()
    };
    let road = rows.iter().find(|r| column(r, "id") == m6).unwrap();
    assert_eq!(column(road, "sectors"), "transport.road");
    assert_eq!(column(road, "sectorTitles"), "Road transport");
    assert_eq!(column(road, "engagementModels"), "g2g; ppp");
    assert_eq!(column(road, "hostCountryName"), "Pakistan");
    assert_eq!(column(road, "estimatedCostAmount"), "1700000000.00");

    let officer = app
        .get("/v1/exports/opportunities.csv", app.officer())
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(officer.as_bytes());
    let titles: Vec<String> = reader.records().map(|r| r.unwrap()[1].to_owned()).collect();
    assert_eq!(titles.len(), 3);
    assert!(
        titles.contains(&"'=HYPERLINK(\"http://evil\")".to_owned()),
        "formula cells are neutralised: {titles:?}"
    );
    problem(
        app.get("/v1/exports/opportunities.csv?limit=5", As::Anonymous)
            .await,
        400,
    )
    .await;
}

#[actix_web::test]
async fn the_command_line_export_writes_the_same_projects_as_the_api() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let url = match app.db.url() {
        investdesk::persistence::DatabaseUrl::Sqlite(path) => path,
        investdesk::persistence::DatabaseUrl::Postgres(url) => url,
    };
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_investdesk"))
        .args(["export", "oc4ids", "--database-url", &url])
        .env_remove("INVESTDESK_DATABASE_URL")
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let written: Value = serde_json::from_slice(&output.stdout).expect("one JSON package");
    let served = export(&app, "").await;
    let ids = |package: &Value| -> Vec<Value> {
        package["projects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].clone())
            .collect()
    };
    assert_eq!(ids(&written).len(), 2);
    assert_eq!(ids(&written), ids(&served));
    assert_eq!(written["version"], served["version"]);
}
