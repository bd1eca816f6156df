//! Routing helpers shared by every resource: paths answered with and without the trailing
//! slash (docs/spec/decisions.md 3), and DRF's 405 for every method a path does not support (31):
//! after authentication on the API's routes, as DRF does, and without it on the public ones
//! (health checks, schema, docs), which must never look up a token.

use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::Router;

use super::AppState;
use crate::domain::principal::Caller;
use crate::error::ApiError;

/// Routes `path` (ending in `/`) and the same path without the slash to `methods`.
pub(super) fn both(router: Router<AppState>, path: &str, methods: MethodRouter<AppState>) -> Router<AppState> {
    let bare = path.trim_end_matches('/');
    router.route(path, methods.clone()).route(bare, methods)
}

/// Answers every method `methods` does not handle: `OPTIONS` with the `Allow` header (a CORS
/// preflight without credentials included), anything else with the 405 DRF body. As in DRF,
/// the caller is authenticated first.
pub(super) fn allow(allowed: &'static str, methods: MethodRouter<AppState>) -> MethodRouter<AppState> {
    methods.fallback(move |method: Method, headers: HeaderMap, caller: Result<Caller, ApiError>| async move {
        if method == Method::OPTIONS && headers.contains_key("access-control-request-method") {
            return options_response(allowed);
        }
        if let Err(unauthenticated) = caller {
            return unauthenticated.into_response();
        }
        if method == Method::OPTIONS {
            return options_response(allowed);
        }
        ApiError::MethodNotAllowed { method: method.to_string(), allow: allowed }.into_response()
    })
}

/// [`allow`] for a public route: the same answers, without authenticating anyone (nor taking
/// a database connection to do so).
pub(super) fn allow_public(allowed: &'static str, methods: MethodRouter<AppState>) -> MethodRouter<AppState> {
    methods.fallback(move |method: Method| async move {
        if method == Method::OPTIONS {
            return options_response(allowed);
        }
        ApiError::MethodNotAllowed { method: method.to_string(), allow: allowed }.into_response()
    })
}

fn options_response(allowed: &'static str) -> Response {
    let mut response = StatusCode::OK.into_response();
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allowed));
    response
}
