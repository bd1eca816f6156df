//! Noticing that PostgreSQL is gone, and that it is back.
//!
//! The monitor keeps one connection of its own and asks PostgreSQL every second which
//! migrations are applied. A failed or late answer marks the database down: requests in
//! progress are answered 503 at once (`http::guard`) and new ones are answered 503 without
//! waiting for the pool, which would otherwise retry a refused connection until its acquire
//! timeout. While down it probes four times a second, so service resumes within a fraction of
//! a second of PostgreSQL's return. The same answers make the readiness check
//! (`GET /health/ready`), so a load balancer polling it costs the database nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

/// Time between probes while PostgreSQL answers.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// Time between probes while it does not.
pub const OUTAGE_PROBE_INTERVAL: Duration = Duration::from_millis(250);
/// A probe that takes longer counts as a failure.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);
/// A readiness answer older than this means the monitor itself has stalled.
const FRESH_FOR: Duration = Duration::from_secs(5);

/// What the last probe found.
#[derive(Debug, Clone)]
pub struct Health {
    /// PostgreSQL answered.
    pub reachable: bool,
    /// Migrations this binary knows that the database has not applied; `None` when that
    /// could not be read.
    pub missing_migrations: Option<Vec<i64>>,
    /// When the probe ran; `None` when no monitor runs.
    pub checked_at: Option<Instant>,
}

/// The readiness checks, each `Ok` or the reason it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub database: Result<(), String>,
    pub migrations: Result<(), String>,
}

impl Readiness {
    /// Every check passed.
    pub fn is_ready(&self) -> bool {
        self.database.is_ok() && self.migrations.is_ok()
    }
}

/// What requests read of the monitor: whether the database is down, and readiness. Cheap to
/// clone (one per request).
#[derive(Debug, Clone)]
pub struct DatabaseStatus {
    health: Arc<watch::Sender<Health>>,
    suspect: Arc<Notify>,
}

impl DatabaseStatus {
    /// A status no monitor updates: always up, never ready (readiness says no monitor runs).
    /// For routers built without `serve`, as the integration tests build them.
    pub fn unmonitored() -> Self {
        let health = watch::Sender::new(Health { reachable: true, missing_migrations: None, checked_at: None });
        DatabaseStatus { health: Arc::new(health), suspect: Arc::new(Notify::new()) }
    }

    /// The database was found unreachable by the last probe.
    pub fn is_down(&self) -> bool {
        !self.health.borrow().reachable
    }

    /// Resolves when the database is (or becomes) unreachable.
    pub async fn wait_down(&self) {
        // The status holds the sender, so the channel stays open while we wait.
        let _ = self.health.subscribe().wait_for(|h| !h.reachable).await;
    }

    /// A request met a connection error: probe now rather than at the next tick.
    pub fn suspect(&self) {
        self.suspect.notify_one();
    }

    /// The readiness checks from the last probe.
    pub fn readiness(&self) -> Readiness {
        let health = self.health.borrow().clone();
        let Some(checked_at) = health.checked_at else {
            let unknown = Err("not monitored".to_owned());
            return Readiness { database: unknown.clone(), migrations: unknown };
        };
        if checked_at.elapsed() > FRESH_FOR {
            let stale = Err("no recent check".to_owned());
            return Readiness { database: stale.clone(), migrations: stale };
        }
        if !health.reachable {
            return Readiness { database: Err("unreachable".to_owned()), migrations: Err("unknown".to_owned()) };
        }
        let migrations = match health.missing_migrations {
            Some(missing) if missing.is_empty() => Ok(()),
            Some(missing) => {
                let versions: Vec<String> = missing.iter().map(i64::to_string).collect();
                Err(format!("not applied: {}", versions.join(", ")))
            }
            None => Err("unreadable".to_owned()),
        };
        Readiness { database: Ok(()), migrations }
    }
}

/// The probing side; [`Monitor::run`] it for as long as the server serves.
pub struct Monitor {
    options: PgConnectOptions,
    health: Arc<watch::Sender<Health>>,
    suspect: Arc<Notify>,
    known_migrations: Vec<i64>,
}

/// A monitor of the database behind `options` (just found up, with its migrations applied)
/// and the status it keeps.
pub fn monitor(options: PgConnectOptions) -> (Monitor, DatabaseStatus) {
    let healthy = Health { reachable: true, missing_migrations: Some(Vec::new()), checked_at: Some(Instant::now()) };
    let health = Arc::new(watch::Sender::new(healthy));
    let suspect = Arc::new(Notify::new());
    let known_migrations = crate::MIGRATOR.iter().map(|m| m.version).collect();
    let monitor = Monitor { options, health: health.clone(), suspect: suspect.clone(), known_migrations };
    (monitor, DatabaseStatus { health, suspect })
}

impl Monitor {
    /// Probes until `stop` is cancelled; logs once when the database goes and once when it
    /// comes back.
    pub async fn run(self, stop: CancellationToken) {
        let mut connection: Option<PgConnection> = None;
        let mut down_since: Option<Instant> = None;
        // Logged once until the migrations can be read again, not once a second.
        let mut unreadable_logged = false;
        loop {
            let interval = if down_since.is_some() { OUTAGE_PROBE_INTERVAL } else { PROBE_INTERVAL };
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(interval) => {}
                _ = self.suspect.notified() => {}
            }
            let probed = match tokio::time::timeout(PROBE_TIMEOUT, probe(&mut connection, &self.options)).await {
                Ok(result) => result,
                Err(_) => Err(Probe::Unreachable("no answer within the probe timeout".to_owned())),
            };
            let health = match probed {
                Ok(applied) => {
                    unreadable_logged = false;
                    let missing = self.known_migrations.iter().copied().filter(|v| !applied.contains(v)).collect();
                    Health { reachable: true, missing_migrations: Some(missing), checked_at: Some(Instant::now()) }
                }
                Err(Probe::Unreadable(reason)) => {
                    if !unreadable_logged {
                        tracing::warn!(%reason, "cannot read the applied migrations; not ready until they can be read");
                        unreadable_logged = true;
                    }
                    Health { reachable: true, missing_migrations: None, checked_at: Some(Instant::now()) }
                }
                Err(Probe::Unreachable(reason)) => {
                    connection = None;
                    if down_since.is_none() {
                        tracing::warn!(%reason, "database unreachable; answering 503 until it is back");
                        down_since = Some(Instant::now());
                    }
                    Health { reachable: false, missing_migrations: None, checked_at: Some(Instant::now()) }
                }
            };
            if health.reachable {
                if let Some(since) = down_since.take() {
                    tracing::info!(outage_seconds = since.elapsed().as_secs_f64(), "database reachable again");
                }
            }
            self.health.send_replace(health);
        }
        if let Some(conn) = connection {
            let _ = conn.close().await;
        }
    }
}

enum Probe {
    /// No answer: the connection failed, broke or timed out.
    Unreachable(String),
    /// PostgreSQL answered, but the migrations table could not be read.
    Unreadable(String),
}

/// The versions of the applied migrations, on the monitor's own connection (made anew after a
/// failure).
async fn probe(connection: &mut Option<PgConnection>, options: &PgConnectOptions) -> Result<Vec<i64>, Probe> {
    let unreachable = |e: sqlx::Error| Probe::Unreachable(e.to_string());
    let conn = match connection {
        Some(conn) => conn,
        None => connection.insert(PgConnection::connect_with(options).await.map_err(unreachable)?),
    };
    sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(conn).await.map_err(|e| {
        if super::is_unreachable(&e) {
            unreachable(e)
        } else {
            Probe::Unreadable(e.to_string())
        }
    })
}
