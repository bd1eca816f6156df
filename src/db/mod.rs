//! The connection pool, migrations, the choice between `DATABASE_URL` and the embedded
//! cluster, (in [`monitor`]) how the server notices that PostgreSQL is gone or back, and (in
//! [`tls`]) the TLS settings of a connection URL.

mod checks;
pub mod errors;
pub mod monitor;
pub mod pool;
pub mod tls;
mod unsupported;

pub use errors::{classify, is_timeout, is_unreachable, ErrorClass};
pub use pool::{connect, drop_idle_connections, pool_options, why_no_connection, ACQUIRE_TIMEOUT};
pub use unsupported::refuse_unsupported;

use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use crate::config::DatabaseArgs;
use crate::embedded::{EmbeddedCluster, EmbeddedError, NO_DATABASE_HELP};

/// Where the database is, once resolved.
#[derive(Debug)]
pub struct Database {
    pub options: PgConnectOptions,
    /// Set when we run the embedded cluster; stop it on shutdown.
    pub cluster: Option<EmbeddedCluster>,
}

/// Why no database could be reached.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("{NO_DATABASE_HELP}")]
    NoDatabase,
    #[error("{0}")]
    BadUrl(tls::UrlError),
    #[error("DATABASE_URL: {0}")]
    Unsupported(String),
    #[error("embedded PostgreSQL: {0}")]
    Embedded(String),
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(sqlx::Error),
    #[error("migrations failed: {0}")]
    Migrate(sqlx::migrate::MigrateError),
}

impl Database {
    /// `DATABASE_URL` if given, else the embedded cluster in the data directory.
    pub fn resolve(args: &DatabaseArgs) -> Result<Self, DatabaseError> {
        if let Some(url) = args.database_url.as_deref().filter(|u| !u.is_empty()) {
            refuse_unsupported(url).map_err(DatabaseError::Unsupported)?;
            let options = tls::options_from_url("DATABASE_URL", url).map_err(DatabaseError::BadUrl)?;
            return Ok(Database { options, cluster: None });
        }
        match EmbeddedCluster::start(&args.data_dir) {
            Ok(cluster) => {
                Ok(Database { options: tls::without_tls(cluster.connect_options()), cluster: Some(cluster) })
            }
            Err(EmbeddedError::NoBinaries) => Err(DatabaseError::NoDatabase),
            Err(EmbeddedError::Failed(message)) => Err(DatabaseError::Embedded(message)),
        }
    }

    /// Stops the embedded cluster, if we started one.
    pub fn shutdown(&self) {
        if let Some(cluster) = &self.cluster {
            cluster.stop();
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
/// and an OLTP request never gains from starting parallel workers.
pub fn tune_for_api(options: PgConnectOptions) -> PgConnectOptions {
    options.options([("plan_cache_mode", "force_generic_plan"), ("max_parallel_workers_per_gather", "0")])
}

/// [`tune_for_api`] plus the session's time limits.
pub fn limit_sessions(options: PgConnectOptions, limits: SessionLimits) -> PgConnectOptions {
    let millis = |d: Duration| d.as_millis().max(1).to_string();
    tune_for_api(options).options([
        ("statement_timeout", millis(limits.statement_timeout)),
        ("idle_in_transaction_session_timeout", millis(limits.idle_in_transaction_timeout)),
    ])
}

/// Applies pending migrations on a connection of its own (no statement timeout: a migration
/// of a large table may take long). A database already migrated further, by a newer release
/// of the server, is accepted: migrations are additive, so this release still works on it
/// (rolling upgrades).
pub async fn migrate(options: &PgConnectOptions) -> Result<(), DatabaseError> {
    let mut conn = PgConnection::connect_with(options).await.map_err(DatabaseError::Connect)?;
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    let result = migrator.run(&mut conn).await.map_err(DatabaseError::Migrate);
    let _ = conn.close().await;
    result
}
