//! Logging, request ids and the per-request log line.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError};

use tracing_subscriber::EnvFilter;

use crate::error::{AppError, PROBLEM_JSON};

/// The request id header, accepted from clients and echoed on every response.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Installs the global subscriber; `RUST_LOG` overrides the default `info` level.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests start many servers in one process) keeps the first subscriber.
    let _ = match format {
        LogFormat::Pretty => builder.compact().try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

static PROMETHEUS: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
    std::sync::OnceLock::new();

/// How often the recorder folds the request durations recorded since into its histogram.
const METRICS_UPKEEP: std::time::Duration = std::time::Duration::from_secs(1);

/// The process's Prometheus recorder, installed on first use, with a thread that keeps it.
///
/// The recorder buffers each histogram sample until it is folded into the buckets, which a
/// scrape of `/metrics` or an upkeep does. Without upkeep the buffer grows with every request
/// between scrapes, and for ever if nothing scrapes: 5 s of `/healthz` at 100k requests/s left
/// 9 MiB resident. The upkeep thread bounds it to a second's samples.
pub fn prometheus() -> &'static metrics_exporter_prometheus::PrometheusHandle {
    PROMETHEUS.get_or_init(|| {
        let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Full("http_request_duration_seconds".into()),
                &[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            )
            .expect("bucket list is not empty")
            .install_recorder()
            .expect("no other metrics recorder is installed");
        let kept = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(METRICS_UPKEEP);
                    kept.run_upkeep();
                }
            })
            .expect("the metrics upkeep thread starts");
        handle
    })
}

/// What every part of a request's handling may need to know about the request itself.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub id: String,
    pub path: String,
}

/// The id of the API key that authenticated a request, for the log line.
#[derive(Debug, Clone)]
pub struct AuthenticatedKey(pub String);

tokio::task_local! {
    static REQUEST: RequestContext;
}

/// The request being served by this task, or an empty context outside of one.
pub fn current_request() -> RequestContext {
    REQUEST.try_with(Clone::clone).unwrap_or_default()
}

/// Accepts a client's request id when it is short and plain, so it cannot forge log lines.
fn sane_request_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let ok = !text.is_empty()
        && text.len() <= 128
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| text.to_owned())
}

/// Middleware: assigns the request id, turns every error into problem+json, and logs one line
/// per request.
pub async fn request_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(sane_request_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
    let context = RequestContext {
        id: id.clone(),
        path: req.path().to_owned(),
    };
    let method = req.method().clone();
    let authenticated = req.headers().contains_key(header::AUTHORIZATION);

    // Inner services answer errors as responses; an `Err` here (none is known: CORS is set not to
    // block) has lost its request and is left to actix.
    let mut response = REQUEST
        .scope(context.clone(), async move {
            next.call(req)
                .await
                .map(|r| normalise(r.map_into_boxed_body()))
        })
        .await?;

    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    // What a key may see must not be kept by shared caches or the browser.
    if authenticated {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
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
    let elapsed = started.elapsed().as_secs_f64();
    let latency_ms = elapsed * 1000.0;
    let labels = [("method", method.to_string()), ("route", route.clone())];
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed);
    metrics::counter!("http_requests_total", "method" => method.to_string(), "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    tracing::info!(
        request_id = %id,
        method = %method,
        path = %context.path,
        route = %route,
        status,
        latency_ms = format_args!("{latency_ms:.2}"),
        key_id = %key_id,
        "request"
    );
    Ok(response)
}

/// Replaces any non-problem error body (actix's own plain-text defaults) with problem+json.
fn normalise(response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return response;
    }
    let (request, original) = response.into_parts();
    let mut replacement = AppError::for_status(status).error_response();
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replacement
                .headers_mut()
                .insert(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(request, replacement)
}

/// Marks a request as authenticated by `key_id`, for the log line.
pub fn record_key(request: &actix_web::HttpRequest, key_id: &str) {
    request
        .extensions_mut()
        .insert(AuthenticatedKey(key_id.to_owned()));
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

    /// The recorder's histogram buffer is emptied by a thread of its own, not only by scrapes.
    #[test]
    fn the_recorder_has_its_upkeep_thread() {
        prometheus();
        let threads = || -> Vec<String> {
            std::fs::read_dir("/proc/self/task")
                .unwrap()
                .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
                .map(|name| name.trim().to_owned())
                .collect()
        };
        // A new thread names itself once it runs.
        let started = std::time::Instant::now();
        while !threads().iter().any(|t| t == "metrics-upkeep") {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "{:?}",
                threads()
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}
