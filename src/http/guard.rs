//! What every API request goes through before and around its handler: load shedding, the
//! database outage, the request timeout, and the body's pace.
//!
//! - **Shedding.** Beyond `Settings::max_in_flight` requests in progress, a request is
//!   answered 503 with `Retry-After` at once instead of queueing for the pool without bound.
//! - **Outage.** While the monitor (`db::monitor`) finds PostgreSQL unreachable, a request is
//!   answered 503 at once; one in progress when it goes is cancelled as soon as that is noticed.
//! - **Timeout.** A request still running after `Settings::request_timeout` is cancelled: its
//!   handler's task is aborted, which drops the body it waits for, the handler's transaction
//!   (sqlx queues `ROLLBACK`, also for one dropped while `BEGIN` was on its way) and its pooled
//!   connection (drained before it goes back to the pool), and the request's in-flight permit;
//!   then it is answered 503. The commit gate (`commit_gate`) decides whether it may be: a
//!   handler already committing is waited for, at most `Settings::commit_wait`, and answered
//!   500 "outcome unknown" if it is still not done.
//! - **Clients that leave.** The handler runs as a task of its own, so a client that closes its
//!   connection does not cut it short: it finishes, committed or rolled back, and only the
//!   timeout or an outage cancels it.
//! - **Body.** Each read of the body has `Settings::body_read_timeout` (`body_watch`); an answer
//!   given before the body was read to its end closes the connection (`Connection: close`),
//!   since what is left of the body on it is no next request.

use axum::extract::{Request, State};
use axum::http::header::CONNECTION;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::body_watch::{self, BodyEnd};
use super::commit_gate::Gate;
use super::AppState;
use crate::error::{ApiError, DatabaseErrorKind, Unavailable};

/// Middleware: watches the body, sheds, times out and runs the rest of the stack on its own
/// task.
pub(super) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let (body, body_end) = body_watch::watch(body, state.settings.body_read_timeout);
    let response = run_guarded(&state, Request::from_parts(parts, body), next).await;
    close_unless_read(response, &body_end)
}

async fn run_guarded(state: &AppState, request: Request, next: Next) -> Response {
    // The permit travels with the task, and is given back when the task ends or is aborted.
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
        joined = &mut task => return finished(joined, state),
        _ = tokio::time::sleep(state.settings.request_timeout) => Unavailable::Timeout,
        _ = state.database.wait_down() => Unavailable::Database,
    };
    if gate.close() {
        task.abort();
        // Resolves once the task's future is dropped: its permit and connection are back.
        let _ = task.await;
        tracing::warn!(reason = ?cut_short, "request cancelled before it committed; answered 503");
        return ApiError::Unavailable(cut_short).into_response();
    }
    // The handler is committing: its own answer is the true one, if it comes in time.
    match tokio::time::timeout(state.settings.commit_wait, &mut task).await {
        Ok(joined) => finished(joined, state),
        Err(_) => {
            task.abort();
            let _ = task.await;
            tracing::error!(reason = ?cut_short, "request still committing when the server stopped waiting; its outcome is unknown");
            ApiError::OutcomeUnknown { database_lost: false }.into_response()
        }
    }
}

fn finished(joined: Result<Response, tokio::task::JoinError>, state: &AppState) -> Response {
    let response = match joined {
        Ok(response) => response,
        Err(e) => ApiError::internal("running the request's task", e).into_response(),
    };
    if response.extensions().get::<DatabaseErrorKind>().is_some_and(|kind| kind.suspects_the_database()) {
        state.database.suspect();
    }
    response
}

/// Adds `Connection: close` to the answer of a request whose body was not read to its end
/// (hyper then closes the connection once the answer is written).
fn close_unless_read(mut response: Response, body_end: &BodyEnd) -> Response {
    if !body_end.reached() {
        response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
