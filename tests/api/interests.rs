//! The interest pipeline: expressions of interest, the stage machine, timelines, visibility and
//! figures.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{As, TestApp, pointers, problem, spawn_app};

const ACTIVE: [&str; 9] = [
    "expressed",
    "screening",
    "engaged",
    "dueDiligence",
    "shortlisted",
    "proposalSubmitted",
    "negotiation",
    "mouSigned",
    "agreementSigned",
];
const ALL: [&str; 13] = [
    "expressed",
    "screening",
    "engaged",
    "dueDiligence",
    "shortlisted",
    "proposalSubmitted",
    "negotiation",
    "mouSigned",
    "agreementSigned",
    "financialClose",
    "onHold",
    "withdrawn",
    "rejected",
];

/// A published M-6 opportunity; returns its id.
async fn m6(app: &TestApp) -> String {
    let (authority, focal) = app.authority_and_focal_person().await;
    app.published(&app.m6(&authority, &focal)).await
}

async fn express(app: &TestApp, opportunity: &str, key: &str) -> Value {
    let response = app
        .post(
            &format!("/v1/opportunities/{opportunity}/interests"),
            As::Key(key),
            &json!({"engagementModel": "g2g", "message": "G2G interest"}),
        )
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

async fn transition(
    app: &TestApp,
    interest: &str,
    who: As<'_>,
    to: &str,
    reason: Option<&str>,
) -> reqwest::Response {
    let mut body = json!({"to": to});
    if let Some(reason) = reason {
        body["reason"] = json!(reason);
    }
    app.post(&format!("/v1/interests/{interest}/transitions"), who, &body)
        .await
}

#[actix_web::test]
async fn azerbaijan_takes_the_m6_from_expressed_interest_to_a_signed_mou() {
    let app = spawn_app().await;
    let opportunity = m6(&app).await;
    let (azerbaijan, party) = app.investor("Government of Azerbaijan", "AZ").await;
    let interest = express(&app, &opportunity, &azerbaijan).await;
    assert_eq!(interest["stage"], "expressed");
    assert_eq!(interest["partyId"], party.as_str());
    assert!(
        interest.get("probability").is_none(),
        "the probability is the officers' own: {interest}"
    );
    let id = interest["id"].as_str().unwrap();

    for stage in [
        "screening",
        "engaged",
        "dueDiligence",
        "shortlisted",
        "proposalSubmitted",
        "negotiation",
        "mouSigned",
    ] {
        let response = transition(&app, id, app.officer(), stage, None).await;
        assert_eq!(
            response.status(),
            200,
            "{stage}: {}",
            response.text().await.unwrap()
        );
    }
    let current: Value = app
        .get(&format!("/v1/interests/{id}"), As::Key(&azerbaijan))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(current["stage"], "mouSigned");
    assert!(current.get("probability").is_none(), "{current}");
    let officers: Value = app
        .get(&format!("/v1/interests/{id}"), app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(officers["probability"], 80);

    let timeline: Value = app
        .get(&format!("/v1/interests/{id}/events"), As::Key(&azerbaijan))
        .await
        .json()
        .await
        .unwrap();
    let entries = timeline["items"].as_array().unwrap();
    let steps: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["from"].as_str().unwrap_or("-").to_owned(),
                e["to"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("interest.created", "-", "expressed"),
        ("interest.stageChanged", "expressed", "screening"),
        ("interest.stageChanged", "screening", "engaged"),
        ("interest.stageChanged", "engaged", "dueDiligence"),
        ("interest.stageChanged", "dueDiligence", "shortlisted"),
        ("interest.stageChanged", "shortlisted", "proposalSubmitted"),
        ("interest.stageChanged", "proposalSubmitted", "negotiation"),
        ("interest.stageChanged", "negotiation", "mouSigned"),
    ]
    .iter()
    .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
    .collect();
    assert_eq!(steps, expected);
    assert_eq!(entries[0]["actorRole"], "investor");
    assert!(
        entries[1..].iter().all(|e| e["actorRole"] == "officer"
            && e["actorKeyId"].as_str().unwrap().starts_with("key_"))
    );
    assert!(
        entries
            .iter()
            .all(|e| e["occurredAt"].as_str().unwrap().ends_with('Z'))
    );

    let stats: Value = app
        .get("/v1/stats/pipeline", app.officer())
        .await
        .json()
        .await
        .unwrap();
    let mou = stats["byStage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "mouSigned")
        .unwrap();
    assert_eq!(mou["count"], 1);
}

#[actix_web::test]
async fn who_names_the_party_depends_on_the_key() {
    let app = spawn_app().await;
    let opportunity = m6(&app).await;
    let (investor, party) = app.investor("Government of Azerbaijan", "AZ").await;
    let path = format!("/v1/opportunities/{opportunity}/interests");
    let body = problem(
        app.post(
            &path,
            As::Key(&investor),
            &json!({"engagementModel": "g2g", "partyId": party}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/partyId"]);
    let body = problem(
        app.post(&path, app.officer(), &json!({"engagementModel": "g2g"}))
            .await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/partyId"]);
    let recorded = app
        .post(
            &path,
            app.officer(),
            &json!({"engagementModel": "ppp", "partyId": party}),
        )
        .await;
    assert_eq!(recorded.status(), 201);
    problem(
        app.post(&path, As::Anonymous, &json!({"engagementModel": "g2g"}))
            .await,
        401,
    )
    .await;
}

#[actix_web::test]
async fn only_published_opportunities_before_their_deadline_take_interest() {
    let app = spawn_app().await;
    let (authority, focal) = app.authority_and_focal_person().await;
    let (investor, party) = app.investor("Government of Azerbaijan", "AZ").await;
    let draft = app
        .create("/v1/opportunities", &app.m6(&authority, &focal))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({"engagementModel": "g2g"});
    problem(
        app.post(
            &format!("/v1/opportunities/{draft}/interests"),
            As::Key(&investor),
            &body,
        )
        .await,
        404,
    )
    .await;
    let refused = problem(
        app.post(
            &format!("/v1/opportunities/{draft}/interests"),
            app.officer(),
            &json!({"engagementModel": "g2g", "partyId": party}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(refused["code"], "opportunityNotOpen");

    let mut late = app.m6(&authority, &focal);
    late["eoiDeadline"] = json!("2020-01-31");
    let late = app.published(&late).await;
    let refused = problem(
        app.post(
            &format!("/v1/opportunities/{late}/interests"),
            As::Key(&investor),
            &body,
        )
        .await,
        409,
    )
    .await;
    assert_eq!(refused["code"], "eoiDeadlinePassed");

    let open = app.published(&app.m6(&authority, &focal)).await;
    let body = problem(
        app.post(
            &format!("/v1/opportunities/{open}/interests"),
            As::Key(&investor),
            &json!({"engagementModel": "b2b"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/engagementModel"]);
    app.patch(
        &format!("/v1/opportunities/{open}"),
        app.officer(),
        &json!({"listingStatus": "closed"}),
    )
    .await;
    let refused = problem(
        app.post(
            &format!("/v1/opportunities/{open}/interests"),
            As::Key(&investor),
            &json!({"engagementModel": "g2g"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(refused["code"], "opportunityNotOpen");
}

#[actix_web::test]
async fn one_active_interest_per_party_even_when_twenty_arrive_at_once() {
    let app = spawn_app().await;
    let opportunity = m6(&app).await;
    let (investor, _) = app.investor("Government of Azerbaijan", "AZ").await;
    let path = format!("/v1/opportunities/{opportunity}/interests");
    let body = json!({"engagementModel": "g2g"});
    let responses = join_all((0..20).map(|_| app.post(&path, As::Key(&investor), &body))).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    let list: Value = app
        .get(&format!("{path}?includeTotal=true"), app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["totalCount"], 1);

    // Once withdrawn, the party may express interest again.
    let id = list["items"][0]["id"].as_str().unwrap();
    assert_eq!(
        transition(&app, id, As::Key(&investor), "withdrawn", None)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.post(&path, As::Key(&investor), &body).await.status(),
        201
    );
}

/// The pipeline's rule, written independently of the service: which moves are legal.
fn legal(from: &str, to: &str, held: &str) -> bool {
    let rank = |s: &str| ALL[..10].iter().position(|x| *x == s);
    match from {
        f if ACTIVE.contains(&f) => {
            to != f && (rank(to).is_some() || ["onHold", "withdrawn", "rejected"].contains(&to))
        }
        "onHold" => to == held || to == "withdrawn" || to == "rejected",
        _ => false,
    }
}

#[actix_web::test]
async fn every_move_between_every_pair_of_stages_is_accepted_or_refused_as_the_rules_say() {
    let app = spawn_app().await;
    let opportunity = m6(&app).await;
    let mut failures = Vec::new();
    let mut tried = 0;
    for from in ALL {
        for to in ALL {
            let party = app
                .create_party(&format!("{from}→{to}"), "company", "TR")
                .await;
            let created = app
                .post(
                    &format!("/v1/opportunities/{opportunity}/interests"),
                    app.officer(),
                    &json!({"engagementModel": "ppp", "partyId": party}),
                )
                .await;
            let id = created.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned();
            // Reach `from`: on hold from due diligence; anything else in one move.
            if from == "onHold" {
                assert_eq!(
                    transition(&app, &id, app.officer(), "dueDiligence", Some("set up"))
                        .await
                        .status(),
                    200
                );
            }
            if from != "expressed" {
                let reached = transition(&app, &id, app.officer(), from, Some("set up")).await;
                assert_eq!(reached.status(), 200, "reaching {from}");
            }
            let response = transition(&app, &id, app.officer(), to, Some("because")).await;
            let got = response.status().as_u16();
            let want = if legal(from, to, "dueDiligence") {
                200
            } else {
                409
            };
            tried += 1;
            if got != want {
                failures.push(format!("{from} → {to}: expected {want}, got {got}"));
            } else if got == 409 {
                let body: Value = response.json().await.unwrap();
                assert!(body["allowedStages"].is_array(), "{from} → {to}: {body}");
            }
        }
    }
    assert_eq!(tried, 169);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[actix_web::test]
async fn backward_moves_and_rejections_need_a_reason_and_illegal_moves_name_the_way_out() {
    let app = spawn_app().await;
    let opportunity = m6(&app).await;
    let (investor, _) = app.investor("Government of Azerbaijan", "AZ").await;
    let id = express(&app, &opportunity, &investor).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Skipping stages needs a reason too: such a jump is most often a slip.
    let body = problem(
        transition(&app, &id, app.officer(), "negotiation", None).await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/reason"]);
    assert_eq!(
        transition(
            &app,
            &id,
            app.officer(),
            "negotiation",
            Some("G2G track, no tender")
        )
        .await
        .status(),
        200
    );
    let body = problem(
        transition(&app, &id, app.officer(), "screening", None).await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/reason"]);
    let body = problem(
        transition(&app, &id, app.officer(), "rejected", None).await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/reason"]);
    assert_eq!(
        transition(
            &app,
            &id,
            app.officer(),
            "dueDiligence",
            Some("new survey needed")
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        transition(&app, &id, app.officer(), "onHold", None)
            .await
            .status(),
        200
    );
    let held: Value = app
        .get(&format!("/v1/interests/{id}"), app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(held["heldStage"], "dueDiligence");
    let body = problem(
        transition(&app, &id, app.officer(), "negotiation", None).await,
        409,
    )
    .await;
    assert_eq!(
        body["allowedStages"],
        json!(["dueDiligence", "withdrawn", "rejected"])
    );
    assert_eq!(
        transition(&app, &id, app.officer(), "dueDiligence", None)
            .await
            .status(),
        200
    );
    let body = problem(
        transition(&app, &id, app.officer(), "financialClose", None).await,
        422,
    )
    .await;
    assert_eq!(
        pointers(&body),
        ["/reason"],
        "engaged → financialClose in one call needs a reason"
    );
    assert_eq!(
        transition(
            &app,
            &id,
            app.officer(),
            "financialClose",
            Some("Closed in Baku")
        )
        .await
        .status(),
        200
    );
    let body = problem(
        transition(&app, &id, app.officer(), "withdrawn", None).await,
        409,
    )
    .await;
    assert_eq!(body["allowedStages"], json!([]));
    problem(
        transition(&app, &id, app.officer(), "signed", None).await,
        422,
    )
    .await;
}

#[actix_web::test]
async fn an_investor_may_only_withdraw_its_own_interest() {
    let app = spawn_app().await;
    let opportunity = m6(&app).await;
    let (investor, _) = app.investor("Government of Azerbaijan", "AZ").await;
    let id = express(&app, &opportunity, &investor).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    problem(
        transition(&app, &id, As::Key(&investor), "screening", None).await,
        403,
    )
    .await;
    let withdrawn = transition(&app, &id, As::Key(&investor), "withdrawn", None).await;
    assert_eq!(withdrawn.status(), 200);
    let body: Value = withdrawn.json().await.unwrap();
    assert_eq!(body["stage"], "withdrawn");
    assert!(body.get("probability").is_none(), "{body}");
}

#[actix_web::test]
async fn another_investor_can_neither_see_nor_touch_nor_infer_an_interest() {
    let app = spawn_app().await;
    let opportunity = m6(&app).await;
    let (first, first_party) = app.investor("Government of Azerbaijan", "AZ").await;
    let (second, _) = app.investor("Demo Holdings (demo)", "TR").await;
    let id = express(&app, &opportunity, &first).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let missing = "int_01jd8x0000000000000000000z";
    for path in [
        format!("/v1/interests/{id}"),
        format!("/v1/interests/{id}/events"),
    ] {
        let hidden = problem(app.get(&path, As::Key(&second)).await, 404).await;
        let absent = problem(
            app.get(&path.replace(&id, missing), As::Key(&second)).await,
            404,
        )
        .await;
        assert_eq!(hidden["detail"], absent["detail"]);
        assert_eq!(hidden["code"], absent["code"]);
    }
    problem(
        transition(&app, &id, As::Key(&second), "withdrawn", None).await,
        404,
    )
    .await;
    problem(
        app.patch(
            &format!("/v1/interests/{id}"),
            As::Key(&second),
            &json!({"notes": "x"}),
        )
        .await,
        403,
    )
    .await;
    for path in [
        "/v1/interests".to_owned(),
        format!("/v1/interests?partyId={first_party}"),
        format!("/v1/interests?opportunityId={opportunity}"),
        format!("/v1/opportunities/{opportunity}/interests"),
        format!(
            "/v1/opportunities/{opportunity}/interests?partyId={first_party}&includeTotal=true"
        ),
    ] {
        let list: Value = app.get(&path, As::Key(&second)).await.json().await.unwrap();
        assert_eq!(list["items"], json!([]), "{path}");
        if list.get("totalCount").is_some() {
            assert_eq!(list["totalCount"], 0, "{path}");
        }
    }
    // A second interest by the second party cannot reveal the first one.
    let own = express(&app, &opportunity, &second).await;
    assert_eq!(own["stage"], "expressed");
    let list: Value = app
        .get("/v1/interests", As::Key(&second))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    problem(app.get("/v1/stats/pipeline", As::Key(&second)).await, 403).await;
}

#[actix_web::test]
async fn a_co_investor_sees_the_interest_but_cannot_withdraw_it() {
    let app = spawn_app().await;
    let opportunity = m6(&app).await;
    let (lead, lead_party) = app.investor("Government of Azerbaijan", "AZ").await;
    let (partner, partner_party) = app.investor("Demo Construction A.Ş. (demo)", "TR").await;
    // Co-investors bind other parties, so an officer records them.
    let created = app
        .post(
            &format!("/v1/opportunities/{opportunity}/interests"),
            app.officer(),
            &json!({"partyId": lead_party, "engagementModel": "g2g", "coInvestorIds": [partner_party]}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let seen: Value = app
        .get(&format!("/v1/interests/{id}"), As::Key(&partner))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["coInvestorIds"], json!([partner_party]));
    // The partner's list names it too, as the lead's does; a third investor's does not.
    let (stranger, _) = app.investor("Other Fund", "AE").await;
    for (key, expected) in [(&partner, 1), (&lead, 1), (&stranger, 0)] {
        let page: Value = app
            .get("/v1/interests?includeTotal=true", As::Key(key))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["totalCount"], expected);
        assert_eq!(page["items"].as_array().unwrap().len(), expected as usize);
    }
    problem(
        transition(&app, &id, As::Key(&partner), "withdrawn", None).await,
        403,
    )
    .await;
}

#[actix_web::test]
async fn concurrent_transitions_of_one_interest_let_exactly_one_win() {
    let app = spawn_app().await;
    let opportunity = m6(&app).await;
    let (investor, _) = app.investor("Government of Azerbaijan", "AZ").await;
    let id = express(&app, &opportunity, &investor).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = app.url(&format!("/v1/interests/{id}/transitions"));
    let send = |to: &'static str| {
        app.client
            .post(&path)
            .bearer_auth(&app.officer)
            .header("if-match", "\"v1\"")
            .json(&json!({"to": to, "reason": "two officers at once"}))
            .send()
    };
    let responses =
        join_all((0..10).map(|i| send(if i % 2 == 0 { "screening" } else { "engaged" }))).await;
    let statuses: Vec<u16> = responses
        .iter()
        .map(|r| r.as_ref().unwrap().status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 409, 412].contains(s)),
        "{statuses:?}"
    );
    let timeline: Value = app
        .get(&format!("/v1/interests/{id}/events"), app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        timeline["items"].as_array().unwrap().len(),
        2,
        "created plus exactly one stage change"
    );
}

#[actix_web::test]
async fn officers_assign_and_revalue_interests_and_notes_stay_internal() {
    let app = spawn_app().await;
    let opportunity = m6(&app).await;
    let (investor, _) = app.investor("Government of Azerbaijan", "AZ").await;
    let boi = app
        .create_party("Board of Investment desk", "governmentAgency", "PK")
        .await;
    let officer_person = app.create_person(&boi, "Desk officer").await;
    let id = express(&app, &opportunity, &investor).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/interests/{id}");
    let patched = app
        .patch(
            &path,
            app.officer(),
            &json!({"assigneeId": officer_person, "probability": 33, "indicativeAmount": {"amount": "2000000000", "currency": "USD"}, "notes": "Minister keen"}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(patched["probability"], 33);
    assert_eq!(patched["probabilityOverridden"], true);
    assert_eq!(patched["notes"], "Minister keen");
    assert_eq!(patched["indicativeAmount"]["amount"], "2000000000.00");

    let investor_view = app
        .get(&path, As::Key(&investor))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !investor_view.contains("Minister keen") && !investor_view.contains("\"notes\""),
        "{investor_view}"
    );

    let body = problem(
        app.patch(&path, app.officer(), &json!({"stage": "mouSigned"}))
            .await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/stage"]);
    let body = problem(
        app.patch(
            &path,
            app.officer(),
            &json!({"probability": 101, "assigneeId": "per_x"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/assigneeId", "/probability"]);
    let body = problem(
        app.patch(
            &path,
            app.officer(),
            &json!({"assigneeId": "per_01jd8x0000000000000000000z"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/assigneeId"]);

    let back: Value = app
        .patch(&path, app.officer(), &json!({"probability": null}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(back["probability"], 5);
    assert_eq!(back["probabilityOverridden"], false);

    let officer_timeline: Value = app
        .get(&format!("{path}/events"), app.officer())
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = officer_timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "interest.created",
            "interest.assigned",
            "interest.amountChanged",
            "interest.probabilityChanged",
            "interest.notesChanged",
            "interest.probabilityChanged"
        ]
    );
    let investor_timeline: Value = app
        .get(&format!("{path}/events"), As::Key(&investor))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        investor_timeline["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["type"] != "interest.notesChanged")
    );
}

#[actix_web::test]
async fn interest_lists_filter_and_page() {
    let app = spawn_app().await;
    let opportunity = m6(&app).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let party = app
            .create_party(&format!("Bidder {i}"), "company", "TR")
            .await;
        let created: Value = app
            .post(&format!("/v1/opportunities/{opportunity}/interests"), app.officer(), &json!({"engagementModel": if i % 2 == 0 { "ppp" } else { "g2g" }, "partyId": party}))
            .await
            .json()
            .await
            .unwrap();
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    transition(&app, &ids[0], app.officer(), "screening", None).await;
    transition(
        &app,
        &ids[1],
        app.officer(),
        "engaged",
        Some("met in Baku already"),
    )
    .await;
    let count = |list: &Value| list["items"].as_array().unwrap().len();
    let screening: Value = app
        .get("/v1/interests?stage=screening&stage=engaged", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(count(&screening), 2);
    let ppp: Value = app
        .get("/v1/interests?engagementModel=ppp", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(count(&ppp), 3);
    let page: Value = app
        .get("/v1/interests?limit=2&sort=-createdAt", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["id"], ids[4].as_str());
    assert!(page["nextCursor"].is_string());
    problem(
        app.get("/v1/interests?stage=signed", app.officer()).await,
        400,
    )
    .await;
    problem(
        app.get(
            "/v1/opportunities/opp_01jd8x0000000000000000000z/interests",
            app.officer(),
        )
        .await,
        404,
    )
    .await;
}

#[actix_web::test]
async fn pipeline_and_catalogue_figures_match_hand_counts() {
    let app = spawn_app().await;
    let (authority, focal) = app.authority_and_focal_person().await;
    let m6_id = app.published(&app.m6(&authority, &focal)).await;
    let mut resort = app.m6(&authority, &focal);
    resort["title"] = json!("Keenjhar Lake resort");
    resort["sectors"] = json!(["cultureSportsAndRecreation"]);
    resort["engagementModels"] = json!(["ppp", "b2b"]);
    resort["investmentSought"] = json!({"amount": "3400000000", "currency": "PKR"});
    let resort_id = app.published(&resort).await;
    let mut draft = app.m6(&authority, &focal);
    draft["investmentSought"] = json!({"amount": "999", "currency": "USD"});
    app.create("/v1/opportunities", &draft).await;

    // Four interests: one reaches negotiation, one is withdrawn after screening, two stay.
    let mut ids = Vec::new();
    for (i, (opportunity, model)) in [
        (&m6_id, "g2g"),
        (&m6_id, "ppp"),
        (&resort_id, "ppp"),
        (&resort_id, "b2b"),
    ]
    .into_iter()
    .enumerate()
    {
        let party = app
            .create_party(&format!("Bidder {i}"), "company", "AZ")
            .await;
        let created: Value = app
            .post(
                &format!("/v1/opportunities/{opportunity}/interests"),
                app.officer(),
                &json!({"engagementModel": model, "partyId": party}),
            )
            .await
            .json()
            .await
            .unwrap();
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    transition(&app, &ids[0], app.officer(), "screening", None).await;
    transition(
        &app,
        &ids[0],
        app.officer(),
        "negotiation",
        Some("G2G track"),
    )
    .await;
    transition(&app, &ids[1], app.officer(), "screening", None).await;
    transition(&app, &ids[1], app.officer(), "withdrawn", None).await;

    let stats: Value = app
        .get("/v1/stats/pipeline", app.officer())
        .await
        .json()
        .await
        .unwrap();
    let by_stage = |stage: &str| {
        stats["byStage"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == stage)
            .unwrap()["count"]
            .clone()
    };
    assert_eq!(by_stage("expressed"), 2);
    assert_eq!(by_stage("negotiation"), 1);
    assert_eq!(by_stage("withdrawn"), 1);
    assert_eq!(by_stage("screening"), 0);
    assert_eq!(stats["byStage"].as_array().unwrap().len(), 13);
    assert_eq!(
        stats["byEngagementModel"],
        json!([{"code": "b2b", "count": 1}, {"code": "g2g", "count": 1}, {"code": "ppp", "count": 2}])
    );
    let conversion = &stats["conversion"][0];
    assert_eq!(
        (
            conversion["from"].clone(),
            conversion["reached"].clone(),
            conversion["advanced"].clone()
        ),
        (json!("expressed"), json!(4), json!(2))
    );
    assert_eq!(conversion["rate"], 0.5);
    let to_engaged = &stats["conversion"][1];
    assert_eq!(
        (
            to_engaged["reached"].clone(),
            to_engaged["advanced"].clone()
        ),
        (json!(2), json!(1))
    );
    let medians: Vec<&str> = stats["medianDaysInStage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["stage"].as_str().unwrap())
        .collect();
    assert_eq!(medians, ["expressed", "screening"]);
    let per_opportunity: Vec<i64> = stats["byOpportunity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["count"].as_i64().unwrap())
        .collect();
    assert_eq!(per_opportunity, [2, 2]);

    let catalogue: Value = app
        .get("/v1/stats/opportunities", As::Anonymous)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(catalogue["published"], 2);
    assert_eq!(
        catalogue["bySector"],
        json!([{"code": "cultureSportsAndRecreation", "count": 1}, {"code": "transport", "count": 1}, {"code": "transport.road", "count": 1}])
    );
    assert_eq!(
        catalogue["byHostCountry"],
        json!([{"code": "PK", "count": 2}])
    );
    assert_eq!(
        catalogue["byEngagementModel"],
        json!([{"code": "b2b", "count": 1}, {"code": "g2g", "count": 1}, {"code": "ppp", "count": 2}])
    );
    assert_eq!(
        catalogue["investmentSought"],
        json!([{"amount": "3400000000.00", "currency": "PKR"}, {"amount": "1225000000.00", "currency": "USD"}])
    );
}

#[actix_web::test]
async fn an_investor_cannot_make_another_party_its_co_investor() {
    let app = spawn_app().await;
    let opportunity = m6(&app).await;
    let (lead, _) = app.investor("Government of Azerbaijan", "AZ").await;
    let (partner, partner_party) = app.investor("Demo Construction A.Ş. (demo)", "TR").await;
    let refused = problem(
        app.post(
            &format!("/v1/opportunities/{opportunity}/interests"),
            As::Key(&lead),
            &json!({"engagementModel": "g2g", "coInvestorIds": [partner_party]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(refused["errors"][0]["pointer"], "/coInvestorIds");
    // Nothing was recorded: the named party sees no interest, and the lead none either.
    for key in [&partner, &lead] {
        let page: Value = app
            .get("/v1/interests?includeTotal=true", As::Key(key))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["totalCount"], 0);
    }
}

#[actix_web::test]
async fn an_opportunity_filter_matching_nothing_is_an_empty_page_but_a_path_to_nothing_is_a_404() {
    let app = spawn_app().await;
    let opportunity = m6(&app).await;
    let (key, _) = app.investor("Government of Azerbaijan", "AZ").await;
    express(&app, &opportunity, &key).await;
    let unknown = "opp_01jd8x3v5ffd2b6jq4w5k9h8zq";
    for who in [app.officer(), As::Key(&key)] {
        let filtered = app
            .get(&format!("/v1/interests?opportunityId={unknown}"), who)
            .await;
        assert_eq!(filtered.status(), 200);
        let page: Value = filtered.json().await.unwrap();
        assert_eq!(page["items"], json!([]));
        let known = app
            .get(&format!("/v1/interests?opportunityId={opportunity}"), who)
            .await;
        let page: Value = known.json().await.unwrap();
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        let nested = app
            .get(&format!("/v1/opportunities/{unknown}/interests"), who)
            .await;
        problem(nested, 404).await;
    }
}

async fn correct(
    app: &TestApp,
    interest: &str,
    who: As<'_>,
    to: &str,
    reason: Option<&str>,
) -> reqwest::Response {
    let mut body = json!({"to": to, "correction": true});
    if let Some(reason) = reason {
        body["reason"] = json!(reason);
    }
    app.post(&format!("/v1/interests/{interest}/transitions"), who, &body)
        .await
}

/// Mistakes are not final: an officer corrects a slipped move with a reason, from any stage; the
/// correction sits in the timeline beside the mistake, the feed says so, and the pipeline figures
/// no longer count the stage the mistake reached.
#[actix_web::test]
async fn an_officer_corrects_a_mistaken_move_and_the_timeline_keeps_both() {
    let app = spawn_app().await;
    let opportunity = m6(&app).await;
    let (investor, _) = app.investor("Government of Azerbaijan", "AZ").await;
    let id = express(&app, &opportunity, &investor).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for stage in ["screening", "engaged"] {
        assert_eq!(
            transition(&app, &id, app.officer(), stage, None)
                .await
                .status(),
            200
        );
    }
    // The slip: engaged → financialClose, which now at least needs a reason.
    let slip = transition(&app, &id, app.officer(), "financialClose", Some("closed")).await;
    assert_eq!(slip.status(), 200);
    // Without a correction nothing leaves financialClose.
    problem(
        transition(&app, &id, app.officer(), "engaged", Some("oops")).await,
        409,
    )
    .await;
    // A correction needs a reason, an officer, and a real destination.
    let body = problem(
        correct(&app, &id, app.officer(), "engaged", None).await,
        422,
    )
    .await;
    assert_eq!(pointers(&body), ["/reason"]);
    problem(
        correct(&app, &id, As::Key(&investor), "engaged", Some("mine")).await,
        403,
    )
    .await;
    problem(
        correct(&app, &id, app.officer(), "onHold", Some("hold")).await,
        409,
    )
    .await;
    problem(
        correct(&app, &id, app.officer(), "financialClose", Some("same")).await,
        409,
    )
    .await;
    let corrected = correct(
        &app,
        &id,
        app.officer(),
        "engaged",
        Some("Clicked the wrong stage"),
    )
    .await;
    assert_eq!(corrected.status(), 200);
    let corrected: Value = corrected.json().await.unwrap();
    assert_eq!(corrected["stage"], "engaged");

    let timeline: Value = app
        .get(&format!("/v1/interests/{id}/events"), app.officer())
        .await
        .json()
        .await
        .unwrap();
    let moves: Vec<(String, String, bool)> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "interest.stageChanged")
        .map(|e| {
            (
                e["from"].as_str().unwrap().to_owned(),
                e["to"].as_str().unwrap().to_owned(),
                e["details"]["correction"] == true,
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            ("expressed".into(), "screening".into(), false),
            ("screening".into(), "engaged".into(), false),
            ("engaged".into(), "financialClose".into(), false),
            ("financialClose".into(), "engaged".into(), true),
        ]
    );
    let feed: Value = app
        .get("/v1/events?type=interest.stageChanged", app.officer())
        .await
        .json()
        .await
        .unwrap();
    let last = feed["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["data"]["correction"], true, "{last}");
    assert_eq!(last["data"]["reason"], "Clicked the wrong stage");

    // The figures no longer count the mistaken financial close as reached.
    let stats: Value = app
        .get("/v1/stats/pipeline", app.officer())
        .await
        .json()
        .await
        .unwrap();
    let reached = |stage: &str| {
        stats["conversion"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["from"] == stage)
            .map(|c| c["reached"].as_i64().unwrap())
            .unwrap_or(0)
    };
    assert_eq!(reached("engaged"), 1);
    assert_eq!(reached("dueDiligence"), 0, "{stats}");
    // And the interest goes on from where it should be.
    assert_eq!(
        transition(&app, &id, app.officer(), "dueDiligence", None)
            .await
            .status(),
        200
    );
}

/// A rejected or withdrawn interest can be corrected back too, unless the party has meanwhile
/// expressed interest again (one active interest per party and opportunity).
#[actix_web::test]
async fn a_withdrawal_is_corrected_unless_the_party_is_already_back() {
    let app = spawn_app().await;
    let opportunity = m6(&app).await;
    let (investor, _) = app.investor("Government of Azerbaijan", "AZ").await;
    let first = express(&app, &opportunity, &investor).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        transition(&app, &first, As::Key(&investor), "withdrawn", None)
            .await
            .status(),
        200
    );
    // Withdrawn is not a dead end for the party: it may express interest again.
    let second = express(&app, &opportunity, &investor).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(first, second);
    let second_view: Value = app
        .get(&format!("/v1/interests/{second}"), As::Key(&investor))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        second_view["previousInterestId"],
        first.as_str(),
        "the new interest names the earlier one"
    );
    let body = problem(
        correct(
            &app,
            &first,
            app.officer(),
            "screening",
            Some("withdrawn by mistake"),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(body["code"], "duplicateInterest");
    assert_eq!(
        transition(&app, &second, As::Key(&investor), "withdrawn", None)
            .await
            .status(),
        200
    );
    assert_eq!(
        correct(
            &app,
            &first,
            app.officer(),
            "screening",
            Some("withdrawn by mistake")
        )
        .await
        .status(),
        200
    );
}
