//! The POSIX keys of the directory (docs/spec/offering-users-2026.md §9; docs/spec/decisions.md
//! item 32): pools and groups upserted by uuid, the ledger derived with its errors naming the
//! JSON path, and the POSIX attributes of existing offering users kept as the API left them.

use axum::http::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;
use waldur_offering_users::directory::{self, ImportError, ImportOptions, ImportSummary, Kind};
use waldur_offering_users::store::audit::events_of;

use crate::support::posix_ids::*;
use crate::support::*;

async fn import_with(app: &TestApp, doc: &Value, options: ImportOptions) -> Result<ImportSummary, ImportError> {
    let parsed = directory::parse(&doc.to_string()).expect("parses");
    directory::import_with(&app.db.pool, &parsed, options, &mut |_| {}).await
}

/// The error of an import that must fail: (path, message).
async fn refusal(app: &TestApp, doc: &Value) -> (String, String) {
    match import_with(app, doc, ImportOptions::default()).await {
        Err(ImportError::Invalid { path, message }) => (path, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn metadata_of(app: &TestApp, uuid: &str) -> Value {
    sqlx::query_scalar("SELECT backend_metadata FROM offering_users WHERE uuid = $1::uuid")
        .bind(uuid)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db.pool).await.unwrap()
}

const OVERWRITE: ImportOptions = ImportOptions { dry_run: false, overwrite_offering_users: true };

#[tokio::test]
async fn pools_groups_and_the_ledger_are_imported_once() {
    let app = TestApp::new().await;
    let summary = import_with(&app, &posix_world(), ImportOptions::default()).await.unwrap();
    assert_eq!(summary.of(Kind::PosixIdPools), (2, 0));
    assert_eq!(summary.of(Kind::PosixGroups), (4, 0));
    assert_eq!(count(&app, "SELECT count(*) FROM posix_group_projects").await, 3);
    // member's uid and gid, and the two tracked group GIDs (7000, 70001); 90000 is untracked.
    assert_eq!(count(&app, "SELECT count(*) FROM posix_identities WHERE released_at IS NULL").await, 3);
    assert_eq!(
        metadata_of(&app, MEMBER_A).await,
        json!({"uidnumber": 1500, "primarygroup": 1500, "homeDir": "/home/member"})
    );
    // Pools take next_* from min_* when not given.
    let next: Option<i64> = sqlx::query_scalar("SELECT next_uid FROM posix_id_pools WHERE uuid = $1::uuid")
        .bind(PROVIDER_POOL)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(next, Some(1000));

    let again = import_with(&app, &posix_world(), ImportOptions::default()).await.unwrap();
    assert_eq!(again.of(Kind::PosixIdPools), (0, 0));
    assert_eq!(again.unchanged_of(Kind::PosixIdPools), 2);
    assert_eq!(again.of(Kind::PosixGroups), (0, 0));
    assert_eq!(count(&app, "SELECT count(*) FROM posix_identities").await, 3);
}

#[tokio::test]
async fn a_changed_group_is_updated_and_its_old_gid_released() {
    let app = TestApp::with(&posix_world()).await;
    let mut doc = posix_world();
    doc["posix_groups"][0]["gid"] = json!(7001);
    doc["posix_groups"][0]["projects"] = json!([]);
    let refused = refusal(&app, &doc).await;
    assert_eq!(refused, ("posix_groups[0].projects".into(), "a project_group needs at least one project".into()));
    doc["posix_groups"][0]["projects"] = json!([ids::PROJECT]);
    let summary = import_with(&app, &doc, ImportOptions::default()).await.unwrap();
    assert_eq!(summary.of(Kind::PosixGroups), (0, 1));
    let held: Vec<i64> = sqlx::query_scalar(
        "SELECT i.gid FROM posix_identities i JOIN posix_groups g ON g.id = i.group_id \
         WHERE g.uuid = $1::uuid AND i.released_at IS NULL",
    )
    .bind(PROJECT_GROUP)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(held, vec![7001]);
}

#[tokio::test]
async fn ledger_conflicts_name_the_json_path() {
    let app = TestApp::new().await;
    let user = Uuid::parse_str(ids::USER).unwrap().simple().to_string();
    let member = Uuid::parse_str(ids::MEMBER).unwrap().simple().to_string();

    // user (entry 0) takes the uid member (entry 4) wants: the later entry is refused.
    let mut doc = posix_world();
    doc["offering_users"][0]["uidnumber"] = json!(1500);
    let (path, message) = refusal(&app, &doc).await;
    assert_eq!(path, "offering_users[4].uidnumber");
    assert_eq!(message, format!("1500 is already held by user {user} in pool {PROVIDER_POOL}"));

    // One user with two UIDs in one pool (OFFERING and OFFERING_C resolve to it).
    let mut doc = posix_world();
    doc["offering_users"][0]["uidnumber"] = json!(2000);
    doc["offering_users"][1]["uidnumber"] = json!(2001);
    let (path, message) = refusal(&app, &doc).await;
    assert_eq!(path, "offering_users[1].uidnumber");
    assert_eq!(message, format!("user {user} has two different values in pool {PROVIDER_POOL}: 2000 and 2001"));

    // A primary GID that a group holds.
    let mut doc = posix_world();
    doc["offering_users"][0]["primarygroup"] = json!(7000);
    let (path, message) = refusal(&app, &doc).await;
    assert_eq!(path, "posix_groups[0].gid");
    assert_eq!(message, format!("7000 is already held by user {user} in pool {PROVIDER_POOL}"));
    assert_eq!(count(&app, "SELECT count(*) FROM posix_id_pools").await, 0, "nothing written");

    // Against what is stored: the API gives user 2000, a new entry of admin wants it.
    let app = TestApp::with(&posix_world()).await;
    let pinned = app.post(&action(USER_A, "set_posix_attributes"), "owner-token", json!({"uidnumber": 2000})).await;
    assert_eq!(pinned.status, StatusCode::OK);
    let mut doc = world();
    let mut admin = offering_user("00000000000000000000000000000f31", ids::ADMIN, OFFERING_C, Some("admin"), "OK");
    admin["uidnumber"] = json!(2000);
    doc["offering_users"] = json!([admin]);
    doc["offerings"] = posix_world()["offerings"].clone();
    let stored = refusal(&app, &doc).await;
    assert_eq!(
        stored,
        ("offering_users[0].uidnumber".into(), format!("2000 is already held by user {user} in pool {PROVIDER_POOL}"))
    );
    let _ = member;

    // Values outside every range, or of an offering without a pool, are stored untracked.
    let app = TestApp::new().await;
    let mut doc = posix_world();
    doc["offering_users"][6]["uidnumber"] = json!(1500);
    doc["offering_users"][0]["primarygroup"] = json!(99999);
    import_with(&app, &doc, ImportOptions::default()).await.unwrap();
    assert_eq!(metadata_of(&app, USER_A).await, json!({"primarygroup": 99999}));
    assert_eq!(count(&app, "SELECT count(*) FROM posix_identities WHERE released_at IS NULL").await, 3);
}

#[tokio::test]
async fn pools_and_groups_that_clash_are_refused() {
    let app = TestApp::with(&posix_world()).await;
    let mut doc = posix_world();
    doc["posix_id_pools"][1]["min_uid"] = json!(5000);
    doc["posix_id_pools"][1]["max_uid"] = json!(5999);
    let (path, message) = refusal(&app, &doc).await;
    assert_eq!(path, "posix_id_pools[0]");
    assert_eq!(
        message,
        format!("a range overlaps a range of the same namespace of pool {OVERRIDE_POOL} of the same provider")
    );

    let mut doc = posix_world();
    doc["posix_id_pools"][1]["uuid"] = json!("00000000000000000000000000000b03");
    let (path, message) = refusal(&app, &doc).await;
    assert_eq!((path.as_str(), message.as_str()), ("posix_id_pools[1].scope", "another pool already has this scope"));

    let mut doc = posix_world();
    doc["posix_groups"][1]["uuid"] = json!("00000000000000000000000000000b19");
    let (path, message) = refusal(&app, &doc).await;
    assert_eq!(
        (path.as_str(), message.as_str()),
        ("posix_groups[1].name", "another group of the customer has this name")
    );

    let mut doc = posix_world();
    doc["posix_id_pools"][0]["scope"] = json!({"customer": "00000000000000000000000000000c99"});
    let (path, _) = refusal(&app, &doc).await;
    assert_eq!(path, "posix_id_pools[0].scope.customer");
}

/// `posix_world()` with user's account on OFFERING_D (its own pool) given a UID and a home.
fn with_user_d_values() -> Value {
    let mut doc = posix_world();
    doc["offering_users"][2]["uidnumber"] = json!(150);
    doc["offering_users"][2]["home_directory"] = json!("/home/user");
    doc
}

#[tokio::test]
async fn reimport_keeps_the_posix_attributes_the_api_set() {
    let app = TestApp::with(&with_user_d_values()).await;
    let set = app
        .post(
            &action(USER_D, "set_posix_attributes"),
            "owner-token",
            json!({"uidnumber": 160, "login_shell": "/bin/zsh"}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.json());
    let after_api = json!({"uidnumber": 160, "homeDir": "/home/user", "loginShell": "/bin/zsh"});

    let summary = import_with(&app, &with_user_d_values(), ImportOptions::default()).await.unwrap();
    assert_eq!(summary.posix_left_alone, 1);
    assert!(summary.to_string().contains("1 left alone (set through the API"), "{summary}");
    assert_eq!(metadata_of(&app, USER_D).await, after_api);

    let dry = ImportOptions { dry_run: true, overwrite_offering_users: true };
    let dry = import_with(&app, &with_user_d_values(), dry).await.unwrap();
    assert_eq!(dry.of(Kind::PosixAttributes), (0, 1));
    assert_eq!(metadata_of(&app, USER_D).await, after_api);

    let overwritten = import_with(&app, &with_user_d_values(), OVERWRITE).await.unwrap();
    assert_eq!(overwritten.of(Kind::PosixAttributes), (0, 1));
    assert_eq!(
        metadata_of(&app, USER_D).await,
        json!({"uidnumber": 150, "homeDir": "/home/user", "loginShell": "/bin/zsh"})
    );
    let events = events_of(&app.db.pool, Uuid::parse_str(USER_D).unwrap()).await.unwrap();
    let imported = events.last().unwrap();
    assert_eq!(imported.action, "marketplace_offering_user_imported");
    assert_eq!(imported.actor_id, None);
    assert_eq!(imported.old_values, json!({"uidnumber": 160}));
    assert_eq!(imported.new_values, json!({"uidnumber": 150}));
    // The ledger follows the document's value.
    let uid: Option<i64> = sqlx::query_scalar(
        "SELECT i.uid FROM posix_identities i JOIN posix_id_pools p ON p.id = i.pool_id \
         WHERE p.uuid = $1::uuid AND i.released_at IS NULL AND i.user_id IS NOT NULL",
    )
    .bind(OVERRIDE_POOL)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(uid, Some(150));

    // null removes a key (with the overwrite flag, on an existing record).
    let mut doc = with_user_d_values();
    doc["offering_users"][2]["home_directory"] = Value::Null;
    import_with(&app, &doc, OVERWRITE).await.unwrap();
    assert_eq!(metadata_of(&app, USER_D).await, json!({"uidnumber": 150, "loginShell": "/bin/zsh"}));
}

#[tokio::test]
async fn posix_plugin_options_are_typed() {
    let app = TestApp::new().await;
    let mut doc = posix_world();
    doc["offerings"][4]["plugin_options"]["enable_posix_account"] = json!("no");
    let refused = refusal(&app, &doc).await;
    assert_eq!(refused, ("offerings[4].plugin_options.enable_posix_account".into(), "must be true or false".into()));
}
