//! PostgreSQL going away and coming back: answers 503 with `Retry-After` instead
//! of hanging, resumes by itself, and readiness says so. The database is cut off by a proxy
//! this test controls, never by stopping the shared PostgreSQL.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::proxy::DbProxy;
use crate::support::served::{raw_request, transport, Served};
use crate::support::*;
use waldur_offering_users::http::Settings;

const OU: &str = "00000000000000000000000000000f61";

fn world_of_one() -> serde_json::Value {
    world_with(vec![offering_user(OU, ids::ADMIN, ids::OFFERING, Some("admin-account"), "Requested")])
}

/// Polls `path` until it answers `status`; returns how long that took.
async fn until_status(served: &Served, path: &str, token: Option<&str>, status: u16) -> Duration {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if served.request("GET", path, token, None).await.status == status {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} never answered {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_an_outage_requests_get_503_with_retry_after_and_service_resumes_by_itself() {
    let app = TestApp::with(&world_of_one()).await;
    let proxy = DbProxy::start().await;
    let mut served = Served::start(proxy.options(&app.db.name), Settings::default(), transport()).await;
    assert_eq!(served.request("GET", LIST, Some("owner-token"), None).await.status, 200);

    proxy.cut();
    let started = Instant::now();
    let reply = served.request("GET", LIST, Some("owner-token"), None).await;
    let first_answer = started.elapsed();
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.header("retry-after"), Some("5"));
    assert_eq!(reply.json(), json!({"detail": "The database is unavailable. Try again later."}));
    // Well inside the pool's 5 s acquire timeout: the outage is noticed, not waited out.
    assert!(first_answer < Duration::from_secs(4), "the first request took {first_answer:?}");

    let started = Instant::now();
    let later = served.request("POST", &action(OU, "begin_creating"), Some("owner-token"), None).await;
    let later_answer = started.elapsed();
    assert_eq!(later.status, 503);
    let ready = served.request("GET", "/health/ready", None, None).await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json()["checks"]["database"], "unreachable");
    assert_eq!(served.request("GET", "/health/live", None, None).await.status, 200);

    proxy.restore().await;
    let recovery = until_status(&served, LIST, Some("owner-token"), 200).await;
    assert_eq!(served.request("GET", "/health/ready", None, None).await.status, 200);
    assert_eq!(app.state_of(OU).await, "Requested", "nothing was written during the outage");
    eprintln!(
        "outage figures: first answer {first_answer:?}, a later one {later_answer:?}, first 200 {recovery:?} after the database came back"
    );
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_progress_when_the_database_goes_is_answered_503_and_nothing_is_written() {
    let app = TestApp::with(&world_of_one()).await;
    let proxy = DbProxy::start().await;
    let mut served = Served::start(proxy.options(&app.db.name), Settings::default(), transport()).await;
    // The test holds the row (on its own connection, not through the proxy).
    let lock = lock_record(&app, OU).await;
    let address = served.address;
    let in_progress = tokio::spawn(async move {
        let body = json!({"username": "written-in-the-outage"}).to_string();
        let started = Instant::now();
        let reply = raw_request(address, "PATCH", &detail(OU), Some("owner-token"), Some(&body)).await;
        (reply, started)
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.cut();
    let cut_at = Instant::now();
    let (reply, _) = in_progress.await.unwrap();
    let answered_after = cut_at.elapsed();
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(answered_after < Duration::from_secs(4), "answered {answered_after:?} after the cut");
    lock.commit().await.unwrap();
    assert_eq!(username_of(&app, OU).await.as_deref(), Some("admin-account"));
    proxy.restore().await;
    served.stop().await;
}

#[tokio::test]
async fn readiness_checks_the_migrations_this_binary_knows_and_accepts_newer_ones() {
    let app = TestApp::new().await;
    let mut served = Served::start(app.db.options(), Settings::default(), transport()).await;
    let ready = served.request("GET", "/health/ready", None, None).await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json(), json!({"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}));

    // A newer replica applied a migration this binary does not know: still ready.
    record_future_migration(&app).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(served.request("GET", "/health/ready", None, None).await.status, 200);

    // One this binary knows is missing: not ready, and the body says which.
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 7").execute(&app.db.pool).await.unwrap();
    let not_ready = until_status(&served, "/health/ready", None, 503).await;
    let reply = served.request("GET", "/health/ready", None, None).await;
    assert_eq!(
        reply.json(),
        json!({"status": "unavailable", "checks": {"database": "ok", "migrations": "not applied: 7"}})
    );
    assert!(not_ready < Duration::from_secs(5));
    served.stop().await;
}

#[tokio::test]
async fn a_server_starts_on_a_database_a_newer_release_migrated_further() {
    let app = TestApp::new().await;
    record_future_migration(&app).await;
    waldur_offering_users::db::migrate(&app.db.options()).await.expect("an unknown applied migration is accepted");
}

#[tokio::test]
async fn health_needs_no_token_and_a_router_without_a_monitor_is_never_ready() {
    let app = TestApp::new().await;
    let live = app.request(axum::http::Method::GET, "/health/live", None, None).await;
    assert_eq!(live.status, axum::http::StatusCode::OK);
    assert_eq!(live.json(), json!({"status": "ok"}));
    let ready = app.request(axum::http::Method::GET, "/health/ready/", None, None).await;
    assert_eq!(ready.status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.json()["checks"]["database"], "not monitored");
}
