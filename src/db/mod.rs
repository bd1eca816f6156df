//! The connection pool, migrations, the choice between `DATABASE_URL` and the embedded
//! cluster, (in [`monitor`]) how the server notices that PostgreSQL is gone or back, and (in
//! [`tls`]) the TLS settings of a connection URL.

mod checks;
pub mod errors;
pub mod migrate;
pub mod migration_rules;
pub mod monitor;
pub mod pool;
pub mod tls;
mod unsupported;
pub mod url;
pub mod wait;

pub use errors::{classify, is_conflict, is_timeout, is_unreachable, ErrorClass};
pub use pool::{connect, drop_idle_connections, pool_options, why_no_connection, ACQUIRE_TIMEOUT};
pub use unsupported::refuse_unsupported;

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;

use crate::config::DatabaseArgs;
use crate::embedded::{EmbeddedCluster, EmbeddedError, NO_DATABASE_HELP};

/// Where the database is, once resolved.
#[derive(Debug)]
pub struct Database {
    pub options: PgConnectOptions,
    /// Set when we run the embedded cluster: [`Database::start`] starts it, stop it on shutdown.
    pub cluster: Option<Arc<EmbeddedCluster>>,
    /// Bound on each connection attempt (`connect_timeout` of `DATABASE_URL`).
    pub connect_timeout: Duration,
}

/// Why no database could be reached.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("{NO_DATABASE_HELP}")]
    NoDatabase,
    #[error("DATABASE_URL: {0}")]
    Unsupported(String),
    #[error("{0}")]
    Url(#[from] url::UrlError),
    #[error("embedded PostgreSQL: {0}")]
    Embedded(String),
    #[error("embedded PostgreSQL: {0}")]
    Locked(String),
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(sqlx::Error),
    #[error("cannot connect to PostgreSQL: {0}")]
    Unreachable(String),
    #[error("migrations failed: {0}")]
    Migrate(sqlx::migrate::MigrateError),
}

impl Database {
    /// `DATABASE_URL` if given (checked: `db::url`), else the embedded cluster in the data
    /// directory, locked for this process but not started yet.
    pub fn resolve(args: &DatabaseArgs) -> Result<Self, DatabaseError> {
        if let Some(given) = args.database_url.as_deref().filter(|u| !u.is_empty()) {
            refuse_unsupported(given).map_err(DatabaseError::Unsupported)?;
            let checked = url::parse("DATABASE_URL", given)?;
            return Ok(Database { options: checked.options, cluster: None, connect_timeout: checked.connect_timeout });
        }
        match EmbeddedCluster::open(&args.data_dir) {
            Ok(cluster) => Ok(Database {
                options: tls::without_tls(url::with_application_name(cluster.connect_options())),
                cluster: Some(Arc::new(cluster)),
                connect_timeout: url::DEFAULT_CONNECT_TIMEOUT,
            }),
            Err(EmbeddedError::NoBinaries) => Err(DatabaseError::NoDatabase),
            Err(e @ EmbeddedError::Locked(_)) => Err(DatabaseError::Locked(e.to_string())),
            Err(EmbeddedError::Failed(message)) => Err(DatabaseError::Embedded(message)),
        }
    }

    /// Starts the embedded cluster, if there is one (on a thread of its own: `initdb` takes
    /// seconds, and the listeners answer meanwhile).
    pub async fn start(&self) -> Result<(), DatabaseError> {
        let Some(cluster) = self.cluster.clone() else { return Ok(()) };
        match tokio::task::spawn_blocking(move || cluster.start()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(DatabaseError::Embedded(e.to_string())),
            Err(e) => Err(DatabaseError::Embedded(e.to_string())),
        }
    }

    /// Stops the embedded cluster, if we started one, within `limit`.
    pub fn shutdown(&self, limit: Duration) {
        if let Some(cluster) = &self.cluster {
            cluster.stop_within(limit);
        }
    }
}

/// Bounds on what one of the API's sessions may hold: a statement that runs longer, or a
/// transaction left idle longer, is ended by PostgreSQL itself (57014, 25P03), whatever
/// became of the request that started it.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub statement_timeout: Duration,
    pub idle_in_transaction_timeout: Duration,
}

/// Session settings of every pooled connection of the API. The API's statements are prepared
/// once per connection and run thousands of times: a generic plan, made once, beats re-planning
/// joins on every execution (re-planning cost several milliseconds, more than the execution),
/// and an OLTP request never gains from starting parallel workers. The benchmark's pgbench
/// replay runs with them too, to plan the statements as the server does.
pub const API_SESSION_SETTINGS: [(&str, &str); 2] =
    [("plan_cache_mode", "force_generic_plan"), ("max_parallel_workers_per_gather", "0")];

/// [`API_SESSION_SETTINGS`] on `options`.
pub fn tune_for_api(options: PgConnectOptions) -> PgConnectOptions {
    options.options(API_SESSION_SETTINGS)
}

/// [`tune_for_api`] plus the session's time limits.
pub fn limit_sessions(options: PgConnectOptions, limits: SessionLimits) -> PgConnectOptions {
    let millis = |d: Duration| d.as_millis().max(1).to_string();
    tune_for_api(options).options([
        ("statement_timeout", millis(limits.statement_timeout)),
        ("idle_in_transaction_session_timeout", millis(limits.idle_in_transaction_timeout)),
    ])
}

/// Applies pending migrations (see [`migrate`]) on a connection of its own (no statement
/// timeout: a migration of a large table may take long); `migrate::run` says what it is doing
/// as it goes. A database already migrated further, by a newer release of the server, is
/// accepted: migrations are additive, so this release still works on it (rolling upgrades).
pub async fn migrate(options: &PgConnectOptions) -> Result<(), DatabaseError> {
    migrate::run(&crate::MIGRATOR, options, url::DEFAULT_CONNECT_TIMEOUT, |_| {}).await
}
