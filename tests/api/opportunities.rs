//! Opportunities: the M-6 story, validation, money, publication, visibility, filters, deletion.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{As, TestApp, on_database, pointers, problem, spawn_app, spawn_instance};

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn the_m6_story_from_draft_to_an_anonymous_search() {
    let app = spawn_app().await;
    let nha = app
        .create_party("National Highway Authority", "governmentAgency", "PK")
        .await;
    let boi = app
        .create_party("Board of Investment", "governmentAgency", "PK")
        .await;
    let focal = app
        .create_person(&boi, "Focal Person, Azerbaijan desk")
        .await;
    let azerbaijan = app
        .create("/v1/parties", &json!({"name": "Government of Azerbaijan", "kind": "government", "country": "AZ", "focalPersonId": focal}))
        .await;
    assert_eq!(azerbaijan["focalPersonId"], focal.as_str());
    let initiative = app
        .create("/v1/initiatives", &json!({"name": "Pakistan–Azerbaijan joint projects", "countries": ["PK", "AZ"], "leadPartyId": boi, "focalPersonId": focal}))
        .await;
    let mut body = app.m6(&nha, &focal);
    body["initiativeId"] = initiative["id"].clone();
    let created = app.create("/v1/opportunities", &body).await;
    assert_eq!(created["listingStatus"], "draft");
    assert_eq!(
        created["estimatedCost"],
        json!({"amount": "1700000000.00", "currency": "USD"})
    );
    assert_eq!(
        created["investmentSought"],
        json!({"amount": "1225000000.00", "currency": "USD"})
    );
    let id = created["id"].as_str().unwrap();

    let found: Value = app
        .get(
            "/v1/opportunities?sector=transport&engagementModel=g2g",
            As::Anonymous,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(ids(&found).is_empty(), "a draft is not public");

    let published: Value = app
        .patch(
            &format!("/v1/opportunities/{id}"),
            app.officer(),
            &json!({"listingStatus": "published"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(published["listingStatus"], "published");
    assert!(published["publishedAt"].is_string());

    let found: Value = app
        .get(
            "/v1/opportunities?sector=transport&engagementModel=g2g",
            As::Anonymous,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&found), [id]);
    let single: Value = app
        .get(&format!("/v1/opportunities/{id}"), As::Anonymous)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(single["title"], "M-6 Hyderabad–Sukkur Motorway");
    assert_eq!(single["partnerCountries"], json!(["AZ", "TR"]));
}

#[actix_web::test]
async fn a_draft_is_invisible_to_anonymous_callers_and_investors() {
    let app = spawn_app().await;
    let (authority, focal) = app.authority_and_focal_person().await;
    let draft = app
        .create("/v1/opportunities", &app.m6(&authority, &focal))
        .await;
    let id = draft["id"].as_str().unwrap();
    let (key, _) = app.investor("Government of Azerbaijan", "AZ").await;
    let anonymous = problem(
        app.get(&format!("/v1/opportunities/{id}"), As::Anonymous)
            .await,
        404,
    )
    .await;
    let investor = problem(
        app.get(&format!("/v1/opportunities/{id}"), As::Key(&key))
            .await,
        404,
    )
    .await;
    let missing = problem(
        app.get(
            "/v1/opportunities/opp_01jd8x0000000000000000000z",
            As::Anonymous,
        )
        .await,
        404,
    )
    .await;
    assert_eq!(anonymous["detail"], missing["detail"]);
    assert_eq!(investor["code"], missing["code"]);
    let list: Value = app
        .get("/v1/opportunities?listingStatus=draft", As::Key(&key))
        .await
        .json()
        .await
        .unwrap();
    assert!(ids(&list).is_empty());
    let list: Value = app
        .get("/v1/opportunities?listingStatus=draft", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&list), [id]);
}

#[actix_web::test]
async fn publishing_an_incomplete_opportunity_is_refused_naming_what_is_missing() {
    let app = spawn_app().await;
    let created = app
        .create(
            "/v1/opportunities",
            &json!({"title": "Keenjhar Lake resort", "description": "Tourism PPP", "sectors": ["cultureSportsAndRecreation"],
                    "projectStatus": "identification", "engagementModels": ["ppp"], "hostCountry": "PK"}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let body = problem(
        app.patch(
            &format!("/v1/opportunities/{id}"),
            app.officer(),
            &json!({"listingStatus": "published"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(
        pointers(&body),
        [
            "/description",
            "/focalPersonId",
            "/investmentSought",
            "/locations",
            "/publicAuthorityId"
        ]
    );
    let unchanged: Value = app
        .get(&format!("/v1/opportunities/{id}"), app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unchanged["listingStatus"], "draft");
    assert_eq!(unchanged["version"], 1);
}

#[actix_web::test]
async fn listing_moves_follow_the_lifecycle() {
    let app = spawn_app().await;
    let (authority, focal) = app.authority_and_focal_person().await;
    let id = app.published(&app.m6(&authority, &focal)).await;
    let path = format!("/v1/opportunities/{id}");
    let body = problem(
        app.patch(&path, app.officer(), &json!({"listingStatus": "draft"}))
            .await,
        409,
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("closed, archived")
    );
    assert_eq!(
        app.patch(&path, app.officer(), &json!({"listingStatus": "closed"}))
            .await
            .status(),
        200
    );
    let closed: Value = app.get(&path, As::Anonymous).await.json().await.unwrap();
    assert_eq!(closed["listingStatus"], "closed");
    assert_eq!(
        app.patch(&path, app.officer(), &json!({"listingStatus": "archived"}))
            .await
            .status(),
        200
    );
    problem(app.get(&path, As::Anonymous).await, 404).await;
    problem(
        app.patch(&path, app.officer(), &json!({"listingStatus": "published"}))
            .await,
        409,
    )
    .await;
    problem(
        app.patch(&path, app.officer(), &json!({"listingStatus": "gone"}))
            .await,
        422,
    )
    .await;

    // Archiving is not a dead end: an admin (not an officer) restores the listing as a draft,
    // which is published again like any draft.
    let body = problem(
        app.patch(&path, app.officer(), &json!({"listingStatus": "draft"}))
            .await,
        403,
    )
    .await;
    assert_eq!(body["code"], "forbidden");
    let restored = app
        .patch(&path, app.admin(), &json!({"listingStatus": "draft"}))
        .await;
    assert_eq!(restored.status(), 200);
    let restored: Value = restored.json().await.unwrap();
    assert_eq!(restored["listingStatus"], "draft");
    problem(app.get(&path, As::Anonymous).await, 404).await;
    let feed: Value = app
        .get("/v1/events?type=opportunity.restored", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(feed["items"][0]["subjectId"], id.as_str());
    assert_eq!(
        app.patch(&path, app.officer(), &json!({"listingStatus": "published"}))
            .await
            .status(),
        200
    );
    assert_eq!(app.get(&path, As::Anonymous).await.status(), 200);
}

#[actix_web::test]
async fn only_a_never_published_draft_can_be_deleted() {
    let app = spawn_app().await;
    let (authority, focal) = app.authority_and_focal_person().await;
    let draft = app
        .create("/v1/opportunities", &app.m6(&authority, &focal))
        .await;
    let draft_id = draft["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/v1/opportunities/{draft_id}"), app.officer())
            .await
            .status(),
        204
    );
    let published = app.published(&app.m6(&authority, &focal)).await;
    let body = problem(
        app.delete(&format!("/v1/opportunities/{published}"), app.officer())
            .await,
        409,
    )
    .await;
    assert_eq!(body["code"], "archiveInstead");
    assert_eq!(
        app.get(&format!("/v1/opportunities/{published}"), As::Anonymous)
            .await
            .status(),
        200
    );
}

#[actix_web::test]
async fn money_is_exact_and_never_rounded() {
    let app = spawn_app().await;
    let (authority, focal) = app.authority_and_focal_person().await;
    let mut body = app.m6(&authority, &focal);
    for (amount, currency, pointer) in [
        ("19.999", "USD", "/estimatedCost/amount"),
        ("-5", "USD", "/estimatedCost/amount"),
        ("1e9", "USD", "/estimatedCost/amount"),
        ("10.5", "JPY", "/estimatedCost/amount"),
        ("10", "XYZ", "/estimatedCost/currency"),
        ("99999999999999999999", "USD", "/estimatedCost/amount"),
    ] {
        body["estimatedCost"] = json!({"amount": amount, "currency": currency});
        let problem_body = problem(
            app.post("/v1/opportunities", app.officer(), &body).await,
            422,
        )
        .await;
        assert_eq!(pointers(&problem_body), [pointer], "{amount} {currency}");
    }
    body["estimatedCost"] = json!({"amount": "254000000000.00", "currency": "PKR"});
    body["investmentSought"] = json!({"amount": "0.10", "currency": "KWD"});
    let created = app.create("/v1/opportunities", &body).await;
    assert_eq!(created["estimatedCost"]["amount"], "254000000000.00");
    assert_eq!(created["investmentSought"]["amount"], "0.100");
    body["estimatedCost"] = json!({"amount": 12.5, "currency": "USD"});
    problem(
        app.post("/v1/opportunities", app.officer(), &body).await,
        422,
    )
    .await;
}

#[actix_web::test]
async fn an_invalid_opportunity_lists_every_problem() {
    let app = spawn_app().await;
    let body = problem(
        app.post(
            "/v1/opportunities",
            app.officer(),
            &json!({"title": "", "description": "x", "sectors": ["roads"], "projectStatus": "finished", "engagementModels": [],
                    "pppModel": "xyz", "hostCountry": "PAK", "eoiDeadline": "31/12/2027", "partnerCountries": ["AZ", "AZ"],
                    "locations": [{"coordinates": [[200.0, 10.0]]}],
                    "documents": [{"title": "Study", "documentType": "study", "url": "file:///etc/passwd"}]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(
        pointers(&body),
        [
            "/documents/0/documentType",
            "/documents/0/url",
            "/eoiDeadline",
            "/hostCountry",
            "/locations/0/coordinates/0",
            "/partnerCountries/1",
            "/pppModel",
            "/projectStatus",
            "/sectors/0",
            "/title"
        ]
    );
}

#[actix_web::test]
async fn references_must_exist_and_ppp_models_need_a_ppp() {
    let app = spawn_app().await;
    let (authority, focal) = app.authority_and_focal_person().await;
    let mut body = app.m6(&authority, &focal);
    body["publicAuthorityId"] = json!("pty_01jd8x0000000000000000000z");
    body["initiativeId"] = json!("ini_01jd8x0000000000000000000z");
    body["engagementModels"] = json!(["g2g"]);
    let problem_body = problem(
        app.post("/v1/opportunities", app.officer(), &body).await,
        422,
    )
    .await;
    assert_eq!(
        pointers(&problem_body),
        ["/initiativeId", "/pppModel", "/publicAuthorityId"]
    );
}

#[actix_web::test]
async fn filters_find_what_they_say() {
    let app = spawn_app().await;
    let (authority, focal) = app.authority_and_focal_person().await;
    let m6 = app.published(&app.m6(&authority, &focal)).await;
    let mut resort = app.m6(&authority, &focal);
    resort["title"] = json!("Keenjhar Lake resort");
    resort["description"] = json!(
        "A lakeside tourism resort in Thatta, Sindh, offered as a public-private partnership: 40% government, 60% investor."
    );
    resort["sectors"] = json!(["cultureSportsAndRecreation"]);
    resort["engagementModels"] = json!(["ppp", "b2b"]);
    resort["partnerCountries"] = json!(["TR"]);
    resort["investmentSought"] = json!({"amount": "3400000000", "currency": "PKR"});
    resort["eoiDeadline"] = json!("2027-01-31");
    let keenjhar = app.published(&resort).await;
    let mut draft = app.m6(&authority, &focal);
    draft["title"] = json!("Unpublished draft");
    app.create("/v1/opportunities", &draft).await;

    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("sector=transport", vec![&m6]),
        ("sector=transport.road", vec![&m6]),
        ("sector=transport.rail", vec![]),
        (
            "sector=transport&sector=cultureSportsAndRecreation",
            vec![&m6, &keenjhar],
        ),
        ("engagementModel=b2b", vec![&keenjhar]),
        ("engagementModel=ppp", vec![&m6, &keenjhar]),
        ("partnerCountry=AZ", vec![&m6]),
        ("hostCountry=PK", vec![&m6, &keenjhar]),
        ("hostCountry=AZ", vec![]),
        ("projectStatus=preparation", vec![&m6, &keenjhar]),
        ("currency=PKR", vec![&keenjhar]),
        ("currency=USD&minInvestment=1000000000", vec![&m6]),
        ("currency=USD&maxInvestment=1000000000", vec![]),
        (
            "currency=PKR&minInvestment=3400000000&maxInvestment=3400000000.00",
            vec![&keenjhar],
        ),
        ("eoiDeadlineBefore=2027-03-01", vec![&keenjhar]),
        ("eoiDeadlineAfter=2027-03-01", vec![&m6]),
        ("q=LAKESIDE", vec![&keenjhar]),
        ("q=motorway%20sukkur", vec![&m6]),
        ("q=100%25", vec![]),
        ("updatedSince=2000-01-01T00:00:00Z", vec![&m6, &keenjhar]),
        ("updatedSince=2999-01-01T00:00:00Z", vec![]),
    ];
    for (query, expected) in cases {
        let list: Value = app
            .get(
                &format!("/v1/opportunities?{query}&includeTotal=true"),
                As::Anonymous,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(ids(&list), expected, "{query}");
        assert_eq!(list["totalCount"], expected.len(), "{query}");
    }
    let officer: Value = app
        .get("/v1/opportunities?includeTotal=true", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(officer["totalCount"], 3);
}

/// How many opportunities are stored without their representation.
fn unrendered(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use investdesk::persistence::schema::opportunities::dsl::*;
    on_database(&app.db, |conn| {
        opportunities
            .filter(representation.is_null())
            .count()
            .get_result(conn)
            .unwrap()
    })
}

/// The item of `id` on the first page of `path`.
async fn listed(app: &TestApp, path: &str, who: As<'_>, id: &str) -> Value {
    let page: Value = app.get(path, who).await.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} is not on {path}: {page}"))
}

/// List pages serve each opportunity's stored representation (migration 8). It must be the JSON
/// the opportunity's own URL serves, after every change; an opportunity stored without one (as
/// rows written before migration 8 are) is listed from its columns, and an instance renders it
/// when it starts.
#[actix_web::test]
async fn a_listed_opportunity_is_the_opportunity_as_served_alone() {
    let app = spawn_app().await;
    let (authority, focal) = app.authority_and_focal_person().await;
    let id = app.published(&app.m6(&authority, &focal)).await;
    let changed = app
        .patch(
            &format!("/v1/opportunities/{id}"),
            app.officer(),
            &json!({"title": "M-6 \"Sukkur\" Motorway", "purpose": "Trade", "locations": [{"region": "Sindh"}]}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let alone = |who| {
        let app = &app;
        let id = id.clone();
        async move {
            app.get(&format!("/v1/opportunities/{id}"), who)
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let served = alone(As::Anonymous).await;
    assert_eq!(served["title"], "M-6 \"Sukkur\" Motorway");
    assert_eq!(
        served["locations"],
        json!([{"region": "Sindh", "coordinates": []}])
    );
    for (path, who) in [
        ("/v1/opportunities?sector=transport", As::Anonymous),
        (
            "/v1/opportunities?sort=-updatedAt&includeTotal=true",
            app.officer(),
        ),
        ("/v1/opportunities?sort=title&q=sukkur", app.officer()),
    ] {
        assert_eq!(listed(&app, path, who, &id).await, served, "{path}");
    }
    assert_eq!(unrendered(&app), 0);

    // Forget every representation, as a migration that changes it does.
    on_database(&app.db, |conn| {
        use diesel::prelude::*;
        diesel::sql_query("UPDATE opportunities SET representation = NULL")
            .execute(conn)
            .unwrap()
    });
    assert_eq!(unrendered(&app), 1);
    assert_eq!(
        listed(&app, "/v1/opportunities", As::Anonymous, &id).await,
        served
    );
    spawn_instance(&app.db, |_| {}).await;
    assert_eq!(unrendered(&app), 0, "a starting instance renders them");
    assert_eq!(
        listed(&app, "/v1/opportunities", As::Anonymous, &id).await,
        alone(As::Anonymous).await
    );
}
