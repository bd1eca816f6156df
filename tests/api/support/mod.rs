//! Test support: a fresh database and router per test, a request helper, and fixtures.
#![allow(dead_code)] // shared helpers; not every test area uses each one

pub(crate) mod capture;
pub(crate) mod db;
pub(crate) mod fixture;
pub(crate) mod posix;
pub(crate) mod proxy;
pub(crate) mod served;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use waldur_offering_users::http::Settings;
use waldur_offering_users::{app, AppState};

pub(crate) use db::TestDatabase;
pub(crate) use fixture::{ids, offering_user, terms_and_consents, token, world, world_with};
pub(crate) use posix::{posix_ids, posix_world};

/// A router over a database of its own.
pub(crate) struct TestApp {
    pub db: TestDatabase,
    pub router: Router,
    /// The router's state (its metrics, for the management router).
    pub state: AppState,
}

/// What came back.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Reply {
    /// The body as JSON (panics with the raw text when it is not).
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.bytes)))
    }

    /// A header as text.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|v| v.to_str().unwrap().to_owned())
    }

    /// The `uuid` of every object of a list body.
    pub(crate) fn uuids(&self) -> Vec<String> {
        self.json().as_array().expect("a list").iter().map(|o| o["uuid"].as_str().unwrap().to_owned()).collect()
    }

    /// The `username` of every object of a list body.
    pub(crate) fn usernames(&self) -> Vec<Value> {
        self.json().as_array().expect("a list").iter().map(|o| o["username"].clone()).collect()
    }
}

impl TestApp {
    /// A fresh database with the consent gate on (the default).
    pub(crate) async fn new() -> TestApp {
        Self::with_settings(Settings::default()).await
    }

    pub(crate) async fn with_settings(settings: Settings) -> TestApp {
        let db = TestDatabase::new().await;
        let state = AppState::new(db.pool.clone(), settings);
        let router = app(state.clone());
        TestApp { db, router, state }
    }

    /// A fresh database with `doc` imported.
    pub(crate) async fn with(doc: &Value) -> TestApp {
        let app = Self::new().await;
        app.import(doc).await;
        app
    }

    /// Imports a directory document, panicking on failure.
    pub(crate) async fn import(&self, doc: &Value) {
        let doc = waldur_offering_users::directory::parse(&doc.to_string()).expect("valid document");
        waldur_offering_users::directory::import(&self.db.pool, &doc).await.expect("import");
    }

    /// Sends one request; `token` None sends no credentials.
    pub(crate) async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut builder = Request::builder().method(method).uri(path).header("host", "testserver");
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Token {token}"));
        }
        let request = match body {
            Some(body) => builder.header("content-type", "application/json").body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        }
        .unwrap();
        self.send(request).await
    }

    /// Sends a request built by the test.
    pub(crate) async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes().to_vec();
        Reply { status, headers, bytes }
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> Reply {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub(crate) async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::POST, path, Some(token), Some(body)).await
    }

    /// A POST without body or content type, as the SDK sends the state actions.
    pub(crate) async fn post_empty(&self, path: &str, token: &str) -> Reply {
        self.request(Method::POST, path, Some(token), None).await
    }

    pub(crate) async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::PATCH, path, Some(token), Some(body)).await
    }

    pub(crate) async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::PUT, path, Some(token), Some(body)).await
    }

    pub(crate) async fn delete(&self, path: &str, token: &str) -> Reply {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    /// The state label of a record, read straight from the database.
    pub(crate) async fn state_of(&self, uuid: &str) -> String {
        let state: i16 = sqlx::query_scalar("SELECT state FROM offering_users WHERE uuid = $1::uuid")
            .bind(uuid)
            .fetch_one(&self.db.pool)
            .await
            .unwrap();
        waldur_offering_users::domain::state::State::try_from(state).unwrap().label().to_owned()
    }
}

/// The stored username of a record, read straight from the database.
pub(crate) async fn username_of(app: &TestApp, uuid: &str) -> Option<String> {
    sqlx::query_scalar("SELECT username FROM offering_users WHERE uuid = $1::uuid")
        .bind(uuid)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// Holds the record's row lock, as a concurrent transaction would (on the test's own
/// connection), until the transaction is committed or dropped.
pub(crate) async fn lock_record(app: &TestApp, uuid: &str) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = app.db.pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM offering_users WHERE uuid = $1::uuid FOR UPDATE")
        .bind(uuid)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

/// Records a migration in the migrations table as a newer release would have applied it.
pub(crate) async fn record_future_migration(app: &TestApp) {
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from a newer release', true, '\\x00', 0)",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
}

/// The list path.
pub(crate) const LIST: &str = "/api/marketplace-offering-users/";

/// The detail path of a record.
pub(crate) fn detail(uuid: &str) -> String {
    format!("/api/marketplace-offering-users/{uuid}/")
}

/// The path of an action on a record.
pub(crate) fn action(uuid: &str, name: &str) -> String {
    format!("/api/marketplace-offering-users/{uuid}/{name}/")
}
