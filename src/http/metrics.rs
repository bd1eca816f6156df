//! `GET /metrics` on the management listener: the registry in the Prometheus (OpenMetrics)
//! text format, with the pool and fold gauges read at scrape time.
//!
//! With `--metrics-token` set, a scrape must present it as `Authorization: Bearer <token>`
//! (what Prometheus's `authorization` scrape setting sends), else 401; the health checks beside
//! it stay open, since orchestrators probe them without credentials.

use std::str::FromStr;

use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::AppState;
use crate::telemetry::metrics::PoolState;

/// Where the metrics are served.
pub const METRICS_PATH: &str = "/metrics";

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The bearer token a scrape must present (`--metrics-token`). Never printed: its `Debug` is
/// redacted, and `--help` hides the environment's value.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(String);

impl FromStr for MetricsToken {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(MetricsToken(value.trim().to_owned()))
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(<redacted>)")
    }
}

impl MetricsToken {
    /// `None` for an empty value: `METRICS_TOKEN=` means no token.
    pub fn non_empty(self) -> Option<Self> {
        (!self.0.is_empty()).then_some(self)
    }

    /// Whether `presented` is this token, in time that does not depend on where they differ:
    /// both are hashed, and the digests compared whole.
    fn matches(&self, presented: &[u8]) -> bool {
        let expected = Sha256::digest(self.0.as_bytes());
        let given = Sha256::digest(presented);
        expected.iter().zip(given.iter()).fold(0u8, |differ, (a, b)| differ | (a ^ b)) == 0
    }
}

/// The metrics route.
pub fn router() -> Router<AppState> {
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
    fn the_token_is_never_printed_and_matches_only_itself() {
        let token: MetricsToken = "s3cret-scrape".parse().unwrap();
        assert!(!format!("{token:?}").contains("s3cret"));
        assert!(token.matches(b"s3cret-scrape"));
        for wrong in [&b"s3cret-scrapf"[..], b"s3cret", b"", b"s3cret-scrape "] {
            assert!(!token.matches(wrong), "{wrong:?}");
        }
        assert_eq!("  ".parse::<MetricsToken>().unwrap().non_empty(), None);
    }

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
