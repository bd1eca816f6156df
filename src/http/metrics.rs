//! `GET /metrics` on the management listener: the registry in the Prometheus (OpenMetrics)
//! text format, with the pool and fold gauges read at scrape time.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::AppState;
use crate::telemetry::metrics::PoolState;

/// Where the metrics are served.
pub const METRICS_PATH: &str = "/metrics";

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The metrics route.
pub fn router() -> Router<AppState> {
    Router::new().route(METRICS_PATH, get(metrics))
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let metrics = &state.metrics;
    let open = i64::from(state.pool.size());
    let idle = i64::try_from(state.pool.num_idle()).unwrap_or(i64::MAX);
    let max = i64::from(state.pool.options().get_max_connections());
    metrics.pool_connections.get_or_create(&PoolState { state: "open" }).set(open);
    metrics.pool_connections.get_or_create(&PoolState { state: "idle" }).set(idle);
    metrics.pool_connections.get_or_create(&PoolState { state: "max" }).set(max);
    metrics.count_deltas_folded.set(state.fold.last_folded());
    metrics.count_fold_age.set(state.fold.age_seconds().unwrap_or(f64::NAN));
    ([(CONTENT_TYPE, OPENMETRICS)], metrics.render())
}
