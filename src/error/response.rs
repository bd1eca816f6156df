//! How each [`ApiError`] is answered (status, headers, DRF-shaped body) and what it reports
//! about itself: a [`FailureReport`] extension that the request's log line (`http::observe`)
//! writes, and the extensions the metrics and the outage monitor read. Nothing here logs.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::{ApiError, AuthFailure, DatabaseErrorKind, Unavailable, BODY_TIMEOUT, OUTCOME_UNKNOWN};
use crate::db::ErrorClass;

/// What kind of failure a response answers, as its log line names it: a closed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    Unauthenticated,
    NotFound,
    Forbidden,
    BadRequest,
    UnsupportedMediaType,
    PayloadTooLarge,
    Unavailable,
    BodyTimeout,
    OutcomeUnknown,
    MethodNotAllowed,
    Database,
    Internal,
}

impl FailureKind {
    /// The `error_kind` field of the log line.
    pub fn label(self) -> &'static str {
        match self {
            FailureKind::Unauthenticated => "unauthenticated",
            FailureKind::NotFound => "not_found",
            FailureKind::Forbidden => "forbidden",
            FailureKind::BadRequest => "bad_request",
            FailureKind::UnsupportedMediaType => "unsupported_media_type",
            FailureKind::PayloadTooLarge => "payload_too_large",
            FailureKind::Unavailable => "unavailable",
            FailureKind::BodyTimeout => "body_timeout",
            FailureKind::OutcomeUnknown => "outcome_unknown",
            FailureKind::MethodNotAllowed => "method_not_allowed",
            FailureKind::Database => "database",
            FailureKind::Internal => "internal",
        }
    }
}

/// A failed response's account of itself (a response extension, server-side only): its
/// kind, and for a failure of ours (a database error, an internal one) the source error's
/// text, at most [`FailureReport::MAX_SOURCE_BYTES`] of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureReport {
    pub kind: FailureKind,
    pub source: Option<String>,
}

impl FailureReport {
    /// A database's message may quote a value it was sent: the log line takes a bounded part.
    pub const MAX_SOURCE_BYTES: usize = 1024;

    fn of(error: &ApiError) -> Self {
        let (kind, source) = match error {
            ApiError::Unauthenticated(_) => (FailureKind::Unauthenticated, None),
            ApiError::NotFound(_) => (FailureKind::NotFound, None),
            ApiError::Forbidden(_) => (FailureKind::Forbidden, None),
            ApiError::Detail(_) | ApiError::Invalid(_) => (FailureKind::BadRequest, None),
            ApiError::UnsupportedMediaType(_) => (FailureKind::UnsupportedMediaType, None),
            ApiError::PayloadTooLarge { .. } => (FailureKind::PayloadTooLarge, None),
            ApiError::Unavailable(_) => (FailureKind::Unavailable, None),
            ApiError::BodyTimeout => (FailureKind::BodyTimeout, None),
            ApiError::OutcomeUnknown { .. } => (FailureKind::OutcomeUnknown, None),
            ApiError::MethodNotAllowed { .. } => (FailureKind::MethodNotAllowed, None),
            ApiError::Database(e) => (FailureKind::Database, Some(e.to_string())),
            ApiError::Internal { during, source } => {
                (FailureKind::Internal, Some(format!("{during}: {}", chain(&**source))))
            }
        };
        FailureReport { kind, source: source.map(bounded) }
    }
}

/// An error and its sources, outermost first.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(source) = next {
        text.push_str(": ");
        text.push_str(&source.to_string());
        next = source.source();
    }
    text
}

/// `text` cut to [`FailureReport::MAX_SOURCE_BYTES`] at a character boundary.
fn bounded(mut text: String) -> String {
    if text.len() > FailureReport::MAX_SOURCE_BYTES {
        let mut end = FailureReport::MAX_SOURCE_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// The 503 a database error of this class is answered with; `None` for a failed statement
/// (a 500).
fn unavailable_for(class: ErrorClass) -> Option<Unavailable> {
    match class {
        ErrorClass::Unreachable => Some(Unavailable::Database),
        ErrorClass::ReadOnly => Some(Unavailable::DatabaseReadOnly),
        ErrorClass::PoolBusy => Some(Unavailable::PoolBusy),
        ErrorClass::TooManyConnections => Some(Unavailable::TooManyConnections),
        ErrorClass::Timeout => Some(Unavailable::DatabaseTimeout),
        ErrorClass::Conflict => Some(Unavailable::Conflict),
        ErrorClass::Other => None,
    }
}

/// What the database had to do with a 503, for the metrics and the outage monitor.
fn database_kind_of(why: Unavailable) -> Option<DatabaseErrorKind> {
    match why {
        Unavailable::Database => Some(DatabaseErrorKind::Unreachable),
        Unavailable::DatabaseTimeout => Some(DatabaseErrorKind::Timeout),
        Unavailable::DatabaseReadOnly => Some(DatabaseErrorKind::ReadOnly),
        Unavailable::PoolBusy => Some(DatabaseErrorKind::PoolTimeout),
        Unavailable::TooManyConnections => Some(DatabaseErrorKind::TooManyConnections),
        Unavailable::Overloaded | Unavailable::Timeout | Unavailable::Conflict => None,
    }
}

fn detail(status: StatusCode, message: &str) -> Response {
    body(status, json!({ "detail": message }))
}

fn body(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// The 503 of `why`: `Retry-After`, and the reason for the metrics.
fn unavailable(why: Unavailable) -> Response {
    let mut response = detail(StatusCode::SERVICE_UNAVAILABLE, why.message());
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(why.retry_after()));
    response.extensions_mut().insert(why);
    if let Some(kind) = database_kind_of(why) {
        response.extensions_mut().insert(kind);
    }
    response
}

fn internal_server_error() -> Response {
    detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error.")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let report = FailureReport::of(&self);
        let mut response = match self {
            ApiError::Unauthenticated(why) => {
                let mut response = detail(StatusCode::UNAUTHORIZED, why.message());
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
                // The metrics label comes from the variant, never from the message's text.
                response.extensions_mut().insert(AuthFailure(why.label()));
                response
            }
            ApiError::NotFound(message) => detail(StatusCode::NOT_FOUND, message),
            ApiError::Forbidden(message) => detail(StatusCode::FORBIDDEN, &message),
            ApiError::Detail(message) => detail(StatusCode::BAD_REQUEST, &message),
            ApiError::Invalid(value) => body(StatusCode::BAD_REQUEST, value),
            ApiError::UnsupportedMediaType(media_type) => detail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &format!("Unsupported media type \"{media_type}\" in request."),
            ),
            ApiError::PayloadTooLarge { limit } => detail(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("Request body is too large: at most {limit} bytes are accepted here."),
            ),
            ApiError::Unavailable(why) => unavailable(why),
            ApiError::BodyTimeout => {
                // The rest of the body is not read: the connection cannot carry another request.
                let mut response = detail(StatusCode::REQUEST_TIMEOUT, BODY_TIMEOUT);
                response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
                response
            }
            ApiError::OutcomeUnknown { database_lost } => {
                let mut response = detail(StatusCode::INTERNAL_SERVER_ERROR, OUTCOME_UNKNOWN);
                if database_lost {
                    response.extensions_mut().insert(DatabaseErrorKind::Unreachable);
                }
                response
            }
            ApiError::MethodNotAllowed { method, allow } => {
                let mut response = detail(StatusCode::METHOD_NOT_ALLOWED, &format!("Method \"{method}\" not allowed."));
                response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
                response
            }
            ApiError::Database(e) => match unavailable_for(crate::db::classify(&e)) {
                Some(why) => unavailable(why),
                None => {
                    let mut response = internal_server_error();
                    response.extensions_mut().insert(DatabaseErrorKind::Other);
                    response
                }
            },
            ApiError::Internal { .. } => internal_server_error(),
        };
        response.extensions_mut().insert(report);
        response
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use axum::http::HeaderName;
    use http_body_util::BodyExt;

    use super::*;

    /// One row of the table: what a variant is answered with and what it reports.
    struct Expected {
        status: u16,
        body: Value,
        headers: &'static [(&'static str, &'static str)],
        kind: FailureKind,
        source: Option<&'static str>,
        unavailable: Option<Unavailable>,
        database: Option<DatabaseErrorKind>,
        auth: Option<&'static str>,
    }

    const NO_HEADERS: &[(&str, &str)] = &[];
    /// The headers the table looks at; each must be exactly as listed, or absent.
    const CHECKED: [&str; 5] = ["retry-after", "www-authenticate", "allow", "connection", "content-type"];

    fn row(status: u16, body: Value, kind: FailureKind) -> Expected {
        Expected {
            status,
            body,
            headers: NO_HEADERS,
            kind,
            source: None,
            unavailable: None,
            database: None,
            auth: None,
        }
    }

    fn detail_row(status: u16, message: &str, kind: FailureKind) -> Expected {
        row(status, json!({ "detail": message }), kind)
    }

    fn database_error(code: &str) -> sqlx::Error {
        // The server's own kind of error, as PostgreSQL reports a SQLSTATE: a protocol
        // error stands for a connection that broke, `PoolTimedOut` for a busy pool.
        match code {
            "io" => sqlx::Error::Io(io::Error::new(io::ErrorKind::ConnectionReset, "connection reset by peer")),
            "pool" => sqlx::Error::PoolTimedOut,
            "decode" => sqlx::Error::ColumnNotFound("state".into()),
            other => panic!("no sample for {other}"),
        }
    }

    fn table() -> Vec<(ApiError, Expected)> {
        let busy = "The server is busy. Try again later.";
        let down = "The database is unavailable. Try again later.";
        let slow = "The request took too long and was cancelled; nothing was saved. Try again later.";
        let retry = |seconds: &'static str| -> &'static [(&'static str, &'static str)] {
            match seconds {
                "1" => &[("retry-after", "1")],
                _ => &[("retry-after", "5")],
            }
        };
        vec![
            (
                ApiError::Unauthenticated(crate::domain::auth_failure::AuthFailure::UnknownKey),
                Expected {
                    headers: &[("www-authenticate", "Token")],
                    auth: Some("invalid"),
                    ..detail_row(401, "Invalid token.", FailureKind::Unauthenticated)
                },
            ),
            (
                ApiError::Unauthenticated(crate::domain::auth_failure::AuthFailure::Missing),
                Expected {
                    headers: &[("www-authenticate", "Token")],
                    auth: Some("missing"),
                    ..detail_row(401, "Authentication credentials were not provided.", FailureKind::Unauthenticated)
                },
            ),
            (ApiError::NotFound("Not found."), detail_row(404, "Not found.", FailureKind::NotFound)),
            (ApiError::forbidden(), detail_row(403, super::super::NO_PERMISSION, FailureKind::Forbidden)),
            (ApiError::Detail("Bad.".into()), detail_row(400, "Bad.", FailureKind::BadRequest)),
            (ApiError::field("state", "Nope."), row(400, json!({"state": ["Nope."]}), FailureKind::BadRequest)),
            (
                ApiError::UnsupportedMediaType("text/plain".into()),
                detail_row(415, "Unsupported media type \"text/plain\" in request.", FailureKind::UnsupportedMediaType),
            ),
            (
                ApiError::PayloadTooLarge { limit: 10 },
                detail_row(
                    413,
                    "Request body is too large: at most 10 bytes are accepted here.",
                    FailureKind::PayloadTooLarge,
                ),
            ),
            (
                ApiError::Unavailable(Unavailable::Overloaded),
                Expected {
                    headers: retry("1"),
                    unavailable: Some(Unavailable::Overloaded),
                    ..detail_row(503, busy, FailureKind::Unavailable)
                },
            ),
            (
                ApiError::Unavailable(Unavailable::Timeout),
                Expected {
                    headers: retry("1"),
                    unavailable: Some(Unavailable::Timeout),
                    ..detail_row(503, slow, FailureKind::Unavailable)
                },
            ),
            (
                ApiError::Unavailable(Unavailable::Database),
                Expected {
                    headers: retry("5"),
                    unavailable: Some(Unavailable::Database),
                    database: Some(DatabaseErrorKind::Unreachable),
                    ..detail_row(503, down, FailureKind::Unavailable)
                },
            ),
            (
                ApiError::BodyTimeout,
                Expected {
                    headers: &[("connection", "close")],
                    ..detail_row(408, BODY_TIMEOUT, FailureKind::BodyTimeout)
                },
            ),
            (
                ApiError::OutcomeUnknown { database_lost: false },
                detail_row(500, OUTCOME_UNKNOWN, FailureKind::OutcomeUnknown),
            ),
            (
                ApiError::OutcomeUnknown { database_lost: true },
                Expected {
                    database: Some(DatabaseErrorKind::Unreachable),
                    ..detail_row(500, OUTCOME_UNKNOWN, FailureKind::OutcomeUnknown)
                },
            ),
            (
                ApiError::MethodNotAllowed { method: "PUT".into(), allow: "GET, HEAD, OPTIONS" },
                Expected {
                    headers: &[("allow", "GET, HEAD, OPTIONS")],
                    ..detail_row(405, "Method \"PUT\" not allowed.", FailureKind::MethodNotAllowed)
                },
            ),
            (
                database_error("io").into(),
                Expected {
                    headers: retry("5"),
                    unavailable: Some(Unavailable::Database),
                    database: Some(DatabaseErrorKind::Unreachable),
                    source: Some("error communicating with database: connection reset by peer"),
                    ..detail_row(503, down, FailureKind::Database)
                },
            ),
            (
                database_error("pool").into(),
                Expected {
                    headers: retry("1"),
                    unavailable: Some(Unavailable::PoolBusy),
                    database: Some(DatabaseErrorKind::PoolTimeout),
                    source: Some("pool timed out while waiting for an open connection"),
                    ..detail_row(503, busy, FailureKind::Database)
                },
            ),
            (
                database_error("decode").into(),
                Expected {
                    database: Some(DatabaseErrorKind::Other),
                    source: Some("no column found for name: state"),
                    ..detail_row(500, "Internal server error.", FailureKind::Database)
                },
            ),
            (
                ApiError::internal("serializing a page", io::Error::other("disk on fire")),
                Expected {
                    source: Some("serializing a page: disk on fire"),
                    ..detail_row(500, "Internal server error.", FailureKind::Internal)
                },
            ),
        ]
    }

    #[tokio::test]
    async fn every_variant_has_its_status_headers_body_and_report() {
        for (error, want) in table() {
            let name = format!("{error:?}");
            let response = error.into_response();
            assert_eq!(response.status().as_u16(), want.status, "{name}");
            for header in CHECKED {
                let expected = match header {
                    "content-type" => Some("application/json"),
                    _ => want.headers.iter().find(|(h, _)| *h == header).map(|(_, v)| *v),
                };
                let got = response.headers().get(HeaderName::from_static(header)).map(|v| v.to_str().unwrap());
                assert_eq!(got, expected, "{name}: {header}");
            }
            let extensions = response.extensions();
            let report = extensions.get::<FailureReport>().expect("every failure reports itself");
            assert_eq!(report.kind, want.kind, "{name}");
            assert_eq!(report.source.as_deref(), want.source, "{name}");
            assert_eq!(extensions.get::<Unavailable>().copied(), want.unavailable, "{name}");
            assert_eq!(extensions.get::<DatabaseErrorKind>().copied(), want.database, "{name}");
            assert_eq!(extensions.get::<AuthFailure>().map(|a| a.0), want.auth, "{name}");
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), want.body, "{name}");
        }
    }

    #[test]
    fn every_database_class_has_its_answer() {
        let table = [
            (ErrorClass::Unreachable, Some(Unavailable::Database)),
            (ErrorClass::ReadOnly, Some(Unavailable::DatabaseReadOnly)),
            (ErrorClass::PoolBusy, Some(Unavailable::PoolBusy)),
            (ErrorClass::TooManyConnections, Some(Unavailable::TooManyConnections)),
            (ErrorClass::Timeout, Some(Unavailable::DatabaseTimeout)),
            (ErrorClass::Conflict, Some(Unavailable::Conflict)),
            (ErrorClass::Other, None),
        ];
        for (class, want) in table {
            assert_eq!(unavailable_for(class), want, "{class:?}");
        }
        // Each 503 reason keeps the retry delay and metrics kinds it had.
        let reasons = [
            (Unavailable::Database, 5, Some(DatabaseErrorKind::Unreachable)),
            (Unavailable::DatabaseReadOnly, 5, Some(DatabaseErrorKind::ReadOnly)),
            (Unavailable::PoolBusy, 1, Some(DatabaseErrorKind::PoolTimeout)),
            (Unavailable::TooManyConnections, 1, Some(DatabaseErrorKind::TooManyConnections)),
            (Unavailable::DatabaseTimeout, 1, Some(DatabaseErrorKind::Timeout)),
            (Unavailable::Overloaded, 1, None),
            (Unavailable::Timeout, 1, None),
            (Unavailable::Conflict, 1, None),
        ];
        for (why, retry_after, kind) in reasons {
            let response = unavailable(why);
            assert_eq!(response.headers()[header::RETRY_AFTER], retry_after.to_string().as_str(), "{why:?}");
            assert_eq!(response.extensions().get::<DatabaseErrorKind>().copied(), kind, "{why:?}");
        }
    }

    #[test]
    fn a_long_source_is_cut_at_a_character_boundary() {
        let long = "é".repeat(FailureReport::MAX_SOURCE_BYTES);
        let report = FailureReport::of(&ApiError::internal("x", long));
        let source = report.source.unwrap();
        assert!(source.len() <= FailureReport::MAX_SOURCE_BYTES + '…'.len_utf8(), "{}", source.len());
        assert!(source.starts_with("x: éé") && source.ends_with('…'));
    }

    #[test]
    fn an_internal_error_reports_its_whole_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("reading the answers")]
        struct Outer(#[source] io::Error);
        let report = FailureReport::of(&ApiError::internal("loading", Outer(io::Error::other("broken pipe"))));
        assert_eq!(report.source.as_deref(), Some("loading: reading the answers: broken pipe"));
    }
}
