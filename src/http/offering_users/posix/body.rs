//! The body of `set_posix_attributes` (docs/spec/offering-users-2026.md §7.2, Q8, Q20): four
//! optional keys, at least one given; DRF's messages (D) and the proposed ones (P) verbatim.

use serde_json::{json, Map, Value};

use super::super::input;
use crate::domain::posix::{Namespace, MAX_ID};
use crate::error::{ApiError, ApiResult, FieldErrors};

/// Most characters of a login shell or home directory (§7.2, recommended bound).
const MAX_PATH_CHARS: usize = 255;

/// (P) The answer to a body that gives nothing.
pub(super) const NOTHING_GIVEN: &str =
    "At least one of login_shell, home_directory, uidnumber or primarygroup must be provided.";

/// What a valid body asks for; `None` = not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct PosixRequest {
    pub login_shell: Option<String>,
    pub home_directory: Option<String>,
    pub uidnumber: Option<i64>,
    pub primarygroup: Option<i64>,
}

impl PosixRequest {
    /// The value asked for `namespace`.
    pub(super) fn value(&self, namespace: Namespace) -> Option<i64> {
        match namespace {
            Namespace::Uid => self.uidnumber,
            Namespace::Gid => self.primarygroup,
        }
    }
}

/// Parses the body; every invalid key is reported at once, under its name. Unknown keys are
/// ignored; `null` for `uidnumber`/`primarygroup` means "not given" (Q20).
pub(super) fn parse(body: &Map<String, Value>) -> ApiResult<PosixRequest> {
    let mut errors = FieldErrors::default();
    let mut request = PosixRequest::default();
    for (key, slot) in [("login_shell", &mut request.login_shell), ("home_directory", &mut request.home_directory)] {
        if let Some(value) = body.get(key) {
            match absolute_path(value) {
                Ok(path) => *slot = Some(path),
                Err(message) => errors.add(key, message),
            }
        }
    }
    for (key, slot) in [("uidnumber", &mut request.uidnumber), ("primarygroup", &mut request.primarygroup)] {
        match body.get(key) {
            None | Some(Value::Null) => {}
            Some(value) => match posix_id(value) {
                Ok(id) => *slot = Some(id),
                Err(message) => errors.add(key, message),
            },
        }
    }
    errors.into_result()?;
    if request == PosixRequest::default() {
        return Err(ApiError::Invalid(json!({ "non_field_errors": [NOTHING_GIVEN] })));
    }
    Ok(request)
}

/// A `CharField` (whitespace trimmed, not blank, at most 255 characters) holding an absolute path.
fn absolute_path(value: &Value) -> Result<String, String> {
    let text = input::string(value, None)?;
    let text = text.trim();
    if text.is_empty() {
        return Err("This field may not be blank.".into());
    }
    if text.chars().count() > MAX_PATH_CHARS {
        return Err(format!("Ensure this field has no more than {MAX_PATH_CHARS} characters."));
    }
    if !text.starts_with('/') {
        return Err("Must be an absolute path.".into());
    }
    Ok(text.to_owned())
}

/// DRF's `IntegerField` bounded to 0…4294967295: an integer, or a string of one (a form body;
/// DRF also drops a trailing `.0`).
fn posix_id(value: &Value) -> Result<i64, String> {
    const INVALID: &str = "A valid integer is required.";
    let parsed = match value {
        Value::Number(n) => {
            n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e18).map(|f| f as i64))
        }
        Value::String(s) => {
            let s = s.trim();
            // DRF's `re_decimal`: a `.` followed only by zeros is dropped.
            let s = match s.split_once('.') {
                Some((whole, zeros)) if zeros.chars().all(|c| c == '0') => whole,
                _ => s,
            };
            s.parse::<i64>().ok()
        }
        _ => None,
    };
    let id = parsed.ok_or_else(|| INVALID.to_owned())?;
    if id < 0 {
        return Err("Ensure this value is greater than or equal to 0.".into());
    }
    if id > MAX_ID {
        return Err(format!("Ensure this value is less than or equal to {MAX_ID}."));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(body: Value) -> Result<PosixRequest, Value> {
        parse(body.as_object().unwrap()).map_err(|e| match e {
            ApiError::Invalid(body) => body,
            other => panic!("{other}"),
        })
    }

    #[test]
    fn each_bad_value_gets_drfs_message() {
        let table = [
            (json!({"login_shell": null}), json!({"login_shell": ["This field may not be null."]})),
            (json!({"login_shell": ""}), json!({"login_shell": ["This field may not be blank."]})),
            (json!({"home_directory": "  "}), json!({"home_directory": ["This field may not be blank."]})),
            (json!({"login_shell": "bin/bash"}), json!({"login_shell": ["Must be an absolute path."]})),
            (
                json!({"home_directory": format!("/{}", "x".repeat(255))}),
                json!({"home_directory": ["Ensure this field has no more than 255 characters."]}),
            ),
            (json!({"login_shell": ["/bin/sh"]}), json!({"login_shell": ["Not a valid string."]})),
            (json!({"uidnumber": "abc"}), json!({"uidnumber": ["A valid integer is required."]})),
            (json!({"uidnumber": 1.5}), json!({"uidnumber": ["A valid integer is required."]})),
            (json!({"uidnumber": true}), json!({"uidnumber": ["A valid integer is required."]})),
            (
                json!({"primarygroup": -1}),
                json!({"primarygroup": ["Ensure this value is greater than or equal to 0."]}),
            ),
            (
                json!({"primarygroup": 4294967296_i64}),
                json!({"primarygroup": ["Ensure this value is less than or equal to 4294967295."]}),
            ),
            (json!({}), json!({"non_field_errors": [NOTHING_GIVEN]})),
            (json!({"uidnumber": null, "primarygroup": null}), json!({"non_field_errors": [NOTHING_GIVEN]})),
            (json!({"other": 1}), json!({"non_field_errors": [NOTHING_GIVEN]})),
        ];
        for (body, expected) in table {
            assert_eq!(verdict(body.clone()), Err(expected), "{body}");
        }
    }

    #[test]
    fn valid_values_are_taken_as_given() {
        let parsed = verdict(json!({"login_shell": " /bin/zsh ", "uidnumber": "1000", "primarygroup": 4294967295_i64}));
        assert_eq!(
            parsed,
            Ok(PosixRequest {
                login_shell: Some("/bin/zsh".into()),
                home_directory: None,
                uidnumber: Some(1000),
                primarygroup: Some(MAX_ID)
            })
        );
        assert_eq!(verdict(json!({"uidnumber": "70.00"})).unwrap().uidnumber, Some(70));
        assert_eq!(verdict(json!({"uidnumber": 0})).unwrap().uidnumber, Some(0));
    }
}
