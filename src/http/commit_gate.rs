//! The commit gate: a request that has been answered 503 never commits.
//!
//! A request's handler runs as its own task (`guard`), so that a client that goes away never
//! cuts a transaction short. When the request times out, or the database goes away, the
//! guard answers 503 at once, but the task may still be running. Before a handler commits
//! (or sends a write that commits on its own), it passes the gate; the guard, before it
//! answers 503, closes it. Whichever comes first wins: a closed gate makes the handler roll
//! back, and a handler already through the gate is waited for, so its real answer is sent.

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
    tx.commit().await?;
    Ok(())
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
