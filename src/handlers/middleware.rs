//! The request middleware, around everything else: it gives each request its id and its
//! `tracing` span, refuses what HTTP does not allow before any other work, renders every error as
//! problem+json with the request's path and id, and writes the metrics and the log line.

use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode, Version};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};
use tracing::Instrument;

use crate::error::{AppError, PROBLEM_JSON};
use crate::request::{JSON_LIMIT, MAX_CONDITION, RequestContext};

/// The request id header, accepted from clients and echoed on every response.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the API key that authenticated a request, for the log line.
#[derive(Debug, Clone)]
pub struct AuthenticatedKey(pub String);

/// Marks a request as authenticated by `key_id`, for the log line.
pub fn record_key(request: &actix_web::HttpRequest, key_id: &str) {
    request
        .extensions_mut()
        .insert(AuthenticatedKey(key_id.to_owned()));
}

/// Accepts a client's request id when it is short and plain, so it cannot forge log lines (any
/// other is refused, see [`protocol_error`]).
fn sane_request_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let ok = !text.is_empty()
        && text.len() <= 128
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| text.to_owned())
}

/// The method as a metric label: the methods HTTP defines, and `OTHER` for any other token, so
/// a client inventing methods cannot grow the metrics without bound.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "OTHER",
    }
}

/// Headers a request may carry once only: two of them leave it ambiguous which one counts.
const SINGLE_HEADERS: [HeaderName; 4] = [
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    HeaderName::from_static("idempotency-key"),
];

/// What HTTP itself does not allow, and headers outside the bounds the document states, refused
/// before anything else looks at the request.
fn protocol_error(request: &ServiceRequest) -> Option<AppError> {
    if let Some(value) = request.headers().get(REQUEST_ID)
        && sane_request_id(value).is_none()
    {
        return Some(AppError::bad_request(
            "X-Request-Id must be 1 to 128 letters, digits, '-', '_', '.' or ':' (or be left out: the server then makes one).",
        ));
    }
    let repeated: Vec<String> = SINGLE_HEADERS
        .iter()
        .filter(|name| request.headers().get_all(*name).count() > 1)
        .map(|name| name.as_str().to_owned())
        .collect();
    if !repeated.is_empty() {
        return Some(AppError::bad_request(format!(
            "These headers may be sent once only: {}.",
            repeated.join(", ")
        )));
    }
    if let Some(routes) = request.app_data::<actix_web::web::Data<super::RouteTable>>() {
        let undeclared = routes.undeclared(
            request.method().as_str(),
            request.path(),
            request.query_string(),
        );
        if !undeclared.is_empty() {
            return Some(AppError::bad_parameters(
                undeclared
                    .into_iter()
                    .map(|name| {
                        crate::error::FieldError::new(name, "is not a parameter of this operation")
                    })
                    .collect(),
            ));
        }
    }
    let long: Vec<&str> = [header::IF_MATCH, header::IF_NONE_MATCH]
        .iter()
        .filter(|name| {
            request
                .headers()
                .get_all(*name)
                .map(|v| v.len())
                .sum::<usize>()
                > MAX_CONDITION
        })
        .map(|name| name.as_str())
        .collect();
    (!long.is_empty()).then(|| {
        AppError::bad_request(format!(
            "These headers are longer than {MAX_CONDITION} bytes: {}.",
            long.join(", ")
        ))
    })
}

/// One client connection: whether a request on it asked to close it, and a handle on its socket
/// to close it with. A request pipelined behind one that asked to close (`Connection: close`, or
/// HTTP/1.0) must not be served (RFC 9112 §9.6), but actix would serve it: so it is not passed
/// on, and the socket is shut once the answer before it has gone out.
pub struct ClientConnection {
    closing: std::cell::Cell<bool>,
    socket: Option<std::os::fd::OwnedFd>,
}

/// Registers each new connection (`HttpServer::on_connect`).
pub fn on_connect(connection: &dyn std::any::Any, data: &mut actix_web::dev::Extensions) {
    use std::os::fd::AsFd;
    let socket = connection
        .downcast_ref::<actix_web::rt::net::TcpStream>()
        .and_then(|tcp| tcp.as_fd().try_clone_to_owned().ok());
    data.insert(ClientConnection {
        closing: std::cell::Cell::new(false),
        socket,
    });
}

/// Ends a connection on which a request asked to close: after a moment, for the answer before
/// to leave, its socket is shut both ways, so nothing more is read or answered.
async fn end_connection(connection: &ClientConnection) {
    actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    if let Some(socket) = &connection.socket
        && let Ok(socket) = socket.try_clone()
    {
        let _ = std::net::TcpStream::from(socket).shutdown(std::net::Shutdown::Both);
    }
}

/// Whether the client asked to close the connection after this answer (`Connection: close`, or
/// HTTP/1.0 without `keep-alive`).
fn wants_close(request: &ServiceRequest) -> bool {
    let connection = request
        .headers()
        .get(header::CONNECTION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let tokens: Vec<&str> = connection.split(',').map(str::trim).collect();
    tokens.contains(&"close")
        || (request.version() == Version::HTTP_10 && !tokens.contains(&"keep-alive"))
}

/// Answers `request` with `error` as a problem; the request middleware adds the context.
pub fn problem(request: ServiceRequest, error: AppError) -> ServiceResponse<BoxBody> {
    let (request, _) = request.into_parts();
    ServiceResponse::new(request, HttpResponse::from_error(error))
}

/// The closest problem for an error status produced outside our handlers (actix's own
/// plain-text answers).
fn problem_for_status(status: StatusCode) -> AppError {
    match status {
        StatusCode::NOT_FOUND => AppError::RouteNotFound,
        StatusCode::UNAUTHORIZED => AppError::Unauthorized,
        StatusCode::FORBIDDEN => AppError::Forbidden("This request is not allowed.".into()),
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge { limit: JSON_LIMIT },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType {
            expected: "application/json",
        },
        StatusCode::SERVICE_UNAVAILABLE => AppError::Unavailable("upstream 503".into()),
        StatusCode::REQUEST_TIMEOUT => AppError::RequestTimeout,
        s if s.is_server_error() => AppError::internal(format!("unhandled {s}")),
        _ => AppError::bad_request("The request could not be understood."),
    }
}

/// Renders an error answer as problem+json with the request's context: our own errors (carried
/// by the response) again with `instance` and `requestId`, anything else (actix's plain-text
/// defaults) as the closest problem. Server-side causes are logged here, in the request's span.
fn render_problem(
    response: ServiceResponse<BoxBody>,
    context: &RequestContext,
) -> ServiceResponse<BoxBody> {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let own = response
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
        .map(|e| e.problem_response(&context.path, &context.id));
    let replacement = match own {
        Some(replacement) => replacement,
        None => {
            let is_problem = response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
            if is_problem {
                return response;
            }
            problem_for_status(status).problem_response(&context.path, &context.id)
        }
    };
    if let Some(error) = response
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
    {
        match error {
            AppError::Internal(message) => tracing::error!(error = %message, "internal error"),
            AppError::Unavailable(message) => {
                tracing::warn!(error = %message, "database unavailable")
            }
            _ => {}
        }
    }
    let (request, original) = response.into_parts();
    let mut replacement = replacement;
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && !replacement.headers().contains_key(name)
        {
            replacement
                .headers_mut()
                .insert(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(request, replacement)
}

/// The request id, `no-store` for what a key may see, and the connection's end when asked.
fn set_headers(
    response: &mut ServiceResponse<BoxBody>,
    id: &str,
    authenticated: bool,
    close: bool,
) {
    if let Ok(value) = HeaderValue::from_str(id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    // What a key may see must not be kept by shared caches or the browser.
    if authenticated {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if close {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
}

/// The request's metrics and its log line.
fn record(
    response: &ServiceResponse<BoxBody>,
    method: &'static str,
    path: &str,
    elapsed: Duration,
) {
    let status = response.status().as_u16();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let key_id = response
        .request()
        .extensions()
        .get::<AuthenticatedKey>()
        .map(|k| k.0.clone())
        .unwrap_or_default();
    let elapsed = elapsed.as_secs_f64();
    let labels = [("method", method.to_owned()), ("route", route.clone())];
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed);
    metrics::counter!("http_requests_total", "method" => method, "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    tracing::info!(
            method,
            path = %path,
            route = %route,
            status,
            latency_ms = format_args!("{:.2}", elapsed * 1000.0),
            key_id = %key_id,
            "request"
    );
}

/// Middleware: assigns the request id and span, refuses what HTTP forbids, renders every error
/// as problem+json, answers `HEAD` as `GET` without the body, and logs one line per request.
pub async fn requests(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(sane_request_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
    let context = RequestContext {
        id,
        path: request.path().to_owned(),
    };
    let method = method_label(request.method());
    let span = tracing::info_span!("request", request_id = %context.id);
    let authenticated = request.headers().contains_key(header::AUTHORIZATION);
    let close = wants_close(&request);
    if let Some(connection) = request.conn_data::<ClientConnection>() {
        if connection.closing.get() {
            // Pipelined behind a request that asked to close: never served.
            end_connection(connection).await;
            tracing::debug!(parent: &span, "a request after Connection: close was not served");
            return Ok(problem(
                request,
                AppError::bad_request("This connection was closed by an earlier request."),
            ));
        }
        connection.closing.set(close);
    }
    // HEAD is GET without the body: the route answers as it would a GET, and the connection
    // (which saw HEAD on the wire) sends the head alone.
    if request.method() == Method::HEAD {
        request.head_mut().method = Method::GET;
    }
    request.extensions_mut().insert(context.clone());

    let response = match protocol_error(&request) {
        Some(error) => problem(request, error),
        // Inner services answer errors as responses; an `Err` here (none is known: CORS is set
        // not to block) has lost its request and is left to actix.
        None => next
            .call(request)
            .instrument(span.clone())
            .await?
            .map_into_boxed_body(),
    };
    let mut response = span.in_scope(|| render_problem(response, &context));

    set_headers(&mut response, &context.id, authenticated, close);
    span.in_scope(|| record(&response, method, &context.path, started.elapsed()));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_must_be_plain_and_short() {
        let ok = HeaderValue::from_static("abc-123_x.y:z");
        assert_eq!(sane_request_id(&ok).as_deref(), Some("abc-123_x.y:z"));
        assert!(sane_request_id(&HeaderValue::from_static("a b")).is_none());
        assert!(sane_request_id(&HeaderValue::from_str(&"a".repeat(129)).unwrap()).is_none());
        assert!(sane_request_id(&HeaderValue::from_static("")).is_none());
    }

    #[test]
    fn invented_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"FOO").unwrap()), "OTHER");
        assert_eq!(method_label(&Method::from_bytes(b"BAR1").unwrap()), "OTHER");
    }
}
