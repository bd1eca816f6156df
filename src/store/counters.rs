//! Folding the offering-user count deltas into the counters (migration 0007).
//!
//! Writes append deltas; counts read counters and deltas together, so folding changes no
//! count: it only keeps the deltas few, so that a count sums a few thousand rows at most.

use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, Executor, PgConnection};

/// How often a server folds. At the transition rates the benchmark reaches (about 2,000/s,
/// two deltas each) this leaves a few thousand pending deltas at most.
pub const FOLD_INTERVAL: Duration = Duration::from_millis(500);

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

/// Folds every [`FOLD_INTERVAL`] for as long as the server runs, on a connection of its own
/// (outside the request pool: it never takes a request's slot, and a `VACUUM` never meets a
/// connection a request left in a transaction). Safe with several replicas doing the same
/// (concurrent folds take disjoint deltas). A fold that folded something is followed by a
/// vacuum of the deltas. On an error the connection is dropped and a new one made at the next
/// tick: counts stay exact meanwhile, only a little slower.
pub async fn fold_forever(options: PgConnectOptions) {
    let mut ticks = tokio::time::interval(FOLD_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut connection: Option<PgConnection> = None;
    loop {
        ticks.tick().await;
        let conn = match connection.as_mut() {
            Some(conn) => conn,
            None => match PgConnection::connect_with(&options).await {
                Ok(conn) => connection.insert(conn),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot connect to fold offering-user count deltas; retrying");
                    continue;
                }
            },
        };
        if let Err(e) = fold_and_vacuum(conn).await {
            tracing::warn!(error = %e, "folding offering-user count deltas failed; retrying");
            connection = None;
        }
    }
}

async fn fold_and_vacuum(conn: &mut PgConnection) -> sqlx::Result<()> {
    if fold(conn).await? > 0 {
        vacuum_deltas(conn).await?;
    }
    Ok(())
}
