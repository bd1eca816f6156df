//! waldur-offering-users: a wire-compatible reimplementation of Waldur's
//! `/api/marketplace-offering-users/` REST API over PostgreSQL.
//!
//! The library holds everything; `main.rs` only parses the command line and calls in here,
//! so the integration tests drive the very same router with `app(state)`.

pub mod amqp;
pub mod cli;
pub mod config;
pub mod db;
pub mod directory;
pub mod domain;
pub mod embedded;
pub mod error;
pub mod exposure;
pub mod fd_limit;
pub mod healthcheck;
pub mod http;
pub mod lifecycle;
pub mod server;
pub mod store;
pub mod telemetry;
pub mod webhooks;
pub mod write_timeout;

pub use http::{app, AppState};

/// The schema migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
