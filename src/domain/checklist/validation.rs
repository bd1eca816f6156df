//! Answer validation (spec §3.1-§3.4): per-type rules, and the whole
//! `submit_answers` body with an error per element, in DRF's messages.

use serde_json::Value;
use uuid::Uuid;

use std::collections::HashSet;

use super::dates::{is_valid_date, is_valid_datetime};
use super::files::{
    classify_file, foreign_stored_file, is_valid_file_answer, stored_file_id, FileEntry, FileInspector,
};
use super::limits::MAX_TEXT_ANSWER_CHARS;
use super::model::{Question, QuestionType};
use crate::domain::python::{
    is_py_int_str, parse_drf_uuid, parse_py_float, parse_py_uuid, py_str, py_type_name, PyNumber,
};

/// DRF's message for a missing field.
pub const MSG_REQUIRED: &str = "This field is required.";
/// DRF's message for a null field, or a null list element.
pub const MSG_NULL: &str = "This field may not be null.";
/// DRF's message for an unparsable UUID.
pub const MSG_INVALID_UUID: &str = "Must be a valid UUID.";
/// The message for a `null` request body.
pub const MSG_NO_DATA: &str = "No data provided";

/// Django's message for a string over a length limit.
pub fn too_long_message(max: usize) -> String {
    format!("Ensure this field has no more than {max} characters.")
}

/// The question's display string used in messages: the description if it has at most
/// 50 characters, else its first 50 characters and `...` (upstream `Question.__str__`).
pub fn question_display(description: &str) -> String {
    if description.chars().count() > 50 {
        let head: String = description.chars().take(50).collect();
        format!("{head}...")
    } else {
        description.to_string()
    }
}

/// Most characters of a client's value a message echoes back.
pub const MAX_ECHOED_CHARS: usize = 200;

/// A client's value as a 400 echoes it: its first [`MAX_ECHOED_CHARS`] characters, then `…`
/// when there were more. Upstream echoes the whole value, so a 10,000-character answer (or a
/// file's base64 content) came back whole in the error; we bound it (a deliberate difference,
/// README "Compatibility notes").
pub fn echoed(value: String) -> String {
    match value.char_indices().nth(MAX_ECHOED_CHARS) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value,
    }
}

/// The error text for an answer that is not valid for its question (spec §3.1 step 4),
/// with the value printed as Python's `str()`, at most [`MAX_ECHOED_CHARS`] characters of it
/// ([`echoed`]; upstream prints it whole, a file's base64 content included).
pub fn invalid_answer_message(question: &Question, answer_data: &Value) -> String {
    format!(
        "Answer value '{}' is not valid for the question '{}' (type: {}).",
        echoed(py_str(answer_data)),
        question_display(&question.description),
        question.question_type
    )
}

/// Whether `answer_data` is a valid answer to `question` (spec §3.2, §3.3).
///
/// This is the model-level rule: `null` is invalid for a required question and, as
/// upstream, valid only for an optional boolean one. The submit path never calls it
/// with `null`, which means "delete my answer" there (§3.1 step 5).
pub fn is_valid_answer(question: &Question, answer_data: &Value, files: &dyn FileInspector) -> bool {
    if answer_data.is_null() {
        return !question.required && question.question_type == QuestionType::Boolean;
    }
    match question.question_type {
        QuestionType::Boolean => answer_data.is_boolean(),
        QuestionType::TextInput
        | QuestionType::TextArea
        | QuestionType::PhoneNumber
        | QuestionType::Email
        | QuestionType::Url
        | QuestionType::Country => answer_data.is_string(),
        QuestionType::Date => answer_data.as_str().is_some_and(is_valid_date),
        QuestionType::Datetime => answer_data.as_str().is_some_and(is_valid_datetime),
        // QUIRK: the option UUIDs are not checked against the question's options.
        QuestionType::SingleSelect => match answer_data {
            Value::Array(items) => items.len() == 1 && items.iter().all(is_uuid_string),
            _ => false,
        },
        QuestionType::MultiSelect => match answer_data {
            Value::Array(items) => items.iter().all(is_uuid_string),
            _ => false,
        },
        QuestionType::Number => {
            let value = match answer_data {
                Value::String(s) => parse_py_float(s),
                // QUIRK: booleans are ints in Python, so `true` is the number 1.
                other => PyNumber::of(other).map(PyNumber::to_f64),
            };
            value.is_some_and(|v| in_range(question, v))
        }
        QuestionType::Year | QuestionType::Rating => {
            let value = match answer_data {
                // `int(s)` decides validity; the range check then uses `float(s)`.
                Value::String(s) if is_py_int_str(s) => parse_py_float(s),
                Value::String(_) => None,
                other => match PyNumber::of(other) {
                    Some(n @ PyNumber::Int(_)) => Some(n.to_f64()),
                    // `2024.0` is a float, not an int.
                    _ => None,
                },
            };
            value.is_some_and(|v| in_range(question, v))
        }
        QuestionType::File | QuestionType::MultipleFiles => is_valid_file_answer(question, answer_data, files),
    }
}

fn is_uuid_string(value: &Value) -> bool {
    value.as_str().and_then(parse_py_uuid).is_some()
}

/// Upstream: `float(v) < float(min)` fails, `float(v) > float(max)` fails. A NaN
/// answer compares false both ways and so passes every range (**QUIRK**).
fn in_range(question: &Question, value: f64) -> bool {
    let below = question.min_value.is_some_and(|min| value < min);
    let above = question.max_value.is_some_and(|max| value > max);
    !below && !above
}

/// How the caller resolved a submitted question UUID (looked up across all checklists).
#[derive(Debug, Clone, Copy)]
pub enum QuestionLookup<'a> {
    /// The question exists and belongs to the completion's checklist.
    Found(&'a Question),
    /// The question exists but belongs to another checklist.
    OtherChecklist,
    /// No question has that UUID.
    Missing,
}

/// One validated element of a submission, in request order (at most one per question).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAnswer {
    /// The question answered.
    pub question: Uuid,
    /// The new answer; `Value::Null` means "delete my answer".
    pub answer_data: Value,
}

/// A rejected submission (docs/spec/checklists.md §3.4); the HTTP layer answers 400 with
/// DRF's body for it.
#[derive(Debug, Clone, PartialEq)]
pub enum SubmissionError {
    /// The body as a whole is refused (null, not a list, longer than the checklist).
    Body(String),
    /// Some elements failed: one entry per submitted element, `None` for a valid one.
    Elements(Vec<Option<ElementError>>),
}

/// Why one element of a submission was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum ElementError {
    /// The element is `null` ([`MSG_NULL`], said of the list item).
    Null,
    /// Fields of the element are missing or bad: the message for each that is.
    Fields {
        /// The message for `question_uuid`, if it is missing, null or not a UUID.
        question_uuid: Option<&'static str>,
        /// The message for `answer_data`, if it is missing or cannot be stored.
        answer_data: Option<String>,
    },
    /// The element as a whole: not an object, an unknown or repeated question, an answer
    /// that does not fit its question.
    Whole(String),
}

impl ElementError {
    fn answer_data(message: impl Into<String>) -> ElementError {
        ElementError::Fields { question_uuid: None, answer_data: Some(message.into()) }
    }
}

/// The question UUIDs a submission names (those that parse), so that the store layer
/// can load them all in one query before calling [`validate_submission`].
pub fn submission_question_uuids(body: &Value) -> Vec<Uuid> {
    let Value::Array(elements) = body else {
        return Vec::new();
    };
    let mut uuids: Vec<Uuid> =
        elements.iter().filter_map(|e| e.get("question_uuid").and_then(parse_drf_uuid)).collect();
    uuids.sort_unstable();
    uuids.dedup();
    uuids
}

/// The ids of the stored files that a submission's processed file entries name (in an
/// `answer_data` object or list), so that the store layer can load them in one query
/// before calling [`validate_submission`].
pub fn submission_stored_file_ids(body: &Value) -> Vec<Uuid> {
    let Value::Array(elements) = body else {
        return Vec::new();
    };
    let entries = elements.iter().filter_map(|e| e.get("answer_data")).flat_map(|data| match data {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    });
    let mut ids: Vec<Uuid> = entries
        .filter(|entry| matches!(classify_file(entry), FileEntry::Processed(_)))
        .filter_map(stored_file_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Validates a whole `submit_answers` body (spec §3.1, §3.4) before anything is
/// written. The caller passes an empty request body as `[]` (DRF's form fallback reads
/// it as an empty list) and a JSON `null` body as `Value::Null`.
///
/// A list longer than `question_count` (the checklist's questions) is refused as a whole,
/// before any element is looked at: a valid submission answers each question at most once
/// (upstream accepts repeats and lets the last win; we refuse them).
///
/// Per element, in order: field checks (`question_uuid`, `answer_data`), then the
/// question lookup (`Missing` → "does not exist", `OtherChecklist` → "does not belong"),
/// then "answered more than once" for a question an earlier element answered, then the
/// length of its strings, the files it refers back to, and the type check of a non-null
/// answer. Visibility and `required` play no part.
pub fn validate_submission<'q>(
    body: &Value,
    question_count: usize,
    lookup: impl Fn(Uuid) -> QuestionLookup<'q>,
    files: &dyn FileInspector,
) -> Result<Vec<ValidAnswer>, SubmissionError> {
    let elements = match body {
        Value::Array(elements) => elements,
        Value::Null => return Err(SubmissionError::Body(MSG_NO_DATA.into())),
        other => {
            return Err(SubmissionError::Body(format!(
                "Expected a list of items but got type \"{}\".",
                py_type_name(other)
            )))
        }
    };
    if elements.len() > question_count {
        // DRF's ListSerializer `max_length` message.
        return Err(SubmissionError::Body(format!("Ensure this field has no more than {question_count} elements.")));
    }
    let mut valid = Vec::with_capacity(elements.len());
    let mut entries = Vec::with_capacity(elements.len());
    let mut answered = HashSet::with_capacity(elements.len());
    let mut failed = false;
    for element in elements {
        match validate_element(element, &lookup, &mut answered, files) {
            Ok(answer) => {
                valid.push(answer);
                entries.push(None);
            }
            Err(error) => {
                failed = true;
                entries.push(Some(error));
            }
        }
    }
    if failed {
        Err(SubmissionError::Elements(entries))
    } else {
        Ok(valid)
    }
}

fn validate_element<'q>(
    element: &Value,
    lookup: &impl Fn(Uuid) -> QuestionLookup<'q>,
    answered: &mut HashSet<Uuid>,
    files: &dyn FileInspector,
) -> Result<ValidAnswer, ElementError> {
    let fields = match element {
        Value::Object(fields) => fields,
        Value::Null => return Err(ElementError::Null),
        other => {
            return Err(ElementError::Whole(format!(
                "Invalid data. Expected a dictionary, but got {}.",
                py_type_name(other)
            )))
        }
    };

    let (question_uuid, uuid_error) = match fields.get("question_uuid") {
        None => (None, Some(MSG_REQUIRED)),
        Some(Value::Null) => (None, Some(MSG_NULL)),
        Some(raw) => match parse_drf_uuid(raw) {
            Some(uuid) => (Some(uuid), None),
            None => (None, Some(MSG_INVALID_UUID)),
        },
    };
    let answer_data = fields.get("answer_data");
    let (Some(uuid), Some(answer_data)) = (question_uuid, answer_data) else {
        let answer_data = answer_data.is_none().then(|| MSG_REQUIRED.to_owned());
        return Err(ElementError::Fields { question_uuid: uuid_error, answer_data });
    };

    // Messages print the hyphenated form, unlike the hex UUIDs of responses.
    let question = match lookup(uuid) {
        QuestionLookup::Missing => {
            return Err(ElementError::Whole(format!("Question with UUID {} does not exist", uuid.hyphenated())))
        }
        QuestionLookup::OtherChecklist => {
            return Err(ElementError::Whole(format!(
                "Question {} does not belong to this checklist",
                uuid.hyphenated()
            )))
        }
        QuestionLookup::Found(question) => question,
    };
    // Any form of the uuid counts: hex and hyphenated name the same question.
    if !answered.insert(uuid) {
        return Err(ElementError::Whole(format!("Question {} is answered more than once.", uuid.hyphenated())));
    }
    // PostgreSQL's jsonb cannot hold U+0000, and Django refuses it in text anyway.
    if contains_nul(answer_data) {
        return Err(ElementError::answer_data("Null characters are not allowed."));
    }
    if has_long_string(answer_data, MAX_TEXT_ANSWER_CHARS) {
        return Err(ElementError::answer_data(too_long_message(MAX_TEXT_ANSWER_CHARS)));
    }
    if let Some(id) = foreign_stored_file(question, answer_data, files) {
        return Err(ElementError::Whole(format!(
            "Stored file '{}' is not a file of this question.",
            echoed(py_str(id))
        )));
    }
    if !answer_data.is_null() && !is_valid_answer(question, answer_data, files) {
        return Err(ElementError::Whole(invalid_answer_message(question, answer_data)));
    }
    Ok(ValidAnswer { question: uuid, answer_data: answer_data.clone() })
}

/// Whether a string of the answer that would be stored is over `max` characters: the
/// answer itself, the items of a list, a file's `name`. A file's `content` is bounded by
/// the question's size limit instead, and other keys of a file object are not kept.
fn has_long_string(value: &Value, max: usize) -> bool {
    match value {
        // A string of at most `max` bytes has at most `max` characters: count only longer ones.
        Value::String(s) => s.len() > max && s.chars().count() > max,
        Value::Array(items) => items.iter().any(|item| has_long_string(item, max)),
        Value::Object(map) => map.get("name").is_some_and(|name| has_long_string(name, max)),
        _ => false,
    }
}

/// Whether a NUL character hides in any string (or key) of `value`.
fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::files::Base64Files;
    use super::*;
    use serde_json::json;

    #[test]
    fn echoed_values_are_cut_at_200_characters() {
        assert_eq!(echoed("abc".into()), "abc");
        let at_limit = "é".repeat(MAX_ECHOED_CHARS);
        assert_eq!(echoed(at_limit.clone()), at_limit);
        assert_eq!(echoed(format!("{at_limit}z")), format!("{at_limit}…"));
        let question = q(QuestionType::Number);
        let message = invalid_answer_message(&question, &json!("9".repeat(10_000)));
        assert_eq!(
            message,
            format!("Answer value '{}…' is not valid for the question 'How many?' (type: number).", "9".repeat(200))
        );
    }

    fn whole(message: &str) -> Option<ElementError> {
        Some(ElementError::Whole(message.to_owned()))
    }

    fn fields(question_uuid: Option<&'static str>, answer_data: Option<&str>) -> Option<ElementError> {
        Some(ElementError::Fields { question_uuid, answer_data: answer_data.map(str::to_owned) })
    }

    const PDF_B64: &str = "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK";

    fn sniff(head: &[u8]) -> Option<String> {
        if head.starts_with(b"%PDF-") {
            Some("application/pdf".into())
        } else {
            Some("text/plain".into())
        }
    }

    fn files() -> impl FileInspector {
        Base64Files::new(sniff)
    }

    fn q(ty: QuestionType) -> Question {
        Question::new(Uuid::from_u128(1), "How many?", ty)
    }

    fn ranged(ty: QuestionType, min: Option<f64>, max: Option<f64>) -> Question {
        let mut question = q(ty);
        question.min_value = min;
        question.max_value = max;
        question
    }

    fn check(question: &Question, table: Vec<(Value, bool)>) {
        for (answer, expected) in table {
            assert_eq!(
                is_valid_answer(question, &answer, &files()),
                expected,
                "{} answer {answer}",
                question.question_type
            );
        }
    }

    const OPT: &str = "12345678-9abc-def0-1234-56789abcdef0";
    const OPT2: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn boolean_accepts_only_true_and_false() {
        check(
            &q(QuestionType::Boolean),
            vec![
                (json!(true), true),
                (json!(false), true),
                (json!("true"), false),
                (json!(1), false),
                (json!([]), false),
            ],
        );
    }

    #[test]
    fn string_types_accept_any_string_and_nothing_else() {
        // §11.5 #41, #43
        for ty in [
            QuestionType::TextInput,
            QuestionType::TextArea,
            QuestionType::PhoneNumber,
            QuestionType::Email,
            QuestionType::Url,
            QuestionType::Country,
        ] {
            check(
                &q(ty),
                vec![
                    (json!(""), true),
                    (json!("+1-555-555-5555"), true),
                    (json!("+44 20 7946 0958"), true),
                    (json!("(555) 555-5555"), true),
                    (json!("not an email"), true),
                    (json!("United States"), true),
                    (json!(123456789), false),
                    (json!(1), false),
                    (json!(["+1 555"]), false),
                    (json!({"phone": "+1"}), false),
                    (json!(true), false),
                ],
            );
        }
    }

    #[test]
    fn number_accepts_ints_floats_and_numeric_strings() {
        // §11.5 #46, with R1's numeric strings
        check(
            &q(QuestionType::Number),
            vec![
                (json!(42), true),
                (json!(42.5), true),
                (json!(-100), true),
                (json!(0), true),
                (json!("42"), true),
                (json!("1e5"), true),
                (json!(" 7 "), true),
                (json!("nan"), true),
                (json!("inf"), true),
                (json!(true), true),
                (json!("not a number"), false),
                (json!("12.5.3"), false),
                (json!("twelve"), false),
                (json!([]), false),
                (json!({}), false),
            ],
        );
    }

    #[test]
    fn number_outside_min_or_max_is_rejected() {
        // §11.5 #46
        check(
            &ranged(QuestionType::Number, Some(10.0), None),
            vec![
                (json!(10), true),
                (json!(15), true),
                (json!(10.5), true),
                (json!(1000), true),
                (json!(9), false),
                (json!(9.99), false),
                (json!(-5), false),
                (json!("5"), false),
                (json!("nan"), true),
            ],
        );
        check(
            &ranged(QuestionType::Number, None, Some(100.0)),
            vec![
                (json!(100), true),
                (json!(50), true),
                (json!(0.5), true),
                (json!(-50), true),
                (json!(101), false),
                (json!(100.1), false),
                (json!(1000), false),
            ],
        );
        check(
            &ranged(QuestionType::Number, Some(10.5), Some(20.75)),
            vec![
                (json!(10.5), true),
                (json!(15.25), true),
                (json!(20.75), true),
                (json!(10.49), false),
                (json!(20.76), false),
            ],
        );
        let mut required = ranged(QuestionType::Number, Some(1.0), Some(10.0));
        required.required = true;
        check(&required, vec![(json!(5), true), (json!(0), false), (json!(11), false)]);
    }

    #[test]
    fn text_and_boolean_questions_ignore_min_and_max() {
        check(&ranged(QuestionType::TextInput, Some(10.0), Some(20.0)), vec![(json!("5"), true), (json!("100"), true)]);
        check(&ranged(QuestionType::Boolean, Some(10.0), Some(20.0)), vec![(json!(true), true)]);
    }

    #[test]
    fn year_accepts_ints_and_integer_strings_within_range() {
        // §11.5 #42
        check(
            &q(QuestionType::Year),
            vec![
                (json!(1900), true),
                (json!(2000), true),
                (json!(2024), true),
                (json!(2025), true),
                (json!(2100), true),
                (json!("2024"), true),
                (json!("1990"), true),
                (json!(" 12 "), true),
                (json!("not a year"), false),
                (json!(2024.5), false),
                (json!(2024.0), false),
                (json!("2024.0"), false),
                (json!([2024]), false),
            ],
        );
        check(
            &ranged(QuestionType::Year, Some(2000.0), Some(2030.0)),
            vec![
                (json!(2000), true),
                (json!(2024), true),
                (json!(2030), true),
                (json!(1999), false),
                (json!(2031), false),
            ],
        );
    }

    #[test]
    fn rating_accepts_ints_and_integer_strings_within_range() {
        // §11.5 #44
        check(&q(QuestionType::Rating), vec![(json!(1), true), (json!(3), true), (json!(5), true)]);
        check(
            &ranged(QuestionType::Rating, Some(1.0), Some(5.0)),
            vec![(json!(0), false), (json!(6), false), (json!("3"), true), (json!("0"), false), (json!("6"), false)],
        );
        check(
            &ranged(QuestionType::Rating, Some(1.0), Some(10.0)),
            vec![(json!(1), true), (json!(5), true), (json!(10), true), (json!(0), false), (json!(11), false)],
        );
    }

    #[test]
    fn date_and_datetime_accept_their_formats() {
        // §11.2 #18, §11.5 #45
        check(
            &q(QuestionType::Date),
            vec![
                (json!("2025-09-04"), true),
                (json!("09/04/2025"), true),
                (json!("Sep 4 2025"), true),
                (json!(""), false),
                (json!("not a date"), false),
                (json!(20250904), false),
            ],
        );
        check(
            &q(QuestionType::Datetime),
            vec![
                (json!("2024-01-15T10:30:00"), true),
                (json!("2024-06-15T14:30:00+00:00"), true),
                (json!("2024-01-15"), true),
                (json!("15/01/2024 10:30"), false),
                (json!(123456789), false),
            ],
        );
    }

    #[test]
    fn select_answers_are_lists_of_uuid_strings() {
        check(
            &q(QuestionType::SingleSelect),
            vec![
                (json!([OPT]), true),
                (json!([OPT2]), true),
                (json!([]), false),
                (json!([OPT, OPT2]), false),
                (json!(OPT), false),
                (json!(["high"]), false),
                (json!([5]), false),
            ],
        );
        check(
            &q(QuestionType::MultiSelect),
            vec![
                (json!([]), true),
                (json!([OPT]), true),
                (json!([OPT, OPT2]), true),
                (json!([OPT, "x"]), false),
                (json!(OPT), false),
            ],
        );
    }

    #[test]
    fn null_is_invalid_at_model_level_except_for_optional_booleans() {
        let mut required_phone = q(QuestionType::PhoneNumber);
        required_phone.required = true;
        let mut required_bool = q(QuestionType::Boolean);
        required_bool.required = true;
        let table = vec![
            (required_phone, false),
            (required_bool, false),
            (q(QuestionType::Boolean), true),
            (q(QuestionType::TextInput), false),
        ];
        for (question, expected) in table {
            assert_eq!(is_valid_answer(&question, &Value::Null, &files()), expected, "{}", question.question_type);
        }
    }

    #[test]
    fn invalid_answer_messages_match_the_spec() {
        let long = "x".repeat(60);
        let mut long_q = q(QuestionType::Number);
        long_q.description = long.clone();
        let file_q = q(QuestionType::File);
        let table = vec![
            (
                q(QuestionType::Number),
                json!("abc"),
                "Answer value 'abc' is not valid for the question 'How many?' (type: number).".to_string(),
            ),
            (
                q(QuestionType::SingleSelect),
                json!(["a", "b"]),
                "Answer value '['a', 'b']' is not valid for the question 'How many?' (type: single_select).".to_string(),
            ),
            (
                q(QuestionType::TextInput),
                json!(true),
                "Answer value 'True' is not valid for the question 'How many?' (type: text_input).".to_string(),
            ),
            (
                q(QuestionType::Year),
                json!(1e16),
                "Answer value '1e+16' is not valid for the question 'How many?' (type: year).".to_string(),
            ),
            (
                long_q,
                json!("abc"),
                format!("Answer value 'abc' is not valid for the question '{}...' (type: number).", &long[..50]),
            ),
            (
                file_q,
                json!({"name": "x.pdf", "content": "!!"}),
                "Answer value '{'name': 'x.pdf', 'content': '!!'}' is not valid for the question 'How many?' (type: file).".to_string(),
            ),
        ];
        for (question, answer, expected) in table {
            assert_eq!(invalid_answer_message(&question, &answer), expected);
        }
    }

    #[test]
    fn question_display_truncates_after_fifty_characters() {
        let fifty = "a".repeat(50);
        let table = vec![
            ("Short".to_string(), "Short".to_string()),
            (fifty.clone(), fifty.clone()),
            (format!("{fifty}b"), format!("{fifty}...")),
            ("é".repeat(51), format!("{}...", "é".repeat(50))),
        ];
        for (description, expected) in table {
            assert_eq!(question_display(&description), expected);
        }
    }

    fn submission_fixture() -> (Question, Question, Uuid, Uuid) {
        let number = ranged(QuestionType::Number, Some(1.0), Some(1_000_000.0));
        let mut file = Question::new(Uuid::from_u128(2), "Upload the policy", QuestionType::File);
        file.allowed_file_types = vec![".pdf".into()];
        (number, file, Uuid::from_u128(3), Uuid::from_u128(4))
    }

    /// Validates against a checklist of ten questions, two of which the tests answer.
    fn run(body: Value) -> Result<Vec<ValidAnswer>, SubmissionError> {
        run_with(body, 10)
    }

    fn run_with(body: Value, question_count: usize) -> Result<Vec<ValidAnswer>, SubmissionError> {
        let (number, file, other, _missing) = submission_fixture();
        validate_submission(
            &body,
            question_count,
            |uuid| {
                if uuid == number.uuid {
                    QuestionLookup::Found(&number)
                } else if uuid == file.uuid {
                    QuestionLookup::Found(&file)
                } else if uuid == other {
                    QuestionLookup::OtherChecklist
                } else {
                    QuestionLookup::Missing
                }
            },
            &files(),
        )
    }

    #[test]
    fn valid_submission_returns_elements_in_order_with_null_as_delete() {
        let number = Uuid::from_u128(1);
        let file = Uuid::from_u128(2);
        let body = json!([
            {"question_uuid": file.to_string(), "answer_data": {"name": "p.pdf", "content": PDF_B64}},
            {"question_uuid": 1, "answer_data": "7"},
        ]);
        let expected = vec![
            ValidAnswer { question: file, answer_data: json!({"name": "p.pdf", "content": PDF_B64}) },
            ValidAnswer { question: number, answer_data: json!("7") },
        ];
        assert_eq!(run(body), Ok(expected));
        let body = json!([{"question_uuid": number.hyphenated().to_string(), "answer_data": null}]);
        assert_eq!(run(body), Ok(vec![ValidAnswer { question: number, answer_data: Value::Null }]));
        assert_eq!(run(json!([])), Ok(vec![]));
        assert_eq!(run_with(json!([]), 0), Ok(vec![]));
    }

    #[test]
    fn each_question_is_answered_at_most_once() {
        let number = Uuid::from_u128(1);
        let repeated = format!("Question {} is answered more than once.", number.hyphenated());
        let table = vec![
            (
                json!([{"question_uuid": number.simple().to_string(), "answer_data": 5},
                       {"question_uuid": number.hyphenated().to_string(), "answer_data": null}]),
                vec![None, whole(&repeated)],
            ),
            // Every repeat is named, even after an invalid first answer.
            (
                json!([{"question_uuid": 1, "answer_data": "abc"},
                       {"question_uuid": Uuid::from_u128(2).to_string(), "answer_data": null},
                       {"question_uuid": number.to_string(), "answer_data": 7},
                       {"question_uuid": number.to_string(), "answer_data": 8}]),
                vec![
                    whole("Answer value 'abc' is not valid for the question 'How many?' (type: number)."),
                    None,
                    whole(&repeated),
                    whole(&repeated),
                ],
            ),
        ];
        for (body, expected) in table {
            assert_eq!(run(body.clone()), Err(SubmissionError::Elements(expected)), "body {body}");
        }
    }

    #[test]
    fn more_elements_than_questions_is_refused_before_any_element_is_read() {
        let answer = json!({"question_uuid": Uuid::from_u128(1).to_string(), "answer_data": 5});
        let table = vec![
            (
                json!([answer.clone(), answer.clone(), answer.clone()]),
                2,
                "Ensure this field has no more than 2 elements.",
            ),
            (json!(["not even an object"]), 0, "Ensure this field has no more than 0 elements."),
        ];
        for (body, count, message) in table {
            assert_eq!(run_with(body, count), Err(SubmissionError::Body(message.into())));
        }
    }

    #[test]
    fn string_answers_and_file_names_are_capped() {
        let question = q(QuestionType::TextArea);
        let mut files_question = Question::new(Uuid::from_u128(1), "Files", QuestionType::MultipleFiles);
        files_question.max_files_count = Some(2);
        let at_cap = "é".repeat(MAX_TEXT_ANSWER_CHARS);
        let over = "a".repeat(MAX_TEXT_ANSWER_CHARS + 1);
        let too_long = SubmissionError::Elements(vec![fields(None, Some(&too_long_message(MAX_TEXT_ANSWER_CHARS)))]);
        let text = "SGVsbG8K";
        let table: Vec<(&Question, Value, Option<SubmissionError>)> = vec![
            (&question, json!(at_cap), None),
            (&question, json!(over), Some(too_long.clone())),
            (
                &files_question,
                json!([{"name": format!("{}.txt", "n".repeat(MAX_TEXT_ANSWER_CHARS)), "content": text}]),
                Some(too_long.clone()),
            ),
            (&files_question, json!([{"name": "short.txt", "content": text}]), None),
        ];
        for (question, answer_data, expected) in table {
            let lookup = |_| QuestionLookup::Found(question);
            let body = json!([{"question_uuid": Uuid::from_u128(1).to_string(), "answer_data": answer_data}]);
            let result = validate_submission(&body, 1, lookup, &files()).err();
            assert_eq!(result, expected, "{:.60}", body.to_string());
        }
        assert_eq!(too_long_message(10_000), "Ensure this field has no more than 10000 characters.");
    }

    #[test]
    fn a_processed_entry_must_be_a_stored_file_of_the_question() {
        use super::super::files::StoredFile;
        use std::collections::HashMap;
        let mut question = Question::new(Uuid::from_u128(1), "Files", QuestionType::MultipleFiles);
        question.max_files_count = Some(3);
        let mine = Uuid::from_u128(0xf1);
        let theirs = Uuid::from_u128(0xf2);
        let stored = |q: u128| StoredFile {
            question: Uuid::from_u128(q),
            name: "a.pdf".into(),
            size: 10,
            mime_type: "application/pdf".into(),
        };
        let inspector = Base64Files::new(sniff).with_stored(HashMap::from([(mine, stored(1)), (theirs, stored(2))]));
        let entry = |id: Uuid| json!({"stored_file_id": id.simple().to_string(), "name": "a.pdf"});
        let lookup = |_| QuestionLookup::Found(&question);
        let body = |items: Value| json!([{"question_uuid": Uuid::from_u128(1).to_string(), "answer_data": items}]);
        let ok = validate_submission(&body(json!([entry(mine)])), 1, lookup, &inspector);
        assert!(ok.is_ok(), "{ok:?}");
        for (id, shown) in
            [(theirs, theirs.simple().to_string()), (Uuid::from_u128(0xf3), "000000000000000000000000000000f3".into())]
        {
            let err = validate_submission(&body(json!([entry(mine), entry(id)])), 1, lookup, &inspector).unwrap_err();
            assert_eq!(
                err,
                SubmissionError::Elements(vec![whole(&format!(
                    "Stored file '{shown}' is not a file of this question."
                ))])
            );
        }
    }

    #[test]
    fn null_answer_skips_validation_even_out_of_range() {
        // §11.2 #28
        let body = json!([{"question_uuid": Uuid::from_u128(1).to_string(), "answer_data": null}]);
        assert!(run(body).is_ok());
    }

    #[test]
    fn submission_errors_have_one_entry_per_element() {
        let number = Uuid::from_u128(1).simple().to_string();
        let other = Uuid::from_u128(3);
        let missing = Uuid::from_u128(4);
        let required = Some(MSG_REQUIRED);
        let table = vec![
            (
                json!([{"question_uuid": Uuid::from_u128(2).to_string(), "answer_data": null}, {"question_uuid": number, "answer_data": "abc"}]),
                vec![None, whole("Answer value 'abc' is not valid for the question 'How many?' (type: number).")],
            ),
            (json!([{"question_uuid": number}]), vec![fields(None, required)]),
            (json!([{"answer_data": 5}]), vec![fields(required, None)]),
            (json!([{}]), vec![fields(required, required)]),
            (json!([{"question_uuid": null, "answer_data": 5}]), vec![fields(Some(MSG_NULL), None)]),
            (json!([{"question_uuid": "not-a-uuid", "answer_data": 5}]), vec![fields(Some(MSG_INVALID_UUID), None)]),
            (json!([{"question_uuid": 1.5, "answer_data": 5}]), vec![fields(Some(MSG_INVALID_UUID), None)]),
            (
                json!([{"question_uuid": missing.simple().to_string(), "answer_data": 5}]),
                vec![whole(&format!("Question with UUID {} does not exist", missing.hyphenated()))],
            ),
            (
                json!([{"question_uuid": other.simple().to_string(), "answer_data": null}]),
                vec![whole(&format!("Question {} does not belong to this checklist", other.hyphenated()))],
            ),
            (
                json!(["abc", 5, 1.5, [], true, null]),
                vec![
                    whole("Invalid data. Expected a dictionary, but got str."),
                    whole("Invalid data. Expected a dictionary, but got int."),
                    whole("Invalid data. Expected a dictionary, but got float."),
                    whole("Invalid data. Expected a dictionary, but got list."),
                    whole("Invalid data. Expected a dictionary, but got bool."),
                    Some(ElementError::Null),
                ],
            ),
            (
                json!([{"question_uuid": Uuid::from_u128(2).to_string(), "answer_data": {"name": "a.txt", "content": PDF_B64}}]),
                vec![whole(&format!("Answer value '{{'name': 'a.txt', 'content': '{PDF_B64}'}}' is not valid for the question 'Upload the policy' (type: file)."))],
            ),
        ];
        for (body, expected) in table {
            let err = run(body.clone()).expect_err("submission should fail");
            assert_eq!(err, SubmissionError::Elements(expected), "body {body}");
        }
    }

    #[test]
    fn non_list_bodies_get_a_single_error_object() {
        let table = vec![
            (json!({"question_uuid": "x"}), "Expected a list of items but got type \"dict\"."),
            (json!("text"), "Expected a list of items but got type \"str\"."),
            (json!(5), "Expected a list of items but got type \"int\"."),
            (Value::Null, "No data provided"),
        ];
        for (body, expected) in table {
            assert_eq!(run(body.clone()), Err(SubmissionError::Body(expected.into())), "body {body}");
        }
    }

    #[test]
    fn submission_question_uuids_collects_parsable_ones() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let body = json!([
            {"question_uuid": b.to_string()},
            {"question_uuid": a.simple().to_string()},
            {"question_uuid": "bad"},
            {"question_uuid": b.simple().to_string()},
            "x",
        ]);
        assert_eq!(submission_question_uuids(&body), vec![a, b]);
        assert_eq!(submission_question_uuids(&json!({})), Vec::<Uuid>::new());
    }

    #[test]
    fn submission_stored_file_ids_collects_processed_entries_only() {
        let a = Uuid::from_u128(0xa);
        let b = Uuid::from_u128(0xb);
        let body = json!([
            {"question_uuid": "x", "answer_data": {"stored_file_id": b.simple().to_string(), "name": "b"}},
            {"question_uuid": "y", "answer_data": [
                {"stored_file_id": a.to_string()},
                {"stored_file_id": Uuid::from_u128(0xc).simple().to_string(), "content": "QUJD"},
                {"stored_file_id": "not a uuid"},
                {"stored_file_id": b.simple().to_string()},
            ]},
            {"question_uuid": "z", "answer_data": "text"},
            "junk",
        ]);
        assert_eq!(submission_stored_file_ids(&body), vec![a, b]);
        assert_eq!(submission_stored_file_ids(&json!({})), Vec::<Uuid>::new());
    }

    #[test]
    fn nul_characters_in_answers_are_rejected_before_storage() {
        let question = q(QuestionType::TextInput);
        let lookup = |_| QuestionLookup::Found(&question);
        let body = json!([{"question_uuid": Uuid::from_u128(1).to_string(), "answer_data": "a\u{0}b"}]);
        match validate_submission(&body, 1, lookup, &files()) {
            Err(SubmissionError::Elements(entries)) => {
                assert_eq!(entries, vec![fields(None, Some("Null characters are not allowed."))])
            }
            other => panic!("expected a per-element error, got {other:?}"),
        }
    }
}
