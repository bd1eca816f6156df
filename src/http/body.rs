//! Request bodies read whole, within a limit, before any of them is parsed.
//!
//! A body whose `Content-Length` is over the limit is answered 413 before a byte of it is
//! read; one without a length (chunked) is read until it passes the limit, then answered the
//! same way. Either way the server holds at most `limit` bytes of it.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_LENGTH;
use axum::http::HeaderMap;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::AppState;
use crate::error::{ApiError, ApiResult};

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

/// Reads `body` whole if it is at most `limit` bytes; 413 otherwise, without reading it when
/// `Content-Length` already says so.
pub async fn read_limited(headers: &HeaderMap, body: Body, limit: usize) -> ApiResult<Bytes> {
    let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
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
