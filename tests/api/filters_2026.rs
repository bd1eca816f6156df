//! The list filters of newer clients (docs/spec/offering-users-2026.md §5): `created_before`,
//! `modified_before`, `runtime_state`, `has_complete_profile`, `offering_has_active_tos`,
//! `is_provider_backed`, `service_provider_account_uuid`, the URL forms of the uuid filters,
//! and `o` by the user's names. For every filter, the HEAD count and the list's
//! `X-Result-Count` equal the list's length, also where the counters would answer the count
//! of an unfiltered offering.
//!
//! The data the directory cannot carry yet (runtime states, profiles, exposure, provider
//! accounts, dates) is set with SQL.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

// On the provider's offering (explicit exposure config: email and phone_number).
const F1: &str = "00000000000000000000000000000f01"; // user: Active, phone, account A1, 2025-01-01
const F2: &str = "00000000000000000000000000000f02"; // member: Pending account linking, phone, account A2, 2025-02-01
const F3: &str = "00000000000000000000000000000f03"; // admin: Pending additional validation, no phone, 2025-03-01 12:00
const F4: &str = "00000000000000000000000000000f04"; // manager: Active, no phone
const F5: &str = "00000000000000000000000000000f05"; // outsider: Pending account linking, no phone
                                                     // On another provider's offering (no exposure config; active terms of service).
const F6: &str = "00000000000000000000000000000f06"; // outsider: Active, no phone
                                                     // On the provider's closed offering (explicit empty config; inactive terms of service).
const F7: &str = "00000000000000000000000000000f07"; // outsider: Active, no phone

const ACCOUNT_1: &str = "00000000000000000000000000000b01";
const ACCOUNT_2: &str = "00000000000000000000000000000b02";

const ALL: [&str; 7] = [F1, F2, F3, F4, F5, F6, F7];
/// What the owner sees: his provider's offering whose switch lets the provider manage users
/// (the closed offering's switch is off: docs/spec/offering-users.md §3.2).
const OWNERS: [&str; 5] = [F1, F2, F3, F4, F5];

async fn app() -> TestApp {
    use ids::*;
    let app = TestApp::with(&world_with(vec![
        offering_user(F1, USER, OFFERING, Some("user"), "OK"),
        offering_user(F2, MEMBER, OFFERING, Some("member"), "OK"),
        offering_user(F3, ADMIN, OFFERING, None, "Requested"),
        offering_user(F4, MANAGER, OFFERING, Some("manager"), "OK"),
        offering_user(F5, OUTSIDER, OFFERING, None, "Creating"),
        offering_user(F6, OUTSIDER, FOREIGN_OFFERING, Some("outsider"), "OK"),
        offering_user(F7, OUTSIDER, CLOSED_OFFERING, None, "Requested"),
    ]))
    .await;
    let statements = [
        "UPDATE offering_users SET runtime_state = 'Pending account linking' WHERE uuid IN \
         ('00000000000000000000000000000f02', '00000000000000000000000000000f05')",
        "UPDATE offering_users SET runtime_state = 'Pending additional validation' \
         WHERE uuid = '00000000000000000000000000000f03'",
        "UPDATE offering_users SET created = '2025-01-01T00:00:00Z', modified = '2025-01-01T00:00:00Z' \
         WHERE uuid = '00000000000000000000000000000f01'",
        "UPDATE offering_users SET created = '2025-02-01T00:00:00Z', modified = '2025-02-01T00:00:00Z' \
         WHERE uuid = '00000000000000000000000000000f02'",
        "UPDATE offering_users SET created = '2025-03-01T12:00:00Z', modified = '2025-03-01T12:00:00Z' \
         WHERE uuid = '00000000000000000000000000000f03'",
        "UPDATE users SET phone_number = '+372 5555 0000' WHERE username IN ('user', 'member')",
        "UPDATE offerings SET exposed_user_attributes = '{email,phone_number}' \
         WHERE uuid = '00000000000000000000000000000e01'",
        "UPDATE offerings SET exposed_user_attributes = '{}' WHERE uuid = '00000000000000000000000000000e03'",
        "INSERT INTO terms_of_service (uuid, offering_id, version, is_active) SELECT \
         '00000000000000000000000000000a92', id, '1', true FROM offerings \
         WHERE uuid = '00000000000000000000000000000e02'",
        "INSERT INTO terms_of_service (uuid, offering_id, version, is_active) SELECT \
         '00000000000000000000000000000a93', id, '1', false FROM offerings \
         WHERE uuid = '00000000000000000000000000000e03'",
        "INSERT INTO service_provider_accounts (uuid, user_id, customer_id, username) \
         SELECT '00000000000000000000000000000b01', u.id, c.id, 'acct-user' FROM users u, customers c \
         WHERE u.username = 'user' AND c.uuid = '00000000000000000000000000000c01'",
        "INSERT INTO service_provider_accounts (uuid, user_id, customer_id, username) \
         SELECT '00000000000000000000000000000b02', u.id, c.id, 'acct-member' FROM users u, customers c \
         WHERE u.username = 'member' AND c.uuid = '00000000000000000000000000000c01'",
        "UPDATE offering_users ou SET service_provider_account_id = a.id FROM service_provider_accounts a \
         WHERE a.user_id = ou.user_id AND ou.uuid IN \
         ('00000000000000000000000000000f01', '00000000000000000000000000000f02')",
    ];
    for statement in statements {
        sqlx::query(statement).execute(&app.db.pool).await.unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    app
}

/// The list of `query` for `token`, checked against `expected` (in any order), with its
/// `X-Result-Count` and the HEAD count equal to its length. Returns the uuids in list order.
async fn check(app: &TestApp, token: &str, query: &str, expected: &[&str]) -> Vec<String> {
    let path = format!("{LIST}?{query}&page_size=300");
    let reply = app.get(&path, token).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {:?}", String::from_utf8_lossy(&reply.bytes));
    let listed = reply.uuids();
    let mut sorted = listed.clone();
    sorted.sort();
    let mut wanted: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    wanted.sort();
    assert_eq!(sorted, wanted, "{token} {query}");
    let count = expected.len().to_string();
    assert_eq!(reply.header("x-result-count").as_deref(), Some(count.as_str()), "GET count: {token} {query}");
    let head = app.request(Method::HEAD, &path, Some(token), None).await;
    assert_eq!(head.status, StatusCode::OK, "{query}");
    assert_eq!(head.header("x-result-count").as_deref(), Some(count.as_str()), "HEAD count: {token} {query}");
    listed
}

/// `check` for staff, over everything and over each offering filter form that lets the
/// counters answer an unfiltered count; and for the owner over his offering.
async fn check_everywhere(app: &TestApp, query: &str, expected: &[&str]) {
    check(app, "staff-token", query, expected).await;
    let on_offering: Vec<&str> = expected.iter().copied().filter(|u| ![F6, F7].contains(u)).collect::<Vec<_>>();
    for offering_filter in [
        format!("offering_uuid={}", ids::OFFERING),
        format!("offering=http://testserver/api/marketplace-provider-offerings/{}/", ids::OFFERING),
        "offering_slug=cluster-a&is_restricted=false".to_owned(),
    ] {
        let both = format!("{offering_filter}&{query}");
        check(app, "staff-token", &both, &on_offering).await;
        check(app, "owner-token", &both, &on_offering).await;
    }
    let owners: Vec<&str> = expected.iter().copied().filter(|u| OWNERS.contains(u)).collect();
    check(app, "owner-token", &format!("provider_uuid={}&{query}", ids::PROVIDER), &owners).await;
}

#[tokio::test]
async fn without_new_filters_the_counters_and_the_list_agree() {
    let app = app().await;
    check_everywhere(&app, "", &ALL).await;
    check(&app, "owner-token", "", &OWNERS).await;
}

#[tokio::test]
async fn created_before_and_modified_before_are_inclusive_upper_bounds() {
    let app = app().await;
    check_everywhere(&app, "created_before=2025-02-01", &[F1, F2]).await;
    check_everywhere(&app, "created_before=2025-01-31T23:59:59Z", &[F1]).await;
    check_everywhere(&app, "modified_before=2025-03-01T12:00:00%2B00:00", &[F1, F2, F3]).await;
    check_everywhere(&app, "modified_before=2025-03-01T14:00:00%2B02:00", &[F1, F2, F3]).await;
    check_everywhere(&app, "modified_before=2025-03-01%2011:59:59.999999", &[F1, F2]).await;
    check_everywhere(&app, "created_before=2024-12-31", &[]).await;
    // With the lower bounds: a window.
    check_everywhere(&app, "created=2025-02-01&created_before=2025-03-01T12:00:00Z", &[F2, F3]).await;
    check_everywhere(&app, "modified=2025-01-02&modified_before=2025-02-01", &[F2]).await;
    // Empty values are no filter.
    check_everywhere(&app, "created_before=&modified_before=", &ALL).await;
}

#[tokio::test]
async fn runtime_state_takes_exact_labels_repeated_or_comma_separated() {
    let app = app().await;
    check_everywhere(&app, "runtime_state=Active", &[F1, F4, F6, F7]).await;
    check_everywhere(&app, "runtime_state=Pending+account+linking", &[F2, F5]).await;
    check_everywhere(&app, "runtime_state=Pending%20additional%20validation", &[F3]).await;
    let union = [F1, F2, F4, F5, F6, F7];
    check_everywhere(&app, "runtime_state=Active&runtime_state=Pending+account+linking", &union).await;
    check_everywhere(&app, "runtime_state=Active,Pending+account+linking", &union).await;
    check_everywhere(&app, "runtime_state=", &ALL).await;
    // With the lifecycle state: independent dimensions, ANDed.
    check_everywhere(&app, "runtime_state=Pending+account+linking&state=OK", &[F2]).await;
}

#[tokio::test]
async fn has_complete_profile_looks_only_at_explicit_exposure_configs() {
    let app = app().await;
    // F3–F5 lack the phone number their offering's config exposes; F6's offering has no
    // explicit config and F7's exposes nothing, so neither is ever incomplete (§4.5).
    check_everywhere(&app, "has_complete_profile=true", &[F1, F2, F6, F7]).await;
    check_everywhere(&app, "has_complete_profile=1", &[F1, F2, F6, F7]).await;
    check_everywhere(&app, "has_complete_profile=false", &[F3, F4, F5]).await;
    check_everywhere(&app, "has_complete_profile=FALSE", &[F3, F4, F5]).await;
    check_everywhere(&app, "has_complete_profile=maybe", &ALL).await;

    // An empty email counts as missing too; a full name with one part is not missing.
    sqlx::query("UPDATE users SET email = '', last_name = '' WHERE username = 'user'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    check_everywhere(&app, "has_complete_profile=true", &[F2, F6, F7]).await;
    // Exposure of full_name only: a first name alone is enough.
    sqlx::query("UPDATE offerings SET exposed_user_attributes = '{full_name}' WHERE slug = 'cluster-a'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    check_everywhere(&app, "has_complete_profile=false", &[]).await;
    sqlx::query("UPDATE users SET first_name = '' WHERE username = 'user'").execute(&app.db.pool).await.unwrap();
    check_everywhere(&app, "has_complete_profile=false", &[F1]).await;
}

#[tokio::test]
async fn offering_has_active_tos_follows_the_offerings_terms() {
    let app = app().await;
    check(&app, "staff-token", "offering_has_active_tos=true", &[F6]).await;
    check(&app, "staff-token", "offering_has_active_tos=0", &[F1, F2, F3, F4, F5, F7]).await;
    check(&app, "staff-token", "offering_has_active_tos=nope", &ALL).await;
    check_everywhere(&app, "offering_has_active_tos=true", &[F6]).await;
    check_everywhere(&app, "offering_has_active_tos=false", &[F1, F2, F3, F4, F5, F7]).await;
    // Terms activated on the closed offering: its record moves over.
    sqlx::query("UPDATE terms_of_service SET is_active = true WHERE uuid = '00000000000000000000000000000a93'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    check(&app, "staff-token", "offering_has_active_tos=true", &[F6, F7]).await;
    // The owner sees neither (another provider's offering; a closed offering).
    check(&app, "owner-token", "offering_has_active_tos=true", &[]).await;
}

#[tokio::test]
async fn provider_backed_records_and_their_accounts() {
    let app = app().await;
    check_everywhere(&app, "is_provider_backed=true", &[F1, F2]).await;
    check_everywhere(&app, "is_provider_backed=false", &[F3, F4, F5, F6, F7]).await;
    check_everywhere(&app, "is_provider_backed=on", &ALL).await;
    check_everywhere(&app, &format!("service_provider_account_uuid={ACCOUNT_1}"), &[F1]).await;
    check_everywhere(&app, &format!("service_provider_account_uuid={ACCOUNT_2}&is_provider_backed=true"), &[F2]).await;
    check_everywhere(&app, &format!("service_provider_account_uuid={ACCOUNT_2}&is_provider_backed=false"), &[]).await;
    // Any uuid form, or a URL whose last path segment is the uuid.
    for form in [
        "00000000-0000-0000-0000-000000000B01".to_owned(),
        format!("http://testserver/api/marketplace-service-provider-accounts/{ACCOUNT_1}/"),
        format!("/api/marketplace-service-provider-accounts/{ACCOUNT_1}"),
    ] {
        check_everywhere(&app, &format!("service_provider_account_uuid={form}"), &[F1]).await;
    }
    // A uuid of no account matches nothing; an empty value is no filter.
    check_everywhere(&app, "service_provider_account_uuid=00000000000000000000000000000b99", &[]).await;
    check_everywhere(&app, "service_provider_account_uuid=", &ALL).await;
}

#[tokio::test]
async fn new_filters_combine_with_each_other_and_the_baseline() {
    let app = app().await;
    check_everywhere(&app, "runtime_state=Active&has_complete_profile=true&is_provider_backed=true", &[F1]).await;
    check_everywhere(&app, "runtime_state=Active&has_complete_profile=false", &[F4]).await;
    check_everywhere(&app, "created_before=2025-02-01&runtime_state=Pending+account+linking", &[F2]).await;
    check_everywhere(&app, &format!("user_uuid={}&offering_has_active_tos=false", ids::OUTSIDER), &[F5, F7]).await;
    check_everywhere(&app, "username=member&is_provider_backed=true", &[F2]).await;
    check_everywhere(&app, "query=out&runtime_state=Active", &[F6, F7]).await;
    check_everywhere(&app, "has_consent=false&has_complete_profile=true&state=OK", &[F1, F2, F6]).await;
}

#[tokio::test]
async fn username_is_exact_and_case_sensitive() {
    let app = app().await;
    check_everywhere(&app, "username=member", &[F2]).await;
    check_everywhere(&app, "username=Member", &[]).await;
    check_everywhere(&app, "username=membe", &[]).await;
    check_everywhere(&app, "username=", &ALL).await;
}

#[tokio::test]
async fn invalid_values_are_400_for_the_list_and_the_count_and_unknown_ones_are_ignored() {
    let app = app().await;
    let cases = [
        ("created_before=yesterday", json!({"created_before": ["Enter a valid date/time."]})),
        ("modified_before=2025-13-01", json!({"modified_before": ["Enter a valid date/time."]})),
        (
            "runtime_state=active",
            json!({"runtime_state": ["Select a valid choice. active is not one of the available choices."]}),
        ),
        (
            "runtime_state=Active,Deleted",
            json!({"runtime_state": ["Select a valid choice. Deleted is not one of the available choices."]}),
        ),
        ("service_provider_account_uuid=12345", json!({"service_provider_account_uuid": ["Enter a valid UUID."]})),
        (
            "service_provider_account_uuid=http://testserver/api/x/not-a-uuid/",
            json!({"service_provider_account_uuid": ["Enter a valid UUID."]}),
        ),
        (
            "created_before=x&runtime_state=OK&service_provider_account_uuid=x&created=x",
            json!({
                "created": ["Enter a valid date/time."],
                "created_before": ["Enter a valid date/time."],
                "runtime_state": ["Select a valid choice. OK is not one of the available choices."],
                "service_provider_account_uuid": ["Enter a valid UUID."],
            }),
        ),
    ];
    for (query, expected) in cases {
        let reply = app.get(&format!("{LIST}?{query}"), "staff-token").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(reply.json(), expected, "{query}");
        let head = app.request(Method::HEAD, &format!("{LIST}?{query}"), Some("owner-token"), None).await;
        assert_eq!(head.status, StatusCode::BAD_REQUEST, "HEAD {query}");
    }
    check_everywhere(&app, "created_after=2030-01-01&runtime=Active&is_profile_complete=false", &ALL).await;
}

#[tokio::test]
async fn uuid_filters_take_a_url_whose_last_segment_is_the_uuid() {
    let mut doc = world();
    doc["offerings"][1]["parent"] = json!(ids::OFFERING);
    doc["offering_users"] = json!([
        offering_user(F1, ids::USER, ids::OFFERING, Some("user"), "OK"),
        offering_user(F6, ids::OUTSIDER, ids::FOREIGN_OFFERING, Some("outsider"), "OK"),
    ]);
    let app = TestApp::with(&doc).await;
    let url = |route: &str, uuid: &str| format!("http://testserver/api/{route}/{uuid}/");
    let cases = [
        ("user_uuid", url("users", ids::OUTSIDER), F6),
        ("provider_uuid", url("customers", ids::OTHER_PROVIDER), F6),
        ("parent_offering_uuid", url("marketplace-provider-offerings", ids::OFFERING), F6),
        ("offering_uuid", url("marketplace-provider-offerings", ids::OFFERING), F1),
        ("offering_uuid", format!("/api/marketplace-public-offerings/{}", ids::FOREIGN_OFFERING), F6),
    ];
    for (key, value, expected) in cases {
        check(&app, "staff-token", &format!("{key}={value}"), &[expected]).await;
    }
    let both = format!(
        "offering_uuid={},{}",
        url("marketplace-provider-offerings", ids::OFFERING),
        "00000000-0000-0000-0000-000000000e02"
    );
    check(&app, "staff-token", &both, &[F1, F6]).await;
}

#[tokio::test]
async fn o_orders_by_the_users_first_and_last_names() {
    let app = app().await;
    sqlx::query(
        "UPDATE users SET last_name = CASE username WHEN 'user' THEN 'Adams' WHEN 'member' THEN 'Brown' \
         WHEN 'admin' THEN 'Clark' WHEN 'manager' THEN 'Davis' ELSE 'Evans' END",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    let on_offering = format!("offering_uuid={}", ids::OFFERING);
    // First names: Admin, Manager, Member, Outsider, User.
    let by_first = check(&app, "staff-token", &format!("{on_offering}&o=user_first_name"), &[F1, F2, F3, F4, F5]).await;
    assert_eq!(by_first, [F3, F4, F2, F5, F1]);
    let by_first_desc =
        check(&app, "staff-token", &format!("{on_offering}&o=-user_first_name"), &[F1, F2, F3, F4, F5]).await;
    assert_eq!(by_first_desc, [F1, F5, F2, F4, F3]);
    let by_last = check(&app, "staff-token", &format!("{on_offering}&o=user_last_name"), &[F1, F2, F3, F4, F5]).await;
    assert_eq!(by_last, [F1, F2, F3, F4, F5]);
    let by_last_desc =
        check(&app, "staff-token", &format!("{on_offering}&o=-user_last_name"), &[F1, F2, F3, F4, F5]).await;
    assert_eq!(by_last_desc, [F5, F4, F3, F2, F1]);
    // Ties (the outsider's three records) fall back to username NULLS LAST, created, uuid.
    let outsider = check(&app, "staff-token", "o=-user_last_name", &ALL).await;
    assert_eq!(outsider[..3], [F6, F5, F7]);
    let bad = app.get(&format!("{LIST}?o=user_full_name"), "staff-token").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.json(),
        json!({"o": ["Select a valid choice. user_full_name is not one of the available choices."]})
    );
}
