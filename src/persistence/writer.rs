//! SQLite's group-commit writer: one thread with a connection of its own takes the writes
//! queued since its last commit and commits them together (one fsync for many writes), and a
//! second thread checkpoints the WAL beside it. PostgreSQL needs neither: its own commits group
//! concurrent transactions.

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::ManageConnection;

use super::DbConnection;
use super::connection::Manager;

/// A write handed to the group-commit writer: it runs the work on the writer's connection inside
/// the batch's transaction (or, given no connection, fails it) and returns what to tell the
/// caller once the batch's commit has succeeded or failed.
pub(super) type WriteJob = Box<dyn FnOnce(Option<&mut DbConnection>) -> Ran + Send>;
type WriteReply = Box<dyn FnOnce(Result<(), String>) + Send>;

/// What a write did: the answer to give once the batch's commit is known, and whether it failed
/// for the database's sake (read-only or failing storage, a lock held too long), after which the
/// connection is opened anew: SQLite opens a file it cannot write read-only and stays so.
pub(super) struct Ran {
    pub reply: WriteReply,
    pub unavailable: bool,
}

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
pub(super) fn write_batches(
    manager: Manager,
    jobs: std::sync::mpsc::Receiver<WriteJob>,
    committed: std::sync::mpsc::SyncSender<()>,
    wal_pages: std::sync::Arc<std::sync::atomic::AtomicI32>,
) {
    let mut own: Option<DbConnection> = None;
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        batch.extend(jobs.try_iter().take(MAX_BATCH - 1));
        let conn = match own.take().map_or_else(|| writer_connection(&manager), Ok) {
            Ok(conn) => own.insert(conn),
            Err(message) => {
                fail(batch, message);
                continue;
            }
        };
        let turn = SQLITE_WRITER.try_lock_for(SQLITE_WRITER_WAIT);
        if let Err(message) = begin(conn, turn.is_some(), &wal_pages) {
            // A connection that could not begin is replaced; a turn that timed out was not its
            // fault.
            if turn.is_some() {
                own = None;
            }
            fail(batch, message);
            continue;
        }
        let mut replies = Vec::with_capacity(batch.len());
        let mut reopen = false;
        for job in batch {
            let ran = job(Some(&mut *conn));
            reopen |= ran.unavailable;
            replies.push(ran.reply);
        }
        let outcome = commit(conn);
        drop(turn);
        if outcome.is_err() || reopen {
            // Whatever went wrong, the next batch starts on a fresh connection.
            own = None;
        }
        if outcome.is_ok() {
            // One pending notice covers any number of commits.
            let _ = committed.try_send(());
        }
        for reply in replies {
            reply(outcome.clone());
        }
    }
}

/// Fails each write of a batch that could not start, none having run.
fn fail(batch: Vec<WriteJob>, message: String) {
    for job in batch {
        (job(None).reply)(Err(message.clone()));
    }
}

/// Begins a batch's transaction in this process's writer turn (`has_turn`), first starting the
/// WAL over when it has grown past [`RESTART_PAGES`].
fn begin(
    conn: &mut DbConnection,
    has_turn: bool,
    wal_pages: &std::sync::atomic::AtomicI32,
) -> Result<(), String> {
    use std::sync::atomic::Ordering;
    if !has_turn {
        return Err("database is locked".to_owned());
    }
    if wal_pages.load(Ordering::Relaxed) > RESTART_PAGES {
        // Most pages are copied already; a failure leaves the WAL to grow until the next.
        let _ = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)");
        wal_pages.store(0, Ordering::Relaxed);
    }
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
                .map_err(|e| e.to_string())
        }
        DbConnection::Postgres(_) => Err("the group-commit writer is SQLite's".to_owned()),
    }
}

/// Commits a batch; on failure rolls back whatever is left open, so nothing of it stays.
fn commit(conn: &mut DbConnection) -> Result<(), String> {
    let DbConnection::Sqlite(c) = conn else {
        return Err("the group-commit writer is SQLite's".to_owned());
    };
    let depth = |c: &mut diesel::SqliteConnection| {
        AnsiTransactionManager::transaction_manager_status_mut(c)
            .transaction_depth()
            .ok()
            .flatten()
            .map(|d| d.get())
    };
    // Every write closed its savepoint; if one did not (a panic), nothing commits.
    let committed = match depth(c) {
        Some(1) => AnsiTransactionManager::commit_transaction(c).map_err(|e| e.to_string()),
        other => Err(format!("a write left the batch at depth {other:?}")),
    };
    if committed.is_err() {
        while depth(c).is_some() {
            if AnsiTransactionManager::rollback_transaction(c).is_err() {
                break;
            }
        }
    }
    committed
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
pub(super) fn checkpoints(
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

/// SQLite takes one writer at a time. Within the process, writers (the group-commit writer's
/// batches and direct [`write_transaction`] calls) queue for it here, in the order they come,
/// instead of in SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and lets a
/// late writer overtake: under 64 concurrent writers that gave second-long tails and requests
/// past their clients' timeouts. Other processes (the CLI) still meet the busy timeout.
pub(super) static SQLITE_WRITER: parking_lot::Mutex<()> = parking_lot::const_mutex(());

/// How long a writer waits for its turn: SQLite's own busy timeout.
pub(super) const SQLITE_WRITER_WAIT: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;
    use crate::persistence::{Database, DatabaseUrl, commit_probe, schema};

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
            .write(|conn| Ok::<_, AppError>(temp_store(conn)?))
            .await
            .expect("a write while reads hold the pool");
        assert_eq!(in_writer, 2, "the writer's temp_store is MEMORY");
        assert_eq!(
            temp_store(&mut held[0]).unwrap(),
            0,
            "pooled ones keep the default"
        );
    }

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
                Ok::<_, AppError>(
                    diesel::sql_query("PRAGMA wal_autocheckpoint")
                        .get_result::<AutoCheckpoint>(conn)?
                        .wal_autocheckpoint,
                )
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
                        Ok::<_, AppError>(())
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
}
