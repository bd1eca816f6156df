//! The 400 body of a refused `submit_answers` in DRF's shapes (docs/spec/checklists.md §3.4):
//! `{"non_field_errors": [msg]}` for the body as a whole, else a list with one entry per
//! submitted element, `{}` for a valid one.

use serde_json::{json, Map, Value};

use crate::domain::checklist::validation::MSG_NULL;
use crate::domain::checklist::{ElementError, SubmissionError};
use crate::error::ApiError;

impl From<SubmissionError> for ApiError {
    fn from(error: SubmissionError) -> Self {
        ApiError::Invalid(submission_error_body(&error))
    }
}

fn submission_error_body(error: &SubmissionError) -> Value {
    match error {
        SubmissionError::Body(message) => non_field_errors(message),
        SubmissionError::Elements(entries) => Value::Array(entries.iter().map(element_body).collect()),
    }
}

fn element_body(entry: &Option<ElementError>) -> Value {
    match entry {
        None => Value::Object(Map::new()),
        // DRF's ListSerializer says it of the item itself: a list, not an object.
        Some(ElementError::Null) => json!([MSG_NULL]),
        Some(ElementError::Fields { question_uuid, answer_data }) => {
            let mut fields = Map::new();
            if let Some(message) = question_uuid {
                fields.insert("question_uuid".into(), json!([message]));
            }
            if let Some(message) = answer_data {
                fields.insert("answer_data".into(), json!([message]));
            }
            Value::Object(fields)
        }
        Some(ElementError::Whole(message)) => non_field_errors(message),
    }
}

fn non_field_errors(message: &str) -> Value {
    json!({ "non_field_errors": [message] })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checklist::validation::{MSG_INVALID_UUID, MSG_REQUIRED};

    #[test]
    fn refusals_take_drf_shapes_with_fields_in_upstream_order() {
        let fields = |question_uuid, answer_data: Option<&str>| {
            Some(ElementError::Fields { question_uuid, answer_data: answer_data.map(str::to_owned) })
        };
        let table = vec![
            (SubmissionError::Body("No data provided".into()), r#"{"non_field_errors":["No data provided"]}"#),
            (
                SubmissionError::Elements(vec![
                    None,
                    Some(ElementError::Whole("Question x is answered more than once.".into())),
                ]),
                r#"[{},{"non_field_errors":["Question x is answered more than once."]}]"#,
            ),
            (SubmissionError::Elements(vec![Some(ElementError::Null)]), r#"[["This field may not be null."]]"#),
            (
                SubmissionError::Elements(vec![fields(Some(MSG_INVALID_UUID), Some(MSG_REQUIRED))]),
                r#"[{"question_uuid":["Must be a valid UUID."],"answer_data":["This field is required."]}]"#,
            ),
            (
                SubmissionError::Elements(vec![
                    fields(Some(MSG_REQUIRED), None),
                    fields(None, Some("Null characters are not allowed.")),
                ]),
                r#"[{"question_uuid":["This field is required."]},{"answer_data":["Null characters are not allowed."]}]"#,
            ),
        ];
        for (error, expected) in table {
            assert_eq!(submission_error_body(&error).to_string(), expected, "{error:?}");
        }
    }
}
