//! Getting the database ready before serving: start the embedded cluster (if it is the
//! database), wait for PostgreSQL (bounded by `--database-wait`), then apply the migrations,
//! or, under `serve --no-migrate`, wait until another process (`migrate`, a newer replica)
//! has applied them. The listeners answer meanwhile: `/health/live` 200, `/health/ready` 503
//! saying which step is under way ([`StartupStatus::readiness`]), the API 503.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::PgConnection;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::db::monitor::Readiness;
use crate::db::wait::{self, Unreachable};
use crate::db::{migrate, Database, DatabaseError};

/// How often `--no-migrate` looks again at the applied migrations.
const SCHEMA_POLL: Duration = Duration::from_secs(1);

/// The step a starting server is at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// The embedded cluster is being created or started.
    StartingDatabase,
    /// PostgreSQL has not answered yet; the last attempt's error.
    WaitingForDatabase(String),
    /// Migrations are being applied; what the runner last said.
    Migrating(String),
    /// `--no-migrate`: these migrations this release knows are not applied yet.
    WaitingForMigrations(Vec<i64>),
    /// The schema is current; the server opens its pool (and imports the demo).
    Finishing,
    /// Done: the server serves.
    Ready,
}

/// The step, shared between the start-up and the readiness check that reports it.
#[derive(Debug, Clone)]
pub struct StartupStatus(Arc<watch::Sender<Phase>>);

impl Default for StartupStatus {
    fn default() -> Self {
        StartupStatus(Arc::new(watch::Sender::new(Phase::StartingDatabase)))
    }
}

impl StartupStatus {
    /// Moves on to `phase`.
    pub fn set(&self, phase: Phase) {
        self.0.send_replace(phase);
    }

    /// The step now.
    pub fn phase(&self) -> Phase {
        self.0.borrow().clone()
    }

    /// The readiness checks as the start-up stands.
    pub fn readiness(&self) -> Readiness {
        let pending = || Err("pending: the database is not reachable yet".to_owned());
        match self.phase() {
            Phase::StartingDatabase => {
                Readiness { database: Err("starting the embedded cluster".to_owned()), migrations: pending() }
            }
            Phase::WaitingForDatabase(error) => {
                Readiness { database: Err(format!("waiting for PostgreSQL: {error}")), migrations: pending() }
            }
            Phase::Migrating(step) => Readiness { database: Ok(()), migrations: Err(format!("migrating: {step}")) },
            Phase::WaitingForMigrations(missing) => {
                let versions: Vec<String> = missing.iter().map(i64::to_string).collect();
                let reason =
                    format!("not applied: {} (serve --no-migrate: waiting for `migrate`)", versions.join(", "));
                Readiness { database: Ok(()), migrations: Err(reason) }
            }
            Phase::Finishing => {
                Readiness { database: Err("opening the connection pool".to_owned()), migrations: Ok(()) }
            }
            Phase::Ready => Readiness { database: Ok(()), migrations: Ok(()) },
        }
    }
}

/// How to get the database ready.
#[derive(Debug, Clone)]
pub struct Plan {
    pub schema: Schema,
    /// `--database-wait`: how long PostgreSQL has to answer.
    pub database_wait: Duration,
    /// The command goes on to use `DATABASE_URL` (all but `migrate`): when the migrations
    /// went elsewhere, it is waited for too.
    pub uses_database_url: bool,
}

/// What to do about the schema.
#[derive(Debug, Clone)]
pub enum Schema {
    /// Apply the pending migrations through `options`; `separate`: they are
    /// `DATABASE_MIGRATION_URL`'s, not `DATABASE_URL`'s.
    Migrate { options: Box<PgConnectOptions>, separate: bool },
    /// `serve --no-migrate`: wait until they are applied.
    WaitForMigrations,
}

/// Why the database could not be made ready; each has its own exit code.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Embedded(DatabaseError),
    #[error("{0}")]
    Unreachable(#[from] Unreachable),
    #[error("{0}")]
    Migration(DatabaseError),
}

/// Runs the steps of [`Plan`] on `database`, reporting each to `status` (which stays at the
/// last step: readiness turns to 200 only once the server has switched to its API).
pub async fn prepare(database: &Database, plan: &Plan, status: &StartupStatus) -> Result<(), StartError> {
    status.set(Phase::StartingDatabase);
    database.start().await.map_err(StartError::Embedded)?;
    // One bound for the whole wait, whichever URLs it waits for.
    let deadline = Instant::now() + plan.database_wait;
    let reachable = |options| reachable(options, database, deadline, status);
    match &plan.schema {
        Schema::Migrate { options, separate } => {
            let conn = reachable(options).await?;
            status.set(Phase::Migrating("starting".to_owned()));
            let report = |step: &str| status.set(Phase::Migrating(step.to_owned()));
            migrate::run_on(&crate::MIGRATOR, conn, report).await.map_err(StartError::Migration)?;
            // DATABASE_URL is then another way in (a pooler): it must answer too.
            if *separate && plan.uses_database_url {
                drop(reachable(&database.options).await?);
            }
        }
        Schema::WaitForMigrations => {
            let conn = reachable(&database.options).await?;
            wait_for_migrations(conn, database, status).await;
        }
    }
    // Not `Phase::Ready` yet: that is for the server to say once it serves.
    status.set(Phase::Finishing);
    Ok(())
}

/// A connection to `options`, retried until `deadline`.
async fn reachable(
    options: &PgConnectOptions,
    database: &Database,
    deadline: Instant,
    status: &StartupStatus,
) -> Result<PgConnection, Unreachable> {
    let wait = deadline.saturating_duration_since(Instant::now());
    wait::until_reachable(options, database.connect_timeout, wait, |_, error| {
        status.set(Phase::WaitingForDatabase(error.to_owned()))
    })
    .await
}

/// Waits until every migration this release knows is applied (a schema migrated further
/// counts: rolling upgrades), reconnecting whenever the connection fails. No bound: the
/// readiness check says what is missing, and the process is alive meanwhile.
async fn wait_for_migrations(conn: PgConnection, database: &Database, status: &StartupStatus) {
    let mut connection = Some(conn);
    let mut logged = false;
    loop {
        let conn = match connection.as_mut() {
            Some(conn) => conn,
            None => match wait::connect(&database.options, database.connect_timeout).await {
                Ok(conn) => connection.insert(conn),
                Err(error) => {
                    status.set(Phase::WaitingForDatabase(error));
                    tokio::time::sleep(SCHEMA_POLL).await;
                    continue;
                }
            },
        };
        match missing_migrations(conn).await {
            Ok(missing) if missing.is_empty() => return,
            Ok(missing) => {
                if !logged {
                    tracing::info!(?missing, "--no-migrate: waiting for the migrations to be applied");
                    logged = true;
                }
                status.set(Phase::WaitingForMigrations(missing));
            }
            Err(e) => {
                status.set(Phase::WaitingForDatabase(e.to_string()));
                connection = None;
            }
        }
        tokio::time::sleep(SCHEMA_POLL).await;
    }
}

/// The migrations this release knows that the database has not applied (all of them before
/// the migrations table exists).
async fn missing_migrations(conn: &mut PgConnection) -> sqlx::Result<Vec<i64>> {
    let known: Vec<i64> = crate::MIGRATOR.iter().map(|m| m.version).collect();
    let exists: bool =
        sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL").fetch_one(&mut *conn).await?;
    if !exists {
        return Ok(known);
    }
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(&mut *conn).await?;
    Ok(known.into_iter().filter(|v| !applied.contains(v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_server_that_serves_is_ready_and_each_step_says_why_not() {
        let status = StartupStatus::default();
        let steps = [
            Phase::StartingDatabase,
            Phase::WaitingForDatabase("connection refused".into()),
            Phase::Migrating("running".into()),
            Phase::WaitingForMigrations(vec![7, 8]),
            Phase::Finishing,
        ];
        for step in steps {
            status.set(step.clone());
            let readiness = status.readiness();
            assert!(!readiness.is_ready(), "{step:?}");
            let why =
                [readiness.database, readiness.migrations].into_iter().filter_map(Result::err).collect::<Vec<_>>();
            assert!(!why.is_empty(), "{step:?}");
        }
        status.set(Phase::WaitingForMigrations(vec![7, 8]));
        assert_eq!(
            status.readiness().migrations,
            Err("not applied: 7, 8 (serve --no-migrate: waiting for `migrate`)".to_owned())
        );
        status.set(Phase::Ready);
        assert!(status.readiness().is_ready());
    }
}
