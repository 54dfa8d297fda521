//! The one application error type, and the only place where errors become HTTP statuses and
//! RFC 9457 `application/problem+json` bodies.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The most field errors one problem lists; the detail says how many more there were (a
/// hostile request can name thousands of bad fields, and each would cost the answer bytes).
pub const MAX_FIELD_ERRORS: usize = 50;

/// The longest `detail` of a problem, in bytes (then cut and marked with `…`).
pub const MAX_DETAIL: usize = 1000;

/// The longest `pointer` or `detail` of one field error, in bytes (then cut and marked).
pub const MAX_FIELD_TEXT: usize = 200;

/// One field that failed validation, located by a JSON pointer into the request body (or the
/// query parameter name, for query errors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON pointer (RFC 6901) to the offending value, e.g. `/estimatedCost/amount`.
    #[schema(max_length = 201, example = "/title")]
    pub pointer: String,
    /// What is wrong and how to fix it.
    #[schema(max_length = 201, example = "must not be empty")]
    pub detail: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Malformed syntax: unparsable JSON, bad query parameters.
    #[error("bad request: {detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// No credentials, or credentials that are unknown, revoked or expired.
    #[error("authentication required")]
    Unauthorized,
    /// Valid credentials whose role may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Missing, or not visible to the caller: the two are deliberately indistinguishable.
    #[error("not found")]
    NotFound,
    /// No route matches the path.
    #[error("no route for this path")]
    RouteNotFound,
    /// The path exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<String> },
    /// The request conflicts with the current state.
    #[error("conflict: {detail}")]
    Conflict { code: &'static str, detail: String },
    /// A stage move the pipeline does not allow from the current stage.
    #[error("illegal transition: {detail}")]
    IllegalTransition {
        detail: String,
        allowed: Vec<String>,
    },
    /// `If-Match` named a version that is no longer current.
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type")]
    UnsupportedMediaType { expected: &'static str },
    /// Well-formed but invalid content.
    #[error("validation failed: {detail}")]
    Unprocessable {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// The client sent more requests than its budget allows; it may retry after `retry_after`
    /// seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after: u64 },
    /// The client did not send its body in time.
    #[error("request timeout")]
    RequestTimeout,
    /// The database is out of reach or saturated; the client should retry.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug. The message goes to the log, never to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn internal(message: impl Into<String>) -> Self {
        AppError::Internal(message.into())
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        AppError::BadRequest {
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    /// A 422 for one field.
    pub fn invalid_field(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        AppError::invalid(vec![FieldError::new(pointer, detail)])
    }

    /// A 422 listing every bad field, in pointer order (at most [`MAX_FIELD_ERRORS`]).
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let (errors, more) = capped(errors);
        let detail = match (errors.len(), more) {
            (1, 0) => format!("{} {}", errors[0].pointer, errors[0].detail),
            (n, 0) => format!("{n} fields are invalid; see errors"),
            (n, more) => format!(
                "{} fields are invalid; errors lists the first {n}",
                n + more
            ),
        };
        AppError::Unprocessable { detail, errors }
    }

    /// A 400 about query parameters, listing each (at most [`MAX_FIELD_ERRORS`]).
    pub fn bad_parameters(errors: Vec<FieldError>) -> Self {
        let (errors, more) = capped(errors);
        let mut names: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        names.dedup();
        let detail = match more {
            0 => format!("Invalid query parameters: {}.", names.join(", ")),
            more => format!(
                "Invalid query parameters: {} and {more} more.",
                names.join(", ")
            ),
        };
        AppError::BadRequest { detail, errors }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            detail: detail.into(),
        }
    }

    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { .. } => "badRequest",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound => "notFound",
            AppError::RouteNotFound => "routeNotFound",
            AppError::MethodNotAllowed { .. } => "methodNotAllowed",
            AppError::Conflict { code, .. } => code,
            AppError::IllegalTransition { .. } => "illegalTransition",
            AppError::PreconditionFailed => "preconditionFailed",
            AppError::PayloadTooLarge { .. } => "payloadTooLarge",
            AppError::UnsupportedMediaType { .. } => "unsupportedMediaType",
            AppError::Unprocessable { .. } => "validationFailed",
            AppError::TooManyRequests { .. } => "rateLimited",
            AppError::RequestTimeout => "requestTimeout",
            AppError::Unavailable(_) => "serviceUnavailable",
            AppError::Internal(_) => "internalError",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            AppError::BadRequest { .. } => "Bad request",
            AppError::Unauthorized => "Authentication required",
            AppError::Forbidden(_) => "Forbidden",
            AppError::NotFound => "Not found",
            AppError::RouteNotFound => "No such route",
            AppError::MethodNotAllowed { .. } => "Method not allowed",
            AppError::Conflict { .. } => "Conflict",
            AppError::IllegalTransition { .. } => "Illegal stage transition",
            AppError::PreconditionFailed => "Precondition failed",
            AppError::PayloadTooLarge { .. } => "Payload too large",
            AppError::UnsupportedMediaType { .. } => "Unsupported media type",
            AppError::Unprocessable { .. } => "Validation failed",
            AppError::TooManyRequests { .. } => "Too many requests",
            AppError::RequestTimeout => "Request timeout",
            AppError::Unavailable(_) => "Service unavailable",
            AppError::Internal(_) => "Internal server error",
        }
    }

    /// What the client is told. Never carries internal causes.
    fn detail(&self) -> String {
        match self {
            AppError::BadRequest { detail, .. }
            | AppError::Unprocessable { detail, .. }
            | AppError::Conflict { detail, .. }
            | AppError::IllegalTransition { detail, .. } => detail.clone(),
            AppError::Unauthorized => {
                "Send a valid API key as `Authorization: Bearer <key>`.".into()
            }
            AppError::Forbidden(detail) => detail.clone(),
            AppError::NotFound => "The resource does not exist or is not visible to you.".into(),
            AppError::RouteNotFound => "No route matches this path; see /openapi.json.".into(),
            AppError::MethodNotAllowed { allow } => {
                format!("This path allows {}.", allow.join(", "))
            }
            AppError::PreconditionFailed => {
                "The resource has changed since the ETag in If-Match; fetch it again and retry."
                    .into()
            }
            AppError::PayloadTooLarge { limit } => {
                format!("The request body exceeds the limit of {limit} bytes.")
            }
            AppError::UnsupportedMediaType { expected } => {
                format!("Send the body as {expected}.")
            }
            AppError::TooManyRequests { retry_after } => format!(
                "This client has used its request budget; retry in {retry_after} s (Retry-After)."
            ),
            AppError::RequestTimeout => {
                "The request body did not arrive in time; send it again.".into()
            }
            AppError::Unavailable(_) => {
                "The service cannot reach its database right now; retry shortly.".into()
            }
            AppError::Internal(_) => {
                "An unexpected error occurred; it has been logged with the request id.".into()
            }
        }
    }

    fn field_errors(&self) -> Option<&[FieldError]> {
        match self {
            AppError::BadRequest { errors, .. } | AppError::Unprocessable { errors, .. }
                if !errors.is_empty() =>
            {
                Some(errors)
            }
            _ => None,
        }
    }
}

/// Sorts and deduplicates field errors and keeps the first [`MAX_FIELD_ERRORS`]; also returns
/// how many were left out.
/// Cuts `text` to at most `longest` bytes (at a character boundary), marking the cut: what a
/// client sent is echoed that long at most, so a 60 KB parameter name is not repeated back.
pub fn shorten(text: &mut String, longest: usize) {
    if text.len() > longest {
        let mut end = longest;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
}

fn capped(mut errors: Vec<FieldError>) -> (Vec<FieldError>, usize) {
    for error in &mut errors {
        shorten(&mut error.pointer, MAX_FIELD_TEXT);
        shorten(&mut error.detail, MAX_FIELD_TEXT);
    }
    errors.sort_by(|a, b| a.pointer.cmp(&b.pointer).then(a.detail.cmp(&b.detail)));
    errors.dedup();
    let more = errors.len().saturating_sub(MAX_FIELD_ERRORS);
    errors.truncate(MAX_FIELD_ERRORS);
    (errors, more)
}

/// An RFC 9457 problem details body.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI identifying the problem type.
    #[schema(max_length = 128, example = "urn:investdesk:problem:validationFailed")]
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the problem type.
    #[schema(max_length = 128, example = "Validation failed")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong in this occurrence, and how to fix it.
    #[schema(max_length = 1001)]
    pub detail: String,
    /// The request path this problem occurred on.
    #[schema(max_length = 32768, example = "/v1/opportunities")]
    pub instance: String,
    /// A stable machine-readable code.
    #[schema(max_length = 64, example = "validationFailed")]
    pub code: String,
    /// The request id, also in the `X-Request-Id` header and the service's log.
    #[schema(max_length = 128)]
    pub request_id: String,
    /// Every invalid field, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 50)]
    pub errors: Option<Vec<FieldError>>,
    /// The stages an interest may move to, for an illegal transition.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<crate::domain::stages::Stage>>, max_items = 16)]
    pub allowed_stages: Option<Vec<String>>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound | AppError::RouteNotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict { .. } | AppError::IllegalTransition { .. } => StatusCode::CONFLICT,
            AppError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem without its request's context; the request middleware renders it again
    /// with the request's path and id (see [`AppError::problem_response`]).
    fn error_response(&self) -> HttpResponse {
        self.problem_response("", "")
    }
}

impl AppError {
    /// The problem+json answer to the request at `instance` with id `request_id`.
    pub fn problem_response(&self, instance: &str, request_id: &str) -> HttpResponse {
        let status = self.status_code();
        let mut detail = self.detail();
        shorten(&mut detail, MAX_DETAIL);
        let problem = Problem {
            problem_type: format!("urn:investdesk:problem:{}", self.code()),
            title: self.title().into(),
            status: status.as_u16(),
            detail,
            instance: instance.to_owned(),
            code: self.code().into(),
            request_id: request_id.to_owned(),
            errors: self.field_errors().map(<[FieldError]>::to_vec),
            allowed_stages: match self {
                AppError::IllegalTransition { allowed, .. } => Some(allowed.clone()),
                _ => None,
            },
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        match self {
            AppError::Unauthorized => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"investdesk\""));
            }
            AppError::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
                    response.insert_header((header::ALLOW, value));
                }
            }
            AppError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "2"));
            }
            AppError::TooManyRequests { retry_after } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}

impl From<DieselError> for AppError {
    fn from(error: DieselError) -> Self {
        match &error {
            DieselError::NotFound => AppError::NotFound,
            DieselError::DatabaseError(kind, info) => match kind {
                DatabaseErrorKind::UniqueViolation => AppError::conflict(
                    "duplicate",
                    "A resource with the same unique value already exists.",
                ),
                DatabaseErrorKind::ForeignKeyViolation => AppError::conflict(
                    "referenced",
                    "The change would break a reference between resources (it is still referenced, or refers to something that no longer exists).",
                ),
                DatabaseErrorKind::ClosedConnection => AppError::Unavailable(error.to_string()),
                DatabaseErrorKind::SerializationFailure => AppError::Unavailable(error.to_string()),
                _ if is_transient(info.message()) => AppError::Unavailable(error.to_string()),
                _ => AppError::Internal(error.to_string()),
            },
            _ => AppError::Internal(error.to_string()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    /// No connection within the acquire timeout: the database is down or saturated.
    fn from(error: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(error.to_string())
    }
}

/// Messages of errors that go away on retry: SQLite lock contention past the busy timeout and
/// storage faults (a file or folder become read-only, a full disk, an I/O error), PostgreSQL
/// timeouts, deadlocks, lost connections and a server in recovery.
fn is_transient(message: &str) -> bool {
    const TRANSIENT: [&str; 19] = [
        "database is locked",
        "database table is locked",
        "attempt to write a readonly database",
        "disk I/O error",
        "database or disk is full",
        "unable to open database file",
        "cannot commit - no transaction is active",
        "in a read-only transaction",
        "canceling statement due to statement timeout",
        "canceling statement due to lock timeout",
        "deadlock detected",
        "server closed the connection",
        "terminating connection",
        "no connection to the server",
        "connection to server was lost",
        "could not send data to server",
        "could not receive data from server",
        "the database system is shutting down",
        "the database system is starting up",
    ];
    TRANSIENT.iter().any(|t| message.contains(t))
}

impl From<crate::domain::access::Denied> for AppError {
    fn from(denied: crate::domain::access::Denied) -> Self {
        use crate::domain::access::Denied;
        match denied {
            Denied::Unauthenticated => AppError::Unauthorized,
            Denied::Forbidden(detail) => AppError::Forbidden(detail.into()),
        }
    }
}

impl From<crate::domain::stored::Stale> for AppError {
    fn from(_: crate::domain::stored::Stale) -> Self {
        AppError::PreconditionFailed
    }
}

impl From<crate::domain::ParseError> for AppError {
    fn from(error: crate::domain::ParseError) -> Self {
        AppError::invalid_field(error.pointer, error.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body_of(error: &AppError) -> serde_json::Value {
        let bytes = error
            .error_response()
            .into_body()
            .try_into_bytes()
            .unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn internal_errors_never_reach_the_client() {
        let error = AppError::from(DieselError::QueryBuilderError("SELECT secret".into()));
        assert_eq!(error.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = body_of(&error).to_string();
        assert!(!body.contains("SELECT"), "{body}");
    }

    #[test]
    fn sqlite_lock_contention_is_a_retryable_503() {
        assert!(is_transient("database is locked"));
        assert!(!is_transient("no such table: x"));
    }

    #[test]
    fn field_errors_are_listed_in_the_body() {
        let error = AppError::invalid(vec![
            FieldError::new("/title", "must not be empty"),
            FieldError::new("/sectors", "needs at least one code"),
        ]);
        let body = body_of(&error);
        assert_eq!(body["status"], 422);
        assert_eq!(body["errors"].as_array().unwrap().len(), 2);
        assert_eq!(
            body["errors"][0]["pointer"], "/sectors",
            "sorted by pointer"
        );
    }
}
