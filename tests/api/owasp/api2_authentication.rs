//! API2 broken authentication: every operation that needs a key refuses a call without one,
//! every failure looks the same, and keys are accepted only in the Authorization header.
//! (Revocation, expiry and malformed headers: `api_keys`; failed-authentication rate limit:
//! `limits`.)

use reqwest::Method;
use serde_json::{Value, json};

use std::collections::HashSet;

use crate::helpers::{As, api_key_body, issue_key, keyed_post, problem, spawn_app};

#[actix_web::test]
async fn every_operation_that_needs_a_key_refuses_a_call_without_one() {
    let app = spawn_app().await;
    let document: Value = app
        .get("/openapi.json", As::Anonymous)
        .await
        .json()
        .await
        .unwrap();
    let mut refused = 0;
    for (template, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let requirements = operation["security"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let anonymous_allowed = requirements
                .iter()
                .any(|r| r.as_object().is_some_and(|o| o.is_empty()));
            if requirements.is_empty() || anonymous_allowed {
                continue;
            }
            let path = template.replace("{id}", "opp_01jd8x0000000000000000000z");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = matches!(method, Method::POST | Method::PATCH).then(|| json!({}));
            let response = app
                .send(method.clone(), &path, As::Anonymous, body.as_ref())
                .await;
            let challenged = response.headers().contains_key("www-authenticate");
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            assert_eq!(status, 401, "{method} {template}: {body}");
            assert!(challenged, "{method} {template}");
            let body: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(body["code"], "unauthorized", "{method} {template}");
            refused += 1;
        }
    }
    assert!(refused >= 20, "{refused}");
    report!(
        "owasp API2: {refused} key-only operations refused without a key (401, WWW-Authenticate)"
    );
}

#[actix_web::test]
async fn every_authentication_failure_gives_the_same_answer() {
    let app = spawn_app().await;
    let created: Value = app
        .post(
            "/v1/api-keys",
            app.admin(),
            &json!({"name": "soon revoked", "role": "officer"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let revoked = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap();
    assert!(
        app.delete(&format!("/v1/api-keys/{id}"), app.admin())
            .await
            .status()
            .is_success()
    );
    let unknown = format!("idk_{}", "A".repeat(43));
    let wrong_scheme = format!("Basic {}", app.officer);
    let mut answers = Vec::new();
    for header in [
        None,
        Some(format!("Bearer {revoked}")),
        Some(format!("Bearer {unknown}")),
        Some("Bearer idk_".to_owned()),
        Some(wrong_scheme),
        Some(format!("Bearer {}x", app.officer)),
    ] {
        let mut request = app.client.get(app.url("/v1/parties"));
        if let Some(header) = &header {
            request = request.header("authorization", header);
        }
        let body = problem(request.send().await.unwrap(), 401).await;
        answers.push((
            body["type"].clone(),
            body["title"].clone(),
            body["detail"].clone(),
        ));
    }
    answers.dedup();
    assert_eq!(answers.len(), 1, "failures are told apart: {answers:?}");
}

#[actix_web::test]
async fn a_key_anywhere_but_the_authorization_header_is_not_accepted() {
    let app = spawn_app().await;
    let key = app.officer.clone();
    for query in ["api_key", "access_token", "key", "token", "apiKey"] {
        let response = app
            .client
            .get(app.url(&format!("/v1/parties?{query}={key}")))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(matches!(status, 400 | 401), "?{query}=: {status}");
        let text = response.text().await.unwrap();
        assert!(!text.contains(&key), "the key is echoed back");
    }
    for (name, value) in [
        ("cookie", format!("api_key={key}")),
        ("x-api-key", key.clone()),
        ("api-key", key.clone()),
    ] {
        let response = app
            .client
            .get(app.url("/v1/parties"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        problem(response, 401).await;
    }
}

/// A revoked key gets the same 401 as any bad key, even for a request whose answer is kept:
/// nothing of the replay, least of all the key it once created, reaches it.
#[actix_web::test]
async fn a_revoked_key_cannot_replay_what_it_created() {
    let app = spawn_app().await;
    let admin = issue_key(&app.db, investdesk::domain::codes::Role::Admin, None);
    let bearer = format!("Bearer {admin}");
    let first = keyed_post(&app, "/v1/api-keys", &bearer, "one", &api_key_body("ops")).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let created = first["key"].as_str().unwrap().to_owned();
    // Replayed while the admin key is live: the details, never the secret.
    let replay = keyed_post(&app, "/v1/api-keys", &bearer, "one", &api_key_body("ops")).await;
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["id"], first["id"]);
    assert!(replay.get("key").is_none(), "{replay}");
    assert!(
        replay["keyWithheld"]
            .as_str()
            .is_some_and(|w| !w.is_empty())
    );
    assert!(!replay.to_string().contains(&created));
    // Revoked by another admin, the key replays nothing.
    let id = app
        .get("/v1/api-keys?limit=100", app.admin())
        .await
        .json::<Value>()
        .await
        .unwrap()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| admin.starts_with(k["hint"].as_str().unwrap()))
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .unwrap();
    let revoked = app.delete(&format!("/v1/api-keys/{id}"), app.admin()).await;
    assert_eq!(revoked.status(), 204);
    let refused = keyed_post(&app, "/v1/api-keys", &bearer, "one", &api_key_body("ops")).await;
    let body = problem(refused, 401).await;
    assert!(!body.to_string().contains(&created));
    assert!(!body.to_string().contains(first["id"].as_str().unwrap()));
}

/// `bearer x`, `Bearer  x` and `Bearer x` are one key: one idempotency scope.
#[actix_web::test]
async fn one_key_however_spelled_is_one_idempotency_scope() {
    let app = spawn_app().await;
    let body = json!({"name": "Scope Holdings", "kind": "company", "country": "AZ"});
    let mut ids = HashSet::new();
    for (i, spelling) in [
        format!("Bearer {}", app.officer),
        format!("bearer {}", app.officer),
        format!("Bearer  {}", app.officer),
        format!("BEARER {}", app.officer),
    ]
    .iter()
    .enumerate()
    {
        let answer = keyed_post(&app, "/v1/parties", spelling, "same", &body).await;
        assert_eq!(answer.status(), 201, "{spelling:?}");
        assert_eq!(
            answer.headers().get("idempotent-replayed").is_some(),
            i > 0,
            "{spelling:?}"
        );
        ids.insert(answer.json::<Value>().await.unwrap()["id"].to_string());
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    let page: Value = app
        .get("/v1/parties?includeTotal=true", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["totalCount"], 1);
}
