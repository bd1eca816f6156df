//! CORS: which web pages of other origins may call the API from a browser
//! (`--cors-allowed-origins`). Without the setting nothing here adds a header, and browsers let
//! only pages of the server's own origin read its answers.
//!
//! The policy is `tower_http`'s `CorsLayer` with an explicit origin list: an allowed origin
//! gets `Access-Control-Allow-Origin` (echoed) on preflights and actual responses, any other
//! origin gets none, so the browser keeps the answer from the page. No credentials mode:
//! tokens travel in `Authorization`, never in cookies.
//!
//! `CorsLayer` answers every `OPTIONS` itself, preflight or not. A plain `OPTIONS` (no
//! `Access-Control-Request-Method`, as DRF clients send it to learn a path's methods) must keep
//! the routes' own answer with `Allow` and DRF's authentication (`routes::allow`), so only
//! preflights, and requests of other methods, go through the layer.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tower::{Layer, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::Settings;

/// The request id header clients may set and read (`tower_http::request_id` spells it so).
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The list's total, next to `Link` (docs/spec/decisions.md 2).
const X_RESULT_COUNT: HeaderName = HeaderName::from_static("x-result-count");

/// How long a browser may reuse a preflight's answer: fewer preflights, and a removed origin
/// loses nothing by it, since actual responses stop carrying its `Access-Control-Allow-Origin`
/// at once.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The policy of `settings`, or `None` when no origin is allowed (no CORS headers at all).
pub(super) fn policy(settings: &Settings) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = settings
        .cors_allowed_origins
        .iter()
        .filter_map(|origin| match HeaderValue::from_str(origin) {
            Ok(value) => Some(value),
            Err(_) => {
                tracing::warn!(origin, "CORS origin is not a valid header value; ignored");
                None
            }
        })
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
                Method::OPTIONS,
            ])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, X_REQUEST_ID])
            // Pagination lives in headers: a page that cannot read them cannot page.
            .expose_headers([header::LINK, X_RESULT_COUNT, X_REQUEST_ID])
            .max_age(PREFLIGHT_MAX_AGE),
    )
}

/// Middleware: applies `policy` to preflights and to requests of every other method; a plain
/// `OPTIONS` goes straight to its route.
pub(super) async fn cors(State(policy): State<Option<CorsLayer>>, request: Request, next: Next) -> Response {
    let Some(policy) = policy else { return next.run(request).await };
    let plain_options =
        request.method() == Method::OPTIONS && !request.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if plain_options {
        return next.run(request).await;
    }
    match policy.layer(next).oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
