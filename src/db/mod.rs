//! The connection pool, migrations, the choice between `DATABASE_URL` and the embedded
//! cluster, and (in [`monitor`]) how the server notices that PostgreSQL is gone or back.

pub mod monitor;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

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
    #[error("invalid DATABASE_URL: {0}")]
    BadUrl(sqlx::Error),
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
            let options = PgConnectOptions::from_str(url).map_err(DatabaseError::BadUrl)?;
            return Ok(Database { options, cluster: None });
        }
        match EmbeddedCluster::start(&args.data_dir) {
            Ok(cluster) => Ok(Database { options: cluster.connect_options(), cluster: Some(cluster) }),
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

/// How long a request waits for a pooled connection before it is answered 503. An outage is
/// noticed sooner by [`monitor`]; this bounds the wait when the pool is merely busy.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// A pool with every knob explicit; the connections take `options` as given.
pub async fn connect(options: PgConnectOptions, max_connections: u32) -> Result<PgPool, DatabaseError> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .idle_timeout(Duration::from_secs(300))
        .connect_with(options)
        .await
        .map_err(DatabaseError::Connect)
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

/// Whether an error means PostgreSQL cannot be reached, rather than that a statement failed:
/// the connection broke or was refused, the pool could not get one in time, or the server is
/// shutting down, starting up, or out of connection slots.
pub fn is_unreachable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            // Class 08: connection exception; 57P01-03: admin/crash shutdown, cannot connect
            // now; 53300: too many connections.
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

/// Whether an error is PostgreSQL cancelling a statement that ran past `statement_timeout`
/// (57014) or a session left idle in a transaction (25P03): the request took too long.
pub fn is_timeout(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().is_some_and(|code| matches!(&*code, "57014" | "25P03")))
}

/// Whether PostgreSQL rolled a transaction back to break a deadlock (40P01) or for a
/// serialization failure (40001): nothing of it was written, and running it again from the
/// start may well succeed.
pub fn is_conflict(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().is_some_and(|code| matches!(&*code, "40P01" | "40001")))
}
