//! The API's connection pool: how long a connection lives, and how a dead one is found out
//! without a request waiting on it.
//!
//! A connection can die silently: a host that vanishes, or a virtual IP moved to another
//! node, sends no FIN or RST, and a read on the socket then waits for ever. sqlx 0.8 neither
//! exposes the socket (`sqlx-postgres` `PgStream::connect` and `sqlx-core` `net::connect_tcp`
//! keep it, setting only `TCP_NODELAY`), so TCP keepalive and `TCP_USER_TIMEOUT` cannot be
//! set on it, nor bounds a round trip itself. So every wait is bounded here, on the client
//! side:
//! - acquiring: [`ACQUIRE_TIMEOUT`];
//! - the ping sqlx sends on every connection it takes back (unbounded in sqlx, and run on a
//!   task of its own that would hold the connection's pool slot for ever): pinged first by
//!   `after_release` within [`PING_TIMEOUT`], and replaced when it does not answer;
//! - a connection idle for a while is pinged, within the same bound, before it is handed out,
//!   and replaced when it does not answer;
//! - closing a connection that did not answer: never left to sqlx, whose close of a TLS
//!   connection waits until the peer sends something (`checks`);
//! - a request's own statements: the request is answered 503 at its timeout or when the
//!   monitor finds the database down, and its handler is then dropped (`http::guard`), which
//!   brings its connection back here, to the bounded ping;
//! - the monitor's probes, on a connection of their own (`monitor`), which also closes the
//!   pool's idle connections when a probe fails, so that frozen ones are not handed out.
//!
//! Connections live at most [`MAX_LIFETIME`]: after a switchover behind one DNS name, the
//! pool has followed it within a minute even if no error told it to.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use super::checks::{Checks, Unanswered, PING_TIMEOUT};
use super::{classify, DatabaseError, ErrorClass};

/// How long a request waits for a pooled connection before it is answered 503 (busy). An
/// outage is noticed sooner by the monitor; this bounds the wait when the pool is merely busy.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// While no replacement opens for a connection coming back to the pool, the first wait
/// before the next attempt; it doubles up to [`REPLACE_RETRY_MAX`].
const REPLACE_RETRY: Duration = Duration::from_millis(250);
const REPLACE_RETRY_MAX: Duration = Duration::from_secs(5);
/// A connection idle longer than this is pinged before it is handed out; one used more
/// recently was pinged when it came back.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);
/// The longest a connection is kept: a switchover behind one name is followed within this.
pub const MAX_LIFETIME: Duration = Duration::from_secs(60);
/// An idle connection (above the pool's minimum) is closed after this.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The API pool's options: every knob explicit, the checks above installed. `connect` is what
/// the pool's connections are made with (pass the same to `connect_with`): a connection that
/// does not answer is replaced in place by one made with it.
pub fn pool_options(max_connections: u32, connect: &PgConnectOptions) -> PgPoolOptions {
    let for_acquire = Arc::new(Checks::new(connect.clone()));
    let for_release = for_acquire.clone();
    PgPoolOptions::new()
        .max_connections(max_connections)
        // No minimum: sqlx keeps one by opening a replacement for every connection closed,
        // unbounded by any request's deadline, and one opened to a frozen address would hold
        // its slot for minutes.
        .min_connections(0)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .max_lifetime(MAX_LIFETIME)
        .idle_timeout(IDLE_TIMEOUT)
        // sqlx's own check pings without a bound; ours below has one.
        .test_before_acquire(false)
        .before_acquire(move |conn, meta| {
            let checks = for_acquire.clone();
            Box::pin(async move {
                // With no replacement, the error makes sqlx close this one and open another
                // itself. That close may wait on a frozen TLS connection, but only as long as
                // the request's own acquire, which owns it: the slot is freed when the acquire
                // times out or the request is answered 503.
                if checks.idle_since_a_freeze(meta.idle_for) {
                    checks.replace(conn).await.map_err(Unanswered::into_error)?;
                } else if meta.idle_for >= PING_WHEN_IDLE_FOR {
                    checks.live_or_replaced(conn).await.map_err(Unanswered::into_error)?;
                }
                Ok(true)
            })
        })
        .after_release(move |conn, _| {
            let checks = for_release.clone();
            Box::pin(async move {
                // Here nothing would ever end sqlx's close of a frozen TLS connection (it runs on
                // a task of its own), so the connection is kept, and its slot with it, until a
                // replacement opens: when the database answers again.
                let mut retry = REPLACE_RETRY;
                loop {
                    match checks.live_or_replaced(conn).await {
                        Ok(()) => return Ok(true),
                        Err(Unanswered::Broken(e)) => return Err(e),
                        Err(Unanswered::Frozen(_)) => {}
                    }
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(REPLACE_RETRY_MAX);
                }
            })
        })
}

/// A pool with [`pool_options`]; the connections take `options` as given.
pub async fn connect(options: PgConnectOptions, max_connections: u32) -> Result<PgPool, DatabaseError> {
    pool_options(max_connections, &options).connect_with(options).await.map_err(DatabaseError::Connect)
}

/// Closes every idle connection of `pool` (they may be frozen, or lead to a node that no
/// longer serves); the pool opens new ones as requests need them. Returns how many.
pub fn drop_idle_connections(pool: &PgPool) -> u32 {
    let mut dropped = 0;
    // Bounded: closing one below the pool's minimum makes sqlx open a replacement, which
    // would otherwise be taken again.
    while dropped < pool.options().get_max_connections() {
        let Some(conn) = pool.try_acquire() else { break };
        // Detached, then dropped: the socket is closed without waiting on the peer.
        drop(conn.detach());
        dropped += 1;
    }
    dropped
}

/// The error to report when `pool` gave no connection within its acquire timeout. With every
/// connection open and in use, the pool is busy. With room left, it could not open one: sqlx
/// retries a refusal for want of slots (53300) and a refused connection silently until the
/// timeout, so one attempt of our own, bounded, tells which, and an outage or a full server is
/// reported as such rather than as a busy pool. Runs only on this failure path.
pub async fn why_no_connection(pool: &PgPool) -> sqlx::Error {
    if pool.size() >= pool.options().get_max_connections() {
        return sqlx::Error::PoolTimedOut;
    }
    let options = pool.connect_options();
    match tokio::time::timeout(PING_TIMEOUT, PgConnection::connect_with(&options)).await {
        Ok(Err(e)) if matches!(classify(&e), ErrorClass::TooManyConnections | ErrorClass::Unreachable) => e,
        Ok(Ok(conn)) => {
            let _ = tokio::time::timeout(PING_TIMEOUT, conn.close()).await;
            sqlx::Error::PoolTimedOut
        }
        Ok(Err(_)) | Err(_) => sqlx::Error::PoolTimedOut,
    }
}
