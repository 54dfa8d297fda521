//! API6 unrestricted access to sensitive business flows: the pipeline moves only as the
//! agency decides. An investor cannot advance its own interest, speak for another party,
//! register twice, or express interest in what is not open; each refusal changes nothing.

use serde_json::{Value, json};

use super::World;
use futures_util::future::join_all;

use crate::helpers::{As, problem, spawn_app};

#[actix_web::test]
async fn investors_cannot_push_the_pipeline_or_speak_for_others() {
    let world = World::build().await;
    let app = &world.app;
    let interest = format!("/v1/interests/{}", world.a_interest);
    let before = app
        .get(&interest, app.officer())
        .await
        .text()
        .await
        .unwrap();
    let mut refused = 0;
    // Every forward or sideways move but withdrawal is the agency's.
    let stages: Value = app
        .get("/openapi.json", As::Anonymous)
        .await
        .json()
        .await
        .unwrap();
    for stage in stages["components"]["schemas"]["Stage"]["enum"]
        .as_array()
        .unwrap()
    {
        let stage = stage.as_str().unwrap();
        if stage == "withdrawn" || stage == "expressed" {
            continue;
        }
        let response = app
            .post(
                &format!("{interest}/transitions"),
                As::Key(&world.a),
                &json!({"to": stage, "reason": "We decide"}),
            )
            .await;
        problem(response, 403).await;
        refused += 1;
    }
    // Officer-only properties of the interest.
    for body in [
        json!({"probability": 100}),
        json!({"notes": "mine now"}),
        json!({"assigneeId": world.focal}),
    ] {
        problem(app.patch(&interest, As::Key(&world.a), &body).await, 403).await;
        refused += 1;
    }
    // A second interest of the same party in the same opportunity.
    let again = app
        .post(
            &format!("/v1/opportunities/{}/interests", world.published),
            As::Key(&world.a),
            &json!({"engagementModel": "ppp"}),
        )
        .await;
    problem(again, 409).await;
    refused += 1;
    // Speaking for another party.
    let for_b = app
        .post(
            &format!("/v1/opportunities/{}/interests", world.published),
            As::Key(&world.a),
            &json!({"engagementModel": "g2g", "partyId": world.b_party}),
        )
        .await;
    let status = for_b.status().as_u16();
    assert!(matches!(status, 403 | 422), "{status}");
    refused += 1;
    // A draft is not open to interest.
    let draft = app
        .post(
            &format!("/v1/opportunities/{}/interests", world.draft),
            As::Key(&world.b),
            &json!({"engagementModel": "g2g"}),
        )
        .await;
    problem(draft, 404).await;
    refused += 1;
    assert_eq!(
        app.get(&interest, app.officer())
            .await
            .text()
            .await
            .unwrap(),
        before
    );
    let b_interests: Value = app
        .get("/v1/interests", As::Key(&world.b))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b_interests["items"].as_array().unwrap().len(), 0);
    // What an investor may do, it can: withdraw its own interest.
    let withdrawn = app
        .post(
            &format!("{interest}/transitions"),
            As::Key(&world.a),
            &json!({"to": "withdrawn", "reason": "Budget moved"}),
        )
        .await;
    assert_eq!(withdrawn.status(), 200);
    report!(
        "owasp API6: {refused} attempts to push the pipeline or act for another party refused, 0 changes"
    );
}

/// Changes without `If-Match` that arrive together all apply, one after the other, on both
/// backends: 412 answers only a stale `If-Match`.
#[actix_web::test]
async fn concurrent_changes_without_if_match_never_get_412() {
    let app = spawn_app().await;
    let party = app
        .create_party("Concurrent Holdings", "company", "AZ")
        .await;
    let path = format!("/v1/parties/{party}");
    let bodies: Vec<Value> = (0..30)
        .map(|i| json!({"website": format!("https://example.org/{i}")}))
        .collect();
    let patches = bodies
        .iter()
        .map(|body| app.patch(&path, app.officer(), body));
    let statuses: Vec<u16> = join_all(patches)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let stored: Value = app
        .get(&format!("/v1/parties/{party}"), app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["version"], 31, "every change applied once");
    // Transitions together: each is applied or refused as illegal from where the last left it.
    let (authority, focal) = app.authority_and_focal_person().await;
    let opportunity = app.published(&app.m6(&authority, &focal)).await;
    let mut moved = 0;
    let mut illegal = 0;
    for round in 0..5 {
        let investor = app
            .create_party(&format!("Investor {round}"), "company", "TR")
            .await;
        let interest = app
            .create(
                &format!("/v1/opportunities/{opportunity}/interests"),
                &json!({"partyId": investor, "engagementModel": "g2g"}),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = format!("/v1/interests/{interest}/transitions");
        let bodies = ["screening", "engaged", "dueDiligence", "onHold", "rejected"]
            .map(|to| json!({"to": to, "reason": "concurrent"}));
        let moves = bodies
            .iter()
            .map(|body| app.post(&path, app.officer(), body));
        for answer in join_all(moves).await {
            match answer.status().as_u16() {
                200 => moved += 1,
                409 => illegal += 1,
                other => panic!("a transition without If-Match answered {other}"),
            }
        }
    }
    report!(
        "concurrent PATCHes: 30, all 200; concurrent transitions: {moved} applied, {illegal} illegal (409), 0 412"
    );
    assert!(moved >= 5);
}

/// Parties and people an import creates are announced like any other write.
#[actix_web::test]
async fn an_import_announces_the_parties_and_people_it_creates() {
    let app = spawn_app().await;
    let package = json!({
        "version": "0.9",
        "uri": "https://example.org/package.json",
        "publishedDate": "2026-11-27T00:00:00Z",
        "projects": [{
            "id": "oc4ids-xxxxxx-import-1",
            "title": "Gwadar coastal road (test)",
            "description": "A coastal road, imported to see the parties it names announced.",
            "status": "preparation",
            "sector": ["transport.road"],
            "parties": [
                {"id": "authority-1", "name": "Coastal Roads Authority (test)", "roles": ["publicAuthority"], "address": {"countryName": "Pakistan"}},
            ],
            "publicAuthority": {"id": "authority-1", "name": "Coastal Roads Authority (test)"},
            "investdesk": {"engagementModels": ["ppp"], "hostCountry": "PK"}
        }]
    });
    let imported = app
        .post("/v1/imports/oc4ids", app.officer(), &package)
        .await;
    assert_eq!(imported.status(), 200);
    let report: Value = imported.json().await.unwrap();
    assert_eq!(report["created"], 1, "{report}");
    let feed: Value = app
        .get("/v1/events?type=party.created&limit=100", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(feed["items"].as_array().unwrap().len(), 1, "{feed}");
}
