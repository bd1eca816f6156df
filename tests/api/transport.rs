//! The bounds that keep one client from taking the server down: slow clients,
//! too many connections, too many requests, requests that run too long, and shutdown.
//! Transport behaviour is tested over real sockets, against the server as `serve` runs it.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::served::{parse, raw_request, transport, Served};
use crate::support::*;
use waldur_offering_users::http::Settings;

const OU: &str = "00000000000000000000000000000f51";

fn world_of_one() -> serde_json::Value {
    world_with(vec![offering_user(OU, ids::ADMIN, ids::OFFERING, Some("admin-account"), "Requested")])
}

/// Reads until the server closes the connection (or `limit` passes, which fails the test).
pub(crate) async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Vec<u8> {
    let mut received = Vec::new();
    tokio::time::timeout(limit, stream.read_to_end(&mut received))
        .await
        .expect("the server should have closed the connection")
        .ok();
    received
}

/// Waits until `count` sessions of `database` wait for a lock (a request blocked on a row
/// the test holds), so that the test knows the request is in progress.
pub(crate) async fn wait_for_lock_waiters(app: &TestApp, count: i64) {
    for _ in 0..200 {
        let waiting: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'")
                .bind(&app.db.name)
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        if waiting >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no request came to wait on the locked row");
}

/// Waits until no session of the database but ours is doing anything (a handler answered
/// 503 has finished its work, committed or rolled back).
pub(crate) async fn wait_until_quiet(app: &TestApp) {
    for _ in 0..200 {
        let busy: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() \
             AND state IS NOT NULL AND state <> 'idle'",
        )
        .bind(&app.db.name)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        if busy == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the database stayed busy");
}

#[tokio::test]
async fn clients_that_send_half_a_request_or_nothing_are_closed_after_the_header_timeout() {
    let app = TestApp::with(&world_of_one()).await;
    let mut limits = transport();
    limits.header_read_timeout = Duration::from_millis(300);
    let mut served = Served::start(app.db.options(), Settings::default(), limits).await;

    let mut half_open = Vec::new();
    for i in 0..20 {
        let mut stream = TcpStream::connect(served.address).await.unwrap();
        if i % 2 == 0 {
            stream.write_all(b"GET /api/marketplace-offering-users/ HT").await.unwrap();
        }
        half_open.push(stream);
    }
    for stream in &mut half_open {
        let received = read_until_closed(stream, Duration::from_secs(10)).await;
        assert!(received.is_empty(), "a half-sent request gets no response: {:?}", String::from_utf8_lossy(&received));
    }

    // A kept-alive connection that goes quiet after a response is closed the same way.
    let mut kept = TcpStream::connect(served.address).await.unwrap();
    kept.write_all(b"GET /health/live HTTP/1.1\r\nHost: testserver\r\n\r\n").await.unwrap();
    let received = read_until_closed(&mut kept, Duration::from_secs(10)).await;
    assert!(String::from_utf8_lossy(&received).starts_with("HTTP/1.1 200 OK"));

    // Meanwhile and after, complete requests are served.
    let reply = served.request("GET", "/api/marketplace-offering-users/", Some("owner-token"), None).await;
    assert_eq!(reply.status, 200);
    served.stop().await;
}

#[tokio::test]
async fn a_connection_over_the_cap_is_answered_503_and_closed() {
    let app = TestApp::with(&world_of_one()).await;
    let mut limits = transport();
    limits.max_connections = 2;
    let mut served = Served::start(app.db.options(), Settings::default(), limits).await;

    let first = TcpStream::connect(served.address).await.unwrap();
    let _second = TcpStream::connect(served.address).await.unwrap();
    // Let the accept loop take both before the third arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = TcpStream::connect(served.address).await.unwrap();
    let reply = parse(&read_until_closed(&mut third, Duration::from_secs(10)).await);
    assert_eq!(reply.status, 503);
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert_eq!(reply.json(), json!({"detail": "The server is busy. Try again later."}));

    // A slot that frees up is used again.
    drop(first);
    let mut served_again = false;
    for _ in 0..50 {
        if raw_request(served.address, "GET", "/health/live", None, None).await.status == 200 {
            served_again = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(served_again, "a closed connection gives its slot back");
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_in_flight_limit_are_shed_at_once_with_retry_after() {
    let app = TestApp::with_settings(Settings { max_in_flight: 1, ..Settings::default() }).await;
    app.import(&world_of_one()).await;
    let lock = lock_record(&app, OU).await;

    let blocked = {
        let router = app.router.clone();
        tokio::spawn(async move {
            let request = axum::http::Request::post(action(OU, "begin_creating"))
                .header("host", "testserver")
                .header("authorization", "Token owner-token")
                .body(axum::body::Body::empty())
                .unwrap();
            tower::ServiceExt::oneshot(router, request).await.unwrap().status()
        })
    };
    wait_for_lock_waiters(&app, 1).await;

    let shed = app.get(LIST, "owner-token").await;
    assert_eq!(shed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(shed.header("retry-after").as_deref(), Some("1"));
    assert_eq!(shed.json(), json!({"detail": "The server is busy. Try again later."}));
    // Health and the schema are never shed.
    assert_eq!(app.request(axum::http::Method::GET, "/health/live", None, None).await.status, StatusCode::OK);

    lock.commit().await.unwrap();
    assert_eq!(blocked.await.unwrap(), StatusCode::OK);
    assert_eq!(app.get(LIST, "owner-token").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_past_the_request_timeout_is_answered_503_and_commits_nothing() {
    let app =
        TestApp::with_settings(Settings { request_timeout: Duration::from_millis(300), ..Settings::default() }).await;
    app.import(&world_of_one()).await;
    let lock = lock_record(&app, OU).await;

    let path = detail(OU);
    let patch = app.patch(&path, "owner-token", json!({"username": "renamed-too-late"}));
    let (reply, ()) = tokio::join!(patch, async {
        wait_for_lock_waiters(&app, 1).await;
    });
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.header("retry-after").as_deref(), Some("1"));
    assert_eq!(
        reply.json(),
        json!({"detail": "The request took too long and was cancelled; nothing was saved. Try again later."})
    );

    // The handler goes on once the lock is released, and stops at the commit gate.
    lock.commit().await.unwrap();
    wait_until_quiet(&app).await;
    assert_eq!(username_of(&app, OU).await.as_deref(), Some("admin-account"));
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(events, 0, "no audit event of a write that was not committed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_shutdown_the_listener_closes_and_a_request_in_progress_finishes() {
    let app = TestApp::with(&world_of_one()).await;
    let mut served = Served::start(app.db.options(), Settings::default(), transport()).await;
    let lock = lock_record(&app, OU).await;
    let address = served.address;
    let in_progress = tokio::spawn(async move {
        raw_request(address, "POST", &action(OU, "begin_creating"), Some("owner-token"), None).await
    });
    wait_for_lock_waiters(&app, 1).await;

    served.begin_stop();
    let mut refused = false;
    for _ in 0..50 {
        if TcpStream::connect(address).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the listener closes at shutdown");

    lock.commit().await.unwrap();
    assert_eq!(in_progress.await.unwrap().status, 200);
    served.stopped().await;
    assert_eq!(app.state_of(OU).await, "Creating");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_past_the_statement_timeout_is_answered_503_and_changes_nothing() {
    let app = TestApp::with(&world_of_one()).await;
    let limits = waldur_offering_users::db::SessionLimits {
        statement_timeout: Duration::from_millis(300),
        idle_in_transaction_timeout: Duration::from_secs(10),
    };
    let mut served = Served::start_with_limits(app.db.options(), Settings::default(), transport(), limits).await;
    let lock = lock_record(&app, OU).await;
    // The state action waits for the row until PostgreSQL cancels it.
    let reply = served.request("POST", &action(OU, "begin_creating"), Some("owner-token"), None).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({"detail": "The request took too long and was cancelled; nothing was saved. Try again later."})
    );
    lock.commit().await.unwrap();
    assert_eq!(app.state_of(OU).await, "Requested");
    served.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_before_it_is_read_or_once_it_passes_the_limit() {
    let app = TestApp::with_settings(Settings { max_body_size: 1024, ..Settings::default() }).await;
    app.import(&world_of_one()).await;
    let expected = json!({"detail": "Request body is too large: at most 1024 bytes are accepted here."});

    // Declared too large: answered without reading (the body sent is empty).
    let declared = axum::http::Request::patch(detail(OU))
        .header("host", "testserver")
        .header("authorization", "Token owner-token")
        .header("content-type", "application/json")
        .header("content-length", "1000000")
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = app.send(declared).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json(), expected);

    // Streamed without a length: read up to the limit, then refused.
    let chunks = (0..64).map(|_| Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b' '; 100])));
    let streamed = axum::http::Request::patch(detail(OU))
        .header("host", "testserver")
        .header("authorization", "Token owner-token")
        .header("content-type", "application/json")
        .body(axum::body::Body::from_stream(futures::stream::iter(chunks)))
        .unwrap();
    let reply = app.send(streamed).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json(), expected);

    // Within the limit: served as before.
    let within = app.patch(&detail(OU), "owner-token", json!({"username": "fits"})).await;
    assert_eq!(within.status, StatusCode::OK);
}
