//! API6 unrestricted access to sensitive business flows: the pipeline moves only as the
//! agency decides. An investor cannot advance its own interest, speak for another party,
//! register twice, or express interest in what is not open; each refusal changes nothing.

use serde_json::{Value, json};

use super::World;
use crate::helpers::{As, problem};

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
