//! Field parsing with DRF's messages: hyperlinks, booleans, strings, URLs, and the HTML
//! allow-list for service-provider comments.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::blocking;
use crate::domain::python::py_type_name;
use crate::error::{ApiResult, FieldErrors};
use crate::http::request::strip_script_prefix;

/// The routes a hyperlink may name; any other path is "No URL match".
const KNOWN_ROUTES: [&str; 7] = [
    "/api/users/",
    "/api/marketplace-provider-offerings/",
    "/api/marketplace-public-offerings/",
    "/api/marketplace-offering-users/",
    "/api/customers/",
    "/api/projects/",
    "/api/marketplace-service-providers/",
];

/// The uuid a hyperlink field names, or DRF's message for it. `route` is the one route the
/// field accepts, e.g. `/api/users/`; `script_prefix` (the path the server is published
/// under, `/waldur` or empty) is dropped from the front of the path first, as DRF does.
pub(super) fn hyperlink(value: &Value, route: &str, script_prefix: &str) -> Result<Uuid, String> {
    let text = match value {
        Value::String(text) => text,
        other => return Err(format!("Incorrect type. Expected URL string, received {}.", py_type_name(other))),
    };
    let path = match text.find("://") {
        Some(i) => {
            let rest = &text[i + 3..];
            rest.find('/').map(|p| &rest[p..]).unwrap_or("/")
        }
        None => text.as_str(),
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let path = strip_script_prefix(path, script_prefix);
    let Some(prefix) = KNOWN_ROUTES.iter().find(|r| path.starts_with(**r)) else {
        return Err("Invalid hyperlink - No URL match.".into());
    };
    let segment = path[prefix.len()..].trim_end_matches('/');
    if segment.is_empty() || segment.contains('/') {
        return Err("Invalid hyperlink - No URL match.".into());
    }
    if *prefix != route {
        return Err("Invalid hyperlink - Incorrect URL match.".into());
    }
    Uuid::parse_str(segment).map_err(|_| "Invalid hyperlink - Object does not exist.".into())
}

/// DRF's `BooleanField`: true/false, 1/0, and the usual words, in the cases DRF lists.
pub(super) fn boolean(value: &Value) -> Result<bool, &'static str> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Null => Err("This field may not be null."),
        Value::Number(n) if n.as_f64() == Some(1.0) => Ok(true),
        Value::Number(n) if n.as_f64() == Some(0.0) => Ok(false),
        Value::String(s) => match s.as_str() {
            "true" | "True" | "TRUE" | "t" | "T" | "yes" | "Yes" | "YES" | "y" | "Y" | "on" | "On" | "ON" | "1" => {
                Ok(true)
            }
            "false" | "False" | "FALSE" | "f" | "F" | "no" | "No" | "NO" | "n" | "N" | "off" | "Off" | "OFF" | "0" => {
                Ok(false)
            }
            _ => Err("Must be a valid boolean."),
        },
        _ => Err("Must be a valid boolean."),
    }
}

/// DRF's `CharField` (blank allowed): a string of at most `max` characters. Numbers are
/// accepted as their text, as DRF does.
pub(super) fn string(value: &Value, max: Option<usize>) -> Result<String, String> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Null => return Err("This field may not be null.".into()),
        _ => return Err("Not a valid string.".into()),
    };
    if let Some(max) = max {
        if text.chars().count() > max {
            return Err(format!("Ensure this field has no more than {max} characters."));
        }
    }
    // DRF's ProhibitNullCharactersValidator; PostgreSQL could not store the text anyway.
    if text.contains('\0') {
        return Err("Null characters are not allowed.".into());
    }
    Ok(text)
}

/// DRF's `URLField` (blank allowed, at most 200 characters): Django's URL validator accepts
/// http, https, ftp and ftps URLs with a host.
pub(super) fn url(value: &Value) -> Result<String, String> {
    let text = string(value, None)?;
    if text.is_empty() {
        return Ok(text);
    }
    if text.chars().count() > 200 {
        return Err("Ensure this field has no more than 200 characters.".into());
    }
    let valid = url::Url::parse(&text)
        .map(|u| {
            matches!(u.scheme(), "http" | "https" | "ftp" | "ftps")
                && u.host_str().is_some_and(|h| !h.is_empty())
                && !text.chars().any(char::is_whitespace)
        })
        .unwrap_or(false);
    if valid {
        Ok(text)
    } else {
        Err("Enter a valid URL.".into())
    }
}

/// What a JSON `null` in a service-provider comment field means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NullComment {
    /// DRF's "This field may not be null." (`update_comments`).
    Invalid,
    /// The field is left unchanged, as if absent (`update_runtime_state`,
    /// docs/spec/offering-users-2026.md §11 Q3, like decisions 12a).
    Unchanged,
}

/// `service_provider_comment` (still to be sanitized) and `service_provider_comment_url` of a
/// body; an absent field is `None` (left unchanged), `""` clears. Errors are collected into
/// `errors` under the field's name.
pub(super) fn service_provider_comments(
    body: &Map<String, Value>,
    null: NullComment,
    errors: &mut FieldErrors,
) -> (Option<String>, Option<String>) {
    let given = |key: &str| match body.get(key) {
        Some(Value::Null) if null == NullComment::Unchanged => None,
        other => other,
    };
    let comment = given("service_provider_comment").and_then(|value| match string(value, Some(MAX_COMMENT_CHARS)) {
        Ok(text) => Some(text),
        Err(message) => {
            errors.add("service_provider_comment", message);
            None
        }
    });
    let comment_url = given("service_provider_comment_url").and_then(|value| match url(value) {
        Ok(url) => Some(url),
        Err(message) => {
            errors.add("service_provider_comment_url", message);
            None
        }
    });
    (comment, comment_url)
}

/// Most characters of a service-provider comment (`service_provider_comment`, and the
/// `comment` of the pending actions). Upstream has no limit; HTML sanitizing takes time
/// that grows faster than the text (unclosed nested tags), so the limit is what bounds it.
pub const MAX_COMMENT_CHARS: usize = 10_000;

/// Removes everything but safe HTML (ammonia's allow-list): `<p>` survives, `<script>` and
/// event-handler attributes such as `onerror` do not.
pub(super) fn sanitize_html(text: &str) -> String {
    ammonia::clean(text)
}

/// [`sanitize_html`] on a blocking thread: even at [`MAX_COMMENT_CHARS`], crafted HTML takes
/// tens of milliseconds to clean, too long to hold an async worker. Callers hold no database
/// connection while it runs, and call it only once the caller is known to be permitted.
pub(super) async fn sanitize_html_off_thread(text: String) -> ApiResult<String> {
    if text.is_empty() {
        return Ok(text);
    }
    let chars = text.chars().count();
    let started = std::time::Instant::now();
    let clean = blocking::run(move || sanitize_html(&text)).await?;
    tracing::debug!(chars, latency_ms = started.elapsed().as_secs_f64() * 1000.0, "comment sanitized");
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hyperlinks_give_drfs_messages() {
        let uuid = "0f2ac37e75b54dd2ae55d5c9c394139a";
        let route = "/api/marketplace-provider-offerings/";
        let ok = json!(format!("http://h:1/api/marketplace-provider-offerings/{uuid}/"));
        assert_eq!(hyperlink(&ok, route, "").unwrap(), Uuid::parse_str(uuid).unwrap());
        let cases = [
            (
                json!(format!("http://h/api/marketplace-public-offerings/{uuid}/")),
                "Invalid hyperlink - Incorrect URL match.",
            ),
            (json!("http://h/api/nothing/x/"), "Invalid hyperlink - No URL match."),
            (json!("http://h/api/marketplace-provider-offerings/zz/"), "Invalid hyperlink - Object does not exist."),
            (json!(5), "Incorrect type. Expected URL string, received int."),
        ];
        for (value, message) in cases {
            assert_eq!(hyperlink(&value, route, "").unwrap_err(), message, "{value}");
        }
    }

    #[test]
    fn booleans_follow_drf() {
        for (value, expected) in [(json!(true), Ok(true)), (json!("off"), Ok(false)), (json!(1), Ok(true))] {
            assert_eq!(boolean(&value), expected);
        }
        assert_eq!(boolean(&json!("maybe")), Err("Must be a valid boolean."));
        assert_eq!(boolean(&json!(null)), Err("This field may not be null."));
    }

    #[test]
    fn strings_refuse_nul_characters() {
        assert_eq!(string(&json!("a\0b"), Some(100)).unwrap_err(), "Null characters are not allowed.");
        assert_eq!(url(&json!("http://h/\0")).unwrap_err(), "Null characters are not allowed.");
    }

    #[test]
    fn urls_are_validated_like_django() {
        assert!(url(&json!("https://docs.example.org/link?x=1")).is_ok());
        assert_eq!(url(&json!("")).unwrap(), "");
        for bad in ["not a url", "javascript:alert(1)", "http://", "mailto:a@b.c"] {
            assert_eq!(url(&json!(bad)).unwrap_err(), "Enter a valid URL.", "{bad}");
        }
    }

    #[test]
    fn comments_over_the_cap_get_djangos_message() {
        let at_cap = "é".repeat(MAX_COMMENT_CHARS);
        assert_eq!(string(&json!(at_cap), Some(MAX_COMMENT_CHARS)).unwrap(), at_cap);
        let over = "a".repeat(MAX_COMMENT_CHARS + 1);
        assert_eq!(
            string(&json!(over), Some(MAX_COMMENT_CHARS)).unwrap_err(),
            "Ensure this field has no more than 10000 characters."
        );
    }

    #[tokio::test]
    async fn sanitizing_off_thread_gives_the_same_html() {
        let dirty = "<p>ok</p><script>x</script>";
        assert_eq!(sanitize_html_off_thread(dirty.to_owned()).await.unwrap(), sanitize_html(dirty));
        assert_eq!(sanitize_html_off_thread(String::new()).await.unwrap(), "");
    }

    #[test]
    fn html_keeps_safe_tags_only() {
        let clean = sanitize_html("<p>Safe content</p><script>alert(1)</script><img src=x onerror=alert(1)>");
        assert!(clean.contains("<p>Safe content</p>"));
        assert!(!clean.contains("script") && !clean.contains("onerror"));
    }
}
