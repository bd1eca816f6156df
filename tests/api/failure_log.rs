//! A failed request is logged once, on its own request line: the closed-set `error_kind`, the
//! cause's text for a failure of the server's own (never in the body), and a level that
//! follows the status. The conversions into responses log nothing themselves.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::support::*;
use crate::telemetry::json_lines_of;
use waldur_offering_users::error::{ApiError, Unavailable};
use waldur_offering_users::http::observe::observe;

/// The `observe` layer over routes that fail as told, on the state of a real app.
fn failing_router(app: &TestApp) -> Router {
    Router::new()
        .route(
            "/internal",
            get(|| async { ApiError::internal("testing the report", std::io::Error::other("the disk is on fire")) }),
        )
        .route("/shed", get(|| async { ApiError::Unavailable(Unavailable::Overloaded) }))
        .layer(axum::middleware::from_fn_with_state(app.state.clone(), observe))
        .with_state(app.state.clone())
}

async fn get_body(router: &Router, path: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::get(path).body(Body::empty()).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    (status, http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes().to_vec())
}

fn request_lines(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|l| l["message"] == "request").collect()
}

#[tokio::test]
async fn a_failure_of_ours_is_one_error_line_with_its_cause_and_a_bare_500() {
    let app = TestApp::new().await;
    let router = failing_router(&app);
    let mut body = Vec::new();
    let lines = json_lines_of("info", async {
        let (status, bytes) = get_body(&router, "/internal").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        body = bytes;
    })
    .await;
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), json!({"detail": "Internal server error."}));
    assert_eq!(lines.len(), 1, "one line, the request's: {lines:?}");
    let line = &lines[0];
    assert_eq!(line["message"], "request");
    assert_eq!(line["level"], "ERROR");
    assert_eq!(line["status"], 500);
    assert_eq!(line["error_kind"], "internal");
    assert_eq!(line["error"], "testing the report: the disk is on fire");
}

#[tokio::test]
async fn a_503_is_a_warn_line_and_a_client_error_an_info_line_without_a_cause() {
    let app = TestApp::with(&world()).await;
    let router = failing_router(&app);
    let lines = json_lines_of("info", async {
        assert_eq!(get_body(&router, "/shed").await.0, StatusCode::SERVICE_UNAVAILABLE);
        let missing = app.get(&detail("00000000000000000000000000000000"), "staff-token").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        let anonymous = app.request(axum::http::Method::GET, LIST, None, None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        let fine = app.get(LIST, "staff-token").await;
        assert_eq!(fine.status, StatusCode::OK);
    })
    .await;
    let requests = request_lines(&lines);
    assert_eq!(requests.len(), 4, "{lines:?}");
    let fields =
        |l: &Value| (l["level"].clone(), l["status"].clone(), l["error_kind"].clone(), l.get("error").cloned());
    assert_eq!(fields(requests[0]), (json!("WARN"), json!(503), json!("unavailable"), None));
    assert_eq!(fields(requests[1]), (json!("INFO"), json!(404), json!("not_found"), None));
    assert_eq!(fields(requests[2]), (json!("INFO"), json!(401), json!("unauthenticated"), None));
    assert_eq!(fields(requests[3]), (json!("INFO"), json!(200), Value::Null, None));
    assert_eq!(lines.len(), 4, "nothing but the request lines: {lines:?}");
}
