//! Review triggers and user guidance (spec §5).

use serde_json::Value;
use uuid::Uuid;

use super::model::{Answer, Question};
use super::operators::apply_optional_operator;
use crate::domain::python::{is_truthy, py_strip};

/// Whether an answer to `question` requires review (spec §5.1):
/// 1. `always_requires_review` → true, whatever the answer (even null);
/// 2. else a **truthy** `review_answer_value` with a non-blank operator → the operator
///    (**QUIRK**: a trigger value of `false`, `0`, `""` or `[]` can never fire);
/// 3. else false.
///
/// Under R2 (decisions item 16) the store layer calls this on every save, not only
/// when the row is created.
pub fn should_trigger_review(question: &Question, answer_data: &Value) -> bool {
    if question.always_requires_review {
        return true;
    }
    match &question.review_answer_value {
        Some(target) if is_truthy(target) => apply_optional_operator(answer_data, target, question.operator),
        _ => false,
    }
}

fn has_guidance_text(question: &Question) -> bool {
    !py_strip(&question.user_guidance).is_empty()
}

/// Whether the guidance applies to an answer (spec §5.2):
/// 1. `always_show_guidance` → true when the text is non-blank after trimming;
/// 2. else a non-null `guidance_answer_value` (unlike review, `false` works here), a
///    non-blank operator and a non-blank text → the operator;
/// 3. else false.
pub fn should_show_guidance(question: &Question, answer_data: &Value) -> bool {
    if question.always_show_guidance {
        return has_guidance_text(question);
    }
    match &question.guidance_answer_value {
        // A JSON null is stored as SQL NULL by upstream, so both mean "no value".
        Some(target) if !target.is_null() && has_guidance_text(question) => {
            apply_optional_operator(answer_data, target, question.guidance_operator)
        }
        _ => false,
    }
}

/// The `user_guidance` value of the question-with-answer views (spec §5.3): the raw
/// (untrimmed) text when guidance applies, else `None` (JSON null).
///
/// Without an answer only always-shown guidance appears; with one, [`should_show_guidance`]
/// decides. Pick the answer with [`guidance_answer`].
pub fn displayed_guidance(question: &Question, answer: Option<&Value>) -> Option<String> {
    let shown = match answer {
        None => question.always_show_guidance && has_guidance_text(question),
        Some(answer_data) => should_show_guidance(question, answer_data),
    };
    shown.then(|| question.user_guidance.clone())
}

/// The answer that decides the guidance shown to `viewer_user_id` (spec §5.3 REC):
/// the viewer's own answer to the question if there is one, otherwise the latest
/// answer of any user (by `modified`, ties to the higher `id`). With only the offering
/// user answering, this is the same answer under R1 and R2.
pub fn guidance_answer(answers: &[Answer], question: Uuid, viewer_user_id: i64) -> Option<&Answer> {
    let mut own = None;
    let mut latest: Option<&Answer> = None;
    for answer in answers.iter().filter(|a| a.question == question) {
        if answer.user_id == viewer_user_id {
            own = Some(answer);
        }
        if latest.is_none_or(|l| (answer.modified, answer.id) > (l.modified, l.id)) {
            latest = Some(answer);
        }
    }
    own.or(latest)
}

#[cfg(test)]
mod tests {
    use super::super::model::{Operator, QuestionType};
    use super::*;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn review_q(ty: QuestionType, value: Value, op: Option<Operator>) -> Question {
        let mut q = Question::new(Uuid::from_u128(1), "Q", ty);
        q.review_answer_value = Some(value);
        q.operator = op;
        q
    }

    fn guidance_q(always: bool, text: &str, value: Option<Value>, op: Option<Operator>) -> Question {
        let mut q = Question::new(Uuid::from_u128(2), "G", QuestionType::TextArea);
        q.always_show_guidance = always;
        q.user_guidance = text.into();
        q.guidance_answer_value = value;
        q.guidance_operator = op;
        q
    }

    #[test]
    fn always_requires_review_triggers_for_every_answer_even_null() {
        // §11.3 #29
        let mut q = Question::new(Uuid::from_u128(1), "Q", QuestionType::Boolean);
        q.always_requires_review = true;
        for answer in [json!(true), json!(false), json!("any text"), Value::Null] {
            assert!(should_trigger_review(&q, &answer), "{answer}");
        }
    }

    #[test]
    fn review_triggers_follow_the_configured_operator() {
        use Operator::*;
        let table = vec![
            // §11.3 #30
            (review_q(QuestionType::TextInput, json!("high"), Some(Equals)), json!("high"), true),
            (review_q(QuestionType::TextInput, json!("high"), Some(Equals)), json!("low"), false),
            (review_q(QuestionType::TextInput, json!("high"), Some(Equals)), json!("medium"), false),
            // §11.3 #31
            (
                review_q(QuestionType::TextArea, json!(["sensitive"]), Some(Contains)),
                json!("contains sensitive data"),
                true,
            ),
            (
                review_q(QuestionType::TextArea, json!(["sensitive"]), Some(Contains)),
                json!("sensitive information"),
                true,
            ),
            (
                review_q(QuestionType::TextArea, json!(["sensitive"]), Some(Contains)),
                json!("public information"),
                false,
            ),
            // §11.3 #32
            (
                review_q(QuestionType::MultiSelect, json!(["high", "critical", "severe"]), Some(In)),
                json!(["high"]),
                true,
            ),
            (
                review_q(QuestionType::MultiSelect, json!(["high", "critical", "severe"]), Some(In)),
                json!(["critical"]),
                true,
            ),
            (
                review_q(QuestionType::MultiSelect, json!(["high", "critical", "severe"]), Some(In)),
                json!(["low"]),
                false,
            ),
            // §11.3 #33
            (review_q(QuestionType::MultiSelect, json!(["low", "minimal"]), Some(NotIn)), json!(["high"]), true),
            (review_q(QuestionType::MultiSelect, json!(["low", "minimal"]), Some(NotIn)), json!(["medium"]), true),
            (review_q(QuestionType::MultiSelect, json!(["low", "minimal"]), Some(NotIn)), json!(["low"]), false),
            (review_q(QuestionType::MultiSelect, json!(["low", "minimal"]), Some(NotIn)), json!(["minimal"]), false),
            // §11.2 #22
            (
                review_q(QuestionType::TextArea, json!(["export", "third party"]), Some(Contains)),
                json!("We will export personal data to third party processors"),
                true,
            ),
            // §11.3 #36
            (review_q(QuestionType::TextInput, json!(["over_100k"]), Some(Contains)), json!("over_100k"), true),
            (review_q(QuestionType::TextInput, json!(["over_100k"]), Some(Contains)), json!("under_10k"), false),
            // null answers never trigger an operator
            (review_q(QuestionType::TextInput, json!("high"), Some(NotEquals)), Value::Null, false),
        ];
        for (q, answer, expected) in table {
            assert_eq!(should_trigger_review(&q, &answer), expected, "{:?} {answer}", q.review_answer_value);
        }
    }

    #[test]
    fn falsy_trigger_values_and_blank_operators_never_trigger() {
        let table = vec![
            review_q(QuestionType::Boolean, json!(false), Some(Operator::Equals)),
            review_q(QuestionType::Number, json!(0), Some(Operator::Equals)),
            review_q(QuestionType::TextInput, json!(""), Some(Operator::Equals)),
            review_q(QuestionType::TextInput, json!([]), Some(Operator::Equals)),
            review_q(QuestionType::TextInput, json!("x"), None),
            review_q(QuestionType::TextInput, Value::Null, Some(Operator::Equals)),
        ];
        for q in table {
            let answer = q.review_answer_value.clone().unwrap_or(Value::Null);
            assert!(!should_trigger_review(&q, &answer), "{:?}", q.review_answer_value);
        }
    }

    #[test]
    fn guidance_and_review_are_evaluated_independently() {
        // §11.3 #34
        let mut boolean = review_q(QuestionType::Boolean, json!(true), Some(Operator::Equals));
        boolean.always_show_guidance = false;
        boolean.user_guidance = "Explain".into();
        boolean.guidance_answer_value = Some(json!(true));
        boolean.guidance_operator = Some(Operator::Equals);
        for (answer, expected) in [(json!(true), true), (json!(false), false)] {
            assert_eq!(should_show_guidance(&boolean, &answer), expected);
            assert_eq!(should_trigger_review(&boolean, &answer), expected);
        }
        // §11.3 #35
        let mut text =
            review_q(QuestionType::TextInput, json!(["financial_data", "health_data"]), Some(Operator::Contains));
        text.always_show_guidance = false;
        text.user_guidance = "Handle with care".into();
        text.guidance_answer_value = Some(json!(["personal_data", "financial_data", "health_data", "confidential"]));
        text.guidance_operator = Some(Operator::Contains);
        let table = vec![("personal_data", true, false), ("financial_data", true, true), ("public_data", false, false)];
        for (answer, guidance, review) in table {
            let answer = json!(answer);
            assert_eq!(should_show_guidance(&text, &answer), guidance, "{answer}");
            assert_eq!(should_trigger_review(&text, &answer), review, "{answer}");
        }
    }

    #[test]
    fn guidance_follows_always_show_and_conditions() {
        use Operator::*;
        let table = vec![
            // §11.6 #49: always-show with text → any answer, even null
            (guidance_q(true, "Read this", None, None), json!("anything"), true),
            (guidance_q(true, "Read this", None, None), Value::Null, true),
            (guidance_q(true, "", None, None), json!("anything"), false),
            (guidance_q(true, "   \n", None, None), json!("anything"), false),
            // §11.6 #50
            (guidance_q(false, "Tip", Some(json!(true)), Some(Equals)), json!(true), true),
            (guidance_q(false, "Tip", Some(json!(true)), Some(Equals)), json!(false), false),
            (guidance_q(false, "Tip", Some(json!(true)), Some(Equals)), json!("true"), false),
            // a false guidance value works, unlike review
            (guidance_q(false, "Tip", Some(json!(false)), Some(Equals)), json!(false), true),
            // §11.6 #51
            (
                guidance_q(false, "Tip", Some(json!(["security"])), Some(Contains)),
                json!("high security requirements"),
                true,
            ),
            (guidance_q(false, "Tip", Some(json!(["security"])), Some(Contains)), json!("security is important"), true),
            (
                guidance_q(false, "Tip", Some(json!(["security"])), Some(Contains)),
                json!("compliance requirements"),
                false,
            ),
            // §11.6 #52
            (
                guidance_q(false, "Tip", Some(json!(["high", "critical", "enterprise"])), Some(In)),
                json!(["high"]),
                true,
            ),
            (
                guidance_q(false, "Tip", Some(json!(["high", "critical", "enterprise"])), Some(In)),
                json!(["critical"]),
                true,
            ),
            (
                guidance_q(false, "Tip", Some(json!(["high", "critical", "enterprise"])), Some(In)),
                json!(["low"]),
                false,
            ),
            (
                guidance_q(false, "Tip", Some(json!(["high", "critical", "enterprise"])), Some(In)),
                json!(["medium"]),
                false,
            ),
            (guidance_q(false, "Tip", Some(json!(["high", "critical"])), Some(NotIn)), json!(["low"]), true),
            (guidance_q(false, "Tip", Some(json!(["high", "critical"])), Some(NotIn)), json!(["high"]), false),
            // §11.6 #53: factory defaults `[]`/equals never match
            (guidance_q(false, "Tip", Some(json!([])), Some(Equals)), json!(true), false),
            (guidance_q(false, "Tip", Some(json!([])), Some(Equals)), json!("anything"), false),
            (guidance_q(false, "Tip", None, Some(Equals)), json!(true), false),
            (guidance_q(false, "Tip", Some(json!(true)), None), json!(true), false),
            (guidance_q(false, " ", Some(json!(true)), Some(Equals)), json!(true), false),
        ];
        for (q, answer, expected) in table {
            assert_eq!(
                should_show_guidance(&q, &answer),
                expected,
                "always={} text={:?} value={:?} answer={answer}",
                q.always_show_guidance,
                q.user_guidance,
                q.guidance_answer_value
            );
        }
    }

    #[test]
    fn displayed_guidance_is_raw_text_or_null() {
        let always = guidance_q(true, "  Read this  ", None, None);
        let blank = guidance_q(true, "  ", None, None);
        let conditional = guidance_q(false, "Tip", Some(json!(true)), Some(Operator::Equals));
        let yes = json!(true);
        let no = json!(false);
        let table: Vec<(&Question, Option<&Value>, Option<&str>)> = vec![
            (&always, None, Some("  Read this  ")),
            (&always, Some(&no), Some("  Read this  ")),
            (&blank, None, None),
            (&conditional, None, None),
            (&conditional, Some(&yes), Some("Tip")),
            (&conditional, Some(&no), None),
        ];
        for (q, answer, expected) in table {
            assert_eq!(displayed_guidance(q, answer).as_deref(), expected, "{answer:?}");
        }
    }

    #[test]
    fn guidance_uses_the_viewers_own_answer_else_the_latest() {
        let question = Uuid::from_u128(5);
        let at = |s: i64| Utc.timestamp_opt(1_700_000_000 + s, 0).single().expect("time");
        let row = |id: i64, user: i64, modified: i64| Answer {
            id,
            uuid: Uuid::from_u128(100 + id as u128),
            question,
            user_id: user,
            answer_data: json!(id),
            requires_review: false,
            created: at(0),
            modified: at(modified),
        };
        let answers = vec![row(1, 10, 5), row(2, 20, 9), row(3, 30, 9)];
        let table = vec![(10, Some(1)), (20, Some(2)), (99, Some(3))];
        for (viewer, expected) in table {
            assert_eq!(guidance_answer(&answers, question, viewer).map(|a| a.id), expected, "viewer {viewer}");
        }
        assert!(guidance_answer(&answers, Uuid::from_u128(6), 10).is_none());
    }
}
