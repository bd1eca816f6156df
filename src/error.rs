//! The one error type, and how it becomes the DRF-shaped response clients expect.
//!
//! Conversions are pure: neither `From` nor `IntoResponse` logs. What a failure was (a
//! closed-set kind and, for a failure of ours, the source error's text) travels to the
//! request's one log line as a response extension (`FailureReport`, written by `observe`),
//! and is never sent to the client.
//!
//! - `reasons.rs`: why a request was answered 503, what a database error was, why a token
//!   failed: the closed sets that metrics and the outage monitor read;
//! - `response.rs`: status, headers and body of every variant, and the failure report.

mod reasons;
mod response;

pub use reasons::{AuthFailure, DatabaseErrorKind, Unavailable};
pub use response::{FailureKind, FailureReport};

use serde_json::{json, Value};

/// A source error of any type, for [`ApiError::Internal`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401 with `WWW-Authenticate: Token`.
    #[error("unauthenticated: {0}")]
    Unauthenticated(crate::domain::auth_failure::AuthFailure),
    /// 404 `{"detail": …}`.
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// 403 `{"detail": …}`.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 400 `{"detail": …}` (state transitions, checklist answers).
    #[error("bad request: {0}")]
    Detail(String),
    /// 400 with a body already in DRF shape: `{"field": ["msg"]}` or `["msg"]`.
    #[error("invalid: {0}")]
    Invalid(Value),
    /// 415 for a body in a format we do not parse.
    #[error("unsupported media type {0}")]
    UnsupportedMediaType(String),
    /// 413 for a body over the route's limit, answered before the body is read.
    #[error("request body over {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// 503 with `Retry-After`, for a reason the server itself found: it is overloaded, the
    /// request ran out of time, or the outage monitor knows the database is down. Nothing
    /// the request started was committed.
    #[error("unavailable: {0:?}")]
    Unavailable(Unavailable),
    /// 408: the request body paused longer than the body-read timeout between two reads.
    /// Nothing was done; the connection is closed after the answer.
    #[error("request body stalled")]
    BodyTimeout,
    /// 500: the request was committing when the server stopped waiting for it (past its
    /// deadline, or the connection to PostgreSQL was lost during `COMMIT`): the change may or
    /// may not have been made. `database_lost` when the connection went away.
    #[error("outcome unknown")]
    OutcomeUnknown { database_lost: bool },
    /// 405 with the `Allow` header.
    #[error("method {method} not allowed")]
    MethodNotAllowed { method: String, allow: &'static str },
    /// A database error. Its class (`db::classify`) decides the answer: the 503 of an outage,
    /// a read-only node, a busy pool, a full server or a statement timeout (the same answers
    /// as [`ApiError::Unavailable`]), else a 500. The error is reported, never sent.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// 500 for a failure of ours while doing `during`; the source is reported, never sent.
    #[error("internal error while {during}: {source}")]
    Internal { during: &'static str, source: BoxError },
}

/// The `detail` of [`ApiError::BodyTimeout`].
pub const BODY_TIMEOUT: &str = "The request body was not received in time.";
/// The `detail` of [`ApiError::OutcomeUnknown`].
pub const OUTCOME_UNKNOWN: &str = "The outcome of this request is unknown: it was committing when the server stopped \
                                   waiting. Read the record to see whether the change was made.";

/// The message DRF uses for a missing object permission.
pub const NO_PERMISSION: &str = "You do not have permission to perform this action.";
/// The 404 body of an unknown, malformed or invisible offering-user uuid.
pub const NO_OFFERING_USER: &str = "No OfferingUser matches the given query.";

impl ApiError {
    /// `{"<field>": ["<message>"]}`
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid(json!({ field: [message.into()] }))
    }

    /// 403 with the standard DRF message.
    pub fn forbidden() -> Self {
        ApiError::Forbidden(NO_PERMISSION.to_owned())
    }

    /// 500 for `source`, met while doing `during`.
    pub fn internal(during: &'static str, source: impl Into<BoxError>) -> Self {
        ApiError::Internal { during, source: source.into() }
    }
}

impl From<sqlx::Error> for ApiError {
    /// Kept whole: the response decides what the class of the error means to the client.
    fn from(e: sqlx::Error) -> Self {
        ApiError::Database(e)
    }
}

/// Field errors collected in the order DRF reports them, for a 400 `{"field": ["msg"]}`.
#[derive(Debug, Default)]
pub struct FieldErrors(serde_json::Map<String, Value>);

impl FieldErrors {
    /// Records the message of `field` (one per field, as DRF's serializers report them).
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.insert(field.to_owned(), json!([message.into()]));
    }

    /// `Ok` when nothing was recorded, else the 400.
    pub fn into_result(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Invalid(Value::Object(self.0)))
        }
    }
}

/// `Result` for handlers.
pub type ApiResult<T> = Result<T, ApiError>;
