//! A scratch table for measuring the disk's single-row durable commit rate (the benchmarks'
//! write ceiling), with the same connection settings and transactions as the service.

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
