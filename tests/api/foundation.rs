//! The service foundation: health, errors as problem+json, request ids, codelists, the OpenAPI
//! document and the docs page.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{As, problem, spawn_app};

#[actix_web::test]
async fn healthz_and_readyz_answer_ok() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let response = app.get(path, As::Anonymous).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ok");
    }
}

#[actix_web::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    let body = problem(app.get("/v1/nothing-here", As::Anonymous).await, 404).await;
    assert_eq!(body["instance"], "/v1/nothing-here");
}

#[actix_web::test]
async fn a_wrong_method_is_a_405_problem_with_allow() {
    let app = spawn_app().await;
    let response = app
        .send(Method::PUT, "/v1/parties", As::Anonymous, Some(&json!({})))
        .await;
    let allow = response
        .headers()
        .get("allow")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(allow, "GET, HEAD, POST");
    problem(response, 405).await;
    let response = app
        .send(
            Method::POST,
            "/v1/opportunities/opp_01jd8x0000000000000000000z",
            As::Anonymous,
            Some(&json!({})),
        )
        .await;
    assert_eq!(
        response.headers().get("allow").unwrap(),
        "DELETE, GET, HEAD, PATCH"
    );
    problem(response, 405).await;
}

#[actix_web::test]
async fn malformed_json_is_a_400_problem() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/v1/parties"))
        .bearer_auth(&app.officer)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    let body = problem(response, 400).await;
    assert!(body["detail"].as_str().unwrap().contains("not valid JSON"));
}

#[actix_web::test]
async fn a_body_that_is_not_json_is_a_415_problem() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/v1/parties"))
        .bearer_auth(&app.officer)
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .unwrap();
    problem(response, 415).await;
    let response = app
        .client
        .post(app.url("/v1/parties"))
        .bearer_auth(&app.officer)
        .body("{}")
        .send()
        .await
        .unwrap();
    problem(response, 415).await;
}

#[actix_web::test]
async fn a_body_over_64_kib_is_a_413_problem_and_changes_nothing() {
    let app = spawn_app().await;
    let body = json!({"name": "x".repeat(70 * 1024), "kind": "company", "country": "PK"});
    problem(app.post("/v1/parties", app.officer(), &body).await, 413).await;
    let list: Value = app
        .get("/v1/parties?includeTotal=true", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["totalCount"], 0);
}

#[actix_web::test]
async fn bad_query_parameters_are_400_problems() {
    let app = spawn_app().await;
    for path in [
        "/v1/opportunities?limit=0",
        "/v1/opportunities?limit=101",
        "/v1/opportunities?limit=ten",
        "/v1/opportunities?colour=blue",
        "/v1/opportunities?sector=transportation",
        "/v1/opportunities?sort=price",
        "/v1/opportunities?cursor=garbage",
        "/v1/opportunities?minInvestment=5",
        "/v1/opportunities?eoiDeadlineBefore=2027-02-30",
        "/v1/opportunities?api_key=idk_abc",
        "/v1/opportunities?updatedSince=",
        "/healthz?verbose=1",
    ] {
        problem(app.get(path, As::Anonymous).await, 400).await;
    }
}

#[actix_web::test]
async fn an_id_of_the_wrong_kind_or_shape_is_a_404_problem() {
    let app = spawn_app().await;
    let party = app
        .create_party("Board of Investment", "governmentAgency", "PK")
        .await;
    problem(
        app.get(&format!("/v1/opportunities/{party}"), As::Anonymous)
            .await,
        404,
    )
    .await;
    problem(
        app.get("/v1/opportunities/not-an-id", As::Anonymous).await,
        404,
    )
    .await;
    problem(
        app.get(
            "/v1/opportunities/opp_01jd8x0000000000000000000z",
            As::Anonymous,
        )
        .await,
        404,
    )
    .await;
}

#[actix_web::test]
async fn request_ids_are_echoed_or_generated() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers().get("x-request-id").unwrap(), "trace-123");
    let response = app
        .client
        .get(app.url("/nope"))
        .header("x-request-id", "bad id\twith tab")
        .send()
        .await
        .unwrap();
    let generated = response
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(generated, "bad id\twith tab");
    // A request id that could forge log lines is refused, answered under an id of the server's.
    let body = problem(response, 400).await;
    assert_eq!(body["requestId"], generated);
    assert!(body["detail"].as_str().unwrap().contains("X-Request-Id"));
}

#[actix_web::test]
async fn codelists_list_every_code_with_a_title() {
    let app = spawn_app().await;
    let index: Value = app
        .get("/v1/codelists", As::Anonymous)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = index["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for name in [
        "projectSector",
        "projectType",
        "projectStatus",
        "documentType",
        "currency",
        "engagementModel",
        "listingStatus",
        "partyKind",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
        let list: Value = app
            .get(&format!("/v1/codelists/{name}"), As::Anonymous)
            .await
            .json()
            .await
            .unwrap();
        let entries = list.as_array().unwrap();
        assert!(!entries.is_empty(), "{name}");
        assert!(
            entries
                .iter()
                .all(|e| e["code"].is_string() && e["title"].is_string())
        );
    }
    let sectors: Value = app
        .get("/v1/codelists/projectSector", As::Anonymous)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        sectors
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["code"] == "transport.road" && e["title"] == "Road transport")
    );
    problem(app.get("/v1/codelists/colours", As::Anonymous).await, 404).await;
}

#[actix_web::test]
async fn oc4ids_codes_match_the_shared_codelists_when_available() {
    let Ok(dir) = std::env::var("OC4IDS_SCHEMA_DIR") else {
        eprintln!("skipped: OC4IDS_SCHEMA_DIR is not set");
        return;
    };
    let app = spawn_app().await;
    for name in [
        "projectSector",
        "projectType",
        "projectStatus",
        "documentType",
    ] {
        let text = std::fs::read_to_string(format!("{dir}/codelists/{name}.csv")).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let expected: Vec<String> = reader.records().map(|r| r.unwrap()[0].to_owned()).collect();
        let served: Value = app
            .get(&format!("/v1/codelists/{name}"), As::Anonymous)
            .await
            .json()
            .await
            .unwrap();
        let served: Vec<String> = served
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(served, expected, "{name}");
    }
}

#[actix_web::test]
async fn the_served_openapi_document_is_the_committed_one() {
    let app = spawn_app().await;
    let served: Value = app
        .get("/openapi.json", As::Anonymous)
        .await
        .json()
        .await
        .unwrap();
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string("openapi/openapi.json").unwrap()).unwrap();
    assert!(
        served == committed,
        "openapi/openapi.json is out of date; regenerate it with `cargo run -- openapi > openapi/openapi.json`"
    );
    assert_eq!(served["openapi"], "3.1.0");
}

#[actix_web::test]
async fn every_operation_has_a_tag_an_operation_id_a_description_examples_and_described_responses()
{
    let document: Value = serde_json::from_str(&investdesk::openapi::document_json()).unwrap();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            assert!(operation["operationId"].is_string(), "{method} {path}");
            assert!(
                operation["tags"].as_array().is_some_and(|t| t.len() == 1),
                "{method} {path}"
            );
            for (code, response) in operation["responses"].as_object().unwrap() {
                assert!(
                    response["description"].is_string() || response["$ref"].is_string(),
                    "{method} {path} {code} has no description"
                );
            }
            // What it does, who may call it, its errors: more than the one-line summary.
            let description = operation["description"].as_str().unwrap_or_default();
            assert!(description.len() > 40, "{method} {path} has no description");
            for (media, content) in operation["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                assert!(
                    content["example"].is_object(),
                    "{method} {path} {media} has no example"
                );
            }
        }
    }
    assert_eq!(
        document["info"]["contact"]["name"],
        "InvestDesk API support"
    );
    for tag in document["tags"].as_array().unwrap() {
        assert!(
            tag["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{tag}"
        );
    }
}

#[actix_web::test]
async fn the_docs_page_loads_with_nothing_from_another_host() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirect = client.get(app.url("/docs")).send().await.unwrap();
    assert!(redirect.status().is_redirection());
    assert_eq!(redirect.headers().get("location").unwrap(), "/docs/");
    let page = app.get("/docs/", As::Anonymous).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for asset in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-initializer.js",
    ] {
        assert!(html.contains(asset), "{asset}");
        let response = app.get(&format!("/docs/{asset}"), As::Anonymous).await;
        assert_eq!(response.status(), 200, "{asset}");
        let text = response.text().await.unwrap();
        if asset == "swagger-initializer.js" {
            assert!(text.contains("/openapi.json"));
        }
    }
    let external = regex_lite_find_hosts(&html);
    assert!(external.is_empty(), "the page loads from {external:?}");
}

/// `src=`/`href=` attributes that point at another host.
fn regex_lite_find_hosts(html: &str) -> Vec<String> {
    html.split(['"', '\''])
        .filter(|s| s.starts_with("http://") || s.starts_with("https://") || s.starts_with("//"))
        .map(str::to_owned)
        .collect()
}

#[actix_web::test]
async fn documented_enums_list_exactly_the_codes_the_api_accepts() {
    let app = spawn_app().await;
    let document: Value = serde_json::from_str(&investdesk::openapi::document_json()).unwrap();
    for (schema, list) in [
        ("EngagementModel", "engagementModel"),
        ("ListingStatus", "listingStatus"),
        ("PartyKind", "partyKind"),
        ("PppModel", "pppModel"),
        ("Role", "role"),
        ("Stage", "stage"),
        ("SectorCode", "projectSector"),
        ("ProjectStatus", "projectStatus"),
        ("CountryCode", "country"),
        ("CurrencyCode", "currency"),
    ] {
        let documented = document["components"]["schemas"][schema]["enum"].clone();
        let served: Value = app
            .get(&format!("/v1/codelists/{list}"), As::Anonymous)
            .await
            .json()
            .await
            .unwrap();
        let codes: Vec<Value> = served
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].clone())
            .collect();
        assert_eq!(documented, Value::Array(codes), "{schema}");
    }
}

#[actix_web::test]
async fn without_its_database_the_service_answers_503_with_retry_after_within_the_pool_timeout() {
    let app = crate::helpers::spawn_app_with(|s| s.database.db_acquire_timeout_ms = 500).await;
    assert_eq!(app.get("/readyz", As::Anonymous).await.status(), 200);
    if !app.db.drop_now() {
        eprintln!("skipped: needs PostgreSQL (TEST_DATABASE_URL) to take the database away");
        return;
    }
    for path in ["/readyz", "/v1/opportunities", "/readyz"] {
        let started = std::time::Instant::now();
        let response = app.get(path, As::Anonymous).await;
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{path} hung"
        );
        assert_eq!(
            response.headers().get("retry-after").unwrap(),
            "2",
            "{path}"
        );
        let body = problem(response, 503).await;
        assert!(
            !body["detail"].as_str().unwrap().contains("postgres"),
            "no internals: {body}"
        );
    }
    assert_eq!(
        app.get("/healthz", As::Anonymous).await.status(),
        200,
        "the process itself is up"
    );
}

/// The document declares exactly the query parameters each GET reads: any other is a 400 naming
/// it (so a client never believes a filter applied when it did not), on every route, probes too.
#[actix_web::test]
async fn every_get_refuses_a_parameter_its_operation_does_not_declare() {
    let app = spawn_app().await;
    let document = investdesk::openapi::document();
    let mut checked = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        let Some(operation) = item.get("get") else {
            continue;
        };
        let declared: Vec<&str> = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["name"].as_str())
            .collect();
        // What the issue found ignored or refused while declared: each must be undeclared now
        // and refused, along with a name no route takes.
        let mut undeclared = vec!["bogus"];
        if path == "/v1/opportunities/{id}/interests" {
            undeclared.push("opportunityId");
        }
        if path.ends_with(".csv") {
            undeclared.extend(["limit", "cursor", "includeTotal"]);
        }
        if path.starts_with("/v1/stats/") {
            undeclared.extend(["sector", "hostCountry"]);
        }
        let concrete = path
            .replace("{id}", "opp_01jc0000000000000000000000")
            .replace("{name}", "currency");
        for name in undeclared {
            assert!(!declared.contains(&name), "{path} declares {name}");
            let value = if name == "includeTotal" { "true" } else { "1" };
            let response = app
                .get(&format!("{concrete}?{name}={value}"), app.admin())
                .await;
            let body = problem(response, 400).await;
            assert!(
                body["detail"].as_str().unwrap().contains(name),
                "{path}?{name}: {body}"
            );
            checked.push(format!("{path}?{name}"));
        }
    }
    assert!(checked.len() > 25, "{checked:?}");
}
