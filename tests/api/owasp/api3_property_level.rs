//! API3 broken object-property-level authorisation: no write sets a property the caller may
//! not set (read-only or unknown fields are refused, and change nothing), and no response to
//! an investor or the public carries officer-only properties.

use reqwest::Method;
use serde_json::{Value, json};

use super::{CANARY, World, properties};
use crate::helpers::{As, pointers, problem};

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
