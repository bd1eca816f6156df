//! The one error type, and how it becomes the DRF-shaped response clients expect.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::db::ErrorClass;

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
    /// 503 with `Retry-After`: the database is unreachable, the server is overloaded, or the
    /// request ran out of time. Nothing the request started was committed.
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
    /// 500 for a database error that is neither an outage nor a timeout; the cause is
    /// logged once and never sent.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// 500; the cause is logged once and never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why a request is answered 503; each has its own message and `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// PostgreSQL cannot be reached (or refused the connection).
    Database,
    /// More requests are in progress than the server takes on.
    Overloaded,
    /// The request took longer than the request timeout.
    Timeout,
    /// PostgreSQL cancelled a statement past `statement_timeout`, or ended a transaction left
    /// idle too long: to the client, the same as [`Unavailable::Timeout`].
    DatabaseTimeout,
    /// The node refuses writes (25006: a standby or demoted primary): to the client, the same
    /// as [`Unavailable::Database`].
    DatabaseReadOnly,
    /// No pool connection came free within the acquire timeout: to the client, the same as
    /// [`Unavailable::Overloaded`]; the database is not suspected.
    PoolBusy,
    /// PostgreSQL had no connection slot left (53300): overloaded too, not an outage.
    TooManyConnections,
    /// PostgreSQL rolled the transaction back to break a deadlock or for a serialization
    /// failure. The request is replayed (`http::retry`); a client sees this only when the
    /// replays failed too, or the request could not be replayed.
    Conflict,
}

impl Unavailable {
    /// The `detail` of the 503 body.
    pub fn message(self) -> &'static str {
        match self {
            Unavailable::Database | Unavailable::DatabaseReadOnly => "The database is unavailable. Try again later.",
            Unavailable::Overloaded | Unavailable::PoolBusy | Unavailable::TooManyConnections => {
                "The server is busy. Try again later."
            }
            Unavailable::Timeout | Unavailable::DatabaseTimeout => {
                "The request took too long and was cancelled; nothing was saved. Try again later."
            }
            Unavailable::Conflict => {
                "The request met a concurrent change and was rolled back; nothing was saved. Try again."
            }
        }
    }

    /// Seconds a client should wait before trying again.
    pub fn retry_after(self) -> u32 {
        match self {
            Unavailable::Database | Unavailable::DatabaseReadOnly => 5,
            Unavailable::Overloaded
            | Unavailable::PoolBusy
            | Unavailable::TooManyConnections
            | Unavailable::Timeout
            | Unavailable::DatabaseTimeout
            | Unavailable::Conflict => 1,
        }
    }
}

impl Unavailable {
    /// The label of the 503 in metrics.
    pub fn label(self) -> &'static str {
        match self {
            Unavailable::Database | Unavailable::DatabaseReadOnly => "database",
            Unavailable::Overloaded | Unavailable::PoolBusy | Unavailable::TooManyConnections => "overloaded",
            Unavailable::Timeout | Unavailable::DatabaseTimeout => "timeout",
            Unavailable::Conflict => "conflict",
        }
    }
}

/// What a response says about the database error behind it (a response extension), for the
/// outage monitor (`Unreachable` makes it look at once instead of at its next tick) and the
/// metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseErrorKind {
    Unreachable,
    Timeout,
    Other,
    /// 25006: the node refuses writes.
    ReadOnly,
    /// The pool had no free connection in time.
    PoolTimeout,
    /// 53300: PostgreSQL had no connection slot left.
    TooManyConnections,
}

impl DatabaseErrorKind {
    /// The label in metrics.
    pub fn label(self) -> &'static str {
        match self {
            DatabaseErrorKind::Unreachable => "unreachable",
            DatabaseErrorKind::Timeout => "timeout",
            DatabaseErrorKind::Other => "other",
            DatabaseErrorKind::ReadOnly => "read_only",
            DatabaseErrorKind::PoolTimeout => "pool_timeout",
            DatabaseErrorKind::TooManyConnections => "too_many_connections",
        }
    }

    /// Whether the monitor should probe at once: the database may be gone or read-only.
    /// A busy pool or a full server is load, not an outage.
    pub fn suspects_the_database(self) -> bool {
        matches!(self, DatabaseErrorKind::Unreachable | DatabaseErrorKind::ReadOnly)
    }
}

/// Why authentication failed (a response extension), for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthFailure(pub &'static str);

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
}

impl From<sqlx::Error> for ApiError {
    /// A lost or refused connection, or a node that refuses writes, is the database's outage,
    /// not a fault of the request: it becomes the 503 that tells the client to come back; a
    /// busy pool or a full server is a 503 "busy"; anything else is a 500.
    fn from(e: sqlx::Error) -> Self {
        let why = match crate::db::classify(&e) {
            ErrorClass::Unreachable => {
                tracing::warn!(error = %e, "database unreachable");
                Unavailable::Database
            }
            ErrorClass::ReadOnly => {
                tracing::warn!(error = %e, "the database refuses writes (read-only)");
                Unavailable::DatabaseReadOnly
            }
            ErrorClass::PoolBusy => {
                tracing::debug!("no pool connection came free in time");
                Unavailable::PoolBusy
            }
            ErrorClass::TooManyConnections => {
                tracing::warn!(error = %e, "PostgreSQL has no connection slot left");
                Unavailable::TooManyConnections
            }
            ErrorClass::Timeout => {
                tracing::warn!(error = %e, "statement cancelled by a database timeout");
                Unavailable::DatabaseTimeout
            }
            ErrorClass::Conflict => {
                tracing::debug!(error = %e, "transaction rolled back by a conflict");
                Unavailable::Conflict
            }
            ErrorClass::Other => return ApiError::Database(e),
        };
        ApiError::Unavailable(why)
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            ApiError::Unauthenticated(why) => (StatusCode::UNAUTHORIZED, json!({ "detail": why.message() })),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, json!({ "detail": m })),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, json!({ "detail": m })),
            ApiError::Detail(m) => (StatusCode::BAD_REQUEST, json!({ "detail": m })),
            ApiError::Invalid(v) => (StatusCode::BAD_REQUEST, v.clone()),
            ApiError::UnsupportedMediaType(t) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                json!({ "detail": format!("Unsupported media type \"{t}\" in request.") }),
            ),
            ApiError::PayloadTooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({ "detail": format!("Request body is too large: at most {limit} bytes are accepted here.") }),
            ),
            ApiError::Unavailable(why) => (StatusCode::SERVICE_UNAVAILABLE, json!({ "detail": why.message() })),
            ApiError::BodyTimeout => (StatusCode::REQUEST_TIMEOUT, json!({ "detail": BODY_TIMEOUT })),
            ApiError::OutcomeUnknown { .. } => {
                (StatusCode::INTERNAL_SERVER_ERROR, json!({ "detail": OUTCOME_UNKNOWN }))
            }
            ApiError::MethodNotAllowed { method, .. } => {
                (StatusCode::METHOD_NOT_ALLOWED, json!({ "detail": format!("Method \"{method}\" not allowed.") }))
            }
            ApiError::Database(cause) => {
                tracing::error!(error = %cause, "request failed on a database error");
                (StatusCode::INTERNAL_SERVER_ERROR, json!({ "detail": "Internal server error." }))
            }
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, json!({ "detail": "Internal server error." }))
            }
        };
        let mut response = (status, axum::Json(body)).into_response();
        match self {
            ApiError::Unauthenticated(why) => {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
                response.extensions_mut().insert(AuthFailure(why.label()));
            }
            ApiError::Database(_) => {
                response.extensions_mut().insert(DatabaseErrorKind::Other);
            }
            ApiError::OutcomeUnknown { database_lost: true } => {
                response.extensions_mut().insert(DatabaseErrorKind::Unreachable);
            }
            ApiError::MethodNotAllowed { allow, .. } => {
                response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            ApiError::Unavailable(why) => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(why.retry_after()));
                response.extensions_mut().insert(why);
                let kind = match why {
                    Unavailable::Database => Some(DatabaseErrorKind::Unreachable),
                    Unavailable::DatabaseTimeout => Some(DatabaseErrorKind::Timeout),
                    Unavailable::DatabaseReadOnly => Some(DatabaseErrorKind::ReadOnly),
                    Unavailable::PoolBusy => Some(DatabaseErrorKind::PoolTimeout),
                    Unavailable::TooManyConnections => Some(DatabaseErrorKind::TooManyConnections),
                    Unavailable::Overloaded | Unavailable::Timeout | Unavailable::Conflict => None,
                };
                if let Some(kind) = kind {
                    response.extensions_mut().insert(kind);
                }
            }
            _ => {}
        }
        response
    }
}
