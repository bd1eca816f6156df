//! The public routes (`/health/*`, `/api/schema/`, `/api/docs/…`) within bounds: the schema
//! served from bytes built once, no token looked up for any of their answers, and a limit of
//! their own, so that a flood of them is refused while the API keeps answering.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

use crate::support::served::{raw_request, transport, RawReply, Served};
use crate::support::*;
use crate::telemetry::scrape;
use waldur_offering_users::http::openapi::document;
use waldur_offering_users::http::public::PUBLIC_MAX_IN_FLIGHT;
use waldur_offering_users::http::Settings;

const PUBLIC_PATHS: [&str; 6] =
    ["/health/live", "/health/ready/", "/api/schema/", "/api/schema", "/api/docs/", "/api/docs/init.js"];

#[tokio::test]
async fn the_schema_is_the_same_bytes_on_every_request_and_the_built_document() {
    let app = TestApp::new().await;
    let first = app.request(Method::GET, "/api/schema/", None, None).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("content-type").as_deref(), Some("application/json"));
    assert_eq!(first.header("content-length"), Some(first.bytes.len().to_string()));
    assert_eq!(&first.json(), document());
    for _ in 0..3 {
        let again = app.request(Method::GET, "/api/schema", None, None).await;
        assert_eq!(again.bytes, first.bytes);
    }
    let head = app.request(Method::HEAD, "/api/schema/", None, None).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.bytes.is_empty());
}

#[tokio::test]
async fn public_routes_answer_other_methods_without_looking_up_a_token() {
    let app = TestApp::with(&world()).await;
    for path in PUBLIC_PATHS {
        for method in [Method::POST, Method::DELETE, Method::from_bytes(b"BREW").unwrap()] {
            let request = Request::builder()
                .method(method.clone())
                .uri(path)
                .header("host", "testserver")
                .header("authorization", "Token nonsense")
                .body(Body::empty())
                .unwrap();
            let reply = app.send(request).await;
            assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert_eq!(reply.header("allow").as_deref(), Some("GET, HEAD, OPTIONS"), "{method} {path}");
            assert_eq!(reply.json(), serde_json::json!({"detail": format!("Method \"{method}\" not allowed.")}));
        }
        let options = app.request(Method::OPTIONS, path, Some("nonsense"), None).await;
        assert_eq!(options.status, StatusCode::OK, "OPTIONS {path}");
        assert_eq!(options.header("allow").as_deref(), Some("GET, HEAD, OPTIONS"));
    }
    // An API route still authenticates before its 405, as DRF does: the token is looked up there.
    assert_eq!(app.request(Method::DELETE, LIST, Some("nonsense"), None).await.status, StatusCode::UNAUTHORIZED);
    let metrics = scrape(&app).await;
    let refused: Vec<&str> = metrics.lines().filter(|l| l.starts_with("auth_failures_total")).collect();
    assert_eq!(refused, [r#"auth_failures_total{reason="invalid"} 1"#], "only the API route looked the token up");
}

/// A connection that asks for `path` and then reads nothing, through a small receive buffer
/// and with a small segment size: the response stays unsent, in hyper's buffer and the
/// sockets'. (With loopback's 64 KiB segments the server's send buffer alone would grow to
/// hold more than a megabyte.)
async fn stalled_reader(address: SocketAddr, path: &str) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    // The segment size this side announces bounds the server's.
    socket.set_tcp_mss(1000).unwrap();
    socket.set_nonblocking(true).unwrap();
    let socket = TcpSocket::from_std_stream(std::net::TcpStream::from(socket));
    let mut stream = socket.connect(address).await.unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: testserver\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// Asks for `/health/live` until the answer has `status`, for at most ten seconds.
async fn health_until(address: SocketAddr, status: u16) -> RawReply {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = raw_request(address, "GET", "/health/live", None, None).await;
        if reply.status == status || Instant::now() > until {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_flood_of_public_requests_beyond_their_limit_is_refused_while_the_api_answers() {
    let app = TestApp::with(&world()).await;
    let mut served = Served::start_with_admin(app.db.options(), Settings::default(), transport()).await;
    let admin = served.admin.expect("a management listener");
    let page = served.request("GET", "/api/docs/", None, None).await.body;
    let end = page.find("swagger-ui-bundle.js").expect("the page names the bundle") + "swagger-ui-bundle.js".len();
    let bundle = &page[page[..end].rfind('"').unwrap() + 1..end];

    let mut stalled = Vec::new();
    for _ in 0..PUBLIC_MAX_IN_FLIGHT {
        stalled.push(stalled_reader(served.address, bundle).await);
    }
    let refused = health_until(served.address, 503).await;
    assert_eq!(refused.status, 503, "{refused:?}");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.json(), serde_json::json!({"detail": "The server is busy. Try again later."}));
    assert_eq!(raw_request(served.address, "GET", "/api/schema/", None, None).await.status, 503);

    // The API and the management listener's health checks are not behind that limit.
    let list = served.request("GET", LIST, Some("staff-token"), None).await;
    assert_eq!(list.status, 200, "{list:?}");
    assert_eq!(raw_request(admin, "GET", "/health/live", None, None).await.status, 200);
    assert_eq!(raw_request(admin, "GET", "/health/ready", None, None).await.status, 200);
    let metrics = raw_request(admin, "GET", "/metrics", None, None).await.body;
    assert!(metrics.contains(r#"http_requests_unavailable_total{reason="overloaded"}"#), "{metrics}");

    // The permits go with the stalled connections.
    drop(stalled);
    assert_eq!(health_until(served.address, 200).await.status, 200);
    served.stop().await;
}
