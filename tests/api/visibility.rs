//! Who sees which offering users (docs/spec/offering-users.md §3.2, §9.1 items 1–5; docs/spec/decisions.md 8, 9, 23).

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::*;
use waldur_offering_users::http::Settings;

const OWN: &str = "00000000000000000000000000000f01";
const FOREIGN: &str = "00000000000000000000000000000f02";
const CLOSED: &str = "00000000000000000000000000000f03";

/// Upstream's ListOfferingUsersTest: the project admin has record `user` on the provider's
/// offering (with consent), an outsider has `user2` on another provider's offering.
fn listing_world() -> Value {
    let mut doc = world_with(vec![
        offering_user(OWN, ids::ADMIN, ids::OFFERING, Some("user"), "OK"),
        offering_user(FOREIGN, ids::OUTSIDER, ids::FOREIGN_OFFERING, Some("user2"), "OK"),
        offering_user(CLOSED, ids::MEMBER, ids::CLOSED_OFFERING, Some("remote-user"), "OK"),
    ]);
    let terms = terms_and_consents(ids::OFFERING, "1", &[ids::ADMIN]);
    doc["terms_of_service"] = terms["terms_of_service"].clone();
    doc["consents"] = terms["consents"].clone();
    doc
}

#[tokio::test]
async fn owner_admin_and_project_manager_see_exactly_the_consented_record() {
    let app = TestApp::with(&listing_world()).await;
    for who in ["owner", "admin", "manager"] {
        let reply = app.get(LIST, &token(who)).await;
        assert_eq!(reply.status, StatusCode::OK, "{who}");
        assert_eq!(reply.usernames(), vec![json!("user")], "{who}");
    }
}

#[tokio::test]
async fn staff_and_support_see_everything_even_closed_offerings() {
    let app = TestApp::with(&listing_world()).await;
    for who in ["staff", "support"] {
        let reply = app.get(LIST, &token(who)).await;
        assert_eq!(reply.usernames(), vec![json!("remote-user"), json!("user"), json!("user2")], "{who}");
        assert_eq!(reply.header("x-result-count").as_deref(), Some("3"));
    }
}

#[tokio::test]
async fn a_user_without_roles_sees_nothing() {
    let app = TestApp::with(&listing_world()).await;
    let reply = app.get(LIST, &token("user")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!([]));
    assert_eq!(reply.header("x-result-count").as_deref(), Some("0"));
}

#[tokio::test]
async fn a_user_sees_his_own_record() {
    let mut doc = listing_world();
    doc["offering_users"].as_array_mut().unwrap().push(offering_user(
        "00000000000000000000000000000f04",
        ids::USER,
        ids::FOREIGN_OFFERING,
        Some("user3"),
        "OK",
    ));
    let app = TestApp::with(&doc).await;
    assert_eq!(app.get(LIST, &token("user")).await.usernames(), vec![json!("user3")]);
}

#[tokio::test]
async fn records_of_an_offering_with_the_switch_off_are_hidden_from_providers() {
    let app = TestApp::with(&listing_world()).await;
    for who in ["owner", "admin", "manager", "member"] {
        let names = app.get(LIST, &token(who)).await.usernames();
        assert!(!names.contains(&json!("remote-user")), "{who} sees {names:?}");
    }
    // Even the user himself does not see it (the switch applies to everyone but staff/support).
    assert_eq!(app.get(&detail(CLOSED), &token("member")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn other_providers_owner_sees_only_his_offerings_records() {
    let app = TestApp::with(&listing_world()).await;
    assert_eq!(app.get(LIST, &token("other_owner")).await.usernames(), vec![json!("user2")]);
    assert_eq!(app.get(&detail(OWN), &token("other_owner")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn offering_manager_sees_the_records_of_his_offering() {
    let app = TestApp::with(&listing_world()).await;
    assert_eq!(app.get(LIST, &token("offering_manager")).await.usernames(), vec![json!("user")]);
    assert_eq!(app.get(&detail(OWN), &token("offering_manager")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn consent_gate_hides_unconsented_records_from_providers_only() {
    let mut doc = listing_world();
    doc["offering_users"].as_array_mut().unwrap().push(offering_user(
        "00000000000000000000000000000f05",
        ids::MEMBER,
        ids::OFFERING,
        Some("no-consent"),
        "OK",
    ));
    let app = TestApp::with(&doc).await;
    assert_eq!(app.get(LIST, &token("owner")).await.usernames(), vec![json!("user")]);
    assert_eq!(
        app.get(&detail("00000000000000000000000000000f05"), &token("owner")).await.status,
        StatusCode::NOT_FOUND
    );
    // The user himself and staff are never gated.
    assert_eq!(app.get(LIST, &token("member")).await.usernames(), vec![json!("no-consent"), json!("user")]);
    assert_eq!(app.get(LIST, &token("staff")).await.json().as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn consent_gate_can_be_switched_off() {
    let mut doc = listing_world();
    doc["offering_users"].as_array_mut().unwrap().push(offering_user(
        "00000000000000000000000000000f05",
        ids::MEMBER,
        ids::OFFERING,
        Some("no-consent"),
        "OK",
    ));
    let app = TestApp::with_settings(Settings { enforce_user_consent: false, ..Settings::default() }).await;
    app.import(&doc).await;
    assert_eq!(app.get(LIST, &token("owner")).await.usernames(), vec![json!("no-consent"), json!("user")]);
}

#[tokio::test]
async fn offering_without_active_terms_is_not_gated() {
    let doc = world_with(vec![offering_user(OWN, ids::MEMBER, ids::OFFERING, Some("member-account"), "OK")]);
    let app = TestApp::with(&doc).await;
    assert_eq!(app.get(LIST, &token("owner")).await.usernames(), vec![json!("member-account")]);
}

#[tokio::test]
async fn revoked_consent_no_longer_counts() {
    let mut doc = listing_world();
    doc["consents"][0]["revocation_date"] = json!("2026-02-01T00:00:00Z");
    let app = TestApp::with(&doc).await;
    assert_eq!(app.get(LIST, &token("owner")).await.json(), json!([]));
}

#[tokio::test]
async fn expired_or_inactive_roles_give_no_visibility() {
    let mut doc = listing_world();
    doc["roles"][0]["expiration_time"] = json!("2020-01-01T00:00:00Z"); // owner
    doc["roles"][6]["is_active"] = json!(false); // offering manager
    let app = TestApp::with(&doc).await;
    assert_eq!(app.get(LIST, &token("owner")).await.json(), json!([]));
    assert_eq!(app.get(LIST, &token("offering_manager")).await.json(), json!([]));
}

#[tokio::test]
async fn consent_changes_reach_existing_and_new_records() {
    let app = TestApp::with(&listing_world()).await;
    assert_eq!(app.get(LIST, &token("owner")).await.usernames(), vec![json!("user")]);
    // Revoking the consent later (a re-import) hides the record from the provider at once.
    let mut revoke = listing_world();
    revoke["consents"][0]["revocation_date"] = json!("2026-03-01T00:00:00Z");
    app.import(&revoke).await;
    assert_eq!(app.get(LIST, &token("owner")).await.json(), json!([]));
    assert_eq!(app.get(&format!("{LIST}?has_consent=false"), "staff-token").await.uuids().len(), 3);
    // A consent given before the record exists counts for the record created afterwards.
    let terms = terms_and_consents(ids::OFFERING, "1", &[ids::MEMBER]);
    app.import(&json!({"consents": [terms["consents"][0].clone()]})).await;
    let created =
        app.post(LIST, "owner-token", json!({"offering_uuid": ids::OFFERING, "user_uuid": ids::MEMBER})).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.json()["has_consent"], true);
    assert_eq!(app.get(LIST, &token("owner")).await.uuids(), vec![created.json()["uuid"].as_str().unwrap().to_owned()]);
    assert_eq!(app.get(&format!("{LIST}?has_consent=true"), "staff-token").await.uuids().len(), 1);
}
