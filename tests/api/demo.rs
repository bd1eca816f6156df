//! `serve --demo` imports the bundled demo only into a database that holds no users but the
//! demo's: its well-known tokens must never land next to real users.

use waldur_offering_users::directory::{self, DemoError};

use crate::support::*;

async fn users(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&app.db.pool).await.unwrap()
}

async fn tables_written(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM offerings) + (SELECT count(*) FROM offering_users)",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn demo_imports_into_an_empty_database_and_again_without_changes() {
    let app = TestApp::new().await;
    let first = directory::import_demo(&app.db.pool).await.expect("first demo import");
    assert_eq!(first.of("users"), (7, 0));
    let written = tables_written(&app).await;
    // A restart with --demo on the demo's own database is the same idempotent upsert.
    let again = directory::import_demo(&app.db.pool).await.expect("second demo import");
    assert_eq!(again.of("users"), (0, 0));
    assert_eq!(tables_written(&app).await, written);
    let reply = app.get(LIST, "demo-staff-token").await;
    assert_eq!(reply.status, axum::http::StatusCode::OK);
}

#[tokio::test]
async fn demo_refuses_a_database_with_other_users_and_writes_nothing() {
    let app = TestApp::with(&world()).await;
    let before = tables_written(&app).await;
    let refused = directory::import_demo(&app.db.pool).await;
    let Err(error @ DemoError::ForeignUsers(12)) = refused else { panic!("expected a refusal, got {refused:?}") };
    assert!(error.to_string().contains("12 user(s) besides the demo's"), "{error}");
    assert_eq!(tables_written(&app).await, before);
    assert_eq!(app.get(LIST, "demo-staff-token").await.status, axum::http::StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn demo_refuses_once_another_directory_added_a_user() {
    let app = TestApp::new().await;
    directory::import_demo(&app.db.pool).await.expect("demo import");
    let mut doc = world();
    // "outsider": a user the demo does not define.
    doc["users"] = serde_json::Value::Array(vec![doc["users"][10].clone()]);
    for kind in ["customers", "projects", "offerings", "roles"] {
        doc[kind] = serde_json::json!([]);
    }
    app.import(&doc).await;
    assert_eq!(users(&app).await, 8);
    assert!(matches!(directory::import_demo(&app.db.pool).await, Err(DemoError::ForeignUsers(1))));
}
