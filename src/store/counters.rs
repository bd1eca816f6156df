//! Folding the offering-user count deltas into the counters (migration 0007).
//!
//! Writes append deltas; counts read counters and deltas together, so folding changes no
//! count: it only keeps the deltas few, so that a count sums a few thousand rows at most.

use std::time::Duration;

use sqlx::PgPool;

/// How often a server folds. At the transition rates the benchmark reaches (about 2,000/s,
/// two deltas each) this leaves a few thousand pending deltas at most.
pub const FOLD_INTERVAL: Duration = Duration::from_millis(500);

/// The statement of [`fold`].
pub const FOLD_SQL: &str = "SELECT offering_user_counts_fold()";
/// The statement of [`vacuum_deltas`].
pub const VACUUM_SQL: &str = "VACUUM offering_user_count_deltas";

/// Folds the pending deltas into the counters in one transaction; returns how many it folded.
pub async fn fold(pool: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar(FOLD_SQL).fetch_one(pool).await
}

/// Removes the dead rows a fold leaves in the deltas table (and the empty pages at its end),
/// which every count would otherwise read through. On a table of a few hundred rows this
/// takes about a millisecond. `VACUUM` cannot run in a prepared statement: simple protocol.
pub async fn vacuum_deltas(pool: &PgPool) -> sqlx::Result<()> {
    sqlx::raw_sql(VACUUM_SQL).execute(pool).await?;
    Ok(())
}

/// Folds every [`FOLD_INTERVAL`] for as long as the server runs. Safe with several replicas
/// doing the same (concurrent folds take disjoint deltas). A fold that folded something is
/// followed by a vacuum of the deltas. A failed fold is logged and retried at the next tick:
/// counts stay exact meanwhile, only a little slower.
pub async fn fold_forever(pool: PgPool) {
    let mut ticks = tokio::time::interval(FOLD_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match fold(&pool).await {
            Ok(0) => {}
            Ok(_) => {
                if let Err(e) = vacuum_deltas(&pool).await {
                    tracing::warn!(error = %e, "vacuuming offering-user count deltas failed");
                }
            }
            Err(e) => tracing::warn!(error = %e, "folding offering-user count deltas failed; retrying"),
        }
    }
}
