//! The server's metrics, served in the Prometheus (OpenMetrics) text format at `/metrics` on
//! the management listener.
//!
//! One registry per server (not a global recorder), so that each test's router counts only
//! its own requests. Every label takes its values from a closed set, never from client text:
//! routes are the router's templates (or `unmatched`), methods the nine standard ones or
//! `other` ([`MethodLabel`]), statuses their class; so the number of series stays bounded
//! whatever clients send.
//!
//! Also the [`MetricsToken`] a scrape must present: the command line parses it (`config`) and
//! the route checks it (`http::metrics`), so it sits here, below both.

use std::sync::atomic::AtomicU64;

use axum::http::Method;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};

/// Upper bounds of the latency buckets, in seconds: half a millisecond to ten seconds.
const LATENCY_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// A request's route, method and status class.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub method: MethodLabel,
    pub status: &'static str,
}

/// A route and method.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
    pub method: MethodLabel,
}

/// A request's method as metrics and logs name it: one of the nine methods of RFC 9110
/// (§9.3) and RFC 5789, or `other` for any extension method a client makes up (hyper accepts
/// any token, so the method's own text would be an unbounded label and log field).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum MethodLabel {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    Trace,
    Connect,
    Other,
}

impl MethodLabel {
    /// The label of `method`.
    pub fn of(method: &Method) -> Self {
        match *method {
            Method::GET => MethodLabel::Get,
            Method::HEAD => MethodLabel::Head,
            Method::POST => MethodLabel::Post,
            Method::PUT => MethodLabel::Put,
            Method::PATCH => MethodLabel::Patch,
            Method::DELETE => MethodLabel::Delete,
            Method::OPTIONS => MethodLabel::Options,
            Method::TRACE => MethodLabel::Trace,
            Method::CONNECT => MethodLabel::Connect,
            _ => MethodLabel::Other,
        }
    }

    /// `GET` … `CONNECT`, or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            MethodLabel::Get => "GET",
            MethodLabel::Head => "HEAD",
            MethodLabel::Post => "POST",
            MethodLabel::Put => "PUT",
            MethodLabel::Patch => "PATCH",
            MethodLabel::Delete => "DELETE",
            MethodLabel::Options => "OPTIONS",
            MethodLabel::Trace => "TRACE",
            MethodLabel::Connect => "CONNECT",
            MethodLabel::Other => "other",
        }
    }
}

impl EncodeLabelValue for MethodLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        std::fmt::Write::write_str(encoder, self.as_str())
    }
}

/// `1xx` … `5xx`.
pub fn status_class(status: u16) -> &'static str {
    match status / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

/// One label, `reason` or `kind`, with a fixed set of values.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Reason {
    pub reason: &'static str,
}

/// The database error kinds counted.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorKind {
    pub kind: &'static str,
}

/// A state action and how it ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TransitionLabels {
    pub action: &'static str,
    pub outcome: u16,
}

/// How a web-hook delivery attempt ended: `delivered` (a 2xx), `failed` (no answer or
/// another status; retried), `refused` (the destination resolved to a private address;
/// retried), `dropped` (the owner may not see the event now, or is gone: not sent).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeliveryOutcome {
    pub outcome: &'static str,
}

/// Pool connections by state.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolState {
    pub state: &'static str,
}

/// How one publish to RabbitMQ ended, or one attempt to reach it: a label with a fixed set of
/// values (`amqp::publisher` names them).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Outcome {
    pub outcome: &'static str,
}

/// The RabbitMQ publisher's counters; handles onto the server's registry (or, unregistered, a
/// publisher's own, as tests make them).
#[derive(Clone, Debug, Default)]
pub struct AmqpMetrics {
    /// Publishes by outcome: `confirmed`, `unroutable` (confirmed, no queue bound), `nacked`,
    /// `timeout`, `failed` (connection lost or refused, channel closed).
    pub published: Family<Outcome, Counter>,
    /// Attempts to (re)connect by outcome: `connected`, `failed`.
    pub connects: Family<Outcome, Counter>,
}

/// Every metric the server keeps.
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<RouteLabels, Histogram>,
    pub in_flight: Gauge,
    pub unavailable: Family<Reason, Counter>,
    pub pool_connections: Family<PoolState, Gauge>,
    pub pool_waiting: Gauge,
    pub database_errors: Family<ErrorKind, Counter>,
    pub count_deltas_folded: Gauge,
    pub count_fold_age: Gauge<f64, AtomicU64>,
    pub transitions: Family<TransitionLabels, Counter>,
    pub auth_failures: Family<Reason, Counter>,
    pub webhook_deliveries: Family<DeliveryOutcome, Counter>,
    pub webhook_outbox_depth: Gauge,
    pub webhook_pending_deliveries: Gauge,
    pub webhook_oldest_undelivered_age: Gauge<f64, AtomicU64>,
    pub amqp: AmqpMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every metric registered at zero.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by route template, method and status class",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response, by route template and method",
            latency.clone(),
        );
        let in_flight = Gauge::default();
        registry.register("http_requests_in_flight", "Requests in progress", in_flight.clone());
        let unavailable = Family::<Reason, Counter>::default();
        registry.register(
            "http_requests_unavailable",
            "Requests answered 503: shed (overloaded), database unreachable, or timed out",
            unavailable.clone(),
        );
        let pool_connections = Family::<PoolState, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Pool connections: open, idle, and the pool's maximum",
            pool_connections.clone(),
        );
        let pool_waiting = Gauge::default();
        registry.register("db_pool_waiting", "Requests waiting for a pool connection", pool_waiting.clone());
        let database_errors = Family::<ErrorKind, Counter>::default();
        registry.register(
            "db_errors",
            "Database errors met by requests: unreachable, read_only, pool_timeout, too_many_connections, timeout (statement or idle transaction), other",
            database_errors.clone(),
        );
        let count_deltas_folded = Gauge::default();
        registry.register(
            "offering_user_count_deltas_folded",
            "Count deltas pending at the last fold of this server (folded by it)",
            count_deltas_folded.clone(),
        );
        let count_fold_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "offering_user_count_fold_age_seconds",
            "Seconds since this server's last successful fold of the count deltas",
            count_fold_age.clone(),
        );
        let transitions = Family::<TransitionLabels, Counter>::default();
        registry.register(
            "offering_user_transitions",
            "State actions by action and outcome (200, 400, 403, 404, …)",
            transitions.clone(),
        );
        let auth_failures = Family::<Reason, Counter>::default();
        registry.register("auth_failures", "Token authentication failures, by reason", auth_failures.clone());
        let webhook_deliveries = Family::<DeliveryOutcome, Counter>::default();
        registry.register(
            "webhook_deliveries",
            "Web-hook delivery attempts of this server, by outcome: delivered, failed, refused, dropped",
            webhook_deliveries.clone(),
        );
        for outcome in ["delivered", "failed", "refused", "dropped"] {
            let _ = webhook_deliveries.get_or_create(&DeliveryOutcome { outcome });
        }
        let webhook_outbox_depth = Gauge::default();
        registry.register(
            "webhook_outbox_depth",
            "Events in the web-hook sink's outbox, not yet fanned out to hooks",
            webhook_outbox_depth.clone(),
        );
        let webhook_pending_deliveries = Gauge::default();
        registry.register(
            "webhook_pending_deliveries",
            "Web-hook deliveries not yet acknowledged by their receiver",
            webhook_pending_deliveries.clone(),
        );
        let webhook_oldest_undelivered_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "webhook_oldest_undelivered_age_seconds",
            "Age of the oldest event the web-hook sink has not delivered (0 when none waits)",
            webhook_oldest_undelivered_age.clone(),
        );
        let amqp = AmqpMetrics::default();
        registry.register(
            "amqp_published",
            "Offering-user changes published to RabbitMQ, by outcome (confirmed, unroutable, nacked, timeout, failed)",
            amqp.published.clone(),
        );
        registry.register(
            "amqp_connects",
            "Attempts to (re)connect to RabbitMQ, by outcome (connected, failed)",
            amqp.connects.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            in_flight,
            unavailable,
            pool_connections,
            pool_waiting,
            database_errors,
            count_deltas_folded,
            count_fold_age,
            transitions,
            auth_failures,
            webhook_deliveries,
            webhook_outbox_depth,
            webhook_pending_deliveries,
            webhook_oldest_undelivered_age,
            amqp,
        }
    }

    /// The registry in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The bearer token a scrape must present (`--metrics-token`). Never printed: its `Debug` is
/// redacted, and `--help` hides the environment's value.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(String);

impl std::str::FromStr for MetricsToken {
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
    pub fn matches(&self, presented: &[u8]) -> bool {
        let expected = Sha256::digest(self.0.as_bytes());
        let given = Sha256::digest(presented);
        expected.iter().zip(given.iter()).fold(0u8, |differ, (a, b)| differ | (a ^ b)) == 0
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
    fn standard_methods_are_named_and_any_other_is_other() {
        for name in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"] {
            assert_eq!(MethodLabel::of(&Method::from_bytes(name.as_bytes()).unwrap()).as_str(), name);
        }
        for made_up in ["PROPFIND", "get", "BREW", &"X".repeat(2048)] {
            assert_eq!(MethodLabel::of(&Method::from_bytes(made_up.as_bytes()).unwrap()), MethodLabel::Other);
        }
    }

    #[test]
    fn a_made_up_method_is_counted_as_other() {
        let metrics = Metrics::new();
        for made_up in ["PROPFIND", "BREW"] {
            let method = MethodLabel::of(&Method::from_bytes(made_up.as_bytes()).unwrap());
            let labels = RequestLabels { route: "unmatched".into(), method, status: "4xx" };
            metrics.requests.get_or_create(&labels).inc();
        }
        let text = metrics.render();
        assert!(text.contains(r#"http_requests_total{route="unmatched",method="other",status="4xx"} 2"#), "{text}");
        assert!(!text.contains("PROPFIND") && !text.contains("BREW"), "{text}");
    }
}
