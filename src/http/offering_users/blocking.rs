//! CPU-heavy work of a request (parsing and checking a large submission, sanitizing HTML)
//! on tokio's blocking threads, so that one request's work never stalls the async workers
//! that serve every other request.

use crate::error::{ApiError, ApiResult};

/// Runs `work` on a blocking thread and waits for its result.
pub(super) async fn run<T, F>(work: F) -> ApiResult<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work).await.map_err(|e| ApiError::internal("running a blocking task", e))
}
