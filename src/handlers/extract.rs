//! Request extraction that answers every failure as a clear problem: JSON bodies (content type,
//! size, syntax, types, unknown fields), a POST's `Idempotency-Key`, and query strings.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderName};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::api::parse::parse_json;
use crate::api::reply::IdempotencyKey;
use crate::error::{AppError, FieldError};
use crate::handlers::auth::Caller;
use crate::request::{
    IMPORT_LIMIT, JSON_LIMIT, MAX_IDEMPOTENCY_KEY, MAX_QUERY_REPEATS, MAX_QUERY_VALUE,
};
use crate::services::AppState;

/// A JSON body: `application/json` or any `application/*+json` (e.g. merge-patch), at most
/// [`JSON_LIMIT`] bytes, deserialized strictly.
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

fn is_json(request: &HttpRequest) -> bool {
    let Some(value) = request.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(text) = value.to_str() else {
        return false;
    };
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body(request, payload, JSON_LIMIT);
        Box::pin(async move {
            let (_, value) = body.await?;
            Ok(Json(value))
        })
    }
}

/// A POST's JSON body (at most [`JSON_LIMIT`] bytes) and its `Idempotency-Key`, if any.
pub struct Post<T> {
    pub body: T,
    pub key: Option<IdempotencyKey>,
}

/// An OC4IDS package POST, up to the server's configured import limit (4 MiB by default), and
/// its `Idempotency-Key`, if any.
pub struct ImportPost<T> {
    pub body: T,
    pub key: Option<IdempotencyKey>,
}

/// A POST without a body, and its `Idempotency-Key`, if any.
pub struct KeyOnly {
    pub key: Option<IdempotencyKey>,
}

impl<T: DeserializeOwned + 'static> FromRequest for Post<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let post = post_body(request, payload, JSON_LIMIT);
        Box::pin(async move {
            let (key, body) = post.await?;
            Ok(Post { body, key })
        })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ImportPost<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = request
            .app_data::<web::Data<AppState>>()
            .map_or(IMPORT_LIMIT, |state| state.import_limit);
        let post = post_body(request, payload, limit);
        Box::pin(async move {
            let (key, body) = post.await?;
            Ok(ImportPost { body, key })
        })
    }
}

impl FromRequest for KeyOnly {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            Caller::from_request(&request, &mut Payload::None).await?;
            let key = idempotency_key(&request, b"")?;
            Ok(KeyOnly { key })
        })
    }
}

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The request's `Idempotency-Key` (1 to 255 visible ASCII characters, else a 400) and the
/// fingerprint of what it was sent with.
fn idempotency_key(request: &HttpRequest, body: &[u8]) -> Result<Option<IdempotencyKey>, AppError> {
    let Some(value) = request.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| {
            !k.is_empty()
                && k.len() <= MAX_IDEMPOTENCY_KEY
                && k.bytes().all(|b| b.is_ascii_graphic())
        })
        .ok_or_else(|| AppError::BadRequest {
            detail: format!(
                "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters."
            ),
            errors: vec![FieldError::new("Idempotency-Key", "malformed")],
        })?;
    let mut hasher = Sha256::new();
    for part in [
        request.method().as_str().as_bytes(),
        request.path().as_bytes(),
        request.query_string().as_bytes(),
        request
            .headers()
            .get(header::CONTENT_TYPE)
            .map_or(&b""[..], |v| v.as_bytes()),
        body,
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    let fingerprint = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Some(IdempotencyKey {
        key: key.to_owned(),
        fingerprint,
    }))
}

/// A POST's key and parsed body: the caller is authenticated before the key is looked at, and
/// the key checked before the body is read.
fn post_body<T: DeserializeOwned + 'static>(
    request: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> impl Future<Output = Result<(Option<IdempotencyKey>, T), AppError>> + 'static {
    let body = json_body::<T>(request, payload, limit);
    let request = request.clone();
    async move {
        // A malformed key is refused before the body is read (after authentication, which
        // `json_body` does first).
        Caller::from_request(&request, &mut Payload::None).await?;
        idempotency_key(&request, b"")?;
        let (raw, value) = body.await?;
        Ok((idempotency_key(&request, &raw)?, value))
    }
}

/// Reads and parses a JSON body of at most `limit` bytes, keeping its bytes. Who is asking comes
/// before what they sent: every route with a body needs a key, so the caller is authenticated
/// (and a caller without a valid key refused) before a byte of the body is read.
fn json_body<T: DeserializeOwned + 'static>(
    request: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> impl Future<Output = Result<(web::Bytes, T), AppError>> + 'static {
    let json = is_json(request);
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut payload = payload.take();
    let timeout = body_timeout(request);
    let request = request.clone();
    async move {
        if Caller::from_request(&request, &mut Payload::None).await? == Caller::Anonymous {
            return Err(AppError::Unauthorized);
        }
        if !json {
            return Err(AppError::UnsupportedMediaType {
                expected: "application/json",
            });
        }
        if declared.is_some_and(|n| n > limit) {
            return Err(AppError::PayloadTooLarge { limit });
        }
        let body = read_body(&mut payload, limit, timeout).await?;
        let value = parse_json(&body)?;
        Ok((body, value))
    }
}

/// How long a client of this server may take to send a body.
pub fn body_timeout(request: &HttpRequest) -> Duration {
    request
        .app_data::<web::Data<AppState>>()
        .map_or(Duration::from_secs(10), |state| state.body_timeout)
}

/// Reads a whole body of at most `limit` bytes that must arrive within `timeout`, so a slow
/// client cannot hold a connection's task (or the memory it buffers) for long.
pub async fn read_body(
    payload: &mut Payload,
    limit: usize,
    timeout: Duration,
) -> Result<web::Bytes, AppError> {
    let read = async {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|_| AppError::bad_request("The request body could not be read."))?;
            if body.len() + chunk.len() > limit {
                return Err(AppError::PayloadTooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    actix_web::rt::time::timeout(timeout, read)
        .await
        .map_err(|_| AppError::RequestTimeout)?
}

/// Query parameters, deserialized strictly (unknown parameters are refused) with repeated keys
/// allowed for lists (`?sector=energy&sector=transport`).
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Err(error) = bounded(request.query_string()) {
            return std::future::ready(Err(error));
        }
        std::future::ready(
            serde_html_form::from_str::<T>(request.query_string())
                .map(Query)
                .map_err(|e| AppError::BadRequest {
                    detail: format!("Invalid query parameters: {e}."),
                    errors: Vec::new(),
                }),
        )
    }
}

/// The bounds every query parameter is held to before it is read (the document states them on
/// each parameter): no empty value (`?updatedSince=` would silently read as "absent"), no control
/// characters but tab and line breaks (as in bodies), none longer than [`MAX_QUERY_VALUE`], none repeated more than [`MAX_QUERY_REPEATS`] times.
fn bounded(query: &str) -> Result<(), AppError> {
    let mut repeats: std::collections::BTreeMap<String, usize> = Default::default();
    let mut errors = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if value.is_empty() {
            errors.push(FieldError::new(name.as_ref(), "has an empty value"));
        } else if value
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            errors.push(FieldError::new(
                name.as_ref(),
                "must not contain control characters",
            ));
        } else if value.chars().count() > MAX_QUERY_VALUE {
            errors.push(FieldError::new(
                name.as_ref(),
                format!("is longer than {MAX_QUERY_VALUE} characters"),
            ));
        }
        *repeats.entry(name.into_owned()).or_default() += 1;
    }
    for (name, _) in repeats.iter().filter(|(_, n)| **n > MAX_QUERY_REPEATS) {
        errors.push(FieldError::new(
            name.as_str(),
            format!("is repeated more than {MAX_QUERY_REPEATS} times"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::bad_parameters(errors))
    }
}

/// A route that takes no query parameters: any parameter is a 400.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}
