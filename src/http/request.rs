//! What handlers read from a request beyond the standard extractors: the raw query pairs
//! (repeated keys kept), the root of hyperlinks, and a body that may be JSON, form-encoded or
//! absent. The uuid in the path is `path_uuid`'s.

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use serde_json::{Map, Value};

use super::hosts::{effective_host, first_value, split_host};
use super::json_bound::JsonBound;
use super::{AppState, Settings};
use crate::domain::python::py_type_name;
use crate::error::ApiError;

/// The query string as ordered `(key, value)` pairs; repeated keys are kept, which
/// `serde_urlencoded` would not do (docs/spec/clients.md rule 4).
#[derive(Debug, Clone, Default)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        Ok(QueryPairs(url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()))
    }
}

/// The root of every hyperlink we emit, without a trailing slash: `--public-url` when set
/// (its path prefix kept, e.g. `https://example.org/waldur`), else `scheme://host` of the
/// request.
#[derive(Debug, Clone)]
pub struct BaseUrl(pub String);

impl FromRequestParts<AppState> for BaseUrl {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let authority = parts.uri.authority().map(|a| a.as_str());
        Ok(BaseUrl(link_root(&state.settings, &parts.headers, authority)))
    }
}

/// See [`BaseUrl`]. `X-Forwarded-Proto` and `X-Forwarded-Host` count only with
/// `--trust-forwarded-headers`: anyone can send them, and a proxy that does not set them
/// would let a client choose the address of every link it is answered with.
pub fn link_root(settings: &Settings, headers: &HeaderMap, authority: Option<&str>) -> String {
    if let Some(url) = &settings.public_url {
        return public_root(url);
    }
    let trusted = settings.trust_forwarded_headers;
    // A malformed host never reaches a handler (`hosts::require_allowed_host`); this is the
    // fallback for a request without any.
    let host = effective_host(headers, authority, trusted).filter(|h| split_host(h).is_some()).unwrap_or("localhost");
    let scheme = match first_value(headers, "x-forwarded-proto") {
        Some(proto) if trusted && proto.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

/// `scheme://host[:port][/prefix]` of the public URL: no user info, no trailing slash.
fn public_root(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("localhost");
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{host}{port}{}", url.scheme(), script_prefix_of(url))
}

/// The path under which the server is published (`/waldur` for `https://example.org/waldur/`),
/// empty without `--public-url` or when it has no path. Hyperlinks that clients send back carry
/// it in front of the API's paths.
pub fn script_prefix(settings: &Settings) -> &str {
    settings.public_url.as_ref().map(script_prefix_of).unwrap_or("")
}

fn script_prefix_of(url: &url::Url) -> &str {
    url.path().trim_end_matches('/')
}

/// `path` without the script prefix in front of it (DRF strips `get_script_prefix()` from a
/// hyperlink before resolving it); unchanged when it does not start with the prefix.
pub fn strip_script_prefix<'a>(path: &'a str, prefix: &str) -> &'a str {
    match path.strip_prefix(prefix) {
        Some(rest) if !prefix.is_empty() && rest.starts_with('/') => rest,
        _ => path,
    }
}

/// A request body read as a JSON object: JSON, form-encoded, or empty (`{}`).
/// A body that is JSON but not an object is returned as is, for the caller to reject.
/// A body holding more than `bound` allows is refused before it is parsed.
pub fn body_value(headers: &HeaderMap, body: &Bytes, bound: &JsonBound) -> Result<Value, ApiError> {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        bound.check_form(body)?;
        let mut map = Map::new();
        for (key, value) in url::form_urlencoded::parse(body) {
            map.insert(key.into_owned(), Value::String(value.into_owned()));
        }
        return Ok(Value::Object(map));
    }
    if !content_type.is_empty() && !content_type.starts_with("application/json") && !content_type.contains("+json") {
        return Err(ApiError::UnsupportedMediaType(content_type.split(';').next().unwrap_or("").trim().to_owned()));
    }
    bound.check(body)?;
    serde_json::from_slice(body).map_err(|e| ApiError::Detail(format!("JSON parse error - {e}")))
}

/// Like [`body_value`], but the body must be an object (DRF: "Invalid data. Expected a
/// dictionary, but got …").
pub fn body_object(headers: &HeaderMap, body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    match body_value(headers, body, &JsonBound::OBJECT)? {
        Value::Object(map) => Ok(map),
        other => Err(ApiError::Invalid(serde_json::json!({
            "non_field_errors": [format!("Invalid data. Expected a dictionary, but got {}.", py_type_name(&other))]
        }))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(public_url: Option<&str>, trust_forwarded_headers: bool) -> Settings {
        Settings {
            public_url: public_url.map(|u| crate::config::parse_public_url(u).unwrap()),
            trust_forwarded_headers,
            ..Settings::default()
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (axum::http::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    #[test]
    fn public_url_is_the_root_with_its_prefix_and_without_user_info() {
        let h = headers(&[("host", "internal:8000")]);
        let cases = [
            ("https://waldur.example.org", "https://waldur.example.org"),
            ("https://waldur.example.org/", "https://waldur.example.org"),
            ("https://example.org/waldur/", "https://example.org/waldur"),
            ("http://example.org:8080/a/b", "http://example.org:8080/a/b"),
            ("https://me:secret@example.org/", "https://example.org"),
        ];
        for (public, root) in cases {
            assert_eq!(link_root(&settings(Some(public), false), &h, None), root, "{public}");
        }
        assert_eq!(script_prefix(&settings(Some("https://example.org/waldur/"), false)), "/waldur");
        assert_eq!(script_prefix(&settings(Some("https://example.org/"), false)), "");
        assert_eq!(script_prefix(&settings(None, false)), "");
    }

    #[test]
    fn script_prefix_is_stripped_only_at_a_segment_boundary() {
        assert_eq!(strip_script_prefix("/waldur/api/users/x/", "/waldur"), "/api/users/x/");
        assert_eq!(strip_script_prefix("/waldurx/api/", "/waldur"), "/waldurx/api/");
        assert_eq!(strip_script_prefix("/api/users/", ""), "/api/users/");
    }

    #[test]
    fn forwarded_headers_shape_links_only_when_trusted() {
        let h = headers(&[
            ("host", "internal:8000"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "waldur.example.org"),
        ]);
        assert_eq!(link_root(&settings(None, false), &h, None), "http://internal:8000");
        assert_eq!(link_root(&settings(None, true), &h, None), "https://waldur.example.org");
        let bad = headers(&[("host", "evil.com/x?"), ("x-forwarded-proto", "gopher")]);
        assert_eq!(link_root(&settings(None, true), &bad, None), "http://localhost");
    }
}
