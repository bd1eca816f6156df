//! Request bodies read whole, within a limit, before any of them is parsed.
//!
//! A body whose `Content-Length` is over the limit is answered 413 before a byte of it is
//! read; one without a length (chunked) is read until it passes the limit, then answered the
//! same way. Either way the server holds at most `limit` bytes of it.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_LENGTH;
use axum::http::HeaderMap;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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
    let declared = declared_length(headers);
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(ApiError::PayloadTooLarge { limit }),
        Err(e) => {
            tracing::debug!(error = %e, "request body could not be read");
            Err(ApiError::Detail("The request body could not be read.".to_owned()))
        }
    }
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

/// Like [`read_limited`], and the body takes its share of `budget` as it arrives: when the
/// budget is spent (other large bodies fill it), the request is answered 503 at once, so that
/// many large uploads together cannot take more memory than the budget. A declared length
/// takes its whole share before a byte is read.
pub async fn read_budgeted(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    budget: &BodyBudget,
) -> ApiResult<(Bytes, BodyShare)> {
    let busy = || ApiError::Unavailable(Unavailable::Overloaded);
    let mut share = BodyShare(None);
    if let Some(length) = declared_length(headers) {
        if length > limit as u64 {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        if !budget.take(&mut share, length) {
            return Err(busy());
        }
    }
    let mut body = body;
    // Charged by what is allocated, not what is used: a buffer grows by doubling.
    let mut received: Vec<u8> = Vec::new();
    if let Some(length) = declared_length(headers) {
        received.reserve_exact(usize::try_from(length).unwrap_or(limit));
    }
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            tracing::debug!(error = %e, "request body could not be read");
            ApiError::Detail("The request body could not be read.".to_owned())
        })?;
        let Ok(chunk) = frame.into_data() else { continue };
        let needed = received.len() + chunk.len();
        if needed > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        if needed > received.capacity() {
            let grown = needed.max(received.capacity().saturating_mul(2)).min(limit);
            if !budget.take(&mut share, grown as u64) {
                return Err(busy());
            }
            received.reserve_exact(grown - received.len());
        }
        received.extend_from_slice(&chunk);
    }
    Ok((Bytes::from(received), share))
}
