//! The body a hook receives: upstream's `WebHook.process` payload `{created, message, context,
//! event_type}`, as JSON or, for a hook whose `content_type` is form, form-encoded.
//!
//! `created` is Python's `isoformat()` of an aware UTC time (`+00:00`, microseconds only when
//! non-zero), as upstream writes it. In a form body upstream hands the `context` dict to
//! `requests`, which sends only its keys; we send the context as its JSON text instead, so a
//! form receiver gets the same facts as a JSON one.

use chrono::{DateTime, Timelike, Utc};
use serde_json::{json, Value};

/// The two encodings of upstream's `ContentTypeChoices`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    Json,
    Form,
}

impl ContentType {
    /// As stored (1 json, 2 form).
    pub fn from_db(value: i16) -> ContentType {
        if value == 2 {
            ContentType::Form
        } else {
            ContentType::Json
        }
    }

    /// The `Content-Type` header.
    pub fn header(self) -> &'static str {
        match self {
            ContentType::Json => "application/json",
            ContentType::Form => "application/x-www-form-urlencoded",
        }
    }
}

/// Python's `datetime.isoformat()` of a UTC time.
pub fn python_isoformat(at: DateTime<Utc>) -> String {
    if at.nanosecond() / 1000 == 0 {
        at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    } else {
        at.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
    }
}

/// The body bytes of one event.
pub fn body(
    content_type: ContentType,
    created: DateTime<Utc>,
    message: &str,
    context: &Value,
    event_type: &str,
) -> Vec<u8> {
    let created = python_isoformat(created);
    match content_type {
        ContentType::Json => {
            let payload = json!({"created": created, "message": message, "context": context, "event_type": event_type});
            payload.to_string().into_bytes()
        }
        ContentType::Form => {
            let context = context.to_string();
            let pairs = [
                ("created", created.as_str()),
                ("message", message),
                ("context", &context),
                ("event_type", event_type),
            ];
            url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish().into_bytes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn created_is_written_as_python_writes_it() {
        let whole = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(python_isoformat(whole), "2026-01-02T03:04:05+00:00");
        let fraction = whole + chrono::Duration::microseconds(120);
        assert_eq!(python_isoformat(fraction), "2026-01-02T03:04:05.000120+00:00");
    }

    #[test]
    fn both_encodings_carry_the_four_keys() {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let context = json!({"offering_user_uuid": "ab"});
        let json_body: Value = serde_json::from_slice(&body(ContentType::Json, at, "m", &context, "t")).unwrap();
        assert_eq!(
            json_body,
            json!({"created": "2026-01-02T03:04:05+00:00", "message": "m", "context": context, "event_type": "t"})
        );
        let form = String::from_utf8(body(ContentType::Form, at, "a b", &context, "t")).unwrap();
        assert_eq!(
            form,
            "created=2026-01-02T03%3A04%3A05%2B00%3A00&message=a+b&context=%7B%22offering_user_uuid%22%3A%22ab%22%7D&event_type=t"
        );
    }
}
