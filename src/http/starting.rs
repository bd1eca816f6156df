//! What the listeners answer before the server is ready, and the switch to the real router.
//!
//! `serve` binds its listeners before it has a database: an orchestrator's liveness probe
//! must not kill a server that waits for PostgreSQL or migrates a large table. Until the
//! start-up is done, `/health/live` answers 200, `/health/ready` 503 with the step under way
//! (`lifecycle::startup`), and everything else 503 with `Retry-After`. Then [`Switch`] hands
//! every request to the router the server was built with, once and for good.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower::util::Oneshot;
use tower::{Service, ServiceExt};

use super::health::{live, readiness_response, LIVE_PATH, READY_PATH};
use crate::error::{ApiError, Unavailable};
use crate::lifecycle::startup::StartupStatus;

/// The start-up's router: the health checks, and 503 for the rest.
pub fn router(status: StartupStatus) -> Router {
    Router::new()
        .route(LIVE_PATH, get(live))
        .route(&format!("{LIVE_PATH}/"), get(live))
        .route(READY_PATH, get(ready))
        .route(&format!("{READY_PATH}/"), get(ready))
        .fallback(|| async { ApiError::Unavailable(Unavailable::Database).into_response() })
        .with_state(status)
}

async fn ready(State(status): State<StartupStatus>) -> Response {
    readiness_response(&status.readiness())
}

/// Sends each request to the serving router once it is set, to the start-up's until then.
#[derive(Clone)]
pub struct Switch {
    starting: Router,
    serving: Arc<OnceLock<Router>>,
}

impl Switch {
    /// A switch from `starting` to what `serving` will hold.
    pub fn new(starting: Router, serving: Arc<OnceLock<Router>>) -> Self {
        Switch { starting, serving }
    }

    /// The switch as a router, for the accept loop.
    pub fn into_router(self) -> Router {
        Router::new().fallback_service(self)
    }
}

impl Service<Request> for Switch {
    type Response = Response;
    type Error = Infallible;
    type Future = Oneshot<Router, Request>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        self.serving.get().unwrap_or(&self.starting).clone().oneshot(request)
    }
}
