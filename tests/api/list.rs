//! The list: representation, filters, ordering, pagination, field selection, HEAD
//! (docs/spec/offering-users.md §4.1, §5, §6; §9.1 items 6, 9, 10, 64–69; §9.3).

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::*;

const REQUESTED: &str = "00000000000000000000000000000f01";
const PENDING: &str = "00000000000000000000000000000f02";
const OK: &str = "00000000000000000000000000000f03";
const FOREIGN: &str = "00000000000000000000000000000f04";

/// Upstream's OfferingUserStateFilterTest rows, plus one on another provider's offering.
fn states_world() -> Value {
    world_with(vec![
        offering_user(REQUESTED, ids::ADMIN, ids::OFFERING, None, "Requested"),
        offering_user(PENDING, ids::MANAGER, ids::OFFERING, Some("pending"), "Pending additional validation"),
        offering_user(OK, ids::MEMBER, ids::OFFERING, Some("user"), "OK"),
        offering_user(FOREIGN, ids::OUTSIDER, ids::FOREIGN_OFFERING, Some("user2"), "OK"),
    ])
}

async fn uuids(app: &TestApp, query: &str) -> Vec<String> {
    let reply = app.get(&format!("{LIST}?{query}"), "staff-token").await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {:?}", String::from_utf8_lossy(&reply.bytes));
    reply.uuids()
}

#[tokio::test]
async fn objects_carry_the_fields_in_documented_order() {
    let app = TestApp::with(&states_world()).await;
    let reply = app.get(&format!("{LIST}?user_uuid={}", ids::MEMBER), "staff-token").await;
    let body = reply.json();
    let object = body[0].as_object().unwrap();
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    // All 58 but the 23 `user_*` keys that the default exposure (username, full_name, email) hides.
    let shown = ["user_uuid", "user_username", "user_full_name", "user_first_name", "user_last_name", "user_email"];
    let expected: Vec<&str> = waldur_offering_users::http::offering_users::FIELDS
        .into_iter()
        .filter(|k| !k.starts_with("user_") || shown.contains(k))
        .collect();
    assert_eq!(keys, expected);
    assert_eq!(keys.len(), 35);
    assert_eq!(object["url"], format!("http://testserver/api/marketplace-offering-users/{OK}/"));
    assert_eq!(object["user"], format!("http://testserver/api/users/{}/", ids::MEMBER));
    assert_eq!(object["offering"], format!("http://testserver/api/marketplace-provider-offerings/{}/", ids::OFFERING));
    assert_eq!(object["offering_uuid"], ids::OFFERING);
    assert_eq!(object["offering_name"], "Cluster A");
    assert_eq!(object["user_username"], "member");
    assert_eq!(object["user_full_name"], "Member Tester");
    assert_eq!(object["user_email"], "member@example.org");
    assert_eq!(object["customer_uuid"], ids::PROVIDER);
    assert_eq!(object["customer_name"], "Provider A");
    assert_eq!(object["state"], "OK");
    assert_eq!(object["is_restricted"], false);
    assert_eq!(object["service_provider_comment"], "");
    assert_eq!(object["has_consent"], false);
    assert_eq!(object["requires_reconsent"], false);
    assert_eq!(object["has_compliance_checklist"], false);
    let created = object["created"].as_str().unwrap();
    assert!(created.ends_with('Z') && !created.contains('+'), "{created}");
    assert_eq!(reply.header("content-type").as_deref(), Some("application/json"));
}

#[tokio::test]
async fn state_filter_takes_labels_repeated_or_comma_separated() {
    let app = TestApp::with(&states_world()).await;
    assert_eq!(uuids(&app, "state=Requested").await, vec![REQUESTED]);
    let mut two = uuids(&app, "state=Requested&state=OK&offering_uuid=00000000000000000000000000000e01").await;
    two.sort();
    assert_eq!(two, vec![REQUESTED, OK]);
    assert_eq!(uuids(&app, "state=Pending+additional+validation").await, vec![PENDING]);
    assert_eq!(uuids(&app, "state=Requested,Pending%20additional%20validation").await.len(), 2);
    assert_eq!(uuids(&app, "").await.len(), 4);
    let reply = app.get(&format!("{LIST}?state=NonexistentState"), "staff-token").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.json(),
        json!({"state": ["Select a valid choice. NonexistentState is not one of the available choices."]})
    );
}

#[tokio::test]
async fn offering_filters_accept_both_uuid_forms_and_unite_values() {
    let app = TestApp::with(&states_world()).await;
    let dashed = "00000000-0000-0000-0000-000000000e02";
    assert_eq!(uuids(&app, &format!("offering_uuid={dashed}")).await, vec![FOREIGN]);
    let both = uuids(&app, &format!("offering_uuid={}&offering_uuid={dashed}", ids::OFFERING)).await;
    assert_eq!(both.len(), 4);
    let csv = uuids(&app, &format!("offering_uuid={},{}", ids::OFFERING, ids::FOREIGN_OFFERING)).await;
    assert_eq!(csv.len(), 4);
    assert_eq!(uuids(&app, "offering_slug=cluster-b").await, vec![FOREIGN]);
    assert_eq!(uuids(&app, "offering_slug=cluster-a,cluster-b").await.len(), 4);
    let reply = app.get(&format!("{LIST}?offering_uuid=not-a-uuid"), "staff-token").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json(), json!({"offering_uuid": ["Enter a valid UUID."]}));
}

#[tokio::test]
async fn offering_url_filter_matches_provider_offering_links_only() {
    let app = TestApp::with(&states_world()).await;
    let link = format!("http://testserver/api/marketplace-provider-offerings/{}/", ids::FOREIGN_OFFERING);
    assert_eq!(uuids(&app, &format!("offering={link}")).await, vec![FOREIGN]);
    let public = format!("http://testserver/api/marketplace-public-offerings/{}/", ids::FOREIGN_OFFERING);
    assert!(uuids(&app, &format!("offering={public}")).await.is_empty());
    assert!(uuids(&app, &format!("offering={}", ids::FOREIGN_OFFERING)).await.is_empty());
}

#[tokio::test]
async fn offering_url_whose_path_resolves_to_no_route_is_404() {
    let app = TestApp::with(&states_world()).await;
    for url in ["http://testserver/nowhere/", "/admin/x/", "http://testserver/api/a/b/c/d/"] {
        let reply = app.get(&format!("{LIST}?offering={url}"), "staff-token").await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{url}");
        assert_eq!(reply.json(), json!({"detail": "Not found."}), "{url}");
        let head = app.request(Method::HEAD, &format!("{LIST}?offering={url}"), Some("staff-token"), None).await;
        assert_eq!(head.status, StatusCode::NOT_FOUND, "{url}");
    }
    // Another route, a lookup that is not a uuid, a bare uuid: the empty list, as before.
    for url in [
        format!("http://testserver/api/marketplace-public-offerings/{}/", ids::OFFERING),
        "http://testserver/api/marketplace-provider-offerings/xyz/".to_owned(),
        ids::OFFERING.to_owned(),
    ] {
        assert!(uuids(&app, &format!("offering={url}")).await.is_empty(), "{url}");
    }
    // An invalid value of another filter is still the 400, as upstream validates first.
    let reply = app.get(&format!("{LIST}?offering=/nowhere/&user_uuid=x"), "staff-token").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn provider_user_and_username_filters() {
    let app = TestApp::with(&states_world()).await;
    assert_eq!(uuids(&app, &format!("provider_uuid={}", ids::OTHER_PROVIDER)).await, vec![FOREIGN]);
    assert_eq!(uuids(&app, &format!("user_uuid={}", ids::MEMBER)).await, vec![OK]);
    // user_username is case-insensitive (upstream scenario 9).
    assert_eq!(uuids(&app, "user_username=MEMBER").await, vec![OK]);
    // username is exact and case-sensitive (upstream scenario 10).
    assert_eq!(uuids(&app, "username=user").await, vec![OK]);
    assert_eq!(uuids(&app, "username=user2").await, vec![FOREIGN]);
    assert!(uuids(&app, "username=USER").await.is_empty());
    assert!(uuids(&app, "username=nobody").await.is_empty());
}

#[tokio::test]
async fn parent_offering_filter() {
    let mut doc = states_world();
    doc["offerings"][1]["parent"] = json!(ids::OFFERING);
    let app = TestApp::with(&doc).await;
    assert_eq!(uuids(&app, &format!("parent_offering_uuid={}", ids::OFFERING)).await, vec![FOREIGN]);
}

#[tokio::test]
async fn is_restricted_and_has_consent_filters() {
    let mut doc = states_world();
    doc["offering_users"][3]["is_restricted"] = json!(true);
    let terms = terms_and_consents(ids::OFFERING, "1", &[ids::MEMBER]);
    doc["terms_of_service"] = terms["terms_of_service"].clone();
    doc["consents"] = terms["consents"].clone();
    let app = TestApp::with(&doc).await;
    assert_eq!(uuids(&app, "is_restricted=true").await, vec![FOREIGN]);
    assert_eq!(uuids(&app, "is_restricted=False").await.len(), 3);
    assert_eq!(uuids(&app, "is_restricted=maybe").await.len(), 4);
    assert_eq!(uuids(&app, "has_consent=true").await, vec![OK]);
    assert_eq!(uuids(&app, "has_consent=0").await.len(), 3);
}

#[tokio::test]
async fn created_and_modified_filters_take_dates_and_date_times() {
    let app = TestApp::with(&states_world()).await;
    sqlx::query("UPDATE offering_users SET created = '2025-01-01T00:00:00Z', modified = '2025-06-01T00:00:00Z'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE offering_users SET created = '2025-03-01T12:00:00Z' WHERE uuid = $1::uuid")
        .bind(OK)
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(uuids(&app, "created=2025-02-01").await, vec![OK]);
    assert_eq!(uuids(&app, "created=2025-03-01T12%3A00%3A00%2B00%3A00").await, vec![OK]);
    assert!(uuids(&app, "created=2025-03-01T13:00:00").await.is_empty());
    assert_eq!(uuids(&app, "modified=2025-05-31").await.len(), 4);
    let reply = app.get(&format!("{LIST}?modified=soon"), "staff-token").await;
    assert_eq!(reply.json(), json!({"modified": ["Enter a valid date/time."]}));
}

#[tokio::test]
async fn query_searches_offering_name_username_and_user_names() {
    let app = TestApp::with(&states_world()).await;
    assert_eq!(uuids(&app, "query=cluster%20b").await, vec![FOREIGN]);
    assert_eq!(uuids(&app, "query=PENDING").await, vec![PENDING]);
    assert_eq!(uuids(&app, "query=memb").await, vec![OK]);
    assert_eq!(uuids(&app, "query=tester").await.len(), 4);
    assert!(uuids(&app, "query=%25").await.is_empty(), "a % is matched literally");
}

#[tokio::test]
async fn default_order_is_username_nulls_last_and_o_reorders() {
    let app = TestApp::with(&states_world()).await;
    assert_eq!(uuids(&app, "").await, vec![PENDING, OK, FOREIGN, REQUESTED]);
    assert_eq!(uuids(&app, "o=-username").await, vec![REQUESTED, FOREIGN, OK, PENDING]);
    sqlx::query("UPDATE offering_users SET created = now() - (state || ' days')::interval")
        .execute(&app.db.pool)
        .await
        .unwrap();
    // created ascending: state 5 (OK, FOREIGN) oldest, then 4, then 1.
    assert_eq!(uuids(&app, "o=created").await, vec![OK, FOREIGN, PENDING, REQUESTED]);
    assert_eq!(uuids(&app, "o=-created").await, vec![REQUESTED, PENDING, OK, FOREIGN]);
    assert_eq!(uuids(&app, "o=user_first_name").await.len(), 4);
    let reply = app.get(&format!("{LIST}?o=name"), "staff-token").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json(), json!({"o": ["Select a valid choice. name is not one of the available choices."]}));
}

#[tokio::test]
async fn pagination_headers_follow_upstream() {
    let app = TestApp::with(&states_world()).await;
    let reply = app.get(&format!("{LIST}?page_size=1&state=OK&state=Requested"), "staff-token").await;
    assert_eq!(reply.json().as_array().unwrap().len(), 1);
    assert_eq!(reply.header("x-result-count").as_deref(), Some("3"));
    let base = "http://testserver/api/marketplace-offering-users/";
    assert_eq!(
        reply.header("link").unwrap(),
        format!(
            "<{base}?page_size=1&state=OK&state=Requested>; rel=\"first\", \
             <{base}?page=2&page_size=1&state=OK&state=Requested>; rel=\"next\", \
             <{base}?page=3&page_size=1&state=OK&state=Requested>; rel=\"last\""
        )
    );
    let last = app.get(&format!("{LIST}?page_size=1&page=3"), "staff-token").await;
    assert_eq!(
        last.header("link").unwrap(),
        format!(
            "<{base}?page_size=1>; rel=\"first\", <{base}?page=2&page_size=1>; rel=\"prev\", \
             <{base}?page=4&page_size=1>; rel=\"next\", <{base}?page=4&page_size=1>; rel=\"last\""
        )
    );
    let beyond = app.get(&format!("{LIST}?page=9999"), "staff-token").await;
    assert_eq!(beyond.status, StatusCode::NOT_FOUND);
    assert_eq!(beyond.json(), json!({"detail": "Invalid page."}));
    let word = app.get(&format!("{LIST}?page=abc"), "staff-token").await;
    assert_eq!(word.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pages_never_overlap_or_skip_rows() {
    let app = TestApp::with(&states_world()).await;
    let mut seen = Vec::new();
    for page in 1..=4 {
        seen.extend(uuids(&app, &format!("page_size=1&page={page}")).await);
    }
    let mut all = uuids(&app, "page_size=10").await;
    assert_eq!(seen, all);
    all.dedup();
    assert_eq!(all.len(), 4);
}

#[tokio::test]
async fn head_returns_the_count_without_a_body() {
    let app = TestApp::with(&states_world()).await;
    let reply = app.request(Method::HEAD, &format!("{LIST}?state=OK"), Some("staff-token"), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.bytes.is_empty());
    assert_eq!(reply.header("x-result-count").as_deref(), Some("2"));
    assert!(reply.header("link").unwrap().contains("rel=\"first\""));
}

#[tokio::test]
async fn field_selection_narrows_objects_in_serializer_order() {
    let app = TestApp::with(&states_world()).await;
    let reply = app.get(&format!("{LIST}?field=state&field=uuid&field=bogus"), "staff-token").await;
    for object in reply.json().as_array().unwrap() {
        let keys: Vec<&String> = object.as_object().unwrap().keys().collect();
        assert_eq!(keys, vec!["uuid", "state"]);
    }
    let csv = app.get(&format!("{LIST}?field=username,url"), "staff-token").await;
    assert_eq!(csv.json()[0].as_object().unwrap().keys().collect::<Vec<_>>(), vec!["url", "username"]);
    let unknown = app.get(&format!("{LIST}?field=bogus"), "staff-token").await;
    assert_eq!(unknown.json()[0].as_object().unwrap().len(), 35);
}

#[tokio::test]
async fn page_size_is_clamped_to_300() {
    let users: Vec<Value> = (0..305)
        .map(|i| json!({"uuid": format!("00000000000000000000000000{:06x}", 0x100000 + i), "username": format!("bulk{i}")}))
        .collect();
    let records: Vec<Value> = (0..305)
        .map(|i| {
            offering_user(
                &format!("00000000000000000000000000{:06x}", 0x200000 + i),
                &format!("00000000000000000000000000{:06x}", 0x100000 + i),
                ids::OFFERING,
                Some(&format!("bulk{i:03}")),
                "OK",
            )
        })
        .collect();
    let mut doc = world_with(records);
    doc["users"].as_array_mut().unwrap().extend(users);
    let app = TestApp::with(&doc).await;
    let reply = app.get(&format!("{LIST}?page_size=1000"), "staff-token").await;
    assert_eq!(reply.json().as_array().unwrap().len(), 300);
    assert_eq!(reply.header("x-result-count").as_deref(), Some("305"));
}

#[tokio::test]
async fn unknown_parameters_are_ignored() {
    let app = TestApp::with(&states_world()).await;
    assert_eq!(uuids(&app, "runtime_state=Active&has_complete_profile=true&zzz=1").await.len(), 4);
}

#[tokio::test]
async fn consent_fields_reflect_terms_and_versions() {
    let mut doc = states_world();
    let terms = terms_and_consents(ids::OFFERING, "2", &[ids::MEMBER, ids::MANAGER]);
    doc["terms_of_service"] = terms["terms_of_service"].clone();
    doc["consents"] = terms["consents"].clone();
    doc["consents"][1]["version"] = json!("1"); // the manager consented to an older version
    let app = TestApp::with(&doc).await;
    let reply = app.get(LIST, "staff-token").await;
    let by_uuid = |uuid: &str| reply.json().as_array().unwrap().iter().find(|o| o["uuid"] == uuid).unwrap().clone();
    assert_eq!(
        (by_uuid(OK)["has_consent"].clone(), by_uuid(OK)["requires_reconsent"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(
        (by_uuid(PENDING)["has_consent"].clone(), by_uuid(PENDING)["requires_reconsent"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(by_uuid(REQUESTED)["has_consent"], false);
    // No active terms on the other offering: no consent to speak of.
    assert_eq!(by_uuid(FOREIGN)["has_consent"], false);
}

#[tokio::test]
async fn a_page_costs_three_statements_whatever_its_size_and_a_search_two() {
    let app = TestApp::with(&states_world()).await;
    // One connection, so every statement of the request runs on the backend we read the
    // counters of; each autocommit statement is one committed transaction.
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect_with(app.db.options()).await.unwrap();
    let state = waldur_offering_users::AppState::new(pool.clone(), waldur_offering_users::http::Settings::default());
    let router = waldur_offering_users::app(state.clone());
    let single = TestApp { db: TestDatabase::attach(&app.db), router, state };
    // Warm up: the first use opens the connection.
    assert_eq!(single.get(LIST, "owner-token").await.status, StatusCode::OK);
    let mut costs = Vec::new();
    for size in [1, 4] {
        // The owner's own offering: counted from the counters, then the page.
        let counted = format!("{LIST}?offering_uuid={}&page_size={size}", ids::OFFERING);
        // No offering named: his rows are counted, then the page.
        let all = format!("{LIST}?page_size={size}");
        // A search: the page and the count of its matches in one statement.
        let search = format!("{LIST}?query=tester&page_size={size}");
        // Past the end: that statement returns no row, so the count is read on its own.
        let beyond = format!("{LIST}?query=tester&page_size={size}&page=9");
        for (path, status) in [
            (counted, StatusCode::OK),
            (all, StatusCode::OK),
            (search, StatusCode::OK),
            (beyond, StatusCode::NOT_FOUND),
        ] {
            costs.push(statements_of(&single, &pool, &path, status).await);
        }
    }
    assert_eq!(costs, vec![3, 3, 2, 3, 3, 3, 2, 3], "counted, all, search, beyond for sizes 1 and 4");
}

/// The statements one request of `path` by the owner runs, its reply having `status`.
async fn statements_of(single: &TestApp, pool: &sqlx::PgPool, path: &str, status: StatusCode) -> i64 {
    // Warm up this statement: it is prepared once per connection.
    assert_eq!(single.get(path, "owner-token").await.status, status, "{path}");
    // The first read settles counters still pending from earlier statements.
    committed(pool).await;
    let before = committed(pool).await;
    assert_eq!(single.get(path, "owner-token").await.status, status, "{path}");
    // The measuring itself costs three transactions per read (flush, clear, read).
    committed(pool).await - before - 3
}

/// Transactions committed in this database, with this backend's own counters flushed.
async fn committed(pool: &sqlx::PgPool) -> i64 {
    sqlx::query("SELECT pg_stat_force_next_flush()").execute(pool).await.unwrap();
    sqlx::query("SELECT pg_stat_clear_snapshot()").execute(pool).await.unwrap();
    sqlx::query_scalar("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn staff_counts_from_counters_stay_exact_through_every_kind_of_write() {
    let app = TestApp::with(&states_world()).await;
    let exact = |filter: &'static str| {
        let pool = app.db.pool.clone();
        async move {
            let n: i64 = sqlx::query_scalar(&format!(
                "SELECT count(*) FROM offering_users ou JOIN offerings o ON o.id = ou.offering_id WHERE {filter}"
            ))
            .fetch_one(&pool)
            .await
            .unwrap();
            n.to_string()
        }
    };
    let check = |label: &'static str| {
        let app = &app;
        async move {
            for (query, filter) in [
                ("", "true"),
                ("state=OK", "ou.state = 5"),
                ("is_restricted=false&state=Requested,Creating", "NOT ou.is_restricted AND ou.state IN (1, 2)"),
                ("offering_slug=cluster-a&state=OK", "o.slug = 'cluster-a' AND ou.state = 5"),
            ] {
                let reply = app.request(Method::HEAD, &format!("{LIST}?{query}"), Some("staff-token"), None).await;
                assert_eq!(reply.header("x-result-count").unwrap(), exact(filter).await, "{label}: {query}");
            }
        }
    };
    check("imported").await;
    let created = app.post(LIST, "owner-token", json!({"offering_uuid": ids::OFFERING, "user_uuid": ids::USER})).await;
    let uuid = created.json()["uuid"].as_str().unwrap().to_owned();
    check("created").await;
    app.post_empty(&action(&uuid, "begin_creating"), "owner-token").await;
    app.post(&action(&uuid, "update_restricted"), "owner-token", json!({"is_restricted": true})).await;
    check("transition and restriction").await;
    app.patch(&detail(&uuid), "owner-token", json!({"username": "done"})).await;
    check("implicit OK").await;
    app.delete(&detail(&uuid), "owner-token").await;
    check("deleted").await;
    app.import(&json!({"offering_users": [offering_user("00000000000000000000000000000f09", ids::USER, ids::FOREIGN_OFFERING, None, "Deleted")]}))
        .await;
    check("re-imported").await;
}

#[tokio::test]
async fn provider_counts_from_counters_match_the_rows_under_the_consent_gate() {
    let mut doc = states_world();
    // The owner has an unconsented record of his own on the gated offering; the member consented.
    doc["offering_users"].as_array_mut().unwrap().push(offering_user(
        "00000000000000000000000000000f05",
        ids::OWNER,
        ids::OFFERING,
        Some("owner-acct"),
        "OK",
    ));
    let terms = terms_and_consents(ids::OFFERING, "1", &[ids::MEMBER]);
    doc["terms_of_service"] = terms["terms_of_service"].clone();
    doc["consents"] = terms["consents"].clone();
    let app = TestApp::with(&doc).await;
    for who in ["owner", "offering_manager", "other_owner", "admin"] {
        for query in [
            format!("offering_uuid={}", ids::OFFERING),
            format!("offering_uuid={}&is_restricted=false&state=OK", ids::OFFERING),
            format!("offering_uuid={},{}", ids::OFFERING, ids::FOREIGN_OFFERING),
            "offering_slug=cluster-a&state=Requested".to_owned(),
            format!("provider_uuid={}", ids::PROVIDER),
        ] {
            let reply = app.get(&format!("{LIST}?{query}&page_size=300"), &token(who)).await;
            assert_eq!(reply.status, StatusCode::OK);
            let rows = reply.json().as_array().unwrap().len().to_string();
            assert_eq!(reply.header("x-result-count").unwrap(), rows, "{who}: {query}");
        }
    }
    let owner = app.get(&format!("{LIST}?offering_uuid={}", ids::OFFERING), "owner-token").await;
    assert_eq!(owner.usernames(), vec![json!("owner-acct"), json!("user")], "own record plus the consented one");
}

/// `count` records of `offering` named `{prefix}00`…, each of its own user, whose first
/// names run the other way (`{prefix}00`'s user is last by first name).
fn named_records(prefix: &str, count: usize, offering: &str, first: usize) -> (Vec<Value>, Vec<Value>) {
    let id = |kind: usize, i: usize| format!("00000000000000000000000000{:06x}", kind + first + i);
    let users = (0..count)
        .map(|i| {
            let first_name = format!("F{:02}", count - 1 - i);
            json!({"uuid": id(0x100000, i), "username": format!("{prefix}-user{i}"), "first_name": first_name})
        })
        .collect();
    let records = (0..count)
        .map(|i| offering_user(&id(0x200000, i), &id(0x100000, i), offering, Some(&format!("{prefix}{i:02}")), "OK"))
        .collect();
    (users, records)
}

/// The owner's search for "smi", ten per page, with more parameters.
async fn search(app: &TestApp, more: &str) -> Reply {
    app.get(&format!("{LIST}?query=smi&page_size=10{more}"), "owner-token").await
}

#[tokio::test]
async fn a_search_reads_its_page_and_exact_count_together_and_pages_like_a_count() {
    // 25 matches the owner sees, 5 rows of his that do not match, 5 matches he cannot see.
    let mut doc = world();
    let mut records = Vec::new();
    for (prefix, count, offering, first) in
        [("smith", 25, ids::OFFERING, 0), ("jones", 5, ids::OFFERING, 100), ("smithy", 5, ids::FOREIGN_OFFERING, 200)]
    {
        let (users, rows) = named_records(prefix, count, offering, first);
        doc["users"].as_array_mut().unwrap().extend(users);
        records.extend(rows);
    }
    doc["offering_users"] = Value::Array(records);
    let app = TestApp::with(&doc).await;
    let smiths = |range: std::ops::Range<usize>| range.map(|i| json!(format!("smith{i:02}"))).collect::<Vec<_>>();

    let first = search(&app, "").await;
    assert_eq!((first.status, first.usernames()), (StatusCode::OK, smiths(0..10)));
    assert_eq!(first.header("x-result-count").as_deref(), Some("25"));

    let middle = search(&app, "&page=2").await;
    assert_eq!((middle.status, middle.usernames()), (StatusCode::OK, smiths(10..20)));
    assert_eq!(middle.header("x-result-count").as_deref(), Some("25"));
    let base = "http://testserver/api/marketplace-offering-users/";
    assert_eq!(
        middle.header("link").unwrap(),
        format!(
            "<{base}?page_size=10&query=smi>; rel=\"first\", <{base}?page_size=10&query=smi>; rel=\"prev\", \
             <{base}?page=3&page_size=10&query=smi>; rel=\"next\", <{base}?page=3&page_size=10&query=smi>; rel=\"last\""
        )
    );

    for last in [search(&app, "&page=3").await, search(&app, "&page=last").await] {
        assert_eq!((last.status, last.usernames()), (StatusCode::OK, smiths(20..25)));
        assert_eq!(last.header("x-result-count").as_deref(), Some("25"));
    }
    // The order applies to the page, not to what is counted.
    let reversed = search(&app, "&o=-username").await;
    assert_eq!(reversed.usernames(), smiths(15..25).into_iter().rev().collect::<Vec<_>>());
    assert_eq!(reversed.header("x-result-count").as_deref(), Some("25"));
    let by_first_name = search(&app, "&o=user_first_name").await;
    assert_eq!(by_first_name.usernames(), reversed.usernames());
    assert_eq!(by_first_name.header("x-result-count").as_deref(), Some("25"));

    let beyond = search(&app, "&page=4").await;
    assert_eq!((beyond.status, beyond.json()), (StatusCode::NOT_FOUND, json!({"detail": "Invalid page."})));

    let none = app.get(&format!("{LIST}?query=nobody&page_size=10"), "owner-token").await;
    assert_eq!((none.status, none.json()), (StatusCode::OK, json!([])));
    assert_eq!(none.header("x-result-count").as_deref(), Some("0"));
    assert_eq!(
        none.header("link").unwrap(),
        format!("<{base}?page_size=10&query=nobody>; rel=\"first\", <{base}?page_size=10&query=nobody>; rel=\"last\"")
    );

    let head = app.request(Method::HEAD, &format!("{LIST}?query=smi"), Some("owner-token"), None).await;
    assert_eq!(head.header("x-result-count").as_deref(), Some("25"));
    // Staff see the other provider's matches too.
    assert_eq!(
        app.get(&format!("{LIST}?query=smi"), "staff-token").await.header("x-result-count").as_deref(),
        Some("30")
    );
}
