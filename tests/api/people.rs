//! People.

use serde_json::{Value, json};

use crate::helpers::{As, pointers, problem, spawn_app};

#[actix_web::test]
async fn an_officer_records_a_focal_person_of_a_party() {
    let app = spawn_app().await;
    let boi = app
        .create_party("Board of Investment", "governmentAgency", "PK")
        .await;
    let person = app
        .create("/v1/people", &json!({"partyId": boi, "name": "Focal Person", "jobTitle": "Director", "email": "focal@invest.gov.pk", "telephone": "+92 51 111 111"}))
        .await;
    assert_eq!(person["partyId"], boi.as_str());
    assert!(person["id"].as_str().unwrap().starts_with("per_"));
    let list: Value = app
        .get(&format!("/v1/people?partyId={boi}"), app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let id = person["id"].as_str().unwrap();
    let patched: Value = app
        .patch(
            &format!("/v1/people/{id}"),
            app.officer(),
            &json!({"jobTitle": null}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(patched.get("jobTitle").is_none());
    assert_eq!(
        app.delete(&format!("/v1/people/{id}"), app.officer())
            .await
            .status(),
        204
    );
}

#[actix_web::test]
async fn a_person_needs_an_existing_party_and_valid_contacts() {
    let app = spawn_app().await;
    let body = problem(
        app.post(
            "/v1/people",
            app.officer(),
            &json!({"partyId": "pty_01jd8x0000000000000000000z", "name": "X"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/partyId"]);
    let body = problem(
        app.post(
            "/v1/people",
            app.officer(),
            &json!({"partyId": "nope", "name": "", "email": "x"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/email", "/name", "/partyId"]);
}

#[actix_web::test]
async fn people_are_for_officers_only() {
    let app = spawn_app().await;
    let (key, _) = app.investor("Government of Azerbaijan", "AZ").await;
    problem(app.get("/v1/people", As::Anonymous).await, 401).await;
    problem(app.get("/v1/people", As::Key(&key)).await, 403).await;
}
