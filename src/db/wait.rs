//! Waiting for PostgreSQL at start-up: an orchestrator starts the server and its database
//! together, and the database is often the slower. Each attempt is bounded by the URL's
//! `connect_timeout` (a listener that accepts and never answers costs one timeout, not a
//! hang); attempts back off from 100 ms to 5 s; the whole wait is bounded by
//! `--database-wait`, after which the command exits with its own code (README, "Exit codes").

use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use tokio::time::Instant;

/// First pause between attempts; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// While waiting, a line at most this often says why.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// PostgreSQL did not answer within the wait, or answered with a refusal that waiting will
/// not change.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.describe())]
pub struct Unreachable {
    pub waited: Duration,
    pub last_error: String,
    /// PostgreSQL answered and refused: authentication or authorization (SQLSTATE class 28:
    /// no `pg_hba.conf` entry, a wrong password, TLS required) or no such database (3D000). A
    /// setting is wrong, so the wait ends at once.
    pub refused: bool,
}

impl Unreachable {
    fn describe(&self) -> String {
        if self.refused {
            format!("PostgreSQL refused the connection: {}", self.last_error)
        } else {
            format!(
                "PostgreSQL did not answer in {:.1} s (--database-wait): {}",
                self.waited.as_secs_f64(),
                self.last_error
            )
        }
    }
}

/// Whether PostgreSQL answered `error` with a refusal that no wait changes (see
/// [`Unreachable::refused`]).
fn is_refusal(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().is_some_and(|code| code.starts_with("28") || code == "3D000"))
}

/// Why an attempt failed, and whether it was a refusal.
struct Failed {
    reason: String,
    refused: bool,
}

/// One connection, given `timeout` to be made.
pub async fn connect(options: &PgConnectOptions, timeout: Duration) -> Result<PgConnection, String> {
    try_connect(options, timeout).await.map_err(|failed| failed.reason)
}

async fn try_connect(options: &PgConnectOptions, timeout: Duration) -> Result<PgConnection, Failed> {
    match tokio::time::timeout(timeout, PgConnection::connect_with(options)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(Failed { refused: is_refusal(&e), reason: e.to_string() }),
        Err(_) => Err(Failed {
            reason: format!("no answer within {} (connect_timeout)", humantime::format_duration(timeout)),
            refused: false,
        }),
    }
}

/// Connects to `options` until it works or `wait` has passed; `report` hears of each failed
/// attempt (its number and why), for the readiness check. Returns the first connection made.
pub async fn until_reachable(
    options: &PgConnectOptions,
    connect_timeout: Duration,
    wait: Duration,
    mut report: impl FnMut(u32, &str),
) -> Result<PgConnection, Unreachable> {
    let started = Instant::now();
    let deadline = started + wait;
    let mut backoff = FIRST_BACKOFF;
    let mut reported: Option<Instant> = None;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        // The last attempt gets what is left of the wait, and at least a moment.
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(100));
        let failed = match try_connect(options, connect_timeout.min(left)).await {
            Ok(conn) => {
                if attempt > 1 {
                    tracing::info!(attempts = attempt, "PostgreSQL answers");
                }
                return Ok(conn);
            }
            Err(failed) => failed,
        };
        let error = failed.reason;
        if failed.refused {
            return Err(Unreachable { waited: started.elapsed(), last_error: error, refused: true });
        }
        report(attempt, &error);
        if reported.is_none_or(|at| at.elapsed() >= REPORT_EVERY) {
            tracing::warn!(attempt, error = %error, "waiting for PostgreSQL");
            reported = Some(Instant::now());
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Unreachable { waited: started.elapsed(), last_error: error, refused: false });
        }
        tokio::time::sleep(backoff.min(deadline - now)).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}
