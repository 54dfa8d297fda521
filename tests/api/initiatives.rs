//! Initiatives.

use serde_json::{Value, json};

use crate::helpers::{As, pointers, problem, spawn_app};

#[actix_web::test]
async fn officers_write_initiatives_and_everyone_reads_them() {
    let app = spawn_app().await;
    let boi = app
        .create_party("Board of Investment", "governmentAgency", "PK")
        .await;
    let focal = app.create_person(&boi, "Focal Person").await;
    let created = app
        .create(
            "/v1/initiatives",
            &json!({"name": "Pakistan–Azerbaijan–Türkiye trilateral", "countries": ["PK", "AZ", "TR"], "leadPartyId": boi, "focalPersonId": focal}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let public: Value = app
        .get(&format!("/v1/initiatives/{id}"), As::Anonymous)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["countries"], json!(["PK", "AZ", "TR"]));
    let list: Value = app
        .get("/v1/initiatives", As::Anonymous)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    problem(
        app.post("/v1/initiatives", As::Anonymous, &json!({"name": "x"}))
            .await,
        401,
    )
    .await;
}

#[actix_web::test]
async fn an_initiative_refers_only_to_what_exists() {
    let app = spawn_app().await;
    let body = problem(
        app.post(
            "/v1/initiatives",
            app.officer(),
            &json!({"name": "x", "countries": ["PK", "QQ"], "leadPartyId": "pty_01jd8x0000000000000000000z"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/countries/1"]);
    let body = problem(
        app.post(
            "/v1/initiatives",
            app.officer(),
            &json!({"name": "x", "leadPartyId": "pty_01jd8x0000000000000000000z"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/leadPartyId"]);
}
