//! Hostile input in every field of every create and patch: injection fragments, homoglyphs,
//! bidirectional overrides, control characters, wrong types, huge and fractional numbers,
//! impossible dates and unknown codes. Each answer is a 4xx problem that changes nothing, or a
//! success that stored the text verbatim; never a 500. The fields come from the document.

use reqwest::Method;
use serde_json::{Value, json};

use std::time::Duration;

use crate::helpers::{As, TestApp, cursor_key, problem, raw, spawn_app, urlencoding};

/// Text that must be refused (control characters) or stored exactly as sent.
const TEXT: [&str; 20] = [
    "'; DROP TABLE opportunities; --",
    "\" OR \"1\"=\"1",
    "1; SELECT pg_sleep(10)",
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}} ${7*7} #{7*7}",
    "${jndi:ldap://127.0.0.1/x}",
    "Аpple Моторway",
    "\u{202E}lanruoj\u{202C} RTL override",
    "مشروع الطريق السريع",
    "𝕳𝖎𝖌𝖍𝖜𝖆𝖞 🏗️🇵🇰",
    "Z̸̢̛a̴l̷g̵o̶",
    "\u{FEFF}zero\u{200B}width\u{200D}joiner",
    "../../../../etc/passwd",
    "%00%0d%0aSet-Cookie: x=1",
    "\\u0000 \\x00 literal escapes",
    "line one\nline two\ttabbed",
    "a\u{0000}b",
    "bell\u{0007}",
    "escape\u{001B}[31m",
];

/// What a field of each kind is sent, besides text.
fn others(kind: &Kind) -> Vec<Raw> {
    let raw = |s: &str| Raw::Text(s.to_owned());
    let value = Raw::Value;
    let mut wrong_types = vec![
        value(json!(12345)),
        value(json!(true)),
        value(json!({})),
        value(json!([])),
    ];
    match kind {
        Kind::Text => wrong_types,
        Kind::Code => {
            wrong_types.extend([
                value(json!("notACode")),
                value(json!("")),
                value(json!("G2G ")),
                value(json!("DROP TABLE")),
            ]);
            wrong_types
        }
        Kind::Date => {
            wrong_types.extend(
                [
                    "2027-02-30",
                    "2027-13-01",
                    "27-06-30",
                    "yesterday",
                    "2027-06-30T25:00:00Z",
                    "+275760-09-13",
                    "0000-00-00",
                ]
                .map(|d| value(json!(d))),
            );
            wrong_types
        }
        Kind::Number => vec![
            raw("1e400"),
            raw("-1e400"),
            raw("9223372036854775808"),
            raw("-9223372036854775809"),
            raw("123456789012345678901234567890"),
            value(json!(-1)),
            value(json!(0.5)),
            value(json!("12")),
            value(json!(true)),
            value(json!([])),
        ],
        Kind::Money => [
            "-5",
            "-0.01",
            "1.005",
            "0.001",
            "1e10",
            "NaN",
            "Infinity",
            "99999999999999999999999999999",
            " 1",
            "1,000",
            "",
        ]
        .iter()
        .map(|a| value(json!({"amount": a, "currency": "USD"})))
        .chain([
            value(json!({"amount": 5, "currency": "USD"})),
            value(json!({"amount": "1", "currency": "XXX"})),
            value(json!({"amount": "1", "currency": "usd"})),
            value(json!({"amount": "1"})),
            value(json!("1000 USD")),
        ])
        .collect(),
        Kind::List => vec![
            value(json!("notAList")),
            value(json!([null])),
            value(json!([{}])),
            value(json!([[]])),
        ],
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Text,
    Code,
    Date,
    Number,
    Money,
    List,
}

/// A value to put in a field: JSON, or raw JSON text (for numbers JSON values cannot hold).
#[derive(Debug, Clone)]
enum Raw {
    Value(Value),
    Text(String),
}

fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(r) = schema["$ref"].as_str() {
        return resolve(
            document,
            &document["components"]["schemas"][r.rsplit('/').next().unwrap()],
        );
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(branch) = schema[key]
            .as_array()
            .and_then(|b| b.iter().find(|s| s["type"] != "null"))
        {
            return resolve(document, branch);
        }
    }
    schema
}

/// The fields of `schema` as JSON pointers into `base`, with their kinds (nested objects and the
/// first item of arrays of objects the base has).
fn fields(document: &Value, schema: &Value, base: &Value, at: &str, out: &mut Vec<(String, Kind)>) {
    let schema = resolve(document, schema);
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        let pointer = format!("{at}/{name}");
        let property = resolve(document, property);
        let kind_of = |t: &str| {
            property["type"] == t
                || property["type"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == t))
        };
        let kind = if property["enum"].is_array() {
            Kind::Code
        } else if property["properties"]["amount"].is_object()
            && property["properties"]["currency"].is_object()
        {
            Kind::Money
        } else if kind_of("object") {
            fields(document, property, base, &pointer, out);
            continue;
        } else if kind_of("array") {
            let items = resolve(document, &property["items"]);
            if items["properties"].is_object() && base.pointer(&format!("{pointer}/0")).is_some() {
                fields(document, items, base, &format!("{pointer}/0"), out);
            }
            Kind::List
        } else if kind_of("integer") || kind_of("number") {
            Kind::Number
        } else if property["format"] == "date" {
            Kind::Date
        } else if kind_of("string") {
            Kind::Text
        } else {
            continue;
        };
        out.push((pointer, kind));
    }
}

/// `base` with `value` at `pointer` (creating parent objects), as request text.
fn with(base: &Value, pointer: &str, value: &Raw) -> String {
    const MARK: &str = "__hostile_raw_value__";
    let mut body = base.clone();
    let mut node = &mut body;
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i == parts.len() - 1;
        let next = if let Ok(index) = part.parse::<usize>() {
            &mut node[index]
        } else {
            if !node.is_object() {
                *node = json!({});
            }
            node.as_object_mut()
                .unwrap()
                .entry(part.to_string())
                .or_insert(Value::Null)
        };
        if last {
            *next = match value {
                Raw::Value(v) => v.clone(),
                Raw::Text(_) => json!(MARK),
            };
        }
        node = next;
    }
    let text = body.to_string();
    match value {
        Raw::Value(_) => text,
        Raw::Text(raw) => text.replace(&format!("\"{MARK}\""), raw),
    }
}

async fn count(app: &TestApp, collection: &str) -> i64 {
    let path = format!("{collection}?includeTotal=true&limit=1");
    let page: Value = app.get(&path, app.officer()).await.json().await.unwrap();
    page["totalCount"].as_i64().unwrap()
}

#[derive(Default)]
struct Figures {
    tried: usize,
    rejected: usize,
    stored_verbatim: usize,
    accepted_other: Vec<String>,
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    who: As<'_>,
    body: String,
) -> (u16, Value, String) {
    let content_type = if method == Method::PATCH {
        "application/merge-patch+json"
    } else {
        "application/json"
    };
    let mut request = app
        .client
        .request(method, app.url(path))
        .header("content-type", content_type)
        .body(body);
    if let As::Key(key) = who {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let media = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        media,
    )
}

/// Tries the corpus on each field of one resource, by create and by patch.
async fn attack(app: &TestApp, collection: &str, schema: &str, base: Value, figures: &mut Figures) {
    let document: Value = app
        .get("/openapi.json", As::Anonymous)
        .await
        .json()
        .await
        .unwrap();
    let mut targets = Vec::new();
    fields(
        &document,
        &document["components"]["schemas"][schema],
        &base,
        "",
        &mut targets,
    );
    assert!(!targets.is_empty(), "{schema}");
    let existing: Value = app.create(collection, &base).await;
    let item = format!("{collection}/{}", existing["id"].as_str().unwrap());
    for (pointer, kind) in &targets {
        let mut values: Vec<Raw> =
            if matches!(kind, Kind::Text) || matches!(kind, Kind::Date | Kind::Code) {
                TEXT.iter().map(|t| Raw::Value(json!(t))).collect()
            } else {
                Vec::new()
            };
        values.extend(others(kind));
        for value in values {
            for method in [Method::POST, Method::PATCH] {
                figures.tried += 1;
                let (path, body) = if method == Method::POST {
                    (collection.to_owned(), with(&base, pointer, &value))
                } else {
                    // A patch names only the top-level field; nested ones keep their siblings.
                    let top = pointer.split('/').nth(1).unwrap();
                    let mut reduced = json!({});
                    if let Some(current) = base.get(top) {
                        reduced[top] = current.clone();
                    }
                    let patch = with(&reduced, pointer, &value);
                    (item.clone(), patch)
                };
                let before_count = count(app, collection).await;
                let before = app.get(&item, app.officer()).await.text().await.unwrap();
                let (status, answer, media) =
                    send(app, method.clone(), &path, app.officer(), body.clone()).await;
                assert!(
                    status < 500,
                    "{method} {path} {pointer} = {value:?}: {status} {answer}"
                );
                if (400..500).contains(&status) {
                    assert_eq!(
                        media, "application/problem+json",
                        "{method} {path} {pointer}"
                    );
                    assert_eq!(
                        count(app, collection).await,
                        before_count,
                        "a refused create changed the count"
                    );
                    assert_eq!(
                        app.get(&item, app.officer()).await.text().await.unwrap(),
                        before,
                        "a refused patch changed {item}"
                    );
                    figures.rejected += 1;
                    continue;
                }
                // Accepted: text is stored and returned exactly as sent.
                let id = answer["id"].as_str().unwrap();
                let stored: Value = app
                    .get(&format!("{collection}/{id}"), app.officer())
                    .await
                    .json()
                    .await
                    .unwrap();
                if let Raw::Value(Value::String(sent)) = &value
                    && matches!(kind, Kind::Text)
                {
                    assert_eq!(
                        stored.pointer(pointer),
                        Some(&json!(sent)),
                        "{method} {path} {pointer}"
                    );
                    figures.stored_verbatim += 1;
                } else {
                    if *kind == Kind::Money {
                        // Only a merge patch of the amount alone may succeed: it keeps the currency.
                        assert_eq!(method, Method::PATCH, "{pointer} = {value:?} created");
                        assert!(
                            stored
                                .pointer(&format!("{pointer}/currency"))
                                .is_some_and(Value::is_string)
                        );
                    }
                    figures
                        .accepted_other
                        .push(format!("{pointer} = {value:?}"));
                }
            }
        }
    }
}

#[actix_web::test]
async fn hostile_values_in_every_field_are_refused_or_stored_verbatim_never_a_500() {
    let app = spawn_app().await;
    let mut figures = Figures::default();
    let (authority, focal) = app.authority_and_focal_person().await;
    let party = app
        .create_party("Board of Investment", "governmentAgency", "PK")
        .await;
    attack(&app, "/v1/parties", "PartyInput", json!({"name": "Gulf Partners", "kind": "company", "country": "AE", "contactPoint": {"name": "Desk", "email": "desk@gulf.example"}}), &mut figures).await;
    attack(
        &app,
        "/v1/people",
        "PersonInput",
        json!({"partyId": party, "name": "Aysel", "email": "a@boi.gov.pk"}),
        &mut figures,
    )
    .await;
    attack(
        &app,
        "/v1/initiatives",
        "InitiativeInput",
        json!({"name": "Corridor II", "description": "Road and rail"}),
        &mut figures,
    )
    .await;
    let mut m6 = app.m6(&authority, &focal);
    m6["documents"] = json!([{"title": "Feasibility study", "url": "https://nha.gov.pk/m6.pdf", "documentType": "feasibilityStudy"}]);
    attack(
        &app,
        "/v1/opportunities",
        "OpportunityInput",
        m6,
        &mut figures,
    )
    .await;
    report!(
        "hostile input: {} values tried in every field of 4 resources by create and patch: {} refused (4xx, nothing changed), {} stored verbatim, {} other values accepted ({}), 0 x 500",
        figures.tried,
        figures.rejected,
        figures.stored_verbatim,
        figures.accepted_other.len(),
        figures.accepted_other.join("; ")
    );
}

#[actix_web::test]
async fn bodies_that_are_not_utf8_or_not_json_are_refused() {
    let app = spawn_app().await;
    let bodies: [&[u8]; 7] = [
        b"{\"name\": \"\xff\xfe\xfd\", \"kind\": \"company\", \"country\": \"AE\"}",
        b"{\"name\": \"\xc0\xaf\", \"kind\": \"company\", \"country\": \"AE\"}",
        b"\xef\xbb\xbf{\"name\": \"bom\", \"kind\": \"company\", \"country\": \"AE\"}",
        b"{\"name\": \"a\x00b\", \"kind\": \"company\", \"country\": \"AE\"}",
        b"{\"name\": \"x\", \"kind\": \"company\", \"country\": \"AE\", \"name\": \"dup\"",
        b"\x00\x00\x00",
        b"",
    ];
    for body in bodies {
        let response = app
            .client
            .post(app.url("/v1/parties"))
            .bearer_auth(&app.officer)
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(matches!(status, 400 | 422), "{body:?}: {status}");
    }
    let page: Value = app
        .get("/v1/parties?includeTotal=true", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["totalCount"], 0);
}

/// A cursor signed with the service's own key but holding what no page ends at (a NUL, a
/// control character, an id of the wrong kind) is a 400 `invalid cursor`, never a 500.
#[actix_web::test]
async fn a_well_signed_cursor_with_a_nul_is_a_400() {
    use investdesk::api::pagination::{CursorCodec, scope_of};
    use investdesk::domain::page::Position;
    let app = spawn_app().await;
    let codec = CursorCodec::new(cursor_key(&app.db).as_bytes());
    let mut tried = 0;
    for (path, key, id) in [
        ("/v1/parties", "", "pty_01jd8x3v5ffd2b6jq4w5k9h8z\0"),
        ("/v1/parties", "a\0b", "pty_01jd8x3v5ffd2b6jq4w5k9h8zq"),
        (
            "/v1/opportunities",
            "\u{1}",
            "opp_01jd8x3v5ffd2b6jq4w5k9h8zq",
        ),
        ("/v1/opportunities", "", "pty_01jd8x3v5ffd2b6jq4w5k9h8zq"),
        ("/v1/interests", "2026-01-01T00:00:00.000000", "int_\0"),
    ] {
        let query = if path == "/v1/opportunities" {
            "sort=title"
        } else {
            ""
        };
        let scope = scope_of(path, query);
        let cursor = codec.encode(
            &scope,
            &Position {
                key: key.into(),
                id: id.into(),
            },
        );
        let url = format!("{path}?{query}&cursor={}", urlencoding(&cursor));
        let body = problem(app.get(&url, app.officer()).await, 400).await;
        assert_eq!(body["errors"][0]["detail"], "invalid cursor", "{url}");
        tried += 1;
    }
    report!("forged, well-signed cursors tried: {tried}, answered 400: {tried}");
}

/// A JSON object naming a member twice is a 400 (readers disagree on which one counts), and a
/// JSON array where an object belongs is a 422; neither writes anything.
#[actix_web::test]
async fn bodies_naming_a_member_twice_or_holding_an_array_are_refused() {
    let app = spawn_app().await;
    let key = app.officer.clone();
    let post = |body: &str| {
        format!(
            "POST /v1/parties HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let status = |text: &str| text.split(' ').nth(1).unwrap_or("").to_owned();
    let mut refused = 0;
    for (body, expected) in [
        (
            r#"{"name":"A","name":"B","kind":"company","country":"PK"}"#,
            "400",
        ),
        (
            r#"{"name":"A","kind":"company","country":"PK","identifier":{"id":"1","id":"2","scheme":"x"}}"#,
            "400",
        ),
        ("[1,2]", "422"),
        (r#"[{"name":"A","kind":"company","country":"PK"}]"#, "422"),
    ] {
        let (answer, _) = raw(&app, post(body).as_bytes(), Duration::from_secs(5)).await;
        assert_eq!(status(&answer), expected, "{body}: {answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
        refused += 1;
    }
    let page: Value = app
        .get("/v1/parties?includeTotal=true", app.officer())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["totalCount"], 0);
    report!(
        "hostile: {refused} bodies with a member named twice or an array for an object refused, 0 written"
    );
}

/// The bounds the document states on query strings and conditional headers, enforced: each
/// refusal a 400 naming the parameter, where the same request within the bounds is a 200.
#[actix_web::test]
async fn query_strings_and_conditions_beyond_their_stated_bounds_are_refused() {
    let app = spawn_app().await;
    let document = investdesk::openapi::document();
    let parameters = document["paths"]["/v1/opportunities"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .clone();
    let sector = parameters.iter().find(|p| p["name"] == "sector").unwrap();
    let repeats = sector["schema"]["maxItems"].as_u64().unwrap() as usize;
    let q = parameters.iter().find(|p| p["name"] == "q").unwrap();
    let longest = q["schema"]["maxLength"].as_u64().unwrap() as usize;
    let status = |path: String| {
        let app = &app;
        async move { app.get(&path, As::Anonymous).await }
    };

    let within = vec!["sector=transport"; repeats].join("&");
    assert_eq!(
        status(format!("/v1/opportunities?{within}")).await.status(),
        200
    );
    let beyond = vec!["sector=transport"; repeats + 1].join("&");
    let body = problem(status(format!("/v1/opportunities?{beyond}")).await, 400).await;
    assert_eq!(body["errors"][0]["pointer"], "sector", "{body}");
    let twice_2000 = vec!["sector=transport"; 2000].join("&");
    problem(status(format!("/v1/opportunities?{twice_2000}")).await, 400).await;

    let long = "a".repeat(longest);
    assert_eq!(
        status(format!("/v1/opportunities?q={long}")).await.status(),
        200
    );
    let body = problem(status(format!("/v1/opportunities?q={long}a")).await, 400).await;
    assert_eq!(body["errors"][0]["pointer"], "q", "{body}");

    // The document's pattern on query text, enforced as in bodies.
    let pattern = q["schema"]["pattern"].as_str().unwrap();
    assert!(pattern.contains("\\u0000"), "{pattern}");
    for control in ["%00", "%07", "%1B", "%7F", "%C2%85"] {
        let body = problem(
            status(format!("/v1/opportunities?q=a{control}b")).await,
            400,
        )
        .await;
        assert_eq!(body["errors"][0]["pointer"], "q", "{control}: {body}");
    }
    assert_eq!(
        status("/v1/opportunities?q=a%09b".into()).await.status(),
        200
    );

    // If-None-Match over its stated length.
    let condition = document["paths"]["/v1/opportunities/{id}"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "If-None-Match")
        .unwrap()["schema"]["maxLength"]
        .as_u64()
        .unwrap() as usize;
    let tags = vec!["\"v1\""; condition / 5 + 2].join(",");
    assert!(tags.len() > condition);
    let response = app
        .client
        .get(app.url("/v1/opportunities/opp_01jc0000000000000000000000"))
        .header("if-none-match", tags)
        .send()
        .await
        .unwrap();
    problem(response, 400).await;
}

/// A request id that could forge a log line, or is longer than the document allows, is refused.
#[actix_web::test]
async fn request_ids_outside_the_stated_shape_are_refused() {
    let app = spawn_app().await;
    for (id, status) in [
        ("trace-0042", 200),
        ("a:b.c_d-e", 200),
        (&*"x".repeat(128), 200),
        (&*"x".repeat(129), 400),
        ("two words", 400),
        ("caf\u{e9}", 400),
    ] {
        let response = app
            .client
            .get(app.url("/v1/codelists"))
            .header("x-request-id", id)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{id:?}");
    }
}
