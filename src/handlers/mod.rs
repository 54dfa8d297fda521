//! HTTP: routes, request and response DTOs, extraction, authentication. Only this layer knows
//! actix-web.

pub mod api_keys;
pub mod auth;
pub mod codelists;
pub mod events;
pub mod exports;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod initiatives;
pub mod interests;
pub mod limits;
pub mod middleware;
pub mod opportunities;
pub mod pagination;
pub mod parties;
pub mod people;
pub mod stats;
pub mod webhooks;

use actix_web::{HttpRequest, web};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::AppError;

/// Registers every documented route; the OpenAPI document is generated from this registration.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::get_metrics)
        .service(
            scope::scope("/v1/codelists")
                .service(codelists::list_codelists)
                .service(codelists::get_codelist),
        )
        .service(
            scope::scope("/v1/api-keys")
                .service(api_keys::list_api_keys)
                .service(api_keys::create_api_key)
                .service(api_keys::revoke_api_key),
        )
        .service(
            scope::scope("/v1/parties")
                .service(parties::list_parties)
                .service(parties::create_party)
                .service(parties::get_party)
                .service(parties::update_party)
                .service(parties::delete_party),
        )
        .service(
            scope::scope("/v1/people")
                .service(people::list_people)
                .service(people::create_person)
                .service(people::get_person)
                .service(people::update_person)
                .service(people::delete_person),
        )
        .service(
            scope::scope("/v1/initiatives")
                .service(initiatives::list_initiatives)
                .service(initiatives::create_initiative)
                .service(initiatives::get_initiative)
                .service(initiatives::update_initiative)
                .service(initiatives::delete_initiative),
        )
        .service(
            scope::scope("/v1/opportunities")
                .service(opportunities::list_opportunities)
                .service(opportunities::create_opportunity)
                .service(opportunities::get_opportunity)
                .service(opportunities::update_opportunity)
                .service(opportunities::delete_opportunity)
                .service(interests::list_opportunity_interests)
                .service(interests::create_interest),
        )
        .service(
            scope::scope("/v1/interests")
                .service(interests::list_interests)
                .service(interests::get_interest)
                .service(interests::update_interest)
                .service(interests::transition_interest)
                .service(interests::list_interest_events),
        )
        .service(scope::scope("/v1/events").service(events::list_events))
        .service(
            scope::scope("/v1/exports")
                .service(exports::export_oc4ids)
                .service(exports::export_opportunities_csv),
        )
        .service(scope::scope("/v1/imports").service(exports::import_oc4ids))
        .service(
            scope::scope("/v1/webhooks")
                .service(webhooks::list_webhooks)
                .service(webhooks::create_webhook)
                .service(webhooks::get_webhook)
                .service(webhooks::update_webhook)
                .service(webhooks::delete_webhook)
                .service(webhooks::rotate_webhook_secret)
                .service(webhooks::list_webhook_deliveries),
        )
        .service(
            scope::scope("/v1/stats")
                .service(stats::get_pipeline_stats)
                .service(stats::get_opportunity_stats),
        );
}

/// The id kind in the `{id}` segment of a documented path.
pub fn id_prefix_of(path: &str) -> Option<&'static str> {
    use crate::domain::ids::*;
    let resource = path.trim_start_matches("/v1/").split('/').next()?;
    Some(match resource {
        "opportunities" => OpportunityId::PREFIX,
        "parties" => PartyId::PREFIX,
        "people" => PersonId::PREFIX,
        "initiatives" => InitiativeId::PREFIX,
        "interests" => InterestId::PREFIX,
        "webhooks" => WebhookId::PREFIX,
        "api-keys" => ApiKeyId::PREFIX,
        _ => return None,
    })
}

/// The sort fields a documented list path accepts.
pub fn sort_fields_of(path: &str) -> Vec<&'static str> {
    fn names<S>(sorts: &[(&'static str, S)]) -> Vec<&'static str> {
        sorts.iter().map(|(n, _)| *n).collect()
    }
    match path {
        "/v1/opportunities" | "/v1/exports/oc4ids" | "/v1/exports/opportunities.csv" => {
            names(opportunities::SORTS)
        }
        "/v1/parties" => names(parties::SORTS),
        "/v1/people" => names(people::SORTS),
        "/v1/initiatives" => names(initiatives::SORTS),
        "/v1/interests" | "/v1/opportunities/{id}/interests" => names(interests::SORTS),
        "/v1/interests/{id}/events" => vec!["occurredAt"],
        "/v1/webhooks" | "/v1/api-keys" => vec!["createdAt"],
        "/v1/webhooks/{id}/deliveries" => vec!["attemptedAt"],
        _ => Vec::new(),
    }
}

/// The documented paths and their methods, to tell an unknown path (404) from a known path
/// asked with the wrong method (405 with `Allow`).
pub struct RouteTable {
    routes: Vec<(Vec<Segment>, Vec<String>)>,
}

enum Segment {
    Literal(String),
    Param,
}

impl RouteTable {
    pub fn from_openapi(document: &utoipa::openapi::OpenApi) -> Self {
        let routes = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path
                    .trim_matches('/')
                    .split('/')
                    .map(|s| {
                        if s.starts_with('{') {
                            Segment::Param
                        } else {
                            Segment::Literal(s.to_owned())
                        }
                    })
                    .collect();
                let methods = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter(|(_, present)| *present)
                .map(|(m, _)| m.to_owned())
                .collect();
                (segments, methods)
            })
            .collect();
        RouteTable { routes }
    }

    /// The methods allowed on `path`, or `None` when no documented route matches it.
    pub fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut allowed: Vec<String> = Vec::new();
        let mut matched = false;
        for (segments, methods) in &self.routes {
            let fits = segments.len() == parts.len()
                && segments.iter().zip(&parts).all(|(s, p)| match s {
                    Segment::Literal(l) => l == p,
                    Segment::Param => !p.is_empty(),
                });
            if fits {
                matched = true;
                allowed.extend(methods.iter().cloned());
            }
        }
        matched.then(|| {
            allowed.sort();
            allowed.dedup();
            allowed
        })
    }
}

/// Answers every request no route took: 405 with `Allow` for a known path, else 404.
pub async fn fallback(
    request: HttpRequest,
    routes: web::Data<RouteTable>,
) -> Result<HttpResponse, AppError> {
    Err(match routes.allowed(request.path()) {
        Some(allow) => AppError::MethodNotAllowed { allow },
        None => AppError::RouteNotFound,
    })
}

use actix_web::HttpResponse;
use actix_web::http::header;
use serde::Serialize;

use crate::services::Expected;

/// The strong ETag of a resource version.
pub fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

/// Reads `If-Match`: `*` or absent accepts any version; otherwise only the listed strong tags
/// match (a weak tag never does).
pub fn if_match(request: &HttpRequest) -> Expected {
    let Some(value) = request.headers().get(header::IF_MATCH) else {
        return Expected::Any;
    };
    let text = value.to_str().unwrap_or("");
    if text.trim() == "*" {
        return Expected::Any;
    }
    Expected::OneOf(
        text.split(',')
            .filter_map(|tag| {
                tag.trim()
                    .strip_prefix("\"v")?
                    .strip_suffix('"')?
                    .parse()
                    .ok()
            })
            .collect(),
    )
}

fn none_match(request: &HttpRequest, tag: &str) -> bool {
    request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|t| {
                let t = t.trim();
                t == "*" || t == tag || t.strip_prefix("W/") == Some(tag)
            })
        })
}

/// 200 with the body and its ETag, or 304 when the client's copy is current.
pub fn single<T: Serialize>(request: &HttpRequest, version: i32, body: &T) -> HttpResponse {
    let tag = etag(version);
    if none_match(request, &tag) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header((header::ETAG, tag))
        .json(body)
}

/// 201 with `Location` and ETag.
pub fn created<T: Serialize>(location: String, version: i32, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

/// An id from the path; one that is malformed or of another kind is simply not found.
pub fn path_id<T>(text: &str, parse: fn(&str) -> Option<T>) -> Result<T, AppError> {
    parse(text).ok_or(AppError::NotFound)
}

/// Fields the server sets; a client that sends them is told so.
const READ_ONLY: [&str; 5] = ["id", "createdAt", "updatedAt", "version", "publishedAt"];

/// The writable fields `current` becomes under a merge patch, read back as strictly as a body.
pub fn apply_patch<T: Serialize + serde::de::DeserializeOwned>(
    current: &T,
    patch: serde_json::Value,
) -> Result<T, AppError> {
    let current = serde_json::to_value(current).map_err(|e| AppError::internal(e.to_string()))?;
    extract::from_value(merge_patch(current, patch)?)
}

/// Applies a JSON Merge Patch (RFC 7396) to `current`, refusing read-only fields.
pub fn merge_patch(
    mut current: serde_json::Value,
    patch: serde_json::Value,
) -> Result<serde_json::Value, AppError> {
    let serde_json::Value::Object(fields) = &patch else {
        return Err(AppError::invalid_field(
            "/",
            "a merge patch must be a JSON object",
        ));
    };
    let read_only: Vec<crate::error::FieldError> = fields
        .keys()
        .filter(|k| READ_ONLY.contains(&k.as_str()))
        .map(|k| crate::error::FieldError::new(format!("/{k}"), "is read-only"))
        .collect();
    if !read_only.is_empty() {
        return Err(AppError::invalid(read_only));
    }
    merge(&mut current, patch);
    Ok(current)
}

fn merge(target: &mut serde_json::Value, patch: serde_json::Value) {
    use serde_json::Value;
    match patch {
        Value::Object(fields) => {
            if !target.is_object() {
                *target = Value::Object(serde_json::Map::new());
            }
            if let Value::Object(map) = target {
                for (key, value) in fields {
                    if value.is_null() {
                        map.remove(&key);
                    } else {
                        merge(map.entry(key).or_insert(Value::Null), value);
                    }
                }
            }
        }
        other => *target = other,
    }
}

/// Converts a stored timestamp (naive UTC) for a response.
pub fn utc(value: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_naive_utc_and_offset(value, chrono::Utc)
}

/// Serializes a response's timestamp (`#[serde(serialize_with = "rfc3339")]`) exactly as
/// chrono's own `Serialize` does: `2026-11-27T19:57:28.855682Z`, with no fraction or with 3, 6
/// or 9 digits, whichever is exact. Written digit by digit rather than through chrono's
/// formatting machinery, which was 5 % of a filtered list page (three timestamps per item).
pub fn rfc3339<S: serde::Serializer>(
    t: &chrono::DateTime<chrono::Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use chrono::{Datelike, Timelike};
    let (year, nanos) = (t.year(), t.nanosecond());
    // Years past four digits and leap seconds are chrono's to write.
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return t.serialize(serializer);
    }
    // Each part's digits, then the character that follows it.
    let fraction = match nanos {
        0 => None,
        n if n % 1_000_000 == 0 => Some((n / 1_000_000, 3)),
        n if n % 1_000 == 0 => Some((n / 1_000, 6)),
        n => Some((n, 9)),
    };
    let (value, digits) = fraction.unwrap_or((0, 0));
    let parts = [
        (year as u32, 4, b'-'),
        (t.month(), 2, b'-'),
        (t.day(), 2, b'T'),
        (t.hour(), 2, b':'),
        (t.minute(), 2, b':'),
        (t.second(), 2, if fraction.is_some() { b'.' } else { b'Z' }),
        (value, digits, b'Z'),
    ];
    let parts = if fraction.is_some() {
        &parts[..]
    } else {
        &parts[..6]
    };
    let mut out = [0u8; 32];
    let mut n = 0;
    for &(value, digits, next) in parts {
        for i in (0..digits).rev() {
            out[n] = b'0' + (value / 10u32.pow(i) % 10) as u8;
            n += 1;
        }
        out[n] = next;
        n += 1;
    }
    serializer.serialize_str(std::str::from_utf8(&out[..n]).map_err(serde::ser::Error::custom)?)
}

/// [`rfc3339`] for an optional timestamp (with `skip_serializing_if = "Option::is_none"`).
pub fn rfc3339_optional<S: serde::Serializer>(
    t: &Option<chrono::DateTime<chrono::Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_are_written_as_chrono_writes_them() {
        use chrono::{DateTime, NaiveDate, Utc};
        #[derive(Serialize)]
        struct Fast(#[serde(serialize_with = "rfc3339")] DateTime<Utc>);
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let mut nanos = vec![0, 1, 9, 10, 999, 1_000, 120_000, 855_682_000, 999_999_999];
        nanos.extend([1_000_000, 5_000_000, 120_000_000, 999_000_000, 123_456_789]);
        for (h, m, s) in [(0, 0, 0), (9, 5, 7), (19, 47, 55), (23, 59, 59)] {
            for &n in &nanos {
                let t = utc(day.and_hms_nano_opt(h, m, s, n).unwrap());
                assert_eq!(
                    serde_json::to_string(&Fast(t)).unwrap(),
                    serde_json::to_string(&t).unwrap()
                );
            }
        }
        for t in [
            NaiveDate::from_ymd_opt(1, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
            NaiveDate::from_ymd_opt(9999, 12, 31)
                .unwrap()
                .and_hms_opt(23, 59, 59)
                .unwrap(),
            NaiveDate::from_ymd_opt(10_000, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
            NaiveDate::from_ymd_opt(-1, 6, 1)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap(),
            day.and_hms_nano_opt(23, 59, 59, 1_500_000_000).unwrap(),
        ] {
            let t = utc(t);
            assert_eq!(
                serde_json::to_string(&Fast(t)).unwrap(),
                serde_json::to_string(&t).unwrap()
            );
        }
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let current = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        let patched = merge_patch(current, json!({"a": "z", "c": {"f": null}})).unwrap();
        assert_eq!(patched, json!({"a": "z", "c": {"d": "e"}}));
    }

    #[test]
    fn merge_patch_refuses_read_only_fields() {
        assert!(merge_patch(json!({}), json!({"id": "x"})).is_err());
        assert!(merge_patch(json!({}), json!([1])).is_err());
    }

    #[test]
    fn if_match_accepts_only_strong_tags() {
        let request = actix_web::test::TestRequest::default()
            .insert_header((header::IF_MATCH, "\"v3\", W/\"v4\""))
            .to_http_request();
        assert_eq!(if_match(&request), Expected::OneOf(vec![3]));
    }
}
