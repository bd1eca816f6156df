//! `serve --demo` imports the bundled demo only into a database that holds no users but the
//! demo's: its well-known tokens must never land next to real users.

use axum::http::StatusCode;
use serde_json::Value;
use waldur_offering_users::directory::{self, DemoError, Kind};
use waldur_offering_users::domain::state::ALL_STATES;

use crate::support::*;

/// Erin's record on Cloud VMs: her answers trigger a review nobody has done yet.
const ERIN_CLOUD: &str = "0000d3e000000000000000000000060f";
/// Heidi's record on Cloud VMs: answers that triggered a review, reviewed by Kim.
const HEIDI_CLOUD: &str = "0000d3e0000000000000000000000612";
/// Dave's record on Cloud VMs: every required question answered, nothing to review.
const DAVE_CLOUD: &str = "0000d3e000000000000000000000060e";
/// Frank's record on Cloud VMs: two answers of five required.
const FRANK_CLOUD: &str = "0000d3e0000000000000000000000610";

async fn users(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&app.db.pool).await.unwrap()
}

async fn tables_written(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM offerings) + (SELECT count(*) FROM offering_users) \
              + (SELECT count(*) FROM checklist_answers)",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn demo_imports_into_an_empty_database_and_again_without_changes() {
    let app = TestApp::new().await;
    let first = directory::import_demo(&app.db.pool).await.expect("first demo import");
    let demo: Value = serde_json::from_str(directory::DEMO).unwrap();
    let users = demo["users"].as_array().unwrap().len() as u64;
    assert_eq!(first.of(Kind::Users), (users, 0));
    assert!(first.of(Kind::ChecklistAnswers).0 > 0, "{first:?}");
    let written = tables_written(&app).await;
    let modified: Vec<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT modified FROM checklist_completions ORDER BY id")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    // A restart with --demo on the demo's own database is the same idempotent upsert, and
    // answered checklists keep their answers.
    let again = directory::import_demo(&app.db.pool).await.expect("second demo import");
    for (kind, created, updated) in &again.kinds {
        assert_eq!((*created, *updated), (0, 0), "{kind} changed on the second demo import");
    }
    assert_eq!(tables_written(&app).await, written);
    let again_modified: Vec<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT modified FROM checklist_completions ORDER BY id")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(modified, again_modified);
    let reply = app.get(LIST, "demo-staff-token").await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn demo_refuses_a_database_with_other_users_and_writes_nothing() {
    let app = TestApp::with(&world()).await;
    let before = tables_written(&app).await;
    let refused = directory::import_demo(&app.db.pool).await;
    let Err(error @ DemoError::ForeignUsers(12)) = refused else { panic!("expected a refusal, got {refused:?}") };
    assert!(error.to_string().contains("12 user(s) besides the demo's"), "{error}");
    assert_eq!(tables_written(&app).await, before);
    assert_eq!(app.get(LIST, "demo-staff-token").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn demo_refuses_once_another_directory_added_a_user() {
    let app = TestApp::new().await;
    directory::import_demo(&app.db.pool).await.expect("demo import");
    let mut doc = world();
    // "outsider": a user the demo does not define.
    doc["users"] = Value::Array(vec![doc["users"][10].clone()]);
    for kind in ["customers", "projects", "offerings", "roles"] {
        doc[kind] = serde_json::json!([]);
    }
    app.import(&doc).await;
    let demo: Value = serde_json::from_str(directory::DEMO).unwrap();
    assert_eq!(users(&app).await, demo["users"].as_array().unwrap().len() as i64 + 1);
    assert!(matches!(directory::import_demo(&app.db.pool).await, Err(DemoError::ForeignUsers(1))));
}

fn count(reply: &Reply) -> usize {
    assert_eq!(reply.status, StatusCode::OK, "{}", String::from_utf8_lossy(&reply.bytes));
    reply.header("x-result-count").expect("X-Result-Count").parse().unwrap()
}

fn body(reply: &Reply) -> Value {
    assert_eq!(reply.status, StatusCode::OK, "{}", String::from_utf8_lossy(&reply.bytes));
    reply.json()
}

#[tokio::test]
async fn the_demo_spans_every_state_restriction_consent_and_a_checklist_under_review() {
    let app = TestApp::new().await;
    directory::import_demo(&app.db.pool).await.expect("demo import");
    let staff = "demo-staff-token";

    // Every one of the ten states, as the state filter finds them.
    for state in ALL_STATES {
        let label = state.label();
        let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("state", label).finish();
        let found = count(&app.get(&format!("{LIST}?{query}"), staff).await);
        assert!(found >= 1, "no demo record in state {label:?}");
    }
    assert!(count(&app.get(&format!("{LIST}?is_restricted=true"), staff).await) >= 1);
    assert!(count(&app.get(&format!("{LIST}?is_restricted=false"), staff).await) >= 1);

    // Consent given, missing (never given, or revoked) and outdated (a newer version of terms
    // that require consenting again).
    let all = body(&app.get(&format!("{LIST}?page_size=100"), staff).await);
    let records = all.as_array().unwrap();
    let consent = |given: bool, outdated: bool| {
        records.iter().filter(|r| r["has_consent"] == given && r["requires_reconsent"] == outdated).count()
    };
    assert!(consent(true, false) >= 1, "no record with consent");
    assert!(consent(false, false) >= 2, "no record without consent");
    assert!(consent(true, true) >= 1, "no record with an outdated consent");
    // Records without consent are hidden from their provider while the consent gate is on.
    let hidden = records.iter().filter(|r| r["offering_name"] == "Cloud VMs" && r["has_consent"] == false).count();
    let cloud = count(&app.get(LIST, "demo-cloud-owner-token").await);
    let on_cloud = records.iter().filter(|r| r["offering_name"] == "Cloud VMs").count();
    assert!(hidden >= 1);
    assert_eq!(cloud, on_cloud - hidden);

    // The compliance checklist: one completion waits for review, one was reviewed, one is
    // complete without anything to review, one is partly answered.
    let erin = body(&app.get(&action(ERIN_CLOUD, "completion_review_status"), "demo-cloud-manager-token").await);
    assert_eq!((erin["is_completed"].as_bool(), erin["requires_review"].as_bool()), (Some(true), Some(true)), "{erin}");
    assert_eq!(erin["reviewed_by_name"], Value::Null);
    assert!(erin["review_trigger_summary"].as_array().unwrap().len() >= 2, "{erin}");
    let heidi = body(&app.get(&action(HEIDI_CLOUD, "completion_review_status"), staff).await);
    assert_eq!(heidi["requires_review"], true);
    assert_eq!(heidi["reviewed_by_name"], "Kim Keller");
    let dave = body(&app.get(&action(DAVE_CLOUD, "completion_review_status"), staff).await);
    assert_eq!(
        (dave["is_completed"].as_bool(), dave["requires_review"].as_bool()),
        (Some(true), Some(false)),
        "{dave}"
    );
    let frank = body(&app.get(&action(FRANK_CLOUD, "completion_status"), "demo-frank-token").await);
    assert_eq!(frank["is_completed"], false);
    assert!(!frank["unanswered_required_questions"].as_array().unwrap().is_empty());
    // The reviewer's view lists the answers that triggered the review.
    let review = body(&app.get(&action(ERIN_CLOUD, "checklist_review"), "demo-cloud-manager-token").await);
    assert!(review["questions"].as_array().unwrap().iter().any(|q| q["existing_answer"]["requires_review"] == true));
    // Several question types.
    let template = body(&app.get(&action(ERIN_CLOUD, "checklist"), "demo-erin-token").await);
    let mut types: Vec<&str> =
        template["questions"].as_array().unwrap().iter().map(|q| q["question_type"].as_str().unwrap()).collect();
    types.sort();
    types.dedup();
    assert!(types.len() >= 8, "{types:?}");

    // An inactive user's token is refused; a switched-off offering's records are for staff
    // and support only.
    assert_eq!(app.get(LIST, "demo-trent-token").await.status, StatusCode::UNAUTHORIZED);
    let switched_off = records.iter().filter(|r| r["offering_name"] == "Object storage").count();
    assert!(switched_off >= 1);
    let alice = body(&app.get(&format!("{LIST}?page_size=100"), "demo-alice-token").await);
    assert!(alice.as_array().unwrap().iter().all(|r| r["offering_name"] != "Object storage"));
}

#[tokio::test]
async fn every_demo_token_but_the_inactive_users_is_accepted() {
    let app = TestApp::new().await;
    directory::import_demo(&app.db.pool).await.expect("demo import");
    let demo: Value = serde_json::from_str(directory::DEMO).unwrap();
    for user in demo["users"].as_array().unwrap() {
        let Some(token) = user["token"].as_str() else { continue };
        let expected = if user["is_active"] == false { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
        assert_eq!(app.get(LIST, token).await.status, expected, "{token}");
    }
}
