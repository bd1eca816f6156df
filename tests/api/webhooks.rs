//! `/api/hooks-web/` (issue 19): the SDK's `WebHook` shape, ownership, validation, the
//! secret shown once, and the outbox's web-hook sink switched by the hooks that exist.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::*;
use waldur_offering_users::http::Settings;

const HOOKS: &str = "/api/hooks-web/";
const PUBLIC_URL: &str = "http://93.184.216.34/hook";

fn hook(destination: &str) -> Value {
    json!({"destination_url": destination, "event_types": ["marketplace_offering_user_created"]})
}

async fn create(app: &TestApp, who: &str, body: Value) -> Value {
    let reply = app.post(HOOKS, &token(who), body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&reply.bytes));
    reply.json()
}

fn hook_path(body: &Value) -> String {
    format!("{HOOKS}{}/", body["uuid"].as_str().unwrap())
}

async fn sink_enabled(app: &TestApp) -> bool {
    sqlx::query_scalar("SELECT enabled FROM event_sinks WHERE name = 'web_hooks'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_hook_is_created_in_the_sdk_shape_and_its_secret_shown_once() {
    let app = TestApp::with(&world()).await;
    let created = create(
        &app,
        "owner",
        json!({"destination_url": PUBLIC_URL, "event_groups": ["users"], "content_type": "form"}),
    )
    .await;
    let keys: Vec<&str> = created.as_object().unwrap().keys().map(String::as_str).collect();
    for key in [
        "url",
        "uuid",
        "is_active",
        "author_uuid",
        "event_types",
        "event_groups",
        "created",
        "modified",
        "hook_type",
        "author_fullname",
        "author_username",
        "author_email",
        "destination_url",
        "content_type",
        "secret",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    assert_eq!(created["hook_type"], "webhook");
    assert_eq!(created["author_uuid"], ids::OWNER);
    assert_eq!(created["author_username"], "owner");
    assert_eq!(created["content_type"], "form");
    assert_eq!(created["is_active"], true);
    assert_eq!(created["event_groups"], json!(["users"]));
    // The group expands into its four types, sorted (upstream's `expand_event_groups`).
    assert_eq!(
        created["event_types"],
        json!([
            "marketplace_offering_user_created",
            "marketplace_offering_user_deleted",
            "marketplace_offering_user_restriction_updated",
            "marketplace_offering_user_updated"
        ])
    );
    assert_eq!(created["url"], format!("http://testserver{}", hook_path(&created)));
    let secret = created["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 64);
    // Never again: not on retrieve, list, or update.
    let retrieved = app.get(&hook_path(&created), "owner-token").await;
    assert_eq!(retrieved.status, StatusCode::OK);
    assert!(retrieved.json().get("secret").is_none());
    assert!(!retrieved.bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    let listed = app.get(HOOKS, "owner-token").await;
    assert!(listed.json()[0].get("secret").is_none());
    let patched = app.patch(&hook_path(&created), "owner-token", json!({"is_active": false})).await;
    assert!(patched.json().get("secret").is_none());
    assert_eq!(patched.json()["is_active"], false);
    // Delivery state starts empty.
    assert_eq!(retrieved.json()["delivery_attempts"], 0);
    assert_eq!(retrieved.json()["pending_deliveries"], 0);
}

#[tokio::test]
async fn a_user_reaches_only_his_own_hooks_and_staff_every_hook() {
    let app = TestApp::with(&world()).await;
    let mine = create(&app, "owner", hook(PUBLIC_URL)).await;
    let theirs = create(&app, "outsider", hook(PUBLIC_URL)).await;
    let listed = app.get(HOOKS, "owner-token").await;
    assert_eq!(listed.uuids(), [mine["uuid"].as_str().unwrap()]);
    assert_eq!(listed.header("x-result-count").as_deref(), Some("1"));
    let path = hook_path(&theirs);
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"is_active": false}))),
        (Method::PUT, Some(hook(PUBLIC_URL))),
        (Method::DELETE, None),
    ] {
        let reply = app.request(method.clone(), &path, Some("owner-token"), body).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method}");
        assert_eq!(reply.json(), json!({"detail": "No WebHook matches the given query."}));
    }
    // Staff see both (upstream's StaffOrUserFilter); support only their own.
    assert_eq!(app.get(HOOKS, "staff-token").await.header("x-result-count").as_deref(), Some("2"));
    assert_eq!(app.get(HOOKS, "support-token").await.json(), json!([]));
    let head = app.request(Method::HEAD, HOOKS, Some("staff-token"), None).await;
    assert_eq!(head.header("x-result-count").as_deref(), Some("2"));
    assert!(head.bytes.is_empty());
    // Filters.
    let by_author = app.get(&format!("{HOOKS}?author_uuid={}", ids::OUTSIDER), "staff-token").await;
    assert_eq!(by_author.uuids(), [theirs["uuid"].as_str().unwrap()]);
    assert_eq!(app.get(&format!("{HOOKS}?content_type=form"), "staff-token").await.json(), json!([]));
    // The owner deletes his own; the other stays.
    assert_eq!(app.delete(&hook_path(&mine), "owner-token").await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&hook_path(&mine), "owner-token").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&path, "outsider-token").await.status, StatusCode::OK);
    assert_eq!(app.request(Method::GET, HOOKS, None, None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_hooks_are_400_and_change_nothing() {
    let app = TestApp::with(&world()).await;
    let cases = [
        (
            json!({"destination_url": "not a url", "event_types": []}),
            json!({"destination_url": ["Enter a valid URL."]}),
        ),
        (
            json!({"destination_url": "ftp://example.com/", "event_types": []}),
            json!({"destination_url": ["Enter a valid URL."]}),
        ),
        (json!({"event_types": []}), json!({"destination_url": ["This field is required."]})),
        (
            json!({"destination_url": PUBLIC_URL, "event_types": ["resource_creation_succeeded"]}),
            json!({"event_types": ["\"resource_creation_succeeded\" is not a valid choice."]}),
        ),
        (
            json!({"destination_url": PUBLIC_URL, "event_types": "marketplace_offering_user_created"}),
            json!({"event_types": ["Expected a list of items but got type \"str\"."]}),
        ),
        (
            json!({"destination_url": PUBLIC_URL, "event_groups": ["resources"]}),
            json!({"event_groups": ["\"resources\" is not a valid choice."]}),
        ),
        (
            json!({"destination_url": PUBLIC_URL, "event_types": [], "content_type": "xml"}),
            json!({"content_type": ["\"xml\" is not a valid choice."]}),
        ),
        (
            json!({"destination_url": PUBLIC_URL}),
            json!({"non_field_errors": ["Please specify list of event_types or event_groups."]}),
        ),
        (
            json!({"destination_url": format!("https://example.com/{}", "a".repeat(200)), "event_types": []}),
            json!({"destination_url": ["Ensure this field has no more than 200 characters."]}),
        ),
        (
            json!({"destination_url": PUBLIC_URL, "event_types": vec!["marketplace_offering_user_created"; 51]}),
            json!({"event_types": ["Ensure this field has no more than 50 elements."]}),
        ),
    ];
    for (body, expected) in cases {
        let reply = app.post(HOOKS, "owner-token", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.json(), expected, "{body}");
    }
    assert_eq!(app.get(HOOKS, "owner-token").await.json(), json!([]));
}

#[tokio::test]
async fn private_destinations_are_refused_unless_the_operator_allows_them() {
    let app = TestApp::with(&world()).await;
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.0.0.5/",
        "http://[::1]/",
        "http://169.254.169.254/latest",
    ] {
        let reply = app.post(HOOKS, "owner-token", hook(url)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{url}");
        assert_eq!(
            reply.json(),
            json!({"destination_url": ["Destinations on private, loopback or link-local addresses are not allowed."]}),
            "{url}"
        );
    }
    // An update to a private address is refused too.
    let public = create(&app, "owner", hook(PUBLIC_URL)).await;
    let moved = app.patch(&hook_path(&public), "owner-token", json!({"destination_url": "http://192.168.1.1/"})).await;
    assert_eq!(moved.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get(&hook_path(&public), "owner-token").await.json()["destination_url"], PUBLIC_URL);

    let mut settings = Settings::default();
    settings.webhooks.allow_private = true;
    let allowed = TestApp::with_settings(settings).await;
    allowed.import(&world()).await;
    let reply = allowed.post(HOOKS, "owner-token", hook("http://127.0.0.1:8080/hook")).await;
    assert_eq!(reply.status, StatusCode::CREATED);
}

#[tokio::test]
async fn put_replaces_and_patch_changes_only_what_it_names() {
    let app = TestApp::with(&world()).await;
    let created = create(&app, "owner", hook(PUBLIC_URL)).await;
    let path = hook_path(&created);
    let put_without_url = app.put(&path, "owner-token", json!({"event_types": []})).await;
    assert_eq!(put_without_url.status, StatusCode::BAD_REQUEST);
    assert_eq!(put_without_url.json(), json!({"destination_url": ["This field is required."]}));
    let put = app
        .put(&path, "owner-token", json!({"destination_url": "https://93.184.216.34/other", "event_groups": ["users"]}))
        .await;
    assert_eq!(put.status, StatusCode::OK);
    assert_eq!(put.json()["destination_url"], "https://93.184.216.34/other");
    assert_eq!(put.json()["event_types"].as_array().unwrap().len(), 4);
    let patch = app.patch(&path, "owner-token", json!({"event_types": ["marketplace_offering_user_deleted"]})).await;
    assert_eq!(patch.status, StatusCode::OK);
    assert_eq!(patch.json()["event_types"], json!(["marketplace_offering_user_deleted"]));
    assert_eq!(patch.json()["destination_url"], "https://93.184.216.34/other");
    assert_eq!(patch.json()["content_type"], "json");
}

#[tokio::test]
async fn a_user_owns_at_most_twenty_hooks() {
    let app = TestApp::with(&world()).await;
    for _ in 0..20 {
        create(&app, "owner", hook(PUBLIC_URL)).await;
    }
    let reply = app.post(HOOKS, "owner-token", hook(PUBLIC_URL)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json(), json!({"non_field_errors": ["A user may have at most 20 web hooks."]}));
    assert_eq!(app.get(HOOKS, "owner-token").await.header("x-result-count").as_deref(), Some("20"));
}

#[tokio::test]
async fn the_outbox_feeds_the_hook_sink_only_while_an_active_hook_exists() {
    let app = TestApp::with(&world()).await;
    let outbox = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM event_outbox").fetch_one(&app.db.pool).await.unwrap()
    };
    assert!(!sink_enabled(&app).await);
    let first = app.post(LIST, "owner-token", json!({"offering_uuid": ids::OFFERING, "user_uuid": ids::USER})).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(outbox().await, 0, "no hook, no outbox rows");

    let created = create(&app, "owner", hook(PUBLIC_URL)).await;
    assert!(sink_enabled(&app).await);
    let uuid = first.json()["uuid"].as_str().unwrap().to_owned();
    assert_eq!(app.patch(&detail(&uuid), "owner-token", json!({"username": "u"})).await.status, StatusCode::OK);
    assert_eq!(outbox().await, 1, "the change's outbox row, written with it");

    // A change that is rolled back leaves no outbox row: a username the database refuses.
    let mut tx = app.db.pool.begin().await.unwrap();
    sqlx::query("UPDATE offering_users SET username = 'x' WHERE uuid = $1")
        .bind(uuid::Uuid::parse_str(&uuid).unwrap())
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("INSERT INTO audit_events (actor_id, offering_user_uuid, action) VALUES (NULL, $1, 'set_ok')")
        .bind(uuid::Uuid::parse_str(&uuid).unwrap())
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(outbox().await, 1);

    assert_eq!(
        app.patch(&hook_path(&created), "owner-token", json!({"is_active": false})).await.status,
        StatusCode::OK
    );
    assert!(!sink_enabled(&app).await);
    assert_eq!(app.patch(&hook_path(&created), "owner-token", json!({"is_active": true})).await.status, StatusCode::OK);
    assert!(sink_enabled(&app).await);
    assert_eq!(app.delete(&hook_path(&created), "owner-token").await.status, StatusCode::NO_CONTENT);
    assert!(!sink_enabled(&app).await);
}
