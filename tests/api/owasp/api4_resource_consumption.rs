//! API4 unrestricted resource consumption: every string and array a client sends is bounded by
//! the document, and the server enforces each bound; bodies, nesting and pages are capped.
//! (Rate limits and slow clients: `limits`.)

use serde_json::{Value, json};

use super::World;
use crate::helpers::{As, pointers, problem, spawn_app};

/// Every unbounded string or array in a request body, as "METHOD path pointer".
fn unbounded(document: &Value) -> Vec<String> {
    fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
        match schema["$ref"].as_str() {
            Some(r) => resolve(
                document,
                &document["components"]["schemas"][r.rsplit('/').next().unwrap()],
            ),
            None => schema,
        }
    }
    fn walk(document: &Value, schema: &Value, at: String, out: &mut Vec<String>) {
        let schema = resolve(document, schema);
        for key in ["allOf", "anyOf", "oneOf"] {
            for part in schema[key].as_array().into_iter().flatten() {
                walk(document, part, at.clone(), out);
            }
        }
        let kind = match &schema["type"] {
            Value::Array(kinds) => kinds
                .iter()
                .find(|k| *k != "null")
                .cloned()
                .unwrap_or(Value::Null),
            kind => kind.clone(),
        };
        match kind.as_str() {
            Some("object") => {
                for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                    walk(document, property, format!("{at}/{name}"), out);
                }
            }
            Some("array") => {
                if schema.get("maxItems").is_none() {
                    out.push(format!("{at} (array without maxItems)"));
                }
                walk(document, &schema["items"], format!("{at}/*"), out);
            }
            Some("string")
                if ["maxLength", "enum", "format", "pattern"]
                    .iter()
                    .all(|k| schema.get(k).is_none()) =>
            {
                out.push(format!("{at} (string without maxLength)"));
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (_, content) in operation["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                walk(
                    document,
                    &content["schema"],
                    format!("{method} {path} "),
                    &mut out,
                );
            }
        }
    }
    out
}

#[actix_web::test]
async fn every_string_and_array_a_client_sends_is_bounded_and_the_bounds_are_enforced() {
    let world = World::build().await;
    let app = &world.app;
    let document: Value = app
        .get("/openapi.json", As::Anonymous)
        .await
        .json()
        .await
        .unwrap();
    let loose = unbounded(&document);
    assert!(loose.is_empty(), "unbounded input:\n{}", loose.join("\n"));

    // Each create's bounded strings and arrays, one past the bound: refused, nothing created.
    let creates: Vec<(&str, &str, Value)> = vec![
        (
            "/v1/parties",
            "PartyInput",
            json!({"name": "Gulf Partners", "kind": "company", "country": "AE"}),
        ),
        (
            "/v1/people",
            "PersonInput",
            json!({"partyId": world.a_party, "name": "Aysel"}),
        ),
        (
            "/v1/initiatives",
            "InitiativeInput",
            json!({"name": "Corridor II"}),
        ),
        (
            "/v1/opportunities",
            "OpportunityInput",
            app.m6(&world.authority, &world.focal),
        ),
    ];
    let mut refused = 0;
    for (path, schema, base) in creates {
        let before: Value = app
            .get(&format!("{path}?includeTotal=true"), app.officer())
            .await
            .json()
            .await
            .unwrap();
        for (name, property) in document["components"]["schemas"][schema]["properties"]
            .as_object()
            .unwrap()
        {
            let property = property["anyOf"].get(0).unwrap_or(property);
            let over = if let Some(max) = property["maxLength"].as_u64() {
                json!("x".repeat(max as usize + 1))
            } else if let Some(max) = property["maxItems"].as_u64() {
                // Copies of a valid item where the base has one, else of a plain string.
                let item = base[name].get(0).cloned().unwrap_or(json!("x"));
                json!(vec![item; max as usize + 1])
            } else {
                continue;
            };
            let mut body = base.clone();
            body[name] = over;
            let response = app.post(path, app.officer(), &body).await;
            let status = response.status().as_u16();
            if status == 413 {
                // The bound times the item's size exceeds the 64 KiB body limit: also refused.
                refused += 1;
                continue;
            }
            let answer = problem(response, 422).await;
            assert!(
                pointers(&answer)
                    .iter()
                    .any(|p| p.starts_with(&format!("/{name}"))),
                "{path} {name}: {answer}"
            );
            refused += 1;
        }
        let after: Value = app
            .get(&format!("{path}?includeTotal=true"), app.officer())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(before["totalCount"], after["totalCount"], "{path}");
    }
    report!(
        "owasp API4: 0 unbounded inputs in the document; {refused} over-bound values refused, 0 rows created"
    );
}

#[actix_web::test]
async fn bodies_nesting_pages_and_imports_are_capped() {
    let app = spawn_app().await;
    let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
    let response = app
        .client
        .post(app.url("/v1/parties"))
        .bearer_auth(&app.officer)
        .header("content-type", "application/json")
        .body(format!("{{\"name\": {deep}}}"))
        .send()
        .await
        .unwrap();
    problem(response, 400).await;
    let huge = json!({"name": "x".repeat(70 * 1024), "kind": "company", "country": "AE"});
    problem(app.post("/v1/parties", app.officer(), &huge).await, 413).await;
    for limit in ["101", "1000000", "-1", "0"] {
        problem(
            app.get(&format!("/v1/opportunities?limit={limit}"), As::Anonymous)
                .await,
            400,
        )
        .await;
    }
    let projects: Vec<Value> = (0..1001).map(|n| json!({"id": format!("p{n}")})).collect();
    let answer = problem(
        app.post(
            "/v1/imports/oc4ids",
            app.officer(),
            &json!({"projects": projects}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&answer), ["/projects"]);
}

/// A 60 KB query of empty parameters gets a short answer: the problem lists at most 50 of them,
/// each named at most 200 characters long.
#[actix_web::test]
async fn a_huge_query_gets_a_short_answer() {
    let app = spawn_app().await;
    let query: String = (0..6000).map(|i| format!("param{i}=&")).collect();
    let answer = app
        .get(&format!("/v1/parties?{query}"), app.officer())
        .await;
    let body = problem(answer, 400).await;
    let text = body.to_string();
    report!(
        "owasp API4: a {} byte query of empty parameters: a {} byte answer listing {} of them",
        query.len(),
        text.len(),
        body["errors"].as_array().unwrap().len()
    );
    assert!(text.len() < 16_000, "{} bytes", text.len());
    assert_eq!(body["errors"].as_array().unwrap().len(), 50);
    let long = format!("/v1/parties?{}=1", "x".repeat(50_000));
    let text = problem(app.get(&long, app.officer()).await, 400)
        .await
        .to_string();
    assert!(text.len() < 4_000, "{} bytes", text.len());
}
