//! `GET /api/docs/`: interactive API docs, Swagger UI over `GET /api/schema/`.
//! Public like the schema; "Authorize" takes `Token <key>` for the `TokenAuth` scheme, and
//! "Try it out" then calls this server.
//!
//! Every asset comes from the binary: Swagger UI's two files are vendored in
//! `assets/swagger-ui/` (version, source and licence in its README) and embedded here, so a
//! build needs no network and the page loads nothing from elsewhere. Their URLs carry the
//! Swagger UI version and are cached for a year; the page and its initializer are small and
//! revalidated each time, so an upgrade reaches browsers at once.
//!
//! Not in the OpenAPI document: an HTML page and its scripts are no API operation, and the
//! page would list itself (`tests/api/docs.rs` checks that they are served and left out).

use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::routes::{allow_public, both};
use super::static_body::StaticBody;
use super::AppState;

/// Where the vendored files are served: the Swagger UI version of `assets/swagger-ui/` is in
/// the path. A macro, so that `concat!` can build the paths and the page from it.
macro_rules! vendored {
    () => {
        "/api/docs/swagger-ui-5.35.0"
    };
}

/// Where the page is served (also without the trailing slash).
pub(super) const DOCS_PATH: &str = "/api/docs/";
const INIT_PATH: &str = "/api/docs/init.js";
const BUNDLE_PATH: &str = concat!(vendored!(), "/swagger-ui-bundle.js");
const CSS_PATH: &str = concat!(vendored!(), "/swagger-ui.css");

const BUNDLE: &[u8] = include_bytes!("../../../assets/swagger-ui/swagger-ui-bundle.js");
const CSS: &[u8] = include_bytes!("../../../assets/swagger-ui/swagger-ui.css");
const INIT: &str = include_str!("init.js");

/// The `data:,` icon keeps the browser from asking for `/favicon.ico`, which is no route.
const PAGE: &str = concat!(
    r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Waldur offering users: API docs</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href=""#,
    vendored!(),
    r#"/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src=""#,
    vendored!(),
    r#"/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
"#
);

/// RFC 9239's type for JavaScript.
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
/// Versioned URLs never change content.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";
/// Unversioned URLs: the browser asks again each time.
const REVALIDATE: &str = "no-cache";

/// The page and its assets; public, outside the request guard.
pub(super) fn router() -> Router<AppState> {
    let page = both(Router::new(), DOCS_PATH, allow_public("GET, HEAD, OPTIONS", get(page)));
    page.route(
        INIT_PATH,
        allow_public("GET, HEAD, OPTIONS", get(|| async { asset(JAVASCRIPT, REVALIDATE, INIT.as_bytes()) })),
    )
    .route(BUNDLE_PATH, allow_public("GET, HEAD, OPTIONS", get(|| async { asset(JAVASCRIPT, CACHE_FOREVER, BUNDLE) })))
    .route(
        CSS_PATH,
        allow_public("GET, HEAD, OPTIONS", get(|| async { asset("text/css; charset=utf-8", CACHE_FOREVER, CSS) })),
    )
}

async fn page() -> Response {
    let mut response = asset("text/html; charset=utf-8", REVALIDATE, PAGE.as_bytes());
    // The page holds a token once "Authorize" is used: no other site may frame it.
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors 'none'"));
    response
}

fn asset(content_type: &'static str, cache_control: &'static str, body: &'static [u8]) -> Response {
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CACHE_CONTROL, cache_control),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    (headers, Body::new(StaticBody::new(body))).into_response()
}
