//! Operations: metrics, demo data.

use serde_json::Value;

use crate::helpers::{As, spawn_app};

#[actix_web::test]
async fn metrics_scrape_with_per_route_figures_after_traffic() {
    let app = spawn_app().await;
    let party = app
        .create_party("Board of Investment", "governmentAgency", "PK")
        .await;
    for _ in 0..3 {
        app.get(&format!("/v1/parties/{party}"), app.officer())
            .await;
    }
    app.get("/v1/nothing", As::Anonymous).await;
    let response = app.get("/metrics", As::Anonymous).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total{")
                && l.contains(r#"method="GET""#)
                && l.contains(r#"route="/v1/parties/{id}""#)
                && l.contains(r#"status="200""#)
        })
        .unwrap_or_else(|| panic!("no per-route counter in:\n{text}"));
    let count: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 3.0, "{line}");
    assert!(
        text.contains("http_request_duration_seconds_bucket{"),
        "latency histogram"
    );
    assert!(
        text.contains(r#"route="unmatched""#),
        "unknown paths share one label"
    );
    assert!(text.contains("db_pool_connections{state=\"in_use\"}"));
    assert!(text.contains("webhook_deliveries_pending"));
    // Every line is a comment or `name{labels} value`.
    for l in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let value = l.rsplit(' ').next().unwrap();
        assert!(
            value.parse::<f64>().is_ok() || value == "+Inf",
            "unparsable line: {l}"
        );
    }
}

#[actix_web::test]
async fn the_demo_set_tells_the_story_and_loading_it_twice_changes_nothing() {
    let app = spawn_app().await;
    let db = investdesk::persistence::Database::open(
        app.db.url(),
        &investdesk::config::DatabaseSettings::for_url(app.db.url()).pool_options(),
    )
    .unwrap();
    let state = investdesk::services::AppState::new(db, Default::default()).unwrap();
    let first = investdesk::services::seed::demo(&state).await.unwrap();
    assert_eq!(
        (first.parties, first.opportunities, first.interests),
        (9, 7, 6)
    );
    let before: Value = app
        .get("/v1/events?limit=100", app.officer())
        .await
        .json()
        .await
        .unwrap();
    let second = investdesk::services::seed::demo(&state).await.unwrap();
    assert!(second.already_present);
    let after: Value = app
        .get("/v1/events?limit=100", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        before["items"].as_array().unwrap().len(),
        after["items"].as_array().unwrap().len(),
        "no new events"
    );

    let found: Value = app
        .get(
            "/v1/opportunities?sector=transport&engagementModel=g2g",
            As::Anonymous,
        )
        .await
        .json()
        .await
        .unwrap();
    let titles: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "M-6 Hyderabad–Sukkur Motorway",
            "M-9 Karachi–Hyderabad Motorway"
        ],
        "both motorways Azerbaijan considered on a G2G model are published"
    );
    let stats: Value = app
        .get("/v1/stats/pipeline", app.officer())
        .await
        .json()
        .await
        .unwrap();
    let count = |stage: &str| {
        stats["byStage"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == stage)
            .unwrap()["count"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        (
            count("mouSigned"),
            count("agreementSigned"),
            count("withdrawn"),
            count("expressed")
        ),
        (1, 1, 1, 1)
    );
    let catalogue: Value = app
        .get("/v1/stats/opportunities", As::Anonymous)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(catalogue["published"], 7, "every demo listing is published");
}

#[actix_web::test]
async fn synthetic_data_loads_in_bulk_and_serves_like_any_other() {
    let app = spawn_app().await;
    let db = investdesk::persistence::Database::open(
        app.db.url(),
        &investdesk::config::DatabaseSettings::for_url(app.db.url()).pool_options(),
    )
    .unwrap();
    let mut conn = db.get().unwrap();
    let mut calls = 0;
    let report =
        investdesk::services::synthetic::generate(&mut conn, 3000, |_, _| calls += 1).unwrap();
    assert_eq!(
        (
            report.opportunities,
            report.parties,
            report.interests,
            report.events
        ),
        (3000, 300, 6000, 1500)
    );
    assert_eq!(calls, 2, "progress after each batch of 2000");
    let all: Value = app
        .get("/v1/opportunities?includeTotal=true", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["totalCount"], 3000);
    let public: Value = app
        .get(
            "/v1/opportunities?includeTotal=true&sector=transport&limit=100",
            As::Anonymous,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(public["totalCount"].as_i64().unwrap() > 100);
    assert!(
        public["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["listingStatus"] == "published" || o["listingStatus"] == "closed")
    );
    // Bulk loads store each opportunity's representation as every other write does: a list
    // serves the JSON the opportunity's own URL serves.
    for listed in public["items"].as_array().unwrap().iter().take(20) {
        let alone: Value = app
            .get(
                &format!("/v1/opportunities/{}", listed["id"].as_str().unwrap()),
                As::Anonymous,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed, &alone);
    }
    let interests: Value = app
        .get("/v1/interests?includeTotal=true", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(interests["totalCount"], 6000);
    let stats: Value = app
        .get("/v1/stats/pipeline", app.officer())
        .await
        .json()
        .await
        .unwrap();
    let total: i64 = stats["byStage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 6000);
}
