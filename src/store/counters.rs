//! Folding the offering-user count deltas into the counters (migration 0007).
//!
//! Writes append deltas; counts read counters and deltas together, so folding changes no
//! count: it only keeps the deltas few, so that a count sums a few thousand rows at most.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, Executor, PgConnection};
use tokio_util::sync::CancellationToken;

/// How often a server folds. At the transition rates of the benchmark's S6 (BENCHMARKS.md;
/// two deltas per transition) this leaves a few thousand pending deltas at most.
pub const FOLD_INTERVAL: Duration = Duration::from_millis(500);

/// How long one fold (with its connection and vacuum) may take before its connection is
/// dropped as dead. A fold of a few thousand deltas takes milliseconds.
pub const FOLD_DEADLINE: Duration = Duration::from_secs(10);

/// The statement of [`fold`].
pub const FOLD_SQL: &str = "SELECT offering_user_counts_fold()";
/// The statement of [`vacuum_deltas`].
pub const VACUUM_SQL: &str = "VACUUM offering_user_count_deltas";

/// Folds the pending deltas into the counters in one transaction; returns how many it folded.
pub async fn fold(conn: &mut PgConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar(FOLD_SQL).fetch_one(conn).await
}

/// Removes the dead rows a fold leaves in the deltas table (and the empty pages at its end),
/// which every count would otherwise read through. On a table of a few hundred rows this
/// takes about a millisecond. `VACUUM` cannot be prepared: a bare string has no arguments,
/// so sqlx sends it over the simple protocol.
pub async fn vacuum_deltas(conn: &mut PgConnection) -> sqlx::Result<()> {
    conn.execute(VACUUM_SQL).await?;
    Ok(())
}

/// What this server's folding has done, for the metrics.
#[derive(Debug, Default)]
pub struct FoldProgress {
    /// When the last fold succeeded, in milliseconds since the Unix epoch; 0 before the first.
    last_success_ms: AtomicU64,
    /// How many deltas it folded (those pending when it ran).
    last_folded: AtomicI64,
}

impl FoldProgress {
    fn record(&self, folded: i64) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        self.last_success_ms.store(now, Ordering::Relaxed);
        self.last_folded.store(folded, Ordering::Relaxed);
    }

    /// Seconds since the last successful fold; `None` before the first.
    pub fn age_seconds(&self) -> Option<f64> {
        let last = self.last_success_ms.load(Ordering::Relaxed);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_millis() as u64;
        (last > 0).then(|| now.saturating_sub(last) as f64 / 1000.0)
    }

    /// Deltas folded by the last fold.
    pub fn last_folded(&self) -> i64 {
        self.last_folded.load(Ordering::Relaxed)
    }
}

/// Folds every [`FOLD_INTERVAL`] until `stop` is cancelled, on a connection of its own
/// (outside the request pool: it never takes a request's slot, and a `VACUUM` never meets a
/// connection a request left in a transaction). Safe with several replicas doing the same
/// (concurrent folds take disjoint deltas). A fold that folded something is followed by a
/// vacuum of the deltas. While `database_down` says the database is unreachable (the outage
/// monitor's status, passed in by the server so that the store imports nothing of it) it waits; on
/// an error it drops its connection and makes a new one at the next tick, and it logs once
/// per run of failures, not once per attempt. Counts stay exact meanwhile, only a little slower.
/// A connection attempt gets `connect_timeout`.
pub async fn fold_forever(
    options: PgConnectOptions,
    connect_timeout: Duration,
    database_down: impl Fn() -> bool + Send,
    progress: Arc<FoldProgress>,
    stop: CancellationToken,
) {
    let mut ticks = tokio::time::interval(FOLD_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut connection: Option<PgConnection> = None;
    let mut failing = false;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = ticks.tick() => {}
        }
        if database_down() {
            connection = None;
            continue;
        }
        let attempt = async {
            match connection.as_mut() {
                Some(conn) => fold_and_vacuum(conn).await,
                None => match tokio::time::timeout(connect_timeout, PgConnection::connect_with(&options)).await {
                    Ok(Ok(conn)) => fold_and_vacuum(connection.insert(conn)).await,
                    Ok(Err(e)) => Err(e),
                    Err(_) => Err(sqlx::Error::Io(std::io::ErrorKind::TimedOut.into())),
                },
            }
        };
        // Bounded, and given up at shutdown: a frozen connection never answers.
        let result = tokio::select! {
            _ = stop.cancelled() => break,
            done = tokio::time::timeout(FOLD_DEADLINE, attempt) => done.unwrap_or_else(|_| {
                Err(sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer within the fold deadline")))
            }),
        };
        if let Ok(folded) = result {
            progress.record(folded);
        }
        match result {
            Ok(_) if failing => {
                tracing::info!("folding offering-user count deltas works again");
                failing = false;
            }
            Ok(_) => {}
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "folding offering-user count deltas failed; retrying quietly");
                    failing = true;
                }
                connection = None;
            }
        }
    }
    if let Some(conn) = connection {
        let _ = tokio::time::timeout(Duration::from_secs(1), conn.close()).await;
    }
}

/// Folds, then vacuums the deltas if it folded any; returns how many it folded.
async fn fold_and_vacuum(conn: &mut PgConnection) -> sqlx::Result<i64> {
    let folded = fold(conn).await?;
    if folded > 0 {
        vacuum_deltas(conn).await?;
    }
    Ok(folded)
}
