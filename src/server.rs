//! The server as a process runs it: the router on a listener, with the connection-level
//! bounds axum's own `serve` does not set, and the background work beside it.
//!
//! - Each connection has `header_read_timeout` to send a request's headers, the first one's
//!   and every later one's on a kept-alive connection: a client that connects and then sends
//!   nothing, or half a request line, is closed after it. (hyper's timer does this; without a
//!   timer, as under `axum::serve`, it never fires.) HTTP/1.1 only: the auto-detecting HTTP/2
//!   path of hyper-util waits for a connection's first bytes without any timeout.
//! - At most `max_connections` are open; one more is answered 503 and closed at once.
//! - A connection's read buffer holds at most [`READ_BUFFER_LIMIT`] (headers beyond: 431).
//! - A response the client stops reading is given up after `write_timeout` without progress
//!   (`write_timeout`), and its connection closed.
//! - The listeners serve from the start: until the database is ready, the start-up's router
//!   answers (`http::starting`), then the API's.
//! - Shutdown has one deadline, `shutdown_timeout` after the signal, for everything: the
//!   listeners close and in-flight requests finish, then the background tasks (outage monitor,
//!   count fold, web-hook delivery: it claims nothing more and waits for its attempts in
//!   flight; the AMQP relay, `amqp_relay.rs`: it gives up a publish in progress, whose outbox
//!   row stays) stop, then the pool closes, each given only what is left of it (a task still
//!   running at the deadline is cancelled); the caller stops the embedded cluster in the rest.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

mod amqp_relay;

use crate::amqp;
use crate::config::LimitArgs;
use crate::db::monitor;
use crate::error::Unavailable;
use crate::http::starting::{self, Switch};
use crate::http::{admin_app, app, AppState, Settings};
use crate::lifecycle::startup::{Phase, StartupStatus};
use crate::store::counters;
use crate::webhooks::worker;

/// Connections of the web-hook worker's own pool: each delivery holds one only while it reads
/// the event and while it records the answer, never while the receiver is waited for.
const WEBHOOK_POOL_SIZE: u32 = 4;
/// Connections of the AMQP relay's own pool: a round holds one while it publishes.
const AMQP_POOL_SIZE: u32 = 2;
use crate::write_timeout::WriteTimeout;

/// The connection-level bounds.
#[derive(Debug, Clone, Copy)]
pub struct Transport {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_timeout: Duration,
    /// How long a write may wait for a client that stopped reading (`write_timeout`).
    pub write_timeout: Duration,
}

impl Default for Transport {
    /// The defaults of the command line (`config::LimitArgs`).
    fn default() -> Self {
        Transport {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1000,
            shutdown_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
        }
    }
}

impl Transport {
    /// The bounds `serve` was given.
    pub fn from_args(limits: &LimitArgs) -> Self {
        Transport {
            header_read_timeout: limits.header_read_timeout,
            max_connections: limits.max_connections,
            shutdown_timeout: limits.shutdown_timeout,
            write_timeout: limits.write_timeout,
        }
    }
}

/// Where the server listens: the API, and optionally the management listener (`/metrics`
/// and the health checks).
pub struct Listeners {
    pub api: TcpListener,
    pub admin: Option<TcpListener>,
}

/// What the server runs on once its database is ready.
pub struct Ready {
    /// The API's pool.
    pub pool: PgPool,
    /// Options of the background tasks' own connections (outage monitor, count fold).
    pub options: PgConnectOptions,
    /// Bound on each of their connection attempts.
    pub connect_timeout: Duration,
}

/// Serves the API over `pool` until `shutdown` resolves, with the outage monitor and the count
/// fold running beside it (both on connections of their own, made from `options`); returns
/// when all of them have stopped, within `transport.shutdown_timeout` of the signal.
pub async fn run(
    pool: PgPool,
    options: PgConnectOptions,
    settings: Settings,
    transport: Transport,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send,
) {
    let ready = Ready { pool, options, connect_timeout: crate::db::url::DEFAULT_CONNECT_TIMEOUT };
    let routers = Routers::new(StartupStatus::default());
    // Ready before the first connection is accepted: no request sees the start-up's router.
    let running = Running::start(ready, settings, &routers);
    let servers = Servers::start(listeners, &routers, transport);
    shutdown.await;
    let deadline = Instant::now() + transport.shutdown_timeout;
    servers.stop(deadline).await;
    running.stop(deadline).await;
}

/// Binds nothing (the listeners are bound already) and serves at once: until `ready` resolves
/// (the database reachable and migrated, `lifecycle::startup`) the start-up's router answers,
/// reporting `status`; then the API, as [`run`] serves it, until `shutdown` resolves. Returns
/// the shutdown's deadline (the signal plus `transport.shutdown_timeout`), by which the caller
/// should be done too, or `ready`'s error, once the listeners are closed.
pub async fn start_and_run<E>(
    status: StartupStatus,
    ready: impl Future<Output = Result<Ready, E>>,
    settings: Settings,
    transport: Transport,
    listeners: Listeners,
    shutdown: impl Future<Output = ()>,
) -> Result<Instant, E> {
    let routers = Routers::new(status);
    let servers = Servers::start(listeners, &routers, transport);
    tokio::pin!(shutdown);
    let ready = tokio::select! {
        ready = ready => ready,
        _ = &mut shutdown => {
            let deadline = Instant::now() + transport.shutdown_timeout;
            servers.stop(deadline).await;
            return Ok(deadline);
        }
    };
    let ready = match ready {
        Ok(ready) => ready,
        Err(e) => {
            servers.stop(Instant::now() + transport.shutdown_timeout).await;
            return Err(e);
        }
    };
    let running = Running::start(ready, settings, &routers);
    routers.status.set(Phase::Ready);
    shutdown.await;
    let deadline = Instant::now() + transport.shutdown_timeout;
    servers.stop(deadline).await;
    running.stop(deadline).await;
    Ok(deadline)
}

/// The routers of both listeners: the start-up's, then, once set, the serving ones.
struct Routers {
    status: StartupStatus,
    api: Arc<OnceLock<Router>>,
    admin: Arc<OnceLock<Router>>,
}

impl Routers {
    fn new(status: StartupStatus) -> Self {
        Routers { status, api: Arc::default(), admin: Arc::default() }
    }

    fn switch(&self, serving: &Arc<OnceLock<Router>>) -> Router {
        Switch::new(starting::router(self.status.clone()), serving.clone()).into_router()
    }
}

/// The accept loops of both listeners.
struct Servers {
    serving: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Servers {
    fn start(listeners: Listeners, routers: &Routers, transport: Transport) -> Self {
        let serving = CancellationToken::new();
        let mut tasks = vec![tokio::spawn(serve(
            listeners.api,
            routers.switch(&routers.api),
            transport,
            serving.clone().cancelled_owned(),
        ))];
        if let Some(admin) = listeners.admin {
            let router = routers.switch(&routers.admin);
            tasks.push(tokio::spawn(serve(admin, router, transport, serving.clone().cancelled_owned())));
        }
        Servers { serving, tasks }
    }

    /// Closes the listeners and lets requests in progress finish, until `deadline` at most.
    async fn stop(self, deadline: Instant) {
        self.serving.cancel();
        finish_by(deadline, self.tasks, "requests still running at the shutdown deadline; stopping anyway").await;
    }
}

/// The serving side: the pool, and the background tasks beside it.
struct Running {
    pool: PgPool,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Starts the outage monitor, the count fold, the web-hook worker and, with `--amqp-url`,
    /// the AMQP relay, and sets the serving routers.
    fn start(ready: Ready, settings: Settings, routers: &Routers) -> Self {
        let stop = CancellationToken::new();
        let (monitor, database) = monitor::monitor(ready.options.clone(), ready.pool.clone());
        let monitor = tokio::spawn(monitor.run(stop.clone()));
        let state = AppState::new(ready.pool.clone(), settings).monitored_by(database.clone());
        // Keeps the count deltas few (migration 0007).
        let down = move || database.is_down();
        let fold = tokio::spawn(counters::fold_forever(
            ready.options.clone(),
            ready.connect_timeout,
            down,
            state.fold.clone(),
            stop.clone(),
        ));
        // Web hooks: a small pool of its own, so deliveries never take a request's connection
        // (made lazily: a database that is down now is retried by the worker).
        let delivery_pool = PgPoolOptions::new()
            .max_connections(WEBHOOK_POOL_SIZE)
            .acquire_timeout(ready.connect_timeout.max(Duration::from_secs(1)))
            .connect_lazy_with(ready.options.clone());
        let down = {
            let database = state.database.clone();
            move || database.is_down()
        };
        let webhooks = tokio::spawn(worker::deliver_forever(
            delivery_pool,
            state.settings.webhooks.clone(),
            down,
            state.metrics.clone(),
            stop.clone(),
        ));
        let mut tasks = vec![monitor, fold, webhooks];
        // AMQP: a pool of its own too, as lazy; the relay enables the outbox's `amqp` sink.
        if let Some(amqp) = state.settings.amqp.as_ref().and_then(amqp::Settings::from_args) {
            let relay_pool = PgPoolOptions::new()
                .max_connections(AMQP_POOL_SIZE)
                .acquire_timeout(ready.connect_timeout.max(Duration::from_secs(1)))
                .connect_lazy_with(ready.options.clone());
            let database = state.database.clone();
            tasks.push(tokio::spawn(amqp_relay::relay_forever(
                relay_pool,
                amqp,
                state.metrics.amqp.clone(),
                move || database.is_down(),
                stop.clone(),
            )));
        }
        let _ = routers.admin.set(admin_app(state.clone()));
        let _ = routers.api.set(app(state));
        Running { pool: ready.pool, stop, tasks }
    }

    /// Stops the background tasks, then closes the pool, until `deadline` at most: a task
    /// still running then (a fold waiting for a lock) is cancelled, its connection dropped.
    async fn stop(self, deadline: Instant) {
        self.stop.cancel();
        finish_by(deadline, self.tasks, "background tasks still running at the shutdown deadline; cancelled").await;
        // Handlers answered 503 may still hold a connection until their statement ends.
        if tokio::time::timeout_at(deadline, self.pool.close()).await.is_err() {
            tracing::warn!("database connections still busy at the shutdown deadline; closing anyway");
        }
    }
}

/// Waits for `tasks` until `deadline`; aborts those still running then.
async fn finish_by(deadline: Instant, mut tasks: Vec<JoinHandle<()>>, late: &str) {
    let all = async {
        for task in tasks.iter_mut() {
            let _ = task.await;
        }
    };
    if tokio::time::timeout_at(deadline, all).await.is_err() {
        tracing::warn!("{late}");
        for task in &tasks {
            task.abort();
        }
    }
}

/// The most a connection's read buffer holds, and so the most a request's headers (request line
/// included) may take: hyper answers 431 beyond. A body is handed on in pieces of about this
/// much at most.
pub const READ_BUFFER_LIMIT: usize = 64 * 1024;

/// Serves `router` on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish for at most `transport.shutdown_timeout`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    transport: Transport,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(transport.header_read_timeout)
        .max_buf_size(READ_BUFFER_LIMIT)
        .max_header_size(READ_BUFFER_LIMIT);
    let graceful = GracefulShutdown::new();
    let open = Arc::new(Semaphore::new(transport.max_connections));
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            refuse(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let stream = WriteTimeout::new(stream, transport.write_timeout);
        let connection = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(router.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(transport.shutdown_timeout) => {
            tracing::warn!(seconds = transport.shutdown_timeout.as_secs_f64(), "requests still running at the end of the shutdown timeout; stopping anyway");
        }
    }
}

/// Answers a connection over the cap with a 503 and closes it, without reading from it: one
/// non-blocking write of a response that fits any socket buffer, so a client that never reads
/// cannot hold the accept loop.
fn refuse(stream: TcpStream) {
    let why = Unavailable::Overloaded;
    let body = serde_json::json!({ "detail": why.message() }).to_string();
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: {}\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        why.retry_after(),
        body.len()
    );
    let _ = stream.try_write(response.as_bytes());
}
