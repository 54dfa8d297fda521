//! The security issue's faults, on the service as its own process: invented methods against the
//! metrics, a process killed mid-request against idempotency, anonymous bulk against memory,
//! storage that turns read-only, TLS to PostgreSQL at exit, and the request id in every log line.

use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::{BINARY, Service, officer_key, signal};
use super::{PgDatabase, client, in_ci, shared_postgres};

/// Resident memory of a process, in bytes.
fn rss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .unwrap()
        * 1024
}

/// Invented methods share one label, and a thousand of them leave `/metrics` small.
#[actix_web::test]
async fn a_thousand_invented_methods_leave_the_metrics_small() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.db").to_string_lossy().into_owned();
    let mut service = Service::start(&path, dir.path(), &[]);
    let client = client();
    service.ready(&client).await;
    let requests = (0..1000).map(|i| {
        let method = reqwest::Method::from_bytes(format!("PROBE{i}").as_bytes()).unwrap();
        client.request(method, service.url("/v1/parties")).send()
    });
    for answer in join_all(requests).await {
        assert_eq!(answer.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED);
    }
    let metrics = client
        .get(service.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    report!(
        "faults: /metrics after 1,000 invented methods: {} bytes",
        metrics.len()
    );
    assert!(metrics.len() < 100_000, "{} bytes", metrics.len());
    assert!(metrics.contains("method=\"OTHER\""));
    assert!(!metrics.contains("PROBE"));
}

/// Keyed POSTs in flight when the process is killed: after a restart each retry with its key
/// either runs (nothing was committed) or replays (it was) at once; none is told to wait, and
/// each key made one party.
async fn killed_mid_request(database_url: &str, dir: &std::path::Path) {
    let client = client();
    let mut service = Service::start(database_url, dir, &[]);
    service.ready(&client).await;
    let key = officer_key(database_url);
    const POSTS: usize = 60;
    let send = |base: String, n: usize| {
        let (client, key) = (client.clone(), key.clone());
        async move {
            client
                .post(format!("{base}/v1/parties"))
                .bearer_auth(&key)
                .header("idempotency-key", format!("killed-{n}"))
                .json(&json!({"name": format!("Killed Holdings {n}"), "kind": "company", "country": "AZ"}))
                .send()
                .await
                .map(|r| r.status())
        }
    };
    let in_flight: Vec<_> = (0..POSTS)
        .map(|n| actix_web::rt::spawn(send(service.base.clone(), n)))
        .collect();
    actix_web::rt::time::sleep(Duration::from_millis(15)).await;
    service.kill_9();
    let mut answered_before = 0;
    for request in in_flight {
        answered_before += usize::from(request.await.unwrap().is_ok_and(|s| s == 201));
    }
    let mut again = Service::start(database_url, dir, &[]);
    again.ready(&client).await;
    let started = Instant::now();
    let mut statuses = Vec::new();
    let mut replayed = 0;
    for n in 0..POSTS {
        let answer = client
            .post(again.url("/v1/parties"))
            .bearer_auth(&key)
            .header("idempotency-key", format!("killed-{n}"))
            .json(&json!({"name": format!("Killed Holdings {n}"), "kind": "company", "country": "AZ"}))
            .send()
            .await
            .unwrap();
        replayed += usize::from(answer.headers().contains_key("idempotent-replayed"));
        statuses.push(answer.status().as_u16());
    }
    let elapsed = started.elapsed();
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let page: Value = client
        .get(again.url("/v1/parties?limit=100&includeTotal=true"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["totalCount"], POSTS as i64, "one party per key");
    report!(
        "faults: kill -9 with {POSTS} keyed POSTs in flight ({answered_before} answered before): retries after restart {} ran, {replayed} replayed, 0 x 409, in {:.2} s",
        POSTS - replayed,
        elapsed.as_secs_f64()
    );
}

#[actix_web::test]
async fn a_process_killed_mid_request_leaves_no_claim_behind_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("killed.db").to_string_lossy().into_owned();
    killed_mid_request(&path, dir.path()).await;
}

#[actix_web::test]
async fn a_process_killed_mid_request_leaves_no_claim_behind_postgres() {
    let Some(server) = shared_postgres() else {
        return;
    };
    let database = PgDatabase::create(&server);
    let dir = tempfile::tempdir().unwrap();
    killed_mid_request(&database.url(), dir.path()).await;
}

/// Sends a POST announcing a 4 MiB body without credentials, and as much of the body as the
/// server reads; the status, if one came.
async fn anonymous_bulk(address: String, n: usize) -> Option<u16> {
    actix_web::rt::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&address).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        let size = 4 * 1024 * 1024;
        let head = format!(
            "POST /v1/imports/oc4ids HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nIdempotency-Key: bulk-{n}\r\nContent-Length: {size}\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).ok()?;
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..size / chunk.len() {
            if stream.write_all(&chunk).is_err() {
                break;
            }
        }
        let mut answer = [0u8; 64];
        let read = stream.read(&mut answer).ok()?;
        String::from_utf8_lossy(&answer[..read])
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
    })
    .await
    .ok()
    .flatten()
}

/// Forty anonymous 4 MiB POSTs at once are refused before their bodies are read: the server's
/// memory barely moves and nothing is written.
#[actix_web::test]
async fn anonymous_bulk_posts_are_refused_before_their_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bulk.db").to_string_lossy().into_owned();
    let mut service = Service::start(&path, dir.path(), &[]);
    let client = client();
    service.ready(&client).await;
    let key = officer_key(&path);
    let before = rss(service.pid());
    let address = service.base.trim_start_matches("http://").to_owned();
    let answers = join_all((0..40).map(|n| anonymous_bulk(address.clone(), n))).await;
    let after = rss(service.pid());
    let refused = answers.iter().filter(|a| **a == Some(401)).count();
    assert!(
        answers.iter().all(|a| a.is_none_or(|s| s == 401)),
        "{answers:?}"
    );
    let page: Value = client
        .get(service.url("/v1/opportunities?listingStatus=draft&includeTotal=true"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["totalCount"], 0);
    let grown = after.saturating_sub(before);
    report!(
        "faults: 40 anonymous 4 MiB POSTs with an Idempotency-Key: {refused} answered 401 (the rest cut off), RSS {:.1} -> {:.1} MiB (+{:.1} MiB), 0 writes",
        before as f64 / 1048576.0,
        after as f64 / 1048576.0,
        grown as f64 / 1048576.0
    );
    assert!(grown < 10 * 1024 * 1024, "RSS grew by {grown} bytes");
}

fn chattr(flag: &str, paths: &[std::path::PathBuf]) -> bool {
    Command::new("chattr")
        .arg(flag)
        .args(paths)
        .status()
        .is_ok_and(|s| s.success())
}

/// A database whose file, WAL and folder become read-only (an immutable flag, which even root
/// cannot write through, on files the service already has open) answers writes 503 with
/// `Retry-After`, turns `/readyz` 503, keeps serving reads, and takes writes again once the
/// storage recovers, without a restart.
///
/// The `-shm` index is left writable: SQLite maps it into memory, and a write fault on a
/// mapping is a SIGBUS, which no process answers with a 503 (the kernel raises it on a mapped
/// file of a file system that turns read-only, too).
#[actix_web::test]
async fn a_read_only_database_is_a_503_until_the_storage_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let path = data.join("storage.db").to_string_lossy().into_owned();
    let mut service = Service::start(&path, dir.path(), &[]);
    let client = client();
    service.ready(&client).await;
    let key = officer_key(&path);
    let post = |n: usize| {
        client
            .post(service.url("/v1/parties"))
            .bearer_auth(&key)
            .json(&json!({"name": format!("Storage Holdings {n}"), "kind": "company", "country": "PK"}))
            .send()
    };
    assert_eq!(post(0).await.unwrap().status(), 201);
    let files: Vec<_> = ["storage.db", "storage.db-wal"]
        .iter()
        .map(|f| data.join(f))
        .chain([data.clone()])
        .collect();
    if !chattr("+i", &files) {
        assert!(!in_ci(), "chattr +i must work in CI (root, ext4 or tmpfs)");
        eprintln!("skipping: chattr +i is not available here");
        return;
    }
    let mut refused = 0;
    for n in 1..=5 {
        let answer = post(n).await.unwrap();
        if answer.status() != 503 {
            chattr("-i", &files);
            panic!("a write on read-only storage answered {}", answer.status());
        }
        assert_eq!(answer.headers()["retry-after"], "2");
        refused += 1;
        // Time for the writer to open its connection again meanwhile: SQLite then opens the
        // file read-only, and that connection must not outlive the fault.
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    let ready = client
        .get(service.url("/readyz"))
        .send()
        .await
        .unwrap()
        .status();
    let read = client
        .get(service.url("/v1/parties"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .status();
    assert!(chattr("-i", &files), "chattr -i");
    assert_eq!(ready, 503, "/readyz while the storage is read-only");
    assert_eq!(read, 200, "reads go on");
    let recovered = Instant::now();
    loop {
        let status = post(100).await.unwrap().status();
        if status == 201 {
            break;
        }
        assert!(
            recovered.elapsed() < Duration::from_secs(10),
            "writes did not come back: {status}; {}",
            service.log_text()
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let after = recovered.elapsed();
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    let ready = client
        .get(service.url("/readyz"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(ready, 200);
    report!(
        "faults: read-only SQLite storage: {refused} writes answered 503 + Retry-After, /readyz 503, reads 200; writes back {:.2} s after recovery, no restart, 0 x 500",
        after.as_secs_f64()
    );
    assert!(!service.log_text().contains("internal error"));
}

/// The shared PostgreSQL, asked for TLS.
fn postgres_over_tls(server: &str) -> String {
    let mut url = url::Url::parse(server).unwrap();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "sslmode")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("sslmode", "require");
    url.to_string()
}

/// A command that talks to PostgreSQL over TLS exits 0 every time (it once crashed at exit in
/// OpenSSL's clean-up, about one run in three), and so does the server on SIGTERM.
#[actix_web::test]
async fn commands_and_the_server_exit_cleanly_over_tls() {
    let Some(server) = shared_postgres() else {
        return;
    };
    let database = PgDatabase::create(&server);
    let plain = database.url();
    let tls = postgres_over_tls(&plain);
    let dir = tempfile::tempdir().unwrap();
    let mut service = Service::start(&tls, dir.path(), &[]);
    let client = client();
    service.ready(&client).await;
    let key = officer_key(&tls);
    const RUNS: usize = 200;
    let mut failed = Vec::new();
    let started = Instant::now();
    for run in 0..RUNS {
        let args: Vec<&str> = if run % 2 == 0 {
            vec!["api-keys", "list", "--database-url", &tls]
        } else {
            vec!["migrate", "--database-url", &tls]
        };
        let status = Command::new(BINARY)
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        if !status.success() {
            failed.push(status);
        }
    }
    // A new client: the first one's idle connection may have outlived the keep-alive.
    let answer = super::client()
        .get(service.url("/v1/parties"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    signal(service.pid(), "TERM");
    let exit = service.exited(Duration::from_secs(15)).await;
    report!(
        "faults: CLI runs over TLS: {RUNS}, non-zero exits: {} ({:.1} s); the server's exit on SIGTERM over TLS: {exit}",
        failed.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(failed.is_empty(), "{failed:?}");
    assert!(exit.success(), "{exit}: {}", service.log_text());
}

/// Every log line written while serving a request carries its id, down to the database thread
/// that did the work.
#[actix_web::test]
async fn every_log_line_of_a_request_carries_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.db").to_string_lossy().into_owned();
    let mut service = Service::start(
        &path,
        dir.path(),
        &[("INVESTDESK_LOG_FORMAT", "json"), ("RUST_LOG", "info")],
    );
    let client = client();
    service.ready(&client).await;
    let admin = super::support::cli(&[
        "api-keys",
        "create",
        "--role",
        "admin",
        "--name",
        "log",
        "--database-url",
        &path,
    ]);
    let answer = client
        .post(service.url("/v1/api-keys"))
        .bearer_auth(&admin)
        .header("x-request-id", "trace-me-42")
        .json(&json!({"name": "traced", "role": "officer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    let lines: Vec<Value> = service
        .log_text()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let of_request: Vec<&Value> = lines
        .iter()
        .filter(|l| l["span"]["request_id"] == "trace-me-42")
        .collect();
    let messages: Vec<&str> = of_request
        .iter()
        .filter_map(|l| l["message"].as_str())
        .collect();
    report!("faults: JSON log lines of one request, by its id: {messages:?}");
    assert!(messages.contains(&"issued an API key"), "{lines:?}");
    assert!(messages.contains(&"request"), "{lines:?}");
}
