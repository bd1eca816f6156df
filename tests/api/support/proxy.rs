//! A TCP proxy in front of the test PostgreSQL (or any loopback service, e.g. RabbitMQ) that a
//! test can cut: the service "goes away" for the code under test (connections refused, open
//! ones broken) without touching the shared service that other tests use.
//!
//! It can also freeze connections, as a vanished host or a moved virtual IP does: they stay
//! open, no FIN or RST, but no byte goes through in either direction.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use sqlx::postgres::PgConnectOptions;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::db::server_options;

/// Where the proxy forwards to: the test server's TCP address or its Unix socket.
#[derive(Clone)]
enum Upstream {
    Tcp(String),
    Unix(PathBuf),
}

/// A cuttable proxy on a fixed loopback port.
pub(crate) struct DbProxy {
    address: SocketAddr,
    upstream: Upstream,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    freezer: Arc<Freezer>,
}

/// Which connections forward bytes.
#[derive(Default)]
struct Freezer {
    /// Connections accepted from now on start frozen.
    new_frozen: AtomicBool,
    /// The switch of every connection accepted so far (`true`: frozen).
    switches: Mutex<Vec<watch::Sender<bool>>>,
}

impl Freezer {
    /// The switch of a connection just accepted.
    fn switch(&self) -> watch::Receiver<bool> {
        let (switch, frozen) = watch::channel(self.new_frozen.load(Ordering::SeqCst));
        self.switches.lock().unwrap().push(switch);
        frozen
    }

    fn set_all(&self, frozen: bool) {
        for switch in self.switches.lock().unwrap().iter() {
            switch.send_replace(frozen);
        }
    }
}

impl DbProxy {
    /// A proxy to the PostgreSQL that hosts the test databases, already up.
    pub(crate) async fn start() -> DbProxy {
        let options = server_options();
        let upstream = match options.get_socket() {
            Some(dir) => Upstream::Unix(dir.join(format!(".s.PGSQL.{}", options.get_port()))),
            None => Upstream::Tcp(format!("{}:{}", options.get_host(), options.get_port())),
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let proxy = DbProxy { address, upstream, tasks: Arc::new(Mutex::new(Vec::new())), freezer: Arc::default() };
        proxy.serve(listener);
        proxy
    }

    /// A proxy to a TCP service on this machine (`127.0.0.1:5672`), already up.
    pub(crate) async fn to_tcp(upstream: &str) -> DbProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let upstream = Upstream::Tcp(upstream.to_owned());
        let proxy = DbProxy { address, upstream, tasks: Arc::new(Mutex::new(Vec::new())), freezer: Arc::default() };
        proxy.serve(listener);
        proxy
    }

    /// The proxy's port on 127.0.0.1.
    pub(crate) fn port(&self) -> u16 {
        self.address.port()
    }

    /// Connection options for `database` through the proxy.
    pub(crate) fn options(&self, database: &str) -> PgConnectOptions {
        let server = server_options();
        PgConnectOptions::new()
            .host("127.0.0.1")
            .port(self.address.port())
            .username(server.get_username())
            .database(database)
    }

    /// Cuts the database off: the port refuses connections and every open one is broken.
    pub(crate) fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// Lets connections through again, on the same port.
    pub(crate) async fn restore(&self) {
        let listener = loop {
            match TcpListener::bind(self.address).await {
                Ok(listener) => break listener,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        };
        self.serve(listener);
    }

    /// Freezes every open connection and every one accepted from now on: they stay open but
    /// forward nothing, as when the database's host vanishes.
    pub(crate) fn freeze(&self) {
        self.freezer.new_frozen.store(true, Ordering::SeqCst);
        self.freezer.set_all(true);
    }

    /// Freezes the open connections only; new ones go through: a failover, where the old
    /// node's connections are gone for good and the name leads to a live one.
    pub(crate) fn freeze_open(&self) {
        self.freezer.set_all(true);
        self.freezer.new_frozen.store(false, Ordering::SeqCst);
    }

    /// New connections go through again; those frozen stay frozen (see [`DbProxy::freeze_open`]).
    pub(crate) fn thaw_new(&self) {
        self.freezer.new_frozen.store(false, Ordering::SeqCst);
    }

    /// Every connection forwards again, with whatever it held back.
    pub(crate) fn thaw(&self) {
        self.freezer.new_frozen.store(false, Ordering::SeqCst);
        self.freezer.set_all(false);
    }

    fn serve(&self, listener: TcpListener) {
        let upstream = self.upstream.clone();
        let tasks = self.tasks.clone();
        let freezer = self.freezer.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { return };
                let upstream = upstream.clone();
                let frozen = freezer.switch();
                let pipe = tokio::spawn(async move {
                    match upstream {
                        Upstream::Tcp(address) => {
                            if let Ok(server) = TcpStream::connect(address).await {
                                pipe(client, server, frozen).await;
                            }
                        }
                        Upstream::Unix(path) => {
                            if let Ok(server) = UnixStream::connect(path).await {
                                pipe(client, server, frozen).await;
                            }
                        }
                    }
                });
                tasks.lock().unwrap().push(pipe);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        self.cut();
    }
}

/// Forwards both ways until both ends close, holding bytes back while `frozen`.
async fn pipe(client: TcpStream, server: impl AsyncRead + AsyncWrite + Unpin, frozen: watch::Receiver<bool>) {
    let (client_read, client_write) = tokio::io::split(client);
    let (server_read, server_write) = tokio::io::split(server);
    tokio::join!(forward(client_read, server_write, frozen.clone()), forward(server_read, client_write, frozen));
}

/// Copies `from` to `to`; while frozen, it neither reads nor writes.
async fn forward(mut from: impl AsyncRead + Unpin, mut to: impl AsyncWrite + Unpin, mut frozen: watch::Receiver<bool>) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let _ = frozen.wait_for(|f| !*f).await;
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let _ = frozen.wait_for(|f| !*f).await;
        if to.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
