//! One span, one log line and the metrics of every request, also of one whose client went
//! away before it was answered.
//!
//! Every field of the span and every label is from a closed set, never the client's text:
//! - `method`: the nine standard methods or `other` ([`MethodLabel`]);
//! - `route`: the route *template* the router matched, or `unmatched` — never the raw path or
//!   query string, so neither ids nor an `x-auth-token` reach the logs;
//! - `request_id`: the client's `X-Request-Id` only when it is well-formed, 1–128 characters of
//!   `[A-Za-z0-9._:-]` (bounded and of a closed character set, so safe as a field), else a new
//!   uuid. It is echoed in the response and is on every log line the request writes (the
//!   handler's task runs inside the span: `guard`).
//!
//! **Failures.** A failed response carries its `FailureReport` (`error`): the line names the
//! closed-set `error_kind` and, for a failure of ours, the source error's text (`error`,
//! bounded). The line is written at `warn` for a 503, `error` for any other 5xx, `info`
//! otherwise.
//! This is the only place a request's failure is logged; the conversions into responses do
//! not log.
//!
//! **Disconnects.** When a client closes its connection before the answer, hyper drops this
//! middleware's future wherever it waits. The request's bookkeeping is therefore an RAII
//! guard ([`InFlight`]): dropped unanswered, it still takes the request out of
//! `http_requests_in_flight`, counts it with status 499 (nginx's "client closed request")
//! and writes its log line with `status=499 outcome="client_disconnected"`. The handler itself
//! may still run to its end on its own task (`guard`); what it answers no one reads.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::{Instrument, Span};
use uuid::Uuid;

use super::AppState;
use crate::domain::state::ALL_TRANSITIONS;
use crate::error::{AuthFailure, DatabaseErrorKind, FailureReport, Unavailable};
use crate::telemetry::metrics::{
    status_class, ErrorKind, MethodLabel, Metrics, Reason, RequestLabels, RouteLabels, TransitionLabels,
};

/// The request-id header, in and out.
pub const REQUEST_ID: &str = "x-request-id";

/// The status a request is counted and logged with when its client went away before the
/// answer (nginx's convention; no response carries it).
pub const CLIENT_CLOSED_REQUEST: u16 = 499;

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
    let route = route_label(request.extensions().get::<MatchedPath>().map(MatchedPath::as_str));
    let method = MethodLabel::of(request.method());
    let request_id = request_id(request.headers().get(REQUEST_ID));
    let probe = is_probe(&route);
    let user = AuthenticatedUser::default();
    request.extensions_mut().insert(user.clone());
    let span = tracing::info_span!("request", request_id = %request_id, method = %method.as_str(), route = %route);
    let metrics = state.settings.record_metrics.then(|| state.metrics.clone());
    let in_flight = InFlight::start(metrics, span.clone(), route, method, user, probe);
    let mut response = next.run(request).instrument(span).await;
    in_flight.answered(&response);
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// A request in progress: counted in `http_requests_in_flight` from [`InFlight::start`] until
/// dropped, whether after [`InFlight::answered`] or, when the client went away, unanswered.
struct InFlight {
    /// `None` when metrics are not recorded (no management listener).
    metrics: Option<Arc<Metrics>>,
    span: Span,
    route: String,
    method: MethodLabel,
    user: AuthenticatedUser,
    /// A health probe or a metrics scrape: logged at debug unless it fails.
    probe: bool,
    started: Instant,
    answered: bool,
}

impl InFlight {
    fn start(
        metrics: Option<Arc<Metrics>>,
        span: Span,
        route: String,
        method: MethodLabel,
        user: AuthenticatedUser,
        probe: bool,
    ) -> Self {
        if let Some(metrics) = &metrics {
            metrics.in_flight.inc();
        }
        InFlight { metrics, span, route, method, user, probe, started: Instant::now(), answered: false }
    }

    /// Counts and logs the answer; the drop that follows leaves the gauge.
    fn answered(mut self, response: &Response) {
        self.answered = true;
        self.finish(response.status().as_u16(), Some(response));
    }

    fn finish(&self, status: u16, response: Option<&Response>) {
        let seconds = self.started.elapsed().as_secs_f64();
        if let Some(metrics) = &self.metrics {
            count(metrics, &self.route, self.method, status, seconds, response);
        }
        let latency_ms = seconds * 1000.0;
        let user = self.user.0.get().map(|user| tracing::field::display(user.simple()));
        let outcome = response.is_none().then_some("client_disconnected");
        let failure = response.and_then(|r| r.extensions().get::<FailureReport>());
        let error_kind = failure.map(|f| f.kind.label());
        let error = failure.and_then(|f| f.source.as_deref());
        // The one line of the request; fields that are `None` are left out.
        macro_rules! request_line {
            ($level:ident) => {
                tracing::$level!(status, outcome, latency_ms, user, error_kind, error, "request")
            };
        }
        self.span.in_scope(|| match status {
            503 => request_line!(warn),
            500..=599 => request_line!(error),
            // Probes and scrapes come every few seconds: at info they would bury the requests.
            _ if self.probe && response.is_some() => request_line!(debug),
            _ => request_line!(info),
        });
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if !self.answered {
            self.finish(CLIENT_CLOSED_REQUEST, None);
        }
        if let Some(metrics) = &self.metrics {
            metrics.in_flight.dec();
        }
    }
}

/// Counts a finished request: by route, method and status; its latency; a state action's
/// outcome; and what the response (absent when the client went away) says of 503s, database
/// errors and failed tokens.
fn count(metrics: &Metrics, route: &str, method: MethodLabel, status: u16, seconds: f64, response: Option<&Response>) {
    if method == MethodLabel::Post {
        if let Some(action) = transition_action(route) {
            metrics.transitions.get_or_create(&TransitionLabels { action, outcome: status }).inc();
        }
    }
    if let Some(extensions) = response.map(Response::extensions) {
        if let Some(why) = extensions.get::<Unavailable>() {
            metrics.unavailable.get_or_create(&Reason { reason: why.label() }).inc();
        }
        if let Some(kind) = extensions.get::<DatabaseErrorKind>() {
            metrics.database_errors.get_or_create(&ErrorKind { kind: kind.label() }).inc();
        }
        if let Some(AuthFailure(reason)) = extensions.get::<AuthFailure>() {
            metrics.auth_failures.get_or_create(&Reason { reason }).inc();
        }
    }
    let route = route.to_owned();
    metrics.latency.get_or_create(&RouteLabels { route: route.clone(), method }).observe(seconds);
    metrics.requests.get_or_create(&RequestLabels { route, method, status: status_class(status) }).inc();
}

/// The route template as the API documents it: API paths with their trailing slash (each is
/// routed with and without it), others without; `unmatched` when no route matched. A closed
/// set: the router's own templates.
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
