//! API8 security misconfiguration: CORS only for configured origins, security headers on every
//! kind of answer, no caching of what a key may see, only documented methods, and no internals
//! or versions in what the service says.

use reqwest::{Method, Response};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{As, TestDb, problem, raw, spawn_app, spawn_app_with};

const ALLOWED: &str = "https://catalogue.example.org";

fn assert_hardened(response: &Response, what: &str) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(
        header("x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{what}");
    assert_eq!(
        header("referrer-policy").as_deref(),
        Some("no-referrer"),
        "{what}"
    );
    assert!(header("x-request-id").is_some(), "{what}");
    assert!(
        header("server").is_none(),
        "{what}: the server names itself"
    );
    assert!(header("x-powered-by").is_none(), "{what}");
}

#[actix_web::test]
async fn every_kind_of_answer_carries_the_security_headers_and_no_internals() {
    let app = spawn_app_with(|s| {
        s.limits.rate_limit_per_address = 1;
        s.limits.rate_limit_address_burst = 30;
    })
    .await;
    let mut checked = 0;
    let huge = json!({"name": "x".repeat(70 * 1024)});
    let cases: Vec<(Method, &str, As, Option<serde_json::Value>, u16)> = vec![
        (Method::GET, "/healthz", As::Anonymous, None, 200),
        (Method::GET, "/v1/opportunities", As::Anonymous, None, 200),
        (Method::GET, "/v1/parties", app.officer(), None, 200),
        (Method::GET, "/v1/parties", As::Anonymous, None, 401),
        (Method::GET, "/v1/api-keys", app.officer(), None, 403),
        (
            Method::GET,
            "/v1/opportunities/opp_01jd8x0000000000000000000z",
            As::Anonymous,
            None,
            404,
        ),
        (Method::GET, "/nowhere", As::Anonymous, None, 404),
        (Method::PUT, "/v1/opportunities", As::Anonymous, None, 405),
        (Method::POST, "/v1/parties", app.officer(), Some(huge), 413),
        (
            Method::POST,
            "/v1/parties",
            app.officer(),
            Some(json!({"name": 1})),
            422,
        ),
        (Method::GET, "/docs/", As::Anonymous, None, 200),
    ];
    for (method, path, who, body, status) in cases {
        let response = app.send(method.clone(), path, who, body.as_ref()).await;
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        assert_hardened(&response, &format!("{method} {path}"));
        if matches!(who, As::Key(_)) {
            assert_eq!(
                response.headers().get("cache-control").unwrap(),
                "no-store",
                "{method} {path}"
            );
        }
        let text = response.text().await.unwrap().to_lowercase();
        for leak in [
            "diesel",
            "sqlite",
            "postgres",
            "panicked",
            "src/",
            "backtrace",
            "actix",
        ] {
            assert!(!text.contains(leak), "{method} {path} says {leak:?}");
        }
        checked += 1;
    }
    // Over the rate limit: refused by a middleware, still hardened.
    let mut limited = None;
    for _ in 0..40 {
        let response = app.get("/v1/opportunities", As::Anonymous).await;
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
    }
    assert_hardened(&limited.expect("rate limited"), "429");
    report!(
        "owasp API8: {} kinds of answer carry the security headers and no internals",
        checked + 1
    );
}

#[actix_web::test]
async fn cors_answers_only_configured_origins_and_never_with_credentials() {
    let app = spawn_app_with(|s| s.cors_origins = vec![ALLOWED.to_owned()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/v1/opportunities"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let allowed = preflight(ALLOWED).await.unwrap();
    assert!(allowed.status().is_success());
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .unwrap(),
        ALLOWED
    );
    assert!(
        allowed
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    for origin in [
        "https://evil.example",
        "null",
        "https://catalogue.example.org.evil.example",
    ] {
        let refused = preflight(origin).await.unwrap();
        assert!(refused.status().as_u16() < 500);
        assert!(
            refused
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{origin}"
        );
        let simple = app
            .client
            .get(app.url("/v1/opportunities"))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert!(
            simple
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
    }
    // Without configured origins there is no CORS at all.
    let closed = spawn_app().await;
    let response = closed
        .client
        .get(closed.url("/v1/opportunities"))
        .header("origin", ALLOWED)
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[actix_web::test]
async fn only_documented_methods_are_served() {
    let app = spawn_app().await;
    let mut refused = 0;
    for path in ["/v1/opportunities", "/v1/parties", "/healthz", "/v1/events"] {
        for method in ["TRACE", "PUT", "PROPFIND", "PURGE"] {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let response = app.send(method.clone(), path, app.officer(), None).await;
            assert_eq!(response.status(), 405, "{method} {path}");
            assert!(response.headers().contains_key("allow"));
            assert!(!response.text().await.unwrap().contains("TRACE"));
            refused += 1;
        }
    }
    report!("owasp API8: {refused} undocumented methods refused with 405 and Allow");
}

/// What HTTP leaves ambiguous is refused, and a connection asked to close ends after its
/// answer, even with another request already sent behind it.
#[actix_web::test]
async fn the_protocols_edges_are_answered_plainly() {
    let app = spawn_app().await;
    let key = app.officer.clone();
    let body = r#"{"name":"A","kind":"company","country":"PK"}"#;
    let status = |text: &str| text.split(' ').nth(1).unwrap_or("").to_owned();
    for extra in [
        format!("Authorization: Bearer {key}\r\n"),
        "Content-Type: application/json\r\n".to_owned(),
        "Idempotency-Key: a\r\nIdempotency-Key: b\r\n".to_owned(),
    ] {
        let request = format!(
            "POST /v1/parties HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let (answer, _) = raw(&app, request.as_bytes(), Duration::from_secs(5)).await;
        assert_eq!(status(&answer), "400", "{answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
    }
    let page: Value = app
        .get("/v1/parties?includeTotal=true", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["totalCount"], 0, "nothing of those was written");
    let mut closed_after_one = 0;
    for request in [
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /healthz HTTP/1.0\r\n\r\nGET /healthz HTTP/1.0\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\nPOST /v1/parties HTTP/1.1\r\nHost: x\r\n\r\n",
    ] {
        let (answer, closed) = raw(&app, request.as_bytes(), Duration::from_secs(3)).await;
        assert!(closed, "the connection stayed open: {answer}");
        assert_eq!(answer.matches("HTTP/1.").count(), 1, "{answer}");
        closed_after_one += 1;
    }
    // A trailing or doubled slash names no route.
    for path in ["/v1/parties/", "//v1/parties", "/v1//parties", "/healthz/"] {
        let body = problem(app.get(path, app.officer()).await, 404).await;
        assert_eq!(body["code"], "routeNotFound", "{path}");
    }
    report!(
        "owasp API8: 3 repeated headers refused 400; {closed_after_one} connections asked to close ended after one answer; 4 odd slashes 404"
    );
}

/// HEAD answers every documented GET route with the GET's status and headers, and no body.
#[actix_web::test]
async fn head_answers_every_get_route_like_get_without_the_body() {
    let app = spawn_app().await;
    let party = app.create_party("Head Holdings", "company", "AZ").await;
    let document: Value = app
        .get("/openapi.json", As::Anonymous)
        .await
        .json()
        .await
        .unwrap();
    let mut tried = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        if item.get("get").is_none() {
            continue;
        }
        let concrete = path
            .replace("/parties/{id}", &format!("/parties/{party}"))
            .replace("{id}", "opp_01jd8x3v5ffd2b6jq4w5k9h8zq")
            .replace("{name}", "projectSector");
        let get = app.send(Method::GET, &concrete, app.officer(), None).await;
        let head = app.send(Method::HEAD, &concrete, app.officer(), None).await;
        assert_eq!(head.status(), get.status(), "{concrete}");
        for name in [
            "content-type",
            "etag",
            "link",
            "cache-control",
            "allow",
            "content-length",
        ] {
            // Metrics change between two scrapes; streams have no length.
            if name == "content-length"
                && (concrete == "/metrics" || get.headers().get("transfer-encoding").is_some())
            {
                continue;
            }
            assert_eq!(
                head.headers().get(name),
                get.headers().get(name),
                "{concrete}: {name}"
            );
        }
        assert!(head.bytes().await.unwrap().is_empty(), "{concrete}");
        tried += 1;
    }
    report!("GET routes answered by HEAD alike: {tried}");
    assert!(tried > 20);
    let allow = app
        .send(Method::HEAD, "/v1/imports/oc4ids", app.officer(), None)
        .await;
    assert_eq!(allow.status(), 405);
}

/// `/metrics` on a listener of its own leaves the API's listener without it; a token keeps it
/// from whoever lacks the token.
#[actix_web::test]
async fn metrics_can_have_their_own_listener_and_a_token() {
    let token = "a-metrics-token-0123456789";
    let db = TestDb::create_for_test();
    let mut settings = investdesk::config::ServeSettings::new(db.url(), "127.0.0.1:0");
    settings.metrics_listen = Some("127.0.0.1:0".into());
    settings.metrics_token = Some(investdesk::config::MetricsToken::parse(token).unwrap());
    settings.limits = settings.limits.clone().unlimited();
    let app = investdesk::startup::Application::build(settings).unwrap();
    let (api, metrics) = (app.port(), app.metrics_port().unwrap());
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let get = |port: u16, token: Option<&str>| {
        let mut request = client.get(format!("http://127.0.0.1:{port}/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(get(api, Some(token)).await.unwrap().status(), 404);
    assert_eq!(get(metrics, None).await.unwrap().status(), 401);
    assert_eq!(
        get(metrics, Some("not-the-token-at-all"))
            .await
            .unwrap()
            .status(),
        401
    );
    let scraped = get(metrics, Some(token)).await.unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(
        scraped
            .text()
            .await
            .unwrap()
            .contains("http_requests_total")
    );
}

/// Only GET (and HEAD) on the probe paths skips the per-address limit: a POST to `/healthz` is
/// counted like any other request.
#[actix_web::test]
async fn only_reads_of_the_probes_skip_the_rate_limit() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.limits.rate_limit_per_address = 1;
        s.limits.rate_limit_address_burst = 2;
    })
    .await;
    let mut limited = 0;
    for _ in 0..10 {
        let status = app
            .client
            .post(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status();
        limited += usize::from(status == StatusCode::TOO_MANY_REQUESTS);
    }
    assert!(limited >= 7, "{limited} of 10 POSTs limited");
    for _ in 0..20 {
        assert_eq!(app.get("/healthz", As::Anonymous).await.status(), 200);
    }
}

#[actix_web::test]
async fn every_header_an_operation_reads_is_declared_and_browsers_may_read_the_replay_flag() {
    let app = spawn_app_with(|s| s.cors_origins = vec![ALLOWED.to_owned()]).await;
    let document: Value = app
        .get("/openapi.json", As::Anonymous)
        .await
        .json()
        .await
        .unwrap();
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let headers: Vec<&str> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "header")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            let answers = |code: &str| operation["responses"].get(code).is_some();
            // Every POST takes an Idempotency-Key.
            if method == "post" {
                assert!(headers.contains(&"Idempotency-Key"), "{method} {path}");
            }
            // A 412 or a 304 is only possible through the header that asks for it.
            assert_eq!(
                headers.contains(&"If-Match"),
                answers("412"),
                "{method} {path}"
            );
            assert_eq!(
                headers.contains(&"If-None-Match"),
                answers("304"),
                "{method} {path}"
            );
            // Every change of a versioned resource (it has an ETag) can be made conditional.
            if (method == "patch" || method == "delete") && path != "/v1/api-keys/{id}" {
                assert!(headers.contains(&"If-Match"), "{method} {path}");
            }
            checked += 1;
        }
    }
    let response = app
        .client
        .get(app.url("/v1/opportunities"))
        .header("origin", ALLOWED)
        .send()
        .await
        .unwrap();
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for header in [
        "idempotent-replayed",
        "etag",
        "link",
        "retry-after",
        "x-request-id",
    ] {
        assert!(exposed.contains(header), "{header} not in {exposed}");
    }
    // Every problem answer names its request id, and refusals that pass say when to retry.
    for (name, response) in document["components"]["responses"].as_object().unwrap() {
        assert!(response["headers"].get("X-Request-Id").is_some(), "{name}");
        let retry = response["headers"].get("Retry-After").is_some();
        assert_eq!(
            retry,
            name == "TooManyRequests" || name == "ServiceUnavailable",
            "{name}"
        );
    }
    report!("owasp API8: {checked} operations declare the headers they read");
}
