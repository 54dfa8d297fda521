//! API2 broken authentication: every operation that needs a key refuses a call without one,
//! every failure looks the same, and keys are accepted only in the Authorization header.
//! (Revocation, expiry and malformed headers: `api_keys`; failed-authentication rate limit:
//! `limits`.)

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{As, problem, spawn_app};

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
