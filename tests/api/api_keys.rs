//! API keys and authentication.

use investdesk::domain::codes::Role;
use serde_json::{Value, json};

use crate::helpers::{As, issue_key, problem, spawn_app};

#[actix_web::test]
async fn an_admin_creates_a_key_that_is_shown_once_and_works() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/v1/api-keys",
            app.admin(),
            &json!({"name": "BOI back office", "role": "officer"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert!(response.headers().get("location").is_some());
    let created: Value = response.json().await.unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("idk_") && key.len() >= 40, "{key}");
    assert!(created["id"].as_str().unwrap().starts_with("key_"));

    let works = app.get("/v1/parties", As::Key(&key)).await;
    assert_eq!(works.status(), 200);

    let listed = app
        .get("/v1/api-keys", app.admin())
        .await
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(&key), "the secret is listed");
    assert!(!listed.contains("secretHash") && !listed.contains("\"key\""));
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 3);
}

#[actix_web::test]
async fn a_revoked_key_is_refused_at_once_with_the_same_401() {
    let app = spawn_app().await;
    let created: Value = app
        .post(
            "/v1/api-keys",
            app.admin(),
            &json!({"name": "temp", "role": "officer"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let key = created["key"].as_str().unwrap();
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/v1/api-keys/{id}"), app.admin())
            .await
            .status(),
        204
    );
    let revoked = problem(app.get("/v1/parties", As::Key(key)).await, 401).await;
    let unknown = problem(
        app.get("/v1/parties", As::Key("idk_doesnotexist")).await,
        401,
    )
    .await;
    assert_eq!(revoked["detail"], unknown["detail"]);
    assert_eq!(revoked["code"], unknown["code"]);
}

#[actix_web::test]
async fn missing_malformed_unknown_and_expired_keys_are_401_with_www_authenticate() {
    let app = spawn_app().await;
    let response = app.get("/v1/parties", As::Anonymous).await;
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap(),
        "Bearer realm=\"investdesk\""
    );
    problem(response, 401).await;
    for header in [
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer idk_nope",
        "Token idk_x",
        "Bearer not-a-key",
    ] {
        let response = app
            .client
            .get(app.url("/v1/parties"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert!(response.headers().contains_key("www-authenticate"));
        problem(response, 401).await;
    }
    // A bad key is refused even on a public route.
    problem(app.get("/v1/opportunities", As::Key("idk_nope")).await, 401).await;

    let expires = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    let created: Value = app
        .post(
            "/v1/api-keys",
            app.admin(),
            &json!({"name": "short", "role": "officer", "expiresAt": expires}),
        )
        .await
        .json()
        .await
        .unwrap();
    let key = created["key"].as_str().unwrap();
    assert_eq!(app.get("/v1/parties", As::Key(key)).await.status(), 200);
    tokio_sleep(1500).await;
    problem(app.get("/v1/parties", As::Key(key)).await, 401).await;
}

async fn tokio_sleep(ms: u64) {
    actix_web::rt::time::sleep(std::time::Duration::from_millis(ms)).await;
}

#[actix_web::test]
async fn only_admins_manage_keys() {
    let app = spawn_app().await;
    let body = json!({"name": "x", "role": "admin"});
    problem(app.post("/v1/api-keys", app.officer(), &body).await, 403).await;
    problem(app.post("/v1/api-keys", As::Anonymous, &body).await, 401).await;
    problem(app.get("/v1/api-keys", app.officer()).await, 403).await;
}

#[actix_web::test]
async fn investor_keys_are_bound_to_an_existing_party_and_only_they_are() {
    let app = spawn_app().await;
    let party = app
        .create_party("Government of Azerbaijan", "government", "AZ")
        .await;
    let body = problem(
        app.post(
            "/v1/api-keys",
            app.admin(),
            &json!({"name": "x", "role": "investor"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(crate::helpers::pointers(&body), ["/partyId"]);
    let body = problem(
        app.post(
            "/v1/api-keys",
            app.admin(),
            &json!({"name": "x", "role": "investor", "partyId": "pty_01jd8x0000000000000000000z"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(crate::helpers::pointers(&body), ["/partyId"]);
    problem(
        app.post(
            "/v1/api-keys",
            app.admin(),
            &json!({"name": "x", "role": "officer", "partyId": party}),
        )
        .await,
        422,
    )
    .await;
    let ok = app
        .post(
            "/v1/api-keys",
            app.admin(),
            &json!({"name": "az", "role": "investor", "partyId": party}),
        )
        .await;
    assert_eq!(ok.status(), 201);
}

#[actix_web::test]
async fn the_database_holds_no_plaintext_key() {
    let app = spawn_app().await;
    let party = app
        .create_party("Government of Azerbaijan", "government", "AZ")
        .await;
    let investor = issue_key(&app.db, Role::Investor, Some(&party));
    let secrets = [app.admin.clone(), app.officer.clone(), investor];
    match &app.db {
        crate::helpers::TestDb::Sqlite { path, .. } => {
            // Checkpoint so the WAL's content is in the main file too, then search every file.
            let mut files = vec![std::fs::read(path).unwrap()];
            if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
                files.push(wal);
            }
            for secret in &secrets {
                let random_part = &secret[4..];
                for bytes in &files {
                    assert!(
                        !bytes
                            .windows(random_part.len())
                            .any(|w| w == random_part.as_bytes()),
                        "plaintext key in the SQLite file"
                    );
                }
            }
        }
        crate::helpers::TestDb::Postgres { .. } => {
            use diesel::{Connection, RunQueryDsl};
            let url = app.db.url().to_string();
            let mut conn = diesel::PgConnection::establish(&url).unwrap();
            #[derive(diesel::QueryableByName)]
            struct Dump {
                #[diesel(sql_type = diesel::sql_types::Text)]
                dump: String,
            }
            let rows: Vec<Dump> =
                diesel::sql_query("SELECT row_to_json(k)::text AS dump FROM api_keys k")
                    .load(&mut conn)
                    .unwrap();
            assert_eq!(rows.len(), 3);
            for secret in &secrets {
                assert!(
                    rows.iter().all(|r| !r.dump.contains(&secret[4..])),
                    "plaintext key in PostgreSQL"
                );
            }
        }
    }
}
