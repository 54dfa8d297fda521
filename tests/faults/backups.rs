//! The README's Backups section, done as it says while the service takes writes: an online
//! SQLite backup (`sqlite3 … .backup`) and a PostgreSQL `pg_dump` restored with `pg_restore`.
//! A service started on the copy serves every write acknowledged before the backup began.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::support::{Service, officer_key};
use super::{PgDatabase, burst, client, create_party, in_ci, shared_postgres, sqlite_integrity};

/// The tool, or `None` outside CI when the machine lacks it (CI installs it: `.ci/run`).
fn tool(name: &str) -> Option<&str> {
    let found = Command::new(name).arg("--version").output().is_ok();
    if !found {
        assert!(!in_ci(), "{name} is required in CI");
        eprintln!("skipping: {name} is not installed");
    }
    found.then_some(name)
}

fn run(command: &mut Command) {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Writes `before` parties one by one (acknowledged before the backup), then takes the backup
/// with `backup` while eight writers keep writing; answers the parties written before, how many
/// were written during, and how long the backup took.
async fn backup_under_writes(
    database_url: &str,
    dir: &std::path::Path,
    backup: impl FnOnce() + Send + 'static,
) -> (Vec<String>, usize, Duration) {
    let client = client();
    let mut service = Service::start(database_url, dir, &[]);
    service.ready(&client).await;
    let key = officer_key(database_url);
    let mut before = Vec::new();
    for n in 0..40 {
        let (status, id, _) = create_party(&client, &service.base, &key, 1_000_000 + n, false)
            .await
            .unwrap();
        assert_eq!(status, StatusCode::CREATED);
        before.push(id.unwrap());
    }
    let stop = Arc::new(AtomicBool::new(false));
    let writers = burst(&client, &service.base, &key, 8, stop.clone()).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    actix_web::rt::task::spawn_blocking(backup).await.unwrap();
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut during = 0;
    for writer in writers {
        let (ids, tally) = writer.await.unwrap();
        assert_eq!(tally.server_errors, 0, "{}", service.log_text());
        during += ids.len();
    }
    assert!(during > 0, "the writers wrote during the backup");
    (before, during, took)
}

/// A service on the restored copy serves each of `ids`.
async fn restored_serves(database_url: &str, dir: &std::path::Path, ids: &[String]) {
    let client = client();
    let mut service = Service::start(database_url, dir, &[]);
    service.ready(&client).await;
    let key = officer_key(database_url);
    for id in ids {
        let response = client
            .get(service.url(&format!("/v1/parties/{id}")))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{id} is not in the backup"
        );
    }
}

#[actix_web::test]
async fn an_online_sqlite_backup_taken_under_writes_restores_every_acknowledged_write() {
    let Some(sqlite3) = tool("sqlite3") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("investdesk.db");
    let copy = dir.path().join("investdesk-backup.db");
    let (sqlite3, live_path, copy_path) = (
        sqlite3.to_owned(),
        live.to_string_lossy().into_owned(),
        copy.to_string_lossy().into_owned(),
    );
    let (before, during, took) = backup_under_writes(&live_path, dir.path(), {
        let (live_path, copy_path) = (live_path.clone(), copy_path.clone());
        // As the README says: `sqlite3 investdesk.db ".timeout 10000" ".backup investdesk-backup.db"`.
        move || {
            run(Command::new(&sqlite3)
                .arg(&live_path)
                .arg(".timeout 10000")
                .arg(format!(".backup {copy_path}")))
        }
    })
    .await;
    sqlite_integrity(&copy_path);
    let restored = tempfile::tempdir().unwrap();
    restored_serves(&copy_path, restored.path(), &before).await;
    report!(
        "backups: SQLite online backup in {took:.2?} while 8 writers made {during} writes; the copy passes integrity_check and serves all {} writes acknowledged before it",
        before.len()
    );
}

#[actix_web::test]
async fn a_pg_dump_taken_under_writes_restores_every_acknowledged_write() {
    let (Some(pg_dump), Some(pg_restore)) = (tool("pg_dump"), tool("pg_restore")) else {
        return;
    };
    let Some(server) = shared_postgres() else {
        return;
    };
    let live = PgDatabase::create(&server);
    let copy = PgDatabase::create(&server);
    let dir = tempfile::tempdir().unwrap();
    let dump = dir
        .path()
        .join("investdesk.dump")
        .to_string_lossy()
        .into_owned();
    let (pg_dump, live_url) = (pg_dump.to_owned(), live.url());
    let (before, during, took) = backup_under_writes(&live.url(), dir.path(), {
        let dump = dump.clone();
        // As the README says: `pg_dump --format=custom --file=investdesk.dump "$URL"`.
        move || {
            run(Command::new(&pg_dump)
                .arg("--format=custom")
                .arg(format!("--file={dump}"))
                .arg(&live_url))
        }
    })
    .await;
    // `pg_restore --no-owner --dbname="$NEW_URL" investdesk.dump`
    run(Command::new(pg_restore)
        .arg("--no-owner")
        .arg(format!("--dbname={}", copy.url()))
        .arg(&dump));
    let restored = tempfile::tempdir().unwrap();
    restored_serves(&copy.url(), restored.path(), &before).await;
    report!(
        "backups: pg_dump in {took:.2?} while 8 writers made {during} writes; pg_restore into a new database serves all {} writes acknowledged before it",
        before.len()
    );
}
