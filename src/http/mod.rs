//! axum only: the router, extractors, pagination, one module per resource.

pub mod auth;
mod completion;
pub mod offering_users;
pub mod openapi;
pub mod pagination;
mod provider_offerings;
pub mod request;
mod routes;
mod users;
pub mod wire;

use std::sync::Arc;

use axum::Router;
use sqlx::PgPool;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub settings: Arc<Settings>,
}

/// Behaviour switches.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `ENFORCE_USER_CONSENT_FOR_OFFERINGS` (decisions.md 9; default on).
    pub enforce_user_consent: bool,
}

impl AppState {
    /// State over a pool with the given settings.
    pub fn new(pool: PgPool, settings: Settings) -> Self {
        AppState { pool, settings: Arc::new(settings) }
    }
}

/// The whole API as a router; built without binding, so tests drive it directly.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(offering_users::router())
        .merge(users::router())
        .merge(provider_offerings::router())
        .merge(openapi::router())
        .fallback(|| async { ApiError::NotFound("Not found.") })
        .layer(axum::middleware::from_fn(completion::run_to_completion))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
