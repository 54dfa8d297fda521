//! What the service sends, checked against its own OpenAPI document: every event of the feed,
//! every timeline entry and every webhook body matches the schema of its `type`.

use serde_json::{Value, json};

use crate::helpers::{As, receiver, spawn_app_with_private_webhooks};

/// A validator for `schema`, whose `$ref`s point into the document's components.
fn validator(document: &Value, schema: Value) -> jsonschema::Validator {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [schema],
        "components": document["components"],
    });
    jsonschema::validator_for(&root).expect("the document's schemas compile")
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// Every page of a list, following `nextCursor` (`cursor` or `after`).
async fn every_item(app: &crate::helpers::TestApp, path: &str, param: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let url = match &next {
            Some(cursor) => format!("{path}?limit=100&{param}={cursor}"),
            None => format!("{path}?limit=100"),
        };
        let page: Value = app.get(&url, app.officer()).await.json().await.unwrap();
        let batch = page["items"].as_array().unwrap().clone();
        let done = batch.is_empty() || page["nextCursor"].as_str().is_none();
        items.extend(batch);
        // The feed always gives a cursor: it ends at an empty page.
        if done {
            return items;
        }
        next = page["nextCursor"].as_str().map(str::to_owned);
    }
}

#[actix_web::test]
async fn every_event_timeline_entry_and_webhook_body_matches_the_schema_of_its_type() {
    let app = spawn_app_with_private_webhooks().await;
    let document = investdesk::openapi::document();
    let hook = receiver(0);
    app.create("/v1/webhooks", &json!({ "url": hook.url }))
        .await;

    // A story that makes every kind of change.
    let (authority, focal) = app.authority_and_focal_person().await;
    let opportunity = app.published(&app.m6(&authority, &focal)).await;
    let (investor, party) = app.investor("Government of Azerbaijan", "AZ").await;
    let interest: Value = app
        .post(
            &format!("/v1/opportunities/{opportunity}/interests"),
            As::Key(&investor),
            &json!({"engagementModel": "g2g", "indicativeAmount": {"amount": "5000000", "currency": "USD"}}),
        )
        .await
        .json()
        .await
        .unwrap();
    let interest = interest["id"].as_str().unwrap().to_owned();
    let moved = app
        .post(
            &format!("/v1/interests/{interest}/transitions"),
            app.officer(),
            &json!({"to": "screening", "reason": "Letter from the embassy"}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let patched = app
        .patch(
            &format!("/v1/interests/{interest}"),
            app.officer(),
            &json!({"assigneeId": focal, "probability": 35, "notes": "Met in Baku",
                    "indicativeAmount": {"amount": "6000000", "currency": "USD"}}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    app.patch(
        &format!("/v1/parties/{party}"),
        app.officer(),
        &json!({"website": "https://economy.gov.az"}),
    )
    .await;
    let initiative = app
        .create(
            "/v1/initiatives",
            &json!({"name": "Pakistan–Azerbaijan corridor", "countries": ["AZ", "PK"]}),
        )
        .await;
    app.delete(
        &format!("/v1/initiatives/{}", initiative["id"].as_str().unwrap()),
        app.officer(),
    )
    .await;
    app.patch(
        &format!("/v1/opportunities/{opportunity}"),
        app.officer(),
        &json!({"listingStatus": "closed"}),
    )
    .await;

    let feed_schema = validator(
        &document,
        json!({"$ref": "#/components/schemas/EventResponse"}),
    );
    let events = every_item(&app, "/v1/events", "after").await;
    let mut types: Vec<String> = Vec::new();
    for event in &events {
        let found = errors(&feed_schema, event);
        assert!(found.is_empty(), "{event}: {found:?}");
        types.push(event["type"].as_str().unwrap().to_owned());
    }
    types.sort();
    types.dedup();
    assert!(types.len() >= 10, "{types:?}");

    let timeline_schema = validator(
        &document,
        json!({"$ref": "#/components/schemas/InterestEventResponse"}),
    );
    let timeline = every_item(&app, &format!("/v1/interests/{interest}/events"), "cursor").await;
    let mut entry_types: Vec<&str> = Vec::new();
    for entry in &timeline {
        let found = errors(&timeline_schema, entry);
        assert!(found.is_empty(), "{entry}: {found:?}");
        entry_types.push(entry["type"].as_str().unwrap());
    }
    assert_eq!(entry_types.len(), 6, "{entry_types:?}");

    // Each delivery is the webhooks section's body for its type, with its signed headers.
    let hits = hook.wait_for(events.len(), 20).await;
    assert_eq!(hits.len(), events.len());
    for hit in &hits {
        let body: Value = serde_json::from_str(&hit.body).unwrap();
        let kind = body["type"].as_str().unwrap();
        let declared = &document["webhooks"][kind]["post"];
        let schema = declared["requestBody"]["content"]["application/json"]["schema"].clone();
        let found = errors(&validator(&document, schema), &body);
        assert!(found.is_empty(), "{body}: {found:?}");
        for parameter in declared["parameters"].as_array().unwrap() {
            let name = parameter["name"].as_str().unwrap();
            let value = hit
                .headers
                .get(name)
                .unwrap_or_else(|| panic!("{name} missing"));
            let as_json = value
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or(json!(value));
            let found = errors(&validator(&document, parameter["schema"].clone()), &as_json);
            assert!(found.is_empty(), "{name}: {value}: {found:?}");
        }
    }

    // The OC4IDS export (the motorway, closed by now) is the package the document describes.
    let package: Value = app
        .get("/v1/exports/oc4ids?listingStatus=closed", As::Anonymous)
        .await
        .json()
        .await
        .unwrap();
    let package_schema = validator(
        &document,
        json!({"$ref": "#/components/schemas/Oc4idsPackage"}),
    );
    let found = errors(&package_schema, &package);
    assert!(found.is_empty(), "{package}: {found:?}");
    assert!(!errors(&package_schema, &json!({"projects": []})).is_empty());

    // The schemas have teeth: a payload missing a field, or of another type's shape, is caught.
    let mut wrong = events
        .iter()
        .find(|e| e["type"] == "interest.stageChanged")
        .unwrap()
        .clone();
    wrong["data"].as_object_mut().unwrap().remove("to");
    assert!(!errors(&feed_schema, &wrong).is_empty());
    let mut wrong = events
        .iter()
        .find(|e| e["type"] == "opportunity.published")
        .unwrap()
        .clone();
    wrong["data"] = json!({"id": wrong["data"]["id"]});
    assert!(!errors(&feed_schema, &wrong).is_empty());
    report!(
        "contract: {} events of {} types, {} timeline entries, {} webhook bodies match their schemas",
        events.len(),
        types.len(),
        timeline.len(),
        hits.len()
    );
}

/// The headers the document declares for an answer of `status` to `method path`, lower-cased
/// (a `$ref`'d response resolved).
fn declared_headers(document: &Value, path: &str, method: &str, status: u16) -> Vec<String> {
    let operation = &document["paths"][path][method];
    let mut response = operation["responses"][status.to_string()].clone();
    if let Some(target) = response["$ref"].as_str() {
        let name = target.rsplit('/').next().unwrap();
        response = document["components"]["responses"][name].clone();
    }
    assert!(
        response.is_object(),
        "{method} {path} does not declare {status}"
    );
    response["headers"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, _)| name.to_ascii_lowercase())
        .collect()
}

/// Every header an answer carries is declared for that operation and status (framing and CORS
/// negotiation aside), over answers of every kind: lists, single resources, creation and its
/// replay, a stale precondition, a missing key, a missing resource, a refused query.
#[actix_web::test]
async fn every_header_an_answer_carries_is_declared_for_its_operation_and_status() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.cors_origins = vec!["https://portal.example.org".into()];
        s.limits = investdesk::config::LimitSettings::default();
    })
    .await;
    let document = investdesk::openapi::document();
    let party = app
        .create_party("Government of Azerbaijan", "government", "AZ")
        .await;
    // Two parties, so a page of one has a next page (`Link`).
    app.create_party(
        "Islamic Development Bank",
        "developmentFinanceInstitution",
        "SA",
    )
    .await;
    let framing = [
        "content-type",
        "content-length",
        "date",
        "vary",
        "connection",
        "transfer-encoding",
        "access-control-expose-headers",
        "access-control-allow-credentials",
    ];
    let officer = match app.officer() {
        As::Key(key) => key.to_owned(),
        _ => unreachable!(),
    };
    let admin = match app.admin() {
        As::Key(key) => key.to_owned(),
        _ => unreachable!(),
    };
    let body = json!({"name": "Türkiye Wealth Fund", "kind": "fund", "country": "TR"});
    let cases: Vec<(&str, &str, reqwest::RequestBuilder)> = vec![
        // The admin's and the officer's keys: a page of one has a next page.
        (
            "/v1/api-keys",
            "get",
            app.client
                .get(app.url("/v1/api-keys?limit=1"))
                .bearer_auth(&admin),
        ),
        (
            "/v1/parties",
            "get",
            app.client
                .get(app.url("/v1/parties?limit=1"))
                .bearer_auth(&officer),
        ),
        (
            "/v1/parties/{id}",
            "get",
            app.client
                .get(app.url(&format!("/v1/parties/{party}")))
                .bearer_auth(&officer),
        ),
        (
            "/v1/parties",
            "post",
            app.client
                .post(app.url("/v1/parties"))
                .bearer_auth(&officer)
                .header("idempotency-key", "contract-1")
                .json(&body),
        ),
        (
            "/v1/parties",
            "post",
            app.client
                .post(app.url("/v1/parties"))
                .bearer_auth(&officer)
                .header("idempotency-key", "contract-1")
                .json(&body),
        ),
        (
            "/v1/parties/{id}",
            "patch",
            app.client
                .patch(app.url(&format!("/v1/parties/{party}")))
                .bearer_auth(&officer)
                .header("if-match", "\"v99\"")
                .json(&json!({"website": "https://economy.gov.az"})),
        ),
        ("/v1/parties", "get", app.client.get(app.url("/v1/parties"))),
        (
            "/v1/opportunities/{id}",
            "get",
            app.client
                .get(app.url("/v1/opportunities/opp_01jd8x3v5ffd2b6jq4w5k9h8zq")),
        ),
        (
            "/v1/opportunities",
            "get",
            app.client.get(app.url("/v1/opportunities?limit=0")),
        ),
        (
            "/v1/codelists",
            "get",
            app.client.get(app.url("/v1/codelists")),
        ),
        ("/healthz", "get", app.client.get(app.url("/healthz"))),
    ];
    let mut seen = Vec::new();
    for (path, method, request) in cases {
        let response = request
            .header("origin", "https://portal.example.org")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let declared = declared_headers(&document, path, method, status);
        for name in response.headers().keys().map(|n| n.as_str()) {
            if framing.contains(&name) {
                continue;
            }
            assert!(
                declared.iter().any(|d| d == name),
                "{method} {path} {status} sends {name}, not declared: {declared:?}"
            );
            seen.push(name.to_owned());
        }
    }
    seen.sort();
    seen.dedup();
    for expected in [
        "etag",
        "idempotent-replayed",
        "ratelimit",
        "ratelimit-policy",
        "www-authenticate",
        "x-request-id",
        "link",
    ] {
        assert!(
            seen.iter().any(|s| s == expected),
            "{expected} never seen: {seen:?}"
        );
    }
    report!(
        "contract: {} distinct headers sent, each declared for its operation and status",
        seen.len()
    );
}
