//! The commit gate: the line between a request that can still be cancelled with nothing
//! committed and one whose write may already be in the database.
//!
//! Before a handler commits (or sends a write that commits on its own), it passes the gate;
//! when the request times out or the database goes away, the guard closes it. Whichever comes
//! first wins:
//!
//! - **Closed first.** The guard answers 503 and aborts the handler's task; a handler that
//!   still gets to the gate is refused and rolls back. A 503 means nothing was committed.
//! - **Passed first.** The handler is committing; the guard waits for it (within a bound) so
//!   that its real answer is sent. Past the gate, a lost connection to PostgreSQL (during
//!   `COMMIT`, or during the one statement of a state action) is not an outage 503 but
//!   [`ApiError::OutcomeUnknown`], a 500: the write may have been made or not
//!   ([`after_gate`]). So is a handler still committing when the guard stops waiting.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use sqlx::{Postgres, Transaction};

use crate::error::{ApiError, ApiResult, Unavailable};

const OPEN: u8 = 0;
const COMMITTING: u8 = 1;
const CLOSED: u8 = 2;

tokio::task_local! {
    static GATE: Arc<Gate>;
}

/// One request's gate.
#[derive(Debug, Default)]
pub struct Gate(AtomicU8);

impl Gate {
    /// An open gate.
    pub fn new() -> Arc<Gate> {
        Arc::new(Gate(AtomicU8::new(OPEN)))
    }

    /// Runs `future` (the handler) with this gate as the one [`enter`] passes.
    pub async fn scope<F: std::future::Future>(self: Arc<Self>, future: F) -> F::Output {
        GATE.scope(self, future).await
    }

    /// Closes the gate unless the handler has passed it: `true` when the request may be
    /// answered 503 now, `false` when it is committing and must be waited for.
    pub fn close(&self) -> bool {
        matches!(self.0.compare_exchange(OPEN, CLOSED, Ordering::AcqRel, Ordering::Acquire), Ok(_) | Err(CLOSED))
    }

    fn pass(&self) -> bool {
        matches!(
            self.0.compare_exchange(OPEN, COMMITTING, Ordering::AcqRel, Ordering::Acquire),
            Ok(_) | Err(COMMITTING)
        )
    }
}

/// Passes the current request's gate before a write that commits; a 503 when the request has
/// already been answered (the caller then drops its transaction, which rolls back). Outside a
/// request (the importer, tests driving the store) there is no gate and this always passes.
pub fn enter() -> ApiResult<()> {
    match GATE.try_with(|gate| gate.pass()) {
        Ok(false) => Err(ApiError::Unavailable(Unavailable::Timeout)),
        Ok(true) | Err(_) => Ok(()),
    }
}

/// Commits `tx` if the request's gate lets it through; otherwise rolls it back and answers 503.
pub async fn commit(tx: Transaction<'_, Postgres>) -> ApiResult<()> {
    if let Err(closed) = enter() {
        tx.rollback().await?;
        return Err(closed);
    }
    tx.commit().await.map_err(after_gate)
}

/// The answer to a database error met past the gate. PostgreSQL reports every failure of a
/// statement (a conflict, a timeout that cancelled it) before it commits anything, so those
/// keep their usual answer; but a connection lost while the statement or `COMMIT` was on its
/// way leaves the outcome unknown: 500, never the 503 that promises nothing was committed.
pub fn after_gate(error: sqlx::Error) -> ApiError {
    if crate::db::is_unreachable(&error) {
        tracing::warn!(error = %error, "connection to the database lost while committing; the outcome is unknown");
        return ApiError::OutcomeUnknown { database_lost: true };
    }
    error.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_closed_gate_refuses_the_commit_and_a_passed_one_cannot_close() {
        let gate = Gate::new();
        assert!(gate.close(), "an open gate closes");
        assert!(gate.clone().scope(async { enter().is_err() }).await, "a closed gate refuses");

        let gate = Gate::new();
        assert!(gate.clone().scope(async { enter().is_ok() }).await, "an open gate lets through");
        assert!(!gate.close(), "a passed gate stays open for its commit");
        assert!(gate.clone().scope(async { enter().is_ok() }).await, "and may be passed again");
    }

    #[tokio::test]
    async fn outside_a_request_there_is_no_gate() {
        assert!(enter().is_ok());
    }
}
