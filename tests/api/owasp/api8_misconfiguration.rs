//! API8 security misconfiguration: CORS only for configured origins, security headers on every
//! kind of answer, no caching of what a key may see, only documented methods, and no internals
//! or versions in what the service says.

use reqwest::{Method, Response};
use serde_json::json;

use crate::helpers::{As, spawn_app, spawn_app_with};

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
