//! `apply_operator` (spec §4): the one comparison engine behind dependencies, review
//! triggers and guidance, with Python's semantics. Where Python raises a `TypeError`
//! (upstream: HTTP 500), we return false and log it (decisions item 19).

use std::borrow::Cow;

use serde_json::Value;

use super::model::Operator;
use crate::domain::python::{py_eq, py_type_name};

/// Applies `op` to the user's answer and the configured target value.
///
/// * A null answer never matches, for every operator (`not_equals`, `not_in` included).
/// * `equals` / `not_equals`: Python `==` / `!=` ([`py_eq`]).
/// * `contains`: some element of `target` (list items, a string's characters, an
///   object's keys) is "in" the answer (substring, list membership, key membership).
/// * `in` / `not_in`: with a list target, whether some element of the answer is in it
///   (**QUIRK**: a plain string answer is iterated character by character); otherwise
///   `==` / `!=`.
/// * A type mismatch (Python `TypeError`) gives false and a `tracing::warn!`.
pub fn apply_operator(user_answer: &Value, target: &Value, op: Operator) -> bool {
    if user_answer.is_null() {
        return false;
    }
    match evaluate(user_answer, target, op) {
        Ok(result) => result,
        Err(reason) => {
            tracing::warn!(
                operator = op.as_str(),
                answer_type = py_type_name(user_answer),
                target_type = py_type_name(target),
                reason = %reason,
                "checklist operator applied to a value of the wrong type; treated as no match"
            );
            false
        }
    }
}

/// [`apply_operator`] for a possibly blank operator: a blank or unknown operator never
/// matches (spec §4).
pub fn apply_optional_operator(user_answer: &Value, target: &Value, op: Option<Operator>) -> bool {
    op.is_some_and(|op| apply_operator(user_answer, target, op))
}

/// The text of the `TypeError` Python would raise.
type TypeMismatch = String;

fn evaluate(answer: &Value, target: &Value, op: Operator) -> Result<bool, TypeMismatch> {
    match op {
        Operator::Equals => Ok(py_eq(answer, target)),
        Operator::NotEquals => Ok(!py_eq(answer, target)),
        // Python: `any(substr in user_answer for substr in required_value)`; the
        // generator stops at the first match, so a later bad element raises nothing.
        Operator::Contains => {
            for item in iterate(target)? {
                if is_member(&item, answer)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Operator::In => match target {
            Value::Array(list) => any_element_in(answer, list),
            _ => Ok(py_eq(answer, target)),
        },
        Operator::NotIn => match target {
            Value::Array(list) => any_element_in(answer, list).map(|found| !found),
            _ => Ok(!py_eq(answer, target)),
        },
    }
}

/// Python `any([a in target for a in answer])`.
fn any_element_in(answer: &Value, list: &[Value]) -> Result<bool, TypeMismatch> {
    Ok(iterate(answer)?.iter().any(|a| list.iter().any(|t| py_eq(a, t))))
}

/// What Python's `for x in value` yields for a JSON value.
fn iterate(value: &Value) -> Result<Vec<Cow<'_, Value>>, TypeMismatch> {
    match value {
        Value::Array(items) => Ok(items.iter().map(Cow::Borrowed).collect()),
        Value::String(s) => Ok(s.chars().map(|c| Cow::Owned(Value::String(c.to_string()))).collect()),
        Value::Object(map) => Ok(map.keys().map(|k| Cow::Owned(Value::String(k.clone()))).collect()),
        other => Err(format!("'{}' object is not iterable", py_type_name(other))),
    }
}

/// Python's `item in container`.
fn is_member(item: &Value, container: &Value) -> Result<bool, TypeMismatch> {
    match container {
        Value::String(haystack) => match item {
            Value::String(needle) => Ok(haystack.contains(needle.as_str())),
            other => Err(format!("'in <string>' requires string as left operand, not {}", py_type_name(other))),
        },
        Value::Array(items) => Ok(items.iter().any(|x| py_eq(item, x))),
        Value::Object(map) => match item {
            Value::String(key) => Ok(map.contains_key(key)),
            Value::Array(_) | Value::Object(_) => Err(format!("unhashable type: '{}'", py_type_name(item))),
            // JSON object keys are strings, and no number or bool equals a string.
            _ => Ok(false),
        },
        other => Err(format!("argument of type '{}' is not iterable", py_type_name(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use Operator::*;

    fn check(table: Vec<(Value, Value, Operator, bool)>) {
        for (answer, target, op, expected) in table {
            assert_eq!(apply_operator(&answer, &target, op), expected, "apply_operator({answer}, {target}, {op})");
        }
    }

    #[test]
    fn null_answer_never_matches_any_operator() {
        for op in Operator::ALL {
            assert!(!apply_operator(&Value::Null, &json!([]), op), "{op}");
            assert!(!apply_operator(&Value::Null, &json!("x"), op), "{op}");
        }
    }

    #[test]
    fn equals_and_not_equals_use_python_equality() {
        check(vec![
            (json!("high"), json!("high"), Equals, true),
            (json!("low"), json!("high"), Equals, false),
            (json!(true), json!(true), Equals, true),
            (json!(false), json!(true), Equals, false),
            (json!("true"), json!(true), Equals, false),
            (json!(1), json!(true), Equals, true),
            (json!(1.0), json!(1), Equals, true),
            (json!(["a"]), json!(["a"]), Equals, true),
            (json!("2025-09-04"), json!("2025-09-04"), Equals, true),
            (json!("high"), json!("high"), NotEquals, false),
            (json!("low"), json!("high"), NotEquals, true),
        ]);
    }

    #[test]
    fn contains_tests_each_target_element_against_the_answer() {
        check(vec![
            // §11.3 #31, #36
            (json!("contains sensitive data"), json!(["sensitive"]), Contains, true),
            (json!("sensitive information"), json!(["sensitive"]), Contains, true),
            (json!("public information"), json!(["sensitive"]), Contains, false),
            (json!("high"), json!(["high", "critical"]), Contains, true),
            (json!("critical"), json!(["high", "critical"]), Contains, true),
            (json!("medium"), json!(["high", "critical"]), Contains, false),
            (json!("over_100k"), json!(["over_100k"]), Contains, true),
            (json!("under_10k"), json!(["over_100k"]), Contains, false),
            (json!("We will export data"), json!(["export", "third party"]), Contains, true),
            (json!("Data export procedures"), json!(["export"]), Contains, true),
            (json!("All data remains internal"), json!(["export"]), Contains, false),
            // case-sensitive
            (json!("Export"), json!(["export"]), Contains, false),
            // empty target
            (json!("anything"), json!([]), Contains, false),
            // a string target is iterated character by character
            (json!("abc"), json!("xb"), Contains, true),
            // list answer: equality membership
            (json!(["a", "b"]), json!(["b"]), Contains, true),
            (json!(["ab"]), json!(["a"]), Contains, false),
            // object answer: key membership; object target: its keys
            (json!({"k": 1}), json!(["k"]), Contains, true),
            (json!("has k"), json!({"k": 1}), Contains, true),
            // the generator stops at the first match, before the bad element
            (json!("abc"), json!(["a", 1]), Contains, true),
        ]);
    }

    #[test]
    fn contains_type_mismatch_is_false_instead_of_an_error() {
        check(vec![
            (json!(true), json!(["x"]), Contains, false),
            (json!(5), json!(["5"]), Contains, false),
            (json!("abc"), json!([1, "a"]), Contains, false),
            (json!("abc"), json!(5), Contains, false),
            (json!("abc"), json!(true), Contains, false),
            (json!({"k": 1}), json!([["k"]]), Contains, false),
        ]);
    }

    #[test]
    fn in_and_not_in_iterate_the_answer_against_a_list_target() {
        check(vec![
            // §11.3 #32, #33
            (json!(["high"]), json!(["high", "critical", "severe"]), In, true),
            (json!(["critical"]), json!(["high", "critical", "severe"]), In, true),
            (json!(["low"]), json!(["high", "critical", "severe"]), In, false),
            (json!(["high"]), json!(["low", "minimal"]), NotIn, true),
            (json!(["medium"]), json!(["low", "minimal"]), NotIn, true),
            (json!(["low"]), json!(["low", "minimal"]), NotIn, false),
            (json!(["minimal"]), json!(["low", "minimal"]), NotIn, false),
            // §11.5 #43 country
            (json!(["DE"]), json!(["DE", "FR", "IT"]), In, true),
            (json!(["US"]), json!(["DE", "FR", "IT"]), In, false),
            (json!(["DE"]), json!(["DE", "FR", "IT"]), NotIn, false),
            (json!(["US"]), json!(["DE", "FR", "IT"]), NotIn, true),
            // QUIRK: a plain string is iterated by character
            (json!("DE"), json!(["DE", "FR"]), In, false),
            (json!("DE"), json!(["D", "X"]), In, true),
            (json!("DE"), json!(["DE", "FR"]), NotIn, true),
            // empty answer list
            (json!([]), json!(["a"]), In, false),
            (json!([]), json!(["a"]), NotIn, true),
            // non-list target: plain equality
            (json!("x"), json!("x"), In, true),
            (json!("x"), json!("y"), In, false),
            (json!("x"), json!("x"), NotIn, false),
            (json!(5), json!(5), In, true),
        ]);
    }

    #[test]
    fn in_type_mismatch_is_false_for_both_in_and_not_in() {
        check(vec![
            (json!(5), json!([5]), In, false),
            (json!(5), json!([5]), NotIn, false),
            (json!(true), json!([true]), In, false),
            (json!(true), json!([false]), NotIn, false),
        ]);
    }

    #[test]
    fn blank_operator_never_matches() {
        assert!(!apply_optional_operator(&json!("x"), &json!("x"), None));
        assert!(apply_optional_operator(&json!("x"), &json!("x"), Some(Equals)));
    }
}
