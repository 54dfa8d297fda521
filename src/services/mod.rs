//! Business rules: validation beyond single fields, permissions, listing lifecycle and
//! transactions. Services call persistence and return domain values or [`AppError`]s.

pub mod api_keys;
pub mod crud;
pub mod events;
pub mod exchange;
pub mod idempotency;
pub mod initiatives;
pub mod interests;
pub mod opportunities;
pub mod parties;
pub mod people;
pub mod rate_limit;
pub mod seed;
pub mod stats;
pub mod synthetic;
pub mod webhooks;

use crate::api::pagination::CursorCodec;
use crate::error::AppError;
use crate::persistence::{Database, settings};

/// Shared state of a running server.
pub struct AppState {
    pub db: Database,
    pub cursors: CursorCodec,
    pub delivery: webhooks::DeliverySettings,
    /// Rate limits (off until the server sets them).
    pub limits: rate_limit::RateLimits,
    /// How long a client may take to send a request body.
    pub body_timeout: std::time::Duration,
    /// The largest OC4IDS package an import takes, in bytes.
    pub import_limit: usize,
    /// The OC4IDS packages' publisher and project-id prefix.
    pub oc4ids: crate::domain::oc4ids::PackageSettings,
    /// When writes were last tried for readiness, and whether they succeeded.
    write_probe: parking_lot::Mutex<Option<(std::time::Instant, bool)>>,
}

impl AppState {
    /// Loads what every request needs from the (migrated) database.
    pub fn new(db: Database, delivery: webhooks::DeliverySettings) -> Result<Self, AppError> {
        let mut conn = db.get()?;
        let key = settings::get(&mut conn, settings::CURSOR_KEY)?
            .ok_or_else(|| AppError::internal("cursor key missing: run migrations"))?;
        drop(conn);
        Ok(AppState {
            db,
            cursors: CursorCodec::new(key.as_bytes()),
            delivery,
            limits: rate_limit::RateLimits::off(),
            body_timeout: std::time::Duration::from_secs(10),
            import_limit: crate::request::IMPORT_LIMIT,
            oc4ids: crate::domain::oc4ids::PackageSettings::default(),
            write_probe: parking_lot::Mutex::new(None),
        })
    }
}

/// How long one readiness write stands for the next probes.
const WRITE_PROBE_VALID: std::time::Duration = std::time::Duration::from_secs(1);

/// Succeeds when the database answers a query and takes a write. Storage that became read-only
/// or full still answers reads, so a write is tried too: at most once a second, the probes in
/// between taking its outcome.
pub async fn check_ready(state: &AppState) -> Result<(), AppError> {
    let unavailable = |e: diesel::result::Error| AppError::Unavailable(e.to_string());
    state
        .db
        .run(move |conn| crate::persistence::ping(conn).map_err(unavailable))
        .await?;
    let recent = *state.write_probe.lock();
    let ok = match recent {
        Some((at, ok)) if at.elapsed() < WRITE_PROBE_VALID => ok,
        _ => {
            let written = state
                .db
                .write(move |conn| {
                    let now = crate::persistence::now().to_string();
                    settings::set(conn, settings::READINESS_PROBE, &now).map_err(unavailable)
                })
                .await;
            if let Err(error) = &written {
                tracing::warn!(%error, "the readiness probe could not write");
            }
            *state.write_probe.lock() = Some((std::time::Instant::now(), written.is_ok()));
            written.is_ok()
        }
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::Unavailable("the database takes no writes".into()))
    }
}

/// Records one problem per missing reference, or passes.
fn check_references(problems: Vec<crate::error::FieldError>) -> Result<(), AppError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid(problems))
    }
}

/// The one way a stored resource changes: check the expected version, build the new data,
/// validate it, and write it only if nobody changed the row meanwhile. Unchanged data is not
/// written, and keeps its version.
fn replace<I: Clone, D: PartialEq + Clone>(
    conn: &mut crate::persistence::DbConnection,
    current: crate::domain::stored::Stored<I, D>,
    expected: &crate::domain::stored::Expected,
    build: impl FnOnce(&crate::domain::stored::Stored<I, D>) -> Result<D, AppError>,
    validate: impl FnOnce(&mut crate::persistence::DbConnection, &D) -> Result<(), AppError>,
    write: impl FnOnce(
        &mut crate::persistence::DbConnection,
        &crate::domain::stored::Stored<I, D>,
        i32,
    ) -> diesel::QueryResult<bool>,
) -> Result<crate::domain::stored::Stored<I, D>, AppError> {
    expected.check(current.version)?;
    let data = build(&current)?;
    if data == current.data {
        return Ok(current);
    }
    validate(conn, &data)?;
    let next = crate::domain::stored::Stored {
        data,
        updated_at: crate::persistence::now(),
        version: current.version + 1,
        ..current.clone()
    };
    if !write(conn, &next, current.version)? {
        return Err(AppError::PreconditionFailed);
    }
    Ok(next)
}

/// A new resource at version 1.
fn fresh<I, D>(id: I, data: D) -> crate::domain::stored::Stored<I, D> {
    let now = crate::persistence::now();
    crate::domain::stored::Stored {
        id,
        data,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

/// Turns a foreign-key refusal on delete into a 409 that says what to do.
fn deleted(result: diesel::QueryResult<bool>, what: &str) -> Result<(), AppError> {
    match result {
        Ok(true) => Ok(()),
        Ok(false) => Err(AppError::NotFound),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            _,
        )) => Err(AppError::conflict(
            "inUse",
            format!(
                "This {what} is still referred to by other resources; remove those references first."
            ),
        )),
        Err(e) => Err(e.into()),
    }
}
