//! What every API request goes through before and around its handler: load shedding, the
//! database outage, the request timeout, and running to completion.
//!
//! - **Shedding.** Beyond `Settings::max_in_flight` requests in progress, a request is
//!   answered 503 with `Retry-After` at once instead of queueing for the pool without bound.
//! - **Outage.** While the monitor (`db::monitor`) finds PostgreSQL unreachable, a request is
//!   answered 503 at once; one in progress when it goes is answered as soon as that is noticed.
//! - **Timeout.** A request still running after `Settings::request_timeout` is answered 503.
//! - **Completion.** When a client closes its connection, hyper drops the handler's future
//!   wherever it is waiting. Dropped between sending `BEGIN` and recording it, sqlx would return
//!   the connection to the pool inside a transaction the server still holds open (seen under
//!   load when wrk stopped its connections). So the handler runs as a task of its own, which
//!   finishes whatever becomes of the client: committed or rolled back.
//!
//! A 503 must mean that nothing was committed, and the handler's task may still be running
//! when it is sent: the commit gate (`commit_gate`) makes sure it then never commits.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::commit_gate::Gate;
use super::AppState;
use crate::error::{ApiError, DatabaseErrorKind, Unavailable};

/// Middleware: sheds, times out and runs the rest of the stack on its own task.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // The permit travels with the task: a request answered 503 whose handler is still
    // running keeps counting until the handler ends.
    let Ok(permit) = state.in_flight.clone().try_acquire_owned() else {
        return ApiError::Unavailable(Unavailable::Overloaded).into_response();
    };
    if state.database.is_down() {
        return ApiError::Unavailable(Unavailable::Database).into_response();
    }
    let gate = Gate::new();
    // The task runs in the request's span, so its log lines carry the request id.
    let mut task = tokio::spawn(
        gate.clone()
            .scope(async move {
                let response = next.run(request).await;
                drop(permit);
                response
            })
            .in_current_span(),
    );
    let cut_short = tokio::select! {
        joined = &mut task => return finished(joined, &state),
        _ = tokio::time::sleep(state.settings.request_timeout) => Unavailable::Timeout,
        _ = state.database.wait_down() => Unavailable::Database,
    };
    if gate.close() {
        tracing::warn!(reason = ?cut_short, "request answered 503 before its handler finished; it will not commit");
        // It will never commit, so its work is cancelled rather than left waiting on a
        // connection that may never answer: sqlx rolls back a dropped transaction (a `BEGIN`
        // in flight included), and the pool discards a connection that does not answer a
        // bounded ping when it comes back (`db::pool`).
        task.abort();
        return ApiError::Unavailable(cut_short).into_response();
    }
    // The handler is committing: its own answer is the true one, if it comes. A COMMIT on a
    // connection that froze never answers; past one more request timeout the handler is
    // dropped and the outcome, unknown, is a 500 (never a 503, which says nothing was saved).
    match tokio::time::timeout(state.settings.request_timeout, &mut task).await {
        Ok(joined) => finished(joined, &state),
        Err(_) => {
            task.abort();
            ApiError::Internal("no answer to a COMMIT in time; its outcome is unknown".to_owned()).into_response()
        }
    }
}

fn finished(joined: Result<Response, tokio::task::JoinError>, state: &AppState) -> Response {
    let response = match joined {
        Ok(response) => response,
        Err(e) => ApiError::Internal(format!("request task failed: {e}")).into_response(),
    };
    if response.extensions().get::<DatabaseErrorKind>().is_some_and(|kind| kind.suspects_the_database()) {
        state.database.suspect();
    }
    response
}
