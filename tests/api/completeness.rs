//! Profile completeness (docs/spec/offering-users-2026.md §4.5, §6, §10 items 6, 7, 11):
//! `is_profile_complete` and `missing_profile_attributes`, the gate of
//! `ENFORCE_OFFERING_USER_PROFILE_COMPLETENESS` on list, retrieve and the count, and
//! `profile_field_warnings`.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use waldur_offering_users::http::Settings;

use crate::support::*;

const MINE: &str = "00000000000000000000000000000f01";
const MANAGERS: &str = "00000000000000000000000000000f02";
const FOREIGN: &str = "00000000000000000000000000000f03";
const DELETED: &str = "00000000000000000000000000000f04";

/// The member (empty e-mail) and the manager (complete) on the provider's offering, which
/// exposes `exposed`; the member on the other provider's offering (no config) and, deleted,
/// on the closed offering.
fn doc(exposed: Value) -> Value {
    let mut doc = world_with(vec![
        offering_user(MINE, ids::MEMBER, ids::OFFERING, Some("member1"), "OK"),
        offering_user(MANAGERS, ids::MANAGER, ids::OFFERING, Some("manager1"), "OK"),
        offering_user(FOREIGN, ids::MEMBER, ids::FOREIGN_OFFERING, Some("member2"), "OK"),
        offering_user(DELETED, ids::MEMBER, ids::CLOSED_OFFERING, Some("member3"), "Deleted"),
    ]);
    doc["offerings"][0]["exposed_user_attributes"] = exposed;
    let member = doc["users"].as_array_mut().unwrap().iter_mut().find(|u| u["uuid"] == ids::MEMBER).unwrap();
    member["email"] = json!("");
    doc
}

async fn gated_app(exposed: Value) -> TestApp {
    let app = TestApp::with_settings(Settings { enforce_profile_completeness: true, ..Settings::default() }).await;
    app.import(&doc(exposed)).await;
    app
}

/// The uuids `who` lists with `query`, checked against the HEAD count of the same query.
async fn listed(app: &TestApp, who: &str, query: &str) -> Vec<String> {
    let path = format!("{LIST}?{query}");
    let reply = app.get(&path, &token(who)).await;
    assert_eq!(reply.status, StatusCode::OK, "{who} {query}");
    let uuids = reply.uuids();
    let head = app.request(Method::HEAD, &path, Some(&token(who)), None).await;
    assert_eq!(head.header("x-result-count"), Some(uuids.len().to_string()), "{who} HEAD {query}");
    assert_eq!(reply.header("x-result-count"), Some(uuids.len().to_string()), "{who} GET {query}");
    uuids
}

#[tokio::test]
async fn the_gate_hides_an_incomplete_record_from_providers_but_not_from_its_user_staff_or_support() {
    let app = gated_app(json!(["email", "full_name"])).await;
    // The owner and the offering manager: the member's record is gone, from the list, the count
    // (from the counters too: one offering named) and retrieve.
    for who in ["owner", "offering_manager"] {
        assert_eq!(listed(&app, who, "").await, [MANAGERS], "{who}");
        assert_eq!(listed(&app, who, &format!("offering_uuid={}", ids::OFFERING)).await, [MANAGERS], "{who}");
        assert_eq!(app.get(&detail(MINE), &token(who)).await.status, StatusCode::NOT_FOUND, "{who}");
    }
    // The member sees his own rows (and his project's manager's, complete); staff and support
    // see everything.
    assert_eq!(listed(&app, "member", &format!("offering_uuid={}", ids::OFFERING)).await, [MANAGERS, MINE]);
    assert_eq!(app.get(&detail(MINE), "member-token").await.status, StatusCode::OK);
    for who in ["staff", "support"] {
        assert_eq!(listed(&app, who, &format!("offering_uuid={}", ids::OFFERING)).await.len(), 2, "{who}");
        assert_eq!(app.get(&detail(MINE), &token(who)).await.status, StatusCode::OK, "{who}");
    }
    // The detail actions see the un-gated set (§2.1): the owner can still act on the record.
    let restricted = app.post(&action(MINE, "update_restricted"), "owner-token", json!({"is_restricted": true})).await;
    assert_eq!(restricted.status, StatusCode::OK);
}

#[tokio::test]
async fn with_the_setting_off_nothing_is_hidden_but_completeness_is_still_reported() {
    let app = TestApp::with(&doc(json!(["email"]))).await;
    assert_eq!(listed(&app, "owner", &format!("offering_uuid={}", ids::OFFERING)).await.len(), 2);
    let body = app.get(&detail(MINE), "owner-token").await.json();
    assert_eq!((&body["is_profile_complete"], &body["missing_profile_attributes"]), (&json!(false), &json!(["email"])));
    let body = app.get(&detail(MANAGERS), "owner-token").await.json();
    assert_eq!((&body["is_profile_complete"], &body["missing_profile_attributes"]), (&json!(true), &json!([])));
}

#[tokio::test]
async fn an_offering_without_explicit_config_is_never_gated_though_its_records_may_be_incomplete() {
    let app = gated_app(Value::Null).await;
    // The default exposure names email: incomplete, yet not hidden (upstream's rule, kept).
    assert_eq!(listed(&app, "owner", "").await.len(), 2);
    let body = app.get(&detail(MINE), "owner-token").await.json();
    assert_eq!((&body["is_profile_complete"], &body["missing_profile_attributes"]), (&json!(false), &json!(["email"])));
    assert_eq!(listed(&app, "other_owner", "").await, [FOREIGN]);
}

#[tokio::test]
async fn an_empty_explicit_config_exposes_nothing_and_hides_nothing() {
    let app = gated_app(json!([])).await;
    assert_eq!(listed(&app, "owner", "").await.len(), 2);
    assert_eq!(app.get(&detail(MINE), "owner-token").await.json()["missing_profile_attributes"], json!([]));
}

#[tokio::test]
async fn missing_attributes_follow_the_canonical_order_and_full_name_needs_both_parts_empty() {
    let mut doc = doc(json!(["job_title", "email", "full_name", "affiliations", "gender", "username"]));
    let member = doc["users"].as_array_mut().unwrap().iter_mut().find(|u| u["uuid"] == ids::MEMBER).unwrap();
    member["first_name"] = json!("");
    member["gender"] = json!("");
    let app = TestApp::with(&doc).await;
    let missing = |body: Value| body["missing_profile_attributes"].clone();
    // last_name is still "Tester": full_name is not empty.
    assert_eq!(
        missing(app.get(&detail(MINE), "staff-token").await.json()),
        json!(["email", "affiliations", "job_title", "gender"])
    );
    member_named(&app, "", "").await;
    assert_eq!(
        missing(app.get(&detail(MINE), "staff-token").await.json()),
        json!(["full_name", "email", "affiliations", "job_title", "gender"])
    );
}

async fn member_named(app: &TestApp, first: &str, last: &str) {
    sqlx::query("UPDATE users SET first_name = $2, last_name = $3 WHERE uuid = $1::uuid")
        .bind(ids::MEMBER)
        .bind(first)
        .bind(last)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn filling_the_missing_attribute_brings_the_record_back() {
    let app = gated_app(json!(["email"])).await;
    assert_eq!(app.get(&detail(MINE), "owner-token").await.status, StatusCode::NOT_FOUND);
    sqlx::query("UPDATE users SET email = 'm@example.org' WHERE uuid = $1::uuid")
        .bind(ids::MEMBER)
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(app.get(&detail(MINE), "owner-token").await.status, StatusCode::OK);
    assert_eq!(listed(&app, "owner", &format!("offering_uuid={}", ids::OFFERING)).await.len(), 2);
}

const WARNINGS: &str = "/api/marketplace-offering-users/profile_field_warnings/";

#[tokio::test]
async fn profile_field_warnings_is_empty_with_the_setting_off() {
    let app = TestApp::with(&doc(json!(["email"]))).await;
    let reply = app.get(WARNINGS, "member-token").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({}));
    assert_eq!(reply.header("x-result-count").as_deref(), Some("0"));
}

#[tokio::test]
async fn profile_field_warnings_aggregates_the_callers_offerings_and_skips_deleted_records() {
    let mut doc = doc(json!(["job_title", "full_name"]));
    doc["offerings"][1]["exposed_user_attributes"] = json!(["job_title"]);
    // The deleted record's offering would add `nationality`.
    doc["offerings"][2]["exposed_user_attributes"] = json!(["nationality"]);
    let app = TestApp::with_settings(Settings { enforce_profile_completeness: true, ..Settings::default() }).await;
    app.import(&doc).await;
    let a = json!({"offering_uuid": ids::OFFERING, "offering_name": "Cluster A"});
    let b = json!({"offering_uuid": ids::FOREIGN_OFFERING, "offering_name": "Cluster B"});
    let reply = app.get(WARNINGS, "member-token").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"first_name": [a], "job_title": [a, b], "last_name": [a]}));
    assert_eq!(reply.header("x-result-count").as_deref(), Some("3"));
    assert!(reply.header("link").is_none());
    let keys: Vec<String> = reply.json().as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["first_name", "job_title", "last_name"]);

    let head = app.request(Method::HEAD, WARNINGS, Some("member-token"), None).await;
    assert_eq!((head.status, head.header("x-result-count").as_deref()), (StatusCode::OK, Some("3")));
    assert!(head.bytes.is_empty());
    // Without the trailing slash too, and with parameters the route ignores.
    let bare = app.get(&format!("{}?page_size=1", WARNINGS.trim_end_matches('/')), "member-token").await;
    assert_eq!(bare.json(), reply.json());

    // The default exposure of an offering without a config maps full_name to both parts.
    let manager = app.get(WARNINGS, "manager-token").await.json();
    assert_eq!(manager, json!({"first_name": [a], "job_title": [a], "last_name": [a]}));
    // Someone without records: {}; anonymous: 401; staff gets his own (none).
    assert_eq!(app.get(WARNINGS, "outsider-token").await.json(), json!({}));
    assert_eq!(app.get(WARNINGS, "staff-token").await.json(), json!({}));
    assert_eq!(app.request(Method::GET, WARNINGS, None, None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn profile_field_warnings_uses_the_default_exposure_setting() {
    let settings = Settings {
        enforce_profile_completeness: true,
        default_user_attributes: vec!["username", "email", "registration_method"],
        ..Settings::default()
    };
    let app = TestApp::with_settings(settings).await;
    app.import(&doc(Value::Null)).await;
    let reply = app.get(WARNINGS, "manager-token").await.json();
    let a = json!([{"offering_uuid": ids::OFFERING, "offering_name": "Cluster A"}]);
    assert_eq!(reply, json!({"email": a, "registration_method": a, "username": a}));
}

/// Every attribute, empty and filled in its several forms: the representation's
/// `missing_profile_attributes` (decided in Rust from the row) equals the SQL function
/// `user_missing_attributes` (migration 0009) that the gate and the filter use.
#[tokio::test]
async fn missing_attributes_agree_with_the_sql_definition_for_every_attribute() {
    let all = waldur_offering_users::domain::user_attributes::ATTRIBUTE_NAMES;
    let app = TestApp::with(&doc(json!(all.to_vec()))).await;
    let profiles = [
        // Unset: every nullable NULL, strings "", lists [].
        "first_name = '', last_name = '', email = ''",
        // Filled.
        "phone_number = '1', organization = 'o', job_title = 'j', affiliations = '[\"a\"]', gender = 'male', \
         personal_title = 'p', place_of_birth = 'p', address = 'a', country_of_residence = 'EE', nationality = 'EE', \
         nationalities = '[\"EE\"]', organization_country = 'EE', organization_type = 't', \
         organization_registry_code = 'r', organization_vat_code = 'v', organization_address = 'a', \
         eduperson_assurance = '[\"x\"]', civil_number = '1', birth_date = '1990-01-01', identity_source = 'i', \
         uid_number = 0, primary_gid = 0, active_isds = '[\"i\"]'",
        // Blank where blank and NULL differ; one name part; odd JSON.
        "gender = '', civil_number = '', first_name = '', last_name = 'L', affiliations = '{}', \
         nationalities = '[null]', eduperson_assurance = 'null'",
        // Spaces are not empty (no trimming).
        "phone_number = ' ', gender = ' ', civil_number = ' ', first_name = ' '",
    ];
    for profile in profiles {
        sqlx::query(&format!("UPDATE users SET {profile} WHERE uuid = $1::uuid"))
            .bind(ids::MEMBER)
            .execute(&app.db.pool)
            .await
            .unwrap();
        let by_sql: Vec<String> =
            sqlx::query_scalar("SELECT user_missing_attributes(u, $2) FROM users u WHERE uuid = $1::uuid")
                .bind(ids::MEMBER)
                .bind(all.to_vec())
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        let body = app.get(&detail(MINE), "staff-token").await.json();
        assert_eq!(body["missing_profile_attributes"], json!(by_sql), "{profile}");
        assert_eq!(body["is_profile_complete"], json!(by_sql.is_empty()), "{profile}");
    }
}
