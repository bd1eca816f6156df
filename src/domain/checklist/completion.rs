//! Completion metrics (spec §7, §8.3) as a pure function of the checklist's questions
//! and the completion's answer rows, with R2 "latest answer" semantics
//! (decisions items 16-17).

use std::collections::HashSet;

use serde_json::Value;
use uuid::Uuid;

use super::model::{latest_answers, Answer, Operator, Question, QuestionType};
use crate::domain::python::round1;

/// `completion_percentage`: a checklist without questions is a case of its own, which
/// upstream sends as the **integer** `100`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Percentage {
    /// A checklist without questions.
    NoQuestions,
    /// `round(answered / total × 100, 1)` (sent as a float: `0.0`, `33.3`, `100.0`).
    Ratio(f64),
}

/// An entry of `unanswered_required_questions`.
#[derive(Debug, Clone, PartialEq)]
pub struct UnansweredQuestion {
    /// The question's UUID.
    pub uuid: Uuid,
    /// The question text.
    pub description: String,
    /// The question type.
    pub question_type: QuestionType,
}

/// An entry of `review_trigger_summary`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewTrigger {
    /// The question's description.
    pub question: String,
    /// The latest answer's `answer_data`.
    pub answer: Value,
    /// The question's `review_answer_value` (null if NULL in the database).
    pub trigger_value: Value,
    /// The question's review operator (`""` when blank: never null, decisions item 21).
    pub operator: String,
}

/// Every metric of a completion. `is_completed` and `requires_review` are the values
/// to **store** at submit time; the others are live fields of the responses.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionMetrics {
    /// Every required question, visible or not, has an answer from some user.
    pub is_completed: bool,
    /// Some question's latest answer requires review.
    pub requires_review: bool,
    /// Share of the checklist's questions (hidden ones included) that have an answer.
    pub completion_percentage: Percentage,
    /// Required questions without any answer, visible or not, in question order.
    pub unanswered_required_questions: Vec<UnansweredQuestion>,
    /// One entry per question whose latest answer requires review, in question order.
    pub review_trigger_summary: Vec<ReviewTrigger>,
}

/// `completion_percentage` (R2): distinct answered questions over **all** questions,
/// hidden ones included, rounded like Python's `round(x, 1)`; never above 100 (R1
/// counted answer rows and could exceed it). No questions gives the integer 100.
pub fn completion_percentage(questions: &[Question], answers: &[Answer]) -> Percentage {
    if questions.is_empty() {
        return Percentage::NoQuestions;
    }
    let answered = answered_questions(answers);
    let count = questions.iter().filter(|q| answered.contains(&q.uuid)).count();
    // Same operation order as upstream: (answered / total) * 100, then round.
    let ratio = count as f64 / questions.len() as f64;
    Percentage::Ratio(round1(ratio * 100.0))
}

fn answered_questions(answers: &[Answer]) -> HashSet<Uuid> {
    answers.iter().map(|a| a.question).collect()
}

/// Computes every metric. `questions` are the checklist's questions ordered by
/// (`order`, `id`); `answers` are all answer rows of the completion, of every user.
pub fn completion_metrics(questions: &[Question], answers: &[Answer]) -> CompletionMetrics {
    let answered = answered_questions(answers);
    let latest = latest_answers(answers);

    // Decisions item 17: required questions count whether visible or not (upstream).
    let unanswered_required_questions: Vec<UnansweredQuestion> = questions
        .iter()
        .filter(|q| q.required && !answered.contains(&q.uuid))
        .map(|q| UnansweredQuestion {
            uuid: q.uuid,
            description: q.description.clone(),
            question_type: q.question_type,
        })
        .collect();

    // R2: only the latest answer per question counts; a superseded trigger does not.
    let review_trigger_summary: Vec<ReviewTrigger> = questions
        .iter()
        .filter_map(|q| {
            let answer = latest.get(&q.uuid)?;
            answer.requires_review.then(|| ReviewTrigger {
                question: q.description.clone(),
                answer: answer.answer_data.clone(),
                trigger_value: q.review_answer_value.clone().unwrap_or(Value::Null),
                operator: Operator::wire(q.operator).to_string(),
            })
        })
        .collect();

    CompletionMetrics {
        is_completed: unanswered_required_questions.is_empty(),
        requires_review: !review_trigger_summary.is_empty(),
        completion_percentage: completion_percentage(questions, answers),
        unanswered_required_questions,
        review_trigger_summary,
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{Dependency, DependencyLogic};
    use super::super::review::should_trigger_review;
    use super::super::visibility::visible_questions;
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};
    use serde_json::json;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0).single().expect("time")
    }

    fn question(n: u128, ty: QuestionType, required: bool) -> Question {
        let mut q = Question::new(Uuid::from_u128(n), format!("Question {n}"), ty);
        q.required = required;
        q.order = i32::try_from(n).unwrap_or(0);
        q
    }

    fn answer(id: i64, q: &Question, user: i64, data: Value, modified: i64) -> Answer {
        Answer {
            id,
            uuid: Uuid::from_u128(1000 + id as u128),
            question: q.uuid,
            user_id: user,
            requires_review: should_trigger_review(q, &data),
            answer_data: data,
            created: at(0),
            modified: at(modified),
        }
    }

    fn dep(on: &Question, value: Value, op: Operator) -> Dependency {
        Dependency { uuid: Uuid::new_v4(), depends_on: on.uuid, required_answer_value: value, operator: Some(op) }
    }

    #[test]
    fn percentage_counts_distinct_questions_and_rounds_like_python() {
        // §11.7 #60 and §7 rounding
        let three: Vec<Question> = (1..=3).map(|n| question(n, QuestionType::Boolean, false)).collect();
        let sixteen: Vec<Question> = (1..=16).map(|n| question(n, QuestionType::Boolean, false)).collect();
        let table: Vec<(&[Question], Vec<Answer>, Percentage)> = vec![
            (&three, vec![], Percentage::Ratio(0.0)),
            (
                &three,
                vec![answer(1, &three[0], 1, json!(true), 1), answer(2, &three[0], 2, json!(true), 2)],
                Percentage::Ratio(33.3),
            ),
            (
                &three,
                (0..3)
                    .flat_map(|i| {
                        let id = i as i64 * 2;
                        vec![answer(id, &three[i], 1, json!(true), 1), answer(id + 1, &three[i], 2, json!(false), 2)]
                    })
                    .collect(),
                Percentage::Ratio(100.0),
            ),
            (
                &three,
                vec![answer(1, &three[0], 1, json!(true), 1), answer(2, &three[1], 1, json!(true), 1)],
                Percentage::Ratio(66.7),
            ),
            // 1/16 × 100 = 6.25 exactly → 6.2 (half to even)
            (&sixteen, vec![answer(1, &sixteen[0], 1, json!(true), 1)], Percentage::Ratio(6.2)),
            (&[], vec![], Percentage::NoQuestions),
        ];
        for (questions, answers, expected) in table {
            let got = completion_percentage(questions, &answers);
            assert_eq!(got, expected, "{} questions, {} answers", questions.len(), answers.len());
        }
    }

    #[test]
    fn required_questions_answered_by_different_users_complete_the_checklist() {
        // §11.7 #61
        let q1 = question(1, QuestionType::Boolean, true);
        let q2 = question(2, QuestionType::Boolean, true);
        let q3 = question(3, QuestionType::TextInput, false);
        let questions = vec![q1.clone(), q2.clone(), q3];
        let table = vec![
            (vec![], false, vec![1, 2]),
            (vec![answer(1, &q1, 10, json!(true), 1)], false, vec![2]),
            (vec![answer(1, &q1, 10, json!(true), 1), answer(2, &q2, 20, json!(false), 2)], true, vec![]),
        ];
        for (answers, completed, unanswered) in table {
            let m = completion_metrics(&questions, &answers);
            assert_eq!(m.is_completed, completed);
            let got: Vec<Uuid> = m.unanswered_required_questions.iter().map(|u| u.uuid).collect();
            let expected: Vec<Uuid> = unanswered.into_iter().map(Uuid::from_u128).collect();
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn deleting_a_required_answer_uncompletes_and_lowers_the_percentage() {
        // §11.2 #26
        let b = question(1, QuestionType::Boolean, true);
        let t = question(2, QuestionType::TextInput, false);
        let questions = vec![b.clone(), t.clone()];
        let both = vec![answer(1, &b, 1, json!(true), 1), answer(2, &t, 1, json!("x"), 1)];
        let text_only = vec![answer(2, &t, 1, json!("x"), 1)];
        let before = completion_metrics(&questions, &both);
        let after = completion_metrics(&questions, &text_only);
        assert!(before.is_completed && !after.is_completed);
        assert_eq!(before.completion_percentage, Percentage::Ratio(100.0));
        assert_eq!(after.completion_percentage, Percentage::Ratio(50.0));
    }

    #[test]
    fn hidden_required_question_still_blocks_completion() {
        // decisions item 17
        let parent = question(1, QuestionType::Boolean, true);
        let mut child = question(2, QuestionType::TextInput, true);
        child.dependencies = vec![dep(&parent, json!(true), Operator::Equals)];
        let questions = vec![parent.clone(), child];
        let answers = vec![answer(1, &parent, 1, json!(false), 1)];
        assert_eq!(visible_questions(&questions, &answers).len(), 1);
        let m = completion_metrics(&questions, &answers);
        assert!(!m.is_completed);
        assert_eq!(
            m.unanswered_required_questions,
            [UnansweredQuestion {
                uuid: Uuid::from_u128(2),
                description: "Question 2".into(),
                question_type: QuestionType::TextInput
            }]
        );
    }

    #[test]
    fn editing_an_answer_recomputes_its_review_flag() {
        // §11.7 #57: the store recomputes on every save
        let mut q = question(1, QuestionType::Boolean, false);
        q.review_answer_value = Some(json!(true));
        let table = vec![(json!(true), true), (json!(false), false), (json!(true), true)];
        for (value, expected) in table {
            assert_eq!(should_trigger_review(&q, &value), expected, "{value}");
        }
    }

    #[test]
    fn only_the_latest_answer_per_question_decides_review() {
        // §11.7 #58, #59; §11.2 #27
        let mut q = question(1, QuestionType::Boolean, false);
        q.review_answer_value = Some(json!(true));
        let questions = vec![q.clone()];
        let table: Vec<(&str, Vec<Answer>, bool, usize)> = vec![
            (
                "user1 true, user2 false newer",
                vec![answer(1, &q, 1, json!(true), 1), answer(2, &q, 2, json!(false), 2)],
                false,
                0,
            ),
            (
                "user1 true made newest",
                vec![answer(1, &q, 1, json!(true), 3), answer(2, &q, 2, json!(false), 2)],
                true,
                1,
            ),
            ("both users trigger", vec![answer(1, &q, 1, json!(true), 1), answer(2, &q, 2, json!(true), 2)], true, 1),
            (
                "both trigger, superseded by false",
                vec![
                    answer(1, &q, 1, json!(true), 1),
                    answer(2, &q, 2, json!(true), 2),
                    answer(3, &q, 3, json!(false), 3),
                ],
                false,
                0,
            ),
            ("triggering answer deleted", vec![], false, 0),
        ];
        for (case, answers, requires_review, entries) in table {
            let m = completion_metrics(&questions, &answers);
            assert_eq!(m.requires_review, requires_review, "{case}");
            assert_eq!(m.review_trigger_summary.len(), entries, "{case}");
        }
    }

    #[test]
    fn review_summary_entries_carry_question_answer_trigger_and_operator() {
        let mut always = question(1, QuestionType::TextArea, false);
        always.always_requires_review = true;
        let mut select = question(2, QuestionType::MultiSelect, false);
        select.review_answer_value = Some(json!(["high", "critical"]));
        select.operator = Some(Operator::In);
        let questions = vec![always.clone(), select.clone()];
        let answers = vec![answer(1, &select, 1, json!(["high"]), 1), answer(2, &always, 1, json!("text"), 1)];
        let m = completion_metrics(&questions, &answers);
        let trigger = |question: &str, answer: Value, trigger_value: Value, operator: &str| ReviewTrigger {
            question: question.into(),
            answer,
            trigger_value,
            operator: operator.into(),
        };
        assert_eq!(
            m.review_trigger_summary,
            [
                trigger("Question 1", json!("text"), json!([]), "equals"),
                trigger("Question 2", json!(["high"]), json!(["high", "critical"]), "in"),
            ]
        );
    }

    #[test]
    fn gdpr_workflow_reveals_dependents_and_flags_three_answers() {
        // §11.7 #54
        let eu = question(1, QuestionType::Boolean, true);
        let mut types = question(2, QuestionType::MultiSelect, true);
        types.dependencies = vec![dep(&eu, json!(true), Operator::Equals)];
        types.review_answer_value = Some(json!(["health", "biometric"]));
        types.operator = Some(Operator::In);
        let mut basis = question(3, QuestionType::TextArea, true);
        basis.dependencies = vec![dep(&eu, json!(true), Operator::Equals)];
        basis.always_requires_review = true;
        let mut transfer = question(4, QuestionType::Boolean, true);
        transfer.dependencies = vec![dep(&eu, json!(true), Operator::Equals)];
        transfer.review_answer_value = Some(json!(true));
        let questions = vec![eu.clone(), types.clone(), basis.clone(), transfer.clone()];

        let only_eu = vec![answer(1, &eu, 1, json!(true), 1)];
        assert_eq!(visible_questions(&questions, &only_eu).len(), 4);
        let no_eu = vec![answer(1, &eu, 1, json!(false), 1)];
        assert_eq!(visible_questions(&questions, &no_eu).len(), 1);

        let all = vec![
            answer(1, &eu, 1, json!(true), 1),
            answer(2, &types, 1, json!(["health"]), 2),
            answer(3, &basis, 1, json!("Consent"), 3),
            answer(4, &transfer, 1, json!(true), 4),
        ];
        let m = completion_metrics(&questions, &all);
        assert!(m.is_completed);
        assert!(m.requires_review);
        assert_eq!(m.review_trigger_summary.len(), 3);
        assert_eq!(all.iter().filter(|a| a.requires_review).count(), 3);
    }

    #[test]
    fn financial_branching_shows_the_matching_branches() {
        // §11.7 #55
        let mut root = question(1, QuestionType::Boolean, true);
        root.review_answer_value = Some(json!(true));
        let mut kinds = question(2, QuestionType::MultiSelect, false);
        kinds.dependencies = vec![dep(&root, json!(true), Operator::Equals)];
        kinds.review_answer_value = Some(json!(["wire_transfer"]));
        kinds.operator = Some(Operator::In);
        let mut pci = question(3, QuestionType::TextArea, false);
        pci.dependencies = vec![dep(&kinds, json!(["credit_card"]), Operator::In)];
        pci.always_requires_review = true;
        let mut aml = question(4, QuestionType::TextArea, false);
        aml.dependencies = vec![dep(&kinds, json!(["wire_transfer"]), Operator::In)];
        aml.always_requires_review = true;
        aml.dependency_logic_operator = DependencyLogic::Or;
        let questions = vec![root.clone(), kinds.clone(), pci, aml];
        let table: Vec<(Vec<Answer>, Vec<u128>)> = vec![
            (vec![answer(1, &root, 1, json!(false), 1)], vec![1]),
            (vec![answer(1, &root, 1, json!(true), 1)], vec![1, 2]),
            (vec![answer(1, &root, 1, json!(true), 1), answer(2, &kinds, 1, json!(["credit_card"]), 2)], vec![1, 2, 3]),
            (
                vec![
                    answer(1, &root, 1, json!(true), 1),
                    answer(2, &kinds, 1, json!(["credit_card", "wire_transfer"]), 2),
                ],
                vec![1, 2, 3, 4],
            ),
        ];
        for (answers, expected) in table {
            let got: Vec<Uuid> = visible_questions(&questions, &answers).iter().map(|q| q.uuid).collect();
            let expected: Vec<Uuid> = expected.into_iter().map(Uuid::from_u128).collect();
            assert_eq!(got, expected);
        }
        assert!(should_trigger_review(&root, &json!(true)));
        assert!(should_trigger_review(&kinds, &json!(["credit_card", "wire_transfer"])));
        assert!(!should_trigger_review(&kinds, &json!(["credit_card"])));
    }
}
