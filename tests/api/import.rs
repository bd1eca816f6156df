//! The directory import (docs/spec/directory.md): upsert, idempotence, errors with JSON paths, one
//! transaction; and the command-line contract.

use std::process::Command;

use axum::http::StatusCode;
use serde_json::{json, Value};
use waldur_offering_users::directory::{self, ImportError, Kind};

use crate::support::*;

async fn try_import(app: &TestApp, doc: &Value) -> Result<directory::ImportSummary, ImportError> {
    let parsed = directory::parse(&doc.to_string())?;
    directory::import(&app.db.pool, &parsed).await
}

fn error_path(result: Result<directory::ImportSummary, ImportError>) -> String {
    match result {
        Err(ImportError::Invalid { path, .. }) => path,
        other => panic!("expected an invalid-entry error, got {other:?}"),
    }
}

async fn row_count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(&app.db.pool).await.unwrap()
}

fn full_doc() -> Value {
    let mut doc = world_with(vec![
        offering_user("00000000000000000000000000000f01", ids::ADMIN, ids::OFFERING, Some("user"), "OK"),
        offering_user("00000000000000000000000000000f02", ids::MEMBER, ids::OFFERING, None, "Requested"),
    ]);
    let terms = terms_and_consents(ids::OFFERING, "1", &[ids::ADMIN]);
    doc["terms_of_service"] = terms["terms_of_service"].clone();
    doc["consents"] = terms["consents"].clone();
    doc["role_permissions"] = json!({"CUSTOMER.MANAGER": ["OFFERINGUSER.UPDATE_RESTRICTION", "OFFERING.UPDATE_USER"]});
    doc
}

#[tokio::test]
async fn importing_the_same_file_twice_changes_nothing_the_second_time() {
    let app = TestApp::new().await;
    let first = try_import(&app, &full_doc()).await.unwrap();
    assert_eq!(first.of(Kind::Users), (12, 0));
    assert_eq!(first.of(Kind::OfferingUsers), (2, 0));
    assert_eq!(first.of(Kind::Roles), (8, 0));
    let modified: Vec<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT modified FROM offering_users ORDER BY id").fetch_all(&app.db.pool).await.unwrap();
    let second = try_import(&app, &full_doc()).await.unwrap();
    for (kind, created, updated) in &second.kinds {
        assert_eq!((*created, *updated), (0, 0), "{kind} changed on the second import");
    }
    let again: Vec<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT modified FROM offering_users ORDER BY id").fetch_all(&app.db.pool).await.unwrap();
    assert_eq!(modified, again);
}

#[tokio::test]
async fn a_changed_file_updates_only_the_rows_it_names() {
    let app = TestApp::with(&full_doc()).await;
    let doc = json!({"users": [{"uuid": ids::MEMBER, "username": "member", "first_name": "Renamed",
                                "last_name": "Tester", "email": "member@example.org", "token": "member-token"}]});
    let summary = try_import(&app, &doc).await.unwrap();
    assert_eq!(summary.of(Kind::Users), (0, 1));
    let first: String = sqlx::query_scalar("SELECT first_name FROM users WHERE username = 'member'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(first, "Renamed");
    assert_eq!(row_count(&app, "users").await, 12);
}

#[tokio::test]
async fn role_permissions_replace_the_listed_roles_only() {
    let app = TestApp::with(&full_doc()).await;
    let grants: Vec<(String, String)> =
        sqlx::query_as("SELECT role, permission FROM role_permissions ORDER BY role, permission")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let of = |role: &str| grants.iter().filter(|(r, _)| r == role).map(|(_, p)| p.as_str()).collect::<Vec<_>>();
    assert_eq!(of("CUSTOMER.MANAGER"), vec!["OFFERING.UPDATE_USER", "OFFERINGUSER.UPDATE_RESTRICTION"]);
    assert_eq!(of("CUSTOMER.OWNER").len(), 4);
}

#[tokio::test]
async fn errors_name_the_json_path_and_write_nothing() {
    let cases: Vec<(Value, &str)> = vec![
        (json!({"users": [{"uuid": ids::STAFF, "username": "x", "colour": "red"}]}), "users[0]"),
        (json!({"projects": [{"uuid": ids::PROJECT, "name": "P", "customer": ids::STAFF}]}), "projects[0].customer"),
        (
            {
                let mut d = full_doc();
                d["offering_users"][1]["state"] = json!("Done");
                d
            },
            "offering_users[1].state",
        ),
        (
            {
                let mut d = full_doc();
                d["roles"][3]["scope"] = json!({"customer": ids::PROVIDER});
                d
            },
            "roles[3].scope",
        ),
        (
            {
                let mut d = full_doc();
                d["offering_users"][1]["offering"] = json!("00000000000000000000000000000bad");
                d
            },
            "offering_users[1].offering",
        ),
        (
            {
                let mut d = full_doc();
                d["users"][1]["username"] = json!("has space");
                d
            },
            "users[1].username",
        ),
        (
            json!({"offerings": [{"uuid": ids::OFFERING, "name": "X", "customer": ids::PROVIDER, "parent": "zzz"}]}),
            "offerings[0].parent",
        ),
    ];
    for (doc, expected) in cases {
        let app = TestApp::new().await;
        let path = error_path(try_import(&app, &doc).await);
        assert!(path.starts_with(expected), "expected {expected}, got {path}");
        assert_eq!(row_count(&app, "users").await, 0, "{expected}: something was written");
    }
}

#[tokio::test]
async fn a_username_taken_by_another_user_is_refused() {
    let app = TestApp::with(&full_doc()).await;
    let doc = json!({"users": [{"uuid": "00000000000000000000000000000abc", "username": "owner"}]});
    assert_eq!(error_path(try_import(&app, &doc).await), "users[0].username");
}

#[tokio::test]
async fn a_second_record_for_the_same_offering_and_user_is_refused() {
    let app = TestApp::with(&full_doc()).await;
    let doc = json!({"offering_users": [offering_user("00000000000000000000000000000f09", ids::ADMIN, ids::OFFERING, None, "Requested")]});
    assert_eq!(error_path(try_import(&app, &doc).await), "offering_users[0]");
}

#[tokio::test]
async fn imported_state_is_stored_as_given() {
    let app = TestApp::with(&full_doc()).await;
    // A username with state Requested stays Requested: the implicit move to OK is the API's.
    let doc = json!({"offering_users": [offering_user("00000000000000000000000000000f03", ids::USER, ids::OFFERING, Some("named"), "Requested")]});
    try_import(&app, &doc).await.unwrap();
    assert_eq!(app.state_of("00000000000000000000000000000f03").await, "Requested");
}

#[tokio::test]
async fn a_user_without_token_cannot_call_the_api() {
    let mut doc = full_doc();
    doc["users"][2].as_object_mut().unwrap().remove("token");
    let app = TestApp::with(&doc).await;
    assert_eq!(app.get(LIST, "owner-token").await.status, StatusCode::UNAUTHORIZED);
}

pub(crate) fn database_url(app: &TestApp) -> String {
    match std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => {
            let mut url = url::Url::parse(&url).unwrap();
            url.set_path(&format!("/{}", app.db.name));
            url.to_string()
        }
        None => {
            let options = app.db.options();
            let socket = options.get_socket().expect("embedded cluster uses a socket").display().to_string();
            format!("postgres://postgres@localhost/{}?host={socket}&port={}", app.db.name, options.get_port())
        }
    }
}

#[tokio::test]
async fn import_command_reports_counts_and_exits_1_with_the_path_on_a_bad_entry() {
    let app = TestApp::new().await;
    let dir = std::env::temp_dir().join(format!("wou-import-{}", app.db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.json");
    std::fs::write(&good, full_doc().to_string()).unwrap();
    let binary = env!("CARGO_BIN_EXE_waldur-offering-users");
    let out = Command::new(binary).arg("import").arg(&good).env("DATABASE_URL", database_url(&app)).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("offering_users: 2 created, 0 updated"), "{stdout}");
    // Standard error is a pipe here: no progress.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains('\r') && !stderr.contains("validated") && !stderr.contains("rows"), "{stderr:?}");

    let mut bad_doc = full_doc();
    bad_doc["offering_users"][0]["user"] = json!("00000000000000000000000000000bad");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, bad_doc.to_string()).unwrap();
    let out = Command::new(binary).arg("import").arg(&bad).env("DATABASE_URL", database_url(&app)).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("offering_users[0].user: no user with uuid 00000000000000000000000000000bad"), "{stderr}");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn without_a_database_or_binaries_the_command_explains_both_ways_out() {
    let binary = env!("CARGO_BIN_EXE_waldur-offering-users");
    let dir = std::env::temp_dir().join(format!("wou-nodb-{}", std::process::id()));
    let out = Command::new(binary)
        .arg("migrate")
        .env_remove("DATABASE_URL")
        .env("PATH", "/nonexistent")
        .env("WALDUR_DATA_DIR", &dir)
        .env("WALDUR_POSTGRES_ROOT", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DATABASE_URL") && stderr.contains("initdb"), "{stderr}");
}

#[tokio::test]
async fn the_import_reports_each_kind_as_it_is_done_with_its_summary_figures() {
    let app = TestApp::new().await;
    let mut doc = full_doc();
    doc["checklists"] = json!([{"uuid": "00000000000000000000000000000c01", "name": "Compliance",
                               "questions": [{"uuid": "00000000000000000000000000000c11"}]}]);
    doc["offerings"][0]["compliance_checklist"] = json!("00000000000000000000000000000c01");
    let parsed = directory::parse(&doc.to_string()).unwrap();
    let mut events = Vec::new();
    let summary =
        directory::import_with_progress(&app.db.pool, &parsed, &mut |event| events.push(event)).await.unwrap();

    use directory::Progress::*;
    assert_eq!(events.first(), Some(&Validated));
    assert_eq!(events.last(), Some(&Committing));
    // Every kind starts with its entries in the document, in the order of the summary.
    let started: Vec<(&str, Option<u64>)> = events
        .iter()
        .filter_map(|e| match *e {
            Started { kind, rows } => Some((kind.name(), rows)),
            _ => None,
        })
        .collect();
    let len = |kind: &str| Some(doc[kind].as_array().map_or(0, |a| a.len() as u64));
    assert_eq!(
        started,
        vec![
            ("role_permissions", Some(1)),
            ("users", len("users")),
            ("customers", len("customers")),
            ("projects", len("projects")),
            ("checklists", Some(1)),
            ("offerings", len("offerings")),
            ("roles", len("roles")),
            ("terms_of_service", Some(1)),
            ("consents", Some(1)),
            ("offering_users", Some(2)),
            ("checklist_completions", None),
        ]
    );
    // Each kind's done report carries its summary line, and comes right after its start
    // (and the offering users' rows).
    let done: Vec<(&str, u64, u64)> = events
        .iter()
        .filter_map(|e| match *e {
            Done { kind, created, updated } => Some((kind.name(), created, updated)),
            _ => None,
        })
        .collect();
    assert_eq!(done, summary.kinds.iter().map(|&(k, c, u)| (k.name(), c, u)).collect::<Vec<_>>());
    assert_eq!(summary.of(Kind::Users), (12, 0));
    assert_eq!(summary.of(Kind::ChecklistCompletions), (2, 0));
    let position = |wanted: directory::Progress| events.iter().position(|e| *e == wanted).unwrap();
    let users_started = position(Started { kind: Kind::Users, rows: len("users") });
    assert_eq!(events[users_started + 1], Done { kind: Kind::Users, created: 12, updated: 0 });
    let ou_started = position(Started { kind: Kind::OfferingUsers, rows: Some(2) });
    assert_eq!(events[ou_started + 1], Rows { kind: Kind::OfferingUsers, done: 2, rows: 2 });
    assert_eq!(events[ou_started + 2], Done { kind: Kind::OfferingUsers, created: 2, updated: 0 });

    // Again: the same kinds, nothing created or updated.
    let mut again = Vec::new();
    directory::import_with_progress(&app.db.pool, &parsed, &mut |event| again.push(event)).await.unwrap();
    assert_eq!(again.iter().filter(|e| matches!(e, Done { .. })).count(), done.len());
    assert!(again.iter().all(|e| !matches!(e, Done { created, updated, .. } if created + updated > 0)), "{again:?}");
}

#[tokio::test]
async fn an_import_refused_by_validation_reports_nothing() {
    let app = TestApp::new().await;
    let mut doc = full_doc();
    doc["users"][0]["username"] = json!("has space");
    let parsed = directory::parse(&doc.to_string()).unwrap();
    let mut events = Vec::new();
    let result = directory::import_with_progress(&app.db.pool, &parsed, &mut |event| events.push(event)).await;
    assert_eq!(error_path(result), "users[0].username");
    assert!(events.is_empty(), "{events:?}");
}
