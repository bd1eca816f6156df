//! Work only for the permitted: a comment is sanitized (HTML, up to 10,000 characters) only
//! once its record is found and the caller permitted, so 404 → 403 → 400 hold and no one
//! else can make the server do that work; and a 400 echoes at most 200 characters of an answer.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

use crate::checklists::{answer, app_with, question, submit, Q1};
use crate::support::*;
use crate::telemetry::json_lines_of;
use waldur_offering_users::domain::state::State;

const OU: &str = "00000000000000000000000000000f81";
/// A second record, for the request that makes sure the sanitizer's log line is enabled.
const OU_WARM: &str = "00000000000000000000000000000f82";
/// A record in a state the pending actions do not leave.
const OU_OK: &str = "00000000000000000000000000000f83";
const UNKNOWN: &str = "00000000000000000000000000000fff";

fn doc() -> Value {
    world_with(vec![
        offering_user(OU, ids::ADMIN, ids::OFFERING, None, "Creating"),
        offering_user(OU_WARM, ids::MEMBER, ids::OFFERING, None, "Creating"),
        offering_user(OU_OK, ids::MANAGER, ids::OFFERING, Some("manager1"), "OK"),
    ])
}

/// Logs only the sanitizer's own line, besides the request lines.
const FILTER: &str = "info,waldur_offering_users::http::offering_users::input=debug";

/// Sends `body` with `method` to `path` as `token`, under the request id `id`.
async fn send(app: &TestApp, method: &str, path: &str, token: &str, body: &Value, id: &str) -> Reply {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "testserver")
        .header("authorization", format!("Token {token}"))
        .header("content-type", "application/json")
        .header("x-request-id", id)
        .body(Body::from(body.to_string()))
        .unwrap();
    app.send(request).await
}

/// The request ids of the requests that sanitized a comment.
fn sanitized_by(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l["message"] == "comment sanitized")
        .map(|l| l["span"]["request_id"].as_str().unwrap_or("?").to_owned())
        .collect()
}

/// A comment of 10,000 characters of unclosed nested tags: the most work the cap allows.
fn heavy_comment() -> String {
    "<b><i>".repeat(10_000 / 6) + &"x".repeat(10_000 % 6)
}

#[tokio::test]
async fn a_pending_actions_comment_is_sanitized_only_after_404_403_and_the_state_check() {
    let app = TestApp::with(&doc()).await;
    let body = json!({"comment": heavy_comment()});
    let action_on = |uuid: &str| action(uuid, "set_pending_account_linking");
    let lines = json_lines_of(FILTER, async {
        let warm = send(&app, "POST", &action_on(OU_WARM), "owner-token", &body, "warm").await;
        assert_eq!(warm.status, StatusCode::OK);
        tracing::callsite::rebuild_interest_cache();

        let cases = [
            (action_on(UNKNOWN), "owner-token", StatusCode::NOT_FOUND, "unknown"),
            (action_on(OU), "user-token", StatusCode::NOT_FOUND, "invisible"),
            (action_on(OU), "admin-token", StatusCode::FORBIDDEN, "forbidden"),
            (action_on(OU_OK), "owner-token", StatusCode::BAD_REQUEST, "wrong-state"),
        ];
        for (path, token, status, id) in &cases {
            let reply = send(&app, "POST", path, token, &body, id).await;
            assert_eq!(reply.status, *status, "{id}: {:?}", reply.json());
        }
        // Over the cap: the body's 400 comes after 403, and nothing is sanitized for it either.
        let over = json!({"comment": "a".repeat(10_001)});
        assert_eq!(
            send(&app, "POST", &action_on(OU), "admin-token", &over, "over-403").await.status,
            StatusCode::FORBIDDEN
        );
        let reply = send(&app, "POST", &action_on(OU), "owner-token", &over, "over-400").await;
        assert_eq!(reply.json(), json!({"comment": ["Ensure this field has no more than 10000 characters."]}));

        let reply = send(
            &app,
            "POST",
            &action_on(OU),
            "owner-token",
            &json!({"comment": "<p>ok</p><script>x</script>"}),
            "permitted",
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK);
    })
    .await;
    assert_eq!(sanitized_by(&lines), ["warm", "permitted"]);
    let stored = app.get(&detail(OU), "staff-token").await.json();
    assert_eq!(stored["service_provider_comment"], "<p>ok</p>");
    assert_eq!(stored["state"], "Pending account linking");
    assert_eq!(app.state_of(OU_OK).await, "OK");
}

#[tokio::test]
async fn update_comments_sanitizes_only_after_404_and_403() {
    let app = TestApp::with(&doc()).await;
    sqlx::query("UPDATE offering_users SET state = $1 WHERE uuid = $2::uuid")
        .bind(State::Deleted.db())
        .bind(OU_OK)
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(app.state_of(OU_OK).await, "Deleted");
    let body = json!({"service_provider_comment": heavy_comment()});
    let path = |uuid: &str| action(uuid, "update_comments");
    let lines = json_lines_of(FILTER, async {
        let warm = send(&app, "PATCH", &path(OU_WARM), "owner-token", &body, "warm").await;
        assert_eq!(warm.status, StatusCode::OK);
        tracing::callsite::rebuild_interest_cache();

        let cases = [
            (path(UNKNOWN), "owner-token", StatusCode::NOT_FOUND, "unknown"),
            (path(OU), "user-token", StatusCode::NOT_FOUND, "invisible"),
            (path(OU), "admin-token", StatusCode::FORBIDDEN, "forbidden"),
            (path(OU_OK), "owner-token", StatusCode::FORBIDDEN, "deleted"),
        ];
        for (path, token, status, id) in &cases {
            let reply = send(&app, "PATCH", path, token, &body, id).await;
            assert_eq!(reply.status, *status, "{id}: {:?}", reply.json());
        }
        let reply = send(
            &app,
            "PATCH",
            &path(OU),
            "owner-token",
            &json!({"service_provider_comment": "<p>ok</p><script>alert(1)</script>"}),
            "permitted",
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json()["service_provider_comment"], "<p>ok</p>");
    })
    .await;
    assert_eq!(sanitized_by(&lines), ["warm", "permitted"]);
    let stored = app.get(&detail(OU), "staff-token").await.json();
    assert_eq!(stored["service_provider_comment"], "<p>ok</p>");
}

#[tokio::test]
async fn an_invalid_answer_is_echoed_in_its_400_cut_at_200_characters() {
    let app = app_with(vec![question(Q1, "How many nodes?", "number", json!({"required": true}))]).await;
    let long = "9x".repeat(5_000);
    let reply = submit(&app, "user", json!([answer(Q1, json!(long))])).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let expected =
        format!("Answer value '{}…' is not valid for the question 'How many nodes?' (type: number).", &long[..200]);
    assert_eq!(reply.json(), json!([{"non_field_errors": [expected]}]));
    // A short value is echoed whole, as upstream does.
    let reply = submit(&app, "user", json!([answer(Q1, json!("abc"))])).await;
    assert_eq!(
        reply.json(),
        json!([{"non_field_errors": ["Answer value 'abc' is not valid for the question 'How many nodes?' (type: number)."]}])
    );
}
