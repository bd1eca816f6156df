//! Noticing that PostgreSQL is gone, read-only, or back.
//!
//! The monitor keeps one connection of its own and asks PostgreSQL every second whether it
//! takes writes and which migrations are applied. Every probe has a deadline
//! ([`PROBE_TIMEOUT`]), and a failed or late one is followed at once by another on a fresh
//! connection: a frozen connection (a vanished host, a moved virtual IP) fails the first, a
//! database that is really gone fails the second too. [`FAILURES_TO_DOWN`] failures in a row
//! mark the database down, so one probe slowed by a loaded machine does not: requests in
//! progress are then answered 503 at once (`http::guard`) and new ones are answered 503
//! without waiting for the pool. Every failed probe also closes the pool's idle connections,
//! which are as likely frozen as the monitor's own was, so no request is handed one. While
//! down it probes four times a second, so service resumes within a fraction of a second of
//! PostgreSQL's return.
//!
//! A node that refuses writes (a standby, a demoted primary still behind the same name,
//! `default_transaction_read_only`) is up but not ready: reads go on, writes are answered
//! 503, and the pool's idle connections are closed at every probe so that the pool follows the
//! name to the new primary. The same answers make the readiness check (`GET /health/ready`),
//! so a load balancer polling it costs the database nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

/// Time between probes while PostgreSQL answers.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// Time between probes while it does not.
pub const OUTAGE_PROBE_INTERVAL: Duration = Duration::from_millis(250);
/// A probe that takes longer counts as a failure. A probe is two round trips of a few
/// hundred microseconds, plus a connection when the last probe failed; the rest is room for
/// a loaded machine's scheduling delay.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);
/// Failed probes in a row that mark the database down; the second runs at once, on a fresh
/// connection.
pub const FAILURES_TO_DOWN: u32 = 2;
/// A readiness answer older than this means the monitor itself has stalled.
const FRESH_FOR: Duration = Duration::from_secs(5);

/// What the last probe found.
#[derive(Debug, Clone)]
pub struct Health {
    /// PostgreSQL answered.
    pub reachable: bool,
    /// It answered that it takes no writes.
    pub read_only: bool,
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
        let health = watch::Sender::new(Health {
            reachable: true,
            read_only: false,
            missing_migrations: None,
            checked_at: None,
        });
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
        let database = if health.read_only { Err("read-only".to_owned()) } else { Ok(()) };
        let migrations = match health.missing_migrations {
            Some(missing) if missing.is_empty() => Ok(()),
            Some(missing) => {
                let versions: Vec<String> = missing.iter().map(i64::to_string).collect();
                Err(format!("not applied: {}", versions.join(", ")))
            }
            None => Err("unreadable".to_owned()),
        };
        Readiness { database, migrations }
    }
}

/// The probing side; [`Monitor::run`] it for as long as the server serves.
pub struct Monitor {
    options: PgConnectOptions,
    /// The API's pool, whose idle connections are closed when a probe fails.
    pool: PgPool,
    health: Arc<watch::Sender<Health>>,
    suspect: Arc<Notify>,
    known_migrations: Vec<i64>,
}

/// A monitor of the database behind `options` (just found up, with its migrations applied)
/// and the status it keeps; it looks after `pool`'s idle connections too.
pub fn monitor(options: PgConnectOptions, pool: PgPool) -> (Monitor, DatabaseStatus) {
    let healthy = Health {
        reachable: true,
        read_only: false,
        missing_migrations: Some(Vec::new()),
        checked_at: Some(Instant::now()),
    };
    let health = Arc::new(watch::Sender::new(healthy));
    let suspect = Arc::new(Notify::new());
    let known_migrations = crate::MIGRATOR.iter().map(|m| m.version).collect();
    let monitor = Monitor { options, pool, health: health.clone(), suspect: suspect.clone(), known_migrations };
    (monitor, DatabaseStatus { health, suspect })
}

impl Monitor {
    /// Probes until `stop` is cancelled; logs once when the database goes, turns read-only or
    /// comes back.
    pub async fn run(self, stop: CancellationToken) {
        let mut connection: Option<PgConnection> = None;
        let mut down_since: Option<Instant> = None;
        let mut failures = 0u32;
        // Logged once until the migrations can be read again, not once a second.
        let mut unreadable_logged = false;
        loop {
            let interval = match (failures, down_since) {
                (1.., None) => Duration::ZERO,
                (_, Some(_)) => OUTAGE_PROBE_INTERVAL,
                (0, None) => PROBE_INTERVAL,
            };
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(interval) => {}
                _ = self.suspect.notified() => {}
            }
            let probed = tokio::select! {
                _ = stop.cancelled() => break,
                probed = tokio::time::timeout(PROBE_TIMEOUT, probe(&mut connection, &self.options)) => match probed {
                    Ok(result) => result,
                    Err(_) => Err(Probe::Unreachable("no answer within the probe timeout".to_owned())),
                },
            };
            let previous = self.health.borrow().clone();
            let now = Some(Instant::now());
            let health = match probed {
                Ok(found) => {
                    failures = 0;
                    unreadable_logged = false;
                    if found.read_only {
                        if !previous.read_only || !previous.reachable {
                            tracing::warn!("the database takes no writes (read-only); not ready until it does");
                        }
                        drop_idle(&self.pool);
                    } else if previous.read_only {
                        tracing::info!("the database takes writes again");
                    }
                    let missing =
                        self.known_migrations.iter().copied().filter(|v| !found.applied.contains(v)).collect();
                    Health {
                        reachable: true,
                        read_only: found.read_only,
                        missing_migrations: Some(missing),
                        checked_at: now,
                    }
                }
                Err(Probe::Unreadable(reason)) => {
                    failures = 0;
                    if !unreadable_logged {
                        tracing::warn!(%reason, "cannot read the applied migrations; not ready until they can be read");
                        unreadable_logged = true;
                    }
                    Health { reachable: true, missing_migrations: None, checked_at: now, ..previous }
                }
                Err(Probe::NoSlot(reason)) => {
                    // PostgreSQL answered, and is full: load, not an outage; what was known stands.
                    failures = 0;
                    connection = None;
                    tracing::debug!(%reason, "no connection slot for the probe");
                    Health { checked_at: now, ..previous }
                }
                Err(Probe::Unreachable(reason)) => {
                    // A fresh connection for the next probe: this one may be frozen, and so
                    // may the pool's idle ones.
                    connection = None;
                    failures += 1;
                    drop_idle(&self.pool);
                    if failures < FAILURES_TO_DOWN {
                        tracing::debug!(%reason, "a probe failed; probing again on a fresh connection");
                        Health { checked_at: now, ..previous }
                    } else {
                        if down_since.is_none() {
                            tracing::warn!(%reason, "database unreachable; answering 503 until it is back");
                            down_since = Some(Instant::now());
                        }
                        Health { reachable: false, read_only: false, missing_migrations: None, checked_at: now }
                    }
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
            // Bounded: the connection may be frozen, and shutdown must not wait on it.
            let _ = tokio::time::timeout(PROBE_TIMEOUT, conn.close()).await;
        }
    }
}

/// Closes the pool's idle connections, saying so when there were any.
fn drop_idle(pool: &PgPool) {
    let dropped = super::drop_idle_connections(pool);
    if dropped > 0 {
        tracing::debug!(dropped, "closed the pool's idle connections");
    }
}

/// What a probe found.
struct Found {
    /// The node takes no writes.
    read_only: bool,
    /// The versions of the applied migrations.
    applied: Vec<i64>,
}

enum Probe {
    /// No answer: the connection failed, broke or timed out, or the server is shutting down
    /// or starting up.
    Unreachable(String),
    /// PostgreSQL refused the connection for want of slots (53300).
    NoSlot(String),
    /// PostgreSQL answered, but the migrations table could not be read.
    Unreadable(String),
}

/// The probe's statements: whether the node takes writes, and which migrations it has. Named
/// so that the benchmark can tell them from a request's in the statement log.
pub const READ_ONLY_PROBE_SQL: &str = "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'";
pub const MIGRATIONS_PROBE_SQL: &str = "SELECT version FROM _sqlx_migrations WHERE success";

/// Whether the node takes writes, and the applied migrations, on the monitor's own connection
/// (made anew after a failure).
async fn probe(connection: &mut Option<PgConnection>, options: &PgConnectOptions) -> Result<Found, Probe> {
    let failed = |e: sqlx::Error| match super::classify(&e) {
        super::ErrorClass::TooManyConnections => Probe::NoSlot(e.to_string()),
        _ => Probe::Unreachable(e.to_string()),
    };
    let conn = match connection {
        Some(conn) => conn,
        None => connection.insert(PgConnection::connect_with(options).await.map_err(failed)?),
    };
    // `transaction_read_only` follows `default_transaction_read_only` (reloaded without a
    // restart) and is on in a standby as well.
    let read_only = sqlx::query_scalar(READ_ONLY_PROBE_SQL).fetch_one(&mut *conn).await.map_err(failed)?;
    let applied = sqlx::query_scalar(MIGRATIONS_PROBE_SQL).fetch_all(&mut *conn).await.map_err(|e| {
        if super::is_unreachable(&e) {
            Probe::Unreachable(e.to_string())
        } else {
            Probe::Unreadable(e.to_string())
        }
    })?;
    Ok(Found { read_only, applied })
}
