//! Parties: validation, merge patch, conditional requests, consortia, deletion and visibility.

use serde_json::{Value, json};

use crate::helpers::{As, pointers, problem, spawn_app};

#[actix_web::test]
async fn an_officer_creates_and_reads_a_party() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/v1/parties",
            app.officer(),
            &json!({
                "name": "Government of Azerbaijan",
                "kind": "government",
                "country": "AZ",
                "website": "https://economy.gov.az",
                "identifier": {"scheme": "AZ-GOV", "id": "economy"},
                "contactPoint": {"name": "Investment desk", "email": "desk@economy.gov.az", "telephone": "+994 12 000 00 00"}
            }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = response
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(response.headers().get("etag").unwrap(), "\"v1\"");
    let created: Value = response.json().await.unwrap();
    assert_eq!(
        location,
        format!("/v1/parties/{}", created["id"].as_str().unwrap())
    );
    let fetched: Value = app
        .get(&location, app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, created);
    assert_eq!(fetched["contactPoint"]["email"], "desk@economy.gov.az");
}

#[actix_web::test]
async fn every_invalid_field_is_listed_in_one_422() {
    let app = spawn_app().await;
    let body = problem(
        app.post(
            "/v1/parties",
            app.officer(),
            &json!({"name": "", "kind": "cartel", "country": "XX", "website": "javascript:alert(1)",
                    "contactPoint": {"email": "not-an-email"}, "memberIds": ["pty_x"], "focalPersonId": "opp_01jd8x0000000000000000000z"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(
        pointers(&body),
        [
            "/contactPoint/email",
            "/country",
            "/focalPersonId",
            "/kind",
            "/memberIds/0",
            "/name",
            "/website"
        ]
    );
    let list: Value = app
        .get("/v1/parties?includeTotal=true", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["totalCount"], 0, "nothing was written");
}

#[actix_web::test]
async fn unknown_and_read_only_fields_are_refused_by_name() {
    let app = spawn_app().await;
    let body = problem(
        app.post(
            "/v1/parties",
            app.officer(),
            &json!({"name": "x", "kind": "company", "country": "PK", "colour": "red"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/colour"]);
    let id = app.create_party("BOI", "governmentAgency", "PK").await;
    let body = problem(
        app.patch(
            &format!("/v1/parties/{id}"),
            app.officer(),
            &json!({"id": "pty_other", "version": 9}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/id", "/version"]);
    let body = problem(
        app.patch(
            &format!("/v1/parties/{id}"),
            app.officer(),
            &json!({"nickname": "x"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/nickname"]);
}

#[actix_web::test]
async fn merge_patch_changes_only_what_it_names_and_null_clears() {
    let app = spawn_app().await;
    let created = app
        .create("/v1/parties", &json!({"name": "BOI", "kind": "governmentAgency", "country": "PK", "website": "https://invest.gov.pk"}))
        .await;
    let id = created["id"].as_str().unwrap();
    let response = app
        .client
        .patch(app.url(&format!("/v1/parties/{id}")))
        .bearer_auth(&app.officer)
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"name": "Board of Investment", "website": null}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get("etag").unwrap(), "\"v2\"");
    let patched: Value = response.json().await.unwrap();
    assert_eq!(patched["name"], "Board of Investment");
    assert!(patched.get("website").is_none());
    assert_eq!(patched["kind"], "governmentAgency");
    assert_eq!(patched["version"], 2);
    // A required field cannot be cleared.
    let body = problem(
        app.patch(
            &format!("/v1/parties/{id}"),
            app.officer(),
            &json!({"name": null}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/name"]);
}

#[actix_web::test]
async fn conditional_requests_use_strong_etags() {
    let app = spawn_app().await;
    let id = app.create_party("BOI", "governmentAgency", "PK").await;
    let path = format!("/v1/parties/{id}");
    let response = app
        .client
        .get(app.url(&path))
        .bearer_auth(&app.officer)
        .header("if-none-match", "\"v1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 304);
    let stale = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&app.officer)
        .header("if-match", "\"v7\"")
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    problem(stale, 412).await;
    let fresh = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&app.officer)
        .header("if-match", "\"v1\"")
        .json(&json!({"name": "Board of Investment"}))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 200);
    let stale_delete = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&app.officer)
        .header("if-match", "\"v1\"")
        .send()
        .await
        .unwrap();
    problem(stale_delete, 412).await;
    let response = app
        .client
        .get(app.url(&path))
        .bearer_auth(&app.officer)
        .header("if-none-match", "\"v1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[actix_web::test]
async fn only_a_consortium_has_members_and_they_must_exist() {
    let app = spawn_app().await;
    let a = app
        .create_party("Demo Construction A.Ş. (demo)", "company", "TR")
        .await;
    let b = app
        .create_party("Demo Caspian Holdings (demo)", "company", "AZ")
        .await;
    let consortium = app
        .create("/v1/parties", &json!({"name": "Demo Trilateral Consortium (demo)", "kind": "consortium", "country": "TR", "memberIds": [a, b]}))
        .await;
    assert_eq!(consortium["memberIds"], json!([a, b]));
    let body = problem(
        app.post(
            "/v1/parties",
            app.officer(),
            &json!({"name": "x", "kind": "company", "country": "PK", "memberIds": [a]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/memberIds"]);
    let body = problem(
        app.post("/v1/parties", app.officer(), &json!({"name": "x", "kind": "consortium", "country": "PK", "memberIds": ["pty_01jd8x0000000000000000000z"]})).await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/memberIds/0"]);
    // A member cannot be deleted while its consortium names it.
    let body = problem(
        app.delete(&format!("/v1/parties/{a}"), app.officer()).await,
        409,
    )
    .await;
    assert_eq!(body["code"], "inUse");
}

#[actix_web::test]
async fn a_party_with_people_cannot_be_deleted_but_an_unused_one_can() {
    let app = spawn_app().await;
    let boi = app.create_party("BOI", "governmentAgency", "PK").await;
    app.create_person(&boi, "Focal Person").await;
    problem(
        app.delete(&format!("/v1/parties/{boi}"), app.officer())
            .await,
        409,
    )
    .await;
    let unused = app.create_party("Unused", "company", "PK").await;
    assert_eq!(
        app.delete(&format!("/v1/parties/{unused}"), app.officer())
            .await
            .status(),
        204
    );
    problem(
        app.get(&format!("/v1/parties/{unused}"), app.officer())
            .await,
        404,
    )
    .await;
}

#[actix_web::test]
async fn an_investor_sees_only_its_own_party() {
    let app = spawn_app().await;
    let (key, own) = app.investor("Government of Azerbaijan", "AZ").await;
    let other = app
        .create_party("Other Government", "government", "TR")
        .await;
    assert_eq!(
        app.get(&format!("/v1/parties/{own}"), As::Key(&key))
            .await
            .status(),
        200
    );
    let hidden = problem(
        app.get(&format!("/v1/parties/{other}"), As::Key(&key))
            .await,
        404,
    )
    .await;
    let missing = problem(
        app.get("/v1/parties/pty_01jd8x0000000000000000000z", As::Key(&key))
            .await,
        404,
    )
    .await;
    assert_eq!(hidden["detail"], missing["detail"]);
    let list: Value = app
        .get("/v1/parties?country=TR", As::Key(&key))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let list: Value = app
        .get("/v1/parties", As::Key(&key))
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [own.as_str()]);
}

#[actix_web::test]
async fn text_with_nul_bytes_is_refused_and_odd_text_is_kept_verbatim() {
    let app = spawn_app().await;
    let body = problem(
        app.post(
            "/v1/parties",
            app.officer(),
            &json!({"name": "bad\u{0000}name", "kind": "company", "country": "PK"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/name"]);
    let odd = "Ünïcödé ‎RTL مرحبا <script>alert(1)</script> '; DROP TABLE parties; --";
    let created = app
        .create(
            "/v1/parties",
            &json!({"name": odd, "kind": "company", "country": "PK"}),
        )
        .await;
    assert_eq!(created["name"], odd);
}
