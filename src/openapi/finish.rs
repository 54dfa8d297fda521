//! Rules stated once for the whole document, applied to its JSON after utoipa has built it:
//! what holds for every operation or every schema of a kind, so no handler repeats it.

use serde_json::{Map, Value, json};

use crate::api::etag;
use crate::request::{MAX_CONDITION, MAX_PAGE, MAX_QUERY_REPEATS, MAX_QUERY_VALUE};

/// The longest request id the server accepts or makes (see `handlers::middleware`).
const MAX_REQUEST_ID: usize = 128;
const REQUEST_ID_PATTERN: &str = "^[A-Za-z0-9._:-]+$";

/// The request line and headers fit in actix's 32 KiB read buffer, so no URL the server echoes
/// (`Link`) is longer.
const MAX_URL: usize = 32 * 1024 + crate::api::pagination::MAX_CURSOR;

/// Applies every rule.
pub fn finish(document: &mut Value) {
    // The API is for integrators outside the agency: no server of it is internal-only.
    document["servers"][0]["x-internal"] = json!(false);
    request_id_parameter(document);
    streams_are_not_paged(document);
    bounded_query_parameters(document);
    response_headers(document);
    plain_text_inputs(document);
    webhooks_section(document);
    audiences(document);
    pages_hold_at_most_a_page(document);
    walk_schemas(document, &mut bound_by_kind);
}

/// Text without control characters other than tab and line breaks: what `api::parse` accepts in
/// every string of a body, and `handlers::extract::Query` in every query value.
const PLAIN_TEXT: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";

/// States [`PLAIN_TEXT`] on every free string a request can carry: in query parameters, and
/// in every schema a request body refers to (directly or through others).
fn plain_text_inputs(document: &mut Value) {
    let mut restrict = |schema: &mut Map<String, Value>| {
        let free = has_type(schema, "string")
            && !["enum", "const", "format", "pattern"]
                .iter()
                .any(|k| schema.contains_key(*k));
        if free {
            schema.insert("pattern".into(), json!(PLAIN_TEXT));
        }
    };
    let mut pending: Vec<String> = Vec::new();
    for (_, _, operation) in operations(document) {
        if let Some(body) = operation.get_mut("requestBody") {
            references(body, &mut pending);
            walk_schemas(body, &mut restrict);
        }
        for parameter in operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if parameter["in"] == "query" {
                walk_schemas(&mut parameter["schema"], &mut restrict);
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = document["components"]["schemas"].get_mut(&name) {
            references(schema, &mut pending);
            walk_schemas(schema, &mut restrict);
        }
    }
}

/// The component schemas `value` refers to.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(target)) = object.get("$ref")
                && let Some(name) = target.strip_prefix("#/components/schemas/")
            {
                found.push(name.to_owned());
            }
            object.values().for_each(|v| references(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

/// The 3.1 `webhooks` section: what a subscriber receives for each event type, and how it is
/// signed (Standard Webhooks). The body's `data` is the same schema as the feed's for that type.
fn webhooks_section(document: &mut Value) {
    use crate::api::event_data::{pascal, payload_schema};
    let header_parameter = |name: &str, description: &str, schema: Value| json!({ "name": name, "in": "header", "required": true, "description": description, "schema": schema });
    let parameters = json!([
        header_parameter(
            "webhook-id",
            "The event's id: the same in every retry of this event, so a receiver can drop duplicates.",
            json!({ "type": "string", "maxLength": 64, "pattern": "^evt_[0-9a-z]{26}$" }),
        ),
        header_parameter(
            "webhook-timestamp",
            "When this attempt was signed, in Unix seconds; refuse one far from your clock to stop replays.",
            json!({ "type": "integer", "format": "int64", "minimum": 0, "maximum": i64::MAX }),
        ),
        header_parameter(
            "webhook-signature",
            "`v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<body>`, keyed with the subscription's `whsec_` secret (base64 after the prefix).",
            json!({ "type": "string", "maxLength": 1024, "pattern": "^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$" }),
        ),
    ]);
    for (kind, title) in crate::domain::events::EVENT_TYPES {
        let Some(payload) = payload_schema(kind) else {
            continue;
        };
        document["webhooks"][*kind] = json!({ "post": {
            "operationId": format!("on{}", pascal(kind)),
            "tags": ["webhooks"],
            "summary": title,
            "description": format!("Sent to every active subscription that asked for `{kind}` and whose owner may see the event, as `POST` with `Content-Type: application/json`, signed per Standard Webhooks. Answer 2xx within 10 seconds; any other answer, or none, is retried with growing delays for 24 hours, after which the subscription's owner gets `webhook.failing`."),
            "parameters": parameters,
            // The signature authenticates the sender; the receiver's URL takes no credentials.
            "security": [],
            "requestBody": {
                "required": true,
                "content": { "application/json": { "schema": {
                    "type": "object",
                    "required": ["type", "timestamp", "data"],
                    "properties": {
                        "type": { "type": "string", "enum": [kind] },
                        "timestamp": { "type": "string", "format": "date-time", "maxLength": 35, "description": "When the event occurred." },
                        "data": { "$ref": format!("#/components/schemas/{payload}") },
                    },
                } } },
            },
            "responses": {
                "2XX": { "description": "Received." },
                "default": { "description": "Not received: the delivery is retried." },
            },
        } });
    }
}

/// Marks each field not everyone may see (`api::audience::RESTRICTED`) with `x-audience`, and
/// each timeline entry type officers alone see, so the document tells an investor's integrator
/// what it will never receive.
fn audiences(document: &mut Value) {
    use crate::api::audience::{RESTRICTED, entry_audience};
    use crate::domain::audience::Audience;
    use crate::domain::interests::EventKind;
    for restricted in RESTRICTED {
        let property = document
            .pointer_mut(&format!(
                "/components/schemas/{}/properties/{}",
                restricted.schema, restricted.field
            ))
            .and_then(Value::as_object_mut);
        if let Some(property) = property {
            property.insert("x-audience".into(), json!(restricted.audience.as_str()));
            if let Some(flag) = restricted.shared_by {
                property.insert("x-audience-shared-by".into(), json!(flag));
            }
        }
    }
    for kind in EventKind::ALL {
        let name = format!("{}Entry", crate::api::event_data::pascal(kind.as_str()));
        let audience = entry_audience(*kind);
        if audience != Audience::Party
            && let Some(entry) = document["components"]["schemas"]
                .get_mut(&name)
                .and_then(Value::as_object_mut)
        {
            entry.insert("x-audience".into(), json!(audience.as_str()));
        }
    }
}

/// Every list page (`…Page`) holds at most [`MAX_PAGE`] items.
fn pages_hold_at_most_a_page(document: &mut Value) {
    let Some(schemas) = document["components"]["schemas"].as_object_mut() else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        if let Some(items) = schema.pointer_mut("/properties/items")
            && name.ends_with("Page")
            && has_type_value(items, "array")
        {
            items["maxItems"] = json!(MAX_PAGE);
        }
    }
}

/// Calls `f` on every schema object of the document (anything with a `type`), but not inside
/// examples, whose values are data rather than schemas.
fn walk_schemas(value: &mut Value, f: &mut impl FnMut(&mut Map<String, Value>)) {
    match value {
        Value::Object(object) => {
            if object.contains_key("type") && !object.contains_key("in") {
                f(object);
            }
            for (key, child) in object.iter_mut() {
                if key != "example" && key != "examples" {
                    walk_schemas(child, f);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                walk_schemas(item, f);
            }
        }
        _ => {}
    }
}

fn has_type(schema: &Map<String, Value>, kind: &str) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == kind,
        Some(Value::Array(ts)) => ts.iter().any(|t| t == kind),
        _ => false,
    }
}

/// Bounds that follow from a schema's kind: a string of a known format is as long as that
/// format allows; an integer lies within its format's range (64 bits unless declared 32).
fn bound_by_kind(schema: &mut Map<String, Value>) {
    let open_string = has_type(schema, "string")
        && !["maxLength", "enum", "const"]
            .iter()
            .any(|k| schema.contains_key(*k));
    if open_string {
        let longest = match schema.get("format").and_then(Value::as_str) {
            // `2026-12-04T17:24:48.123456789+05:30`
            Some("date-time") => Some(35),
            Some("date") => Some(10),
            Some("uuid") => Some(36),
            Some("email") => Some(254),
            _ => None,
        };
        if let Some(longest) = longest {
            schema.insert("maxLength".into(), json!(longest));
        }
    }
    if has_type(schema, "integer") {
        let format = schema
            .entry("format")
            .or_insert_with(|| json!("int64"))
            .as_str()
            .unwrap_or("int64")
            .to_owned();
        let (min, max) = match format.as_str() {
            "int32" => (json!(i32::MIN), json!(i32::MAX)),
            "uint32" => (json!(0), json!(u32::MAX)),
            "uint64" => (json!(0), json!(u64::MAX)),
            _ => (json!(i64::MIN), json!(i64::MAX)),
        };
        if !schema.contains_key("minimum") && !schema.contains_key("exclusiveMinimum") {
            schema.insert("minimum".into(), min);
        }
        if !schema.contains_key("maximum") && !schema.contains_key("exclusiveMaximum") {
            schema.insert("maximum".into(), max);
        }
    }
}

/// The operations of the document, with their path and method.
fn operations(document: &mut Value) -> Vec<(String, String, &mut Map<String, Value>)> {
    let mut found = Vec::new();
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return found;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            if let Some(operation) = operation.as_object_mut()
                && matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete")
            {
                found.push((path.clone(), method.clone(), operation));
            }
        }
    }
    found
}

/// A streamed export (`text/csv`) takes a list's filters and sort but not its paging: the server
/// refuses `limit`, `cursor` and `includeTotal` there (see `services::exchange::csv_export`).
fn streams_are_not_paged(document: &mut Value) {
    for (_, _, operation) in operations(document) {
        let streamed = operation
            .get("responses")
            .and_then(|r| r.pointer("/200/content/text~1csv"))
            .is_some();
        if let (true, Some(parameters)) = (
            streamed,
            operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut),
        ) {
            parameters.retain(|p| {
                !(p["in"] == "query"
                    && matches!(
                        p["name"].as_str(),
                        Some("limit" | "cursor" | "includeTotal")
                    ))
            });
        }
    }
}

/// `X-Request-Id`, which every operation reads: declared once as a component parameter.
fn request_id_parameter(document: &mut Value) {
    let parameter = json!({
        "name": "X-Request-Id",
        "in": "header",
        "required": false,
        "description": "Your id for this request, echoed in the answer's `X-Request-Id`, in a problem's `requestId` and in every log line of the request; without it the server makes one. Any other value is a 400.",
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_REQUEST_ID,
            "pattern": REQUEST_ID_PATTERN,
        },
        "example": "trace-0042",
    });
    document["components"]["parameters"]["RequestId"] = parameter;
    for (_, _, operation) in operations(document) {
        let parameters = operation.entry("parameters").or_insert_with(|| json!([]));
        if let Some(parameters) = parameters.as_array_mut() {
            parameters.push(json!({ "$ref": "#/components/parameters/RequestId" }));
        }
    }
}

/// `If-Match` and `If-None-Match` are at most [`MAX_CONDITION`] bytes. Every query parameter holds a value of 1 to [`MAX_QUERY_VALUE`] characters, repeated at most
/// [`MAX_QUERY_REPEATS`] times (`handlers::extract::Query` enforces both): stated on each one
/// that does not state a tighter bound itself.
fn bounded_query_parameters(document: &mut Value) {
    for (_, _, operation) in operations(document) {
        let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for parameter in parameters.iter_mut() {
            // Conditions are refused over this length by `handlers::middleware`.
            if parameter["in"] == "header"
                && matches!(
                    parameter["name"].as_str(),
                    Some("If-Match" | "If-None-Match")
                )
            {
                parameter["schema"]["maxLength"] = json!(MAX_CONDITION);
            }
            if parameter["in"] != "query" {
                continue;
            }
            let schema = &mut parameter["schema"];
            if has_type_value(schema, "array") {
                if schema.get("maxItems").is_none() {
                    schema["maxItems"] = json!(MAX_QUERY_REPEATS);
                }
                bound_query_value(&mut schema["items"]);
            } else {
                bound_query_value(schema);
            }
        }
    }
}

fn has_type_value(schema: &Value, kind: &str) -> bool {
    schema.as_object().is_some_and(|s| has_type(s, kind))
}

fn bound_query_value(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if !has_type(object, "string") || object.contains_key("enum") {
        return;
    }
    object.entry("minLength").or_insert_with(|| json!(1));
    object
        .entry("maxLength")
        .or_insert_with(|| json!(MAX_QUERY_VALUE));
}

/// A response header of the document.
fn header(description: &str, schema: Value) -> Value {
    json!({ "description": description, "schema": schema })
}

/// The headers answers carry by rule, declared once in `components/headers`: (component name,
/// header name, whether only rate-limited routes send it, declaration).
fn shared_headers() -> Vec<(&'static str, &'static str, bool, Value)> {
    let fixed = |value: &str, description: &str| {
        header(description, json!({ "type": "string", "enum": [value] }))
    };
    vec![
        (
            "RequestId",
            "X-Request-Id",
            false,
            header(
                "The request's id: the client's `X-Request-Id`, or one the server made. Also in a problem's `requestId` and every log line of the request.",
                json!({ "type": "string", "minLength": 1, "maxLength": MAX_REQUEST_ID, "pattern": REQUEST_ID_PATTERN }),
            ),
        ),
        (
            "CacheControl",
            "Cache-Control",
            false,
            header(
                "`no-store` on every answer to a request with a key (what a key may see is not for shared caches); `public, max-age=3600` on codelists.",
                json!({ "type": "string", "maxLength": 64 }),
            ),
        ),
        (
            "AccessControlAllowOrigin",
            "Access-Control-Allow-Origin",
            false,
            header(
                "The request's `Origin`, when it is one of `INVESTDESK_CORS_ORIGINS` (absent otherwise: the browser then withholds the answer).",
                json!({ "type": "string", "format": "uri", "maxLength": 2048 }),
            ),
        ),
        (
            "XContentTypeOptions",
            "X-Content-Type-Options",
            false,
            fixed("nosniff", "Browsers must not guess another content type."),
        ),
        (
            "XFrameOptions",
            "X-Frame-Options",
            false,
            fixed("DENY", "No page may frame an answer."),
        ),
        (
            "ReferrerPolicy",
            "Referrer-Policy",
            false,
            fixed(
                "no-referrer",
                "Links followed from an answer send no referrer.",
            ),
        ),
        (
            "RateLimitPolicy",
            "RateLimit-Policy",
            true,
            header(
                "The budgets this request spent from (IETF httpapi RateLimit draft): `\"address\";q=<requests>;w=<seconds>` for the client's address and, for a request with a key, `\"key\";q=…;w=…` for the key.",
                json!({ "type": "string", "maxLength": 256, "pattern": "^\"[a-z]+\";q=[0-9]+;w=[0-9]+(, \"[a-z]+\";q=[0-9]+;w=[0-9]+)*$", "example": "\"address\";q=200;w=2, \"key\";q=100;w=2" }),
            ),
        ),
        (
            "RateLimit",
            "RateLimit",
            true,
            header(
                "Where the request left each budget: `r` requests remain now, and the budget is whole again in `t` seconds. `r=0` means the next request waits (a 429 says how long in `Retry-After`).",
                json!({ "type": "string", "maxLength": 256, "pattern": "^\"[a-z]+\";r=[0-9]+;t=[0-9]+(, \"[a-z]+\";r=[0-9]+;t=[0-9]+)*$", "example": "\"address\";r=199;t=1, \"key\";r=99;t=1" }),
            ),
        ),
        (
            "IdempotentReplayed",
            "Idempotent-Replayed",
            false,
            header(
                "`true` when this is the kept answer to an earlier request with the same `Idempotency-Key` (without any secret the first answer showed).",
                json!({ "type": "string", "enum": ["true"] }),
            ),
        ),
        (
            "WwwAuthenticate",
            "WWW-Authenticate",
            false,
            fixed(
                "Bearer realm=\"investdesk\"",
                "How to authenticate: a bearer API key.",
            ),
        ),
    ]
}

/// A reference to the shared declaration of `name`.
fn shared(name: &str) -> Value {
    let component = shared_headers()
        .into_iter()
        .find(|(_, header, _, _)| *header == name)
        .map(|(component, ..)| component)
        .unwrap_or_default();
    json!({ "$ref": format!("#/components/headers/{component}") })
}

/// The headers every answer carries, by rule: all but the rate-limit ones where no budget is
/// spent, and never those only some answers carry (`Idempotent-Replayed`, `WWW-Authenticate`).
fn common_headers(rate_limited: bool) -> Vec<(&'static str, Value)> {
    shared_headers()
        .into_iter()
        .filter(|(_, name, only_limited, _)| {
            !matches!(*name, "Idempotent-Replayed" | "WWW-Authenticate")
                && (rate_limited || !only_limited)
        })
        .map(|(_, name, ..)| (name, shared(name)))
        .collect()
}

/// Bounds and shapes of the headers handlers declare themselves.
fn shape_declared(name: &str, declared: &mut Value) {
    if declared.get("$ref").is_some() {
        return;
    }
    let schema = match name {
        "ETag" => {
            json!({ "type": "string", "maxLength": etag(i32::MAX).len(), "pattern": "^\"v[0-9]+\"$", "example": etag(3) })
        }
        "Location" => json!({ "type": "string", "format": "uri-reference", "maxLength": 256 }),
        "Link" => {
            json!({ "type": "string", "maxLength": MAX_URL, "example": "</v1/opportunities?cursor=eyJrIjoi…>; rel=\"next\"" })
        }
        "Cache-Control" => json!({ "type": "string", "maxLength": 64, "example": "no-store" }),
        "Retry-After" => {
            json!({ "type": "integer", "format": "int32", "minimum": 1, "maximum": 86400 })
        }
        _ => return,
    };
    declared["schema"] = schema;
}

/// Declares the headers each answer carries: the common ones on every answer, the rate-limit
/// ones under `/v1/`, `Idempotent-Replayed` on the successes of operations that read
/// `Idempotency-Key`; and bounds on those handlers declare.
fn response_headers(document: &mut Value) {
    for (path, _, operation) in operations(document) {
        let rate_limited = path.starts_with("/v1/");
        let reads = |name: &str| {
            operation
                .get("parameters")
                .and_then(Value::as_array)
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == name))
        };
        let idempotent = reads("Idempotency-Key");
        // Every cursor-paged list names its next page in `Link` (`handlers::page`).
        let paged = reads("cursor");
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for (status, response) in responses.iter_mut() {
            if response.get("$ref").is_some() {
                continue;
            }
            let headers = &mut response["headers"];
            declare(headers, common_headers(rate_limited));
            if idempotent && status.starts_with('2') {
                headers["Idempotent-Replayed"] = shared("Idempotent-Replayed");
            }
            if paged && status == "200" && headers.get("Link").is_none() {
                headers["Link"] = header(
                    "`<url>; rel=\"next\"`: the next page, when there is one.",
                    json!({}),
                );
            }
            shape(headers);
        }
    }
    for (component, _, _, declared) in shared_headers() {
        document["components"]["headers"][component] = declared;
    }
    let Some(responses) = document["components"]["responses"].as_object_mut() else {
        return;
    };
    if let Some(unauthorized) = responses.get_mut("Unauthorized") {
        unauthorized["headers"]["WWW-Authenticate"] = shared("WWW-Authenticate");
    }
    for response in responses.values_mut() {
        // Problems answer every route; the rate-limit headers come with those under `/v1/`.
        let headers = &mut response["headers"];
        declare(headers, common_headers(true));
        shape(headers);
    }
}

/// Adds each header not declared yet (a handler's own declaration says more), and the shared
/// `X-Request-Id` in place of any other.
fn declare(headers: &mut Value, common: Vec<(&'static str, Value)>) {
    for (name, declared) in common {
        if headers.get(name).is_none() || name == "X-Request-Id" {
            headers[name] = declared;
        }
    }
}

/// Gives each declared header its shape and bounds.
fn shape(headers: &mut Value) {
    if let Some(headers) = headers.as_object_mut() {
        for (name, declared) in headers.iter_mut() {
            shape_declared(name, declared);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each declared restriction names a property the document has, and is marked on it.
    #[test]
    fn every_restricted_field_is_a_property_of_the_document_and_marked() {
        let document = crate::openapi::document();
        for r in crate::api::audience::RESTRICTED {
            let property = document
                .pointer(&format!(
                    "/components/schemas/{}/properties/{}",
                    r.schema, r.field
                ))
                .unwrap_or_else(|| panic!("{}.{} is not in the document", r.schema, r.field));
            assert_eq!(
                property["x-audience"],
                r.audience.as_str(),
                "{}.{}",
                r.schema,
                r.field
            );
        }
    }

    #[test]
    fn bounds_follow_the_kind_of_a_schema() {
        let mut document = json!({
            "a": { "type": "string", "format": "date-time" },
            "b": { "type": ["string", "null"], "format": "date" },
            "c": { "type": "string", "maxLength": 3, "format": "date-time" },
            "d": { "type": "integer", "format": "int32", "minimum": 0 },
            "e": { "type": "integer" },
            "example": { "type": "integer" }
        });
        walk_schemas(&mut document, &mut bound_by_kind);
        assert_eq!(document["a"]["maxLength"], 35);
        assert_eq!(document["b"]["maxLength"], 10);
        assert_eq!(document["c"]["maxLength"], 3);
        assert_eq!(document["d"]["minimum"], 0);
        assert_eq!(document["d"]["maximum"], i32::MAX);
        assert_eq!(document["e"]["format"], "int64");
        assert_eq!(document["e"]["maximum"], i64::MAX);
        assert!(document["example"].get("format").is_none());
    }
}
