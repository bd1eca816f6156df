//! The 36 fields of the 2026 contract (docs/spec/offering-users-2026.md §4): their order and
//! defaults, the exposure gating per record's offering (with the decisions-2 deviation),
//! `consent_data`, the provider account, the POSIX projection from `backend_metadata`, `field`
//! selection, and the statements a page costs with all of them.

use axum::http::StatusCode;
use serde_json::{json, Value};
use waldur_offering_users::http::Settings;

use crate::support::*;

const MINE: &str = "00000000000000000000000000000f01";
const FOREIGN: &str = "00000000000000000000000000000f02";
const ACCOUNT: &str = "00000000000000000000000000000b01";

/// The member's record on the provider's offering and the outsider's on the other one.
fn doc() -> Value {
    world_with(vec![
        offering_user(MINE, ids::MEMBER, ids::OFFERING, Some("member1"), "OK"),
        offering_user(FOREIGN, ids::OUTSIDER, ids::FOREIGN_OFFERING, Some("out1"), "OK"),
    ])
}

/// `doc()` with the member's profile filled, and the provider's offering exposing `exposed`.
fn exposing(exposed: Value) -> Value {
    let mut doc = doc();
    doc["offerings"][0]["exposed_user_attributes"] = exposed;
    let member = doc["users"].as_array_mut().unwrap().iter_mut().find(|u| u["uuid"] == ids::MEMBER).unwrap();
    let profile = json!({
        "phone_number": "+372 5555 0101", "job_title": "", "affiliations": ["member@uni.example"],
        "gender": "female", "birth_date": "1990-02-28", "uid_number": 100042, "civil_number": null,
        "nationalities": [], "organization_vat_code": "EE100", "active_isds": ["isd:a"]
    });
    member.as_object_mut().unwrap().extend(profile.as_object().unwrap().clone());
    doc
}

fn keys(object: &Value) -> Vec<String> {
    object.as_object().unwrap().keys().cloned().collect()
}

fn record<'a>(list: &'a Value, uuid: &str) -> &'a Value {
    list.as_array().unwrap().iter().find(|o| o["uuid"] == uuid).unwrap()
}

#[tokio::test]
async fn new_fields_have_their_defaults_and_the_default_exposure_shows_names_only() {
    let app = TestApp::with(&doc()).await;
    let body = app.get(&detail(MINE), "staff-token").await.json();
    let expected = json!({
        "user_first_name": "Member", "user_last_name": "Tester", "runtime_state": "Active",
        "service_provider_account_uuid": null, "service_provider_account_username": null,
        "offering_has_active_tos": false, "consent_data": null, "is_profile_complete": true,
        "missing_profile_attributes": [], "uidnumber": null, "primarygroup": null,
        "login_shell": null, "home_directory": null,
    });
    for (key, value) in expected.as_object().unwrap() {
        assert_eq!(&body[key], value, "{key}");
    }
    // The default exposure (username, full_name, email) hides the 23 other `user_*` keys.
    for hidden in ["user_phone_number", "user_gender", "user_birth_date", "user_active_isds", "user_primary_gid"] {
        assert!(body.get(hidden).is_none(), "{hidden}");
    }
    let keys = keys(&body);
    let state = keys.iter().position(|k| k == "state").unwrap();
    assert_eq!(keys[state + 1], "runtime_state");
    assert_eq!(keys.len(), 35);
}

#[tokio::test]
async fn an_explicit_exposure_shows_its_keys_on_its_offerings_records_only() {
    let app = TestApp::with(&exposing(json!([
        "phone_number",
        "job_title",
        "affiliations",
        "gender",
        "birth_date",
        "uid_number",
        "civil_number",
        "nationalities",
        "organization_vat_code"
    ])))
    .await;
    let list = app.get(LIST, "staff-token").await.json();
    let mine = record(&list, MINE);
    assert_eq!(mine["user_phone_number"], "+372 5555 0101");
    // Unset values are "" and [], never null; null only where the type says so.
    assert_eq!(mine["user_job_title"], "");
    assert_eq!(mine["user_nationalities"], json!([]));
    assert_eq!(mine["user_affiliations"], json!(["member@uni.example"]));
    assert_eq!(mine["user_gender"], "female");
    assert_eq!(mine["user_birth_date"], "1990-02-28");
    assert_eq!(mine["user_uid_number"], 100042);
    assert_eq!(mine["user_civil_number"], Value::Null);
    assert_eq!(mine["user_organization_vat_code"], "EE100");
    // Not exposed by this config: absent, not null; full_name's parts go with it …
    for hidden in ["user_first_name", "user_last_name", "user_active_isds", "user_primary_gid", "user_address"] {
        assert!(mine.get(hidden).is_none(), "{hidden}");
    }
    // … but the three baseline keys stay, with their real values (docs/spec/decisions.md item 2).
    assert_eq!(
        (&mine["user_username"], &mine["user_full_name"], &mine["user_email"]),
        (&json!("member"), &json!("Member Tester"), &json!("member@example.org"))
    );
    // The other offering has no config: the default exposure, whoever asks.
    let foreign = record(&list, FOREIGN);
    assert_eq!(foreign["user_first_name"], "Outsider");
    assert!(foreign.get("user_phone_number").is_none());
    // The user himself gets the same gating as anyone.
    let own = app.get(&detail(MINE), "member-token").await.json();
    assert_eq!(keys(&own), keys(mine));
}

#[tokio::test]
async fn an_empty_explicit_exposure_hides_every_gated_key() {
    let app = TestApp::with(&exposing(json!([]))).await;
    let body = app.get(&detail(MINE), "staff-token").await.json();
    let user_keys: Vec<String> = keys(&body).into_iter().filter(|k| k.starts_with("user_")).collect();
    assert_eq!(user_keys, ["user_uuid", "user_username", "user_full_name", "user_email"]);
    assert_eq!(body["missing_profile_attributes"], json!([]));
}

#[tokio::test]
async fn the_default_exposure_comes_from_the_setting() {
    let settings =
        Settings { default_user_attributes: vec!["username", "phone_number", "active_isds"], ..Settings::default() };
    let app = TestApp::with_settings(settings).await;
    app.import(&exposing(Value::Null)).await;
    let body = app.get(&detail(MINE), "staff-token").await.json();
    assert_eq!(body["user_phone_number"], "+372 5555 0101");
    assert_eq!(body["user_active_isds"], json!(["isd:a"]));
    assert!(body.get("user_first_name").is_none());
    // The outsider has no phone number: missing under the default exposure, in its order.
    let other = app.get(&detail(FOREIGN), "staff-token").await.json();
    assert_eq!(other["missing_profile_attributes"], json!(["phone_number", "active_isds"]));
    assert_eq!(other["is_profile_complete"], false);
}

/// `doc()` with active terms on the provider's offering and consents of the member (and, on
/// the other offering, terms without consent).
fn with_consent(revoked: bool) -> Value {
    let mut doc = doc();
    doc["terms_of_service"] = json!([
        {"uuid": "000000000000000000000000000000e1", "offering": ids::OFFERING, "version": "3", "is_active": true},
        {"uuid": "000000000000000000000000000000e2", "offering": ids::FOREIGN_OFFERING, "version": "1", "is_active": true}
    ]);
    doc["consents"] = json!([{
        "uuid": "000000000000000000000000000000c1", "user": ids::MEMBER, "offering": ids::OFFERING, "version": "2",
        "agreement_date": "2026-01-02T10:00:00.123456Z",
        "revocation_date": if revoked { json!("2026-02-01T00:00:00Z") } else { Value::Null }
    }]);
    doc
}

#[tokio::test]
async fn consent_data_shows_any_consent_under_active_terms_with_python_isoformat() {
    let app = TestApp::with(&with_consent(false)).await;
    let body = app.get(&detail(MINE), "staff-token").await.json();
    assert_eq!(
        body["consent_data"],
        json!({"uuid": "000000000000000000000000000000c1", "version": "2",
               "agreement_date": "2026-01-02T10:00:00.123456+00:00"})
    );
    assert_eq!(body["offering_has_active_tos"], true);
    assert_eq!((&body["has_consent"], &body["requires_reconsent"]), (&json!(true), &json!(false)));
    // Active terms, no consent: null.
    let other = app.get(&detail(FOREIGN), "staff-token").await.json();
    assert_eq!((&other["consent_data"], &other["offering_has_active_tos"]), (&Value::Null, &json!(true)));

    // A revoked consent still shows (upstream reads any consent row), while has_consent is false.
    let revoked = TestApp::with(&with_consent(true)).await;
    let body = revoked.get(&detail(MINE), "staff-token").await.json();
    assert_eq!(body["consent_data"]["uuid"], "000000000000000000000000000000c1");
    assert_eq!(body["has_consent"], false);

    // Without active terms, no consent data; the consent itself is still stored.
    let mut inactive = with_consent(false);
    inactive["terms_of_service"][0]["is_active"] = json!(false);
    let app = TestApp::with(&inactive).await;
    let body = app.get(&detail(MINE), "staff-token").await.json();
    assert_eq!((&body["consent_data"], &body["offering_has_active_tos"]), (&Value::Null, &json!(false)));
}

#[tokio::test]
async fn consent_data_is_null_when_consent_is_not_enforced() {
    let app = TestApp::with_settings(Settings { enforce_user_consent: false, ..Settings::default() }).await;
    let mut doc = with_consent(false);
    doc["consents"][0]["agreement_date"] = json!("2026-01-02T10:00:00Z");
    app.import(&doc).await;
    let body = app.get(&detail(MINE), "staff-token").await.json();
    assert_eq!(body["consent_data"], Value::Null);
    assert_eq!(body["offering_has_active_tos"], true);
    let on = TestApp::with(&doc).await;
    assert_eq!(
        on.get(&detail(MINE), "staff-token").await.json()["consent_data"]["agreement_date"],
        "2026-01-02T10:00:00+00:00"
    );
}

#[tokio::test]
async fn a_record_backed_by_a_provider_account_names_it() {
    let mut doc = doc();
    doc["service_provider_accounts"] =
        json!([{"uuid": ACCOUNT, "user": ids::MEMBER, "customer": ids::PROVIDER, "username": "mtester"}]);
    doc["offering_users"][0]["service_provider_account"] = json!(ACCOUNT);
    let app = TestApp::with(&doc).await;
    let list = app.get(LIST, "staff-token").await.json();
    let mine = record(&list, MINE);
    assert_eq!(
        (&mine["service_provider_account_uuid"], &mine["service_provider_account_username"]),
        (&json!(ACCOUNT), &json!("mtester"))
    );
    let foreign = record(&list, FOREIGN);
    assert_eq!(
        (&foreign["service_provider_account_uuid"], &foreign["service_provider_account_username"]),
        (&Value::Null, &Value::Null)
    );
}

#[tokio::test]
async fn the_posix_fields_project_backend_metadata_and_null_what_is_not_of_their_type() {
    let app = TestApp::with(&doc()).await;
    let set = |uuid: &'static str, metadata: Value| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query("UPDATE offering_users SET backend_metadata = $2 WHERE uuid = $1::uuid")
                .bind(uuid)
                .bind(metadata)
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    set(
        MINE,
        json!({"uidnumber": 100042, "primarygroup": 200042, "loginShell": "/bin/zsh", "homeDir": "/home/member1"}),
    )
    .await;
    set(FOREIGN, json!({"uidnumber": "100043", "primarygroup": 1.5, "loginShell": 7, "homeDir": null, "other": 1}))
        .await;
    let list = app.get(LIST, "staff-token").await.json();
    let project = |uuid: &str| {
        let r = record(&list, uuid);
        json!([r["uidnumber"], r["primarygroup"], r["login_shell"], r["home_directory"]])
    };
    assert_eq!(project(MINE), json!([100042, 200042, "/bin/zsh", "/home/member1"]));
    assert_eq!(project(FOREIGN), json!([null, null, null, null]));
}

#[tokio::test]
async fn field_selects_new_names_and_gating_applies_after_it() {
    let app = TestApp::with(&exposing(json!(["phone_number"]))).await;
    let path = format!(
        "{}?field=home_directory,runtime_state&field=user_phone_number&field=user_gender&field=missing_profile_attributes",
        detail(MINE)
    );
    let body = app.get(&path, "staff-token").await.json();
    // Serializer order, and user_gender selected but not exposed: absent.
    assert_eq!(keys(&body), ["user_phone_number", "runtime_state", "missing_profile_attributes", "home_directory"]);
    let list = app.get(&format!("{LIST}?field=consent_data&field=uuid"), "staff-token").await.json();
    assert_eq!(keys(&list[0]), ["uuid", "consent_data"]);
}

#[tokio::test]
async fn create_and_update_answer_with_the_new_fields() {
    let app = TestApp::with(&exposing(json!(["job_title", "full_name"]))).await;
    let created = app.post(LIST, "owner-token", json!({"offering_uuid": ids::OFFERING, "user_uuid": ids::ADMIN})).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let body = created.json();
    assert_eq!((&body["runtime_state"], &body["user_job_title"]), (&json!("Active"), &json!("")));
    assert_eq!(body["missing_profile_attributes"], json!(["job_title"]));
    let patched = app.patch(&detail(MINE), "owner-token", json!({"username": "member2"})).await.json();
    assert_eq!((&patched["user_first_name"], &patched["is_profile_complete"]), (&json!("Member"), &json!(false)));
    assert!(patched.get("user_phone_number").is_none());
}

#[tokio::test]
async fn a_page_with_every_new_field_costs_the_same_statements_whatever_its_size() {
    let mut doc = exposing(json!(["email", "phone_number", "affiliations"]));
    let extra: Vec<Value> = (0..6)
        .map(|i| {
            let uuid = format!("00000000000000000000000000001{i:03x}");
            let user = format!("00000000000000000000000000002{i:03x}");
            doc["users"].as_array_mut().unwrap().push(json!({"uuid": user, "username": format!("u{i}")}));
            offering_user(&uuid, &user, ids::OFFERING, Some(&format!("name{i}")), "OK")
        })
        .collect();
    doc["offering_users"].as_array_mut().unwrap().extend(extra);
    doc["service_provider_accounts"] =
        json!([{"uuid": ACCOUNT, "user": ids::MEMBER, "customer": ids::PROVIDER, "username": "mtester"}]);
    doc["offering_users"][0]["service_provider_account"] = json!(ACCOUNT);
    let consents = with_consent(false);
    doc["terms_of_service"] = consents["terms_of_service"].clone();
    doc["consents"] = consents["consents"].clone();
    let app = TestApp::with(&doc).await;

    for gate in [false, true] {
        let settings = Settings { enforce_profile_completeness: gate, ..Settings::default() };
        let (single, pool) = single_connection(&app, settings).await;
        let mut costs = Vec::new();
        for size in [1, 7] {
            for path in [
                format!("{LIST}?offering_uuid={}&page_size={size}", ids::OFFERING),
                format!("{LIST}?page_size={size}"),
                // The member's record: the only one the consent gate leaves the owner.
                format!("{LIST}?query=member1&page_size={size}"),
            ] {
                costs.push(statements_of(&single, &pool, &path).await);
            }
        }
        // As without the new fields: the owner's offering counted (from the counters, or from the
        // rows while the gate narrows), then the page; all his rows counted, then the page; a
        // search's page and count in one statement.
        assert_eq!(costs, [3, 3, 2, 3, 3, 2], "gate {gate}: counted, all, search for sizes 1 and 7");
    }
}

/// A router over one connection of `app`'s database, with `settings`.
async fn single_connection(app: &TestApp, settings: Settings) -> (TestApp, sqlx::PgPool) {
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect_with(app.db.options()).await.unwrap();
    let state = waldur_offering_users::AppState::new(pool.clone(), settings);
    let router = waldur_offering_users::app(state.clone());
    let single = TestApp { db: TestDatabase::attach(&app.db), router, state };
    assert_eq!(single.get(LIST, "owner-token").await.status, StatusCode::OK);
    (single, pool)
}

/// The statements one GET of `path` by the owner runs (each autocommit statement is one
/// committed transaction; see `list::a_page_costs_three_statements_whatever_its_size_and_a_search_two`).
async fn statements_of(single: &TestApp, pool: &sqlx::PgPool, path: &str) -> i64 {
    assert_eq!(single.get(path, "owner-token").await.status, StatusCode::OK, "{path}");
    committed(pool).await;
    let before = committed(pool).await;
    let reply = single.get(path, "owner-token").await;
    assert_eq!(reply.status, StatusCode::OK, "{path}");
    committed(pool).await - before - 3
}

async fn committed(pool: &sqlx::PgPool) -> i64 {
    sqlx::query("SELECT pg_stat_force_next_flush()").execute(pool).await.unwrap();
    sqlx::query("SELECT pg_stat_clear_snapshot()").execute(pool).await.unwrap();
    sqlx::query_scalar("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[test]
fn an_unknown_default_attribute_stops_the_server_naming_it() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_waldur-offering-users"))
        .arg("serve")
        .env("DEFAULT_OFFERING_USER_ATTRIBUTES", "username,first_name,shoe_size")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown user attribute \"shoe_size\""), "{stderr}");
}
