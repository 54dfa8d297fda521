//! The service as a separate process (so it can be signalled and killed), and PostgreSQL
//! instances of the tests' own. Every process is stopped by its PID, never by name.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub const BINARY: &str = env!("CARGO_BIN_EXE_investdesk");

/// A port free at the time of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Sends `signal` (e.g. `TERM`, `INT`) to one process.
pub fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -s {signal} {pid}");
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|s| s.split(") ").nth(1).is_some_and(|r| r.starts_with('Z')))
}

/// Runs the CLI to completion and returns its stdout.
pub fn cli(args: &[&str]) -> String {
    let output = Command::new(BINARY)
        .args(args)
        .env_remove("INVESTDESK_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "investdesk {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// An officer key for the database at `url`.
pub fn officer_key(url: &str) -> String {
    cli(&[
        "api-keys",
        "create",
        "--role",
        "officer",
        "--name",
        "faults",
        "--database-url",
        url,
    ])
}

/// `investdesk serve` in its own process.
pub struct Service {
    child: Child,
    pub base: String,
    pub log: PathBuf,
}

impl Service {
    /// Starts the service on `database_url` with rate limits off (the load comes from one
    /// address) and `extra` settings as environment variables.
    pub fn start(database_url: &str, log_dir: &Path, extra: &[(&str, &str)]) -> Service {
        let port = free_port();
        let log = log_dir.join(format!("service-{port}.log"));
        let mut command = Command::new(BINARY);
        command
            .arg("serve")
            .env("INVESTDESK_DATABASE_URL", database_url)
            .env("INVESTDESK_LISTEN", format!("127.0.0.1:{port}"))
            .env("INVESTDESK_WORKERS", "2")
            .env("INVESTDESK_RATE_LIMIT_PER_ADDRESS", "0")
            .env("INVESTDESK_RATE_LIMIT_PER_KEY", "0")
            .env("INVESTDESK_AUTH_FAILURES_PER_MINUTE", "0")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"));
        for (name, value) in extra {
            command.env(name, value);
        }
        let child = command.spawn().expect("the service starts");
        Service {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits until `/healthz` answers.
    pub async fn ready(&mut self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the service exited with {status}: {}", self.log_text());
            }
            if client
                .get(self.url("/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            actix_web::rt::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the service did not start: {}", self.log_text());
    }

    /// Waits up to `within` for the process to exit.
    pub async fn exited(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the service did not exit within {within:?}"
            );
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL, by PID.
    pub fn kill_9(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A PostgreSQL server of the test's own, in a temporary directory, on its own port.
pub struct Postgres {
    bin: PathBuf,
    pub dir: tempfile::TempDir,
    pub port: u16,

    /// The postmaster's PID while it runs.
    pid: Option<u32>,
}

/// PostgreSQL's programs, when installed.
pub fn postgres_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("postgres").exists() && bin.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .is_some_and(|l| l.split_whitespace().nth(1) == Some("0"))
    })
}

impl Postgres {
    /// Creates a cluster (PostgreSQL refuses to run as root, so as `postgres` when we are).
    pub fn init(bin: PathBuf) -> Postgres {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        if running_as_root() {
            let status = Command::new("chown")
                .args(["postgres:postgres", &dir.path().to_string_lossy()])
                .status()
                .unwrap();
            assert!(status.success(), "chown the cluster directory");
        }
        let output = Postgres::as_owner(bin.join("initdb"))
            .args([
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .output()
            .expect("initdb runs");
        assert!(
            output.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Postgres {
            bin,
            dir,
            port: free_port(),
            pid: None,
        }
    }

    fn as_owner(program: PathBuf) -> Command {
        if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    pub fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }

    /// Starts the server and waits until it accepts connections.
    pub async fn start(&mut self) {
        let data = self.dir.path().join("data");
        let log = self.dir.path().join("postgres.log");
        let status = Postgres::as_owner(self.bin.join("pg_ctl"))
            .arg("start")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .arg("-o")
            .arg(format!(
                "-p {} -c listen_addresses=127.0.0.1 -k {}",
                self.port,
                self.dir.path().display()
            ))
            .stdout(Stdio::null())
            .status()
            .expect("pg_ctl runs");
        assert!(
            status.success(),
            "pg_ctl start: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                break;
            }
            assert!(Instant::now() < deadline, "PostgreSQL did not start");
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        let pid_file = std::fs::read_to_string(data.join("postmaster.pid")).expect("pid file");
        self.pid = pid_file.lines().next().and_then(|l| l.trim().parse().ok());
        assert!(self.pid.is_some(), "postmaster.pid names the server");
    }

    /// Stops the server the way an operator or a crash of the host does not wait for clients:
    /// SIGINT (fast shutdown) to the postmaster's PID, then waits for it to be gone.
    pub async fn stop(&mut self) {
        let Some(pid) = self.pid.take() else { return };
        signal(pid, "INT");
        let deadline = Instant::now() + Duration::from_secs(30);
        while alive(pid) {
            assert!(Instant::now() < deadline, "PostgreSQL did not stop");
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(pid) = self.pid.take() {
            let _ = Command::new("kill")
                .args(["-s", "INT", &pid.to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while alive(pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// Tallies of one fault test, printed at its end for the CI log.
#[derive(Debug, Default)]
pub struct Tally {
    pub requests: usize,
    pub server_errors: usize,
    pub other: Vec<u16>,
}
