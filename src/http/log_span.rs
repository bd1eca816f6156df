//! The span every request is logged under: its method and path, never its query string.
//!
//! A client may authenticate with `?x-auth-token=<key>` (offering-users.md §7), so the query
//! is a credential. tower-http's default span records the whole URI at DEBUG; this one
//! leaves the query out, and with it the token, at every level.

use axum::extract::Request;
use tracing::Span;

/// The span of one request: `request{method=GET path=/api/…/}`.
pub fn request_span(request: &Request) -> Span {
    tracing::debug_span!("request", method = %request.method(), path = %request.uri().path())
}
