//! Fault tests: the service as its own process under SQLite lock contention, SIGTERM, `kill -9`
//! during a burst of writes (both backends), and PostgreSQL stopped and restarted under load.
//! Each prints what it injected and verified, for the CI log.

/// Prints a figure for the CI log even when the test passes: the harness captures `print!` and
/// `eprint!`, not direct writes to stderr.
macro_rules! report {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod backups;
mod cli;
mod security;
mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use reqwest::StatusCode;
use serde_json::{Value, json};

use support::{Postgres, Service, Tally, officer_key, postgres_bin, signal};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The shared PostgreSQL server (tests make their own databases on it).
fn shared_postgres() -> Option<String> {
    let server = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into());
    investdesk::persistence::connection::prepare_tls();
    match PgConnection::establish(&server) {
        Ok(_) => Some(server),
        Err(e) if in_ci() => panic!("PostgreSQL is required in CI: {e}"),
        Err(e) => {
            eprintln!("skipping the PostgreSQL part: {e}");
            None
        }
    }
}

/// A fresh database on the shared server, dropped at the end.
struct PgDatabase {
    server: String,
    name: String,
}

impl PgDatabase {
    fn create(server: &str) -> PgDatabase {
        let name = format!("investdesk_fault_{}", uuid::Uuid::now_v7().simple());
        let mut conn = PgConnection::establish(server).unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .unwrap();
        PgDatabase {
            server: server.to_owned(),
            name,
        }
    }

    fn url(&self) -> String {
        let mut url = url::Url::parse(&self.server).unwrap();
        url.set_path(&self.name);
        url.to_string()
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.server) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

fn party(n: usize) -> Value {
    json!({"name": format!("Burst Holdings {n}"), "kind": "company", "country": "AZ"})
}

async fn create_party(
    client: &reqwest::Client,
    service: &str,
    key: &str,
    n: usize,
    idempotent: bool,
) -> Result<(StatusCode, Option<String>, Option<String>), reqwest::Error> {
    let mut request = client
        .post(format!("{service}/v1/parties"))
        .bearer_auth(key)
        .json(&party(n));
    if idempotent {
        request = request.header("Idempotency-Key", format!("burst-{n}"));
    }
    let response = request.send().await?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: Value = response.json().await.unwrap_or(Value::Null);
    Ok((status, body["id"].as_str().map(str::to_owned), retry_after))
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// SQLite's own integrity and foreign-key checks.
fn sqlite_integrity(path: &str) {
    let mut conn = SqliteConnection::establish(path).unwrap();
    let lines: Vec<Line> =
        diesel::sql_query("SELECT integrity_check AS line FROM pragma_integrity_check()")
            .load(&mut conn)
            .unwrap();
    let lines: Vec<_> = lines.into_iter().map(|l| l.line).collect();
    assert_eq!(lines, ["ok"], "PRAGMA integrity_check");
    let broken: Count = diesel::sql_query("SELECT count(*) AS n FROM pragma_foreign_key_check()")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(broken.n, 0, "PRAGMA foreign_key_check");
}

/// PostgreSQL's amcheck over every table and index of the database.
fn postgres_integrity(database: &PgDatabase) {
    let bin = postgres_bin().expect("PostgreSQL's programs are installed");
    let url = url::Url::parse(&database.server).unwrap();
    let output = std::process::Command::new(bin.join("pg_amcheck"))
        .args([
            "--install-missing",
            "--heapallindexed",
            "--no-dependent-toast",
        ])
        .args(["-h", url.host_str().unwrap_or("127.0.0.1")])
        .args(["-p", &url.port().unwrap_or(5432).to_string()])
        .args(["-U", url.username()])
        .args(["-d", &database.name])
        .output()
        .expect("pg_amcheck runs");
    assert!(
        output.status.success(),
        "pg_amcheck: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Holds SQLite's write lock from outside the service, as another process would.
fn lock_sqlite(path: &str) -> SqliteConnection {
    let mut conn = SqliteConnection::establish(path).unwrap();
    diesel::sql_query("BEGIN IMMEDIATE")
        .execute(&mut conn)
        .unwrap();
    conn
}

#[actix_web::test]
async fn sqlite_busy_past_the_busy_timeout_is_a_503_never_a_500() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.db").to_string_lossy().into_owned();
    let mut service = Service::start(&path, dir.path(), &[]);
    let client = client();
    service.ready(&client).await;
    let key = officer_key(&path);

    let mut lock = lock_sqlite(&path);
    let writer = {
        let (client, base, key) = (client.clone(), service.base.clone(), key.clone());
        actix_web::rt::spawn(async move { create_party(&client, &base, &key, 1, false).await })
    };
    // Readers are not blocked by a writer (WAL).
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    let read = client
        .get(service.url("/v1/parties"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    let (status, id, retry_after) = writer.await.unwrap().unwrap();
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        service.log_text()
    );
    assert_eq!(id, None);
    assert_eq!(retry_after.as_deref(), Some("2"));
    diesel::sql_query("ROLLBACK").execute(&mut lock).unwrap();

    // Once the lock is gone the same write succeeds, and the refused one left nothing behind.
    let (status, id, _) = create_party(&client, &service.base, &key, 2, false)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::CREATED);
    let page: Value = client
        .get(service.url("/v1/parties"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, [id.unwrap()]);
    report!(
        "faults: SQLite write lock held past busy_timeout: 1 write answered 503 + Retry-After, 0 x 500, 0 rows changed"
    );
}

#[actix_web::test]
async fn sigterm_lets_in_flight_requests_finish_before_the_process_exits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drain.db").to_string_lossy().into_owned();
    let mut service = Service::start(&path, dir.path(), &[]);
    let client = client();
    service.ready(&client).await;
    let key = officer_key(&path);

    // Hold the write lock so the request below is still in flight when the signal arrives.
    let mut lock = lock_sqlite(&path);
    let in_flight: Vec<_> = (0..3)
        .map(|n| {
            let (client, base, key) = (client.clone(), service.base.clone(), key.clone());
            actix_web::rt::spawn(async move { create_party(&client, &base, &key, n, false).await })
        })
        .collect();
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    signal(service.pid(), "TERM");
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    diesel::sql_query("COMMIT").execute(&mut lock).unwrap();
    drop(lock);

    let mut created = Vec::new();
    for request in in_flight {
        let (status, id, _) = request.await.unwrap().expect("answered, not cut off");
        assert_eq!(status, StatusCode::CREATED, "{}", service.log_text());
        created.push(id.unwrap());
    }
    let exit = service.exited(Duration::from_secs(10)).await;
    assert!(exit.success(), "exit status {exit}: {}", service.log_text());

    // After a restart, what was acknowledged is there.
    let mut again = Service::start(&path, dir.path(), &[]);
    again.ready(&client).await;
    for id in &created {
        let response = client
            .get(again.url(&format!("/v1/parties/{id}")))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    report!(
        "faults: SIGTERM with {} requests in flight: all answered 201, clean exit, all present after restart",
        created.len()
    );
}

/// Writers that keep creating parties until told to stop or the service disappears.
async fn burst(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    writers: usize,
    stop: Arc<AtomicBool>,
) -> Vec<actix_web::rt::task::JoinHandle<(Vec<String>, Tally)>> {
    (0..writers)
        .map(|w| {
            let (client, base, key, stop) = (
                client.clone(),
                base.to_owned(),
                key.to_owned(),
                stop.clone(),
            );
            actix_web::rt::spawn(async move {
                let mut acknowledged = Vec::new();
                let mut tally = Tally::default();
                let mut n = w;
                while !stop.load(Ordering::Relaxed) {
                    tally.requests += 1;
                    match create_party(&client, &base, &key, n, w % 2 == 1).await {
                        Ok((StatusCode::CREATED, Some(id), _)) => acknowledged.push(id),
                        Ok((status, _, _)) if status.is_server_error() => tally.server_errors += 1,
                        Ok((status, _, _)) => tally.other.push(status.as_u16()),
                        // The process is gone: nothing more can be acknowledged.
                        Err(_) => break,
                    }
                    n += writers;
                }
                (acknowledged, tally)
            })
        })
        .collect()
}

async fn kill_9_during_writes(database_url: &str, dir: &std::path::Path) -> (usize, usize) {
    let client = client();
    let mut service = Service::start(database_url, dir, &[]);
    service.ready(&client).await;
    let key = officer_key(database_url);
    let stop = Arc::new(AtomicBool::new(false));
    let writers = burst(&client, &service.base, &key, 8, stop.clone()).await;
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    service.kill_9();
    let mut acknowledged = Vec::new();
    let mut requests = 0;
    for writer in writers {
        let (ids, tally) = writer.await.unwrap();
        assert_eq!(tally.server_errors, 0, "{}", service.log_text());
        assert!(tally.other.is_empty(), "{:?}", tally.other);
        requests += tally.requests;
        acknowledged.extend(ids);
    }
    assert!(
        acknowledged.len() > 20,
        "the burst wrote: {}",
        acknowledged.len()
    );

    let mut again = Service::start(database_url, dir, &[]);
    again.ready(&client).await;
    for id in &acknowledged {
        let response = client
            .get(again.url(&format!("/v1/parties/{id}")))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "acknowledged {id} is lost"
        );
    }
    (requests, acknowledged.len())
}

#[actix_web::test]
async fn kill_9_during_a_burst_of_writes_loses_nothing_acknowledged_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db").to_string_lossy().into_owned();
    let (requests, verified) = kill_9_during_writes(&path, dir.path()).await;
    sqlite_integrity(&path);
    report!(
        "faults: SQLite kill -9 after {requests} write requests: {verified} acknowledged writes verified, 0 lost, integrity_check ok"
    );
}

#[actix_web::test]
async fn kill_9_during_a_burst_of_writes_loses_nothing_acknowledged_on_postgres() {
    let Some(server) = shared_postgres() else {
        return;
    };
    let database = PgDatabase::create(&server);
    let dir = tempfile::tempdir().unwrap();
    let (requests, verified) = kill_9_during_writes(&database.url(), dir.path()).await;
    postgres_integrity(&database);
    report!(
        "faults: PostgreSQL kill -9 after {requests} write requests: {verified} acknowledged writes verified, 0 lost, pg_amcheck clean"
    );
}

/// One request made while the database came and went.
struct Outcome {
    status: u16,
    retry_after: bool,
    elapsed: Duration,
    id: Option<String>,
}

#[actix_web::test]
async fn postgres_stopped_under_load_gives_503s_then_recovers_without_a_restart() {
    let Some(bin) = postgres_bin() else {
        assert!(!in_ci(), "PostgreSQL's programs are required in CI");
        eprintln!("skipping: PostgreSQL is not installed");
        return;
    };
    let mut postgres = Postgres::init(bin);
    postgres.start().await;
    let dir = tempfile::tempdir().unwrap();
    let acquire_ms = 1000;
    let mut service = Service::start(
        &postgres.url(),
        dir.path(),
        &[("INVESTDESK_DB_ACQUIRE_TIMEOUT_MS", "1000")],
    );
    let client = client();
    service.ready(&client).await;
    let key = officer_key(&postgres.url());

    let outcomes = Arc::new(Mutex::new(Vec::<(&'static str, Outcome)>::new()));
    let phase = Arc::new(Mutex::new("before"));
    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|w| {
            let (client, base, key) = (client.clone(), service.base.clone(), key.clone());
            let (outcomes, phase, stop) = (outcomes.clone(), phase.clone(), stop.clone());
            actix_web::rt::spawn(async move {
                let mut n = w;
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let current = *phase.lock().unwrap();
                    let (status, id, retry_after) = if w % 2 == 0 {
                        create_party(&client, &base, &key, n, false).await.unwrap()
                    } else {
                        let response = client
                            .get(format!("{base}/v1/opportunities?limit=5"))
                            .send()
                            .await
                            .unwrap();
                        let retry = response.headers().contains_key("retry-after");
                        (response.status(), None, retry.then(String::new))
                    };
                    outcomes.lock().unwrap().push((
                        current,
                        Outcome {
                            status: status.as_u16(),
                            retry_after: retry_after.is_some(),
                            elapsed: started.elapsed(),
                            id,
                        },
                    ));
                    n += 4;
                    actix_web::rt::time::sleep(Duration::from_millis(20)).await;
                }
            })
        })
        .collect();

    actix_web::rt::time::sleep(Duration::from_millis(800)).await;
    *phase.lock().unwrap() = "down";
    postgres.stop().await;
    actix_web::rt::time::sleep(Duration::from_millis(2500)).await;
    let ready = client.get(service.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.headers().contains_key("retry-after"));

    *phase.lock().unwrap() = "recovering";
    postgres.start().await;
    let back = Instant::now();
    loop {
        let ready = client.get(service.url("/readyz")).send().await.unwrap();
        if ready.status() == StatusCode::OK {
            break;
        }
        assert!(back.elapsed() < Duration::from_secs(15), "no recovery");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let recovered_in = back.elapsed();
    *phase.lock().unwrap() = "after";
    actix_web::rt::time::sleep(Duration::from_millis(800)).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }

    let outcomes = std::mem::take(&mut *outcomes.lock().unwrap());
    let count = |p: &str, s: u16| {
        outcomes
            .iter()
            .filter(|(phase, o)| *phase == p && o.status == s)
            .count()
    };
    for (phase, outcome) in &outcomes {
        assert!(
            matches!(outcome.status, 200 | 201 | 503),
            "{phase}: {} {}",
            outcome.status,
            service.log_text()
        );
        if outcome.status == 503 {
            assert!(outcome.retry_after, "a 503 carries Retry-After");
            assert!(
                outcome.elapsed < Duration::from_millis(acquire_ms + 1500),
                "a 503 within the pool timeout: {:?}",
                outcome.elapsed
            );
        }
    }
    let unavailable = outcomes.iter().filter(|(_, o)| o.status == 503).count();
    assert!(
        count("down", 503) > 0,
        "requests during the outage got 503s"
    );
    assert!(
        count("after", 200) > 0 && count("after", 201) > 0,
        "reads and writes succeed again without a restart"
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|(p, o)| *p == "after" && o.status == 503)
            .count(),
        0
    );
    // Every acknowledged write, before and after the outage, is there.
    let acknowledged: Vec<_> = outcomes.iter().filter_map(|(_, o)| o.id.clone()).collect();
    for id in &acknowledged {
        let response = client
            .get(service.url(&format!("/v1/parties/{id}")))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    signal(service.pid(), "TERM");
    assert!(service.exited(Duration::from_secs(10)).await.success());
    report!(
        "faults: PostgreSQL stopped under load: {} requests, {unavailable} answered 503 + Retry-After, 0 x 500, /readyz 503 while down, recovered {recovered_in:?} after restart with no service restart, {} acknowledged writes verified",
        outcomes.len(),
        acknowledged.len()
    );
}
