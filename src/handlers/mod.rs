//! HTTP: routes, request and response DTOs, extraction, authentication. Only this layer knows
//! actix-web.

pub mod api_keys;
pub mod auth;
pub mod codelists;
pub mod events;
pub mod exports;
pub mod extract;
pub mod health;
pub mod initiatives;
pub mod interests;
pub mod limits;
pub mod middleware;
pub mod opportunities;
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
        );
    integration_routes(cfg);
}

/// The pipeline, the feed, exchange, webhooks and figures.
fn integration_routes(cfg: &mut ServiceConfig) {
    cfg.service(
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
            .service(exports::oc4ids_extension_schema)
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

/// The documented paths, their methods and the query parameters each operation declares: to
/// tell an unknown path (404) from a known path asked with the wrong method (405 with `Allow`),
/// and to refuse a query parameter the document does not declare for the operation (400), so no
/// route ever ignores one silently.
pub struct RouteTable {
    routes: Vec<Route>,
}

struct Route {
    segments: Vec<Segment>,
    /// Each method, with the names of the query parameters its operation declares.
    methods: Vec<(String, Vec<String>)>,
}

enum Segment {
    Literal(String),
    Param,
}

impl RouteTable {
    pub fn from_openapi(document: &serde_json::Value) -> Self {
        let no_paths = serde_json::Map::new();
        let paths = document["paths"].as_object().unwrap_or(&no_paths);
        let routes = paths
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
                let query = |method: &str| -> Option<Vec<String>> {
                    let operation = item.get(method)?;
                    Some(
                        operation["parameters"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter(|p| p["in"] == "query")
                            .filter_map(|p| p["name"].as_str().map(str::to_owned))
                            .collect(),
                    )
                };
                // Every GET route answers HEAD (see `middleware::requests`).
                let methods = [
                    ("GET", "get"),
                    ("HEAD", "get"),
                    ("POST", "post"),
                    ("PUT", "put"),
                    ("PATCH", "patch"),
                    ("DELETE", "delete"),
                ]
                .into_iter()
                .filter_map(|(method, key)| Some((method.to_owned(), query(key)?)))
                .collect();
                Route { segments, methods }
            })
            .collect();
        RouteTable { routes }
    }

    /// The documented routes `path` matches.
    fn matching<'a>(&'a self, path: &'a str) -> Option<impl Iterator<Item = &'a Route> + 'a> {
        // A path is matched as written: a trailing or doubled slash names no route.
        let parts: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return None;
        }
        Some(self.routes.iter().filter(move |route| {
            route.segments.len() == parts.len()
                && route.segments.iter().zip(&parts).all(|(s, p)| match s {
                    Segment::Literal(l) => l == p,
                    Segment::Param => !p.is_empty(),
                })
        }))
    }

    /// The methods allowed on `path`, or `None` when no documented route matches it.
    pub fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let mut matched = false;
        let mut allowed: Vec<String> = Vec::new();
        for route in self.matching(path)? {
            matched = true;
            allowed.extend(route.methods.iter().map(|(m, _)| m.clone()));
        }
        matched.then(|| {
            allowed.sort();
            allowed.dedup();
            allowed
        })
    }

    /// The query parameters of `query` that the operation for `method` on `path` does not
    /// declare (none when no documented operation matches: the router answers those).
    pub fn undeclared(&self, method: &str, path: &str, query: &str) -> Vec<String> {
        let Some(routes) = self.matching(path) else {
            return Vec::new();
        };
        let operations: Vec<&Vec<String>> = routes
            .flat_map(|route| route.methods.iter())
            .filter(|(m, _)| m == method)
            .map(|(_, names)| names)
            .collect();
        // No such operation: the router answers 405.
        if operations.is_empty() || query.is_empty() {
            return Vec::new();
        }
        let declared: Vec<&String> = operations.into_iter().flatten().collect();
        let mut undeclared: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
            .map(|(name, _)| name.into_owned())
            .filter(|name| !declared.contains(&name))
            .collect();
        undeclared.sort();
        undeclared.dedup();
        undeclared
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

use crate::api::etag;
use crate::api::pagination::Paging;
use crate::domain::stored::Expected;

/// Reads `If-Match`: `*` or absent accepts any version; otherwise only the listed strong tags
/// match (a weak tag never does).
pub fn if_match(request: &HttpRequest) -> Expected {
    crate::api::expected_versions(
        request
            .headers()
            .get(header::IF_MATCH)
            .map(|v| v.to_str().unwrap_or("")),
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

/// 200 with a page already serialized as JSON, and the `Link` header of the next page.
pub fn page<S: Copy>(paging: &Paging<S>, body: Vec<u8>, next: Option<&str>) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    if let Some(cursor) = next {
        response.insert_header((header::LINK, paging.link(cursor)));
    }
    response
        .content_type(header::ContentType::json())
        .body(body)
}

/// A list request's parts, for a service to check who asks before it reads the rest.
pub fn list_request<Q>(
    request: &HttpRequest,
    query: extract::Query<Q>,
) -> crate::api::pagination::ListRequest<Q> {
    crate::api::pagination::ListRequest {
        path: request.path().to_owned(),
        query_string: request.query_string().to_owned(),
        query: query.0,
    }
}

/// Answers with a page of `listed`: each row as `render` shows it, in the page type `page`
/// builds, with `nextCursor` and the `Link` header.
pub fn page_of<T, S, R, P>(
    state: &crate::services::AppState,
    listed: crate::api::pagination::Listed<T, S>,
    render: impl Fn(&T) -> R,
    page: fn(Vec<R>, Option<String>, Option<i64>) -> P,
) -> Result<HttpResponse, AppError>
where
    T: crate::domain::page::Positioned<S>,
    S: Copy,
    P: Serialize,
{
    let total = listed.total;
    let (body, next) = listed
        .paging
        .page_of(&state.cursors, listed.items, |items, next| {
            page(items.iter().map(render).collect(), next, total)
        })?;
    Ok(self::page(&listed.paging, body, next.as_deref()))
}

/// The answer a service built for a POST (fresh, or replayed for a retry with the same
/// `Idempotency-Key`).
pub fn reply(reply: crate::api::reply::Reply) -> HttpResponse {
    let mut response = HttpResponse::build(
        actix_web::http::StatusCode::from_u16(reply.status)
            .unwrap_or(actix_web::http::StatusCode::OK),
    );
    response.content_type(header::ContentType::json());
    if let Some(location) = reply.location {
        response.insert_header((header::LOCATION, location));
    }
    if let Some(tag) = reply.etag {
        response.insert_header((header::ETAG, tag));
    }
    if reply.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.body(reply.body)
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
