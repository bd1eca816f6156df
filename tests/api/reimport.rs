//! Importing again (docs/spec/decisions.md item 32): the API's work on offering users survives
//! unless `--overwrite-offering-users`, tokens survive entries without `token`, a dry run writes
//! nothing; and an import beside the API's writes neither breaks them nor is broken by them
//! (a deadlock is replayed, not answered 500).

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{json, Value};
use waldur_offering_users::directory::{self, ImportOptions, ImportSummary, Kind};

use super::import::database_url;
use crate::support::*;

const RECORD: &str = "00000000000000000000000000000f01";
const OTHER_RECORD: &str = "00000000000000000000000000000f02";

fn doc() -> Value {
    world_with(vec![
        offering_user(RECORD, ids::ADMIN, ids::OFFERING, None, "Requested"),
        offering_user(OTHER_RECORD, ids::MEMBER, ids::OFFERING, None, "Requested"),
    ])
}

async fn import_with(app: &TestApp, doc: &Value, options: ImportOptions) -> ImportSummary {
    let parsed = directory::parse(&doc.to_string()).unwrap();
    directory::import_with(&app.db.pool, &parsed, options, &mut |_| {}).await.unwrap()
}

const OVERWRITE: ImportOptions = ImportOptions { dry_run: false, overwrite_offering_users: true };
const DRY_RUN: ImportOptions = ImportOptions { dry_run: true, overwrite_offering_users: false };

/// What the site agent does to RECORD: begins its creation, names it (which completes it),
/// restricts it and comments on it.
async fn agent_works_on_the_record(app: &TestApp) {
    assert_eq!(app.post_empty(&action(RECORD, "begin_creating"), "staff-token").await.status, StatusCode::OK);
    let patched = app.patch(&detail(RECORD), "staff-token", json!({"username": "alice"})).await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.json());
    let restricted =
        app.post(&action(RECORD, "update_restricted"), "staff-token", json!({"is_restricted": true})).await;
    assert_eq!(restricted.status, StatusCode::OK);
    let commented = app
        .patch(
            &action(RECORD, "update_comments"),
            "staff-token",
            json!({"service_provider_comment": "linked", "service_provider_comment_url": "https://example.org/t/1"}),
        )
        .await;
    assert_eq!(commented.status, StatusCode::OK);
}

/// (state, username, is_restricted, comment, comment url) as stored.
async fn api_fields(app: &TestApp, uuid: &str) -> (String, Option<String>, bool, String, String) {
    let (username, restricted, comment, url): (Option<String>, bool, String, String) = sqlx::query_as(
        "SELECT username, is_restricted, service_provider_comment, service_provider_comment_url \
         FROM offering_users WHERE uuid = $1::uuid",
    )
    .bind(uuid)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    (app.state_of(uuid).await, username, restricted, comment, url)
}

async fn audit_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_events").fetch_one(&app.db.pool).await.unwrap()
}

#[tokio::test]
async fn a_reimport_leaves_what_the_api_did_and_writes_no_event() {
    let app = TestApp::with(&doc()).await;
    agent_works_on_the_record(&app).await;
    let before = api_fields(&app, RECORD).await;
    assert_eq!(before, ("OK".into(), Some("alice".into()), true, "linked".into(), "https://example.org/t/1".into()));
    let events = audit_count(&app).await;

    let summary = import_with(&app, &doc(), ImportOptions::default()).await;
    assert_eq!(api_fields(&app, RECORD).await, before);
    assert_eq!(audit_count(&app).await, events, "the import wrote an audit event");
    assert_eq!(summary.of(Kind::OfferingUsers), (0, 0));
    assert_eq!(summary.unchanged_of(Kind::OfferingUsers), 2);
    assert_eq!(summary.left_alone, 1, "the record the API changed is reported as left alone");
    // The API still works on it as it left it.
    let list = app.get(&format!("{LIST}?username=alice"), "staff-token").await;
    assert_eq!(list.uuids(), vec![RECORD.to_owned()]);
}

#[tokio::test]
async fn overwrite_reverts_the_api_fields_with_one_event_per_changed_record_by_the_import() {
    let app = TestApp::with(&doc()).await;
    agent_works_on_the_record(&app).await;
    let events = audit_count(&app).await;

    let summary = import_with(&app, &doc(), OVERWRITE).await;
    assert_eq!(api_fields(&app, RECORD).await, ("Requested".into(), None, false, String::new(), String::new()));
    assert_eq!(summary.of(Kind::OfferingUsers), (0, 1));
    assert_eq!(summary.left_alone, 0);
    assert_eq!(audit_count(&app).await, events + 1, "one event for the one record that changed");
    assert!(waldur_offering_users::store::audit::events_of(&app.db.pool, OTHER_RECORD.parse().unwrap())
        .await
        .unwrap()
        .is_empty());
    let recorded = waldur_offering_users::store::audit::events_of(&app.db.pool, RECORD.parse().unwrap()).await.unwrap();
    let last = recorded.last().unwrap();
    assert_eq!(last.actor_id, None, "the import is no user");
    assert_eq!(last.action, "marketplace_offering_user_imported");
    assert_eq!(
        last.old_values,
        json!({"username": "alice", "state": "OK", "is_restricted": true, "service_provider_comment": "linked",
               "service_provider_comment_url": "https://example.org/t/1"})
    );
    assert_eq!(
        last.new_values,
        json!({"username": null, "state": "Requested", "is_restricted": false, "service_provider_comment": "",
               "service_provider_comment_url": ""})
    );

    // Once the document says what the database holds, overwriting changes nothing more.
    let again = import_with(&app, &doc(), OVERWRITE).await;
    assert_eq!(again.of(Kind::OfferingUsers), (0, 0));
    assert_eq!(audit_count(&app).await, events + 1);
}

#[tokio::test]
async fn re_pointing_an_offering_user_is_the_directorys_and_keeps_the_api_fields() {
    let app = TestApp::with(&doc()).await;
    agent_works_on_the_record(&app).await;
    let before = api_fields(&app, RECORD).await;
    let mut moved = doc();
    moved["offering_users"][0]["user"] = json!(ids::USER);

    let summary = import_with(&app, &moved, ImportOptions::default()).await;
    assert_eq!(summary.of(Kind::OfferingUsers), (0, 1));
    assert_eq!(api_fields(&app, RECORD).await, before);
    let user: String = sqlx::query_scalar(
        "SELECT u.username FROM offering_users ou JOIN users u ON u.id = ou.user_id WHERE ou.uuid = $1::uuid",
    )
    .bind(RECORD)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(user, "user");
    let recorded = waldur_offering_users::store::audit::events_of(&app.db.pool, RECORD.parse().unwrap()).await.unwrap();
    let last = recorded.last().unwrap();
    assert_eq!((last.actor_id, last.action.as_str()), (None, "marketplace_offering_user_imported"));
    assert_eq!(last.old_values, json!({"user": ids::ADMIN}));
    assert_eq!(last.new_values, json!({"user": ids::USER}));
}

#[tokio::test]
async fn a_user_entry_without_token_keeps_it_and_a_null_token_revokes_it() {
    let app = TestApp::with(&doc()).await;
    let mut without = doc();
    without["users"][2].as_object_mut().unwrap().remove("token");
    assert_eq!(without["users"][2]["username"], "owner");
    let summary = import_with(&app, &without, ImportOptions::default()).await;
    assert_eq!(summary.of(Kind::Users), (0, 0));
    assert_eq!(app.get(LIST, "owner-token").await.status, StatusCode::OK);

    let mut revoked = doc();
    revoked["users"][2]["token"] = Value::Null;
    let summary = import_with(&app, &revoked, ImportOptions::default()).await;
    assert_eq!(summary.of(Kind::Users), (0, 1));
    assert_eq!(app.get(LIST, "owner-token").await.status, StatusCode::UNAUTHORIZED);
    // The others keep theirs.
    assert_eq!(app.get(LIST, "staff-token").await.status, StatusCode::OK);
}

/// Every table the import writes, as text.
async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut tables = Vec::new();
    for table in ["users", "api_tokens", "customers", "offerings", "offering_users", "audit_events", "consents"] {
        let text: Option<String> =
            sqlx::query_scalar(&format!("SELECT json_agg(t ORDER BY t::text)::text FROM {table} t"))
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        tables.push(format!("{table}: {}", text.unwrap_or_default()));
    }
    tables
}

fn changed_doc() -> Value {
    let mut changed = doc();
    changed["customers"][0]["name"] = json!("Provider A, renamed");
    changed["users"].as_array_mut().unwrap().push(json!({"uuid": "00000000000000000000000000000a99",
        "username": "newcomer", "token": "newcomer-token"}));
    changed["offering_users"].as_array_mut().unwrap().push(offering_user(
        "00000000000000000000000000000f03",
        "00000000000000000000000000000a99",
        ids::OFFERING,
        None,
        "Requested",
    ));
    changed
}

#[tokio::test]
async fn a_dry_run_reports_what_it_would_do_and_writes_nothing() {
    let app = TestApp::with(&doc()).await;
    agent_works_on_the_record(&app).await;
    let before = snapshot(&app).await;

    let summary = import_with(&app, &changed_doc(), DRY_RUN).await;
    assert!(summary.dry_run);
    assert_eq!(summary.of(Kind::Users), (1, 0));
    assert_eq!(summary.unchanged_of(Kind::Users), 12);
    assert_eq!(summary.of(Kind::Customers), (0, 1));
    assert_eq!(summary.of(Kind::OfferingUsers), (1, 0));
    assert_eq!(summary.unchanged_of(Kind::OfferingUsers), 2);
    assert_eq!(summary.left_alone, 1);
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(app.get(LIST, "newcomer-token").await.status, StatusCode::UNAUTHORIZED);

    let overwriting = import_with(&app, &changed_doc(), ImportOptions { dry_run: true, ..OVERWRITE }).await;
    assert_eq!(overwriting.of(Kind::OfferingUsers), (1, 1));
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn the_import_command_takes_both_flags_and_prints_what_it_left_alone() {
    let app = TestApp::with(&doc()).await;
    agent_works_on_the_record(&app).await;
    let before = snapshot(&app).await;
    let dir = std::env::temp_dir().join(format!("wou-reimport-{}", app.db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("changed.json");
    std::fs::write(&file, changed_doc().to_string()).unwrap();
    let binary = env!("CARGO_BIN_EXE_waldur-offering-users");
    let run = |flags: &[&str]| {
        Command::new(binary).arg("import").arg(&file).args(flags).env("DATABASE_URL", database_url(&app)).output()
    };

    let out = run(&["--dry-run"]).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("dry run: nothing was written"), "{stdout}");
    assert!(stdout.contains("users: 1 created, 0 updated, 12 unchanged"), "{stdout}");
    assert!(stdout.contains("offering_users: 1 created, 0 updated, 2 unchanged, 1 left alone"), "{stdout}");
    assert_eq!(snapshot(&app).await, before);

    let out = run(&["--overwrite-offering-users"]).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("offering_users: 1 created, 1 updated, 1 unchanged"), "{stdout}");
    assert_eq!(api_fields(&app, RECORD).await.0, "Requested");
    std::fs::remove_dir_all(dir).ok();
}

/// The database's count of deadlocks so far (the statistics arrive a little late).
async fn deadlocks(app: &TestApp) -> i64 {
    sqlx::query("SELECT pg_stat_clear_snapshot()").execute(&app.db.pool).await.unwrap();
    sqlx::query_scalar("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_deadlock_in_a_write_handler_is_replayed_and_answers_200() {
    let app = Arc::new(TestApp::with(&doc()).await);
    let deadlocks_before = deadlocks(&app).await;

    // A transaction that holds the acting user's row, which the PATCH's audit event refers to
    // (a foreign-key check takes a share lock on it), as an import renaming that user does.
    let mut other = app.db.pool.begin().await.unwrap();
    // Superuser only: this side never runs the deadlock check, so the PATCH is the one that
    // PostgreSQL rolls back.
    sqlx::query("SET LOCAL deadlock_timeout = '60s'").execute(&mut *other).await.unwrap();
    sqlx::query("SELECT 1 FROM users WHERE uuid = $1::uuid FOR UPDATE")
        .bind(ids::STAFF)
        .execute(&mut *other)
        .await
        .unwrap();

    // The PATCH locks the record, then waits for the user row.
    let patching = {
        let app = app.clone();
        tokio::spawn(async move { app.patch(&detail(RECORD), "staff-token", json!({"username": "bob"})).await })
    };
    let waiting = Instant::now();
    loop {
        let blocked: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        if blocked > 0 {
            break;
        }
        assert!(waiting.elapsed() < Duration::from_secs(10), "the PATCH never waited for the user row");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Now the other side wants the record: a cycle, which PostgreSQL breaks by failing the PATCH.
    sqlx::query("SELECT 1 FROM offering_users WHERE uuid = $1::uuid FOR UPDATE")
        .bind(RECORD)
        .execute(&mut *other)
        .await
        .unwrap();
    other.commit().await.unwrap();

    let reply = patching.await.unwrap();
    assert_eq!(reply.status, StatusCode::OK, "{:?}", String::from_utf8_lossy(&reply.bytes));
    assert_eq!(reply.json()["username"], "bob");
    assert_eq!(username_of(&app, RECORD).await.as_deref(), Some("bob"));
    let waiting = Instant::now();
    while deadlocks(&app).await == deadlocks_before {
        assert!(waiting.elapsed() < Duration::from_secs(10), "PostgreSQL recorded no deadlock");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `world()` with `extra` more users, each an offering user of every offering.
fn crowded(extra: usize) -> Value {
    let mut doc = world();
    let offerings = [ids::OFFERING, ids::FOREIGN_OFFERING, ids::CLOSED_OFFERING];
    let mut offering_users = Vec::new();
    for i in 0..extra {
        let user = format!("{:032x}", 0x7000_0000u64 + i as u64);
        doc["users"].as_array_mut().unwrap().push(json!({"uuid": user, "username": format!("crowd{i}")}));
        for (j, offering) in offerings.iter().enumerate() {
            let uuid = format!("{:032x}", 0x8000_0000u64 + (i * offerings.len() + j) as u64);
            offering_users.push(offering_user(&uuid, &user, offering, None, "Requested"));
        }
    }
    doc["offering_users"] = Value::Array(offering_users);
    doc
}

#[tokio::test]
async fn an_import_beside_patches_leaves_every_patch_answered_without_a_5xx() {
    let app = Arc::new(TestApp::with(&crowded(400)).await);
    let uuids: Vec<String> = crowded(400)["offering_users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["uuid"].as_str().unwrap().to_owned())
        .collect();
    // The hardest re-import for the lock order: it renames the acting user (whose row the
    // PATCHes' audit events refer to) and overwrites the offering users they name.
    let mut renamed = crowded(400);
    renamed["users"][0]["username"] = json!("staff-renamed");
    for round in 0..2 {
        // Records the API changed, which the import overwrites and so locks: the PATCHes below
        // name them again.
        let touched = |i: usize| &uuids[(i * 7) % uuids.len()];
        for i in 0..20 {
            let reply =
                app.patch(&detail(touched(i)), "staff-token", json!({"username": format!("p{round}-{i}")})).await;
            assert_eq!(reply.status, StatusCode::OK);
        }
        let importing = {
            let app = app.clone();
            let doc = if round == 0 { renamed.clone() } else { crowded(400) };
            tokio::spawn(async move { import_with(&app, &doc, OVERWRITE).await })
        };
        let mut statuses = Vec::new();
        let started = Instant::now();
        let mut i = 0;
        while !importing.is_finished() || statuses.len() < 5 {
            assert!(started.elapsed() < Duration::from_secs(60), "the import did not finish");
            let reply =
                app.patch(&detail(touched(i)), "staff-token", json!({"username": format!("u{round}-{i}")})).await;
            statuses.push(reply.status);
            i += 1;
        }
        let summary = importing.await.unwrap();
        assert!(summary.of(Kind::OfferingUsers).1 > 0, "the import overwrote nothing: {summary:?}");
        assert!(statuses.iter().all(|s| *s == StatusCode::OK), "round {round}: {statuses:?}");
    }
}
