//! The state machine through the API (docs/spec/offering-users.md §2.2, §4.8, §9.1 items 27–47, 53–55,
//! 70–76, 91–95; docs/spec/decisions.md 12a–14, 24–25).

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::*;
use waldur_offering_users::domain::state::{State, Transition, ALL_STATES, ALL_TRANSITIONS};
use waldur_offering_users::store::audit::events_of;

const OU: &str = "00000000000000000000000000000f01";

fn doc(state: &str) -> Value {
    world_with(vec![offering_user(OU, ids::ADMIN, ids::OFFERING, None, state)])
}

async fn record(app: &TestApp) -> Value {
    app.get(&detail(OU), "staff-token").await.json()
}

#[tokio::test]
async fn every_transition_from_every_state_follows_the_table() {
    // One database per source state; every action tried on a fresh copy of the record.
    for from in ALL_STATES {
        let app = TestApp::with(&doc(from.label())).await;
        for transition in ALL_TRANSITIONS {
            sqlx::query("UPDATE offering_users SET state = $1").bind(from.db()).execute(&app.db.pool).await.unwrap();
            let reply = app.post_empty(&action(OU, transition.action()), "owner-token").await;
            if transition.allowed_from(from) {
                assert_eq!(reply.status, StatusCode::OK, "{} from {}", transition.action(), from.label());
                assert!(reply.bytes.is_empty(), "200 with an empty body");
                assert!(reply.header("content-type").is_none());
                assert_eq!(app.state_of(OU).await, transition.target().label());
            } else {
                assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{} from {}", transition.action(), from.label());
                assert_eq!(reply.json(), json!({"detail": transition.rejection(from)}));
                assert_eq!(app.state_of(OU).await, from.label(), "state unchanged");
            }
        }
    }
}

#[tokio::test]
async fn rejection_messages_match_upstream_examples() {
    let app = TestApp::with(&doc("Pending additional validation")).await;
    let reply = app.post_empty(&action(OU, "set_error_deleting"), "owner-token").await;
    let detail_text = reply.json()["detail"].as_str().unwrap().to_owned();
    assert!(detail_text.starts_with("Cannot transition to ERROR_DELETING from current state: 4."), "{detail_text}");
    sqlx::query("UPDATE offering_users SET state = 5").execute(&app.db.pool).await.unwrap();
    let reply = app.post_empty(&action(OU, "set_error_creating"), "owner-token").await;
    assert!(reply.json()["detail"].as_str().unwrap().contains("Cannot transition to ERROR_CREATING"));
    sqlx::query("UPDATE offering_users SET state = 1").execute(&app.db.pool).await.unwrap();
    let reply = app.post_empty(&action(OU, "set_deleted"), "owner-token").await;
    assert_eq!(
        reply.json()["detail"],
        "Cannot transition to DELETED from current state: 1. Valid states for operation: Deleting."
    );
}

#[tokio::test]
async fn pending_actions_store_comment_and_url() {
    let app = TestApp::with(&doc("Creating")).await;
    let body = json!({"comment": "Additional documents required", "comment_url": "https://example.org/docs"});
    let reply = app.post(&action(OU, "set_pending_additional_validation"), "owner-token", body).await;
    assert_eq!(reply.status, StatusCode::OK);
    let r = record(&app).await;
    assert_eq!(r["state"], "Pending additional validation");
    assert_eq!(r["service_provider_comment"], "Additional documents required");
    assert_eq!(r["service_provider_comment_url"], "https://example.org/docs");
    // Cross-transition keeps the URL when absent, overwrites it when given.
    app.post(&action(OU, "set_pending_account_linking"), "owner-token", json!({"comment": "Link it"})).await;
    let r = record(&app).await;
    assert_eq!(
        (r["state"].clone(), r["service_provider_comment_url"].clone()),
        (json!("Pending account linking"), json!("https://example.org/docs"))
    );
    app.post(
        &action(OU, "set_pending_additional_validation"),
        "owner-token",
        json!({"comment_url": "https://example.org/b"}),
    )
    .await;
    assert_eq!(record(&app).await["service_provider_comment_url"], "https://example.org/b");
    assert_eq!(record(&app).await["service_provider_comment"], "Link it");
}

#[tokio::test]
async fn null_comments_mean_unchanged_and_empty_strings_clear() {
    let app = TestApp::with(&doc("Creating")).await;
    app.post(
        &action(OU, "set_pending_account_linking"),
        "owner-token",
        json!({"comment": "c", "comment_url": "https://a.example/x"}),
    )
    .await;
    // The site agent's body: comment_url null = unchanged (docs/spec/decisions.md 12a, 24).
    let reply = app
        .post(
            &action(OU, "set_pending_additional_validation"),
            "owner-token",
            json!({"comment": "d", "comment_url": null}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let r = record(&app).await;
    assert_eq!(
        (r["service_provider_comment"].clone(), r["service_provider_comment_url"].clone()),
        (json!("d"), json!("https://a.example/x"))
    );
    app.post(&action(OU, "set_pending_account_linking"), "owner-token", json!({"comment_url": "", "comment": null}))
        .await;
    let r = record(&app).await;
    assert_eq!(
        (r["service_provider_comment"].clone(), r["service_provider_comment_url"].clone()),
        (json!("d"), json!(""))
    );
    // {} leaves both unchanged; an empty body too.
    app.post(&action(OU, "set_pending_additional_validation"), "owner-token", json!({})).await;
    assert_eq!(record(&app).await["service_provider_comment"], "d");
    app.post_empty(&action(OU, "set_pending_account_linking"), "owner-token").await;
    assert_eq!(record(&app).await["state"], "Pending account linking");
}

#[tokio::test]
async fn pending_action_bodies_are_validated() {
    let app = TestApp::with(&doc("Creating")).await;
    let reply =
        app.post(&action(OU, "set_pending_account_linking"), "owner-token", json!({"comment_url": "not a url"})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json(), json!({"comment_url": ["Enter a valid URL."]}));
    assert_eq!(app.state_of(OU).await, "Creating", "nothing changed");
    let reply = app.post(&action(OU, "set_pending_account_linking"), "owner-token", json!({"comment": ["x"]})).await;
    assert_eq!(reply.json(), json!({"comment": ["Not a valid string."]}));
}

#[tokio::test]
async fn a_pending_comment_over_ten_thousand_characters_is_400_and_at_the_cap_200() {
    let app = TestApp::with(&doc("Creating")).await;
    for name in ["set_pending_account_linking", "set_pending_additional_validation"] {
        let reply = app.post(&action(OU, name), "owner-token", json!({"comment": "a".repeat(10_001)})).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(reply.json(), json!({"comment": ["Ensure this field has no more than 10000 characters."]}));
        assert_eq!(app.state_of(OU).await, "Creating", "nothing changed");
    }
    let at_cap = "é".repeat(10_000);
    let reply = app.post(&action(OU, "set_pending_account_linking"), "owner-token", json!({"comment": at_cap})).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(record(&app).await["service_provider_comment"], at_cap);
    assert_eq!(app.state_of(OU).await, "Pending account linking");
}

#[tokio::test]
async fn a_bad_body_is_answered_after_404_403_and_the_state_and_writes_nothing() {
    let bad = json!({"comment_url": "not a url"});
    let app = TestApp::with(&doc("OK")).await;
    let path = action(OU, "set_pending_account_linking");
    assert_eq!(app.post(&path, "user-token", bad.clone()).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.post(&path, "admin-token", bad.clone()).await.status, StatusCode::FORBIDDEN);
    let wrong_state = app.post(&path, "owner-token", bad.clone()).await;
    assert_eq!(wrong_state.status, StatusCode::BAD_REQUEST);
    assert!(
        wrong_state.json()["detail"].as_str().unwrap().starts_with("Cannot transition"),
        "{:?}",
        wrong_state.json()
    );
    let app = TestApp::with(&doc("Creating")).await;
    assert_eq!(app.post(&path, "owner-token", bad).await.json(), json!({"comment_url": ["Enter a valid URL."]}));
    assert_eq!(app.state_of(OU).await, "Creating");
    assert!(events_of(&app.db.pool, Uuid::parse_str(OU).unwrap()).await.unwrap().is_empty(), "no audit event");
}

#[tokio::test]
async fn comments_are_sanitised() {
    let app = TestApp::with(&doc("Creating")).await;
    let body = json!({"comment": "<p>Safe content</p><script>alert('x')</script><img src=x onerror=alert(1)>"});
    app.post(&action(OU, "set_pending_additional_validation"), "owner-token", body).await;
    let comment = record(&app).await["service_provider_comment"].as_str().unwrap().to_owned();
    assert!(comment.contains("<p>Safe content</p>"), "{comment}");
    assert!(!comment.contains("<script") && !comment.contains("onerror"), "{comment}");
}

#[tokio::test]
async fn set_ok_and_validation_complete_clear_comments() {
    for (from, transition) in [
        ("Pending additional validation", "set_validation_complete"),
        ("Pending account linking", "set_ok"),
        ("Error deleting", "set_ok"),
    ] {
        let mut d = doc(from);
        d["offering_users"][0]["service_provider_comment"] = json!("note");
        d["offering_users"][0]["service_provider_comment_url"] = json!("https://example.org/n");
        let app = TestApp::with(&d).await;
        assert_eq!(app.post_empty(&action(OU, transition), "owner-token").await.status, StatusCode::OK);
        let r = record(&app).await;
        assert_eq!(
            (r["state"].clone(), r["service_provider_comment"].clone(), r["service_provider_comment_url"].clone()),
            (json!("OK"), json!(""), json!("")),
            "{transition} from {from}"
        );
    }
}

#[tokio::test]
async fn the_deletion_workflow_runs_to_deleted_and_keeps_the_row() {
    let app = TestApp::with(&doc("OK")).await;
    for (step, expected) in [
        ("request_deletion", "Requested deletion"),
        ("set_deleting", "Deleting"),
        ("set_error_deleting", "Error deleting"),
        ("set_deleting", "Deleting"),
        ("set_deleted", "Deleted"),
    ] {
        assert_eq!(app.post_empty(&action(OU, step), "owner-token").await.status, StatusCode::OK, "{step}");
        assert_eq!(app.state_of(OU).await, expected);
    }
    assert_eq!(record(&app).await["state"], "Deleted");
}

#[tokio::test]
async fn transitions_are_audited_in_order() {
    let app = TestApp::with(&doc("Requested")).await;
    for step in ["begin_creating", "set_error_creating", "begin_creating", "set_ok"] {
        app.post_empty(&action(OU, step), "offering_manager-token").await;
    }
    let events = events_of(&app.db.pool, Uuid::parse_str(OU).unwrap()).await.unwrap();
    let trail: Vec<(String, Value, Value)> =
        events.into_iter().map(|e| (e.action, e.old_values["state"].clone(), e.new_values["state"].clone())).collect();
    assert_eq!(
        trail,
        vec![
            ("begin_creating".into(), json!("Requested"), json!("Creating")),
            ("set_error_creating".into(), json!("Creating"), json!("Error creating")),
            ("begin_creating".into(), json!("Error creating"), json!("Creating")),
            ("set_ok".into(), json!("Creating"), json!("OK")),
        ]
    );
}

#[tokio::test]
async fn order_is_401_then_404_then_403_then_400() {
    let app = TestApp::with(&doc("OK")).await;
    let path = action(OU, "begin_creating");
    assert_eq!(app.request(Method::POST, &path, None, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.post_empty(&action("nonsense", "begin_creating"), "owner-token").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.post_empty(&path, "user-token").await.status, StatusCode::NOT_FOUND);
    // The offering user himself sees the record but may not drive it (docs/spec/decisions.md 5).
    let own = app.post_empty(&path, "admin-token").await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    assert_eq!(own.json(), json!({"detail": "You do not have permission to perform this action."}));
    assert_eq!(app.post_empty(&path, "owner-token").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn transitions_only_accept_post() {
    let app = TestApp::with(&doc("Requested")).await;
    let reply = app.get(&action(OU, "begin_creating"), "owner-token").await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow").as_deref(), Some("POST, OPTIONS"));
}

#[tokio::test]
async fn dashed_uuid_and_missing_trailing_slash_work_for_actions() {
    let app = TestApp::with(&doc("Requested")).await;
    let path = "/api/marketplace-offering-users/00000000-0000-0000-0000-000000000f01/begin_creating";
    assert_eq!(app.post_empty(path, "owner-token").await.status, StatusCode::OK);
    assert_eq!(app.state_of(OU).await, State::Creating.label());
    let _ = Transition::BeginCreating;
}

/// The CHECK constraint keeps the state in 1..=10; should a row still hold another value,
/// reading it fails the same way everywhere (a logged 500), rather than showing or moving
/// the record as if it were Requested.
#[tokio::test]
async fn an_unknown_stored_state_is_a_500_wherever_the_record_is_read() {
    let app = TestApp::with(&doc("Requested")).await;
    sqlx::query("ALTER TABLE offering_users DROP CONSTRAINT offering_users_state_check")
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE offering_users SET state = 11").execute(&app.db.pool).await.unwrap();
    let internal = json!({"detail": "Internal server error."});
    let replies = [
        ("retrieve", app.get(&detail(OU), "staff-token").await),
        ("list", app.get(LIST, "staff-token").await),
        ("update", app.patch(&detail(OU), "owner-token", json!({"username": "u"})).await),
        ("update_comments", app.patch(&action(OU, "update_comments"), "owner-token", json!({})).await),
        ("transition", app.post_empty(&action(OU, "set_ok"), "owner-token").await),
        ("destroy", app.delete(&detail(OU), "owner-token").await),
    ];
    for (operation, reply) in replies {
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{operation}");
        assert_eq!(reply.json(), internal, "{operation}");
    }
    let still: i16 = sqlx::query_scalar("SELECT state FROM offering_users").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(still, 11, "nothing was written");
}
