//! Authentication: `Authorization: Bearer <key>` becomes a [`Caller`]. No header means
//! anonymous; a header that does not hold a valid, active key is a 401 whatever the reason.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

pub use crate::domain::access::Caller;
use crate::error::AppError;
use crate::services::{self, AppState};
use crate::telemetry;

impl FromRequest for Caller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let Some(value) = request.headers().get(header::AUTHORIZATION) else {
                return Ok(Caller::Anonymous);
            };
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
            let state = request
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::internal("application state missing"))?;
            let caller = services::api_keys::authenticate(state, &secret).await?;
            if let Some(id) = caller.key_id() {
                telemetry::record_key(&request, id.as_str());
            }
            Ok(caller)
        })
    }
}
