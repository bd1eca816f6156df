//! Clients at the other end of a response: one that reads a large page slowly gets all of it,
//! one that stops reading is let go after the write timeout; and the headers a connection's
//! read buffer holds.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::served::{parse, raw_request, transport, Served};
use crate::support::*;
use crate::transport::read_until_closed;
use waldur_offering_users::http::Settings;

/// Offering users on the page, each with a comment of this many characters: a page of
/// about 9 MB, more than the socket buffers on both ends hold.
const ROWS: usize = 300;
const COMMENT_CHARS: usize = 30_000;

/// A world of `ROWS` offering users with long comments, and the request for all of them.
async fn large_page() -> (TestApp, String) {
    let mut doc = world();
    let mut offering_users = Vec::new();
    for i in 0..ROWS {
        let user = format!("{:032x}", 0x1000_0000 + i);
        let username = format!("reader{i}");
        doc["users"].as_array_mut().unwrap().push(json!({
            "uuid": user, "username": username, "first_name": "Slow", "last_name": "Reader",
            "email": format!("{username}@example.org")
        }));
        offering_users.push(offering_user(&format!("{:032x}", 0xf000_0000 + i), &user, ids::OFFERING, None, "OK"));
    }
    doc["offering_users"] = Value::Array(offering_users);
    let app = TestApp::with(&doc).await;
    sqlx::query("UPDATE offering_users SET service_provider_comment = repeat('c', $1)")
        .bind(COMMENT_CHARS as i32)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let request = format!(
        "GET {LIST}?page_size={ROWS} HTTP/1.1\r\nHost: testserver\r\nAuthorization: Token staff-token\r\n\
         Connection: close\r\n\r\n"
    );
    (app, request)
}

/// A connection with a small receive buffer, so that a response waits on the reader.
async fn small_window(served: &Served) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(16 * 1024).unwrap();
    socket.connect(served.address).await.unwrap()
}

/// The `Content-Length` of a response whose head is in `received`.
fn content_length(received: &[u8]) -> usize {
    let head = String::from_utf8_lossy(received);
    let line = head.lines().find(|l| l.to_ascii_lowercase().starts_with("content-length:")).expect("a length");
    line.split(':').nth(1).unwrap().trim().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_gets_a_large_page_whole_even_past_the_header_and_write_timeouts() {
    let (app, request) = large_page().await;
    let mut limits = transport();
    limits.header_read_timeout = Duration::from_millis(500);
    limits.write_timeout = Duration::from_millis(800);
    let mut served = Served::start(app.db.options(), Settings::default(), limits).await;

    let mut stream = small_window(&served).await;
    stream.write_all(request.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut received = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut chunk).await.unwrap();
        if n == 0 {
            break;
        }
        received.extend_from_slice(&chunk[..n]);
        // About 2.5 MB a second: pauses shorter than the write timeout, and the whole read
        // longer than both timeouts.
        if received.len() % (256 * 1024) < n {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let took = started.elapsed();
    let reply = parse(&received);
    assert_eq!(reply.status, 200);
    let page = reply.json();
    let rows = page.as_array().unwrap();
    assert_eq!(rows.len(), ROWS);
    assert!(rows.iter().all(|r| r["service_provider_comment"].as_str().map(str::len) == Some(COMMENT_CHARS)));
    assert!(received.len() > 6_000_000, "a page of {} bytes", received.len());
    assert!(took > Duration::from_secs(1), "read in {took:?}, not slowly enough to prove anything");
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_stops_reading_is_disconnected_after_the_write_timeout() {
    let (app, request) = large_page().await;
    let mut limits = transport();
    limits.write_timeout = Duration::from_millis(500);
    let mut served = Served::start(app.db.options(), Settings::default(), limits).await;

    let mut stream = small_window(&served).await;
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = vec![0u8; 16 * 1024];
    let n = stream.read(&mut head).await.unwrap();
    let whole = content_length(&head[..n]);
    // Stop reading, for much longer than the write timeout.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut rest = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut rest)).await;
    assert!(ended.is_ok(), "the server kept the connection open");
    assert!(n + rest.len() < whole, "the response was cut short: {} of {whole} bytes", n + rest.len());

    // The server serves on.
    assert_eq!(raw_request(served.address, "GET", "/health/live", None, None).await.status, 200);
    served.stop().await;
}

#[tokio::test]
async fn large_but_legal_headers_are_served_and_a_header_block_past_the_read_buffer_is_refused() {
    let app = TestApp::with(&world()).await;
    let mut served = Served::start(app.db.options(), Settings::default(), transport()).await;

    let send = |headers: String| {
        let address = served.address;
        async move {
            let mut stream = TcpStream::connect(address).await.unwrap();
            let request = format!(
                "GET {LIST} HTTP/1.1\r\nHost: testserver\r\nAuthorization: Token staff-token\r\n{headers}Connection: close\r\n\r\n"
            );
            // The server may close before it has read everything: a write error is an answer.
            let _ = stream.write_all(request.as_bytes()).await;
            read_until_closed(&mut stream, Duration::from_secs(20)).await
        }
    };
    // 16 KiB of headers, in 16 headers of 1 KiB.
    let legal: String = (0..16).map(|i| format!("X-Padding-{i}: {}\r\n", "p".repeat(1024))).collect();
    let reply = parse(&send(legal).await);
    assert_eq!(reply.status, 200);

    // 100 KiB of headers: a 431, or a connection closed without an answer.
    let huge: String = (0..50).map(|i| format!("X-Padding-{i}: {}\r\n", "p".repeat(2048))).collect();
    let received = send(huge).await;
    if !received.is_empty() {
        assert_eq!(parse(&received).status, 431);
    }
    served.stop().await;
}
