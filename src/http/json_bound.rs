//! How much a JSON body may unfold into once parsed, checked before `serde_json` builds
//! anything from it.
//!
//! A parsed value costs many times its text: `0,` is two bytes and a `serde_json::Value` of
//! tens, so a body within its byte limit could still take gigabytes once parsed. One pass over
//! the bytes counts, outside strings, the values (keys included), how deep they nest, and for a
//! top-level list its elements; a body over its route's [`JsonBound`] is refused without being
//! parsed. The pass does not validate: a malformed body within the bound is left for
//! `serde_json` to refuse with its own message.

use serde_json::json;

use crate::error::ApiError;

/// What one body may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonBound {
    /// Values and object keys in all.
    pub max_values: usize,
    /// Lists and objects nested in one another.
    pub max_depth: usize,
    /// Elements of a top-level list (DRF's `max_length` of a list serializer); `None`: any.
    pub max_elements: Option<usize>,
}

/// Values (and keys) allowed whatever the body: an object of a few dozen fields, with room.
const BASE_VALUES: usize = 1_000;
/// Values (and keys) allowed per answer of a submission: a multi-select answer of hundreds of
/// options, or a list of files.
const VALUES_PER_QUESTION: usize = 1_000;
/// Nesting of every body: the deepest accepted is a submission's file (list → answer →
/// list of files → file) with room to spare.
const MAX_DEPTH: usize = 16;

impl JsonBound {
    /// The bound of every object body (create, update, the state actions' comments).
    pub const OBJECT: JsonBound = JsonBound { max_values: BASE_VALUES, max_depth: MAX_DEPTH, max_elements: None };

    /// The bound of a `submit_answers` body for a checklist of `questions` questions: at most
    /// one element per question (docs/spec/checklists.md §3.4), each of bounded size.
    pub fn submission(questions: usize) -> JsonBound {
        JsonBound {
            max_values: BASE_VALUES.saturating_add(questions.saturating_mul(VALUES_PER_QUESTION)),
            max_depth: MAX_DEPTH,
            max_elements: Some(questions),
        }
    }

    /// `Ok` when `body` holds no more than this bound allows; else the 400 that refuses it.
    pub fn check(&self, body: &[u8]) -> Result<(), ApiError> {
        match self.first_excess(body) {
            None => Ok(()),
            Some(Excess::Elements(max)) => Err(ApiError::Invalid(json!({
                "non_field_errors": [format!("Ensure this field has no more than {max} elements.")]
            }))),
            Some(Excess::Values(max)) => Err(ApiError::Detail(format!(
                "The request body is too complex: at most {max} JSON values and keys are accepted here."
            ))),
            Some(Excess::Depth(max)) => Err(ApiError::Detail(format!(
                "The request body is too complex: JSON nested at most {max} levels deep is accepted here."
            ))),
        }
    }

    /// `Ok` when a form-encoded body has no more fields than values allowed.
    pub fn check_form(&self, body: &[u8]) -> Result<(), ApiError> {
        let fields = body.iter().filter(|&&b| b == b'&').count() + 1;
        match fields > self.max_values {
            true => Err(ApiError::Detail(format!(
                "The request body is too complex: at most {} fields are accepted here.",
                self.max_values
            ))),
            false => Ok(()),
        }
    }

    /// The first bound `body` passes, stopping there.
    fn first_excess(&self, body: &[u8]) -> Option<Excess> {
        let root_is_list = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
        let (mut values, mut depth, mut elements) = (0usize, 0usize, 0usize);
        let (mut in_string, mut escaped, mut in_scalar) = (false, false, false);
        for &byte in body {
            if in_string {
                match (escaped, byte) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            let scalar_byte = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'+' | b'.');
            let starts_value = match byte {
                b'"' => {
                    in_string = true;
                    true
                }
                b'[' | b'{' => true,
                _ => scalar_byte && !in_scalar,
            };
            in_scalar = scalar_byte;
            if starts_value {
                values += 1;
                if values > self.max_values {
                    return Some(Excess::Values(self.max_values));
                }
                if root_is_list && depth == 1 {
                    elements += 1;
                    if let Some(max) = self.max_elements.filter(|max| elements > *max) {
                        return Some(Excess::Elements(max));
                    }
                }
            }
            match byte {
                b'[' | b'{' => {
                    depth += 1;
                    if depth > self.max_depth {
                        return Some(Excess::Depth(self.max_depth));
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        None
    }
}

/// Which bound a body passed, with that bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Excess {
    Elements(usize),
    Values(usize),
    Depth(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(max_values: usize, max_depth: usize, max_elements: Option<usize>) -> JsonBound {
        JsonBound { max_values, max_depth, max_elements }
    }

    #[test]
    fn values_keys_depth_and_top_level_elements_are_counted_outside_strings() {
        let table: Vec<(&str, JsonBound, Option<Excess>)> = vec![
            // The object, two keys, 1, the list and its three elements.
            (r#"{"a": 1, "b": [true, null, -1.5e3]}"#, bound(8, 2, None), None),
            (r#"{"a": 1, "b": [true, null, -1.5e3]}"#, bound(7, 2, None), Some(Excess::Values(7))),
            (r#"{"a": 1, "b": [true, null, -1.5e3]}"#, bound(8, 1, None), Some(Excess::Depth(1))),
            // Brackets, commas, quotes and escapes inside strings count for nothing.
            (r#"["[1,2,{\"x\":[3]}]", "\\"]"#, bound(3, 1, Some(2)), None),
            (r#"[{"q": [1, 2, 3]}, 4]"#, bound(100, 10, Some(2)), None),
            (r#"[{"q": [1, 2, 3]}, 4, 5]"#, bound(100, 10, Some(2)), Some(Excess::Elements(2))),
            ("[0,0,0,0,0,0]", bound(100, 10, Some(1)), Some(Excess::Elements(1))),
            ("[]", bound(1, 1, Some(0)), None),
            ("[[[[]]]]", bound(100, 3, None), Some(Excess::Depth(3))),
            ("  12345  ", bound(1, 0, Some(0)), None),
        ];
        for (body, bound, expected) in table {
            assert_eq!(bound.first_excess(body.as_bytes()), expected, "{body}");
        }
    }

    #[test]
    fn the_refusals_are_drf_shaped_and_the_element_count_keeps_drfs_message() {
        let elements = JsonBound::submission(2).check(b"[0,0,0]").unwrap_err();
        assert!(
            matches!(&elements, ApiError::Invalid(v) if v == &json!({"non_field_errors": ["Ensure this field has no more than 2 elements."]})),
            "{elements:?}"
        );
        let nested = format!("[{{\"answer_data\": [{}0]}}]", "0,".repeat(3_000));
        assert!(matches!(JsonBound::submission(1).check(nested.as_bytes()), Err(ApiError::Detail(_))));
        assert!(JsonBound::submission(3).check(nested.as_bytes()).is_ok());
        assert!(JsonBound::OBJECT.check(br#"{"username": "a", "comment": "[[[[[[[[[[[[[[[[[["}"#).is_ok());
        assert!(JsonBound::OBJECT.check_form("a=1&".repeat(1_000).as_bytes()).is_err());
        assert!(JsonBound::OBJECT.check_form(b"a=1&b=2").is_ok());
    }
}
