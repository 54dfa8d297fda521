//! Write transactions: on SQLite in this process's writer turn with `BEGIN IMMEDIATE` (or a
//! savepoint of the group-commit writer's batch), on PostgreSQL a plain transaction.

use diesel::connection::{AnsiTransactionManager, TransactionManager};

use super::DbConnection;
use super::writer::{SQLITE_WRITER, SQLITE_WRITER_WAIT};

/// Runs `work` in a write transaction: on SQLite, in this process's writer turn and with
/// `BEGIN IMMEDIATE`, so that writers never fail upgrading a read lock; inside a group-commit
/// batch, in a savepoint of the batch's transaction. Services write through
/// [`super::Database::write`]; this is for the CLI and the writer itself.
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
    let result = work(conn);
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

/// Locks the row `id` of `table` until the transaction ends, so that reading it, changing it and
/// writing it back cannot interleave with another transaction doing the same (which would make
/// the second write find the version changed under it). SQLite needs no lock: its writers never
/// run at once.
pub fn lock_row(conn: &mut DbConnection, table: &'static str, id: &str) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    match conn {
        DbConnection::Sqlite(_) => Ok(()),
        DbConnection::Postgres(c) => {
            diesel::sql_query(format!("SELECT 1 FROM {table} WHERE id = $1 FOR UPDATE"))
                .bind::<diesel::sql_types::Text, _>(id)
                .execute(c)
                .map(drop)
        }
    }
}
