//! With `--log-format json` every line the server writes, on standard output and standard
//! error alike, is a JSON object: the start-up banner, the demo's summary and tokens, the
//! logs, the shutdown. A container's log collector reads both streams together.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Command;

use crate::import::database_url;
use crate::support::*;

/// Whether `GET /health/ready` on `port` answers 200.
async fn ready(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).await else { return false };
    let request = "GET /health/ready HTTP/1.1\r\nHost: testserver\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut raw)).await;
    raw.starts_with(b"HTTP/1.1 200")
}

#[tokio::test]
async fn serve_with_json_logs_writes_only_json_objects_on_stdout_and_stderr() {
    let app = TestApp::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_waldur-offering-users"))
        .args(["serve", "--log-format", "json", "--demo", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--admin-bind", "127.0.0.1:0"])
        .env("DATABASE_URL", database_url(&app))
        .env("RUST_LOG", "info")
        .env_remove("LOG_FORMAT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !ready(port).await {
        assert!(started.elapsed() < Duration::from_secs(60), "not ready within 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    kill(Pid::from_raw(child.id().unwrap() as i32), Signal::SIGTERM).unwrap();
    let mut stdout = String::new();
    let mut stderr = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).await.unwrap();
    child.stderr.take().unwrap().read_to_string(&mut stderr).await.unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await.expect("stopped in time").unwrap();
    assert!(status.success(), "{status}\n{stderr}");

    let mut messages = Vec::new();
    for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        for line in text.lines() {
            let object: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{stream}: {line:?}: {e}"));
            assert!(object["timestamp"].is_string() && object["level"].is_string(), "{stream}: {line}");
            messages.push(object["message"].as_str().unwrap_or_default().to_owned());
        }
    }
    // The lines that were plain text before are among them.
    for wanted in ["serving http://", "metrics and health on http://", "users: ", "demo tokens", "ready"] {
        assert!(messages.iter().any(|m| m.contains(wanted)), "no {wanted:?} in {messages:#?}");
    }
}
