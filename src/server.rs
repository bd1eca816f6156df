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
//! - At shutdown the listener closes, in-flight requests get `shutdown_timeout` to finish,
//!   then the background tasks (outage monitor, count fold) stop, before the caller stops the
//!   embedded cluster.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use sqlx::postgres::PgConnectOptions;
use sqlx::PgPool;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::config::LimitArgs;
use crate::db::monitor;
use crate::error::Unavailable;
use crate::http::{admin_app, app, AppState, Settings};
use crate::store::counters;
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

/// Serves the API over `pool` until `shutdown` resolves, with the outage monitor and the count
/// fold running beside it (both on connections of their own, made from `options`); returns
/// when all of them have stopped.
pub async fn run(
    pool: PgPool,
    options: PgConnectOptions,
    settings: Settings,
    transport: Transport,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send,
) {
    let stop = CancellationToken::new();
    let (monitor, database) = monitor::monitor(options.clone(), pool.clone());
    let monitor = tokio::spawn(monitor.run(stop.clone()));
    let state = AppState::new(pool.clone(), settings).monitored_by(database.clone());
    // Keeps the count deltas few (migration 0007).
    let down = move || database.is_down();
    let fold = tokio::spawn(counters::fold_forever(options, down, state.fold.clone(), stop.clone()));
    let serving = CancellationToken::new();
    let admin = listeners.admin.map(|listener| {
        let router = admin_app(state.clone());
        let serving = serving.clone();
        tokio::spawn(async move { serve(listener, router, transport, serving.cancelled_owned()).await })
    });
    let api = serve(listeners.api, app(state), transport, serving.clone().cancelled_owned());
    let signal = async {
        shutdown.await;
        serving.cancel();
    };
    tokio::join!(api, signal);
    if let Some(admin) = admin {
        let _ = admin.await;
    }
    stop.cancel();
    let _ = tokio::join!(monitor, fold);
    // Handlers answered 503 may still hold a connection until their statement ends.
    if tokio::time::timeout(transport.shutdown_timeout, pool.close()).await.is_err() {
        tracing::warn!("database connections still busy at shutdown; closing anyway");
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
