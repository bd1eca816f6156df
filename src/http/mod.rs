//! axum only: the router, extractors, pagination, one module per resource.

pub mod auth;
pub mod body;
mod body_watch;
pub mod commit_gate;
mod cors;
mod docs;
mod events;
mod guard;
mod health;
mod hosts;
pub mod json_bound;
mod metrics;
pub mod observe;
pub mod offering_users;
pub mod openapi;
pub mod pagination;
pub mod path_uuid;
mod provider_offerings;
pub mod public;
pub mod request;
mod retry;
mod routes;
pub mod starting;
mod static_body;
mod users;
mod web_hooks;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres, Transaction};
use tokio::sync::Semaphore;

use crate::config::{AmqpArgs, ServeArgs};
use crate::db::monitor::DatabaseStatus;
use crate::domain::user_attributes::DEFAULT_EXPOSED;
use crate::error::ApiError;
use crate::store::counters::FoldProgress;
use crate::telemetry::metrics::{Metrics, MetricsToken};
use crate::webhooks::worker::DeliverySettings;
use body::BodyBudget;

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    /// Whether PostgreSQL answers, as the outage monitor last found.
    pub database: DatabaseStatus,
    /// One permit per request in progress (`Settings::max_in_flight`).
    pub in_flight: Arc<Semaphore>,
    /// Large bodies held in memory at once (`Settings::large_body_budget`).
    pub body_budget: BodyBudget,
    /// What `/metrics` serves.
    pub metrics: Arc<Metrics>,
    /// What the background count fold has done (a gauge of `/metrics`).
    pub fold: Arc<FoldProgress>,
}

/// Behaviour switches and bounds, from the command line (`config::ServeArgs`).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `ENFORCE_USER_CONSENT_FOR_OFFERINGS` (docs/spec/decisions.md 9; default on).
    pub enforce_user_consent: bool,
    /// `ENFORCE_OFFERING_USER_PROFILE_COMPLETENESS` (docs/spec/offering-users-2026.md §4.5; default off).
    pub enforce_profile_completeness: bool,
    /// `DEFAULT_OFFERING_USER_ATTRIBUTES`: the exposure of an offering without an explicit
    /// config (§4.3), as names in the setting's order.
    pub default_user_attributes: Vec<&'static str>,
    /// Largest body of every route but `submit_answers`.
    pub max_body_size: usize,
    /// Ceiling of a `submit_answers` body, whatever its checklist allows.
    pub max_submit_body_size: usize,
    /// Bytes of large bodies (`submit_answers`) held in memory at once, server-wide.
    pub large_body_budget: usize,
    /// Bytes of uploaded files one checklist completion may hold.
    pub checklist_files_quota: usize,
    /// The root of every hyperlink when set; else the request's host.
    pub public_url: Option<url::Url>,
    /// `Host` values served; empty serves any.
    pub allowed_hosts: Vec<String>,
    /// Whether `X-Forwarded-Proto` / `X-Forwarded-Host` may shape hyperlinks.
    pub trust_forwarded_headers: bool,
    /// Time a request may take before it is answered 503.
    pub request_timeout: Duration,
    /// Requests in progress at most before new ones are shed with 503.
    pub max_in_flight: usize,
    /// Origins whose pages may call the API from a browser (`cors`); empty: no CORS headers.
    pub cors_allowed_origins: Vec<String>,
    /// Whether requests are counted in the metrics (off when no management listener serves
    /// them).
    pub record_metrics: bool,
    /// Time a request body may pause between two reads before the request is answered 408.
    pub body_read_timeout: Duration,
    /// Time a request past its commit gate is still waited for once its deadline has come,
    /// before it is answered 500 "outcome unknown".
    pub commit_wait: Duration,
    /// The bearer token `/metrics` requires, when set (`--metrics-token`).
    pub metrics_token: Option<MetricsToken>,
    /// How web hooks are checked and delivered (`--webhook-*`; the worker is started by
    /// `server.rs`, the destination check is also the API's).
    pub webhooks: DeliverySettings,
    /// Where offering-user changes are published (`--amqp-*`), when `--amqp-url` is given; the
    /// relay is started by `server.rs`.
    pub amqp: Option<AmqpArgs>,
}

impl Default for Settings {
    /// The defaults of the command line.
    fn default() -> Self {
        Settings {
            enforce_user_consent: true,
            enforce_profile_completeness: false,
            default_user_attributes: DEFAULT_EXPOSED.iter().map(|a| a.name()).collect(),
            max_body_size: 256 * 1024,
            max_submit_body_size: 32 * 1024 * 1024,
            large_body_budget: 64 * 1024 * 1024,
            checklist_files_quota: 64 * 1024 * 1024,
            public_url: None,
            allowed_hosts: Vec::new(),
            trust_forwarded_headers: false,
            request_timeout: Duration::from_secs(30),
            max_in_flight: 256,
            record_metrics: true,
            cors_allowed_origins: Vec::new(),
            body_read_timeout: Duration::from_secs(10),
            commit_wait: commit_wait(Duration::from_secs(10)),
            metrics_token: None,
            webhooks: DeliverySettings::default(),
            amqp: None,
        }
    }
}

impl Settings {
    /// The settings `serve` was given.
    pub fn from_args(args: &ServeArgs) -> Self {
        Settings {
            enforce_user_consent: args.enforce_user_consent,
            enforce_profile_completeness: args.enforce_profile_completeness,
            default_user_attributes: args.default_offering_user_attributes.0.iter().map(|a| a.name()).collect(),
            max_body_size: args.limits.max_body_size,
            max_submit_body_size: args.limits.max_submit_body_size,
            large_body_budget: args.limits.large_body_budget,
            checklist_files_quota: args.limits.checklist_files_quota,
            public_url: args.links.public_url.clone(),
            allowed_hosts: args.links.allowed_hosts.iter().map(|h| h.trim().to_ascii_lowercase()).collect(),
            trust_forwarded_headers: args.links.trust_forwarded_headers,
            request_timeout: args.limits.request_timeout,
            max_in_flight: args.limits.max_in_flight,
            record_metrics: !matches!(args.admin_bind.as_str(), "off" | ""),
            cors_allowed_origins: args.cors.cors_allowed_origins.iter().filter(|o| !o.is_empty()).cloned().collect(),
            body_read_timeout: args.limits.body_read_timeout,
            commit_wait: commit_wait(args.limits.statement_timeout),
            metrics_token: args.metrics_token.clone().and_then(MetricsToken::non_empty),
            webhooks: DeliverySettings::from_args(&args.webhooks, args.enforce_user_consent),
            amqp: args.amqp.amqp_url.is_some().then(|| args.amqp.clone()),
        }
    }
}

/// How long a committing request is waited for past its deadline: what PostgreSQL lets its
/// last statement run (`statement_timeout`, which also ends a one-statement state action stuck
/// on a lock), and a second for the answer to come back. Beyond it the connection itself is
/// in doubt (a network that stopped answering), and so is the outcome. A `COMMIT` is not
/// bounded by `statement_timeout` (PostgreSQL runs its deferred work with the timer off), so
/// for a slow one this wait is the only bound (`tests/api/commit_outcome.rs`).
fn commit_wait(statement_timeout: Duration) -> Duration {
    statement_timeout + Duration::from_secs(1)
}

impl AppState {
    /// State over a pool with the given settings, without an outage monitor (see
    /// [`AppState::monitored_by`]).
    pub fn new(pool: PgPool, settings: Settings) -> Self {
        let in_flight = Arc::new(Semaphore::new(settings.max_in_flight));
        let body_budget = BodyBudget::new(settings.large_body_budget);
        AppState {
            pool,
            settings: Arc::new(settings),
            database: DatabaseStatus::unmonitored(),
            in_flight,
            body_budget,
            metrics: Arc::new(Metrics::new()),
            fold: Arc::new(FoldProgress::default()),
        }
    }

    /// A pooled connection; while the pool has none to give, the request counts as waiting
    /// (`db_pool_waiting`). When none came in time, the error says why (`db::why_no_connection`).
    pub async fn connection(&self) -> sqlx::Result<PoolConnection<Postgres>> {
        let _waiting = Waiting::new(&self.metrics.pool_waiting);
        match self.pool.acquire().await {
            Err(sqlx::Error::PoolTimedOut) => Err(crate::db::why_no_connection(&self.pool).await),
            acquired => acquired,
        }
    }

    /// A transaction on a pooled connection, counted as [`AppState::connection`] is (the
    /// count includes the `BEGIN` round trip).
    pub async fn begin(&self) -> sqlx::Result<Transaction<'static, Postgres>> {
        let _waiting = Waiting::new(&self.metrics.pool_waiting);
        match self.pool.begin().await {
            Err(sqlx::Error::PoolTimedOut) => Err(crate::db::why_no_connection(&self.pool).await),
            begun => begun,
        }
    }

    /// The same state, with the database status a running monitor keeps.
    pub fn monitored_by(self, database: DatabaseStatus) -> Self {
        AppState { database, ..self }
    }
}

/// Counts a request as waiting for a connection until dropped (also when its future is).
struct Waiting<'a>(&'a prometheus_client::metrics::gauge::Gauge);

impl<'a> Waiting<'a> {
    fn new(gauge: &'a prometheus_client::metrics::gauge::Gauge) -> Self {
        gauge.inc();
        Waiting(gauge)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The whole API as a router; built without binding, so tests drive it directly. The health
/// checks and the schema sit outside the guard: they need no database connection and must
/// answer while requests are being shed.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .merge(offering_users::router())
        .merge(users::router())
        .merge(provider_offerings::router())
        .merge(events::router())
        .merge(web_hooks::router())
        .fallback(|| async { ApiError::NotFound("Not found.") })
        // Inside the guard: replays share the request's timeout and commit gate.
        .layer(axum::middleware::from_fn_with_state(state.clone(), retry::replay_conflicts))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::guard));
    // The schema's docs page is public too, outside the guard like the schema; the public
    // routes have a limit of their own instead (`public`).
    let public = Router::new().merge(health::router()).merge(openapi::router()).merge(docs::router()).layer(
        axum::middleware::from_fn_with_state(public::PublicLimit::new(public::PUBLIC_MAX_IN_FLIGHT), public::limit),
    );
    Router::new()
        .merge(public)
        .merge(api)
        .layer(axum::middleware::from_fn_with_state(state.clone(), hosts::require_allowed_host))
        // Around every route: preflights are answered before the routes' own `OPTIONS`, and
        // errors (401, 503) are readable by the allowed pages too.
        .layer(axum::middleware::from_fn_with_state(cors::policy(&state.settings), cors::cors))
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe::observe))
        .with_state(state)
}

/// The management listener's router: `/metrics` and the health checks, nothing a client of
/// the API needs, so it can stay on a private address.
pub fn admin_app(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(metrics::router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe::observe))
        .with_state(state)
}
