//! Who sees what (issue 20, item 1 for interests): every field declared internal — the
//! probability, whether it was overridden, the assignee, officers' notes, an unshared transition
//! reason — is searched for by a canary value in every answer an investor or the public can get:
//! REST views and lists, the timeline, the event feed and the investor's webhook bodies.

use serde_json::{Value, json};

use crate::helpers::{As, receiver, spawn_app_with_private_webhooks};

const NOTE: &str = "CANARY-NOTE-7f3a";
const REASON: &str = "CANARY-REASON-91cd";
const SHARED: &str = "Shared with Azerbaijan: MoU text agreed";
const PROBABILITY: i64 = 42;

/// Every object key and string value of `value`, with where they were found.
fn walk<'a>(value: &'a Value, keys: &mut Vec<&'a str>, strings: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                keys.push(k);
                walk(v, keys, strings);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, keys, strings)),
        Value::String(s) => strings.push(s),
        _ => {}
    }
}

#[actix_web::test]
async fn no_internal_field_reaches_an_investor_or_the_public_anywhere() {
    let app = spawn_app_with_private_webhooks().await;
    let hook = receiver(0);
    let (authority, focal) = app.authority_and_focal_person().await;
    let opportunity = app.published(&app.m6(&authority, &focal)).await;
    let (investor, _) = app.investor("Government of Azerbaijan", "AZ").await;
    let subscribed = app
        .post(
            "/v1/webhooks",
            As::Key(&investor),
            &json!({"url": hook.url}),
        )
        .await;
    assert_eq!(subscribed.status(), 201);
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
    let id = interest["id"].as_str().unwrap().to_owned();
    // An officer of the host agency, whose id appears nowhere public.
    let assignee = app.create_person(&authority, "Desk Officer").await;
    // The officers' own: a probability, an assignee, notes, an unshared reason.
    let patched = app
        .patch(
            &format!("/v1/interests/{id}"),
            app.officer(),
            &json!({"probability": PROBABILITY, "assigneeId": assignee, "notes": NOTE}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let moved = app
        .post(
            &format!("/v1/interests/{id}/transitions"),
            app.officer(),
            &json!({"to": "screening", "reason": REASON}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    // A reason the officer chose to share.
    let shared = app
        .post(
            &format!("/v1/interests/{id}/transitions"),
            app.officer(),
            &json!({"to": "engaged", "reason": SHARED, "shareReason": true}),
        )
        .await;
    assert_eq!(shared.status(), 200);

    // Everything the investor and the public can read about it.
    let investor_paths = [
        format!("/v1/interests/{id}"),
        "/v1/interests".to_owned(),
        format!("/v1/opportunities/{opportunity}/interests"),
        format!("/v1/interests/{id}/events"),
        "/v1/events?limit=100".to_owned(),
    ];
    let public_paths = [
        format!("/v1/opportunities/{opportunity}"),
        "/v1/opportunities".to_owned(),
        "/v1/exports/oc4ids".to_owned(),
        "/v1/stats/opportunities".to_owned(),
    ];
    let mut answers: Vec<(String, Value)> = Vec::new();
    for path in &investor_paths {
        let response = app.get(path, As::Key(&investor)).await;
        assert_eq!(response.status(), 200, "{path}");
        answers.push((format!("investor {path}"), response.json().await.unwrap()));
    }
    for path in &public_paths {
        for (who, as_) in [("investor", As::Key(&investor)), ("public", As::Anonymous)] {
            let response = app.get(path, as_).await;
            assert_eq!(response.status(), 200, "{who} {path}");
            answers.push((format!("{who} {path}"), response.json().await.unwrap()));
        }
    }
    // Every event the investor's subscription was sent (created, updated, two stage changes).
    let hits = hook.wait_for(3, 20).await;
    for hit in &hits {
        answers.push((
            "webhook".to_owned(),
            serde_json::from_str(&hit.body).unwrap(),
        ));
    }

    let internal_keys = [
        "probability",
        "probabilityOverridden",
        "assigneeId",
        "notes",
    ];
    let mut tried = 0;
    let mut saw_shared = 0;
    for (what, answer) in &answers {
        let (mut keys, mut strings) = (Vec::new(), Vec::new());
        walk(answer, &mut keys, &mut strings);
        for key in internal_keys {
            tried += 1;
            assert!(!keys.contains(&key), "{what} carries {key}: {answer}");
        }
        for canary in [NOTE, REASON, assignee.as_str()] {
            tried += 1;
            assert!(
                !strings.iter().any(|s| s.contains(canary)),
                "{what} carries {canary:?}: {answer}"
            );
        }
        // Changes an investor may not know of are not even named.
        for kind in [
            "interest.assigned",
            "interest.probabilityChanged",
            "interest.notesChanged",
        ] {
            tried += 1;
            assert!(!strings.contains(&kind), "{what} names {kind}: {answer}");
        }
        saw_shared += strings.iter().filter(|s| **s == SHARED).count();
    }
    // The shared reason does reach the party: its timeline, its feed and its webhook.
    assert!(
        saw_shared >= 3,
        "the shared reason was seen {saw_shared} times"
    );
    // And officers still see everything.
    let officers: Value = app
        .get(&format!("/v1/interests/{id}"), app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(officers["probability"], PROBABILITY);
    assert_eq!(officers["notes"], NOTE);
    let timeline: Value = app
        .get(&format!("/v1/interests/{id}/events"), app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert!(timeline.to_string().contains(REASON));
    report!(
        "audiences: {} answers ({} routes as investor and public, {} webhook bodies) × 10 internal fields, values and change names: {tried} checks, 0 leaks; the shared reason reached the party {saw_shared} times",
        answers.len(),
        investor_paths.len() + public_paths.len(),
        hits.len()
    );
}
