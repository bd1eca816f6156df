//! Every request runs to completion, even when its client goes away.
//!
//! When a client closes its connection, hyper drops the handler's future wherever it is
//! waiting. Dropped between sending `BEGIN` and recording it, sqlx returns the connection to
//! the pool with a transaction the server still holds open (and dropped after `COMMIT`, it
//! later sends a `ROLLBACK` with no transaction): every later request on that connection then
//! runs inside the stray transaction. Seen under load when wrk stopped its connections.
//! Running the handler as its own task makes a request's database work independent of its
//! client: a write the server started is finished, committed or rolled back.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Middleware: runs the rest of the stack on its own task and waits for it.
pub async fn run_to_completion(request: Request, next: Next) -> Response {
    match tokio::spawn(next.run(request)).await {
        Ok(response) => response,
        Err(e) => ApiError::Internal(format!("request task failed: {e}")).into_response(),
    }
}
