//! Codelists: every code the API accepts, with a title for display.

use actix_web::{HttpResponse, get, web};

use super::extract::{NoQuery, Query};
use crate::api::codelists::CodelistIndex;
use crate::domain::codes;
use crate::error::AppError;

/// List the codelist names.
///
/// The names `GET /v1/codelists/{name}` accepts. Public and cacheable for an hour.
#[utoipa::path(
    tag = "codelists",
    security(()),
    responses((status = 200, description = "The codelist names", body = CodelistIndex,
        headers(("Cache-Control" = String, description = "`public, max-age=3600`: codelists change only with a new release"))))
)]
#[get("")]
pub async fn list_codelists(_: Query<NoQuery>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .json(CodelistIndex {
            items: codes::CODELIST_NAMES.to_vec(),
        })
}

/// Get one codelist.
///
/// Every code of the list with its English title: sectors, statuses, engagement models, stages,
/// countries, currencies, event types and the rest. 404 for an unknown name. Public and cacheable
/// for an hour.
#[utoipa::path(
    tag = "codelists",
    security(()),
    params(("name" = crate::api::codelists::CodelistName, Path, description = "A codelist name from `GET /v1/codelists`", example = "projectSector")),
    responses(
        (status = 200, description = "The codes and titles", body = crate::api::codelists::CodelistEntries,
            headers(("Cache-Control" = String, description = "`public, max-age=3600`: codelists change only with a new release"))),
        (status = 404, description = "No codelist has this name", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/{name}")]
pub async fn get_codelist(
    name: web::Path<String>,
    _: Query<NoQuery>,
) -> Result<HttpResponse, AppError> {
    let list = codes::codelist(&name).ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .json(&list.entries))
}
