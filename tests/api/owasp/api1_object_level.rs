//! API1 broken object-level authorisation: every documented route with an id, every method,
//! tried by investor B and by anonymous callers against an object that is A's (or not public).
//! The routes come from the served OpenAPI document, so a new route fails this test until it
//! is given an object here.

use reqwest::Method;
use serde_json::{Value, json};

use super::World;
use crate::helpers::{As, problem, spawn_app};

/// For each templated path: the object B may not see or change, and the body a write sends
/// (a valid one, so only authorisation can refuse it).
fn object_for(world: &World, template: &str, method: &str) -> Option<(String, Option<Value>)> {
    let body = |value: Value| Some(value);
    let (id, write) = match template {
        "/v1/opportunities/{id}" => (&world.draft, body(json!({"title": "Hijacked"}))),
        "/v1/opportunities/{id}/interests" => {
            (&world.draft, body(json!({"engagementModel": "g2g"})))
        }
        "/v1/interests/{id}" => (&world.a_interest, body(json!({"probability": 99}))),
        "/v1/interests/{id}/events" => (&world.a_interest, None),
        "/v1/interests/{id}/transitions" => (
            &world.a_interest,
            body(json!({"to": "withdrawn", "reason": "x"})),
        ),
        "/v1/parties/{id}" => (
            &world.a_party,
            body(json!({"website": "https://evil.example"})),
        ),
        "/v1/people/{id}" => (&world.focal, body(json!({"jobTitle": "Impostor"}))),
        "/v1/initiatives/{id}" => (&world.initiative, body(json!({"description": "Hijacked"}))),
        "/v1/webhooks/{id}" => (
            &world.a_webhook,
            body(json!({"url": "http://127.0.0.1:9/stolen"})),
        ),
        "/v1/webhooks/{id}/deliveries" | "/v1/webhooks/{id}/rotate-secret" => {
            (&world.a_webhook, None)
        }
        "/v1/api-keys/{id}" => (&world.a_key_id, None),
        _ => return None,
    };
    let body = if method == "GET" || method == "DELETE" {
        None
    } else {
        write
    };
    Some((template.replace("{id}", id), body))
}

/// Templated reads that are public by design (the catalogue and reference data).
const PUBLIC_READS: [&str; 2] = ["/v1/codelists/{name}", "/v1/initiatives/{id}"];

#[actix_web::test]
async fn no_caller_reaches_an_object_that_is_not_theirs_on_any_route_with_an_id() {
    let world = World::build().await;
    let app = &world.app;
    let snapshot = |path: String| async move {
        let response = app.get(&path, app.officer()).await;
        assert_eq!(response.status(), 200, "{path}");
        response.text().await.unwrap()
    };
    let watched = [
        format!("/v1/opportunities/{}", world.draft),
        format!("/v1/interests/{}", world.a_interest),
        format!("/v1/interests/{}/events", world.a_interest),
        format!("/v1/parties/{}", world.a_party),
        format!("/v1/people/{}", world.focal),
        format!("/v1/initiatives/{}", world.initiative),
        format!("/v1/webhooks/{}", world.a_webhook),
    ];
    let mut before = Vec::new();
    for path in &watched {
        before.push(snapshot(path.clone()).await);
    }
    let hook_as_owner = app
        .get(
            &format!("/v1/webhooks/{}", world.a_webhook),
            As::Key(&world.a),
        )
        .await;
    assert_eq!(hook_as_owner.status(), 200, "the owner reaches its webhook");

    let mut tried = 0;
    let mut routes = 0;
    let mut failures = Vec::new();
    for (method, template) in world.operations().await {
        if !template.contains('{') {
            continue;
        }
        routes += 1;
        if PUBLIC_READS.contains(&template.as_str()) && method == "GET" {
            continue;
        }
        let Some((path, body)) = object_for(&world, &template, &method) else {
            failures.push(format!(
                "{method} {template}: a new route with an id; give it an object in object_for"
            ));
            continue;
        };
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        for (who, name) in [
            (As::Key(&world.b), "investor B"),
            (As::Anonymous, "anonymous"),
        ] {
            tried += 1;
            let response = app.send(method.clone(), &path, who, body.as_ref()).await;
            let status = response.status().as_u16();
            if !matches!(status, 401 | 403 | 404) {
                failures.push(format!(
                    "{method} {template} as {name}: {status} {}",
                    response.text().await.unwrap_or_default()
                ));
            }
        }
    }
    // Lists B may call must not carry A's objects either.
    for path in [
        format!("/v1/opportunities/{}/interests", world.published),
        "/v1/interests".to_owned(),
        "/v1/webhooks".to_owned(),
        "/v1/events".to_owned(),
    ] {
        tried += 1;
        let response = app.get(&path, As::Key(&world.b)).await;
        assert_eq!(response.status(), 200, "{path}");
        let text = response.text().await.unwrap();
        for secret in [&world.a_interest, &world.a_webhook] {
            if text.contains(secret.as_str()) {
                failures.push(format!("GET {path} as investor B shows {secret}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for (path, was) in watched.iter().zip(before) {
        assert_eq!(snapshot(path.clone()).await, was, "{path} changed");
    }
    assert!(routes >= 12, "routes with an id: {routes}");
    report!(
        "owasp API1: {routes} routes with an id, {tried} cross-owner and anonymous requests, 0 reached another's object, 0 rows changed"
    );
}

/// An archived opportunity stays readable to the parties with an interest in it: an interest
/// never points at a 404.
#[actix_web::test]
async fn an_archived_opportunity_stays_readable_to_the_parties_with_interests() {
    let app = spawn_app().await;
    let (authority, focal) = app.authority_and_focal_person().await;
    let opportunity = app.published(&app.m6(&authority, &focal)).await;
    let (investor, _) = app.investor("Government of Azerbaijan", "AZ").await;
    let (stranger, _) = app.investor("Other Fund", "AE").await;
    let interest = app
        .post(
            &format!("/v1/opportunities/{opportunity}/interests"),
            As::Key(&investor),
            &json!({"engagementModel": "g2g"}),
        )
        .await;
    assert_eq!(interest.status(), 201);
    let archived = app
        .patch(
            &format!("/v1/opportunities/{opportunity}"),
            app.officer(),
            &json!({"listingStatus": "archived"}),
        )
        .await;
    assert_eq!(archived.status(), 200);
    let path = format!("/v1/opportunities/{opportunity}");
    let seen = app.get(&path, As::Key(&investor)).await;
    assert_eq!(seen.status(), 200);
    assert_eq!(
        seen.json::<Value>().await.unwrap()["listingStatus"],
        "archived"
    );
    problem(app.get(&path, As::Key(&stranger)).await, 404).await;
    problem(app.get(&path, As::Anonymous).await, 404).await;
}
