//! What handlers read from a request beyond the standard extractors: the raw query pairs
//! (repeated keys kept), the absolute base URL for hyperlinks, the uuid in the path, and a
//! body that may be JSON, form-encoded or absent.

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{ApiError, NO_OFFERING_USER};

/// The query string as ordered `(key, value)` pairs; repeated keys are kept, which
/// `serde_urlencoded` would not do (clients.md rule 4).
#[derive(Debug, Clone, Default)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        Ok(QueryPairs(url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()))
    }
}

/// `scheme://host` of the request, the root of every hyperlink we emit.
#[derive(Debug, Clone)]
pub struct BaseUrl(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BaseUrl {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(BaseUrl(base_url(&parts.headers, parts.uri.authority().map(|a| a.as_str()))))
    }
}

fn base_url(headers: &HeaderMap, authority: Option<&str>) -> String {
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).or(authority).unwrap_or("localhost");
    // Behind a TLS-terminating proxy the links must say https.
    let scheme = match headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()) {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

/// The uuid of a path segment in any form Python's `uuid.UUID` accepts (hex, dashed, braces,
/// `urn:uuid:`); anything else is the 404 of an unknown record.
pub fn offering_user_uuid(segment: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(segment).map_err(|_| ApiError::NotFound(NO_OFFERING_USER))
}

/// A request body read as a JSON object: JSON, form-encoded, or empty (`{}`).
/// A body that is JSON but not an object is returned as is, for the caller to reject.
pub fn body_value(headers: &HeaderMap, body: &Bytes) -> Result<Value, ApiError> {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let mut map = Map::new();
        for (key, value) in url::form_urlencoded::parse(body) {
            map.insert(key.into_owned(), Value::String(value.into_owned()));
        }
        return Ok(Value::Object(map));
    }
    if !content_type.is_empty() && !content_type.starts_with("application/json") && !content_type.contains("+json") {
        return Err(ApiError::UnsupportedMediaType(content_type.split(';').next().unwrap_or("").trim().to_owned()));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::Detail(format!("JSON parse error - {e}")))
}

/// Like [`body_value`], but the body must be an object (DRF: "Invalid data. Expected a
/// dictionary, but got …").
pub fn body_object(headers: &HeaderMap, body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    match body_value(headers, body)? {
        Value::Object(map) => Ok(map),
        other => Err(ApiError::Invalid(serde_json::json!({
            "non_field_errors": [format!("Invalid data. Expected a dictionary, but got {}.", python_type_name(&other))]
        }))),
    }
}

/// The Python type name DRF puts in its messages.
pub fn python_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}
