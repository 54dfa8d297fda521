//! The `investdesk` command: serve the API, run migrations, manage API keys, print the OpenAPI
//! document.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

use investdesk::config::{DatabaseSettings, ServeSettings};
use investdesk::domain::api_keys::NewApiKey;
use investdesk::domain::codes::Role;
use investdesk::domain::ids::{ApiKeyId, PartyId};
use investdesk::domain::page::PageRequest;
use investdesk::persistence::{Database, DatabaseUrl, DbConnection, connection, database};
use investdesk::telemetry::{self, LogFormat};
use investdesk::{openapi, persistence, services, startup};

/// InvestDesk: investment opportunities for foreign investors, and the interest they draw.
#[derive(Parser)]
#[command(
    version,
    about,
    after_help = "With no command, `serve` runs.\n\nExit codes: 0 success, 1 failure (the reason is printed on stderr), 2 bad usage."
)]
struct Cli {
    /// Log format.
    #[arg(
        long,
        env = "INVESTDESK_LOG_FORMAT",
        value_enum,
        default_value = "pretty",
        global = true
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default): migrates the database first.
    #[command(
        after_help = "Example:\n  INVESTDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/investdesk investdesk serve --listen 0.0.0.0:8080"
    )]
    Serve(Box<ServeSettings>),
    /// Apply pending database migrations and exit.
    #[command(after_help = "Example:\n  investdesk migrate --database-url sqlite://investdesk.db")]
    Migrate(DatabaseSettings),
    /// Create, list and revoke API keys.
    #[command(subcommand)]
    ApiKeys(ApiKeyCommand),
    /// Print the OpenAPI document (as committed in openapi/openapi.json).
    Openapi,
    /// Load data: the demo set, or synthetic data for benchmarks.
    #[command(
        after_help = "Examples:\n  investdesk seed --demo\n  investdesk seed --synthetic 100000 --database-url sqlite://bench.db"
    )]
    Seed {
        #[command(flatten)]
        database: DatabaseSettings,
        /// The realistic demo set (M-6, M-9, M-10, Kharian–Rawalpindi, Keenjhar, KP tourism, an energy project,
        /// BOI, NHA, Azerbaijan, the trilateral initiative, interests at several stages). Running it twice changes nothing.
        #[arg(long, conflicts_with = "synthetic")]
        demo: bool,
        /// N synthetic opportunities (with N/10 parties, 2N interests, N/2 events) for benchmarks.
        #[arg(long, value_name = "N")]
        synthetic: Option<usize>,
    },
    /// Export published opportunities.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Measure the database's own speed for the service's queries, without HTTP (benchmarks'
    /// ceiling): get by id, a filtered page, and single-row durable commits.
    #[command(hide = true)]
    BenchDb {
        #[command(flatten)]
        database: DatabaseSettings,
        /// Seconds per measurement.
        #[arg(long, default_value_t = 3)]
        seconds: u64,
    },
    /// Exit 0 when the local server answers /healthz (for container health checks).
    Healthcheck {
        /// The address the server listens on.
        #[arg(long, env = "INVESTDESK_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Every published opportunity as one OC4IDS 0.9 project package, on stdout.
    #[command(after_help = "Example:\n  investdesk export oc4ids > package.json")]
    Oc4ids {
        #[command(flatten)]
        database: DatabaseSettings,
        #[command(flatten)]
        oc4ids: investdesk::config::Oc4idsSettings,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key; prints only the key on stdout, details on stderr.
    #[command(
        after_help = "Examples:\n  KEY=$(investdesk api-keys create --role admin --name ops)\n  investdesk api-keys create --role investor --name azerbaijan --party-id pty_…"
    )]
    Create {
        #[command(flatten)]
        database: DatabaseSettings,
        /// admin, officer or investor.
        #[arg(long)]
        role: String,
        /// What the key is for.
        #[arg(long)]
        name: String,
        /// The party an investor key acts for.
        #[arg(long)]
        party_id: Option<String>,
        /// When the key stops working (RFC 3339, e.g. 2027-01-01T00:00:00Z).
        #[arg(long)]
        expires_at: Option<DateTime<Utc>>,
    },
    /// List keys (never their secrets).
    List {
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Revoke a key at once.
    Revoke {
        #[command(flatten)]
        database: DatabaseSettings,
        /// The key's id (key_…).
        id: String,
    },
}

/// Opens (creating it when it is new) and migrates the database, for commands that load data.
fn open(settings: &DatabaseSettings) -> Result<Database, String> {
    eprintln!("investdesk: database {}", settings.database_url);
    let db = Database::open(settings.database_url.clone(), &settings.pool_options())
        .map_err(|e| e.to_string())?;
    db.migrate().map_err(|e| e.to_string())?;
    Ok(db)
}

/// One connection to a database that must already be InvestDesk's (migrated to this version if
/// it is older), for commands that do one thing and exit; a missing or empty database is refused
/// with a hint rather than created, since it is most likely the wrong one.
fn connect_existing(settings: &DatabaseSettings) -> Result<DbConnection, String> {
    let url = &settings.database_url;
    eprintln!("investdesk: database {url}");
    let hint = format!(
        "{url} holds no InvestDesk database; start the service or run `investdesk migrate` with this --database-url first (or point INVESTDESK_DATABASE_URL at the right one)"
    );
    // A file that is not an SQLite database at all (missing, empty, something else) is refused
    // before anything opens it: opening would write a database header into it.
    if let DatabaseUrl::Sqlite(path) = url {
        let mut header = [0u8; 16];
        let is_sqlite = std::fs::File::open(path)
            .and_then(|mut file| std::io::Read::read_exact(&mut file, &mut header))
            .is_ok_and(|()| &header == b"SQLite format 3\0");
        if !is_sqlite {
            return Err(hint);
        }
    }
    let mut conn = connection::connect_once(url, settings.sqlite_synchronous)?;
    if !database::is_initialised(&mut conn).map_err(|e| e.to_string())? {
        return Err(hint);
    }
    database::migrate(&mut conn)?;
    Ok(conn)
}

fn api_keys(command: ApiKeyCommand) -> Result<(), String> {
    match command {
        ApiKeyCommand::Create {
            database,
            role,
            name,
            party_id,
            expires_at,
        } => {
            let role = Role::parse(&role).ok_or("--role must be admin, officer or investor")?;
            let party_id = party_id
                .map(|p| PartyId::parse(&p).ok_or("--party-id is not a party id (pty_…)"))
                .transpose()?;
            let mut conn = connect_existing(&database)?;
            let issued = services::api_keys::issue(
                &mut conn,
                NewApiKey {
                    name,
                    role,
                    party_id,
                    expires_at: expires_at.map(|t| t.naive_utc()),
                },
            )
            .map_err(|e| e.to_string())?;
            eprintln!(
                "created {} key {} ({})",
                issued.key.role, issued.key.id, issued.key.name
            );
            println!("{}", issued.secret);
            Ok(())
        }
        ApiKeyCommand::List { database } => {
            let mut conn = connect_existing(&database)?;
            let mut after = None;
            loop {
                let page = PageRequest {
                    sort: (),
                    descending: false,
                    after: after.clone(),
                    limit: 100,
                };
                let keys =
                    persistence::api_keys::list(&mut conn, &page).map_err(|e| e.to_string())?;
                for key in keys.iter().take(100) {
                    let status = if key.revoked_at.is_some() {
                        "revoked"
                    } else if key.is_active(persistence::now()) {
                        "active"
                    } else {
                        "expired"
                    };
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        key.id, key.role, status, key.hint, key.name
                    );
                }
                if keys.len() <= 100 {
                    return Ok(());
                }
                after = keys.get(99).map(|k| investdesk::domain::page::Position {
                    key: String::new(),
                    id: k.id.to_string(),
                });
            }
        }
        ApiKeyCommand::Revoke { database, id } => {
            let id = ApiKeyId::parse(&id).ok_or("not an API key id (key_…)")?;
            let mut conn = connect_existing(&database)?;
            let key = services::api_keys::revoke_now(&mut conn, &id).map_err(|e| e.to_string())?;
            eprintln!("revoked {} ({})", key.id, key.name);
            Ok(())
        }
    }
}

/// mimalloc rather than glibc's allocator: under many threads glibc's arenas contend on locks
/// and hold memory (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let command = cli
        .command
        .unwrap_or_else(|| Command::Serve(Box::new(ServeSettings::parse_from_env())));
    let result = match command {
        Command::Serve(settings) => serve(*settings),
        Command::Migrate(settings) => {
            connection::connect_once(&settings.database_url, settings.sqlite_synchronous)
                .and_then(|mut conn| database::migrate(&mut conn))
                .map(|n| eprintln!("applied {n} migration(s) to {}", settings.database_url))
        }
        Command::ApiKeys(command) => api_keys(command),
        Command::Openapi => {
            print!("{}", openapi::document_json());
            Ok(())
        }
        Command::Healthcheck { listen } => healthcheck(&listen),
        Command::BenchDb { database, seconds } => bench_db(&database, seconds),
        Command::Export(ExportCommand::Oc4ids { database, oc4ids }) => {
            export_oc4ids(&database, &oc4ids.package())
        }
        Command::Seed {
            database,
            demo,
            synthetic,
        } => seed(&database, demo, synthetic),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("investdesk: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: ServeSettings) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async move {
        let app = startup::Application::build(settings).map_err(|e| e.to_string())?;
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

/// A plain HTTP/1.1 GET of /healthz on the local listener, with short timeouts.
fn healthcheck(listen: &str) -> Result<(), String> {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::time::Duration;
    let mut address: SocketAddr = listen
        .parse()
        .map_err(|e| format!("bad listen address {listen:?}: {e}"))?;
    if address.ip().is_unspecified() {
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let timeout = Duration::from_secs(2);
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).map_err(|e| e.to_string())?;
    if head.starts_with(b"HTTP/1.1 200") {
        Ok(())
    } else {
        Err(format!("unhealthy: {}", String::from_utf8_lossy(&head)))
    }
}

/// Writes every published opportunity as one package, reading and writing page by page so
/// memory stays flat whatever the catalogue's size.
fn export_oc4ids(
    settings: &DatabaseSettings,
    package: &investdesk::domain::oc4ids::PackageSettings,
) -> Result<(), String> {
    use investdesk::domain::codes::ListingStatus;
    use investdesk::domain::opportunities::{OpportunityFilter, OpportunitySort};
    use std::io::Write;
    let mut conn = connect_existing(settings)?;
    let filter = OpportunityFilter {
        listing_statuses: vec![ListingStatus::Published],
        ..OpportunityFilter::default()
    };
    // The package around an empty project list, split where the projects go; published as of
    // the latest change of what it holds.
    let latest = investdesk::persistence::opportunities::latest_update(&mut conn, &filter)
        .map_err(|e| e.to_string())?;
    let frame = serde_json::to_string_pretty(&investdesk::domain::oc4ids::package(
        Vec::new(),
        "investdesk:export",
        package,
        latest,
    ))
    .map_err(|e| e.to_string())?;
    let (head, tail) = frame
        .split_once("\"projects\": []")
        .ok_or("the package has no projects member")?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let io = |e: std::io::Error| e.to_string();
    let mut written = 0usize;
    let mut after = None;
    loop {
        let page = PageRequest {
            sort: OpportunitySort::Created,
            descending: false,
            after: after.clone(),
            limit: 100,
        };
        let exported = services::exchange::projects_page(&mut conn, &filter, &page, package)
            .map_err(|e| e.to_string())?;
        let opportunities = exported.opportunities;
        for project in exported.projects {
            if written == 0 {
                write!(out, "{head}\"projects\": [\n    ").map_err(io)?;
            } else {
                write!(out, ",\n    ").map_err(io)?;
            }
            let text = serde_json::to_string_pretty(&project).map_err(|e| e.to_string())?;
            write!(out, "{}", text.replace('\n', "\n    ")).map_err(io)?;
            written += 1;
        }
        eprint!("\rexported {written} projects");
        if opportunities.len() <= 100 {
            break;
        }
        after = opportunities
            .get(99)
            .map(|o| investdesk::domain::page::Position {
                key: String::new(),
                id: o.id.to_string(),
            });
    }
    eprintln!();
    if written == 0 {
        return Err("no published opportunity to export".into());
    }
    writeln!(out, "\n  ]{tail}").map_err(io)?;
    out.flush().map_err(io)
}

fn seed(settings: &DatabaseSettings, demo: bool, synthetic: Option<usize>) -> Result<(), String> {
    let db = open(settings)?;
    if let Some(n) = synthetic {
        let started = std::time::Instant::now();
        let mut conn = db.get().map_err(|e| e.to_string())?;
        let report = services::synthetic::generate(&mut conn, n, |done, total| {
            let width = 40;
            let filled = done * width / total.max(1);
            eprint!(
                "\r[{}{}] {done}/{total} opportunities",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
        })
        .map_err(|e| e.to_string())?;
        eprintln!(
            "\nwrote {} opportunities, {} parties, {} interests, {} events in {:.1} s",
            report.opportunities,
            report.parties,
            report.interests,
            report.events,
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    if !demo {
        return Err("say what to seed: --demo or --synthetic N".into());
    }
    let state = services::AppState::new(db, services::webhooks::DeliverySettings::default())
        .map_err(|e| e.to_string())?;
    actix_web::rt::System::new().block_on(async move {
        eprintln!("seeding the demo set …");
        let report = services::seed::demo(&state)
            .await
            .map_err(|e| e.to_string())?;
        if report.already_present {
            eprintln!("the demo set is already there; nothing changed");
        } else {
            eprintln!(
                "created {} parties, {} people, {} initiatives, {} opportunities, {} interests",
                report.parties,
                report.people,
                report.initiatives,
                report.opportunities,
                report.interests
            );
        }
        Ok(())
    })
}

/// PostgreSQL flushes its log once for the commits that wait on it together (group commit): the
/// same single-row commits from eight clients at once, each on its own pooled connection, with
/// ids clear of the single client's.
fn concurrent_commits(db: &investdesk::persistence::Database, window: std::time::Duration) {
    use investdesk::persistence::commit_probe;
    use std::time::Instant;
    const CLIENTS: i64 = 8;
    let started = Instant::now();
    let committed: usize = std::thread::scope(|scope| {
        let clients: Vec<_> = (1..=CLIENTS)
            .map(|client| {
                scope.spawn(move || {
                    let Ok(mut conn) = db.get() else { return 0 };
                    let mut n = 0;
                    while started.elapsed() < window {
                        let id = client * 1_000_000_000_000 + n as i64;
                        if commit_probe::commit_one(&mut conn, id).is_ok() {
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        clients.into_iter().map(|c| c.join().unwrap_or(0)).sum()
    });
    println!(
        "db_durable_commit_{CLIENTS}_clients {:.0}",
        committed as f64 / started.elapsed().as_secs_f64()
    );
}

/// Prints `name rate` lines: operations per second of each query shape, straight on the pool.
fn bench_db(settings: &DatabaseSettings, seconds: u64) -> Result<(), String> {
    use investdesk::domain::codes::{EngagementModel, ListingStatus, SectorCode};
    use investdesk::domain::opportunities::{OpportunityFilter, OpportunitySort};
    use investdesk::persistence::opportunities as store;
    use std::time::{Duration, Instant};
    let db = open(settings)?;
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let window = Duration::from_secs(seconds);
    let page = |after| PageRequest {
        sort: OpportunitySort::Created,
        descending: false,
        after,
        limit: 20,
    };
    let ids: Vec<_> = store::list(
        &mut conn,
        &OpportunityFilter::default(),
        &PageRequest {
            limit: 1000,
            ..page(None)
        },
    )
    .map_err(|e| e.to_string())?
    .into_iter()
    .map(|o| o.id)
    .collect();
    if ids.is_empty() {
        return Err("no opportunities: seed first".into());
    }
    let measure =
        |name: &str,
         conn: &mut investdesk::persistence::DbConnection,
         f: &mut dyn FnMut(&mut investdesk::persistence::DbConnection, usize)| {
            let started = Instant::now();
            let mut n = 0;
            while started.elapsed() < window {
                f(conn, n);
                n += 1;
            }
            println!("{name} {:.0}", n as f64 / started.elapsed().as_secs_f64());
        };
    measure("db_get_by_id", &mut conn, &mut |c, i| {
        let _ = store::get(c, &ids[i % ids.len()]);
    });
    let filter = OpportunityFilter {
        listing_statuses: vec![ListingStatus::Published, ListingStatus::Closed],
        sectors: vec![SectorCode::try_from("transport".to_owned()).map_err(|e| e.to_string())?],
        engagement_models: vec![EngagementModel::G2g],
        ..OpportunityFilter::default()
    };
    // What a list page reads: the stored representations.
    measure("db_filtered_page", &mut conn, &mut |c, _| {
        let _ = store::list_listed(c, &filter, &page(None));
    });
    use investdesk::persistence::commit_probe;
    commit_probe::create(&mut conn).map_err(|e| e.to_string())?;
    measure("db_durable_commit", &mut conn, &mut |c, i| {
        let _ = commit_probe::commit_one(c, i as i64);
    });
    if db.backend() == investdesk::persistence::Backend::Postgres {
        concurrent_commits(&db, window);
    }
    commit_probe::remove(&mut conn).map_err(|e| e.to_string())?;
    Ok(())
}
