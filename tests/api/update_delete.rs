//! PUT/PATCH, DELETE, `update_restricted` and `update_comments` (docs/spec/offering-users.md §4.4–4.7,
//! §9.1 items 17–26, 48–52, 58–59; docs/spec/decisions.md 5–7).

use axum::http::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::*;
use waldur_offering_users::store::audit::events_of;

const OU: &str = "00000000000000000000000000000f01";

fn doc(state: &str, username: Option<&str>) -> Value {
    world_with(vec![offering_user(OU, ids::ADMIN, ids::OFFERING, username, state)])
}

async fn events(app: &TestApp) -> Vec<waldur_offering_users::store::audit::AuditEvent> {
    events_of(&app.db.pool, Uuid::parse_str(OU).unwrap()).await.unwrap()
}

#[tokio::test]
async fn staff_and_owner_patch_the_username() {
    let app = TestApp::with(&doc("OK", Some("user"))).await;
    for (who, name) in [("staff", "new_username"), ("owner", "newer_username")] {
        let reply = app.patch(&detail(OU), &token(who), json!({"username": name})).await;
        assert_eq!(reply.status, StatusCode::OK, "{who}");
        assert_eq!(reply.json()["username"], name);
        // The 58 fields less the 23 `user_*` ones the default exposure hides.
        assert_eq!(reply.json().as_object().unwrap().len(), 35);
    }
}

#[tokio::test]
async fn those_without_update_permission_get_403_and_strangers_404() {
    let app = TestApp::with(&doc("OK", Some("user"))).await;
    for who in ["customer_support", "service_manager", "admin", "support"] {
        let reply = app.patch(&detail(OU), &token(who), json!({"username": "x"})).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(reply.json(), json!({"detail": "You do not have permission to perform this action."}));
    }
    let reply = app.patch(&detail(OU), "other_owner-token", json!({"username": "x"})).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    // The offering manager holds OFFERING.UPDATE_USER on the offering itself.
    assert_eq!(
        app.patch(&detail(OU), "offering_manager-token", json!({"username": "om"})).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_new_username_completes_creation_and_clears_comments() {
    for state in ["Requested", "Creating", "Pending account linking", "Pending additional validation", "Error creating"]
    {
        let mut d = doc(state, None);
        d["offering_users"][0]["service_provider_comment"] = json!("Need documents");
        d["offering_users"][0]["service_provider_comment_url"] = json!("https://example.org/docs");
        let app = TestApp::with(&d).await;
        let reply = app.patch(&detail(OU), "owner-token", json!({"username": "alice"})).await;
        assert_eq!(reply.status, StatusCode::OK);
        let body = reply.json();
        assert_eq!(body["state"], "OK", "from {state}");
        assert_eq!(body["service_provider_comment"], "");
        assert_eq!(body["service_provider_comment_url"], "");
    }
}

#[tokio::test]
async fn the_same_username_or_a_blank_one_changes_no_state() {
    let app = TestApp::with(&doc("Pending additional validation", Some("alice"))).await;
    let reply = app.patch(&detail(OU), "owner-token", json!({"username": "alice"})).await;
    assert_eq!(reply.json()["state"], "Pending additional validation");
    assert!(events(&app).await.is_empty(), "nothing changed, nothing audited");
    let reply = app.patch(&detail(OU), "owner-token", json!({"username": ""})).await;
    assert_eq!(reply.json()["state"], "Pending additional validation");
    assert_eq!(reply.json()["username"], Value::Null);
}

#[tokio::test]
async fn username_changes_on_other_states_keep_the_state() {
    let app = TestApp::with(&doc("Requested deletion", Some("old"))).await;
    let reply = app.patch(&detail(OU), "owner-token", json!({"username": "new"})).await;
    assert_eq!(reply.json()["state"], "Requested deletion");
    assert_eq!(reply.json()["username"], "new");
}

#[tokio::test]
async fn username_updates_are_audited_with_old_and_new_values() {
    let app = TestApp::with(&doc("OK", Some("initial"))).await;
    app.patch(&detail(OU), "staff-token", json!({"username": "new_username"})).await;
    app.patch(&detail(OU), "staff-token", json!({"username": ""})).await;
    let events = events(&app).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].action, "marketplace_offering_user_updated");
    assert_eq!(events[0].old_values["username"], "initial");
    assert_eq!(events[0].new_values["username"], "new_username");
    assert_eq!(events[1].new_values["username"], Value::Null);
}

#[tokio::test]
async fn put_with_empty_body_changes_nothing_and_repointing_is_refused() {
    let app = TestApp::with(&doc("OK", Some("user"))).await;
    let reply = app.put(&detail(OU), "staff-token", json!({})).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["username"], "user");
    let same = json!({"offering": format!("http://testserver/api/marketplace-provider-offerings/{}/", ids::OFFERING),
                      "user": format!("http://testserver/api/users/{}/", ids::ADMIN), "username": "kept",
                      "offering_uuid": ids::FOREIGN_OFFERING, "is_restricted": true});
    let reply = app.put(&detail(OU), "staff-token", same).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["offering_uuid"], ids::OFFERING, "offering_uuid is ignored on update");
    assert_eq!(reply.json()["is_restricted"], false, "read-only fields are ignored");
    let other =
        json!({"offering": format!("http://testserver/api/marketplace-provider-offerings/{}/", ids::FOREIGN_OFFERING)});
    let reply = app.patch(&detail(OU), "staff-token", other).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json(), json!({"offering": ["This field cannot be changed."]}));
    let other_user = json!({"user": format!("http://testserver/api/users/{}/", ids::MEMBER)});
    assert_eq!(
        app.patch(&detail(OU), "staff-token", other_user).await.json(),
        json!({"user": ["This field cannot be changed."]})
    );
}

#[tokio::test]
async fn an_invalid_body_is_400_before_the_permission_403() {
    let app = TestApp::with(&doc("OK", Some("user"))).await;
    let reply = app.patch(&detail(OU), "admin-token", json!({"username": "x".repeat(101)})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json(), json!({"username": ["Ensure this field has no more than 100 characters."]}));
}

#[tokio::test]
async fn delete_is_204_for_staff_and_owner_and_removes_the_row() {
    for who in ["staff", "owner"] {
        let app = TestApp::with(&doc("OK", Some("user"))).await;
        let reply = app.delete(&detail(OU), &token(who)).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{who}");
        assert!(reply.bytes.is_empty());
        assert_eq!(app.get(&detail(OU), "staff-token").await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.delete(&detail(OU), &token(who)).await.status, StatusCode::NOT_FOUND);
        let events = events(&app).await;
        assert_eq!(events.last().unwrap().action, "marketplace_offering_user_deleted");
    }
}

#[tokio::test]
async fn delete_without_permission_has_its_own_403_message() {
    let app = TestApp::with(&doc("OK", Some("user"))).await;
    for who in ["customer_support", "service_manager", "admin", "offering_manager"] {
        let reply = app.delete(&detail(OU), &token(who)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(reply.json(), json!({"detail": "You do not have permission to delete this user."}));
    }
    assert_eq!(app.delete(&detail(OU), "user-token").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn update_restricted_sets_the_flag_with_an_empty_200() {
    let app = TestApp::with(&doc("OK", Some("user"))).await;
    for who in ["staff", "owner", "service_manager", "offering_manager"] {
        let reply = app.post(&action(OU, "update_restricted"), &token(who), json!({"is_restricted": true})).await;
        assert_eq!(reply.status, StatusCode::OK, "{who}");
        assert!(reply.bytes.is_empty());
        assert_eq!(app.get(&detail(OU), "staff-token").await.json()["is_restricted"], true);
        app.post(&action(OU, "update_restricted"), "staff-token", json!({"is_restricted": "false"})).await;
        assert_eq!(app.get(&detail(OU), "staff-token").await.json()["is_restricted"], false);
    }
    let actions: Vec<String> = events(&app).await.into_iter().map(|e| e.action).collect();
    assert!(actions.iter().all(|a| a == "marketplace_offering_user_restriction_updated"));
    assert_eq!(actions.len(), 8);
}

#[tokio::test]
async fn update_restricted_validates_before_it_checks_permission() {
    let app = TestApp::with(&doc("OK", Some("user"))).await;
    let reply = app.post(&action(OU, "update_restricted"), "admin-token", json!({})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json(), json!({"is_restricted": ["This field is required."]}));
    let reply = app.post(&action(OU, "update_restricted"), "staff-token", json!({"is_restricted": "maybe"})).await;
    assert_eq!(reply.json(), json!({"is_restricted": ["Must be a valid boolean."]}));
    for who in ["admin", "customer_support"] {
        let reply = app.post(&action(OU, "update_restricted"), &token(who), json!({"is_restricted": true})).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who}");
    }
    let get = app.get(&action(OU, "update_restricted"), "staff-token").await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.json(), json!({"detail": "Method \"GET\" not allowed."}));
}

#[tokio::test]
async fn update_comments_stores_sanitised_html_and_a_valid_url() {
    let app = TestApp::with(&doc("Creating", None)).await;
    let body = json!({"service_provider_comment": "<p>Safe content</p><script>alert(1)</script><img src=x onerror=alert(1)>",
                      "service_provider_comment_url": "https://docs.example.org/how-to"});
    let reply = app.patch(&action(OU, "update_comments"), "offering_manager-token", body).await;
    assert_eq!(reply.status, StatusCode::OK);
    let stored = reply.json();
    assert_eq!(stored.as_object().unwrap().len(), 2);
    let comment = stored["service_provider_comment"].as_str().unwrap();
    assert!(comment.contains("<p>Safe content</p>") && !comment.contains("script") && !comment.contains("onerror"));
    assert_eq!(stored["service_provider_comment_url"], "https://docs.example.org/how-to");
    let events = events(&app).await;
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].new_values["changed_fields"],
        json!(["service_provider_comment", "service_provider_comment_url"])
    );
    assert_eq!(
        app.get(&detail(OU), "staff-token").await.json()["service_provider_comment_url"],
        "https://docs.example.org/how-to"
    );

    let bad =
        app.patch(&action(OU, "update_comments"), "staff-token", json!({"service_provider_comment_url": "nope"})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json(), json!({"service_provider_comment_url": ["Enter a valid URL."]}));
    let put = app.put(&action(OU, "update_comments"), "staff-token", json!({})).await;
    assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(put.json(), json!({"detail": "Method \"PUT\" not allowed."}));
}

#[tokio::test]
async fn a_comment_over_ten_thousand_characters_is_400_and_at_the_cap_200() {
    let app = TestApp::with(&doc("Creating", None)).await;
    let over = json!({"service_provider_comment": "a".repeat(10_001)});
    let reply = app.patch(&action(OU, "update_comments"), "owner-token", over).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.json(),
        json!({"service_provider_comment": ["Ensure this field has no more than 10000 characters."]})
    );
    assert_eq!(app.get(&detail(OU), "staff-token").await.json()["service_provider_comment"], "");
    assert!(events(&app).await.is_empty(), "nothing written");
    // Characters, not bytes: 10,000 two-byte characters are at the cap.
    let at_cap = "é".repeat(10_000);
    let reply =
        app.patch(&action(OU, "update_comments"), "owner-token", json!({"service_provider_comment": at_cap})).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["service_provider_comment"], at_cap);
}

#[tokio::test]
async fn update_comments_needs_update_permission_and_a_live_record() {
    let app = TestApp::with(&doc("Deleted", Some("gone"))).await;
    let reply =
        app.patch(&action(OU, "update_comments"), "owner-token", json!({"service_provider_comment": "x"})).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json(), json!({"detail": "Cannot update comments for offering user in state: Deleted"}));
    let app = TestApp::with(&doc("OK", Some("user"))).await;
    let reply =
        app.patch(&action(OU, "update_comments"), "admin-token", json!({"service_provider_comment": "x"})).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "the offering user may not comment on himself");
    let reply = app.patch(&action(OU, "update_comments"), "user-token", json!({"service_provider_comment": "x"})).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_write_whose_client_goes_away_still_completes_with_its_audit_event() {
    use axum::body::Body;
    use axum::http::Request;
    use futures::FutureExt;
    use tower::ServiceExt;

    let app = TestApp::with(&doc("Creating", None)).await;
    let request = Request::builder()
        .method("PATCH")
        .uri(detail(OU))
        .header("host", "testserver")
        .header("authorization", "Token owner-token")
        .header("content-type", "application/json")
        .body(Body::from(json!({"username": "left-early"}).to_string()))
        .unwrap();
    // Polled once and dropped, as hyper does when the client closes its connection.
    let pending = app.router.clone().oneshot(request).now_or_never();
    assert!(pending.is_none(), "the request was waiting for the database when dropped");
    let mut state = String::new();
    for _ in 0..100 {
        state = app.state_of(OU).await;
        if state == "OK" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(state, "OK", "the username PATCH finished and completed the creation");
    let events = events(&app).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].new_values, json!({"username": "left-early", "state": "OK"}));
}
