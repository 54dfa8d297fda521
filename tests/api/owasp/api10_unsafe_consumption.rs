//! API10 unsafe consumption of APIs: what the service takes from others is not trusted. A
//! webhook receiver's redirect is not followed and its answer is only a status; an OC4IDS
//! package from elsewhere is validated like any other input.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use crate::helpers::{As, problem, receiver, spawn_app, spawn_app_with};

/// A receiver that answers every delivery with a redirect to `location`, and a huge body.
fn redirecting(location: String) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = actix_web::HttpServer::new(move || {
        let (location, counted) = (location.clone(), counted.clone());
        actix_web::App::new().default_service(actix_web::web::to(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            let location = location.clone();
            async move {
                actix_web::HttpResponse::TemporaryRedirect()
                    .insert_header(("location", location))
                    .body("x".repeat(1024 * 1024))
            }
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    (format!("http://127.0.0.1:{port}/hook"), hits)
}

#[actix_web::test]
async fn a_receivers_redirect_is_not_followed() {
    let app = spawn_app_with(|s| {
        s.webhook_allow_private = true;
        s.webhook_poll_ms = 50;
        s.webhook_retry_base_ms = 60_000;
    })
    .await;
    let elsewhere = receiver(0);
    let (url, redirects) = redirecting(elsewhere.url.clone());
    let hook = app.create("/v1/webhooks", &json!({"url": url})).await;
    let hook = hook["id"].as_str().unwrap().to_owned();
    // Any change makes an event; a party is the smallest.
    app.create_party("Redirect bait", "company", "TR").await;
    let (authority, focal) = app.authority_and_focal_person().await;
    app.published(&app.m6(&authority, &focal)).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let attempts = loop {
        let page: Value = app
            .get(&format!("/v1/webhooks/{hook}/deliveries"), app.officer())
            .await
            .json()
            .await
            .unwrap();
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if !items.is_empty() || std::time::Instant::now() > deadline {
            break items;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(!attempts.is_empty(), "a delivery was attempted");
    assert!(redirects.load(Ordering::SeqCst) >= 1);
    assert_eq!(attempts[0]["statusCode"], 307, "{attempts:?}");
    // The redirect counts as a failure and its target was never contacted.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(elsewhere.hits.lock().unwrap().is_empty());
}

#[actix_web::test]
async fn an_oc4ids_package_from_elsewhere_is_validated_like_any_input() {
    let app = spawn_app().await;
    let hostile = json!({"projects": [
        {"id": "x1", "title": "<script>alert(1)</script>", "description": "d", "status": "planning",
         "sector": ["transport.road"], "budget": {"amount": {"amount": 1e308, "currency": "USD"}}},
        {"id": "x2", "title": "t", "description": "d", "status": "'; DROP TABLE opportunities;--",
         "sector": ["nope"]},
        "not a project",
    ]});
    let response = app
        .post("/v1/imports/oc4ids", app.officer(), &hostile)
        .await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert!(matches!(status, 200 | 422), "{status}: {text}");
    let list: Value = app
        .get("/v1/opportunities?includeTotal=true", app.officer())
        .await
        .json()
        .await
        .unwrap();
    // Nothing invalid got in: no project with an unknown status or sector was stored.
    for item in list["items"].as_array().unwrap() {
        assert_ne!(item["projectStatus"], "'; DROP TABLE opportunities;--");
    }
    problem(
        app.post("/v1/imports/oc4ids", As::Anonymous, &hostile)
            .await,
        401,
    )
    .await;
}
