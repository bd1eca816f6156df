//! One span, one log line and the metrics of every request.
//!
//! The request id is the client's `X-Request-Id` when it is well-formed (1–128 characters of
//! letters, digits, `-`, `_`, `.`, `:`), else a new uuid; it is echoed in the response and is a
//! field of the request's span, so it is on every log line the request writes (the handler's
//! task runs inside the span: `guard`). Spans and lines carry the route *template*, never the
//! raw path or query string, so neither ids nor an `x-auth-token` reach the logs.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use uuid::Uuid;

use super::AppState;
use crate::domain::state::ALL_TRANSITIONS;
use crate::error::{AuthFailure, DatabaseErrorKind, Unavailable};
use crate::telemetry::metrics::{
    status_class, ErrorKind, Metrics, Reason, RequestLabels, RouteLabels, TransitionLabels,
};

/// The request-id header, in and out.
pub const REQUEST_ID: &str = "x-request-id";

/// Where the `Caller` extractor leaves the authenticated user's uuid for the log line.
#[derive(Debug, Clone, Default)]
pub struct AuthenticatedUser(Arc<OnceLock<Uuid>>);

impl AuthenticatedUser {
    /// Records who the request authenticated as.
    pub fn set(&self, uuid: Uuid) {
        let _ = self.0.set(uuid);
    }
}

/// Middleware: request id, span, metrics and the request's log line.
pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = route_label(request.extensions().get::<MatchedPath>().map(MatchedPath::as_str));
    let method = request.method().clone();
    let request_id = request_id(request.headers().get(REQUEST_ID));
    let probe = is_probe(&route);
    let user = AuthenticatedUser::default();
    request.extensions_mut().insert(user.clone());
    let span = tracing::info_span!("request", request_id = %request_id, method = %method, route = %route);

    let record = state.settings.record_metrics;
    if record {
        state.metrics.in_flight.inc();
    }
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    if record {
        state.metrics.in_flight.dec();
        count(&state.metrics, route, method, status, elapsed.as_secs_f64(), &response);
    }
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| match user.0.get() {
        Some(user) => tracing::info!(status, latency_ms, user = %user.simple(), "request"),
        // Probes and scrapes come every few seconds: at info they would bury the requests.
        None if probe && status < 500 => tracing::debug!(status, latency_ms, "request"),
        None => tracing::info!(status, latency_ms, "request"),
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// Counts a finished request: by route, method and status; its latency; a state action's
/// outcome; and what the response says of 503s, database errors and failed tokens.
fn count(metrics: &Metrics, route: String, method: Method, status: u16, seconds: f64, response: &Response) {
    if method == Method::POST {
        if let Some(action) = transition_action(&route) {
            metrics.transitions.get_or_create(&TransitionLabels { action, outcome: status }).inc();
        }
    }
    if let Some(why) = response.extensions().get::<Unavailable>() {
        metrics.unavailable.get_or_create(&Reason { reason: why.label() }).inc();
    }
    if let Some(kind) = response.extensions().get::<DatabaseErrorKind>() {
        metrics.database_errors.get_or_create(&ErrorKind { kind: kind.label() }).inc();
    }
    if let Some(AuthFailure(reason)) = response.extensions().get::<AuthFailure>() {
        metrics.auth_failures.get_or_create(&Reason { reason }).inc();
    }
    let labels = RouteLabels { route, method: method.as_str().to_owned() };
    metrics.latency.get_or_create(&labels).observe(seconds);
    let RouteLabels { route, method } = labels;
    metrics.requests.get_or_create(&RequestLabels { route, method, status: status_class(status) }).inc();
}

/// The route template as the API documents it: API paths with their trailing slash (each is
/// routed with and without it), others without; `unmatched` when no route matched.
fn route_label(matched: Option<&str>) -> String {
    match matched {
        None => "unmatched".to_owned(),
        Some(path) if path.starts_with("/api/") && !path.ends_with('/') => format!("{path}/"),
        Some(path) if !path.starts_with("/api/") && path.len() > 1 => path.trim_end_matches('/').to_owned(),
        Some(path) => path.to_owned(),
    }
}

/// Health checks and metrics scrapes: logged at debug.
fn is_probe(route: &str) -> bool {
    matches!(route, "/health/live" | "/health/ready" | "/metrics")
}

/// The client's request id if it is well-formed, else a new one.
fn request_id(given: Option<&HeaderValue>) -> String {
    let well_formed = |id: &str| {
        (1..=128).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    };
    match given.and_then(|v| v.to_str().ok()) {
        Some(id) if well_formed(id) => id.to_owned(),
        _ => Uuid::new_v4().simple().to_string(),
    }
}

/// The state action a route template runs, if it is one.
fn transition_action(route: &str) -> Option<&'static str> {
    let action = route.strip_prefix("/api/marketplace-offering-users/{uuid}/")?.strip_suffix('/')?;
    ALL_TRANSITIONS.iter().map(|t| t.action()).find(|a| *a == action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_taken_when_well_formed_and_made_otherwise() {
        let taken = |v: &str| request_id(Some(&HeaderValue::from_str(v).unwrap()));
        assert_eq!(taken("abc-123_x.y:z"), "abc-123_x.y:z");
        for bad in ["", "has space", "quote\"", &"x".repeat(129), "tab\there"] {
            let made = taken(bad);
            assert_ne!(made, bad);
            assert_eq!(made.len(), 32, "a fresh uuid for {bad:?}");
        }
        assert_eq!(request_id(None).len(), 32);
    }

    #[test]
    fn route_labels_are_the_documented_templates() {
        let table = [
            (Some("/api/marketplace-offering-users/{uuid}"), "/api/marketplace-offering-users/{uuid}/"),
            (Some("/api/marketplace-offering-users/{uuid}/"), "/api/marketplace-offering-users/{uuid}/"),
            (Some("/health/live/"), "/health/live"),
            (Some("/metrics"), "/metrics"),
            (None, "unmatched"),
        ];
        for (matched, label) in table {
            assert_eq!(route_label(matched), label);
        }
    }

    #[test]
    fn transition_routes_name_their_action() {
        assert_eq!(transition_action("/api/marketplace-offering-users/{uuid}/set_ok/"), Some("set_ok"));
        assert_eq!(transition_action("/api/marketplace-offering-users/{uuid}/update_restricted/"), None);
        assert_eq!(transition_action("/api/marketplace-offering-users/"), None);
    }
}
