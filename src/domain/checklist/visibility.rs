//! Which questions are visible given the answers so far (spec §6).

use std::collections::HashMap;

use uuid::Uuid;

use super::model::{latest_answers, Answer, Dependency, DependencyLogic, Question};
use super::operators::apply_optional_operator;

/// Whether one dependency holds: the depends-on question has an answer and the
/// operator matches it. Which answer: the latest one of any user (R2, decisions item
/// 16; R1 took the first row by id). Answers of every user count (§11.4 #40).
pub fn dependency_satisfied(dependency: &Dependency, latest: &HashMap<Uuid, &Answer>) -> bool {
    latest.get(&dependency.depends_on).is_some_and(|answer| {
        apply_optional_operator(&answer.answer_data, &dependency.required_answer_value, dependency.operator)
    })
}

/// Whether a question is visible: always without dependencies; otherwise any (`or`)
/// or all (`and`) of them satisfied. Not transitive: an answer to a question that is
/// itself hidden still counts.
pub fn is_visible(question: &Question, latest: &HashMap<Uuid, &Answer>) -> bool {
    if question.dependencies.is_empty() {
        return true;
    }
    let mut results = question.dependencies.iter().map(|dependency| dependency_satisfied(dependency, latest));
    match question.dependency_logic_operator {
        DependencyLogic::Or => results.any(|r| r),
        DependencyLogic::And => results.all(|r| r),
    }
}

/// The visible questions, in the order given (callers pass them ordered by
/// (`order`, `id`)). With no answers this is exactly the questions without
/// dependencies, which is the template's `initial_visible_questions`.
pub fn visible_questions<'q>(questions: &'q [Question], answers: &[Answer]) -> Vec<&'q Question> {
    let latest = latest_answers(answers);
    questions.iter().filter(|q| is_visible(q, &latest)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::model::{Operator, QuestionType};
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};
    use serde_json::{json, Value};

    const A: Uuid = Uuid::from_u128(1);
    const B: Uuid = Uuid::from_u128(2);
    const T: Uuid = Uuid::from_u128(3);

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0).single().expect("time")
    }

    fn answer(id: i64, question: Uuid, user: i64, data: Value, modified: i64) -> Answer {
        Answer {
            id,
            uuid: Uuid::from_u128(100 + id as u128),
            question,
            user_id: user,
            answer_data: data,
            requires_review: false,
            created: at(0),
            modified: at(modified),
        }
    }

    fn dep(n: u128, on: Uuid, value: Value, op: Operator) -> Dependency {
        Dependency { uuid: Uuid::from_u128(200 + n), depends_on: on, required_answer_value: value, operator: Some(op) }
    }

    fn target(logic: DependencyLogic, deps: Vec<Dependency>) -> Question {
        let mut q = Question::new(T, "Target", QuestionType::TextInput);
        q.dependency_logic_operator = logic;
        q.dependencies = deps;
        q
    }

    fn visible(q: &Question, answers: &[Answer]) -> bool {
        is_visible(q, &latest_answers(answers))
    }

    #[test]
    fn and_logic_needs_every_dependency() {
        // §11.4 #37
        let q = target(
            DependencyLogic::default(),
            vec![dep(1, A, json!(true), Operator::Equals), dep(2, B, json!(true), Operator::Equals)],
        );
        let table = vec![
            (vec![], false),
            (vec![answer(1, A, 10, json!(true), 1)], false),
            (vec![answer(1, A, 10, json!(true), 1), answer(2, B, 10, json!(true), 2)], true),
            (vec![answer(1, A, 10, json!(true), 1), answer(2, B, 10, json!(false), 2)], false),
        ];
        for (answers, expected) in table {
            assert_eq!(visible(&q, &answers), expected, "{answers:?}");
        }
    }

    #[test]
    fn or_logic_needs_any_dependency() {
        // §11.4 #38
        let q = target(
            DependencyLogic::Or,
            vec![dep(1, A, json!(true), Operator::Equals), dep(2, B, json!(true), Operator::Equals)],
        );
        let table = vec![
            (vec![], false),
            (vec![answer(1, A, 10, json!(true), 1)], true),
            (vec![answer(1, A, 10, json!(true), 1), answer(2, B, 10, json!(false), 2)], true),
            (vec![answer(1, A, 10, json!(false), 1), answer(2, B, 10, json!(false), 2)], false),
        ];
        for (answers, expected) in table {
            assert_eq!(visible(&q, &answers), expected, "{answers:?}");
        }
    }

    #[test]
    fn questions_without_dependencies_are_always_visible() {
        // §11.4 #39
        for logic in [DependencyLogic::And, DependencyLogic::Or] {
            assert!(visible(&target(logic, vec![]), &[]));
        }
    }

    #[test]
    fn answers_from_different_users_combine_and_the_latest_counts() {
        // §11.4 #40
        let q = target(
            DependencyLogic::Or,
            vec![dep(1, A, json!(true), Operator::Equals), dep(2, B, json!(["test"]), Operator::Contains)],
        );
        let table = vec![
            (vec![], false),
            (vec![answer(1, A, 10, json!(true), 1)], true),
            (vec![answer(2, B, 20, json!("testing"), 2)], true),
            (vec![answer(1, A, 10, json!(false), 3), answer(2, B, 20, json!("testing"), 2)], true),
            (vec![answer(1, A, 10, json!(false), 3)], false),
        ];
        for (answers, expected) in table {
            assert_eq!(visible(&q, &answers), expected, "{answers:?}");
        }
    }

    #[test]
    fn the_latest_answer_of_the_depends_on_question_decides() {
        // R2: user1 true then user2 false (newer) → hidden; ties go to the higher id
        let q = target(DependencyLogic::And, vec![dep(1, A, json!(true), Operator::Equals)]);
        let table = vec![
            (vec![answer(1, A, 10, json!(true), 1), answer(2, A, 20, json!(false), 2)], false),
            (vec![answer(1, A, 10, json!(true), 3), answer(2, A, 20, json!(false), 2)], true),
            (vec![answer(1, A, 10, json!(false), 2), answer(2, A, 20, json!(true), 2)], true),
        ];
        for (answers, expected) in table {
            assert_eq!(visible(&q, &answers), expected, "{answers:?}");
        }
    }

    #[test]
    fn visible_list_keeps_order_and_is_not_transitive() {
        // §11.2 #23 and §6 (no transitivity)
        let parent = Question::new(A, "Parent", QuestionType::Boolean);
        let mut child = Question::new(B, "Child", QuestionType::MultiSelect);
        child.dependencies = vec![dep(1, A, json!(true), Operator::Equals)];
        let mut grandchild = Question::new(T, "Grandchild", QuestionType::TextInput);
        grandchild.dependencies = vec![dep(2, B, json!(["x"]), Operator::In)];
        let questions = vec![parent, child, grandchild];
        let table: Vec<(Vec<Answer>, Vec<Uuid>)> = vec![
            (vec![], vec![A]),
            (vec![answer(1, A, 10, json!(true), 1)], vec![A, B]),
            (vec![answer(1, A, 10, json!(false), 1)], vec![A]),
            // the child is hidden, but its stored answer still shows the grandchild
            (vec![answer(1, A, 10, json!(false), 1), answer(2, B, 10, json!(["x"]), 1)], vec![A, T]),
        ];
        for (answers, expected) in table {
            let got: Vec<Uuid> = visible_questions(&questions, &answers).iter().map(|q| q.uuid).collect();
            assert_eq!(got, expected, "{answers:?}");
        }
    }

    #[test]
    fn blank_dependency_operator_is_never_satisfied() {
        let mut d = dep(1, A, json!(true), Operator::Equals);
        d.operator = None;
        let q = target(DependencyLogic::And, vec![d]);
        assert!(!visible(&q, &[answer(1, A, 10, json!(true), 1)]));
    }
}
