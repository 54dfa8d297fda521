//! Integration: the event feed, signed webhooks, idempotent retries.

use std::collections::{HashMap, HashSet};

use base64::Engine;
use futures_util::future::join_all;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{As, TestApp, problem, receiver, spawn_app, spawn_app_with, spawn_instance};

async fn feed(app: &TestApp, who: As<'_>, query: &str) -> Value {
    let response = app.get(&format!("/v1/events{query}"), who).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn types(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn the_feed_lists_changes_in_order_and_investors_see_only_theirs() {
    let app = spawn_app().await;
    let (authority, focal) = app.authority_and_focal_person().await;
    let (investor, _) = app.investor("Government of Azerbaijan", "AZ").await;
    let (other, _) = app.investor("Demo Holdings (demo)", "TR").await;
    let opportunity = app.published(&app.m6(&authority, &focal)).await;
    let interest: Value = app
        .post(
            &format!("/v1/opportunities/{opportunity}/interests"),
            As::Key(&investor),
            &json!({"engagementModel": "g2g"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = interest["id"].as_str().unwrap();
    app.post(
        &format!("/v1/interests/{id}/transitions"),
        app.officer(),
        &json!({"to": "screening"}),
    )
    .await;

    let all = feed(&app, app.officer(), "?limit=100").await;
    assert_eq!(
        types(&all),
        [
            "party.created",
            "party.created",
            "person.created",
            "party.created",
            "party.created",
            "opportunity.created",
            "opportunity.published",
            "interest.created",
            "interest.stageChanged"
        ]
    );
    let mine = feed(&app, As::Key(&investor), "?limit=100").await;
    assert_eq!(
        types(&mine),
        [
            "party.created",
            "opportunity.published",
            "interest.created",
            "interest.stageChanged"
        ]
    );
    let theirs = feed(&app, As::Key(&other), "?limit=100").await;
    assert_eq!(types(&theirs), ["party.created", "opportunity.published"]);
    let stage_changes = feed(&app, app.officer(), "?type=interest.stageChanged").await;
    assert_eq!(stage_changes["items"][0]["data"]["to"], "screening");
    assert_eq!(stage_changes["items"][0]["subjectId"], id);

    // Paging with the cursor, and polling from the end.
    let first = feed(&app, app.officer(), "?limit=5").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 5);
    let cursor = first["nextCursor"].as_str().unwrap();
    let rest = feed(&app, app.officer(), &format!("?limit=100&after={cursor}")).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 4);
    let end = rest["nextCursor"].as_str().unwrap();
    let empty = feed(&app, app.officer(), &format!("?after={end}")).await;
    assert!(empty["items"].as_array().unwrap().is_empty());
    assert_eq!(empty["nextCursor"], end);
    app.create_party("Late party", "company", "PK").await;
    let late = feed(&app, app.officer(), &format!("?after={end}")).await;
    assert_eq!(types(&late), ["party.created"]);

    problem(
        app.get(
            &format!("/v1/events?after={end}&type=party.created"),
            app.officer(),
        )
        .await,
        400,
    )
    .await;
    problem(
        app.get("/v1/events?type=party.exploded", app.officer())
            .await,
        400,
    )
    .await;
    problem(app.get("/v1/events", As::Anonymous).await, 401).await;
}

#[actix_web::test]
async fn the_feed_cursor_never_skips_an_event_under_concurrent_writers() {
    let app = spawn_app().await;
    let app = &app;
    let writers = join_all((0..40).map(|i| async move {
        app.post(
            "/v1/parties",
            app.officer(),
            &json!({"name": format!("P{i}"), "kind": "company", "country": "PK"}),
        )
        .await
    }));
    let reader = async {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..400 {
            let query = cursor
                .as_ref()
                .map(|c| format!("?limit=7&after={c}"))
                .unwrap_or_else(|| "?limit=7".into());
            let page = feed(app, app.officer(), &query).await;
            for item in page["items"].as_array().unwrap() {
                seen.push(item["id"].as_str().unwrap().to_owned());
            }
            cursor = Some(page["nextCursor"].as_str().unwrap().to_owned());
            if seen.len() >= 40 {
                break;
            }
        }
        seen
    };
    let (responses, seen) = futures_util::future::join(writers, reader).await;
    assert!(responses.iter().all(|r| r.status() == 201));
    let complete = feed(app, app.officer(), "?limit=100").await;
    let all: Vec<String> = complete["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(all.len(), 40);
    assert_eq!(
        seen, all,
        "reading while writers commit saw every event, once, in commit order"
    );
}

/// Verifies a Standard Webhooks signature with HMAC-SHA256, independently of the service.
fn verify(secret: &str, hit: &crate::helpers::Hit) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap();
    let signed = format!(
        "{}.{}.{}",
        hit.headers["webhook-id"], hit.headers["webhook-timestamp"], hit.body
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(signed.as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    hit.headers["webhook-signature"]
        .split(' ')
        .any(|s| s == format!("v1,{expected}"))
}

async fn fast_app() -> TestApp {
    spawn_app_with(|s| {
        s.webhook_allow_private = true;
        s.webhook_poll_ms = 50;
        s.webhook_retry_base_ms = 200;
    })
    .await
}

#[actix_web::test]
async fn a_receiver_gets_a_signed_stage_change_within_seconds_and_again_after_it_recovers() {
    let app = fast_app().await;
    let receiver = receiver(2);
    let created = app
        .create(
            "/v1/webhooks",
            &json!({"url": receiver.url, "eventTypes": ["interest.stageChanged"]}),
        )
        .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let hook = created["id"].as_str().unwrap().to_owned();
    let fetched: Value = app
        .get(&format!("/v1/webhooks/{hook}"), app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert!(fetched.get("secret").is_none(), "the secret is shown once");

    let (authority, focal) = app.authority_and_focal_person().await;
    let opportunity = app.published(&app.m6(&authority, &focal)).await;
    let (investor, _) = app.investor("Government of Azerbaijan", "AZ").await;
    let interest: Value = app
        .post(
            &format!("/v1/opportunities/{opportunity}/interests"),
            As::Key(&investor),
            &json!({"engagementModel": "g2g"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = interest["id"].as_str().unwrap();
    let started = std::time::Instant::now();
    app.post(
        &format!("/v1/interests/{id}/transitions"),
        app.officer(),
        &json!({"to": "screening"}),
    )
    .await;

    let hits = receiver.wait_for(3, 15).await;
    assert_eq!(hits.len(), 3, "two failures, then success");
    println!("delivered after two 500s in {:?}", started.elapsed());
    for hit in &hits {
        assert!(verify(&secret, hit), "signature verifies");
        assert_eq!(
            hits[0].headers["webhook-id"], hit.headers["webhook-id"],
            "the same message id on every retry"
        );
    }
    let body: Value = serde_json::from_str(&hits[2].body).unwrap();
    assert_eq!(body["type"], "interest.stageChanged");
    assert_eq!(body["data"]["id"], id);
    assert_eq!(body["data"]["to"], "screening");
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));

    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    let attempts: Value = app
        .get(&format!("/v1/webhooks/{hook}/deliveries"), app.officer())
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<i64> = attempts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["statusCode"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [204, 500, 500], "newest first");
    assert!(
        attempts["items"][1]["error"]
            .as_str()
            .unwrap()
            .contains("500")
    );
    assert_eq!(attempts["items"][0]["attempt"], 3);
}

#[actix_web::test]
async fn an_investors_webhook_receives_only_what_its_party_may_see() {
    let app = fast_app().await;
    let receiver = receiver(0);
    let (investor, _) = app.investor("Government of Azerbaijan", "AZ").await;
    let (other, other_party) = app.investor("Demo Holdings (demo)", "TR").await;
    let response = app
        .post(
            "/v1/webhooks",
            As::Key(&investor),
            &json!({"url": receiver.url}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let (authority, focal) = app.authority_and_focal_person().await;
    app.create("/v1/opportunities", &app.m6(&authority, &focal))
        .await;
    let opportunity = app.published(&app.m6(&authority, &focal)).await;
    app.post(
        &format!("/v1/opportunities/{opportunity}/interests"),
        As::Key(&other),
        &json!({"engagementModel": "g2g"}),
    )
    .await;
    app.patch(
        &format!("/v1/parties/{other_party}"),
        app.officer(),
        &json!({"website": "https://example.com"}),
    )
    .await;
    let hits = receiver.wait_for(10, 3).await;
    let kinds: Vec<String> = hits
        .iter()
        .map(|h| {
            serde_json::from_str::<Value>(&h.body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(kinds, ["opportunity.published"]);
}

#[actix_web::test]
async fn two_instances_on_one_database_deliver_each_event_exactly_once() {
    let app = fast_app().await;
    let second = spawn_instance(&app.db, |s| {
        s.webhook_allow_private = true;
        s.webhook_poll_ms = 50;
    })
    .await;
    assert_eq!(
        app.client
            .get(format!("{second}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let receiver = receiver(0);
    app.create(
        "/v1/webhooks",
        &json!({"url": receiver.url, "eventTypes": ["party.created"]}),
    )
    .await;
    let app_ref = &app;
    join_all((0..30).map(|i| async move {
        let app = app_ref;
        app.post(
            "/v1/parties",
            app.officer(),
            &json!({"name": format!("P{i}"), "kind": "company", "country": "PK"}),
        )
        .await
    }))
    .await;
    let hits = receiver.wait_for(30, 15).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
    let hits_after = receiver.hits.lock().unwrap().clone();
    assert_eq!(hits.len(), 30);
    let mut per_message: HashMap<String, usize> = HashMap::new();
    for hit in &hits_after {
        *per_message
            .entry(hit.headers["webhook-id"].clone())
            .or_default() += 1;
    }
    assert_eq!(per_message.len(), 30);
    assert!(
        per_message.values().all(|n| *n == 1),
        "duplicates: {per_message:?}"
    );
}

#[actix_web::test]
async fn a_retried_post_with_the_same_idempotency_key_creates_one_resource() {
    let app = spawn_app().await;
    let body = json!({"name": "Government of Azerbaijan", "kind": "government", "country": "AZ"});
    let send = |key: &'static str, body: &Value| {
        app.client
            .post(app.url("/v1/parties"))
            .bearer_auth(&app.officer)
            .header("idempotency-key", key)
            .json(body)
            .send()
    };
    let first = send("create-az-1", &body).await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers()["location"].clone();
    let first_body: Value = first.json().await.unwrap();
    let again = send("create-az-1", &body).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], location);
    assert_eq!(again.json::<Value>().await.unwrap(), first_body);

    let other = json!({"name": "Someone else", "kind": "company", "country": "AZ"});
    problem(send("create-az-1", &other).await.unwrap(), 422).await;
    // Keys belong to one API key: the admin's same key is a new request.
    let admin = app
        .client
        .post(app.url("/v1/parties"))
        .bearer_auth(&app.admin)
        .header("idempotency-key", "create-az-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 201);
    assert!(admin.headers().get("idempotent-replayed").is_none());
    let long = "k".repeat(256);
    let refused = app
        .client
        .post(app.url("/v1/parties"))
        .bearer_auth(&app.officer)
        .header("idempotency-key", long)
        .json(&body)
        .send()
        .await
        .unwrap();
    problem(refused, 400).await;

    let list: Value = app
        .get("/v1/parties?includeTotal=true", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["totalCount"], 2);
}

#[actix_web::test]
async fn twenty_concurrent_identical_requests_create_exactly_one_resource() {
    let app = spawn_app().await;
    let body = json!({"name": "Demo Caspian Holdings (demo)", "kind": "company", "country": "AZ"});
    let responses = join_all((0..20).map(|_| {
        app.client
            .post(app.url("/v1/parties"))
            .bearer_auth(&app.officer)
            .header("idempotency-key", "race-1")
            .json(&body)
            .send()
    }))
    .await;
    let statuses: Vec<u16> = responses
        .iter()
        .map(|r| r.as_ref().unwrap().status().as_u16())
        .collect();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    let ids: HashSet<String> = join_all(responses.into_iter().map(|r| async move {
        let r = r.unwrap();
        if r.status() == 201 {
            r.json::<Value>().await.unwrap()["id"]
                .as_str()
                .map(str::to_owned)
        } else {
            None
        }
    }))
    .await
    .into_iter()
    .flatten()
    .collect();
    assert_eq!(ids.len(), 1, "every success names the same party");
    let list: Value = app
        .get("/v1/parties?includeTotal=true", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["totalCount"], 1);
}

/// A refused request wrote nothing, so nothing is kept under its key: the same key runs again,
/// and once the body is fixed it succeeds, and from then on it replays.
#[actix_web::test]
async fn a_refused_request_keeps_nothing_so_a_fixed_retry_with_the_same_key_runs() {
    let app = spawn_app().await;
    let send = |body: Value| {
        app.client
            .post(app.url("/v1/parties"))
            .bearer_auth(&app.officer)
            .header("idempotency-key", "fix-and-retry")
            .json(&body)
            .send()
    };
    let refused = json!({"name": "x", "kind": "cartel", "country": "PK"});
    for _ in 0..2 {
        let answer = send(refused.clone()).await.unwrap();
        assert!(answer.headers().get("idempotent-replayed").is_none());
        problem(answer, 422).await;
    }
    let fixed = json!({"name": "x", "kind": "company", "country": "PK"});
    let first = send(fixed.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let replay = send(fixed).await.unwrap();
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.json::<Value>().await.unwrap(), first);
    // Now the key is spent: another body under it is a different request.
    problem(send(refused).await.unwrap(), 422).await;
}
