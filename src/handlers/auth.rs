//! Authentication: `Authorization: Bearer <key>` becomes a [`Caller`]. No header means
//! anonymous; a header that does not hold a valid, active key is a 401 whatever the reason.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

pub use crate::domain::access::Caller;
use crate::error::AppError;
use crate::handlers::limits;
use crate::services::rate_limit::retry_after_seconds;
use crate::services::{self, AppState};

impl FromRequest for Caller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            // Authenticated once per request (a body extractor may have done it already).
            if let Some(caller) = request.extensions().get::<Caller>() {
                return Ok(caller.clone());
            }
            let caller = authenticate_request(&request).await?;
            request.extensions_mut().insert(caller.clone());
            Ok(caller)
        })
    }
}

/// The caller of `request`, with the failed-authentication and per-key limits applied.
async fn authenticate_request(request: &HttpRequest) -> Result<Caller, AppError> {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return Ok(Caller::Anonymous);
    };
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("application state missing"))?;
    let limits = &state.limits;
    let now = Instant::now();
    // An address that has failed too often is refused before its key is looked at.
    let address = limits::client_address(state, request);
    if let Some(failures) = &limits.auth_failures
        && let Err(wait) = failures.peek(&address, now)
    {
        metrics::counter!("rate_limited_total", "limit" => "authFailures").increment(1);
        return Err(AppError::TooManyRequests {
            retry_after: retry_after_seconds(wait),
        });
    }
    let caller = match authenticate(state, value).await {
        Ok(caller) => caller,
        Err(AppError::Unauthorized) => {
            if let Some(failures) = &limits.auth_failures {
                let _ = failures.check(&address, now);
            }
            return Err(AppError::Unauthorized);
        }
        Err(other) => return Err(other),
    };
    if let (Some(per_key), Some(id)) = (&limits.per_key, caller.key_id()) {
        let verdict = per_key.check(&id.to_string(), Instant::now());
        limits::report(request, "key", per_key, verdict);
        if let Err(wait) = verdict {
            metrics::counter!("rate_limited_total", "limit" => "key").increment(1);
            return Err(AppError::TooManyRequests {
                retry_after: retry_after_seconds(wait),
            });
        }
    }
    if let Some(id) = caller.key_id() {
        super::middleware::record_key(request, id.as_str());
    }
    Ok(caller)
}

/// The caller named by an `Authorization` header value; any failure is the same 401.
async fn authenticate(state: &AppState, value: &HeaderValue) -> Result<Caller, AppError> {
    let secret = value
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_owned())
        })
        .ok_or(AppError::Unauthorized)?;
    services::api_keys::authenticate(state, &secret).await
}
