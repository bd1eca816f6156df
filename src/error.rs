//! The one error type, and how it becomes the DRF-shaped response clients expect.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401 with `WWW-Authenticate: Token`.
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
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
    /// 405 with the `Allow` header.
    #[error("method {method} not allowed")]
    MethodNotAllowed { method: String, allow: &'static str },
    /// 500; the cause is logged once and never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

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
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// `Result` for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            ApiError::Unauthenticated(m) => (StatusCode::UNAUTHORIZED, json!({ "detail": m })),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, json!({ "detail": m })),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, json!({ "detail": m })),
            ApiError::Detail(m) => (StatusCode::BAD_REQUEST, json!({ "detail": m })),
            ApiError::Invalid(v) => (StatusCode::BAD_REQUEST, v.clone()),
            ApiError::UnsupportedMediaType(t) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                json!({ "detail": format!("Unsupported media type \"{t}\" in request.") }),
            ),
            ApiError::MethodNotAllowed { method, .. } => {
                (StatusCode::METHOD_NOT_ALLOWED, json!({ "detail": format!("Method \"{method}\" not allowed.") }))
            }
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, json!({ "detail": "Internal server error." }))
            }
        };
        let mut response = (status, axum::Json(body)).into_response();
        match self {
            ApiError::Unauthenticated(_) => {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
            }
            ApiError::MethodNotAllowed { allow, .. } => {
                response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            _ => {}
        }
        response
    }
}
