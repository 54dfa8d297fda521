//! API3 broken object-property-level authorisation: no write sets a property the caller may
//! not set (read-only or unknown fields are refused, and change nothing), and no response to
//! an investor or the public carries officer-only properties.

use reqwest::Method;
use serde_json::{Value, json};

use super::{CANARY, World, properties};
use crate::helpers::{
    As, TestDb, api_key_body, keyed_post, pointers, problem, rows_as_text,
    spawn_app_with_private_webhooks,
};

#[actix_web::test]
async fn read_only_and_unknown_properties_are_refused_on_every_create_and_patch() {
    let world = World::build().await;
    let app = &world.app;
    let document: Value = app
        .get("/openapi.json", As::Anonymous)
        .await
        .json()
        .await
        .unwrap();
    // A valid body for each create, and who sends it.
    let creates: Vec<(String, Value, As)> = vec![
        (
            "/v1/parties".into(),
            json!({"name": "Gulf Partners", "kind": "company", "country": "AE"}),
            app.officer(),
        ),
        (
            "/v1/people".into(),
            json!({"partyId": world.a_party, "name": "Aysel"}),
            app.officer(),
        ),
        (
            "/v1/initiatives".into(),
            json!({"name": "Corridor II"}),
            app.officer(),
        ),
        (
            "/v1/opportunities".into(),
            app.m6(&world.authority, &world.focal),
            app.officer(),
        ),
        (
            format!("/v1/opportunities/{}/interests", world.published),
            json!({"engagementModel": "ppp"}),
            As::Key(&world.b),
        ),
        (
            "/v1/webhooks".into(),
            json!({"url": "http://127.0.0.1:9/b"}),
            As::Key(&world.b),
        ),
        (
            "/v1/api-keys".into(),
            json!({"name": "ops", "role": "officer"}),
            app.admin(),
        ),
    ];
    let mut refused = 0;
    let mut covered = Vec::new();
    for (path, body, who) in creates {
        let template = if path.contains("/interests") {
            "/v1/opportunities/{id}/interests"
        } else {
            path.as_str()
        };
        let operation = &document["paths"][template]["post"];
        let input = properties(
            &document,
            &operation["requestBody"]["content"]["application/json"]["schema"],
        );
        assert!(!input.is_empty(), "{template}: no documented body");
        covered.push(template.to_owned());
        let created = app.post(&path, who, &body).await;
        assert_eq!(created.status(), 201, "{path}");
        let created: Value = created.json().await.unwrap();
        let mut extra: Vec<(String, Value)> = created
            .as_object()
            .unwrap()
            .iter()
            .filter(|(name, _)| !input.contains(name))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        extra.push(("isAdmin".into(), json!(true)));
        extra.push(("role".into(), json!("admin")));
        extra.retain(|(name, _)| !input.contains(name));
        for (name, value) in extra {
            let mut body = body.clone();
            body[&name] = value;
            let answer = problem(app.post(&path, who, &body).await, 422).await;
            assert_eq!(pointers(&answer), [format!("/{name}")], "{path} {name}");
            refused += 1;
        }
        // The same on the resource's merge patch, where there is one; the resource is unchanged.
        let Some(id) = created["id"].as_str() else {
            continue;
        };
        let item = if template.ends_with("/interests") {
            format!("/v1/interests/{id}")
        } else {
            format!("{path}/{id}")
        };
        let item_template = if template.ends_with("/interests") {
            "/v1/interests/{id}".to_owned()
        } else {
            format!("{template}/{{id}}")
        };
        let Some(patch) = document["paths"][&item_template]["patch"].as_object() else {
            continue;
        };
        let patchable = properties(
            &document,
            &patch["requestBody"]["content"]["application/merge-patch+json"]["schema"],
        );
        let before = app.get(&item, app.officer()).await.text().await.unwrap();
        for name in [
            "id",
            "createdAt",
            "updatedAt",
            "version",
            "stage",
            "partyId",
            "isAdmin",
        ] {
            if patchable.iter().any(|p| p == name) {
                continue;
            }
            let response = app
                .client
                .patch(app.url(&item))
                .bearer_auth(&app.officer)
                .header("content-type", "application/merge-patch+json")
                .body(json!({name: created.get(name).cloned().unwrap_or(json!("x"))}).to_string())
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            assert!(matches!(status, 400 | 422), "PATCH {item} {name}: {status}");
            refused += 1;
        }
        assert_eq!(
            app.get(&item, app.officer()).await.text().await.unwrap(),
            before
        );
    }
    report!(
        "owasp API3: {refused} writes of read-only or unknown properties refused over {} creates and their patches, 0 changed",
        covered.len()
    );
}

#[actix_web::test]
async fn no_response_to_an_investor_or_the_public_carries_officer_only_properties() {
    let world = World::build().await;
    let app = &world.app;
    let note = app
        .get(
            &format!("/v1/interests/{}", world.a_interest),
            app.officer(),
        )
        .await;
    assert!(
        note.text().await.unwrap().contains(CANARY),
        "officers see their notes"
    );
    let mut read = 0;
    for (method, template) in world.operations().await {
        if method != "GET" {
            continue;
        }
        let path = world.path(&template);
        for who in [As::Key(&world.a), As::Anonymous] {
            let response = app.send(Method::GET, &path, who, None).await;
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert!(status < 500, "GET {path}: {status}");
            assert!(
                !text.contains(CANARY),
                "GET {path} as {who:?} shows officers' notes"
            );
            assert!(
                !text.contains("\"notes\""),
                "GET {path} as {who:?} has a notes field"
            );
            read += 1;
        }
    }
    report!(
        "owasp API3: {read} reads as the owning investor and as the public, 0 carried officer-only properties"
    );
}

/// No secret a client was shown is kept for replays, and an API key's secret is nowhere in the
/// database at all (the SQLite file and its WAL are searched byte by byte).
#[actix_web::test]
async fn no_secret_is_kept_for_replays_or_anywhere_else() {
    let app = spawn_app_with_private_webhooks().await;
    let bearer = format!("Bearer {}", app.admin);
    let mut keys = Vec::new();
    let mut webhook_secrets = Vec::new();
    for i in 0..3 {
        for _ in 0..2 {
            let answer = keyed_post(
                &app,
                "/v1/api-keys",
                &bearer,
                &format!("key-{i}"),
                &api_key_body(&format!("k{i}")),
            )
            .await;
            assert_eq!(answer.status(), 201);
            if let Some(key) = answer.json::<Value>().await.unwrap()["key"].as_str() {
                keys.push(key.to_owned());
            }
        }
    }
    assert_eq!(keys.len(), 3, "each key shown once");
    let hook = json!({"url": "http://127.0.0.1:9/hook", "eventTypes": []});
    for i in 0..2 {
        let mut id = None;
        for _ in 0..2 {
            let answer =
                keyed_post(&app, "/v1/webhooks", &bearer, &format!("hook-{i}"), &hook).await;
            assert_eq!(answer.status(), 201);
            let body: Value = answer.json().await.unwrap();
            id = body["id"].as_str().map(str::to_owned);
            if let Some(secret) = body["secret"].as_str() {
                webhook_secrets.push(secret.to_owned());
            }
        }
        let id = id.unwrap();
        for _ in 0..2 {
            let answer = app
                .client
                .post(app.url(&format!("/v1/webhooks/{id}/rotate-secret")))
                .header("authorization", &bearer)
                .header("idempotency-key", format!("rotate-{i}"))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 200);
            let body: Value = answer.json().await.unwrap();
            match body["secret"].as_str() {
                Some(secret) => webhook_secrets.push(secret.to_owned()),
                None => assert!(body["secretWithheld"].is_string(), "{body}"),
            }
        }
    }
    assert_eq!(webhook_secrets.len(), 4, "each secret shown once");
    let shown: Vec<&String> = keys.iter().chain(&webhook_secrets).collect();
    // The answers kept for replays, on either backend.
    let kept = rows_as_text(&app.db, "SELECT * FROM idempotency_records");
    assert_eq!(kept.len(), 7, "3 keys, 2 subscriptions, 2 rotations");
    let mut hits = 0;
    for text in &kept {
        hits += shown.iter().filter(|s| text.contains(s.as_str())).count();
    }
    let mut files_searched = 0;
    match &app.db {
        TestDb::Sqlite { path, .. } => {
            for file in [path.clone(), format!("{path}-wal")] {
                let bytes = std::fs::read(&file).unwrap_or_default();
                files_searched += usize::from(!bytes.is_empty());
                for key in &keys {
                    hits += bytes
                        .windows(key.len())
                        .filter(|w| *w == key.as_bytes())
                        .count();
                }
            }
        }
        TestDb::Postgres { .. } => {
            let tables: Vec<String> = rows_as_text(
                &app.db,
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'webhooks'",
            );
            for table in tables {
                let table: Value = serde_json::from_str(&table).unwrap();
                let name = table["tablename"].as_str().unwrap();
                for row in rows_as_text(&app.db, &format!("SELECT * FROM {name}")) {
                    hits += shown.iter().filter(|s| row.contains(s.as_str())).count();
                }
                files_searched += 1;
            }
        }
    }
    report!(
        "secrets shown: {}, answers kept for replay: {}, files or tables searched: {files_searched}, secrets found at rest: {hits}",
        shown.len(),
        kept.len()
    );
    assert_eq!(hits, 0);
}
