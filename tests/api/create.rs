//! `POST /api/marketplace-offering-users/` (docs/spec/offering-users.md §4.3, §9.1 items 11–16, 56–57;
//! docs/spec/decisions.md 2, 26).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

use crate::support::*;

fn offering_url(uuid: &str) -> String {
    format!("http://testserver/api/marketplace-provider-offerings/{uuid}/")
}

fn user_url(uuid: &str) -> String {
    format!("http://testserver/api/users/{uuid}/")
}

fn by_links(offering: &str, user: &str) -> Value {
    json!({"offering": offering_url(offering), "user": user_url(user)})
}

#[tokio::test]
async fn staff_and_owner_create_by_hyperlink_with_201_and_the_full_object() {
    let app = TestApp::with(&world()).await;
    for (who, user) in [("staff", ids::ADMIN), ("owner", ids::MEMBER)] {
        let reply = app.post(LIST, &token(who), by_links(ids::OFFERING, user)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{who}: {}", String::from_utf8_lossy(&reply.bytes));
        let body = reply.json();
        // The 58 fields less the 23 `user_*` ones the default exposure hides.
        assert_eq!(body.as_object().unwrap().len(), 35);
        assert_eq!(body["offering_uuid"], ids::OFFERING);
        assert_eq!(body["user_uuid"], user);
        assert_eq!(body["state"], "Requested");
        assert_eq!(body["username"], Value::Null);
        assert_eq!(body["uuid"].as_str().unwrap().len(), 32);
    }
}

#[tokio::test]
async fn create_by_uuid_with_username_is_ok_at_once() {
    let app = TestApp::with(&world()).await;
    let reply = app
        .post(
            LIST,
            "owner-token",
            json!({"offering_uuid": ids::OFFERING, "user_uuid": ids::ADMIN, "username": "alice"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.json()["state"], "OK");
    assert_eq!(reply.json()["username"], "alice");
    let dashed = "00000000-0000-0000-0000-000000000a07";
    let reply = app.post(LIST, "owner-token", json!({"offering_uuid": ids::OFFERING, "user_uuid": dashed})).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.json()["state"], "Requested");
}

#[tokio::test]
async fn reference_errors_come_in_upstream_order_and_shape() {
    let app = TestApp::with(&world()).await;
    let cases = [
        (
            json!({"offering": offering_url(ids::OFFERING), "offering_uuid": ids::OFFERING, "user_uuid": ids::ADMIN}),
            json!({"non_field_errors": ["Cannot specify both 'offering' URL and 'offering_uuid'. Use one or the other."]}),
        ),
        (
            json!({"username": "x"}),
            json!({"non_field_errors": ["Either 'offering' URL or 'offering_uuid' is required."]}),
        ),
        (
            json!({"offering_uuid": ids::OFFERING}),
            json!({"non_field_errors": ["Either 'user' URL or 'user_uuid' is required."]}),
        ),
        (
            json!({"offering_uuid": ids::OFFERING, "user_uuid": ids::ADMIN, "user": user_url(ids::ADMIN)}),
            json!({"non_field_errors": ["Cannot specify both 'user' URL and 'user_uuid'. Use one or the other."]}),
        ),
        (
            json!({"offering_uuid": "00000000000000000000000000000999", "user_uuid": ids::ADMIN}),
            json!({"offering_uuid": ["Object with uuid=00000000000000000000000000000999 does not exist."]}),
        ),
        (
            by_links("00000000000000000000000000000000", ids::ADMIN),
            json!({"offering": ["Invalid hyperlink - Object does not exist."]}),
        ),
        (
            json!({"offering": format!("http://testserver/api/marketplace-public-offerings/{}/", ids::OFFERING),
                   "user": user_url(ids::ADMIN)}),
            json!({"offering": ["Invalid hyperlink - Incorrect URL match."]}),
        ),
        (
            json!({"offering": 5, "user": "http://testserver/api/nowhere/"}),
            json!({"offering": ["Incorrect type. Expected URL string, received int."],
                   "user": ["Invalid hyperlink - No URL match."]}),
        ),
        (
            json!({"offering_uuid": ids::OFFERING, "user_uuid": ids::ADMIN, "username": "x".repeat(101)}),
            json!({"username": ["Ensure this field has no more than 100 characters."]}),
        ),
    ];
    for (body, expected) in cases {
        let reply = app.post(LIST, "staff-token", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.json(), expected, "{body}");
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM offering_users").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn duplicate_pair_is_400_even_for_a_caller_without_permission() {
    let doc = world_with(vec![offering_user(
        "00000000000000000000000000000f01",
        ids::ADMIN,
        ids::OFFERING,
        None,
        "Requested",
    )]);
    let app = TestApp::with(&doc).await;
    let unique = json!({"non_field_errors": ["The fields offering, user must make a unique set."]});
    for who in ["staff", "user"] {
        let reply = app.post(LIST, &token(who), by_links(ids::OFFERING, ids::ADMIN)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{who}");
        assert_eq!(reply.json(), unique);
    }
}

#[tokio::test]
async fn callers_without_create_permission_get_403() {
    let app = TestApp::with(&world()).await;
    for who in ["admin", "manager", "user", "support", "service_manager", "offering_manager", "other_owner"] {
        let reply = app.post(LIST, &token(who), by_links(ids::OFFERING, ids::MEMBER)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(reply.json(), json!({"detail": "You do not have permission to perform this action."}));
    }
}

#[tokio::test]
async fn offering_with_the_switch_off_answers_a_bare_list() {
    let app = TestApp::with(&world()).await;
    for who in ["staff", "owner"] {
        let reply = app.post(LIST, &token(who), by_links(ids::CLOSED_OFFERING, ids::ADMIN)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{who}");
        assert_eq!(reply.json(), json!(["It is not allowed to create users for current offering."]));
    }
}

#[tokio::test]
async fn invalid_json_and_form_bodies() {
    let app = TestApp::with(&world()).await;
    let request = Request::builder()
        .method("POST")
        .uri(LIST)
        .header("authorization", "Token staff-token")
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.json()["detail"].as_str().unwrap().starts_with("JSON parse error - "));

    let form = format!("offering_uuid={}&user_uuid={}&username=formed", ids::OFFERING, ids::MEMBER);
    let request = Request::builder()
        .method("POST")
        .uri(LIST)
        .header("authorization", "Token owner-token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.json()["username"], "formed");

    let list_body = app.post(LIST, "staff-token", json!([1, 2])).await;
    assert_eq!(list_body.status, StatusCode::BAD_REQUEST);
    assert_eq!(list_body.json(), json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}));
}

#[tokio::test]
async fn create_is_audited_and_field_narrows_the_response() {
    let app = TestApp::with(&world()).await;
    let reply =
        app.post(&format!("{LIST}?field=uuid&field=state"), "owner-token", by_links(ids::OFFERING, ids::MEMBER)).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let body = reply.json();
    assert_eq!(body.as_object().unwrap().keys().collect::<Vec<_>>(), vec!["uuid", "state"]);
    let uuid = uuid::Uuid::parse_str(body["uuid"].as_str().unwrap()).unwrap();
    let events = waldur_offering_users::store::audit::events_of(&app.db.pool, uuid).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "marketplace_offering_user_created");
}
