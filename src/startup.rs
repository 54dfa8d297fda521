//! Builds the application and binds its listener first, so tests can serve on port 0.

use std::net::TcpListener;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::KeepAlive;
use actix_web::http::header::ContentType;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::ServeSettings;
use crate::handlers::{self, RouteTable};
use crate::openapi;
use crate::persistence::{Database, OpenError};
use crate::services::AppState;
use crate::telemetry;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] OpenError),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid CORS origin {0:?}: expected scheme://host[:port]")]
    CorsOrigin(String),
    #[error("cannot serialize the OpenAPI document: {0}")]
    Document(String),
    #[error("cannot render the stored opportunities' representations: {0}")]
    Render(String),
}

/// A bound, not yet running, server.
pub struct Application {
    port: u16,
    server: Server,
    /// The metrics listener, when metrics have one of their own.
    metrics: Option<(u16, Server)>,
    state: web::Data<AppState>,
}

/// Binds `address`, or says which address could not be bound.
fn bind(address: &str) -> Result<(TcpListener, u16), StartError> {
    let failed = |source| StartError::Listen {
        address: address.to_owned(),
        source,
    };
    let listener = TcpListener::bind(address).map_err(failed)?;
    let port = listener.local_addr().map_err(failed)?.port();
    Ok((listener, port))
}

/// A server of `/metrics` alone, on a listener of its own.
fn metrics_server(
    address: &str,
    state: web::Data<AppState>,
    token: Option<String>,
) -> Result<(u16, Server), StartError> {
    let (listener, port) = bind(address)?;
    let access = web::Data::new(handlers::health::MetricsAccess {
        token,
        elsewhere: false,
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(access.clone())
            .service(handlers::health::get_metrics)
            .default_service(web::to(|| async { HttpResponse::NotFound().finish() }))
    })
    .workers(1)
    .listen(listener)
    .map_err(|source| StartError::Listen {
        address: address.to_owned(),
        source,
    })?
    .shutdown_timeout(5)
    .run();
    Ok((port, server))
}

/// Opportunities written before their representation was stored, or since a migration that
/// changed it, get theirs before the first list page is served.
fn render_stored(database: &Database) -> Result<(), StartError> {
    let rendered = database
        .get()
        .map_err(|e| StartError::Render(e.to_string()))
        .and_then(|mut conn| {
            crate::services::opportunities::render_unrendered(&mut conn)
                .map_err(|e| StartError::Render(e.to_string()))
        })?;
    if rendered > 0 {
        tracing::info!(
            rendered,
            "rendered the representations of stored opportunities"
        );
    }
    Ok(())
}

/// Each allowed CORS origin is an origin (scheme, host and port, nothing more).
fn check_origins(origins: &[String]) -> Result<(), StartError> {
    for origin in origins {
        if url::Url::parse(origin).map_or(true, |u| u.origin().ascii_serialization() != *origin) {
            return Err(StartError::CorsOrigin(origin.clone()));
        }
    }
    Ok(())
}

fn state(settings: &ServeSettings, database: Database) -> Result<web::Data<AppState>, StartError> {
    let mut state = AppState::new(database, settings.delivery()).map_err(|e| {
        StartError::Database(OpenError::Migrate {
            url: settings.database.database_url.clone(),
            message: e.to_string(),
        })
    })?;
    state.limits = settings.limits.rate_limits();
    state.body_timeout = Duration::from_millis(settings.limits.client_body_timeout_ms);
    state.import_limit = usize::try_from(settings.limits.import_limit_bytes).unwrap_or(usize::MAX);
    state.oc4ids = settings.oc4ids.package();
    Ok(web::Data::new(state))
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allow_any_method()
        .allow_any_header()
        .expose_headers([
            "etag",
            "location",
            "link",
            "x-request-id",
            "retry-after",
            "idempotent-replayed",
            "ratelimit",
            "ratelimit-policy",
        ])
        .max_age(3600)
        // Answer disallowed origins without CORS headers (the browser then blocks the
        // response) rather than with an error.
        .block_on_origin_mismatch(false);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// The route table, and the OpenAPI document serialized once and its structure dropped: workers
/// share the bytes (a copy of the structure per worker was megabytes of resident memory).
fn document(settings: &ServeSettings) -> Result<(web::Data<RouteTable>, web::Bytes), StartError> {
    let mut document = openapi::document();
    let contact = &mut document["info"]["contact"];
    if let Some(email) = &settings.contact_email {
        contact["email"] = email.clone().into();
    }
    if let Some(url) = &settings.contact_url {
        contact["url"] = url.clone().into();
    }
    let routes = web::Data::new(RouteTable::from_openapi(&document));
    let bytes = serde_json::to_vec(&document).map_err(|e| StartError::Document(e.to_string()))?;
    Ok((routes, web::Bytes::from(bytes)))
}

/// Serves the OpenAPI document's bytes.
fn serve_document(document: web::Bytes) -> actix_web::Route {
    web::get().to(move || {
        let document = document.clone();
        async move {
            HttpResponse::Ok()
                .content_type(ContentType::json())
                .body(document)
        }
    })
}

fn keep_alive(secs: u64) -> KeepAlive {
    match secs {
        0 => KeepAlive::Disabled,
        secs => KeepAlive::Timeout(Duration::from_secs(secs)),
    }
}

fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
}

/// Workers, and blocking threads per worker. Database work runs on each worker's blocking
/// threads, and only as many of them as there are pooled connections can do any: more threads
/// would only queue on the pool, each with its own stack and allocator state.
fn workers(settings: &ServeSettings) -> (usize, usize) {
    let workers = settings.workers.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let pool = settings.database.pool_size() as usize;
    (workers, pool.div_ceil(workers).max(2))
}

impl Application {
    /// Opens and migrates the database, binds the listener and prepares the server.
    pub fn build(settings: ServeSettings) -> Result<Self, StartError> {
        let database = Database::open(
            settings.database.database_url.clone(),
            &settings.database.pool_options(),
        )?;
        database.migrate()?;
        render_stored(&database)?;
        let (listener, port) = bind(&settings.listen)?;
        check_origins(&settings.cors_origins)?;
        tracing::info!(
            address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
            backend = %database.backend(),
            database = %database.url(),
            "investdesk listening"
        );
        let state = state(&settings, database)?;
        telemetry::prometheus();
        let (routes, document) = document(&settings)?;
        let cors_origins = settings.cors_origins.clone();
        let worker_state = state.clone();
        let token = settings
            .metrics_token
            .as_ref()
            .map(|t| t.as_str().to_owned());
        let metrics = settings
            .metrics_listen
            .as_deref()
            .map(|address| metrics_server(address, state.clone(), token.clone()))
            .transpose()?;
        let access = web::Data::new(handlers::health::MetricsAccess {
            token,
            elsewhere: metrics.is_some(),
        });
        let mut server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .app_data(state.clone())
                .app_data(routes.clone())
                .app_data(access.clone())
                .configure(handlers::routes)
                .split_for_parts();
            app.service(web::redirect("/docs", "/docs/"))
                .service(
                    SwaggerUi::new("/docs/{_:.*}")
                        .config(utoipa_swagger_ui::Config::from("/openapi.json")),
                )
                .route("/openapi.json", serve_document(document.clone()))
                .default_service(web::to(handlers::fallback))
                // Over-budget clients are turned away before any other work, with CORS headers
                // so a browser can read the Retry-After.
                .wrap(from_fn(handlers::limits::middleware))
                .wrap(cors(&cors_origins))
                .wrap(from_fn(handlers::middleware::requests))
                .wrap(security_headers())
        })
        .on_connect(handlers::middleware::on_connect)
        // A client must send its headers in time, and an idle connection does not stay open.
        .client_request_timeout(Duration::from_millis(
            settings.limits.client_request_timeout_ms,
        ))
        .client_disconnect_timeout(Duration::from_secs(1))
        .keep_alive(keep_alive(settings.limits.keep_alive_secs))
        .listen(listener)
        .map_err(|source| StartError::Listen {
            address: settings.listen.clone(),
            source,
        })?
        .shutdown_timeout(30);
        let (workers, blocking) = workers(&settings);
        server = server
            .workers(workers)
            .worker_max_blocking_threads(blocking);
        Ok(Application {
            port,
            server: server.run(),
            metrics,
            state: worker_state,
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port, when metrics have a listener of their own.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// Serves until the process is told to stop; SIGTERM and SIGINT drain in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let worker = actix_web::rt::spawn(crate::services::webhooks::run_worker(
            self.state.into_inner(),
        ));
        let result = match self.metrics {
            Some((_, metrics)) => {
                let (api, metrics) = futures_util::future::join(self.server, metrics).await;
                api.and(metrics)
            }
            None => self.server.await,
        };
        worker.abort();
        result
    }
}
