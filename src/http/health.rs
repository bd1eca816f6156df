//! `GET /health/live` and `GET /health/ready`, for load balancers and orchestrators: no
//! token, no database connection taken (readiness reads what the outage monitor last found,
//! at most a second old), so polling them every second costs nothing. Their other methods are
//! answered 405 without a token look-up either (`routes::allow_public`). While the server
//! starts (waiting for PostgreSQL, migrating) `http::starting` answers them instead.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::routes::{allow_public, both};
use super::AppState;
use crate::db::monitor::Readiness;

/// Liveness: the process serves requests.
pub(super) const LIVE_PATH: &str = "/health/live";
/// Readiness: PostgreSQL answers and every migration this binary knows is applied.
pub(super) const READY_PATH: &str = "/health/ready";

/// The two health routes.
pub(super) fn router() -> Router<AppState> {
    // `both` answers the path with and without a trailing slash.
    let r = both(Router::new(), &format!("{LIVE_PATH}/"), allow_public("GET, HEAD, OPTIONS", get(live)));
    both(r, &format!("{READY_PATH}/"), allow_public("GET, HEAD, OPTIONS", get(ready)))
}

/// 200 whenever the process serves, start-up included.
pub(super) async fn live() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// 200 when ready; 503 naming the check that failed. A schema migrated further by a newer
/// release counts as ready (rolling upgrades): only migrations this binary knows are checked.
async fn ready(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    readiness_response(&state.database.readiness())
}

/// The readiness answer for `readiness`: the same body whether it comes from the outage
/// monitor or from the start-up (`http::starting`).
pub(super) fn readiness_response(readiness: &Readiness) -> Response {
    let check = |result: &Result<(), String>| match result {
        Ok(()) => json!("ok"),
        Err(reason) => json!(reason),
    };
    let body = json!({
        "status": if readiness.is_ready() { "ok" } else { "unavailable" },
        "checks": {"database": check(&readiness.database), "migrations": check(&readiness.migrations)},
    });
    let status = if readiness.is_ready() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}
