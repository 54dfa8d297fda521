//! The OpenAPI 3.1 document, generated from the same registration that builds the router.

use actix_web::App;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{PROBLEM_JSON, Problem};
use crate::{api, handlers};

mod finish;

/// Top-level information; paths and schemas come from the registered handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "InvestDesk API",
        description = "Investment opportunities listed by a government investment agency for foreign investors, and the interest they draw.\n\nAuthenticate with `Authorization: Bearer <key>`. Errors are RFC 9457 `application/problem+json`. Lists use cursor pagination (`limit`, `cursor`, `nextCursor`, `Link: rel=\"next\"`).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
        contact(name = "InvestDesk API support")
    ),
    servers((url = "/", description = "This deployment, whichever it is (production, staging or local): the server that serves this document")),
    tags(
        (name = "opportunities", description = "Investment opportunities (OC4IDS-aligned projects)"),
        (name = "interests", description = "Expressions of interest and their stages, from `expressed` to `financialClose`"),
        (name = "stats", description = "Figures for dashboards"),
        (name = "exchange", description = "OC4IDS project packages in and out, CSV out"),
        (name = "events", description = "The feed of every change, in commit order"),
        (name = "webhooks", description = "Signed deliveries of events (Standard Webhooks)"),
        (name = "parties", description = "Organisations: governments, agencies, companies, consortia, lenders"),
        (name = "people", description = "Contacts who belong to a party"),
        (name = "initiatives", description = "Programmes grouping opportunities and countries"),
        (name = "codelists", description = "Every code the API accepts, with titles"),
        (name = "apiKeys", description = "API keys and roles (admin)"),
        (name = "operations", description = "Health and readiness"),
    ),
    // Schemas only parameters refer to: utoipa registers those of bodies by itself.
    components(schemas(
        Problem,
        api::api_keys::ApiKeySortField,
        api::initiatives::InitiativeSortField,
        api::interests::InterestSortField,
        api::interests::TimelineSortField,
        api::opportunities::OpportunitySortField,
        api::parties::PartySortField,
        api::people::PersonSortField,
        api::webhooks::WebhookSortField,
        api::webhooks::AttemptSortField,
        api::events::EventType,
        api::pagination::Cursor,
        api::codelists::CodelistName,
        crate::domain::codes::CodeEntry,
    )),
    modifiers(&SecurityScheme_)
)]
struct ApiDoc;

struct SecurityScheme_;

impl Modify for SecurityScheme_ {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key: `Authorization: Bearer idk_…`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "metricsToken",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The token `/metrics` asks for when `INVESTDESK_METRICS_TOKEN` is set",
                    ))
                    .build(),
            ),
        );
    }
}

/// The problem responses, declared once and referenced from each operation by rule.
const PROBLEMS: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "Malformed JSON or invalid query parameters",
    ),
    (
        "401",
        "Unauthorized",
        "Missing, unknown, revoked or expired API key",
    ),
    ("403", "Forbidden", "The key's role may not do this"),
    (
        "404",
        "NotFound",
        "No such resource, or not visible to the caller",
    ),
    ("409", "Conflict", "Conflicts with the current state"),
    (
        "412",
        "PreconditionFailed",
        "If-Match does not match the current ETag",
    ),
    ("408", "RequestTimeout", "The body did not arrive in time"),
    ("413", "PayloadTooLarge", "The body exceeds 64 KiB"),
    ("415", "UnsupportedMediaType", "The body is not JSON"),
    (
        "422",
        "ValidationFailed",
        "The body is invalid; `errors` lists each field",
    ),
    (
        "429",
        "TooManyRequests",
        "Over the client's rate limit; retry after `Retry-After` seconds",
    ),
    (
        "500",
        "InternalError",
        "A bug; reported with the request id",
    ),
    (
        "503",
        "ServiceUnavailable",
        "The database is unavailable; retry after `Retry-After`",
    ),
];

const REQUEST_ID: &str = "The request's id (the client's `X-Request-Id` when short and plain), also in the problem's `requestId` and in every log line of the request";
const RETRY_AFTER: &str = "Seconds to wait before retrying";

/// A response header of one type, described.
fn response_header(
    kind: utoipa::openapi::schema::Type,
    description: &str,
) -> utoipa::openapi::header::Header {
    utoipa::openapi::header::HeaderBuilder::new()
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new().schema_type(kind),
        ))
        .description(Some(description))
        .build()
}

fn add_problem_responses(document: &mut Document) {
    use utoipa::openapi::schema::Type;
    let components = document.components.get_or_insert_with(Default::default);
    for (code, name, description) in PROBLEMS {
        let mut response = ResponseBuilder::new()
            .description(*description)
            .content(
                PROBLEM_JSON,
                Content::new(Some(Ref::from_schema_name("Problem"))),
            )
            .header("X-Request-Id", response_header(Type::String, REQUEST_ID));
        // Refusals that pass tell the client when to try again.
        if matches!(*code, "429" | "503") {
            response = response.header("Retry-After", response_header(Type::Integer, RETRY_AFTER));
        }
        components
            .responses
            .insert((*name).to_owned(), RefOr::T(response.build()));
    }
    for (path, item) in document.paths.paths.iter_mut() {
        let has_id = path.contains('{');
        let operations: [(&str, &mut Option<Operation>); 4] = [
            ("get", &mut item.get),
            ("post", &mut item.post),
            ("patch", &mut item.patch),
            ("delete", &mut item.delete),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            // Operations that accept a key (even optionally) can answer 401; 403 only where a
            // key is required.
            let requirements = operation.security.as_deref().unwrap_or_default();
            let anonymous = Default::default();
            let accepts_key = requirements.iter().any(|r| r != &anonymous);
            let needs_key = accepts_key && !requirements.contains(&anonymous);
            let body = matches!(method, "post" | "patch");
            let mut codes = vec!["400", "500", "503"];
            // Health probes and metrics scrapes are never rate limited.
            if path.starts_with("/v1/") {
                codes.push("429");
            }
            if accepts_key {
                codes.push("401");
            }
            if needs_key {
                codes.push("403");
            }
            if has_id && !path.starts_with("/v1/codelists") {
                codes.push("404");
            }
            if body {
                codes.extend(["408", "413", "415", "422", "409"]);
            }
            if method == "patch" || method == "delete" {
                codes.push("409");
            }
            // A stale `If-Match` is a 412 wherever the operation reads that header.
            let reads_if_match = operation.parameters.iter().flatten().any(|p| {
                use utoipa::openapi::path::ParameterIn;
                matches!(p, RefOr::T(p) if p.name == "If-Match" && p.parameter_in == ParameterIn::Header)
            });
            if reads_if_match {
                codes.push("412");
            }
            for code in codes {
                let Some((_, name, _)) = PROBLEMS.iter().find(|(c, _, _)| *c == code) else {
                    continue;
                };
                operation
                    .responses
                    .responses
                    .entry(code.to_owned())
                    .or_insert_with(|| {
                        RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
                    });
            }
        }
    }
}

type Schemas = std::collections::BTreeMap<String, RefOr<utoipa::openapi::schema::Schema>>;

/// The name of the component schema a reference points at.
fn schema_name(r: &Ref) -> String {
    r.ref_location
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The `<Name>Patch` version of a component schema, made once.
fn patch_of(name: &str, schemas: &mut Schemas) -> Option<String> {
    let patch_name = format!("{name}Patch");
    if schemas.contains_key(&patch_name) {
        return Some(patch_name);
    }
    let RefOr::T(schema) = schemas.get(name)?.clone() else {
        return None;
    };
    let patched = relax(schema, schemas);
    schemas.insert(patch_name.clone(), RefOr::T(patched));
    Some(patch_name)
}

/// Points a property at the patch version of the object schema it refers to (enums and arrays
/// stay as they are: arrays are replaced whole by a merge patch).
fn nested_patch(property: &mut RefOr<utoipa::openapi::schema::Schema>, schemas: &mut Schemas) {
    use utoipa::openapi::schema::Schema;
    let is_object = |name: &str, schemas: &Schemas| {
        matches!(schemas.get(name), Some(RefOr::T(Schema::Object(o)))
            if o.enum_values.is_none() && !o.properties.is_empty())
    };
    match property {
        RefOr::Ref(r) => {
            let name = schema_name(r);
            if is_object(&name, schemas)
                && let Some(patch) = patch_of(&name, schemas)
            {
                *r = Ref::from_schema_name(patch);
            }
        }
        RefOr::T(Schema::OneOf(one)) => {
            for item in one.items.iter_mut() {
                nested_patch(item, schemas);
            }
        }
        RefOr::T(Schema::AnyOf(any)) => {
            for item in any.items.iter_mut() {
                nested_patch(item, schemas);
            }
        }
        _ => {}
    }
}

/// Whether a property's schema already accepts `null`.
fn allows_null(property: &RefOr<utoipa::openapi::schema::Schema>) -> bool {
    use utoipa::openapi::schema::{Schema, SchemaType, Type};
    let null = |schema: &RefOr<Schema>| {
        matches!(schema, RefOr::T(Schema::Object(o))
            if matches!(&o.schema_type, SchemaType::Type(Type::Null))
                || matches!(&o.schema_type, SchemaType::Array(types) if types.contains(&Type::Null)))
    };
    match property {
        RefOr::T(Schema::OneOf(one)) => one.items.iter().any(null),
        RefOr::T(Schema::AnyOf(any)) => any.items.iter().any(null),
        other => null(other),
    }
}

/// A schema with every property optional: absent means unchanged, null clears (what is not
/// required); nested objects merge too, so their fields become optional as well.
fn relax(
    schema: utoipa::openapi::schema::Schema,
    schemas: &mut Schemas,
) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Schema, Type};
    match schema {
        Schema::Object(mut object) => {
            let required = std::mem::take(&mut object.required);
            for (name, property) in object.properties.iter_mut() {
                nested_patch(property, schemas);
                if required.contains(name) {
                    continue;
                }
                // A property that already allows null (an optional field) says so once.
                if allows_null(property) {
                    continue;
                }
                let original = std::mem::replace(property, RefOr::T(Schema::default()));
                let nullable = AnyOfBuilder::new()
                    .item(original)
                    .item(ObjectBuilder::new().schema_type(Type::Null));
                *property = RefOr::T(Schema::AnyOf(nullable.build()));
            }
            Schema::Object(object)
        }
        Schema::AllOf(mut all) => {
            let relax_item = |item| match item {
                RefOr::Ref(r) => match patch_of(&schema_name(&r), schemas) {
                    Some(patch) => RefOr::Ref(Ref::from_schema_name(patch)),
                    None => RefOr::Ref(r),
                },
                RefOr::T(inner) => RefOr::T(relax(inner, schemas)),
            };
            all.items = all.items.into_iter().map(relax_item).collect();
            merged(&all, schemas).unwrap_or(Schema::AllOf(all))
        }
        other => other,
    }
}

/// One object with the properties of every part of `all`, when each part is an object: a part
/// that refuses unknown properties (`additionalProperties: false`) would otherwise refuse the
/// other parts' properties, so no body could satisfy the composition.
fn merged(
    all: &utoipa::openapi::schema::AllOf,
    schemas: &Schemas,
) -> Option<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::Schema;
    let mut parts = all.items.iter().map(|item| match item {
        RefOr::Ref(r) => match schemas.get(&schema_name(r)) {
            Some(RefOr::T(Schema::Object(object))) => Some(object.clone()),
            _ => None,
        },
        RefOr::T(Schema::Object(object)) => Some(object.clone()),
        RefOr::T(_) => None,
    });
    let mut object = parts.next()??;
    for part in parts {
        let part = part?;
        object.properties.extend(part.properties);
        object.required.extend(part.required);
    }
    object.description = all.description.clone().or(object.description);
    Some(Schema::Object(object))
}

/// Gives every merge-patch request body a schema whose properties are all optional (a patch
/// names only what changes): `<Name>Patch`, derived from the body's own schema so the two agree.
fn optional_patch_bodies(document: &mut Document) {
    let Some(components) = document.components.as_mut() else {
        return;
    };
    let mut replaced = Vec::new();
    for item in document.paths.paths.values_mut() {
        let Some(RefOr::T(body)) = item.patch.as_mut().and_then(|op| op.request_body.as_mut())
        else {
            continue;
        };
        for content in body.content.values_mut() {
            let RefOr::T(content) = content else { continue };
            if let Some(RefOr::Ref(r)) = &content.schema {
                let name = schema_name(r);
                if let Some(patch) = patch_of(&name, &mut components.schemas) {
                    content.schema = Some(RefOr::Ref(Ref::from_schema_name(patch)));
                    replaced.push(name);
                }
            }
        }
    }
    // A body schema that only described patches, or a patch only merged into another, is no
    // longer referenced: drop it.
    let merged_patches = document
        .components
        .iter()
        .flat_map(|c| c.schemas.keys())
        .filter(|name| name.ends_with("Patch"))
        .cloned()
        .collect::<Vec<_>>();
    for name in replaced.into_iter().chain(merged_patches) {
        let reference = format!("\"#/components/schemas/{name}\"");
        let used = serde_json::to_string(&*document).is_ok_and(|text| text.contains(&reference));
        if !used && let Some(components) = document.components.as_mut() {
            components.schemas.remove(&name);
        }
    }
}

/// Response schemas that extend a request schema (`PartyResponse` = `PartyInput` + id, …) point
/// at a `<Name>View` copy without `additionalProperties: false`: unknown fields are refused in
/// requests, but a response legitimately carries more than the writable fields.
fn response_views(document: &mut Document) {
    use utoipa::openapi::schema::Schema;
    let Some(components) = document.components.as_mut() else {
        return;
    };
    let names: Vec<String> = components
        .schemas
        .keys()
        .filter(|n| n.ends_with("Response"))
        .cloned()
        .collect();
    for name in names {
        let Some(RefOr::T(Schema::AllOf(mut all))) = components.schemas.get(&name).cloned() else {
            continue;
        };
        for item in all.items.iter_mut() {
            let RefOr::Ref(r) = item else { continue };
            let base = r
                .ref_location
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            let Some(RefOr::T(Schema::Object(mut object))) = components.schemas.get(&base).cloned()
            else {
                continue;
            };
            if object.additional_properties.is_none() {
                continue;
            }
            object.additional_properties = None;
            let view = format!("{base}View");
            components
                .schemas
                .insert(view.clone(), RefOr::T(Schema::Object(object)));
            *item = RefOr::Ref(Ref::from_schema_name(view));
        }
        components
            .schemas
            .insert(name, RefOr::T(Schema::AllOf(all)));
    }
}

/// The complete document, as served at `/openapi.json` and committed in `openapi/openapi.json`:
/// what utoipa builds from the handlers, then the rules that hold for the whole document.
pub fn document() -> serde_json::Value {
    let (_, mut document) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(handlers::routes)
        .split_for_parts();
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    add_problem_responses(&mut document);
    optional_patch_bodies(&mut document);
    response_views(&mut document);
    let mut document = serde_json::to_value(&document).unwrap_or_default();
    finish::finish(&mut document);
    document
}

/// The document as committed: pretty JSON with a final newline.
pub fn document_json() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` of the document names a schema it defines.
    #[test]
    fn every_reference_resolves() {
        let text = document_json();
        let document: serde_json::Value = serde_json::from_str(&text).unwrap();
        let defined = document["components"]["schemas"].as_object().unwrap();
        let mut missing: Vec<&str> = text
            .split("\"#/components/schemas/")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .filter(|name| !defined.contains_key(*name))
            .collect();
        missing.dedup();
        assert!(missing.is_empty(), "{missing:?}");
    }
}

#[cfg(test)]
mod patch_tests {
    use serde_json::Value;

    /// How many ways a schema says `null` at its top (in `type`, or as an alternative).
    fn nulls(schema: &Value) -> usize {
        let in_type = match &schema["type"] {
            Value::String(t) => usize::from(t == "null"),
            Value::Array(ts) => ts.iter().filter(|t| *t == "null").count(),
            _ => 0,
        };
        let alternatives: usize = ["oneOf", "anyOf"]
            .iter()
            .filter_map(|k| schema[*k].as_array())
            .flatten()
            .map(nulls)
            .sum();
        in_type + alternatives
    }

    /// A patch property that may be cleared says `null` once (a generated client would
    /// otherwise type it `T | null | null`), and `listingStatus` never: the server refuses it.
    #[test]
    fn patch_properties_allow_null_at_most_once_and_only_where_the_server_clears() {
        let document = super::document();
        let schemas = document["components"]["schemas"].as_object().unwrap();
        let mut checked = 0;
        for (name, schema) in schemas.iter().filter(|(n, _)| n.ends_with("Patch")) {
            let parts: Vec<&Value> = match schema["allOf"].as_array() {
                Some(all) => all.iter().collect(),
                None => vec![schema],
            };
            for part in parts {
                for (property, value) in part["properties"].as_object().into_iter().flatten() {
                    checked += 1;
                    assert!(nulls(value) <= 1, "{name}.{property}: {value}");
                }
            }
        }
        assert!(checked > 30, "{checked}");
        let update = &schemas["OpportunityUpdatePatch"]["allOf"][1]["properties"]["listingStatus"];
        assert_eq!(nulls(update), 0, "{update}");
    }
}
