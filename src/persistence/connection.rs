//! Where the database is and how a connection to it is opened: the URL (which names the
//! backend), the pool's options, and each backend's session settings.

use std::fmt;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};

use super::DbConnection;

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

/// Starts OpenSSL, which libpq uses for TLS, before libpq first does, and without OpenSSL's exit
/// handler. That handler frees OpenSSL's locks at exit while another thread (a pool filling
/// itself in the background) may still be inside a TLS handshake: the process then crashed with
/// SIGSEGV after doing its work. With no handler, OpenSSL's memory is released with the process.
/// Whoever opens a PostgreSQL connection without [`Manager`] (tests) calls this first.
pub fn prepare_tls() {
    openssl_sys::init();
}

/// Opens one connection, outside any pool, for a command that does one thing and exits: no
/// thread of a pool is left connecting in the background when the process ends.
pub fn connect_once(
    url: &DatabaseUrl,
    synchronous: SqliteSynchronous,
) -> Result<DbConnection, String> {
    Manager::new(url.clone(), synchronous)
        .connect()
        .map_err(|e| format!("cannot connect to {url}: {e}"))
}

/// Opens connections to the backend the URL names, with its session settings.
#[derive(Clone)]
pub struct Manager {
    url: DatabaseUrl,
    sqlite_synchronous: SqliteSynchronous,
}

impl Manager {
    pub fn new(url: DatabaseUrl, sqlite_synchronous: SqliteSynchronous) -> Self {
        Manager {
            url,
            sqlite_synchronous,
        }
    }

    /// The location this manager connects to.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                prepare_tls();
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

#[cfg(test)]
mod tests {
    use super::*;

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
