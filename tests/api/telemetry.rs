//! Operability: what `/metrics` counts, what a request logs, and its request id.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use crate::support::capture::Captured;
use crate::support::served::{raw_request, transport, Served};
use crate::support::*;
use waldur_offering_users::http::{admin_app, Settings};
use waldur_offering_users::telemetry::{subscriber, LogFormat};

const OU: &str = "00000000000000000000000000000f71";

fn world_of_one() -> Value {
    world_with(vec![offering_user(OU, ids::ADMIN, ids::OFFERING, Some("admin-account"), "Requested")])
}

/// `/metrics` of the management router over the same state as `app`.
pub(crate) async fn scrape(app: &TestApp) -> String {
    let request = Request::get("/metrics").body(Body::empty()).unwrap();
    let response = admin_app(app.state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The value of the sample `name{labels}` (labels as rendered), if present.
pub(crate) fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn requests_are_counted_by_route_template_method_and_status_class() {
    let app = TestApp::with(&world_of_one()).await;
    assert_eq!(app.get(&detail(OU), "owner-token").await.status, StatusCode::OK);
    assert_eq!(app.get(detail(OU).trim_end_matches('/'), "owner-token").await.status, StatusCode::OK);
    assert_eq!(app.get(&detail("00000000000000000000000000000fff"), "owner-token").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(LIST, "owner-token").await.status, StatusCode::OK);

    let metrics = scrape(&app).await;
    let detail_route = r#"route="/api/marketplace-offering-users/{uuid}/",method="GET""#;
    assert_eq!(sample(&metrics, &format!(r#"http_requests_total{{{detail_route},status="2xx"}}"#)), Some(2.0));
    assert_eq!(sample(&metrics, &format!(r#"http_requests_total{{{detail_route},status="4xx"}}"#)), Some(1.0));
    assert_eq!(sample(&metrics, &format!("http_request_duration_seconds_count{{{detail_route}}}")), Some(3.0));
    assert_eq!(
        sample(&metrics, r#"http_requests_total{route="/api/marketplace-offering-users/",method="GET",status="2xx"}"#),
        Some(1.0)
    );
    // Labels are templates: no record's uuid becomes a series.
    assert!(!metrics.contains(OU) && !metrics.contains("0fff"), "{metrics}");
    // The scrape itself is the one request in progress.
    assert_eq!(sample(&metrics, "http_requests_in_flight"), Some(1.0));
    assert_eq!(sample(&metrics, r#"db_pool_connections{state="max"}"#), Some(4.0));
    assert_eq!(sample(&metrics, "db_pool_waiting"), Some(0.0));
    assert!(metrics.trim_end().ends_with("# EOF"));
}

#[tokio::test]
async fn state_actions_are_counted_by_action_and_outcome_and_failed_tokens_by_reason() {
    let app = TestApp::with(&world_of_one()).await;
    let begin = action(OU, "begin_creating");
    assert_eq!(app.post_empty(&begin, "owner-token").await.status, StatusCode::OK);
    assert_eq!(app.post_empty(&begin, "owner-token").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.post_empty(&begin, "outsider-token").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.post_empty(&begin, "no-such-token").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.request(Method::GET, LIST, None, None).await.status, StatusCode::UNAUTHORIZED);

    let metrics = scrape(&app).await;
    for (outcome, n) in [("200", 1.0), ("400", 1.0), ("404", 1.0), ("401", 1.0)] {
        let series = format!(r#"offering_user_transitions_total{{action="begin_creating",outcome="{outcome}"}}"#);
        assert_eq!(sample(&metrics, &series), Some(n), "{series}");
    }
    assert_eq!(sample(&metrics, r#"auth_failures_total{reason="invalid"}"#), Some(1.0));
    assert_eq!(sample(&metrics, r#"auth_failures_total{reason="missing"}"#), Some(1.0));
}

#[tokio::test]
async fn shed_requests_are_counted_by_reason() {
    let app = TestApp::with_settings(Settings { max_in_flight: 0, ..Settings::default() }).await;
    let reply = app.get(LIST, "owner-token").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    let metrics = scrape(&app).await;
    assert_eq!(sample(&metrics, r#"http_requests_unavailable_total{reason="overloaded"}"#), Some(1.0));
    assert_eq!(
        sample(&metrics, r#"http_requests_total{route="/api/marketplace-offering-users/",method="GET",status="5xx"}"#),
        Some(1.0)
    );
}

#[tokio::test]
async fn without_a_management_listener_nothing_is_recorded() {
    let app = TestApp::with_settings(Settings { record_metrics: false, ..Settings::default() }).await;
    app.import(&world_of_one()).await;
    assert_eq!(app.get(LIST, "owner-token").await.status, StatusCode::OK);
    assert_eq!(app.get(LIST, "no-such-token").await.status, StatusCode::UNAUTHORIZED);
    let metrics = scrape(&app).await;
    assert!(!metrics.lines().any(|l| l.starts_with("http_requests_total")), "{metrics}");
    assert!(!metrics.lines().any(|l| l.starts_with("auth_failures_total")), "{metrics}");
    // The request id and the log line do not depend on metrics.
    assert!(app.get(LIST, "owner-token").await.header("x-request-id").is_some());
}

#[tokio::test]
async fn the_management_listener_serves_metrics_and_health_and_the_api_listener_does_not_serve_metrics() {
    let app = TestApp::with(&world_of_one()).await;
    let mut served = Served::start_with_admin(app.db.options(), Settings::default(), transport()).await;
    let admin = served.admin.expect("a management listener");
    assert_eq!(served.request("GET", LIST, Some("owner-token"), None).await.status, 200);

    let metrics = raw_request(admin, "GET", "/metrics", None, None).await;
    assert_eq!(metrics.status, 200);
    assert!(metrics
        .body
        .contains(r#"http_requests_total{route="/api/marketplace-offering-users/",method="GET",status="2xx"} 1"#));
    assert!(metrics.body.contains("offering_user_count_fold_age_seconds"));
    assert_eq!(raw_request(admin, "GET", "/health/ready", None, None).await.status, 200);
    assert_eq!(raw_request(admin, "GET", "/health/live", None, None).await.status, 200);
    assert_eq!(served.request("GET", "/metrics", None, None).await.status, 404);
    served.stop().await;
}

/// Runs `requests` with the server's JSON subscriber at `filter`; returns the log lines.
pub(crate) async fn json_lines_of<F: std::future::Future<Output = ()>>(filter: &str, requests: F) -> Vec<Value> {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = subscriber(LogFormat::Json, filter.parse().unwrap(), move || writer.clone(), false);
    {
        // The test runtime has one thread: the guard's task logs through this subscriber too.
        let _scope = tracing::subscriber::set_default(subscriber);
        // A callsite first hit by another test's thread outside any capture may be cached as
        // disabled (see `labels::settle_log_interest`): ask again, now that this subscriber is
        // the default.
        tracing::callsite::rebuild_interest_cache();
        requests.await;
    }
    let text = captured.text();
    text.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))).collect()
}

#[tokio::test]
async fn each_request_logs_one_json_line_with_its_request_id_route_status_and_user_and_no_token() {
    let app = TestApp::with(&world_of_one()).await;
    let mut ids = Vec::new();
    let lines = json_lines_of("info", async {
        let request = Request::get(format!("{}?x-auth-token=owner-token", detail(OU)))
            .header("host", "testserver")
            .body(Body::empty())
            .unwrap();
        let reply = app.send(request).await;
        assert_eq!(reply.status, StatusCode::OK);
        ids.push(reply.header("x-request-id").expect("a request id is echoed"));
        let anonymous = app.request(Method::GET, LIST, None, None).await;
        ids.push(anonymous.header("x-request-id").unwrap());
    })
    .await;
    let requests: Vec<&Value> = lines.iter().filter(|l| l["message"] == "request").collect();
    assert_eq!(requests.len(), 2, "{lines:?}");
    let first = requests[0];
    assert_eq!(first["level"], "INFO");
    assert_eq!(first["span"]["request_id"], ids[0].as_str());
    assert_eq!(first["span"]["route"], "/api/marketplace-offering-users/{uuid}/");
    assert_eq!(first["span"]["method"], "GET");
    assert_eq!(first["status"], 200);
    assert_eq!(first["user"], ids::OWNER);
    assert!(first["latency_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(requests[1]["status"], 401);
    assert!(requests[1].get("user").is_none());
    assert_ne!(ids[0], ids[1]);
    let all = serde_json::to_string(&lines).unwrap();
    assert!(!all.contains("owner-token") && !all.contains(OU), "{all}");
}

#[tokio::test]
async fn a_well_formed_client_request_id_is_kept_and_on_every_line_of_its_request() {
    let app = TestApp::with(&world_of_one()).await;
    let lines = json_lines_of("debug", async {
        let request = Request::post(action(OU, "begin_creating"))
            .header("host", "testserver")
            .header("authorization", "Token owner-token")
            .header("x-request-id", "client-chosen-42")
            .body(Body::empty())
            .unwrap();
        let reply = app.send(request).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("x-request-id").as_deref(), Some("client-chosen-42"));

        let malformed = Request::get(LIST)
            .header("host", "testserver")
            .header("authorization", "Token owner-token")
            .header("x-request-id", "not well formed!")
            .body(Body::empty())
            .unwrap();
        let reply = app.send(malformed).await;
        let generated = reply.header("x-request-id").unwrap();
        assert_ne!(generated, "not well formed!");
        assert_eq!(generated.len(), 32);
    })
    .await;
    let of_action: Vec<&Value> = lines
        .iter()
        .filter(|l| l["span"]["route"] == "/api/marketplace-offering-users/{uuid}/begin_creating/")
        .collect();
    // The statements sqlx logs at debug and the request line, all in the request's span.
    assert!(of_action.len() >= 2, "{lines:?}");
    assert!(of_action.iter().all(|l| l["span"]["request_id"] == "client-chosen-42"), "{of_action:?}");
    assert!(lines.iter().filter(|l| l.get("span").is_some()).all(|l| l["span"]["request_id"].is_string()));
}
