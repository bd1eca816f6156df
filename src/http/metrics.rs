//! `GET /metrics` on the management listener: the registry in the Prometheus (OpenMetrics)
//! text format, with the pool and fold gauges read at scrape time.
//!
//! With `--metrics-token` set, a scrape must present it as `Authorization: Bearer <token>`
//! (what Prometheus's `authorization` scrape setting sends), else 401; the health checks beside
//! it stay open, since orchestrators probe them without credentials.

use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::AppState;
use crate::telemetry::metrics::{MetricsToken, PoolState};

/// Where the metrics are served.
pub(super) const METRICS_PATH: &str = "/metrics";

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The metrics route.
pub(super) fn router() -> Router<AppState> {
    Router::new().route(METRICS_PATH, get(metrics))
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.settings.metrics_token {
        if let Err(detail) = authorize(token, &headers) {
            let challenge = [(WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")];
            return (StatusCode::UNAUTHORIZED, challenge, Json(json!({ "detail": detail }))).into_response();
        }
    }
    let metrics = &state.metrics;
    let open = i64::from(state.pool.size());
    let idle = i64::try_from(state.pool.num_idle()).unwrap_or(i64::MAX);
    let max = i64::from(state.pool.options().get_max_connections());
    metrics.pool_connections.get_or_create(&PoolState { state: "open" }).set(open);
    metrics.pool_connections.get_or_create(&PoolState { state: "idle" }).set(idle);
    metrics.pool_connections.get_or_create(&PoolState { state: "max" }).set(max);
    metrics.count_deltas_folded.set(state.fold.last_folded());
    metrics.count_fold_age.set(state.fold.age_seconds().unwrap_or(f64::NAN));
    ([(CONTENT_TYPE, OPENMETRICS)], metrics.render()).into_response()
}

/// `Ok` when the request presents `Authorization: Bearer <token>` (scheme in any case), else
/// the `detail` of the 401.
fn authorize(token: &MetricsToken, headers: &HeaderMap) -> Result<(), &'static str> {
    let presented = headers.get(AUTHORIZATION).and_then(|value| {
        let value = value.as_bytes();
        let (scheme, rest) = value.split_at(value.iter().position(|b| *b == b' ')?);
        scheme.eq_ignore_ascii_case(b"bearer").then(|| rest.trim_ascii())
    });
    match presented {
        Some(given) if token.matches(given) => Ok(()),
        Some(_) => Err("Invalid token."),
        None => Err("Authentication credentials were not provided."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bearer_scheme_with_the_token_is_authorized() {
        let token: MetricsToken = "abc".parse().unwrap();
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(AUTHORIZATION, value.parse().unwrap());
            authorize(&token, &headers).is_ok()
        };
        assert!(with("Bearer abc") && with("bearer  abc"));
        assert!(!with("Bearer abd") && !with("Token abc") && !with("Bearer") && !with("abc"));
        assert!(authorize(&token, &HeaderMap::new()).is_err());
    }
}
