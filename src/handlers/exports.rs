//! Exports (OC4IDS packages, CSV) and imports (OC4IDS packages).

use actix_web::{HttpRequest, HttpResponse, get, post, web};

use super::auth::Caller;
use super::extract::{ImportPost, NoQuery, Query};
use super::{list_request, reply};
use crate::api::exchange::{ImportQuery, ImportReport, ProjectPackage};
use crate::api::opportunities::OpportunityListQuery;
use crate::api::pagination::next_url;
use crate::domain::page::Positioned;
use crate::error::AppError;
use crate::services::{self, AppState};

/// Export an OC4IDS project package.
///
/// The opportunities the caller may see as an OC4IDS 0.9 project package, one page at a time
/// (`Link: rel="next"`), with the publisher and the `investdesk` extension. Takes the opportunity
/// list's filters. Anonymous callers and investors get published and closed listings; officers any
/// listing status.
#[utoipa::path(
    tag = "exchange",
    params(OpportunityListQuery),
    security((), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "An OC4IDS project package", body = crate::api::exchange::Oc4idsPackage, content_type = "application/json",
            headers(("Link" = String, description = "`<url>; rel=\"next\"` when another page follows"))),
        (status = 409, description = "No opportunity matches (a package needs at least one project)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/oc4ids")]
pub async fn export_oc4ids(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    query: Query<OpportunityListQuery>,
) -> Result<HttpResponse, AppError> {
    let (paging, page) =
        services::exchange::export_page(&state, &caller, list_request(&request, query)).await?;
    if page.projects.is_empty() {
        return Err(AppError::conflict(
            "nothingToExport",
            "No opportunity matches; an OC4IDS package needs at least one project.",
        ));
    }
    // Package URIs must be absolute: built from the address the client used.
    let info = request.connection_info();
    let base = format!("{}://{}", info.scheme(), info.host());
    let (_, next_cursor) = paging.cut(&state.cursors, page.opportunities, |o, sort| {
        o.position(sort)
    });
    let uri = match request.query_string() {
        "" => format!("{base}{}", request.path()),
        query => format!("{base}{}?{query}", request.path()),
    };
    let package = crate::domain::oc4ids::package(page.projects, &uri, &state.oc4ids, page.latest);
    let mut response = HttpResponse::Ok();
    if let Some(cursor) = next_cursor {
        let next = next_url(request.path(), request.query_string(), &cursor);
        response.insert_header(("Link", format!("<{base}{next}>; rel=\"next\"")));
    }
    Ok(response.json(package))
}

/// Get the JSON Schema of the OC4IDS extension.
///
/// The JSON Schema of the `investdesk` object that exported OC4IDS projects carry (engagement
/// models, EOI deadline, listing status, initiative), for validators of the package. Public.
#[utoipa::path(
    tag = "exchange",
    security(()),
    responses((status = 200, description = "A JSON Schema (draft 2020-12)", body = Object, content_type = "application/schema+json"))
)]
#[get("/oc4ids/extension-schema")]
pub async fn oc4ids_extension_schema(_: Query<NoQuery>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/schema+json")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(crate::domain::oc4ids::extension_schema().to_string())
}

/// Import an OC4IDS project package.
///
/// Creates or updates opportunities by OC4IDS project id, with the parties and focal persons they
/// name, in one transaction; each project succeeds or is rejected on its own and the report says
/// which and why. A package of the standard alone imports as drafts (`publish=true` publishes those
/// complete enough). Up to 4 MiB and 1,000 projects (413, 422). Officers only. Safe to retry with
/// an `Idempotency-Key`.
#[utoipa::path(
    tag = "exchange",
    params(ImportQuery, crate::api::headers::IdempotencyKeyHeader),
    request_body(content = ProjectPackage, description = "An OC4IDS 0.9 project package", example = json!({
        "projects": [{
            "id": "oc4ids-bu3kcz-m6",
            "title": "M-6 Hyderabad–Sukkur Motorway",
            "description": "A 306 km, six-lane access-controlled motorway between Hyderabad and Sukkur.",
            "status": "preparation",
            "sector": ["transport.road"],
            "investdesk": {"engagementModels": ["g2g", "ppp"], "hostCountry": "PK"}
        }]
    })),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "What happened to each project", body = ImportReport))
)]
#[post("/oc4ids")]
pub async fn import_oc4ids(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ImportQuery>,
    post: ImportPost<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let answer = services::exchange::import(&state, &caller, post.key, query.0, post.body).await?;
    Ok(reply(answer))
}

/// Export opportunities as CSV.
///
/// Codes and their titles side by side, streamed page by page so memory stays flat whatever the
/// size. Takes the opportunity list's filters; officers see every listing status, others published
/// and closed ones. Not paged: `limit`, `cursor` and `includeTotal` are not parameters of this
/// route (400).
#[utoipa::path(
    tag = "exchange",
    params(OpportunityListQuery),
    security((), ("bearerAuth" = [])),
    responses((status = 200, description = "CSV with a header row", body = String, content_type = "text/csv"))
)]
#[get("/opportunities.csv")]
pub async fn export_opportunities_csv(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<OpportunityListQuery>,
) -> Result<HttpResponse, AppError> {
    let export = services::exchange::csv_export(&state, &caller, &query.0).await?;
    let rows = services::exchange::csv_rows();
    // Each step: the page after the position (None: the first), then where the next starts.
    let stream = futures_util::stream::unfold(Some(None), move |after| {
        let (state, caller, export) = (state.clone(), caller.clone(), export.clone());
        async move {
            let after = after?;
            match services::exchange::csv_page(&state, &caller, &export, after, rows).await {
                Ok((bytes, next)) => Some((
                    Ok::<_, actix_web::Error>(web::Bytes::from(bytes)),
                    next.map(Some),
                )),
                Err(error) => {
                    tracing::error!(error = %error, "CSV export stopped");
                    Some((
                        Err(actix_web::error::ErrorInternalServerError("export failed")),
                        None,
                    ))
                }
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"opportunities.csv\"",
        ))
        .streaming(stream))
}
