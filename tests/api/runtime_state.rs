//! The runtime state and `POST {uuid}/update_runtime_state/` (docs/spec/offering-users-2026.md
//! §3, §10 items 2–3): who may set it, the body's validation, Deleted, the comment fields, the
//! audit event, the default on create, and that no other action changes it.
//!
//! The tests read the column, and the representation's `runtime_state` where it matters.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::*;
use waldur_offering_users::store::audit::events_of;

/// The admin's record on the provider's offering.
const OU: &str = "00000000000000000000000000000f01";

async fn app_in(state: &str) -> TestApp {
    TestApp::with(&world_with(vec![offering_user(OU, ids::ADMIN, ids::OFFERING, Some("admin"), state)])).await
}

fn path() -> String {
    action(OU, "update_runtime_state")
}

/// The stored runtime state and comment fields.
async fn stored(app: &TestApp) -> (String, String, String) {
    sqlx::query_as(
        "SELECT runtime_state, service_provider_comment, service_provider_comment_url FROM offering_users \
         WHERE uuid = $1::uuid",
    )
    .bind(OU)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

async fn runtime_state(app: &TestApp) -> String {
    stored(app).await.0
}

async fn set_comments(app: &TestApp, comment: &str, url: &str) {
    sqlx::query(
        "UPDATE offering_users SET service_provider_comment = $2, service_provider_comment_url = $3 \
         WHERE uuid = $1::uuid",
    )
    .bind(OU)
    .bind(comment)
    .bind(url)
    .execute(&app.db.pool)
    .await
    .unwrap();
}

async fn event_count(app: &TestApp) -> usize {
    events_of(&app.db.pool, Uuid::parse_str(OU).unwrap()).await.unwrap().len()
}

fn pending_linking() -> Value {
    json!({"runtime_state": "Pending account linking"})
}

#[tokio::test]
async fn writers_may_set_it_and_everyone_else_gets_403_or_404() {
    // (token, status): owner and offering manager hold OFFERING.UPDATE_USER; the customer's
    // manager and support role, global support and the record's own user see the record but
    // may not write it; a stranger does not see it.
    let cases = [
        ("owner", StatusCode::OK),
        ("offering_manager", StatusCode::OK),
        ("staff", StatusCode::OK),
        ("service_manager", StatusCode::FORBIDDEN),
        ("customer_support", StatusCode::FORBIDDEN),
        ("support", StatusCode::FORBIDDEN),
        ("admin", StatusCode::FORBIDDEN),
        ("outsider", StatusCode::NOT_FOUND),
        ("other_owner", StatusCode::NOT_FOUND),
    ];
    for (who, expected) in cases {
        let app = app_in("OK").await;
        let reply = app.post(&path(), &token(who), pending_linking()).await;
        assert_eq!(reply.status, expected, "{who}: {:?}", String::from_utf8_lossy(&reply.bytes));
        match expected {
            StatusCode::OK => {
                assert!(reply.bytes.is_empty(), "{who}: 200 with an empty body");
                assert_eq!(runtime_state(&app).await, "Pending account linking", "{who}");
                let shown = app.get(&detail(OU), "staff-token").await.json();
                assert_eq!(shown["runtime_state"], "Pending account linking", "{who}");
            }
            StatusCode::FORBIDDEN => {
                assert_eq!(reply.json(), json!({"detail": "You do not have permission to perform this action."}));
                assert_eq!(runtime_state(&app).await, "Active", "{who}");
                assert_eq!(event_count(&app).await, 0);
            }
            _ => {
                assert_eq!(reply.json(), json!({"detail": "No OfferingUser matches the given query."}));
                assert_eq!(runtime_state(&app).await, "Active", "{who}");
            }
        }
    }
}

#[tokio::test]
async fn checks_run_401_then_404_then_403_then_body_then_state() {
    let app = app_in("Deleted").await;
    let bad = json!({"runtime_state": "nope"});
    let anonymous = app.request(Method::POST, &path(), None, Some(pending_linking())).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let malformed =
        app.post("/api/marketplace-offering-users/not-a-uuid/update_runtime_state/", "owner-token", bad.clone()).await;
    assert_eq!(malformed.status, StatusCode::NOT_FOUND);
    let unknown =
        app.post(&action("00000000000000000000000000000fff", "update_runtime_state"), "owner-token", bad.clone()).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(app.post(&path(), "outsider-token", bad.clone()).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.post(&path(), "customer_support-token", bad.clone()).await.status, StatusCode::FORBIDDEN);
    // A bad body on a Deleted record: the body's 400 comes first.
    let reply = app.post(&path(), "owner-token", bad).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json(), json!({"runtime_state": ["\"nope\" is not a valid choice."]}));
    let reply = app.post(&path(), "owner-token", pending_linking()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json(), json!({"detail": "Cannot update runtime state for offering user in state: Deleted"}));
    let get = app.get(&path(), "owner-token").await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn a_deleted_record_is_refused_and_nothing_changes() {
    let app = app_in("Deleted").await;
    set_comments(&app, "kept", "https://example.org/kept").await;
    let before: (chrono::DateTime<chrono::Utc>,) =
        sqlx::query_as("SELECT modified FROM offering_users WHERE uuid = $1::uuid")
            .bind(OU)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    for who in ["owner", "staff"] {
        let reply = app
            .post(
                &path(),
                &token(who),
                json!({"runtime_state": "Pending additional validation", "service_provider_comment": "new",
                       "service_provider_comment_url": ""}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{who}");
        assert_eq!(reply.json(), json!({"detail": "Cannot update runtime state for offering user in state: Deleted"}));
    }
    assert_eq!(stored(&app).await, ("Active".into(), "kept".into(), "https://example.org/kept".into()));
    let after: (chrono::DateTime<chrono::Utc>,) =
        sqlx::query_as("SELECT modified FROM offering_users WHERE uuid = $1::uuid")
            .bind(OU)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(before, after);
    assert_eq!(event_count(&app).await, 0);
}

#[tokio::test]
async fn every_lifecycle_state_but_deleted_allows_every_value_and_back() {
    use waldur_offering_users::domain::state::ALL_STATES;
    let app = app_in("OK").await;
    for state in ALL_STATES.into_iter().filter(|s| s.label() != "Deleted") {
        sqlx::query("UPDATE offering_users SET state = $1").bind(state.db()).execute(&app.db.pool).await.unwrap();
        for value in ["Pending account linking", "Pending additional validation", "Active"] {
            let reply = app.post(&path(), "owner-token", json!({"runtime_state": value})).await;
            assert_eq!(reply.status, StatusCode::OK, "{} → {value}", state.label());
            assert_eq!(runtime_state(&app).await, value);
            // The lifecycle state is left alone.
            assert_eq!(app.state_of(OU).await, state.label());
        }
    }
}

#[tokio::test]
async fn invalid_bodies_get_drfs_messages_and_change_nothing() {
    let app = app_in("OK").await;
    let cases = [
        (json!({}), json!({"runtime_state": ["This field is required."]})),
        (json!({"service_provider_comment": "x"}), json!({"runtime_state": ["This field is required."]})),
        (json!({"runtime_state": null}), json!({"runtime_state": ["This field may not be null."]})),
        (json!({"runtime_state": 999}), json!({"runtime_state": ["\"999\" is not a valid choice."]})),
        (json!({"runtime_state": ""}), json!({"runtime_state": ["\"\" is not a valid choice."]})),
        (json!({"runtime_state": "active"}), json!({"runtime_state": ["\"active\" is not a valid choice."]})),
        (json!({"runtime_state": "OK"}), json!({"runtime_state": ["\"OK\" is not a valid choice."]})),
        (
            json!({"runtime_state": "Active", "service_provider_comment_url": "not a url"}),
            json!({"service_provider_comment_url": ["Enter a valid URL."]}),
        ),
        (
            json!({"runtime_state": "Active", "service_provider_comment_url": format!("https://example.org/{}", "a".repeat(200))}),
            json!({"service_provider_comment_url": ["Ensure this field has no more than 200 characters."]}),
        ),
        (
            json!({"runtime_state": "Active", "service_provider_comment": "a".repeat(10_001)}),
            json!({"service_provider_comment": ["Ensure this field has no more than 10000 characters."]}),
        ),
        (
            json!({"runtime_state": "x", "service_provider_comment": {"a": 1}}),
            json!({"runtime_state": ["\"x\" is not a valid choice."], "service_provider_comment": ["Not a valid string."]}),
        ),
    ];
    for (body, expected) in cases {
        let reply = app.post(&path(), "owner-token", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.json(), expected, "{body}");
    }
    let not_an_object = app.post(&path(), "owner-token", json!(["Active"])).await;
    assert_eq!(not_an_object.status, StatusCode::BAD_REQUEST);
    let bodyless = app.post_empty(&path(), "owner-token").await;
    assert_eq!(bodyless.status, StatusCode::BAD_REQUEST);
    assert_eq!(bodyless.json(), json!({"runtime_state": ["This field is required."]}));
    assert_eq!(stored(&app).await, ("Active".into(), String::new(), String::new()));
    assert_eq!(event_count(&app).await, 0);
}

#[tokio::test]
async fn comments_are_kept_set_cleared_and_null_leaves_them() {
    let app = app_in("OK").await;
    set_comments(&app, "old", "https://example.org/old").await;
    // Absent: kept.
    assert_eq!(app.post(&path(), "owner-token", pending_linking()).await.status, StatusCode::OK);
    assert_eq!(stored(&app).await, ("Pending account linking".into(), "old".into(), "https://example.org/old".into()));
    // null: kept as well (§11 Q3).
    let nulls =
        json!({"runtime_state": "Active", "service_provider_comment": null, "service_provider_comment_url": null});
    assert_eq!(app.post(&path(), "owner-token", nulls).await.status, StatusCode::OK);
    assert_eq!(stored(&app).await, ("Active".into(), "old".into(), "https://example.org/old".into()));
    // Set, in the same call; the HTML is sanitized like update_comments'.
    let set = json!({"runtime_state": "Pending additional validation",
                     "service_provider_comment": "<p>Accept the new terms</p><script>alert(1)</script>",
                     "service_provider_comment_url": "https://example.org/terms"});
    assert_eq!(app.post(&path(), "owner-token", set).await.status, StatusCode::OK);
    assert_eq!(
        stored(&app).await,
        (
            "Pending additional validation".into(),
            "<p>Accept the new terms</p>".into(),
            "https://example.org/terms".into()
        )
    );
    // One of them only.
    let url_only = json!({"runtime_state": "Pending additional validation", "service_provider_comment_url": "https://example.org/v2"});
    assert_eq!(app.post(&path(), "owner-token", url_only).await.status, StatusCode::OK);
    assert_eq!(stored(&app).await.1, "<p>Accept the new terms</p>");
    assert_eq!(stored(&app).await.2, "https://example.org/v2");
    // "": cleared.
    let clear = json!({"runtime_state": "Active", "service_provider_comment": "", "service_provider_comment_url": ""});
    assert_eq!(app.post(&path(), "owner-token", clear).await.status, StatusCode::OK);
    assert_eq!(stored(&app).await, ("Active".into(), String::new(), String::new()));
}

#[tokio::test]
async fn form_encoded_bodies_work_like_json() {
    let app = app_in("Requested").await;
    let request = Request::builder()
        .method(Method::POST)
        .uri(path())
        .header("host", "testserver")
        .header("authorization", "Token owner-token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("runtime_state=Pending+account+linking&service_provider_comment=Link+your+account"))
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", String::from_utf8_lossy(&reply.bytes));
    assert_eq!(stored(&app).await, ("Pending account linking".into(), "Link your account".into(), String::new()));
    let xml = Request::builder()
        .method(Method::POST)
        .uri(path())
        .header("host", "testserver")
        .header("authorization", "Token owner-token")
        .header("content-type", "application/xml")
        .body(Body::from("<x/>"))
        .unwrap();
    assert_eq!(app.send(xml).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn each_update_writes_one_audit_event_with_old_and_new_values_and_bumps_modified() {
    let app = app_in("OK").await;
    set_comments(&app, "old", "").await;
    let modified = |app: &TestApp| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, chrono::DateTime<chrono::Utc>>(
                "SELECT modified FROM offering_users WHERE uuid = $1::uuid",
            )
            .bind(OU)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let before = modified(&app).await;
    let body =
        json!({"runtime_state": "Pending account linking", "service_provider_comment_url": "https://example.org/link"});
    assert_eq!(app.post(&path(), "offering_manager-token", body).await.status, StatusCode::OK);
    assert!(modified(&app).await > before, "modified is bumped");
    let events = events_of(&app.db.pool, Uuid::parse_str(OU).unwrap()).await.unwrap();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.action, "marketplace_offering_user_updated");
    let actor: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'offering_manager'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(event.actor_id, Some(actor));
    assert_eq!(
        event.old_values,
        json!({"runtime_state": "Active", "service_provider_comment": "old", "service_provider_comment_url": ""})
    );
    assert_eq!(
        event.new_values,
        json!({"runtime_state": "Pending account linking", "service_provider_comment": "old",
               "service_provider_comment_url": "https://example.org/link"})
    );
    // The value it already has: still 200 and still recorded (upstream saves anyway).
    assert_eq!(app.post(&path(), "owner-token", pending_linking()).await.status, StatusCode::OK);
    assert_eq!(event_count(&app).await, 2);
}

#[tokio::test]
async fn new_records_start_active_through_the_api_and_the_import() {
    let app = app_in("OK").await;
    assert_eq!(runtime_state(&app).await, "Active");
    let created = app
        .post(LIST, "owner-token", json!({"offering_uuid": ids::OFFERING, "user_uuid": ids::MEMBER, "username": "m"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let uuid = created.json()["uuid"].as_str().unwrap().to_owned();
    let value: String = sqlx::query_scalar("SELECT runtime_state FROM offering_users WHERE uuid = $1::uuid")
        .bind(&uuid)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(value, "Active");
    // The representation says so too, right after `state`.
    let record = app.get(&detail(&uuid), "owner-token").await.json();
    assert_eq!(record["runtime_state"], "Active");
    let keys: Vec<&String> = record.as_object().unwrap().keys().collect();
    let state_at = keys.iter().position(|k| *k == "state").unwrap();
    assert_eq!(keys[state_at + 1], "runtime_state");
}

#[tokio::test]
async fn no_other_action_changes_the_runtime_state() {
    let app = app_in("Requested").await;
    let pending = json!({"runtime_state": "Pending additional validation"});
    assert_eq!(app.post(&path(), "owner-token", pending).await.status, StatusCode::OK);
    let steps: [(Method, &str, Option<Value>); 9] = [
        (Method::POST, "begin_creating", None),
        (Method::POST, "set_pending_account_linking", Some(json!({"comment": "link", "comment_url": null}))),
        (Method::POST, "set_pending_additional_validation", Some(json!({"comment": "validate"}))),
        (Method::POST, "set_validation_complete", None),
        (Method::POST, "update_restricted", Some(json!({"is_restricted": true}))),
        (Method::PATCH, "update_comments", Some(json!({"service_provider_comment": "c"}))),
        (Method::POST, "request_deletion", None),
        (Method::POST, "set_error_deleting", None),
        (Method::POST, "set_ok", None),
    ];
    for (method, name, body) in steps {
        let reply = app.request(method, &action(OU, name), Some("owner-token"), body).await;
        assert_eq!(reply.status, StatusCode::OK, "{name}: {:?}", String::from_utf8_lossy(&reply.bytes));
        assert_eq!(runtime_state(&app).await, "Pending additional validation", "after {name}");
    }
    // The username change that moves a record to OK, and a plain update.
    sqlx::query("UPDATE offering_users SET state = 9").execute(&app.db.pool).await.unwrap();
    for username in ["renamed", "renamed-again"] {
        let reply = app.patch(&detail(OU), "owner-token", json!({"username": username})).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(runtime_state(&app).await, "Pending additional validation", "after renaming to {username}");
    }
    assert_eq!(app.state_of(OU).await, "OK");
    // A runtime_state key in PUT/PATCH/create bodies is ignored (read-only).
    let patch = app.patch(&detail(OU), "owner-token", json!({"runtime_state": "Active"})).await;
    assert_eq!(patch.status, StatusCode::OK);
    assert_eq!(runtime_state(&app).await, "Pending additional validation");
    let created = app
        .post(
            LIST,
            "owner-token",
            json!({"offering_uuid": ids::OFFERING, "user_uuid": ids::MEMBER, "runtime_state": "Pending account linking"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let value: String = sqlx::query_scalar("SELECT runtime_state FROM offering_users WHERE uuid = $1::uuid")
        .bind(created.json()["uuid"].as_str().unwrap())
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(value, "Active");
    // And the deletion: the record's last runtime state is kept through it.
    for name in ["request_deletion", "set_deleting", "set_deleted"] {
        assert_eq!(app.post_empty(&action(OU, name), "owner-token").await.status, StatusCode::OK, "{name}");
    }
    assert_eq!(runtime_state(&app).await, "Pending additional validation");
}
