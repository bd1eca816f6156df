//! `GET {uuid}/posix_groups/`, `GET {uuid}/posix_allocations/` and `GET|HEAD
//! posix_identities/?user_uuid=` (docs/spec/offering-users-2026.md §7.3–7.5, §2.1, §2.2, Q11).

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::posix_ids::*;
use crate::support::*;

fn groups_path(uuid: &str) -> String {
    action(uuid, "posix_groups")
}

fn allocations_path(uuid: &str) -> String {
    action(uuid, "posix_allocations")
}

const IDENTITIES: &str = "/api/marketplace-offering-users/posix_identities/";

/// A list answer: 200, an array, `X-Result-Count` = its length, no `Link`.
fn list_of(reply: &Reply) -> Vec<Value> {
    assert_eq!(reply.status, StatusCode::OK, "{:?}", String::from_utf8_lossy(&reply.bytes));
    let items = reply.json().as_array().expect("an array").clone();
    assert_eq!(reply.header("x-result-count"), Some(items.len().to_string()));
    assert_eq!(reply.header("link"), None);
    items
}

#[tokio::test]
async fn the_groups_of_a_project_member_with_their_pools() {
    let app = TestApp::with(&posix_world()).await;
    let items = list_of(&app.get(&groups_path(MEMBER_A), "staff-token").await);
    assert_eq!(
        items,
        vec![
            json!({"kind": "project_group", "group_name": null, "service_provider_name": null, "gid": 7000,
                   "offering_name": "Cluster A", "project_name": "Climate", "project_uuid": ids::PROJECT,
                   "customer_name": "Provider A", "customer_uuid": ids::PROVIDER, "project_accessible": true,
                   "pool_uuid": PROVIDER_POOL, "pool_scope": "service_provider"}),
            json!({"kind": "provider_project_group", "group_name": "climate", "service_provider_name": "Provider A",
                   "gid": 70001, "offering_name": "Cluster A", "project_name": "Climate",
                   "project_uuid": ids::PROJECT, "customer_name": "Provider A", "customer_uuid": ids::PROVIDER,
                   "project_accessible": true, "pool_uuid": PROVIDER_POOL, "pool_scope": "service_provider"}),
        ]
    );
    // An untracked GID has no pool; the group without a GID is never listed.
    let untracked = list_of(&app.get(&groups_path(MEMBER_C), "staff-token").await);
    let gids: Vec<(Value, Value, Value)> =
        untracked.iter().map(|g| (g["kind"].clone(), g["gid"].clone(), g["pool_uuid"].clone())).collect();
    assert_eq!(
        gids,
        vec![
            (json!("provider_project_group"), json!(70001), json!(PROVIDER_POOL)),
            (json!("project_group"), json!(90000), json!(null)),
        ]
    );
    assert_eq!(untracked[1]["pool_scope"], json!(null));
}

#[tokio::test]
async fn a_user_without_a_project_role_is_in_no_group_and_list_filters_are_ignored() {
    let app = TestApp::with(&posix_world()).await;
    assert_eq!(list_of(&app.get(&groups_path(USER_A), "staff-token").await), Vec::<Value>::new());
    // Q11: the list's filters (even one that matches nothing) and paging do not apply here.
    let filtered = app.get(&format!("{}?state=Deleted&page=3&page_size=1", groups_path(MEMBER_A)), "staff-token").await;
    assert_eq!(list_of(&filtered).len(), 2);
    let head = app.request(Method::HEAD, &groups_path(MEMBER_A), Some("staff-token"), None).await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.header("x-result-count"), Some("2".into()));
}

#[tokio::test]
async fn project_access_is_the_callers() {
    let app = TestApp::with(&posix_world()).await;
    // The offering manager sees the record but holds no role on the project or its customer.
    let items = list_of(&app.get(&groups_path(MEMBER_A), "offering_manager-token").await);
    assert_eq!(items.len(), 2);
    for item in &items {
        assert_eq!(item["project_accessible"], json!(false));
        assert_eq!(item["customer_name"], json!("Provider A"));
    }
    // The owner holds a role on the project's customer.
    let owner = list_of(&app.get(&groups_path(MEMBER_A), "owner-token").await);
    assert!(owner.iter().all(|i| i["project_accessible"] == json!(true)));
    assert_eq!(app.get(&groups_path(MEMBER_A), "outsider-token").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_consent_gate_does_not_hide_a_record_from_the_posix_routes() {
    let mut doc = posix_world();
    let terms = terms_and_consents(ids::OFFERING, "1", &[]);
    doc["terms_of_service"] = terms["terms_of_service"].clone();
    let app = TestApp::with(&doc).await;
    // The owner cannot retrieve member's record (no consent) but reads its POSIX lists.
    assert_eq!(app.get(&detail(MEMBER_A), "owner-token").await.status, StatusCode::NOT_FOUND);
    assert_eq!(list_of(&app.get(&groups_path(MEMBER_A), "owner-token").await).len(), 2);
    assert_eq!(list_of(&app.get(&allocations_path(MEMBER_A), "owner-token").await).len(), 2);
    let query = format!("{IDENTITIES}?user_uuid={}", ids::MEMBER);
    let identities = list_of(&app.get(&query, "owner-token").await);
    assert!(identities.iter().any(|i| i["namespace"] == json!("uid") && i["value"] == json!(1500)));
}

#[tokio::test]
async fn allocations_name_their_pool_and_the_offerings_that_share_it() {
    let app = TestApp::with(&posix_world()).await;
    assert_eq!(list_of(&app.get(&allocations_path(USER_A), "staff-token").await), Vec::<Value>::new());
    let pinned = app
        .post(&action(USER_A, "set_posix_attributes"), "owner-token", json!({"uidnumber": 2000, "primarygroup": 2001}))
        .await;
    assert_eq!(pinned.status, StatusCode::OK);
    let items = list_of(&app.get(&allocations_path(USER_A), "owner-token").await);
    assert_eq!(
        items,
        vec![
            json!({"namespace": "uid", "value": 2000, "pool_uuid": PROVIDER_POOL, "scope": "service_provider",
                   "scope_name": "Provider A",
                   "shared_with_offerings": [{"uuid": OFFERING_C, "name": "Cluster C"}]}),
            json!({"namespace": "gid", "value": 2001, "pool_uuid": PROVIDER_POOL, "scope": "service_provider",
                   "scope_name": "Provider A",
                   "shared_with_offerings": [{"uuid": OFFERING_C, "name": "Cluster C"},
                                             {"uuid": OFFERING_E, "name": "Cluster E"}]}),
        ]
    );
    // An override pool: scope offering, named after it.
    app.post(&action(USER_D, "set_posix_attributes"), "owner-token", json!({"uidnumber": 150})).await;
    let own = list_of(&app.get(&allocations_path(USER_D), "owner-token").await);
    assert_eq!(
        own,
        vec![json!({"namespace": "uid", "value": 150, "pool_uuid": OVERRIDE_POOL, "scope": "offering",
                    "scope_name": "Cluster D", "shared_with_offerings": []})]
    );
}

#[tokio::test]
async fn a_value_no_pool_tracks_has_null_pool_fields() {
    let mut doc = posix_world();
    // 5 is outside every range: stored, not tracked.
    doc["offering_users"][0]["uidnumber"] = json!(5);
    let app = TestApp::with(&doc).await;
    let items = list_of(&app.get(&allocations_path(USER_A), "staff-token").await);
    assert_eq!(
        items,
        vec![json!({"namespace": "uid", "value": 5, "pool_uuid": null, "scope": null, "scope_name": null,
                    "shared_with_offerings": []})]
    );
}

#[tokio::test]
async fn identities_need_a_user_uuid() {
    let app = TestApp::with(&posix_world()).await;
    for query in ["", "?user_uuid=", "?user_uuid=%20"] {
        let reply = app.get(&format!("{IDENTITIES}{query}"), "staff-token").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(reply.json(), json!({"user_uuid": "This query parameter is required."}));
    }
    let malformed = app.get(&format!("{IDENTITIES}?user_uuid=nope"), "staff-token").await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.json(), json!({"user_uuid": ["Enter a valid UUID."]}));
    let head = app.request(Method::HEAD, IDENTITIES, Some("staff-token"), None).await;
    assert_eq!(head.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.request(Method::GET, IDENTITIES, None, None).await.status, StatusCode::UNAUTHORIZED);
    // An unknown user: an empty list, not a 404.
    let unknown =
        app.get(&format!("{IDENTITIES}?user_uuid={}", "00000000000000000000000000009999"), "staff-token").await;
    assert_eq!(list_of(&unknown), Vec::<Value>::new());
}

#[tokio::test]
async fn identities_merge_across_the_offerings_of_a_pool() {
    let app = TestApp::with(&posix_world()).await;
    let query = format!("{IDENTITIES}?user_uuid={}", ids::MEMBER);
    let items = list_of(&app.get(&query, "staff-token").await);
    let a = json!({"uuid": ids::OFFERING, "name": "Cluster A"});
    let c = json!({"uuid": OFFERING_C, "name": "Cluster C"});
    assert_eq!(
        items,
        vec![
            json!({"namespace": "uid", "value": 1500, "context": null, "pool_uuid": PROVIDER_POOL,
                   "pool_scope": "service_provider", "offerings": [a], "offering_name": "Cluster A",
                   "offering_uuid": ids::OFFERING}),
            json!({"namespace": "gid", "value": 1500, "context": null, "pool_uuid": PROVIDER_POOL,
                   "pool_scope": "service_provider", "offerings": [a], "offering_name": "Cluster A",
                   "offering_uuid": ids::OFFERING}),
            json!({"namespace": "gid", "value": 7000, "context": "Climate", "pool_uuid": PROVIDER_POOL,
                   "pool_scope": "service_provider", "offerings": [a], "offering_name": "Cluster A",
                   "offering_uuid": ids::OFFERING}),
            json!({"namespace": "gid", "value": 70001, "context": "Climate", "pool_uuid": PROVIDER_POOL,
                   "pool_scope": "service_provider", "offerings": [a, c], "offering_name": "Cluster A",
                   "offering_uuid": ids::OFFERING}),
            json!({"namespace": "gid", "value": 90000, "context": "Climate", "pool_uuid": null,
                   "pool_scope": null, "offerings": [c], "offering_name": "Cluster C",
                   "offering_uuid": OFFERING_C}),
        ]
    );
    let head = app.request(Method::HEAD, &query, Some("staff-token"), None).await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.header("x-result-count"), Some("5".into()));
    assert!(head.bytes.is_empty());
    // page and page_size are ignored, never a Link.
    assert_eq!(list_of(&app.get(&format!("{query}&page=2&page_size=1"), "staff-token").await).len(), 5);
}

#[tokio::test]
async fn identities_follow_visibility_and_the_list_filters() {
    let app = TestApp::with(&posix_world()).await;
    let query = format!("{IDENTITIES}?user_uuid={}", ids::MEMBER);
    // The other provider's owner sees only member's account on his offering (no values there).
    assert_eq!(list_of(&app.get(&query, "other_owner-token").await), Vec::<Value>::new());
    assert_eq!(list_of(&app.get(&query, "outsider-token").await), Vec::<Value>::new());
    // A list filter narrows the accounts the rows come from.
    let narrowed = list_of(&app.get(&format!("{query}&offering_uuid={OFFERING_C}"), "staff-token").await);
    let values: Vec<Value> = narrowed.iter().map(|i| i["value"].clone()).collect();
    assert_eq!(values, vec![json!(70001), json!(90000)]);
    assert_eq!(narrowed[0]["offerings"], json!([{"uuid": OFFERING_C, "name": "Cluster C"}]));
    let invalid = app.get(&format!("{query}&state=Nope"), "staff-token").await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid.json(), json!({"state": ["Select a valid choice. Nope is not one of the available choices."]}));
    // The user sees his own.
    assert_eq!(list_of(&app.get(&query, "member-token").await).len(), 5);
}
