//! The role × route matrix: every documented operation tried as anonymous, investor, officer
//! and admin.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::As;

const MISSING_PARTY: &str = "pty_01jd8x0000000000000000000z";
const MISSING_PERSON: &str = "per_01jd8x0000000000000000000z";
const MISSING_INITIATIVE: &str = "ini_01jd8x0000000000000000000z";
const MISSING_OPPORTUNITY: &str = "opp_01jd8x0000000000000000000z";
const MISSING_HOOK: &str = "whk_01jd8x0000000000000000000z";
const MISSING_KEY: &str = "key_01jd8x0000000000000000000z";

/// (method, documented template, concrete path, body, statuses for anonymous, investor,
/// officer, admin)
type Case<'a> = (Method, &'a str, String, Option<Value>, [u16; 4]);

#[actix_web::test]
async fn each_role_may_do_exactly_what_the_design_says() {
    let app = crate::helpers::spawn_app_with(|s| s.webhook_allow_private = true).await;
    let (investor, _own) = app.investor("Government of Azerbaijan", "AZ").await;
    let (authority, focal) = app.authority_and_focal_person().await;
    let other_party = app.create_party("Other investor", "company", "TR").await;
    let initiative = app
        .create("/v1/initiatives", &json!({"name": "Trilateral"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let opportunity = app.published(&app.m6(&authority, &focal)).await;
    let new_opportunity = app.m6(&authority, &focal);
    let hook = app
        .create(
            "/v1/webhooks",
            &json!({"url": "http://127.0.0.1:9/officer-hook"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let new_hook =
        json!({"url": "http://127.0.0.1:9/hook", "eventTypes": ["interest.stageChanged"]});
    let second_opportunity = app.published(&app.m6(&authority, &focal)).await;
    let own_interest: Value = app
        .post(
            &format!("/v1/opportunities/{opportunity}/interests"),
            As::Key(&investor),
            &json!({"engagementModel": "g2g"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let own_interest = own_interest["id"].as_str().unwrap().to_owned();
    let others_interest: Value = app
        .post(
            &format!("/v1/opportunities/{opportunity}/interests"),
            app.officer(),
            &json!({"engagementModel": "ppp", "partyId": other_party}),
        )
        .await
        .json()
        .await
        .unwrap();
    let others_interest = others_interest["id"].as_str().unwrap().to_owned();
    let new_party = json!({"name": "Demo Company (demo)", "kind": "company", "country": "TR"});
    let new_person = json!({"partyId": authority, "name": "Engineer"});
    let new_initiative = json!({"name": "Pakistan–Azerbaijan joint projects"});
    let new_key = json!({"name": "k", "role": "officer"});
    let patch = json!({"purpose": "Connect Karachi and Peshawar"});

    // (method, template, concrete path, body, [anonymous, investor, officer, admin])
    let matrix: Vec<Case> = vec![
        (
            Method::GET,
            "/healthz",
            "/healthz".into(),
            None,
            [200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/readyz",
            "/readyz".into(),
            None,
            [200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/v1/codelists",
            "/v1/codelists".into(),
            None,
            [200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/v1/codelists/{name}",
            "/v1/codelists/projectSector".into(),
            None,
            [200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/v1/opportunities",
            "/v1/opportunities".into(),
            None,
            [200, 200, 200, 200],
        ),
        (
            Method::POST,
            "/v1/opportunities",
            "/v1/opportunities".into(),
            Some(new_opportunity),
            [401, 403, 201, 201],
        ),
        (
            Method::GET,
            "/v1/opportunities/{id}",
            format!("/v1/opportunities/{opportunity}"),
            None,
            [200, 200, 200, 200],
        ),
        (
            Method::PATCH,
            "/v1/opportunities/{id}",
            format!("/v1/opportunities/{opportunity}"),
            Some(patch.clone()),
            [401, 403, 200, 200],
        ),
        (
            Method::DELETE,
            "/v1/opportunities/{id}",
            format!("/v1/opportunities/{MISSING_OPPORTUNITY}"),
            None,
            [401, 403, 404, 404],
        ),
        (
            Method::GET,
            "/v1/parties",
            "/v1/parties".into(),
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::POST,
            "/v1/parties",
            "/v1/parties".into(),
            Some(new_party),
            [401, 403, 201, 201],
        ),
        (
            Method::GET,
            "/v1/parties/{id}",
            format!("/v1/parties/{other_party}"),
            None,
            [401, 404, 200, 200],
        ),
        (
            Method::PATCH,
            "/v1/parties/{id}",
            format!("/v1/parties/{other_party}"),
            Some(json!({"website": "https://example.com"})),
            [401, 403, 200, 200],
        ),
        (
            Method::DELETE,
            "/v1/parties/{id}",
            format!("/v1/parties/{MISSING_PARTY}"),
            None,
            [401, 403, 404, 404],
        ),
        (
            Method::GET,
            "/v1/people",
            "/v1/people".into(),
            None,
            [401, 403, 200, 200],
        ),
        (
            Method::POST,
            "/v1/people",
            "/v1/people".into(),
            Some(new_person),
            [401, 403, 201, 201],
        ),
        (
            Method::GET,
            "/v1/people/{id}",
            format!("/v1/people/{focal}"),
            None,
            [401, 403, 200, 200],
        ),
        (
            Method::PATCH,
            "/v1/people/{id}",
            format!("/v1/people/{focal}"),
            Some(json!({"jobTitle": "Director"})),
            [401, 403, 200, 200],
        ),
        (
            Method::DELETE,
            "/v1/people/{id}",
            format!("/v1/people/{MISSING_PERSON}"),
            None,
            [401, 403, 404, 404],
        ),
        (
            Method::GET,
            "/v1/initiatives",
            "/v1/initiatives".into(),
            None,
            [200, 200, 200, 200],
        ),
        (
            Method::POST,
            "/v1/initiatives",
            "/v1/initiatives".into(),
            Some(new_initiative),
            [401, 403, 201, 201],
        ),
        (
            Method::GET,
            "/v1/initiatives/{id}",
            format!("/v1/initiatives/{initiative}"),
            None,
            [200, 200, 200, 200],
        ),
        (
            Method::PATCH,
            "/v1/initiatives/{id}",
            format!("/v1/initiatives/{initiative}"),
            Some(json!({"description": "G2G"})),
            [401, 403, 200, 200],
        ),
        (
            Method::DELETE,
            "/v1/initiatives/{id}",
            format!("/v1/initiatives/{MISSING_INITIATIVE}"),
            None,
            [401, 403, 404, 404],
        ),
        (
            Method::POST,
            "/v1/opportunities/{id}/interests",
            format!("/v1/opportunities/{second_opportunity}/interests"),
            Some(json!({"engagementModel": "g2g"})),
            [401, 201, 422, 422],
        ),
        (
            Method::GET,
            "/v1/opportunities/{id}/interests",
            format!("/v1/opportunities/{opportunity}/interests"),
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::GET,
            "/v1/interests",
            "/v1/interests".into(),
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::GET,
            "/v1/interests/{id}",
            format!("/v1/interests/{own_interest}"),
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::PATCH,
            "/v1/interests/{id}",
            format!("/v1/interests/{own_interest}"),
            Some(json!({"notes": "G2G track"})),
            [401, 403, 200, 200],
        ),
        (
            Method::POST,
            "/v1/interests/{id}/transitions",
            format!("/v1/interests/{others_interest}/transitions"),
            Some(json!({"to": "screening"})),
            [401, 404, 200, 409],
        ),
        (
            Method::GET,
            "/v1/interests/{id}/events",
            format!("/v1/interests/{own_interest}/events"),
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::GET,
            "/v1/exports/oc4ids",
            "/v1/exports/oc4ids".into(),
            None,
            [200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/v1/exports/oc4ids/extension-schema",
            "/v1/exports/oc4ids/extension-schema".into(),
            None,
            [200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/v1/exports/opportunities.csv",
            "/v1/exports/opportunities.csv".into(),
            None,
            [200, 200, 200, 200],
        ),
        (
            Method::POST,
            "/v1/imports/oc4ids",
            "/v1/imports/oc4ids".into(),
            Some(json!({"projects": []})),
            [401, 403, 422, 422],
        ),
        (
            Method::GET,
            "/metrics",
            "/metrics".into(),
            None,
            [200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/v1/events",
            "/v1/events".into(),
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::POST,
            "/v1/webhooks",
            "/v1/webhooks".into(),
            Some(new_hook),
            [401, 201, 201, 201],
        ),
        (
            Method::GET,
            "/v1/webhooks",
            "/v1/webhooks".into(),
            None,
            [401, 200, 200, 200],
        ),
        (
            Method::GET,
            "/v1/webhooks/{id}",
            format!("/v1/webhooks/{hook}"),
            None,
            [401, 404, 200, 200],
        ),
        (
            Method::PATCH,
            "/v1/webhooks/{id}",
            format!("/v1/webhooks/{hook}"),
            Some(json!({"active": false})),
            [401, 404, 200, 200],
        ),
        (
            Method::POST,
            "/v1/webhooks/{id}/rotate-secret",
            format!("/v1/webhooks/{hook}/rotate-secret"),
            None,
            [401, 404, 200, 200],
        ),
        (
            Method::GET,
            "/v1/webhooks/{id}/deliveries",
            format!("/v1/webhooks/{hook}/deliveries"),
            None,
            [401, 404, 200, 200],
        ),
        (
            Method::DELETE,
            "/v1/webhooks/{id}",
            format!("/v1/webhooks/{MISSING_HOOK}"),
            None,
            [401, 404, 404, 404],
        ),
        (
            Method::GET,
            "/v1/stats/pipeline",
            "/v1/stats/pipeline".into(),
            None,
            [401, 403, 200, 200],
        ),
        (
            Method::GET,
            "/v1/stats/opportunities",
            "/v1/stats/opportunities".into(),
            None,
            [200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/v1/api-keys",
            "/v1/api-keys".into(),
            None,
            [401, 403, 403, 200],
        ),
        (
            Method::POST,
            "/v1/api-keys",
            "/v1/api-keys".into(),
            Some(new_key),
            [401, 403, 403, 201],
        ),
        (
            Method::DELETE,
            "/v1/api-keys/{id}",
            format!("/v1/api-keys/{MISSING_KEY}"),
            None,
            [401, 403, 403, 404],
        ),
    ];

    let document: Value = serde_json::from_str(&investdesk::openapi::document_json()).unwrap();
    for (template, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            assert!(
                matrix
                    .iter()
                    .any(|(m, t, ..)| m.as_str().eq_ignore_ascii_case(method) && t == template),
                "{method} {template} is documented but missing from the role matrix"
            );
        }
    }

    let mut failures = Vec::new();
    for (method, template, path, body, expected) in &matrix {
        for (who, want) in [
            As::Anonymous,
            As::Key(&investor),
            app.officer(),
            app.admin(),
        ]
        .into_iter()
        .zip(expected)
        {
            let got = app
                .send(method.clone(), path, who, body.as_ref())
                .await
                .status()
                .as_u16();
            if got != *want {
                failures.push(format!(
                    "{method} {template} as {who:?}: expected {want}, got {got}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
