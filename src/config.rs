//! Typed configuration from command-line flags and `INVESTDESK_*` environment variables.

use std::time::Duration;

use crate::persistence::{DatabaseUrl, PoolOptions, SqliteSynchronous};

/// Where the data lives and how connections are pooled.
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseSettings {
    /// `sqlite://PATH`, a plain file path, or `postgres://USER@HOST:PORT/DB`.
    #[arg(long, env = "INVESTDESK_DATABASE_URL", default_value = "investdesk.db", value_parser = DatabaseUrl::parse)]
    pub database_url: DatabaseUrl,
    /// Connections in the pool.
    #[arg(long, env = "INVESTDESK_DB_POOL_SIZE", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub db_pool_size: u32,
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
            db_pool_size: 8,
            db_acquire_timeout_ms: 3000,
            sqlite_synchronous: SqliteSynchronous::Full,
        }
    }

    pub fn pool_options(&self) -> PoolOptions {
        PoolOptions {
            max_size: self.db_pool_size,
            acquire_timeout: Duration::from_millis(self.db_acquire_timeout_ms),
            sqlite_synchronous: self.sqlite_synchronous,
        }
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
