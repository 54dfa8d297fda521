//! The database a process works on: a pool of connections (and on SQLite the group-commit
//! writer), migrations, and the one way blocking database work runs off the async executor.

use diesel::connection::{Connection, TransactionManager};
use diesel::r2d2::{self, PoolError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::connection::{Backend, DatabaseUrl, Manager, PoolOptions};
use super::transaction::write_transaction;
use super::writer::{Ran, WriteJob, checkpoints, write_batches};
use super::{DbConnection, settings};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// What database work may fail with: its own errors, and the database's (diesel's, and the
/// pool's when no connection comes in time).
pub trait Failure: From<DieselError> + From<PoolError> + Send + 'static {
    /// Whether the failure says the connection itself is gone, so it is not handed out again.
    fn lost_connection(&self) -> bool;
}

impl Failure for crate::error::AppError {
    fn lost_connection(&self) -> bool {
        matches!(self, crate::error::AppError::Unavailable(_))
    }
}

/// A failure of the machinery around a write rather than of the write itself, as the database
/// error it amounts to (`transient` ones are retryable: the answer is 503).
fn writer_failure(message: impl Into<String>, transient: bool) -> DieselError {
    let kind = if transient {
        DatabaseErrorKind::ClosedConnection
    } else {
        DatabaseErrorKind::Unknown
    };
    DieselError::DatabaseError(kind, Box::new(message.into()))
}

/// A pool of connections to one database.
#[derive(Clone)]
pub struct Database {
    pool: r2d2::Pool<Manager>,
    url: DatabaseUrl,
    /// SQLite's group-commit writer (see [`Database::write`]); none on PostgreSQL, whose own
    /// commits already group concurrent transactions.
    writer: Option<std::sync::mpsc::Sender<WriteJob>>,
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot connect to {url}: {source}")]
    Connect {
        url: DatabaseUrl,
        #[source]
        source: diesel::r2d2::PoolError,
    },
    #[error("migrations failed on {url}: {message}")]
    Migrate { url: DatabaseUrl, message: String },
    #[error("cannot start the writer thread: {0}")]
    Writer(#[source] std::io::Error),
}

/// Applies the pending migrations of the connection's backend; returns how many ran.
pub fn migrate(conn: &mut DbConnection) -> Result<usize, String> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConnection::Postgres(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
    }
    .map_err(|e| e.to_string())?;
    settings::ensure_defaults(conn).map_err(|e| e.to_string())?;
    Ok(applied)
}

/// Whether the database holds InvestDesk's tables (its migrations ran at least once).
pub fn is_initialised(conn: &mut DbConnection) -> diesel::QueryResult<bool> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let query = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '__diesel_schema_migrations'"
        }
        DbConnection::Postgres(_) => {
            "SELECT count(*) AS n FROM pg_tables WHERE tablename = '__diesel_schema_migrations'"
        }
    };
    Ok(diesel::sql_query(query).get_result::<Found>(conn)?.n > 0)
}

impl Database {
    /// Opens a pool; fails when no connection can be made within the acquire timeout.
    pub fn open(url: DatabaseUrl, options: &PoolOptions) -> Result<Self, OpenError> {
        let manager = Manager::new(url.clone(), options.sqlite_synchronous);
        let pool = r2d2::Pool::builder()
            .max_size(options.max_size)
            .min_idle(Some(1))
            .connection_timeout(options.acquire_timeout)
            .test_on_check_out(false)
            .error_handler(Box::new(r2d2::LoggingErrorHandler))
            .build(manager.clone())
            .map_err(|source| OpenError::Connect {
                url: url.clone(),
                source,
            })?;
        let writer = match url.backend() {
            Backend::Sqlite => {
                let (sender, jobs) = std::sync::mpsc::channel();
                let (notify, committed) = std::sync::mpsc::sync_channel(1);
                let wal_pages = std::sync::Arc::new(std::sync::atomic::AtomicI32::new(0));
                let (for_checkpoints, pages) = (manager.clone(), wal_pages.clone());
                std::thread::Builder::new()
                    .name("sqlite-checkpoint".into())
                    .spawn(move || checkpoints(for_checkpoints, committed, pages))
                    .map_err(OpenError::Writer)?;
                std::thread::Builder::new()
                    .name("sqlite-writer".into())
                    .spawn(move || write_batches(manager, jobs, notify, wal_pages))
                    .map_err(OpenError::Writer)?;
                Some(sender)
            }
            Backend::Postgres => None,
        };
        Ok(Database { pool, url, writer })
    }

    /// The engine behind this pool.
    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    /// The URL, printable (passwords redacted).
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Applies pending migrations of the backend's tree; returns how many ran.
    pub fn migrate(&self) -> Result<usize, OpenError> {
        let failed = |message: String| OpenError::Migrate {
            url: self.url.clone(),
            message,
        };
        let mut conn = self.pool.get().map_err(|e| failed(e.to_string()))?;
        migrate(&mut conn).map_err(failed)
    }

    /// Takes a connection for synchronous work (start-up, tests); waits at most the acquire
    /// timeout.
    pub fn get(&self) -> Result<r2d2::PooledConnection<Manager>, PoolError> {
        self.pool.get()
    }

    /// Runs blocking database work on the blocking thread pool, off the async executor, in the
    /// caller's `tracing` span (so its log lines carry the request's id).
    ///
    /// This is the one way services reach the database.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Failure,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool.get()?;
            let result = work(&mut conn);
            if result.as_ref().is_err_and(Failure::lost_connection) {
                discard_if_lost(&mut conn);
            }
            result
        })
        .await
        .unwrap_or_else(|e| {
            Err(writer_failure(format!("a database task failed: {e}"), false).into())
        })
    }

    /// Runs `work` in a write transaction and answers once it is durable. On SQLite the work
    /// joins the group-commit writer's next batch, so concurrent writes share one commit; on
    /// PostgreSQL it runs like [`Database::run`], in its own transaction.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Failure,
    {
        let Some(writer) = &self.writer else {
            return self.run(move |conn| write_transaction(conn, work)).await;
        };
        let span = tracing::Span::current();
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: WriteJob = Box::new(move |conn| {
            let _entered = span.enter();
            let result = match conn {
                Some(conn) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    write_transaction(conn, work)
                }))
                .unwrap_or_else(|_| Err(writer_failure("a write panicked", false).into())),
                None => Err(writer_failure("the write could not start", true).into()),
            };
            let unavailable = result.as_ref().is_err_and(Failure::lost_connection);
            let reply = Box::new(move |committed: Result<(), String>| {
                let _ = answer.send(match committed {
                    Ok(()) => result,
                    Err(message) if result.is_ok() => Err(E::from(DieselError::DatabaseError(
                        DatabaseErrorKind::Unknown,
                        Box::new(message),
                    ))),
                    Err(_) => result,
                });
            });
            Ran { reply, unavailable }
        });
        writer
            .send(job)
            .map_err(|_| writer_failure("the writer has stopped", true))?;
        answered
            .await
            .unwrap_or_else(|_| Err(writer_failure("the writer dropped a write", true).into()))
    }

    /// Counts of connections in use and idle, for readiness and metrics.
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (
            state.connections - state.idle_connections,
            state.idle_connections,
        )
    }
}

/// After an error that says the server went away, marks a PostgreSQL connection broken so the
/// pool drops it instead of handing it to the next request (it checks connections only by their
/// transaction state, to spare a round trip per request).
fn discard_if_lost(conn: &mut DbConnection) {
    if matches!(conn, DbConnection::Postgres(_)) {
        <<DbConnection as Connection>::TransactionManager as TransactionManager<DbConnection>>::transaction_manager_status_mut(conn)
            .set_in_error();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persistence::opportunities;

    #[test]
    fn a_repeated_query_is_prepared_once() {
        use diesel::connection::{Instrumentation, InstrumentationEvent};
        use std::sync::{Arc, Mutex};
        struct Prepares(Arc<Mutex<Vec<String>>>);
        impl Instrumentation for Prepares {
            fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
                if let InstrumentationEvent::CacheQuery { sql, .. } = event {
                    self.0.lock().unwrap().push(sql.to_owned());
                }
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("t.db").to_string_lossy().into_owned());
        let options = crate::config::DatabaseSettings::for_url(url.clone()).pool_options();
        let db = Database::open(url, &options).unwrap();
        db.migrate().unwrap();
        let mut conn = db.get().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        conn.set_instrumentation(Prepares(seen.clone()));
        let id = crate::domain::ids::OpportunityId::generate();
        for _ in 0..3 {
            opportunities::get(&mut conn, &id).unwrap();
        }
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
    }
}
