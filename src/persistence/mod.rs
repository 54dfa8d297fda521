//! Persistence: diesel over SQLite or PostgreSQL, chosen at run time from the database URL.
//!
//! Functions here take a `&mut DbConnection`, return `QueryResult` and know nothing of HTTP.

pub mod api_keys;
pub mod events;
pub mod idempotency;
pub mod initiatives;
pub mod interests;
pub mod opportunities;
pub mod page;
pub mod parties;
pub mod people;
pub mod schema;
pub mod settings;
pub mod timestamp;
pub mod webhooks;

use std::fmt;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::AppError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection to either backend; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// The database engine behind a [`DatabaseUrl`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// A database location. The backend is chosen from the scheme explicitly, because SQLite would
/// accept any string as a file name.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file path (from `sqlite://PATH`, `sqlite:PATH` or a plain path).
    Sqlite(String),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses `sqlite://PATH`, `sqlite:PATH`, `postgres://…`, `postgresql://…` or a plain path.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("the database URL is empty".into());
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(raw.to_owned()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        if path.is_empty() {
            return Err("the SQLite URL names no file".into());
        }
        if path.contains("://") {
            return Err(format!(
                "unsupported database URL scheme in {:?}: use sqlite://PATH or postgres://…",
                redact(raw)
            ));
        }
        Ok(DatabaseUrl::Sqlite(path.to_owned()))
    }

    /// Which engine this URL names.
    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Prints the URL with any password replaced, so it can be logged.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{path}"),
            DatabaseUrl::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// How connections are opened and pooled.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    /// How long a request waits for a free connection before it is answered 503.
    pub acquire_timeout: Duration,
    /// SQLite `synchronous` level: `FULL` makes an acknowledged write survive power loss.
    pub sqlite_synchronous: SqliteSynchronous,
}

/// The SQLite `synchronous` pragma values we allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqliteSynchronous {
    Full,
    Normal,
}

/// Opens connections to the backend the URL names, with its session settings.
#[derive(Clone)]
pub struct Manager {
    url: DatabaseUrl,
    sqlite_synchronous: SqliteSynchronous,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                let mut conn =
                    diesel::PgConnection::establish(url).map_err(r2d2::Error::ConnectionError)?;
                // Generic plans: every statement is prepared once per connection and is a keyset
                // page or a lookup by key, whose best plan does not depend on the bound values.
                // PostgreSQL's default re-plans a statement on every execution when its generic
                // plan looks costlier, which a bound LIMIT always makes it (it assumes a tenth of
                // the rows): per filtered list page, PostgreSQL spent 30-40 % less CPU without it.
                conn.batch_execute(
                    "SET statement_timeout = '15s'; SET lock_timeout = '5s'; SET TIME ZONE 'UTC'; \
                     SET plan_cache_mode = force_generic_plan;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Postgres(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(path)
                    .map_err(r2d2::Error::ConnectionError)?;
                let synchronous = match self.sqlite_synchronous {
                    SqliteSynchronous::Full => "FULL",
                    SqliteSynchronous::Normal => "NORMAL",
                };
                // busy_timeout first: switching to WAL takes a lock that concurrent openers wait on.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON;"
                ))
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
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

/// A write handed to the group-commit writer: it runs the work on the writer's connection inside
/// the batch's transaction (or, given no connection, fails it) and returns what to tell the
/// caller once the batch's commit has succeeded or failed.
type WriteJob = Box<dyn FnOnce(Option<&mut DbConnection>) -> WriteReply + Send>;
type WriteReply = Box<dyn FnOnce(Result<(), String>) + Send>;

/// The most writes one SQLite commit carries.
const MAX_BATCH: usize = 64;

/// SQLite's group commit: takes the writes queued since the last commit, runs each in its own
/// savepoint of one `BEGIN IMMEDIATE` transaction, commits once (one fsync), and only then
/// answers each. A write that fails rolls back its savepoint alone; a failed commit fails them
/// all, and none was acknowledged.
///
/// Checkpoints are [`checkpoints`]' work. Each commit tells it through `committed`; once it has
/// seen the WAL past [`RESTART_PAGES`] (`wal_pages`), the writer checkpoints what is left itself
/// before it begins, so that the transaction starts the WAL over (SQLite restarts it only when a
/// write begins with all of it checkpointed, which checkpoints from another thread never leave
/// it: without this the WAL grew by 800 MB in 15 s of interests).
fn write_batches(
    manager: Manager,
    jobs: std::sync::mpsc::Receiver<WriteJob>,
    committed: std::sync::mpsc::SyncSender<()>,
    wal_pages: std::sync::Arc<std::sync::atomic::AtomicI32>,
) {
    use std::sync::atomic::Ordering;
    let mut own: Option<DbConnection> = None;
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        batch.extend(jobs.try_iter().take(MAX_BATCH - 1));
        // A batch that cannot start fails each write, none having run.
        let fail = |batch: Vec<WriteJob>, message: String| {
            for job in batch {
                job(None)(Err(message.clone()));
            }
        };
        let conn = match own.take().map_or_else(|| writer_connection(&manager), Ok) {
            Ok(conn) => own.insert(conn),
            Err(message) => {
                fail(batch, message);
                continue;
            }
        };
        let turn = SQLITE_WRITER.try_lock_for(SQLITE_WRITER_WAIT);
        if turn.is_some() && wal_pages.load(Ordering::Relaxed) > RESTART_PAGES {
            // Most pages are copied already; a failure leaves the WAL to grow until the next.
            let _ = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)");
            wal_pages.store(0, Ordering::Relaxed);
        }
        let began = match (&turn, &mut *conn) {
            (Some(_), DbConnection::Sqlite(c)) => {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
                    .map_err(|e| e.to_string())
            }
            (None, _) => Err("database is locked".to_owned()),
            (_, DbConnection::Postgres(_)) => Err("the group-commit writer is SQLite's".to_owned()),
        };
        if let Err(message) = began {
            // A connection that could not begin is replaced; a turn that timed out was not its
            // fault.
            if turn.is_some() {
                own = None;
            }
            fail(batch, message);
            continue;
        }
        let mut replies = Vec::with_capacity(batch.len());
        for job in batch {
            replies.push(job(Some(&mut *conn)));
        }
        let outcome = match &mut *conn {
            DbConnection::Sqlite(c) => {
                // Every write closed its savepoint; if one did not (a panic), nothing commits.
                let depth = AnsiTransactionManager::transaction_manager_status_mut(c)
                    .transaction_depth()
                    .ok()
                    .flatten()
                    .map(|d| d.get());
                let committed = if depth == Some(1) {
                    AnsiTransactionManager::commit_transaction(c).map_err(|e| e.to_string())
                } else {
                    Err(format!("a write left the batch at depth {depth:?}"))
                };
                if committed.is_err() {
                    while AnsiTransactionManager::transaction_manager_status_mut(c)
                        .transaction_depth()
                        .ok()
                        .flatten()
                        .is_some()
                    {
                        if AnsiTransactionManager::rollback_transaction(c).is_err() {
                            break;
                        }
                    }
                }
                committed
            }
            DbConnection::Postgres(_) => Err("the group-commit writer is SQLite's".to_owned()),
        };
        drop(turn);
        if outcome.is_err() {
            // Whatever went wrong, the next batch starts on a fresh connection.
            own = None;
        } else {
            // One pending notice covers any number of commits.
            let _ = committed.try_send(());
        }
        for reply in replies {
            reply(outcome.clone());
        }
    }
}

/// The group-commit writer's own connection, outside the pool: writes never wait for a
/// connection behind reads, and this one keeps its temporary files in memory.
///
/// That is for the savepoint journal. Each write of a batch runs in a savepoint, so SQLite copies
/// every page the write is about to change into that journal first. With temporary files on
/// disk, the journal spills to one past 64 KiB, which most writes reach on a large database
/// (their index pages are scattered): at 1M opportunities, `perf` put 17 % of the writer's time
/// in that file. In memory it holds one write's pages at most, because releasing a savepoint
/// truncates it. The writer's statements are writes and lookups by key, which need no large
/// temporary tables, and sorts spill to files whatever this setting is.
///
/// It also does not checkpoint as it commits (`wal_autocheckpoint = 0`): see [`checkpoints`].
fn writer_connection(manager: &Manager) -> Result<DbConnection, String> {
    let mut conn = manager.connect().map_err(|e| e.to_string())?;
    conn.batch_execute("PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 0")
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// How long the checkpointer rests after each checkpoint: it checkpoints at most this often.
const CHECKPOINT_REST: Duration = Duration::from_millis(100);

/// WAL pages past which the writer starts the WAL over (4,096 pages: 16 MiB).
const RESTART_PAGES: i32 = 4096;

/// What `PRAGMA wal_checkpoint` reports.
#[derive(diesel::QueryableByName)]
struct Checkpointed {
    /// Pages in the WAL.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
}

/// Copies the group-commit writer's committed WAL pages into the database, on a thread and
/// connection of its own, after commits, at most every [`CHECKPOINT_REST`], and tells the writer
/// how long the WAL is; ends with the writer.
///
/// SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1,000 pages, so
/// the writer, and every write waiting for its next batch, waited while it copied the pages and
/// made two fsyncs: 8 % of the server's samples taking interests at 10k (`perf`), on the one
/// thread that writes. A `PASSIVE` checkpoint takes no lock a writer or a reader waits for.
/// Commits are durable in the WAL already (`synchronous = FULL`); a checkpoint only bounds the
/// WAL, and one that fails is tried again after the next commit.
fn checkpoints(
    manager: Manager,
    committed: std::sync::mpsc::Receiver<()>,
    wal_pages: std::sync::Arc<std::sync::atomic::AtomicI32>,
) {
    let mut own: Option<DbConnection> = None;
    while committed.recv().is_ok() {
        let result: Result<DbConnection, String> = own
            .take()
            .map_or_else(|| manager.connect().map_err(|e| e.to_string()), Ok)
            .and_then(|mut conn| {
                let done = diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)")
                    .get_result::<Checkpointed>(&mut conn)
                    .map_err(|e| e.to_string())?;
                wal_pages.store(done.log, std::sync::atomic::Ordering::Relaxed);
                Ok(conn)
            });
        match result {
            Ok(conn) => own = Some(conn),
            Err(message) => tracing::warn!(%message, "SQLite checkpoint failed; tried again later"),
        }
        std::thread::sleep(CHECKPOINT_REST);
    }
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

impl Database {
    /// Opens a pool; fails when no connection can be made within the acquire timeout.
    pub fn open(url: DatabaseUrl, options: &PoolOptions) -> Result<Self, OpenError> {
        let manager = Manager {
            url: url.clone(),
            sqlite_synchronous: options.sqlite_synchronous,
        };
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
        let applied = match &mut *conn {
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
            DbConnection::Postgres(c) => c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len()),
        }
        .map_err(|e| failed(e.to_string()))?;
        settings::ensure_defaults(&mut conn).map_err(|e| failed(e.to_string()))?;
        Ok(applied)
    }

    /// Takes a connection for synchronous work (CLI commands); waits at most the acquire timeout.
    pub fn get(&self) -> Result<r2d2::PooledConnection<Manager>, AppError> {
        self.pool
            .get()
            .map_err(|e| AppError::Unavailable(e.to_string()))
    }

    /// Runs blocking database work on the blocking thread pool, off the async executor.
    ///
    /// This is the one way handlers and services reach the database.
    pub async fn run<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let claim = idempotency::current_claim();
        actix_web::web::block(move || {
            let mut conn = pool
                .get()
                .map_err(|e| AppError::Unavailable(e.to_string()))?;
            let result = idempotency::with_claim(claim, || work(&mut conn));
            if matches!(result, Err(AppError::Unavailable(_))) {
                discard_if_lost(&mut conn);
            }
            result
        })
        .await
        .map_err(|e| AppError::internal(format!("blocking task failed: {e}")))?
    }

    /// Runs `work` in a write transaction and answers once it is durable. On SQLite the work
    /// joins the group-commit writer's next batch ([`write_batches`]), so concurrent writes
    /// share one commit; on PostgreSQL it runs like [`Database::run`], in its own transaction.
    pub async fn write<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let Some(writer) = &self.writer else {
            return self.run(move |conn| write_transaction(conn, work)).await;
        };
        let claim = idempotency::current_claim();
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: WriteJob = Box::new(move |conn| {
            let result = match conn {
                Some(conn) => idempotency::with_claim(claim, || {
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        write_transaction(conn, work)
                    }))
                    .unwrap_or_else(|_| Err(AppError::internal("a write panicked")))
                }),
                None => Err(AppError::Unavailable("the write could not start".into())),
            };
            Box::new(move |committed: Result<(), String>| {
                let _ = answer.send(match committed {
                    Ok(()) => result,
                    Err(message) if result.is_ok() => Err(AppError::Unavailable(message)),
                    Err(_) => result,
                });
            })
        });
        writer
            .send(job)
            .map_err(|_| AppError::Unavailable("the writer has stopped".into()))?;
        answered
            .await
            .map_err(|_| AppError::internal("the writer dropped a write"))?
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
    use diesel::connection::{Connection, TransactionManager};
    if matches!(conn, DbConnection::Postgres(_)) {
        <<DbConnection as Connection>::TransactionManager as TransactionManager<DbConnection>>::transaction_manager_status_mut(conn)
            .set_in_error();
    }
}

/// Refreshes the query planner's statistics after a bulk load. On PostgreSQL it also vacuums:
/// the loaded pages are marked all-visible (index-only scans, counts) and their rows' hint bits
/// set, which the first readers would otherwise write.
pub fn analyze(conn: &mut DbConnection) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    match conn {
        DbConnection::Postgres(_) => conn.batch_execute("VACUUM (ANALYZE)"),
        DbConnection::Sqlite(_) => conn.batch_execute("ANALYZE"),
    }
}

/// SQLite takes one writer at a time. Within the process, writers (the group-commit writer's
/// batches and direct [`write_transaction`] calls) queue for it here, in the order they come,
/// instead of in SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and lets a
/// late writer overtake: under 64 concurrent writers that gave second-long tails and requests
/// past their clients' timeouts. Other processes (the CLI) still meet the busy timeout.
static SQLITE_WRITER: parking_lot::Mutex<()> = parking_lot::const_mutex(());

/// How long a writer waits for its turn: SQLite's own busy timeout.
const SQLITE_WRITER_WAIT: Duration = Duration::from_secs(5);

/// Runs `work` in a write transaction: on SQLite, in this process's writer turn and with
/// `BEGIN IMMEDIATE`, so that writers never fail upgrading a read lock; inside a group-commit
/// batch, in a savepoint of the batch's transaction. Services write through
/// [`Database::write`]; this is for the CLI and the writer itself.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    // Inside the group-commit writer's batch, a write is a savepoint of the batch's transaction.
    let in_batch = match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::transaction_manager_status_mut(c)
            .transaction_depth()
            .ok()
            .flatten()
            .is_some(),
        DbConnection::Postgres(_) => false,
    };
    let _turn = match conn {
        DbConnection::Sqlite(c) if in_batch => {
            AnsiTransactionManager::begin_transaction(c)?;
            None
        }
        DbConnection::Sqlite(c) => {
            let turn = SQLITE_WRITER
                .try_lock_for(SQLITE_WRITER_WAIT)
                .ok_or_else(|| {
                    // The same answer as SQLite's busy timeout: retry later (503).
                    diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::Unknown,
                        Box::new("database is locked".to_owned()),
                    )
                })?;
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            Some(turn)
        }
        DbConnection::Postgres(c) => {
            AnsiTransactionManager::begin_transaction(c)?;
            None
        }
    };
    // A keyed request's write marks its key in the same transaction.
    let result = work(conn).and_then(|value| {
        idempotency::mark_committed(conn)?;
        Ok(value)
    });
    match result {
        Ok(value) => {
            match conn {
                DbConnection::Sqlite(c) => AnsiTransactionManager::commit_transaction(c)?,
                DbConnection::Postgres(c) => AnsiTransactionManager::commit_transaction(c)?,
            }
            Ok(value)
        }
        Err(error) => {
            // A failed rollback leaves the manager marked broken; the pool then drops the connection.
            let _ = match conn {
                DbConnection::Sqlite(c) => AnsiTransactionManager::rollback_transaction(c),
                DbConnection::Postgres(c) => AnsiTransactionManager::rollback_transaction(c),
            };
            Err(error)
        }
    }
}

/// The current instant as stored: naive UTC, truncated to microseconds (PostgreSQL's precision),
/// so a value reads back exactly as it was written on both backends.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// Inserts rows in one multi-row statement per chunk (bulk loads). Each backend takes the batch
/// natively; `MultiConnection` has no batch insert of its own.
#[macro_export]
macro_rules! insert_batch {
    ($conn:expr, $table:expr, $rows:expr) => {{
        use diesel::RunQueryDsl;
        match $conn {
            $crate::persistence::DbConnection::Sqlite(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
            $crate::persistence::DbConnection::Postgres(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
        }
    }};
}

/// A scratch table for measuring the disk's single-row durable commit rate (the benchmarks'
/// write ceiling), with the same connection settings and transactions as the service.
pub mod commit_probe {
    use diesel::RunQueryDsl;

    use super::{DbConnection, write_transaction};

    pub fn create(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        diesel::sql_query(
            "CREATE TABLE IF NOT EXISTS bench_commits (id BIGINT PRIMARY KEY, v TEXT NOT NULL)",
        )
        .execute(conn)
        .map(drop)
    }

    /// Commits one row in its own write transaction.
    pub fn commit_one(conn: &mut DbConnection, id: i64) -> diesel::QueryResult<()> {
        write_transaction(conn, |c| {
            diesel::sql_query(format!(
                "INSERT INTO bench_commits (id, v) VALUES ({id}, 'x')"
            ))
            .execute(c)
        })
        .map(drop)
    }

    pub fn remove(conn: &mut DbConnection) -> diesel::QueryResult<()> {
        diesel::sql_query("DROP TABLE bench_commits")
            .execute(conn)
            .map(|_| ())
    }
}

/// A trivial round trip to the database.
pub fn ping(conn: &mut DbConnection) -> QueryResult<()> {
    conn.ping()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each pooled connection prepares a query once and reuses it (diesel's statement cache
    /// through the multi-backend connection).
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

    /// The bundled SQLite carries the build options `.cargo/config.toml` sets for it (each was
    /// measured; see BENCHMARKS.md): a build without them still works, only slower.
    #[test]
    fn the_bundled_sqlite_is_built_as_configured() {
        #[derive(diesel::QueryableByName)]
        struct CompileOption {
            #[diesel(sql_type = diesel::sql_types::Text)]
            compile_options: String,
        }
        let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
        let options: Vec<String> = diesel::sql_query("PRAGMA compile_options")
            .load::<CompileOption>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|o| o.compile_options)
            .collect();
        for wanted in ["THREADSAFE=2", "DEFAULT_MEMSTATUS=0", "ENABLE_QPSG"] {
            assert!(
                options.iter().any(|o| o == wanted),
                "{wanted} not in {options:?}"
            );
        }
    }

    /// Concurrent writes share the writer's commits: each answers with its own outcome, a failed
    /// write leaves nothing behind, and every acknowledged one is stored.
    #[tokio::test]
    async fn group_commit_answers_each_write_with_its_own_outcome() {
        use schema::app_settings::dsl::*;
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("t.db").to_string_lossy().into_owned());
        let options = crate::config::DatabaseSettings::for_url(url.clone()).pool_options();
        let db = Database::open(url, &options).unwrap();
        db.migrate().unwrap();
        let writes = (0..200).map(|i| {
            db.write(move |conn| {
                diesel::insert_into(app_settings)
                    .values((name.eq(format!("k{i}")), value.eq("v")))
                    .execute(conn)?;
                if i % 3 == 0 {
                    return Err(AppError::bad_request("refused after writing"));
                }
                Ok(i)
            })
        });
        let outcomes = futures_util::future::join_all(writes).await;
        let mut conn = db.get().unwrap();
        let stored: Vec<String> = app_settings
            .filter(name.like("k%"))
            .select(name)
            .load(&mut conn)
            .unwrap();
        for (i, outcome) in outcomes.iter().enumerate() {
            let key = format!("k{i}");
            if i % 3 == 0 {
                assert!(outcome.is_err(), "write {i} should fail");
                assert!(!stored.contains(&key), "failed write {i} left its row");
            } else {
                assert_eq!(outcome.as_ref().ok(), Some(&i));
                assert!(stored.contains(&key), "acknowledged write {i} is missing");
            }
        }
        assert_eq!(stored.len(), 200 - 67);
    }

    /// The writer has its own connection, so writes go on while reads hold every pooled one, and
    /// only that connection keeps its temporary files (the savepoint journal) in memory.
    #[tokio::test]
    async fn the_writer_has_its_own_connection_with_journals_in_memory() {
        #[derive(diesel::QueryableByName)]
        struct TempStore {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            temp_store: i32,
        }
        fn temp_store(conn: &mut DbConnection) -> QueryResult<i32> {
            diesel::sql_query("PRAGMA temp_store")
                .get_result::<TempStore>(conn)
                .map(|t| t.temp_store)
        }
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("t.db").to_string_lossy().into_owned());
        let mut options = crate::config::DatabaseSettings::for_url(url.clone()).pool_options();
        options.max_size = 2;
        options.acquire_timeout = Duration::from_millis(200);
        let db = Database::open(url, &options).unwrap();
        db.migrate().unwrap();
        let mut held: Vec<_> = (0..2).map(|_| db.get().unwrap()).collect();
        let in_writer = db
            .write(|conn| Ok(temp_store(conn)?))
            .await
            .expect("a write while reads hold the pool");
        assert_eq!(in_writer, 2, "the writer's temp_store is MEMORY");
        assert_eq!(
            temp_store(&mut held[0]).unwrap(),
            0,
            "pooled ones keep the default"
        );
    }

    /// The writer does not checkpoint as it commits: a thread of its own copies the WAL into the
    /// database file. And the WAL stays bounded while commits keep coming, which SQLite alone
    /// would not do with checkpoints from elsewhere (see [`write_batches`]).
    #[tokio::test]
    async fn checkpoints_run_beside_the_writer_and_the_wal_stays_bounded() {
        #[derive(diesel::QueryableByName)]
        struct AutoCheckpoint {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            wal_autocheckpoint: i32,
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let wal = dir.path().join("t.db-wal");
        let url = DatabaseUrl::Sqlite(path.to_string_lossy().into_owned());
        let options = crate::config::DatabaseSettings::for_url(url.clone()).pool_options();
        let db = std::sync::Arc::new(Database::open(url, &options).unwrap());
        db.migrate().unwrap();
        commit_probe::create(&mut db.get().unwrap()).unwrap();
        let in_writer = db
            .write(|conn| {
                Ok(diesel::sql_query("PRAGMA wal_autocheckpoint")
                    .get_result::<AutoCheckpoint>(conn)?
                    .wal_autocheckpoint)
            })
            .await
            .unwrap();
        assert_eq!(in_writer, 0, "the writer does not checkpoint as it commits");
        let before = std::fs::metadata(&path).unwrap().len();
        // 200 MB through the writer, 64 writes of 20 KB at a time. Without the writer's own
        // checkpoint the WAL holds all of it; with it, 16 MiB and what comes while the
        // checkpointer rests, more on a busy machine: half is a bound either way.
        let mut largest_wal = 0;
        for round in 0..160 {
            let writes = (0..64).map(|i| {
                let db = db.clone();
                async move {
                    db.write(move |conn| {
                        diesel::sql_query(format!(
                            "INSERT INTO bench_commits (id, v) VALUES ({}, '{}')",
                            round * 64 + i,
                            "x".repeat(20_000)
                        ))
                        .execute(conn)?;
                        Ok(())
                    })
                    .await
                }
            });
            for written in futures_util::future::join_all(writes).await {
                written.unwrap();
            }
            largest_wal = largest_wal.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        }
        assert!(
            largest_wal < 100 << 20,
            "the WAL reached {largest_wal} bytes for 200 MB of writes"
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::fs::metadata(&path).unwrap().len() < before + 200_000_000 {
            assert!(
                std::time::Instant::now() < deadline,
                "nothing copied the WAL into the database"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[test]
    fn urls_choose_the_backend_from_the_scheme() {
        assert_eq!(
            DatabaseUrl::parse("investdesk.db").unwrap(),
            DatabaseUrl::Sqlite("investdesk.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(),
            DatabaseUrl::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:x.db").unwrap(),
            DatabaseUrl::Sqlite("x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db").unwrap().backend(),
            Backend::Postgres
        );
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn printed_urls_hide_passwords() {
        let url = DatabaseUrl::parse("postgres://app:s3cret@db:5432/investdesk").unwrap();
        let shown = url.to_string();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("app"), "{shown}");
    }
}
