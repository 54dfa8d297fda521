//! Persistence: diesel over SQLite or PostgreSQL, chosen at run time from the database URL.
//!
//! Functions here take a `&mut DbConnection`, return `QueryResult` and know nothing of HTTP.
//! [`connection`] opens connections, [`database`] pools them and runs work off the async
//! executor, [`writer`] is SQLite's group commit, [`transaction`] the write transactions.

pub mod api_keys;
pub mod commit_probe;
pub mod connection;
pub mod database;
pub mod events;
pub mod idempotency;
pub mod initiatives;
pub mod interests;
pub mod oc4ids_sources;
pub mod opportunities;
pub mod page;
pub mod parties;
pub mod people;
pub mod schema;
pub mod settings;
pub mod timestamp;
pub mod transaction;
pub mod webhooks;
mod writer;

use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;

pub use connection::{Backend, DatabaseUrl, Manager, PoolOptions, SqliteSynchronous};
pub use database::{Database, Failure, OpenError};
pub use transaction::write_transaction;

/// One connection to either backend; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
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

/// A trivial round trip to the database.
pub fn ping(conn: &mut DbConnection) -> QueryResult<()> {
    conn.ping()
}
