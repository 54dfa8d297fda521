//! Typed configuration from command-line flags and `INVESTDESK_*` environment variables.

use std::time::Duration;

use crate::persistence::{Backend, DatabaseUrl, PoolOptions, SqliteSynchronous};

/// Where the data lives and how connections are pooled.
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseSettings {
    /// `sqlite://PATH`, a plain file path, or `postgres://USER@HOST:PORT/DB`.
    #[arg(long, env = "INVESTDESK_DATABASE_URL", default_value = "investdesk.db", value_parser = DatabaseUrl::parse)]
    pub database_url: DatabaseUrl,
    /// Connections in the pool [default: 2 per core for SQLite, at least 4; 4 per core for
    /// PostgreSQL, at least 8].
    #[arg(long, env = "INVESTDESK_DB_POOL_SIZE", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub db_pool_size: Option<u32>,
    /// Milliseconds a request waits for a connection before it is answered 503.
    #[arg(long, env = "INVESTDESK_DB_ACQUIRE_TIMEOUT_MS", default_value_t = 3000, value_parser = clap::value_parser!(u64).range(50..=60_000))]
    pub db_acquire_timeout_ms: u64,
    /// SQLite durability: `full` (an acknowledged write survives power loss) or `normal`.
    #[arg(
        long,
        env = "INVESTDESK_SQLITE_SYNCHRONOUS",
        value_enum,
        default_value = "full"
    )]
    pub sqlite_synchronous: SqliteSynchronous,
}

impl DatabaseSettings {
    /// Settings for `url` with every other value at its default.
    pub fn for_url(url: DatabaseUrl) -> Self {
        DatabaseSettings {
            database_url: url,
            db_pool_size: None,
            db_acquire_timeout_ms: 3000,
            sqlite_synchronous: SqliteSynchronous::Full,
        }
    }

    /// Connections in the pool: as configured, or sized to the machine. A SQLite connection
    /// reads in the process, on a core of its own: beyond two per core they only queue, and each
    /// holds its own page cache (up to 2 MiB). A PostgreSQL connection mostly waits on a round
    /// trip, so more of them keep the cores busy.
    pub fn pool_size(&self) -> u32 {
        self.db_pool_size.unwrap_or_else(|| {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
            match self.database_url.backend() {
                Backend::Sqlite => (2 * cores).clamp(4, 32),
                Backend::Postgres => (4 * cores).clamp(8, 64),
            }
        })
    }

    pub fn pool_options(&self) -> PoolOptions {
        PoolOptions {
            max_size: self.pool_size(),
            acquire_timeout: Duration::from_millis(self.db_acquire_timeout_ms),
            sqlite_synchronous: self.sqlite_synchronous,
        }
    }
}

/// How much one client may ask of the server, and how long it may take to ask.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct LimitSettings {
    /// Requests per second one client address may make on average (0: no limit).
    #[arg(long, env = "INVESTDESK_RATE_LIMIT_PER_ADDRESS", default_value_t = 100)]
    pub rate_limit_per_address: u32,
    /// Requests one client address may make at once, above its average.
    #[arg(
        long,
        env = "INVESTDESK_RATE_LIMIT_ADDRESS_BURST",
        default_value_t = 200
    )]
    pub rate_limit_address_burst: u32,
    /// Requests per second one API key may make on average (0: no limit).
    #[arg(long, env = "INVESTDESK_RATE_LIMIT_PER_KEY", default_value_t = 50)]
    pub rate_limit_per_key: u32,
    /// Requests one API key may make at once, above its average.
    #[arg(long, env = "INVESTDESK_RATE_LIMIT_KEY_BURST", default_value_t = 100)]
    pub rate_limit_key_burst: u32,
    /// Failed authentications per minute one client address may make (0: no limit); once
    /// spent, requests with credentials from that address get 429 until it refills.
    #[arg(
        long,
        env = "INVESTDESK_AUTH_FAILURES_PER_MINUTE",
        default_value_t = 10
    )]
    pub auth_failures_per_minute: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client, comma-separated addresses.
    #[arg(long, env = "INVESTDESK_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Milliseconds a client has to send a request's headers (then 408 and close).
    #[arg(long, env = "INVESTDESK_CLIENT_REQUEST_TIMEOUT_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(100..=300_000))]
    pub client_request_timeout_ms: u64,
    /// Milliseconds a client has to send a request's body (then 408).
    #[arg(long, env = "INVESTDESK_CLIENT_BODY_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub client_body_timeout_ms: u64,
    /// The largest OC4IDS package `POST /v1/imports/oc4ids` takes, in bytes (other bodies: 64 KiB).
    #[arg(long, env = "INVESTDESK_IMPORT_LIMIT_BYTES", default_value_t = 4 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(65_536..=268_435_456))]
    pub import_limit_bytes: u64,
    /// Seconds an idle keep-alive connection stays open (0: close after each response).
    #[arg(long, env = "INVESTDESK_KEEP_ALIVE_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub keep_alive_secs: u64,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            rate_limit_per_address: 100,
            rate_limit_address_burst: 200,
            rate_limit_per_key: 50,
            rate_limit_key_burst: 100,
            auth_failures_per_minute: 10,
            trusted_proxies: Vec::new(),
            client_request_timeout_ms: 5000,
            client_body_timeout_ms: 10_000,
            import_limit_bytes: 4 * 1024 * 1024,
            keep_alive_secs: 5,
        }
    }
}

impl LimitSettings {
    /// No rate limits (timeouts unchanged): load tests, and test suites that are not about limits.
    pub fn unlimited(mut self) -> Self {
        self.rate_limit_per_address = 0;
        self.rate_limit_per_key = 0;
        self.auth_failures_per_minute = 0;
        self
    }

    pub fn rate_limits(&self) -> crate::services::rate_limit::RateLimits {
        use crate::services::rate_limit::{Quota, RateLimits};
        RateLimits::new(
            Quota::per_second(self.rate_limit_per_address, self.rate_limit_address_burst),
            Quota::per_second(self.rate_limit_per_key, self.rate_limit_key_burst),
            Quota::per_minute(self.auth_failures_per_minute, self.auth_failures_per_minute),
            self.trusted_proxies.clone(),
        )
    }
}

/// Everything `investdesk serve` needs.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeSettings {
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// Address and port to listen on.
    #[arg(long, env = "INVESTDESK_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Browser origins allowed by CORS, comma-separated (e.g. `https://catalogue.example.org`).
    #[arg(long, env = "INVESTDESK_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "INVESTDESK_WORKERS")]
    pub workers: Option<usize>,
    /// Allow webhook targets on plain http and private or loopback addresses (tests, private
    /// deployments only).
    #[arg(long, env = "INVESTDESK_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,
    /// Milliseconds between looks for due webhook deliveries.
    #[arg(long, env = "INVESTDESK_WEBHOOK_POLL_MS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub webhook_poll_ms: u64,
    /// Milliseconds before the first webhook retry; each further retry doubles it.
    #[arg(long, env = "INVESTDESK_WEBHOOK_RETRY_BASE_MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub webhook_retry_base_ms: u64,
    /// Serve `/metrics` on this address only (e.g. `127.0.0.1:9090`), not on the API's listener.
    #[arg(long, env = "INVESTDESK_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// Require `Authorization: Bearer <token>` on `/metrics`.
    #[arg(long, env = "INVESTDESK_METRICS_TOKEN", value_parser = MetricsToken::parse)]
    pub metrics_token: Option<MetricsToken>,
    /// Whom integrators write to, shown as `info.contact.email` in the served OpenAPI document.
    #[arg(long, env = "INVESTDESK_CONTACT_EMAIL")]
    pub contact_email: Option<String>,
    /// Integrators' help page, shown as `info.contact.url` in the served OpenAPI document.
    #[arg(long, env = "INVESTDESK_CONTACT_URL")]
    pub contact_url: Option<String>,
    #[command(flatten)]
    pub limits: LimitSettings,
    #[command(flatten)]
    pub oc4ids: Oc4idsSettings,
}

/// Who publishes the OC4IDS packages, and the prefix of the project ids they mint.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Oc4idsSettings {
    /// The OC4IDS project-id prefix registered for this agency (`oc4ids-` and six characters);
    /// project ids become `<prefix>-<opportunity id>`.
    #[arg(long, env = "INVESTDESK_OC4IDS_PREFIX", value_parser = crate::domain::oc4ids::check_prefix)]
    pub oc4ids_prefix: Option<String>,
    /// The packages' publisher name.
    #[arg(
        long,
        env = "INVESTDESK_OC4IDS_PUBLISHER_NAME",
        default_value = "InvestDesk"
    )]
    pub oc4ids_publisher_name: String,
    /// The scheme of the publisher's identifier (e.g. `GB-COH`).
    #[arg(long, env = "INVESTDESK_OC4IDS_PUBLISHER_SCHEME")]
    pub oc4ids_publisher_scheme: Option<String>,
    /// The publisher's identifier in that scheme.
    #[arg(long, env = "INVESTDESK_OC4IDS_PUBLISHER_UID")]
    pub oc4ids_publisher_uid: Option<String>,
}

impl Oc4idsSettings {
    pub fn package(&self) -> crate::domain::oc4ids::PackageSettings {
        crate::domain::oc4ids::PackageSettings {
            prefix: self.oc4ids_prefix.clone(),
            publisher: crate::domain::oc4ids::Publisher {
                name: self.oc4ids_publisher_name.clone(),
                scheme: self.oc4ids_publisher_scheme.clone(),
                uid: self.oc4ids_publisher_uid.clone(),
            },
        }
    }
}

/// The bearer token `/metrics` asks for; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// At least 16 visible characters: a token anyone could guess protects nothing.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() >= 16 && text.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(MetricsToken(text.to_owned()))
        } else {
            Err("the metrics token must be at least 16 visible ASCII characters".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(***)")
    }
}

impl ServeSettings {
    /// How webhook deliveries behave.
    pub fn delivery(&self) -> crate::services::webhooks::DeliverySettings {
        crate::services::webhooks::DeliverySettings {
            allow_private: self.webhook_allow_private,
            poll: Duration::from_millis(self.webhook_poll_ms),
            retry_base: Duration::from_millis(self.webhook_retry_base_ms),
        }
    }

    /// Settings for serving `url` on `listen`, every other value at its default.
    pub fn new(url: DatabaseUrl, listen: impl Into<String>) -> Self {
        ServeSettings {
            database: DatabaseSettings::for_url(url),
            listen: listen.into(),
            cors_origins: Vec::new(),
            workers: None,
            webhook_allow_private: false,
            webhook_poll_ms: 500,
            webhook_retry_base_ms: 2000,
            metrics_listen: None,
            metrics_token: None,
            contact_email: None,
            contact_url: None,
            limits: LimitSettings::default(),
            oc4ids: Oc4idsSettings {
                oc4ids_publisher_name: "InvestDesk".to_owned(),
                ..Oc4idsSettings::default()
            },
        }
    }
}

impl ServeSettings {
    /// Settings from the environment alone (what `investdesk` with no command uses).
    pub fn parse_from_env() -> Self {
        #[derive(clap::Parser)]
        struct Only {
            #[command(flatten)]
            settings: ServeSettings,
        }
        <Only as clap::Parser>::parse_from(["investdesk"]).settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `LimitSettings::default()` (what tests and `ServeSettings::new` use) is what the command
    /// line gives when nothing is set.
    #[test]
    fn limit_defaults_match_the_command_line_defaults() {
        #[derive(clap::Parser)]
        struct Only {
            #[command(flatten)]
            limits: LimitSettings,
        }
        let parsed = <Only as clap::Parser>::try_parse_from(["investdesk"]).unwrap();
        if std::env::vars().any(|(name, _)| name.starts_with("INVESTDESK_")) {
            return; // an operator's environment would change the parsed values
        }
        assert_eq!(parsed.limits, LimitSettings::default());
    }

    #[test]
    fn the_pool_is_sized_to_the_machine_and_the_backend_unless_configured() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        let sqlite = DatabaseSettings::for_url(DatabaseUrl::parse("x.db").unwrap());
        let postgres = DatabaseSettings::for_url(
            DatabaseUrl::parse("postgres://postgres@127.0.0.1:5432/x").unwrap(),
        );
        assert_eq!(sqlite.pool_size(), (2 * cores).clamp(4, 32));
        assert_eq!(postgres.pool_size(), (4 * cores).clamp(8, 64));
        assert!(sqlite.pool_size() >= 4 && postgres.pool_size() >= 8);
        let configured = DatabaseSettings {
            db_pool_size: Some(3),
            ..sqlite
        };
        assert_eq!(configured.pool_options().max_size, 3);
    }
}
