//! The `Idempotency-Key` header on POST requests: a retry with the same key and body gets the
//! stored response (`Idempotent-Replayed: true`); the same key with another body is a 422; a
//! retry while the first is still being served is a 409. Keys are scoped to the API key.

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::handlers::extract::{JSON_LIMIT, body_timeout, read_body};
use crate::persistence::idempotency::REQUEST_CLAIM;
use crate::services::AppState;
use crate::services::idempotency::{self, Begin};

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// Response headers that are part of a replayed answer.
const KEPT_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

use super::middleware::problem;

/// A usable key: 1–255 visible ASCII characters.
fn valid_key(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    (!text.is_empty() && text.len() <= 255 && text.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| text.to_owned())
}

pub async fn middleware(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(value) = request.headers().get(IDEMPOTENCY_KEY).cloned() else {
        return next
            .call(request)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    if request.method() != Method::POST {
        return next
            .call(request)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let Some(key) = valid_key(&value) else {
        return Ok(problem(
            request,
            AppError::bad_request("Idempotency-Key must be 1 to 255 visible ASCII characters."),
        ));
    };
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(request)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    // Keys are scoped to the caller's API key, identified by its hash (never the key itself).
    let scope = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| hex(&Sha256::digest(v.as_bytes())))
        .unwrap_or_else(|| "anonymous".to_owned());

    let mut payload = request.take_payload();
    let timeout = body_timeout(request.request());
    // Bodies up to the largest any route takes are buffered for hashing; each handler then
    // enforces its own limit.
    let body = match read_body(&mut payload, state.import_limit.max(JSON_LIMIT), timeout).await {
        Ok(body) => body,
        Err(error) => return Ok(problem(request, error)),
    };
    let mut hasher = Sha256::new();
    hasher.update(request.path().as_bytes());
    hasher.update(b"?");
    hasher.update(request.query_string().as_bytes());
    hasher.update(b"\n");
    hasher.update(
        request
            .headers()
            .get(header::CONTENT_TYPE)
            .map(HeaderValue::as_bytes)
            .unwrap_or_default(),
    );
    hasher.update(b"\n");
    hasher.update(&body);
    let hash = hex(&hasher.finalize());

    match idempotency::begin(&state, scope.clone(), key.clone(), hash).await {
        Err(error) => return Ok(problem(request, error)),
        Ok(Begin::Mismatch) => {
            return Ok(problem(
                request,
                AppError::invalid_field(
                    "/",
                    "this Idempotency-Key was used for a different request; use a new key",
                ),
            ));
        }
        Ok(Begin::InFlight) => {
            return Ok(problem(
                request,
                AppError::conflict(
                    "idempotencyInFlight",
                    "A request with this Idempotency-Key is still being processed; retry shortly.",
                ),
            ));
        }
        Ok(Begin::Replay(status, headers, stored_body)) => {
            let mut response =
                HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
            if let Ok(serde_json::Value::Object(map)) =
                serde_json::from_str::<serde_json::Value>(&headers)
            {
                for (name, value) in map {
                    if let Some(value) = value.as_str() {
                        response.insert_header((name.as_str(), value));
                    }
                }
            }
            response.insert_header((REPLAYED, "true"));
            let (request, _) = request.into_parts();
            return Ok(ServiceResponse::new(request, response.body(stored_body)));
        }
        Ok(Begin::Proceed) => {}
    }

    request.set_payload(actix_web::dev::Payload::from(body));
    let claim = (scope.clone(), key.clone());
    let response = REQUEST_CLAIM.scope(claim, next.call(request)).await?;

    let status = response.status();
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let bytes = to_bytes(body).await.unwrap_or_default();
    let mut kept = serde_json::Map::new();
    for name in KEPT_HEADERS {
        if let Some(value) = head.headers().get(&name).and_then(|v| v.to_str().ok()) {
            kept.insert(
                name.to_string(),
                serde_json::Value::String(value.to_owned()),
            );
        }
    }
    let stored_headers = serde_json::Value::Object(kept).to_string();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    // Server errors and refusals that a retry might not repeat are not remembered, unless the
    // request's write committed (then its answer must be replayed, never re-executed).
    let outcome = if status.is_server_error() || matches!(status.as_u16(), 401 | 403 | 429) {
        idempotency::release_or_complete(&state, scope, key, status.as_u16(), stored_headers, text)
            .await
    } else {
        idempotency::complete(&state, scope, key, status.as_u16(), stored_headers, text).await
    };
    if let Err(error) = outcome {
        tracing::warn!(error = %error, "storing an idempotent response failed");
    }
    Ok(ServiceResponse::new(
        request,
        head.set_body(bytes).map_into_boxed_body(),
    ))
}
