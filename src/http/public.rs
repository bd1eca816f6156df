//! The public routes (`/health/*`, `/api/schema/`, `/api/docs/…`) within bounds of their own.
//!
//! They need no token and no database, and so stay outside the API's request guard and its
//! `--max-in-flight` (they must answer while the API sheds load). Unbounded, a flood of them —
//! or many clients that read Swagger UI's 1.7 MB bundle slowly — would take the server's
//! workers and memory from the API. So they share a small limit of their own
//! ([`PUBLIC_MAX_IN_FLIGHT`]): a request takes a permit until its response body has been
//! sent (or its connection dropped); beyond the limit it is answered 503 with `Retry-After: 1`,
//! like a shed API request. The management listener's health routes are not behind it: an
//! orchestrator probing there is never refused for a flood on the API's port.
//!
//! Their other methods are answered without looking up a token (`routes::allow_public`).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{ApiError, Unavailable};

/// Public requests in progress at most, their response bodies included.
pub const PUBLIC_MAX_IN_FLIGHT: usize = 32;

/// The public routes' permits.
#[derive(Clone)]
pub struct PublicLimit(Arc<Semaphore>);

impl PublicLimit {
    /// A limit of `permits` requests in progress.
    pub fn new(permits: usize) -> Self {
        PublicLimit(Arc::new(Semaphore::new(permits)))
    }
}

/// Middleware: a permit per request, held by the response body until it is sent or dropped;
/// 503 `{"detail": …}` with `Retry-After: 1` when none is left.
pub async fn limit(State(limit): State<PublicLimit>, request: Request, next: Next) -> Response {
    let Ok(permit) = limit.0.try_acquire_owned() else {
        return ApiError::Unavailable(Unavailable::Overloaded).into_response();
    };
    let (parts, body) = next.run(request).await.into_parts();
    Response::from_parts(parts, Body::new(HoldingBody { inner: body, _permit: permit }))
}

/// A response body that holds a permit until hyper drops it: once its last frame is written,
/// or with its connection. Everything else is the inner body's, its exact size included (so
/// the response keeps its `Content-Length`).
struct HoldingBody {
    inner: Body,
    _permit: OwnedSemaphorePermit,
}

impl HttpBody for HoldingBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
