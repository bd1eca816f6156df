//! A TCP proxy in front of the test PostgreSQL that a test can cut: the database "goes away"
//! for the server under test (connections refused, open ones broken) without touching the
//! shared PostgreSQL that other tests use.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use sqlx::postgres::PgConnectOptions;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream, UnixStream};
use tokio::task::JoinHandle;

use super::db::server_options;

/// Where the proxy forwards to: the test server's TCP address or its Unix socket.
#[derive(Clone)]
enum Upstream {
    Tcp(String),
    Unix(PathBuf),
}

/// A cuttable proxy on a fixed loopback port.
pub struct DbProxy {
    address: SocketAddr,
    upstream: Upstream,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl DbProxy {
    /// A proxy to the PostgreSQL that hosts the test databases, already up.
    pub async fn start() -> DbProxy {
        let options = server_options();
        let upstream = match options.get_socket() {
            Some(dir) => Upstream::Unix(dir.join(format!(".s.PGSQL.{}", options.get_port()))),
            None => Upstream::Tcp(format!("{}:{}", options.get_host(), options.get_port())),
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let proxy = DbProxy { address, upstream, tasks: Arc::new(Mutex::new(Vec::new())) };
        proxy.serve(listener);
        proxy
    }

    /// Connection options for `database` through the proxy.
    pub fn options(&self, database: &str) -> PgConnectOptions {
        let server = server_options();
        PgConnectOptions::new()
            .host("127.0.0.1")
            .port(self.address.port())
            .username(server.get_username())
            .database(database)
    }

    /// Cuts the database off: the port refuses connections and every open one is broken.
    pub fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// Lets connections through again, on the same port.
    pub async fn restore(&self) {
        let listener = loop {
            match TcpListener::bind(self.address).await {
                Ok(listener) => break listener,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        };
        self.serve(listener);
    }

    fn serve(&self, listener: TcpListener) {
        let upstream = self.upstream.clone();
        let tasks = self.tasks.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { return };
                let upstream = upstream.clone();
                let pipe = tokio::spawn(async move {
                    match upstream {
                        Upstream::Tcp(address) => {
                            if let Ok(server) = TcpStream::connect(address).await {
                                pipe(client, server).await;
                            }
                        }
                        Upstream::Unix(path) => {
                            if let Ok(server) = UnixStream::connect(path).await {
                                pipe(client, server).await;
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

async fn pipe(mut client: TcpStream, mut server: impl AsyncRead + AsyncWrite + Unpin) {
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}
