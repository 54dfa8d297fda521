//! Exports (OC4IDS packages, CSV) and imports (OC4IDS packages).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::extract::{ImportJson, Query};
use super::opportunities::{OpportunityListQuery, SORTS};
use super::pagination::{Paging, next_url, scope_of};
use crate::domain::codes;
use crate::domain::opportunities::Opportunity;
use crate::domain::opportunities::OpportunitySort;
use crate::domain::page::{PageRequest, Position};
use crate::error::AppError;
use crate::services::exchange::ImportResult;
use crate::services::{self, AppState};

fn position(o: &Opportunity) -> Position {
    Position {
        key: String::new(),
        id: o.id.to_string(),
    }
}

/// Export published opportunities as an OC4IDS 0.9 project package, a page at a time
/// (`links.next` names the next page). Takes the opportunity list's filters.
#[utoipa::path(
    tag = "exchange",
    params(OpportunityListQuery),
    security((), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "An OC4IDS project package", body = Object, content_type = "application/json"),
        (status = 409, description = "No published opportunity matches (a package needs at least one project)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/oc4ids")]
pub async fn export_oc4ids(
    state: web::Data<AppState>,
    _caller: Caller,
    request: HttpRequest,
    query: Query<OpportunityListQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.0;
    let paging = Paging::new(
        &request,
        &state.cursors,
        (
            q.limit,
            q.cursor.as_deref(),
            q.sort.as_deref(),
            q.include_total,
        ),
        SORTS,
        OpportunitySort::Created,
    )?;
    if paging.with_total {
        return Err(AppError::bad_request(
            "includeTotal is not offered for exports.",
        ));
    }
    let filter = q.filter()?;
    let limit = paging.request.limit as usize;
    let (opportunities, projects) =
        services::exchange::export_page(&state, filter, paging.request.clone()).await?;
    // Package URIs must be absolute: built from the address the client used.
    let info = request.connection_info();
    let base = format!("{}://{}", info.scheme(), info.host());
    let next = (opportunities.len() > limit).then(|| {
        let cursor = state.cursors.encode(
            &scope_of(request.path(), request.query_string()),
            &position(&opportunities[limit - 1]),
        );
        format!(
            "{base}{}",
            next_url(request.path(), request.query_string(), &cursor)
        )
    });
    if projects.is_empty() {
        return Err(AppError::conflict(
            "nothingToExport",
            "No published opportunity matches; an OC4IDS package needs at least one project.",
        ));
    }
    let uri = match request.query_string() {
        "" => format!("{base}{}", request.path()),
        query => format!("{base}{}?{query}", request.path()),
    };
    Ok(HttpResponse::Ok().json(crate::domain::oc4ids::package(projects, &uri, next)))
}

/// Options of an import.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Publish imported opportunities that are complete (otherwise they are drafts).
    #[serde(default)]
    pub publish: bool,
}

/// An OC4IDS 0.9 project package (only `projects` is read; see the OC4IDS schema for the rest).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ProjectPackage {
    /// OC4IDS projects; each needs at least `id`, `title`, `description`, `status`, `sector`,
    /// and `investdesk.engagementModels`.
    #[schema(min_items = 1, max_items = 1000, value_type = Vec<Object>)]
    projects: Vec<serde_json::Value>,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// One entry per project, in package order.
    pub results: Vec<ImportResult>,
}

/// Import an OC4IDS project package (up to 4 MiB): creates or updates opportunities by project
/// id, and the parties and focal persons they name (officer).
#[utoipa::path(
    tag = "exchange",
    params(ImportQuery),
    request_body(content = ProjectPackage, description = "An OC4IDS 0.9 project package"),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "What happened to each project", body = ImportReport))
)]
#[post("/oc4ids")]
pub async fn import_oc4ids(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ImportQuery>,
    body: ImportJson<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    caller.require_staff()?;
    let results = services::exchange::import(&state, &caller, body.0, query.0.publish).await?;
    let count = |s: &str| results.iter().filter(|r| r.status == s).count();
    Ok(HttpResponse::Ok().json(ImportReport {
        created: count("created"),
        updated: count("updated"),
        unchanged: count("unchanged"),
        rejected: count("rejected"),
        results,
    }))
}

const CSV_COLUMNS: [&str; 25] = [
    "id",
    "title",
    "listingStatus",
    "projectStatus",
    "projectStatusTitle",
    "projectType",
    "projectTypeTitle",
    "sectors",
    "sectorTitles",
    "engagementModels",
    "engagementModelTitles",
    "hostCountry",
    "hostCountryName",
    "partnerCountries",
    "estimatedCostAmount",
    "estimatedCostCurrency",
    "investmentSoughtAmount",
    "investmentSoughtCurrency",
    "eoiDeadline",
    "publicAuthorityId",
    "focalPersonId",
    "initiativeId",
    "oc4idsId",
    "updatedAt",
    "publishedAt",
];

fn csv_row(o: &Opportunity) -> Vec<String> {
    let d = &o.data.data;
    let join = |items: Vec<String>| items.join("; ");
    let title = |list: &codes::Codelist, code: &str| list.title_of(code).unwrap_or(code).to_owned();
    vec![
        o.id.to_string(),
        d.title.clone(),
        o.data.status.as_str().to_owned(),
        d.project_status.to_string(),
        title(&codes::PROJECT_STATUS, d.project_status.as_str()),
        d.project_type
            .as_ref()
            .map(|t| t.to_string())
            .unwrap_or_default(),
        d.project_type
            .as_ref()
            .map(|t| title(&codes::PROJECT_TYPE, t.as_str()))
            .unwrap_or_default(),
        join(d.sectors.iter().map(|s| s.to_string()).collect()),
        join(
            d.sectors
                .iter()
                .map(|s| title(&codes::PROJECT_SECTOR, s.as_str()))
                .collect(),
        ),
        join(
            d.engagement_models
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect(),
        ),
        join(
            d.engagement_models
                .iter()
                .map(|m| m.title().to_owned())
                .collect(),
        ),
        d.host_country.to_string(),
        title(&codes::COUNTRY, d.host_country.as_str()),
        join(d.partner_countries.iter().map(|c| c.to_string()).collect()),
        d.estimated_cost
            .as_ref()
            .map(|m| m.amount())
            .unwrap_or_default(),
        d.estimated_cost
            .as_ref()
            .map(|m| m.currency().to_string())
            .unwrap_or_default(),
        d.investment_sought
            .as_ref()
            .map(|m| m.amount())
            .unwrap_or_default(),
        d.investment_sought
            .as_ref()
            .map(|m| m.currency().to_string())
            .unwrap_or_default(),
        d.eoi_deadline.map(|t| t.to_string()).unwrap_or_default(),
        d.public_authority_id
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        d.focal_person_id
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        d.initiative_id
            .as_ref()
            .map(|i| i.to_string())
            .unwrap_or_default(),
        d.oc4ids_id.clone().unwrap_or_default(),
        super::utc(o.updated_at).to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        o.data
            .published_at
            .map(|t| super::utc(t).to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            .unwrap_or_default(),
    ]
}

fn csv_bytes(header: bool, rows: &[Opportunity]) -> web::Bytes {
    let mut writer = csv::Writer::from_writer(Vec::new());
    if header {
        let _ = writer.write_record(CSV_COLUMNS);
    }
    for o in rows {
        // Cells that a spreadsheet would run as formulas are prefixed so they stay text.
        let row: Vec<String> = csv_row(o)
            .into_iter()
            .map(|cell| {
                if cell.starts_with(['=', '+', '-', '@']) {
                    format!("'{cell}")
                } else {
                    cell
                }
            })
            .collect();
        let _ = writer.write_record(&row);
    }
    web::Bytes::from(writer.into_inner().unwrap_or_default())
}

/// Export opportunities as CSV, codes and their titles side by side, streamed page by page so
/// memory stays flat whatever the size. Takes the opportunity list's filters (officers see
/// every listing status; others published and closed).
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
    let q = query.0;
    if q.cursor.is_some() || q.limit.is_some() || q.include_total.is_some() {
        return Err(AppError::bad_request(
            "The CSV export streams every matching row; drop limit, cursor and includeTotal.",
        ));
    }
    let (sort, descending) =
        super::pagination::sort(q.sort.as_deref(), SORTS, OpportunitySort::Created)?;
    let filter = q.filter()?;
    // Checked up front, so that refusals are problems rather than a broken stream.
    services::opportunities::list(
        &state,
        &caller,
        filter.clone(),
        PageRequest {
            sort,
            descending,
            after: None,
            limit: 0,
        },
        false,
        |_, _| (),
    )
    .await?;
    const PAGE: i64 = 500;
    let start = PageRequest {
        sort,
        descending,
        after: None,
        limit: PAGE,
    };
    let stream = futures_util::stream::unfold((Some(start), true), move |(page, header)| {
        let state = state.clone();
        let caller = caller.clone();
        let filter = filter.clone();
        async move {
            let page = page?;
            match services::opportunities::list(
                &state,
                &caller,
                filter,
                page.clone(),
                false,
                |rows, total| (rows, total),
            )
            .await
            {
                Ok((mut rows, _)) => {
                    let next = if rows.len() as i64 > PAGE {
                        rows.truncate(PAGE as usize);
                        rows.last().map(|last| PageRequest {
                            after: Some(Position {
                                key: match sort {
                                    OpportunitySort::Created => String::new(),
                                    OpportunitySort::Updated => {
                                        crate::domain::page::timestamp_key(&last.updated_at)
                                    }
                                    OpportunitySort::Title => last.data.data.title.clone(),
                                },
                                id: last.id.to_string(),
                            }),
                            ..page.clone()
                        })
                    } else {
                        None
                    };
                    Some((
                        Ok::<_, actix_web::Error>(csv_bytes(header, &rows)),
                        (next, false),
                    ))
                }
                Err(error) => {
                    tracing::error!(error = %error, "CSV export stopped");
                    Some((
                        Err(actix_web::error::ErrorInternalServerError("export failed")),
                        (None, false),
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
