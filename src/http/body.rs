//! Request bodies read whole, within a limit, before any of them is parsed.
//!
//! A body whose `Content-Length` is over the limit is answered 413 before a byte of it is
//! read; one without a length (chunked), or longer than it declared, is read until it passes
//! the limit, then answered the same way. Either way the server holds at most `limit` bytes of
//! it, in one buffer that grows as bytes arrive: a declared length reserves nothing.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_LENGTH;
use axum::http::HeaderMap;
use http_body_util::BodyExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::body_watch::is_read_timeout;
use super::AppState;
use crate::error::{ApiError, ApiResult, Unavailable};

/// The body of a request, at most `Settings::max_body_size` bytes (413 beyond).
#[derive(Debug, Clone)]
pub struct RawBody(pub Bytes);

impl FromRequest<AppState> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        read_limited(&parts.headers, body, state.settings.max_body_size).await.map(RawBody)
    }
}

/// The length a request declares, if it declares one.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok())
}

/// Reads `body` whole if it is at most `limit` bytes; 413 otherwise, without reading it when
/// `Content-Length` already says so.
pub async fn read_limited(headers: &HeaderMap, body: Body, limit: usize) -> ApiResult<Bytes> {
    refuse_declared_over(headers, limit)?;
    read_into_one_buffer(body, limit, |_| true).await
}

/// 413 when the declared length is over `limit`: the body is then never read.
fn refuse_declared_over(headers: &HeaderMap, limit: usize) -> ApiResult<()> {
    match declared_length(headers) {
        Some(length) if length > limit as u64 => Err(ApiError::PayloadTooLarge { limit }),
        _ => Ok(()),
    }
}

/// The smallest buffer a body is read into.
const FIRST_BUFFER: usize = 8 * 1024;

/// Copies the frames of `body` into one buffer as they arrive, so that each frame (and the
/// connection's read buffer it may share) is let go at once: a body sent a byte at a time costs
/// its bytes, not a frame's overhead per byte. The buffer grows by doubling, at most to
/// `limit`; before it grows, `may_grow(new capacity)` must agree (else 503). Past `limit` it is
/// a 413; a pause longer than the body-read timeout a 408 (`body_watch`).
async fn read_into_one_buffer(
    mut body: Body,
    limit: usize,
    mut may_grow: impl FnMut(usize) -> bool,
) -> ApiResult<Bytes> {
    let mut received: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            if is_read_timeout(&e) {
                return ApiError::BodyTimeout;
            }
            tracing::debug!(error = %e, "request body could not be read");
            ApiError::Detail("The request body could not be read.".to_owned())
        })?;
        let Ok(chunk) = frame.into_data() else { continue };
        let needed = received.len() + chunk.len();
        if needed > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        if needed > received.capacity() {
            let grown = needed.max(received.capacity().saturating_mul(2)).max(FIRST_BUFFER).min(limit);
            if !may_grow(grown) {
                return Err(ApiError::Unavailable(Unavailable::Overloaded));
            }
            received.reserve_exact(grown - received.len());
        }
        received.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(received))
}

/// The server-wide budget of large request bodies held in memory at once
/// (`Settings::large_body_budget`), counted in KiB. Small bodies need none: at most
/// `max_body_size` each, and the in-flight cap bounds how many there are.
#[derive(Debug, Clone)]
pub struct BodyBudget(Arc<Semaphore>);

/// A share of the [`BodyBudget`], held for as long as the body (and what is parsed from it)
/// is: until the request ends.
#[derive(Debug)]
pub struct BodyShare(Option<OwnedSemaphorePermit>);

impl BodyBudget {
    /// A budget of `bytes`.
    pub fn new(bytes: usize) -> Self {
        BodyBudget(Arc::new(Semaphore::new(kib(bytes as u64) as usize)))
    }

    /// Takes `bytes` more for `share`; `false` when the budget has not that much left.
    fn take(&self, share: &mut BodyShare, bytes: u64) -> bool {
        let held = share.0.as_ref().map_or(0, |p| p.num_permits() as u64);
        let needed = kib(bytes).saturating_sub(held);
        if needed == 0 {
            return true;
        }
        let Ok(more) = self.0.clone().try_acquire_many_owned(u32::try_from(needed).unwrap_or(u32::MAX)) else {
            return false;
        };
        match share.0.as_mut() {
            Some(permit) => permit.merge(more),
            None => share.0 = Some(more),
        }
        true
    }
}

/// Whole KiB covering `bytes`.
fn kib(bytes: u64) -> u64 {
    bytes.div_ceil(1024)
}

/// Like [`read_limited`], and the body takes its share of `budget` as it arrives, charged by
/// the buffer it fills (never by the length it declares): when the budget is spent (other
/// large bodies fill it), the request is answered 503 at once, so that many large uploads
/// together cannot take more memory than the budget.
pub async fn read_budgeted(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    budget: &BodyBudget,
) -> ApiResult<(Bytes, BodyShare)> {
    refuse_declared_over(headers, limit)?;
    let mut share = BodyShare(None);
    let bytes = read_into_one_buffer(body, limit, |capacity| budget.take(&mut share, capacity as u64)).await?;
    Ok((bytes, share))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_byte_frames(text: &'static str) -> Body {
        let frames = text.as_bytes().iter().map(|b| Ok::<_, std::io::Error>(Bytes::copy_from_slice(&[*b])));
        Body::from_stream(futures::stream::iter(frames))
    }

    fn declaring(length: u64) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_LENGTH, length.into());
        headers
    }

    #[tokio::test]
    async fn a_body_of_one_byte_frames_is_read_whole_and_charged_by_its_buffer_not_its_declared_length() {
        let text = "{\"username\": \"one byte at a time\"}";
        let read = read_limited(&HeaderMap::new(), one_byte_frames(text), 1024).await.unwrap();
        assert_eq!(read, text.as_bytes());

        // A budget of 16 KiB: a declared 1 MiB takes none of it, the first bytes take the
        // first buffer (8 KiB).
        let budget = BodyBudget::new(16 * 1024);
        let (read, share) =
            read_budgeted(&declaring(text.len() as u64), one_byte_frames(text), 1 << 20, &budget).await.unwrap();
        assert_eq!(read, text.as_bytes());
        assert_eq!(share.0.as_ref().map(|p| p.num_permits()), Some(8));
        let other = read_budgeted(&declaring(1 << 20), one_byte_frames("[]"), 1 << 20, &budget).await;
        assert_eq!(other.unwrap().0, "[]".as_bytes(), "a declared length reserves nothing");

        // Past the limit: 413, also when the declared length said less.
        let over = read_limited(&declaring(4), one_byte_frames("[1, 2, 3]"), 4).await.unwrap_err();
        assert!(matches!(over, ApiError::PayloadTooLarge { limit: 4 }), "{over:?}");
    }
}
