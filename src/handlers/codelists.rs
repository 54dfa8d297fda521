//! Codelists: every code the API accepts, with a title for display.

use actix_web::{HttpResponse, get, web};

use super::extract::{NoQuery, Query};
use crate::api::codelists::CodelistIndex;
use crate::domain::codes::{self, CodeEntry};
use crate::error::AppError;

/// List the codelist names.
#[utoipa::path(
    tag = "codelists",
    security(()),
    responses((status = 200, description = "The codelist names", body = CodelistIndex))
)]
#[get("")]
pub async fn list_codelists(_: Query<NoQuery>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .json(CodelistIndex {
            items: codes::CODELIST_NAMES.to_vec(),
        })
}

/// Get one codelist: every code with its title.
#[utoipa::path(
    tag = "codelists",
    security(()),
    params(("name" = String, Path, description = "A codelist name from `GET /v1/codelists`", example = "projectSector")),
    responses(
        (status = 200, description = "The codes and titles", body = Vec<CodeEntry>),
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
