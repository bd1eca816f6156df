//! Paths, methods and the uuid forms in paths (docs/spec/decisions.md 3, 27, 31).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

use crate::support::*;

const OU: &str = "00000000000000000000000000000f01";

fn one_record() -> serde_json::Value {
    world_with(vec![offering_user(OU, ids::ADMIN, ids::OFFERING, Some("user"), "OK")])
}

#[tokio::test]
async fn paths_are_answered_with_and_without_trailing_slash() {
    let app = TestApp::with(&one_record()).await;
    assert_eq!(app.get("/api/marketplace-offering-users", "staff-token").await.status, StatusCode::OK);
    let bare = format!("/api/marketplace-offering-users/{OU}");
    let reply = app.get(&bare, "staff-token").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["uuid"], OU);
}

#[tokio::test]
async fn uuid_in_path_is_accepted_with_or_without_dashes() {
    let app = TestApp::with(&one_record()).await;
    let dashed = "00000000-0000-0000-0000-000000000f01";
    let reply = app.get(&detail(dashed), "staff-token").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["uuid"], OU);
}

#[tokio::test]
async fn malformed_and_unknown_uuids_are_the_same_404() {
    let app = TestApp::with(&one_record()).await;
    for uuid in ["xyz", "00000000000000000000000000000000"] {
        let reply = app.get(&detail(uuid), "staff-token").await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uuid}");
        assert_eq!(reply.json(), json!({"detail": "No OfferingUser matches the given query."}));
    }
}

#[tokio::test]
async fn unsupported_methods_get_405_with_drf_body_and_allow() {
    let app = TestApp::with(&one_record()).await;
    let reply = app.put(LIST, "staff-token", json!({})).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.json(), json!({"detail": "Method \"PUT\" not allowed."}));
    assert_eq!(reply.header("allow").as_deref(), Some("GET, POST, HEAD, OPTIONS"));

    for method in ["TRACE", "QUERY"] {
        let request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(LIST)
            .header("authorization", "Token staff-token")
            .body(Body::empty())
            .unwrap();
        let reply = app.send(request).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(reply.json(), json!({"detail": format!("Method \"{method}\" not allowed.")}));
    }
}

#[tokio::test]
async fn method_check_comes_after_authentication() {
    let app = TestApp::with(&one_record()).await;
    let reply = app.request(Method::PUT, LIST, None, Some(json!({}))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cors_preflight_is_answered_without_credentials() {
    let app = TestApp::with(&one_record()).await;
    let request = Request::builder()
        .method(Method::OPTIONS)
        .uri(LIST)
        .header("access-control-request-method", "GET")
        .body(Body::empty())
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("allow").as_deref(), Some("GET, POST, HEAD, OPTIONS"));
}

#[tokio::test]
async fn unknown_paths_are_404_json() {
    let app = TestApp::with(&one_record()).await;
    let reply = app.get("/api/nothing-here/", "staff-token").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.json(), json!({"detail": "Not found."}));
}
