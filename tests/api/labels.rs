//! Closed label sets: what a client sends never becomes a metric label or a log field (made-up
//! methods, in-process and as raw bytes over a socket), and a request whose client goes away is
//! still taken out of the in-flight gauge and logged.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::served::{raw_request, transport, Served};
use crate::support::*;
use crate::telemetry::{json_lines_of, sample, scrape};
use waldur_offering_users::http::Settings;

const OU: &str = "00000000000000000000000000000f72";

fn world_of_one() -> Value {
    world_with(vec![offering_user(OU, ids::ADMIN, ids::OFFERING, Some("admin-account"), "Requested")])
}

/// A request with a made-up method of about 2 kB, distinct per `n`.
fn made_up(n: usize, path: &str, token: Option<&str>) -> Request<Body> {
    let method = format!("M{n:05}{}", "Z".repeat(2000));
    let mut builder = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(path)
        .header("host", "testserver");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Token {token}"));
    }
    builder.body(Body::empty()).unwrap()
}

/// Recomputes which log callsites are enabled, once the test's subscriber is the default.
///
/// tracing caches a callsite's interest when it is first hit. When another test's thread hits
/// the request span's callsite first, outside any capture (with only one live subscriber,
/// tracing asks that thread's default, which records nothing), the span is cached as disabled
/// and this test's lines would lose their span fields until the next subscriber registers. A
/// request made in the capture registers every callsite the test needs; this then fixes any
/// cached by another thread.
fn settle_log_interest() {
    tracing::callsite::rebuild_interest_cache();
}

#[tokio::test]
async fn made_up_methods_are_other_in_metrics_and_logs_and_answered_as_before() {
    let app = TestApp::with(&world_of_one()).await;
    assert_eq!(app.get(LIST, "owner-token").await.status, StatusCode::OK);
    let size_before = scrape(&app).await.len();
    const MADE_UP: usize = 300;
    let lines = json_lines_of("info", async {
        assert_eq!(
            app.send(made_up(MADE_UP + 2, LIST, Some("owner-token"))).await.status,
            StatusCode::METHOD_NOT_ALLOWED
        );
        settle_log_interest();
        for n in 0..MADE_UP {
            // A route that exists: authenticated first, then DRF's 405 (which names the method,
            // as DRF's body does).
            let reply = app.send(made_up(n, LIST, Some("owner-token"))).await;
            assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
            assert_eq!(reply.header("allow").as_deref(), Some("GET, POST, HEAD, OPTIONS"));
        }
        assert_eq!(app.send(made_up(MADE_UP, LIST, None)).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            app.send(made_up(MADE_UP + 1, "/nowhere/", Some("owner-token"))).await.status,
            StatusCode::NOT_FOUND
        );
    })
    .await;

    let metrics = scrape(&app).await;
    assert!(!metrics.contains("ZZZZ") && !metrics.contains("M00001"), "a made-up method became a label");
    let list = r#"route="/api/marketplace-offering-users/",method="other""#;
    assert_eq!(sample(&metrics, &format!(r#"http_requests_total{{{list},status="4xx"}}"#)), Some(MADE_UP as f64 + 2.0));
    assert_eq!(sample(&metrics, r#"http_requests_total{route="unmatched",method="other",status="4xx"}"#), Some(1.0));
    // Hundreds of made-up methods add a handful of series, not one per method.
    assert!(metrics.len() < size_before + 8 * 1024, "{} bytes after, {size_before} before", metrics.len());

    let requests: Vec<&Value> = lines.iter().filter(|l| l["message"] == "request").skip(1).collect();
    assert_eq!(requests.len(), MADE_UP + 2);
    assert!(requests.iter().all(|l| l["span"]["method"] == "other"), "{:?}", requests[0]);
    let all = serde_json::to_string(&lines).unwrap();
    assert!(!all.contains("ZZZZ"), "a made-up method reached the logs");
}

/// A made-up method of about 2 kB, distinct per `n`, as its token goes on the wire.
fn made_up_token(n: usize) -> String {
    format!("M{n:05}{}", "Z".repeat(2000))
}

/// Every series of a scrape that carries a `method` label, without its value.
fn series_with_a_method(metrics: &str) -> std::collections::BTreeSet<String> {
    metrics
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains("method=\""))
        .filter_map(|l| l.rsplit_once(' ').map(|(series, _)| series.to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_methods_over_a_socket_are_answered_as_before_and_add_no_series() {
    let app = TestApp::with(&world_of_one()).await;
    let mut served = Served::start_with_admin(app.db.options(), Settings::default(), transport()).await;
    let admin = served.admin.expect("a management listener");
    assert_eq!(served.request("GET", LIST, Some("owner-token"), None).await.status, 200);

    // Each answer as in-process: DRF's 405 on a route that exists (after authentication), 401
    // without a token, 404 off every route.
    let answer_made_up = |from: usize, to: usize| {
        let served = &served;
        async move {
            for n in from..to {
                let reply = served.request(&made_up_token(n), LIST, Some("owner-token"), None).await;
                assert_eq!(reply.status, 405, "{}", reply.body);
                assert_eq!(reply.header("allow"), Some("GET, POST, HEAD, OPTIONS"));
                assert_eq!(reply.json()["detail"], format!("Method \"{}\" not allowed.", made_up_token(n)));
            }
        }
    };
    answer_made_up(0, 3).await;
    let reply = served.request(&made_up_token(900), LIST, None, None).await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    let reply = served.request(&made_up_token(901), "/nowhere/", Some("owner-token"), None).await;
    assert_eq!(reply.status, 404, "{}", reply.body);
    // The scrape's own series exist from here on.
    raw_request(admin, "GET", "/metrics", None, None).await;
    let after_few = raw_request(admin, "GET", "/metrics", None, None).await.body;

    answer_made_up(3, 63).await;
    let after_many = raw_request(admin, "GET", "/metrics", None, None).await.body;

    for metrics in [&after_few, &after_many] {
        assert!(!metrics.contains("ZZZZ") && !metrics.contains("M0000"), "a made-up method became a label");
    }
    let list = r#"route="/api/marketplace-offering-users/",method="other""#;
    assert_eq!(sample(&after_few, &format!(r#"http_requests_total{{{list},status="4xx"}}"#)), Some(4.0));
    assert_eq!(sample(&after_many, &format!(r#"http_requests_total{{{list},status="4xx"}}"#)), Some(64.0));
    assert_eq!(sample(&after_many, r#"http_requests_total{route="unmatched",method="other",status="4xx"}"#), Some(1.0));
    // Sixty more distinct methods: the same series, only their counts moved.
    assert_eq!(series_with_a_method(&after_few), series_with_a_method(&after_many));
    let methods: std::collections::BTreeSet<&str> =
        after_many.lines().filter_map(|l| l.split("method=\"").nth(1)?.split('"').next()).collect();
    assert_eq!(methods, ["GET", "other"].into_iter().collect(), "the methods named in the metrics");
    let grown = after_many.len().abs_diff(after_few.len());
    assert!(grown < 1024, "the scrape grew by {grown} bytes with 60 more made-up methods");
    served.stop().await;
}

/// Scrapes the management listener until `http_requests_in_flight` (which counts the scrape
/// itself) shows `expected` requests besides it, or `deadline` passes; the last value seen.
pub(crate) async fn in_flight_besides_the_scrape(
    admin: std::net::SocketAddr,
    expected: f64,
    deadline: Duration,
) -> f64 {
    let until = Instant::now() + deadline;
    loop {
        let metrics = raw_request(admin, "GET", "/metrics", None, None).await.body;
        let besides = sample(&metrics, "http_requests_in_flight").expect("the gauge") - 1.0;
        if besides == expected || Instant::now() > until {
            return besides;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until a statement of the server waits for a row lock (authenticated, in its handler).
async fn wait_for_a_lock_wait(app: &TestApp) {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        // This test's database only: tests running beside it wait for locks of their own.
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        if waiting > 0 {
            return;
        }
        assert!(Instant::now() < until, "the request never reached the locked row");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_request_whose_client_disconnects_leaves_the_gauge_and_is_logged_and_counted() {
    let app = TestApp::with(&world_of_one()).await;
    let mut served = Served::start_with_admin(app.db.options(), Settings::default(), transport()).await;
    let admin = served.admin.expect("a management listener");
    let lines = json_lines_of("info", async {
        assert_eq!(in_flight_besides_the_scrape(admin, 0.0, Duration::from_secs(10)).await, 0.0);
        settle_log_interest();
        // The state action waits for the row lock the test holds.
        let lock = lock_record(&app, OU).await;
        let mut client = TcpStream::connect(served.address).await.unwrap();
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: testserver\r\nAuthorization: Token owner-token\r\n\
             X-Request-Id: gone-away-1\r\nContent-Length: 0\r\n\r\n",
            action(OU, "begin_creating")
        );
        client.write_all(head.as_bytes()).await.unwrap();
        assert_eq!(in_flight_besides_the_scrape(admin, 1.0, Duration::from_secs(10)).await, 1.0);
        wait_for_a_lock_wait(&app).await;

        drop(client);
        // Still blocked on the lock, but the client is gone: the gauge goes back down.
        assert_eq!(in_flight_besides_the_scrape(admin, 0.0, Duration::from_secs(10)).await, 0.0);
        lock.rollback().await.unwrap();
        let metrics = raw_request(admin, "GET", "/metrics", None, None).await.body;
        let route = r#"route="/api/marketplace-offering-users/{uuid}/begin_creating/",method="POST""#;
        assert_eq!(sample(&metrics, &format!(r#"http_requests_total{{{route},status="4xx"}}"#)), Some(1.0));
        assert_eq!(sample(&metrics, &format!("http_request_duration_seconds_count{{{route}}}")), Some(1.0));
        assert_eq!(
            sample(&metrics, r#"offering_user_transitions_total{action="begin_creating",outcome="499"}"#),
            Some(1.0)
        );
    })
    .await;
    served.stop().await;
    let gone: Vec<&Value> =
        lines.iter().filter(|l| l["message"] == "request" && l["span"]["request_id"] == "gone-away-1").collect();
    assert_eq!(gone.len(), 1, "{lines:?}");
    assert_eq!(gone[0]["status"], 499);
    assert_eq!(gone[0]["outcome"], "client_disconnected");
    assert_eq!(gone[0]["user"], ids::OWNER);
    assert_eq!(gone[0]["span"]["method"], "POST");
}
