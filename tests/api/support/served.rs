//! The server over a real socket, as `serve` runs it (accept loop, guard, outage monitor,
//! count fold), on a port of its own; and a raw HTTP/1.1 client for it.

use std::net::SocketAddr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use waldur_offering_users::db::{self, SessionLimits};
use waldur_offering_users::http::Settings;
use waldur_offering_users::server::{self, Listeners, Transport};

/// A running server; `stop` shuts it down as SIGTERM would.
pub(crate) struct Served {
    pub address: SocketAddr,
    /// The management listener's address, when it was started with one.
    pub admin: Option<SocketAddr>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// The sessions' time limits of a test server.
fn test_limits() -> SessionLimits {
    SessionLimits { statement_timeout: Duration::from_secs(10), idle_in_transaction_timeout: Duration::from_secs(10) }
}

/// Generous test defaults; tests shorten what they exercise.
pub(crate) fn transport() -> Transport {
    Transport {
        header_read_timeout: Duration::from_secs(10),
        max_connections: 100,
        shutdown_timeout: Duration::from_secs(10),
        write_timeout: Duration::from_secs(30),
    }
}

impl Served {
    /// Serves the database behind `options` (already migrated) with `settings`.
    pub(crate) async fn start(options: PgConnectOptions, settings: Settings, transport: Transport) -> Served {
        Self::start_on(options, settings, transport, test_limits(), None).await
    }

    /// [`Served::start`] with a management listener too.
    pub(crate) async fn start_with_admin(
        options: PgConnectOptions,
        settings: Settings,
        transport: Transport,
    ) -> Served {
        let admin = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::start_on(options, settings, transport, test_limits(), Some(admin)).await
    }

    /// [`Served::start`] with a pool of `pool_size` connections, and a management listener
    /// when `admin` is set.
    pub(crate) async fn start_with_pool(
        options: PgConnectOptions,
        settings: Settings,
        transport: Transport,
        pool_size: u32,
        admin: bool,
    ) -> Served {
        let admin = if admin { Some(TcpListener::bind("127.0.0.1:0").await.unwrap()) } else { None };
        Self::start_sized(options, settings, transport, test_limits(), admin, pool_size).await
    }

    /// [`Served::start`] with the sessions' time limits given.
    pub(crate) async fn start_with_limits(
        options: PgConnectOptions,
        settings: Settings,
        transport: Transport,
        limits: SessionLimits,
    ) -> Served {
        Self::start_on(options, settings, transport, limits, None).await
    }

    async fn start_on(
        options: PgConnectOptions,
        settings: Settings,
        transport: Transport,
        limits: SessionLimits,
        admin: Option<TcpListener>,
    ) -> Served {
        Self::start_sized(options, settings, transport, limits, admin, 2).await
    }

    async fn start_sized(
        options: PgConnectOptions,
        settings: Settings,
        transport: Transport,
        limits: SessionLimits,
        admin: Option<TcpListener>,
        pool_size: u32,
    ) -> Served {
        // The server's own pool options, so tests meet its checks and bounds.
        let pooled = db::limit_sessions(options.clone(), limits);
        let pool = db::pool_options(pool_size, &pooled).connect_with(pooled).await.expect("connect");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let admin_address = admin.as_ref().map(|l| l.local_addr().unwrap());
        let (shutdown, signal) = oneshot::channel::<()>();
        let listeners = Listeners { api: listener, admin };
        let task = tokio::spawn(server::run(pool, options, settings, transport, listeners, async {
            let _ = signal.await;
        }));
        Served { address, admin: admin_address, shutdown: Some(shutdown), task: Some(task) }
    }

    /// Starts the shutdown and waits for the server to stop.
    pub(crate) async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }

    /// Starts the shutdown without waiting; [`Served::stopped`] waits.
    pub(crate) fn begin_stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }

    /// Waits for a stop begun with [`Served::begin_stop`].
    pub(crate) async fn stopped(&mut self) {
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }

    /// One request on a connection of its own.
    pub(crate) async fn request(&self, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> RawReply {
        raw_request(self.address, method, path, token, body).await
    }
}

/// A response as read off the wire.
#[derive(Debug)]
pub(crate) struct RawReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawReply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

/// Sends one HTTP/1.1 request with `Connection: close` and reads the whole response.
pub(crate) async fn raw_request(
    address: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> RawReply {
    let mut stream = TcpStream::connect(address).await.expect("connect to the server");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: testserver\r\nConnection: close\r\n");
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Token {token}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    head.push_str(body.unwrap_or(""));
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read the response");
    parse(&raw)
}

/// Parses a `Connection: close` response (no chunked bodies: the server sends lengths).
pub(crate) fn parse(raw: &[u8]) -> RawReply {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no complete response: {text:?}"));
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    RawReply { status, headers, body: body.to_owned() }
}
