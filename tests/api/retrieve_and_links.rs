//! Retrieve, and the hyperlink targets: users and provider offerings (docs/spec/directory.md,
//! docs/spec/decisions.md 29).

use axum::http::StatusCode;
use serde_json::json;

use crate::support::*;

const OU: &str = "00000000000000000000000000000f01";

fn doc() -> serde_json::Value {
    world_with(vec![offering_user(OU, ids::ADMIN, ids::OFFERING, Some("user"), "Pending additional validation")])
}

#[tokio::test]
async fn retrieve_returns_the_object_and_honours_field() {
    let app = TestApp::with(&doc()).await;
    let reply = app.get(&detail(OU), "staff-token").await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["state"], "Pending additional validation");
    // The 58 fields less the 23 `user_*` ones the default exposure hides.
    assert_eq!(body.as_object().unwrap().len(), 35);
    let narrow = app.get(&format!("{}?field=state&field=username", detail(OU)), "staff-token").await;
    assert_eq!(narrow.json(), json!({"username": "user", "state": "Pending additional validation"}));
}

#[tokio::test]
async fn retrieve_of_an_invisible_record_is_404() {
    let app = TestApp::with(&doc()).await;
    for who in ["user", "other_owner"] {
        let reply = app.get(&detail(OU), &token(who)).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{who}");
        assert_eq!(reply.json(), json!({"detail": "No OfferingUser matches the given query."}));
    }
    assert_eq!(app.get(&detail(OU), "owner-token").await.status, StatusCode::OK);
}

#[tokio::test]
async fn user_links_resolve_for_those_who_may_see_the_user() {
    let app = TestApp::with(&doc()).await;
    let path = format!("/api/users/{}/", ids::ADMIN);
    let reply = app.get(&path, "owner-token").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"url": format!("http://testserver/api/users/{}/", ids::ADMIN), "uuid": ids::ADMIN,
               "username": "admin", "full_name": "Admin Tester", "first_name": "Admin", "last_name": "Tester",
               "email": "admin@example.org", "is_staff": false, "is_support": false, "is_active": true})
    );
    // A project colleague sees him; a stranger does not.
    assert_eq!(app.get(&path, "member-token").await.status, StatusCode::OK);
    assert_eq!(app.get(&path, "user-token").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&path, "support-token").await.status, StatusCode::OK);
    let me = app.get("/api/users/me/", "admin-token").await;
    assert_eq!(me.json()["uuid"], ids::ADMIN);
}

#[tokio::test]
async fn offering_links_resolve_with_plugin_options() {
    let app = TestApp::with(&doc()).await;
    let path = format!("/api/marketplace-provider-offerings/{}/", ids::OFFERING);
    let reply = app.get(&format!("{path}?field=plugin_options"), "offering_manager-token").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"plugin_options": {"service_provider_can_create_offering_user": true,
                                  "username_generation_policy": "service_provider"}})
    );
    let full = app.get(&path, "owner-token").await.json();
    assert_eq!(full["customer_uuid"], ids::PROVIDER);
    assert_eq!(full["name"], "Cluster A");
    assert_eq!(app.get(&path, "admin-token").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&path, "other_owner-token").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn plugin_options_are_whole_for_staff_and_allowlisted_for_everyone_else() {
    let mut doc = doc();
    let stored = json!({
        "service_provider_can_create_offering_user": true,
        "username_generation_policy": "service_provider",
        "homedir_prefix": "/home/",
        "api_key": "k-123",
        "passwd": "p-123",
        "backend": {"url": "https://slurm.internal", "credentials": {"password": "nested"}},
        // (not `login_shell`: the import checks the POSIX keys' types, docs/spec/offering-users-2026.md §9)
        "initial_uidnumber": {"secret": "an allowed key with a nested value"},
    });
    doc["offerings"][0]["plugin_options"] = stored.clone();
    let app = TestApp::with(&doc).await;
    let path = format!("/api/marketplace-provider-offerings/{}/?field=plugin_options", ids::OFFERING);
    let public = json!({"plugin_options": {"service_provider_can_create_offering_user": true,
                                           "username_generation_policy": "service_provider",
                                           "homedir_prefix": "/home/"}});
    for who in ["offering_manager", "owner", "support"] {
        let reply = app.get(&path, &token(who)).await;
        assert_eq!(reply.status, StatusCode::OK, "{who}");
        assert_eq!(reply.json(), public, "{who}");
    }
    assert_eq!(app.get(&path, "staff-token").await.json(), json!({"plugin_options": stored}));
}
