//! Request extraction that answers every failure as a clear problem: JSON bodies (content type,
//! size, syntax, types, unknown fields), query strings, and validation errors as JSON pointers.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use validator::{ValidationErrors, ValidationErrorsKind};

use crate::domain::ParseError;
use crate::error::{AppError, FieldError};
use crate::handlers::auth::Caller;
use crate::services::AppState;

/// The largest JSON body accepted.
pub const JSON_LIMIT: usize = 64 * 1024;

/// The largest body an import accepts unless configured otherwise.
pub const IMPORT_LIMIT: usize = 4 * 1024 * 1024;

/// A JSON body: `application/json` or any `application/*+json` (e.g. merge-patch), at most
/// `LIMIT` bytes ([`JSON_LIMIT`] unless said otherwise), deserialized strictly.
pub struct Json<T, const LIMIT: usize = JSON_LIMIT>(pub T);

impl<T, const LIMIT: usize> Json<T, LIMIT> {
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

impl<T: DeserializeOwned + 'static, const LIMIT: usize> FromRequest for Json<T, LIMIT> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body::<T>(request, payload, LIMIT);
        Box::pin(async move { body.await.map(Json) })
    }
}

/// An OC4IDS package body, up to the server's configured import limit (4 MiB by default).
pub struct ImportJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ImportJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = request
            .app_data::<web::Data<AppState>>()
            .map_or(IMPORT_LIMIT, |state| state.import_limit);
        let body = json_body::<T>(request, payload, limit);
        Box::pin(async move { body.await.map(ImportJson) })
    }
}

/// Reads and parses a JSON body of at most `limit` bytes. Who is asking comes before what they
/// sent: every route with a body needs a key, so a caller without a valid one learns nothing
/// from validation.
fn json_body<T: DeserializeOwned + 'static>(
    request: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> impl Future<Output = Result<T, AppError>> + 'static {
    let json = is_json(request);
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut payload = payload.take();
    let timeout = body_timeout(request);
    let anonymous = !request.headers().contains_key(header::AUTHORIZATION);
    let request = request.clone();
    async move {
        if anonymous {
            return Err(AppError::Unauthorized);
        }
        let parsed = async {
            if !json {
                return Err(AppError::UnsupportedMediaType {
                    expected: "application/json",
                });
            }
            if declared.is_some_and(|n| n > limit) {
                return Err(AppError::PayloadTooLarge { limit });
            }
            let body = read_body(&mut payload, limit, timeout).await?;
            parse_json(&body)
        }
        .await;
        match parsed {
            Ok(value) => Ok(value),
            // A refused key outranks a refused body.
            Err(error) => match Caller::from_request(&request, &mut Payload::None).await {
                Err(unauthenticated) => Err(unauthenticated),
                Ok(_) => Err(error),
            },
        }
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

/// Parses JSON text: a syntax error is a 400; a value of the wrong shape, or text with control
/// characters (NUL included, which PostgreSQL cannot store), is a 422 naming where.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        AppError::bad_request(format!(
            "The body is not valid JSON: {}",
            describe_serde(&e)
        ))
    })?;
    let depth = depth_of(&value);
    if depth > MAX_DEPTH {
        return Err(AppError::bad_request(format!(
            "The body nests {depth} levels deep; at most {MAX_DEPTH} are accepted."
        )));
    }
    from_value(value)
}

/// The deepest nesting of arrays and objects a body may have (no document of ours needs more
/// than a few levels; serde_json itself stops at 128).
pub const MAX_DEPTH: usize = 32;

/// How deeply arrays and objects nest in `value` (a scalar is 0).
fn depth_of(value: &serde_json::Value) -> usize {
    use serde_json::Value;
    match value {
        Value::Array(items) => 1 + items.iter().map(depth_of).max().unwrap_or(0),
        Value::Object(fields) => 1 + fields.values().map(depth_of).max().unwrap_or(0),
        _ => 0,
    }
}

/// Deserializes an already parsed JSON value strictly, as [`parse_json`] does.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, AppError> {
    let mut problems = Vec::new();
    find_control_characters(&value, &mut String::new(), &mut problems);
    if !problems.is_empty() {
        return Err(AppError::invalid(problems));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let mut pointer = pointer_of(error.path());
        let inner = error.into_inner();
        // serde names an unknown or missing field in its message but points at the object.
        if let Some(field) = named_field(&inner.to_string())
            && !pointer.ends_with(&format!("/{field}"))
        {
            pointer = format!("{}/{field}", pointer.trim_end_matches('/'));
        }
        AppError::invalid_field(pointer, describe_serde(&inner))
    })
}

fn find_control_characters(
    value: &serde_json::Value,
    pointer: &mut String,
    out: &mut Vec<FieldError>,
) {
    use serde_json::Value;
    let bad = |s: &str| {
        s.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    };
    match value {
        Value::String(s) if bad(s) => out.push(FieldError::new(
            if pointer.is_empty() {
                "/".to_owned()
            } else {
                pointer.clone()
            },
            "must not contain control characters (NUL and the like)",
        )),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                find_control_characters(item, pointer, out);
                pointer.truncate(len);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let len = pointer.len();
                if bad(key) {
                    out.push(FieldError::new(
                        pointer.clone() + "/",
                        "field names must not contain control characters",
                    ));
                    continue;
                }
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                find_control_characters(item, pointer, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

fn named_field(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))?;
    rest.split_once('`').map(|(field, _)| field.to_owned())
}

/// A JSON pointer from serde's path (`opportunity.locations[0].region` → `/locations/0/region`).
fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Unknown => {}
        }
    }
    if pointer.is_empty() {
        "/".into()
    } else {
        pointer
    }
}

/// serde's message without its "at line … column …" suffix, which means nothing to a client
/// that did not send pretty-printed JSON.
fn describe_serde(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Query parameters, deserialized strictly (unknown parameters are refused) with repeated keys
/// allowed for lists (`?sector=energy&sector=transport`).
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        // An empty value (`?updatedSince=`) would silently read as "absent"; say so instead.
        let empty: Vec<String> = url::form_urlencoded::parse(request.query_string().as_bytes())
            .filter(|(_, v)| v.is_empty())
            .map(|(k, _)| k.into_owned())
            .collect();
        if !empty.is_empty() {
            return std::future::ready(Err(AppError::BadRequest {
                detail: format!(
                    "Query parameters without a value: {}; leave them out instead.",
                    empty.join(", ")
                ),
                errors: empty
                    .into_iter()
                    .map(|k| FieldError::new(k, "has an empty value"))
                    .collect(),
            }));
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

/// A route that takes no query parameters: any parameter is a 400.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

/// Collects every problem with a request body, from field validation and from parsing into
/// domain values, so that one 422 lists them all.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    /// Starts from `validator`'s findings.
    pub fn from_validation(result: Result<(), ValidationErrors>) -> Self {
        let mut problems = Problems::default();
        if let Err(errors) = result {
            flatten(&errors, String::new(), &mut problems.0);
        }
        problems
    }

    pub fn add(&mut self, pointer: impl Into<String>, detail: impl Into<String>) {
        self.0.push(FieldError::new(pointer, detail));
    }

    /// Keeps the value, or records why it failed at `pointer`.
    pub fn take<T>(&mut self, pointer: impl Into<String>, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(detail) => {
                self.add(pointer, detail);
                None
            }
        }
    }

    /// Records a domain parse error, its pointer relative to `base`.
    pub fn take_parsed<T>(&mut self, base: &str, result: Result<T, ParseError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.add(format!("{base}{}", e.pointer), e.detail);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Fails with every problem found, or builds the value.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, AppError> {
        if !self.0.is_empty() {
            return Err(AppError::invalid(self.0));
        }
        build().ok_or_else(|| {
            AppError::internal("a parsed field was missing without a recorded problem")
        })
    }
}

fn flatten(errors: &ValidationErrors, prefix: String, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let pointer = format!("{prefix}/{}", camel_case(field));
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    let detail = error
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| describe_validation(error));
                    out.push(FieldError::new(pointer.clone(), detail));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten(inner, pointer, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten(inner, format!("{pointer}/{index}"), out);
                }
            }
        }
    }
}

fn describe_validation(error: &validator::ValidationError) -> String {
    let param = |name: &str| error.params.get(name).map(|v| v.to_string());
    match error.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("length must be between {min} and {max}"),
            (Some(min), None) => format!("length must be at least {min}"),
            (None, Some(max)) => format!("length must be at most {max}"),
            _ => "invalid length".into(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            _ => "out of range".into(),
        },
        "email" => "must be an email address".into(),
        "url" => "must be an absolute URL".into(),
        other => format!("is invalid ({other})"),
    }
}

/// `job_title` → `jobTitle`; validator reports Rust field names, the API speaks camelCase.
fn camel_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Sample {
        title: String,
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        n: u8,
    }

    fn status_and_detail(error: AppError) -> (u16, String) {
        use actix_web::ResponseError;
        (error.status_code().as_u16(), format!("{error:?}"))
    }

    #[test]
    fn bodies_nested_deeper_than_the_limit_are_400() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let ok = parse_json::<serde_json::Value>(nested(MAX_DEPTH).as_bytes());
        assert!(ok.is_ok());
        let (status, detail) = status_and_detail(
            parse_json::<serde_json::Value>(nested(MAX_DEPTH + 1).as_bytes()).unwrap_err(),
        );
        assert_eq!(status, 400);
        assert!(detail.contains("33 levels"), "{detail}");
        // Far beyond: serde_json's own recursion limit answers, still a 400.
        let (status, _) = status_and_detail(
            parse_json::<serde_json::Value>(nested(10_000).as_bytes()).unwrap_err(),
        );
        assert_eq!(status, 400);
    }

    #[test]
    fn syntax_errors_are_400_and_shape_errors_are_422_with_a_pointer() {
        let (status, _) = status_and_detail(parse_json::<Sample>(b"{").unwrap_err());
        assert_eq!(status, 400);
        let (status, detail) = status_and_detail(
            parse_json::<Sample>(br#"{"title":"x","items":[{"n":1},{"n":"a"}]}"#).unwrap_err(),
        );
        assert_eq!(status, 422);
        assert!(detail.contains("/items/1/n"), "{detail}");
        let (status, detail) = status_and_detail(
            parse_json::<Sample>(br#"{"title":"x","items":[],"extra":1}"#).unwrap_err(),
        );
        assert_eq!(status, 422);
        assert!(detail.contains("extra"), "{detail}");
    }

    #[test]
    fn snake_case_fields_become_camel_case_pointers() {
        assert_eq!(camel_case("job_title"), "jobTitle");
        assert_eq!(camel_case("name"), "name");
    }
}
