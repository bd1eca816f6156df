//! The release server as a separate process: start, wait until it answers, peak RSS, stop;
//! and a minimal HTTP/1.1 client for the few sequential requests of the calibration.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// A running server.
pub(crate) struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

impl Server {
    /// Starts `bin serve` on a free local port against `database_url`, logging to `log`
    /// with `rust_log` as the filter, and waits until it is ready (`/health/ready` answers
    /// 200: the server listens before its migrations are done, answering 503 meanwhile).
    ///
    /// For a `calibrating` run the web-hook worker polls once an hour instead of ten times a
    /// second (the load runs keep the server's default): its polling belongs to no request,
    /// and its statements would otherwise be counted as the requests' and replayed by pgbench.
    pub(crate) fn start(
        bin: &Path,
        database_url: &str,
        pool_size: u32,
        rust_log: &str,
        log: &Path,
        calibrating: bool,
    ) -> Result<Server, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let out = File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut command = Command::new(bin);
        if calibrating {
            command.env("WEBHOOK_POLL_INTERVAL", "1h");
        }
        let child = command
            .args(["serve", "--bind", &addr.to_string(), "--pool-size", &pool_size.to_string()])
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", rust_log)
            // Metrics on (a management listener on a free port) unless the caller says `off`.
            .env("ADMIN_BIND", std::env::var("ADMIN_BIND").unwrap_or_else(|_| "127.0.0.1:0".to_owned()))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let mut server = Server { child, addr, log: log.to_owned() };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if is_ready(addr) {
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                let log = std::fs::read_to_string(&server.log).unwrap_or_default();
                return Err(format!("server exited with {status}:\n{log}"));
            }
            if Instant::now() > deadline {
                server.stop();
                return Err("server was not ready within 60 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resets the peak-RSS watermark (`/proc/<pid>/clear_refs`, Linux ≥ 4.0).
    pub(crate) fn reset_peak_rss(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5");
    }

    /// Peak resident set size since the last reset, in kB (`VmHWM`).
    pub(crate) fn peak_rss_kb(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// SIGTERM (in-flight requests finish), then SIGKILL after 10 s.
    pub(crate) fn stop(&mut self) {
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

/// One request over a fresh connection (`Connection: close`); returns the status and body.
pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&str>,
) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
    let mut text =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Token {token}\r\nConnection: close\r\n");
    match body {
        Some(body) => {
            text.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()))
        }
        None => text.push_str("\r\n"),
    }
    stream.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).map_err(|e| e.to_string())?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or("malformed response")?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}

/// Whether the server at `addr` answers `GET /health/ready` with 200 (the health checks
/// ignore the empty token).
fn is_ready(addr: SocketAddr) -> bool {
    matches!(request(addr, "GET", "/health/ready", "", None), Ok((200, _)))
}
