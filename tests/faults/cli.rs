//! The CLI as a newcomer meets it (README "Commands"): every command that opens a database names
//! it on stderr, a key is never issued into a database that is not InvestDesk's, `healthcheck`
//! finds the server where `INVESTDESK_LISTEN` says, and the exit codes are the documented ones.

use std::path::Path;
use std::process::{Command, Output};

use super::client;
use super::support::{BINARY, Service, free_port};

fn investdesk(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .env_remove("INVESTDESK_DATABASE_URL")
        .env_remove("INVESTDESK_LISTEN")
        .env("RUST_LOG", "warn");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_key_is_never_issued_into_a_database_that_is_not_investdesks() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo.db");
    let missing = missing.to_str().unwrap();
    let create = [
        "api-keys",
        "create",
        "--role",
        "admin",
        "--name",
        "ops",
        "--database-url",
    ];
    let output = investdesk(&[&create[..], &[missing]].concat(), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("holds no InvestDesk database"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("investdesk migrate"),
        "the hint says what to do"
    );
    assert!(
        !Path::new(missing).exists(),
        "no empty database was created"
    );
    // An existing file without InvestDesk's tables is refused the same way, and left alone.
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let output = investdesk(&[&create[..], &[empty.to_str().unwrap()]].concat(), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        std::fs::metadata(&empty).unwrap().len(),
        0,
        "nothing was written to it"
    );
    report!(
        "cli: api-keys create refuses a missing and an empty database with a hint, creating nothing"
    );
}

#[test]
fn every_command_that_opens_a_database_names_it_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("named.db");
    let db = db.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["migrate", "--database-url", db],
        vec!["seed", "--demo", "--database-url", db],
        vec![
            "api-keys",
            "create",
            "--role",
            "officer",
            "--name",
            "n",
            "--database-url",
            db,
        ],
        vec!["api-keys", "list", "--database-url", db],
        vec!["export", "oc4ids", "--database-url", db],
    ];
    for args in &commands {
        let output = investdesk(args, &[]);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(db),
            "{args:?} does not say which database: {}",
            stderr(&output)
        );
    }
    // The environment variable, as the README's commands use it.
    let output = investdesk(&["api-keys", "list"], &[("INVESTDESK_DATABASE_URL", db)]);
    assert!(stderr(&output).contains(db), "{}", stderr(&output));
    report!(
        "cli: {} commands name their database on stderr",
        commands.len() + 1
    );
}

#[actix_web::test]
async fn healthcheck_finds_the_server_where_investdesk_listen_says() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("health.db").to_string_lossy().into_owned();
    let mut service = Service::start(&db, dir.path(), &[]);
    service.ready(&client()).await;
    let listen = service.base.trim_start_matches("http://").to_owned();
    let output = investdesk(&["healthcheck"], &[("INVESTDESK_LISTEN", &listen)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let nobody = format!("127.0.0.1:{}", free_port());
    let output = investdesk(&["healthcheck"], &[("INVESTDESK_LISTEN", &nobody)]);
    assert_eq!(output.status.code(), Some(1), "nothing listens on {nobody}");
    // The flag wins over the environment.
    let output = investdesk(
        &["healthcheck", "--listen", &listen],
        &[("INVESTDESK_LISTEN", &nobody)],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn bad_usage_exits_2_and_a_failure_exits_1() {
    let output = investdesk(&["api-keys", "create", "--role", "admin"], &[]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "a missing --name is bad usage"
    );
    let output = investdesk(&["no-such-command"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let output = investdesk(&["api-keys", "revoke", "not-a-key-id"], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).starts_with("investdesk: "),
        "{}",
        stderr(&output)
    );
}
