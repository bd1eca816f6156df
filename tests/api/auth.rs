//! Token authentication (docs/spec/offering-users.md §7).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

use crate::support::*;

async fn with_header(app: &TestApp, value: &str) -> Reply {
    let request = Request::builder().uri(LIST).header("authorization", value).body(Body::empty()).unwrap();
    app.send(request).await
}

#[tokio::test]
async fn each_authentication_failure_has_its_own_401_body() {
    let app = TestApp::with(&world()).await;
    let cases = [
        ("Token", "Invalid token. No credentials provided."),
        ("Token a b", "Invalid token. Token string should not contain spaces."),
        ("Token 0000000000000000000000000000000000000000", "Invalid token."),
        ("Bearer staff-token", "Authentication credentials were not provided."),
    ];
    for (header, detail) in cases {
        let reply = with_header(&app, header).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{header}");
        assert_eq!(reply.json(), json!({"detail": detail}), "{header}");
        assert_eq!(reply.header("www-authenticate").as_deref(), Some("Token"), "{header}");
    }
    let anonymous = app.request(Method::GET, LIST, None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.json(), json!({"detail": "Authentication credentials were not provided."}));
}

#[tokio::test]
async fn scheme_is_case_insensitive_and_query_parameter_works() {
    let app = TestApp::with(&world()).await;
    assert_eq!(with_header(&app, "token staff-token").await.status, StatusCode::OK);
    assert_eq!(with_header(&app, "TOKEN staff-token").await.status, StatusCode::OK);
    let reply = app.request(Method::GET, &format!("{LIST}?x-auth-token=staff-token"), None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn inactive_user_is_rejected() {
    let mut doc = world();
    doc["users"][0]["is_active"] = json!(false);
    let app = TestApp::with(&doc).await;
    let reply = app.get(LIST, "staff-token").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json(), json!({"detail": "User inactive or deleted."}));
}

#[tokio::test]
async fn token_past_its_lifetime_has_expired_and_use_refreshes_it() {
    let mut doc = world();
    doc["users"][0]["token_lifetime"] = json!(3600);
    let app = TestApp::with(&doc).await;
    // Used 30 minutes ago: still valid, and the use restarts the sliding lifetime.
    sqlx::query("UPDATE api_tokens SET created = now() - interval '30 minutes'").execute(&app.db.pool).await.unwrap();
    assert_eq!(app.get(LIST, "staff-token").await.status, StatusCode::OK);
    let age: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM now() - created)::float8 FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE u.username = 'staff'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(age < 60.0, "the use refreshed the token (age {age} s)");
    // Unused for two hours: expired.
    sqlx::query("UPDATE api_tokens SET created = now() - interval '2 hours'").execute(&app.db.pool).await.unwrap();
    let reply = app.get(LIST, "staff-token").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json(), json!({"detail": "Token has expired."}));
}

#[tokio::test]
async fn a_recent_token_is_not_rewritten_on_every_request() {
    let app = TestApp::with(&world()).await;
    sqlx::query("UPDATE api_tokens SET created = now() - interval '10 seconds'").execute(&app.db.pool).await.unwrap();
    let before: Vec<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT created FROM api_tokens ORDER BY user_id").fetch_all(&app.db.pool).await.unwrap();
    for _ in 0..3 {
        assert_eq!(app.get(LIST, "staff-token").await.status, StatusCode::OK);
    }
    let after: Vec<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT created FROM api_tokens ORDER BY user_id").fetch_all(&app.db.pool).await.unwrap();
    assert_eq!(before, after);
}

#[tokio::test]
async fn only_the_hash_of_a_token_is_stored() {
    let app = TestApp::with(&world()).await;
    let stored: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT key_sha256 FROM api_tokens").fetch_all(&app.db.pool).await.unwrap();
    assert!(!stored.is_empty());
    assert!(stored.iter().all(|h| h.len() == 32 && !h.windows(11).any(|w| w == b"staff-token")));
}
