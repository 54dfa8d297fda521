//! The event feed: every change the caller may see, in commit order.

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::auth::Caller;
use super::extract::Query;
use super::list_request;
use crate::api::events::{EventPage, EventQuery, EventResponse};
use crate::domain::audience::Audience;
use crate::error::AppError;
use crate::services::{self, AppState};

/// Read the event feed.
///
/// Every change in commit order, cursor-paged with `after`: officers see every event; investors the
/// public ones and their own party's. A reader that pages with `nextCursor` sees every event
/// exactly once, even while writers commit concurrently. Filter with `type` (400 for an unknown
/// type). Needs a key.
#[utoipa::path(
    tag = "events",
    params(EventQuery),
    security(("bearerAuth" = [])),
    responses((status = 200, description = "Events after the cursor", body = EventPage))
)]
#[get("")]
pub async fn list_events(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    query: Query<EventQuery>,
) -> Result<HttpResponse, AppError> {
    let (events, next_cursor) =
        services::events::feed(&state, &caller, list_request(&request, query)).await?;
    Ok(HttpResponse::Ok().json(EventPage {
        // Only events the caller may see are read; their payloads as its audience may see them.
        items: events
            .iter()
            .map(|e| EventResponse::for_viewer(e, Audience::of(&caller, true)))
            .collect(),
        next_cursor,
    }))
}
