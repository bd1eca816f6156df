//! Building the checklist responses (`wire.rs`'s shapes) from what the store read for one
//! completion and what the domain computes from it: which questions are shown, the latest
//! answer of each, the guidance that applies, the live metrics (docs/spec/checklists.md
//! §5, §6, §8; docs/spec/decisions.md 16).

use std::collections::HashMap;

use uuid::Uuid;

use super::wire::{
    AnswerJson, ChecklistJson, ChecklistResponse, CompletionJson, CompletionReviewJson, ConditionJson,
    DependenciesJson, FormatJson, OptionJson, QuestionJson, ReviewLogicJson, ReviewTriggerJson, TemplateJson,
    TemplateQuestionJson, UnansweredQuestionJson,
};
use crate::domain::checklist::{
    completion_metrics, displayed_guidance, guidance_answer, latest_answers, visible_questions, Answer,
    CompletionMetrics, Operator, Question, ReviewTrigger, UnansweredQuestion,
};
use crate::http::offering_users::full_name;
use crate::http::wire::{Hex, Timestamp};
use crate::store::checklists::{AnswerRecord, ChecklistRow, CompletionRow, QuestionRecord};

/// Which variant of a view: what the offering user sees, or what a reviewer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Audience {
    User,
    Reviewer,
}

/// Everything one completion's responses are made of, read in one transaction.
pub(super) struct Loaded {
    pub checklist: ChecklistRow,
    pub completion: CompletionRow,
    pub questions: Vec<QuestionRecord>,
    pub answers: Vec<AnswerRecord>,
}

impl<'a> ChecklistJson<'a> {
    fn new(checklist: &'a ChecklistRow) -> Self {
        ChecklistJson {
            uuid: Hex(checklist.uuid),
            name: &checklist.name,
            description: &checklist.description,
            checklist_type: &checklist.checklist_type,
        }
    }
}

impl From<&UnansweredQuestion> for UnansweredQuestionJson {
    fn from(q: &UnansweredQuestion) -> Self {
        UnansweredQuestionJson {
            uuid: Hex(q.uuid),
            description: q.description.clone(),
            question_type: q.question_type.as_str(),
        }
    }
}

impl From<&ReviewTrigger> for ReviewTriggerJson {
    fn from(t: &ReviewTrigger) -> Self {
        ReviewTriggerJson {
            question: t.question.clone(),
            answer: t.answer.clone(),
            trigger_value: t.trigger_value.clone(),
            operator: t.operator.clone(),
        }
    }
}

impl<'a> FormatJson<'a> {
    fn new(record: &'a QuestionRecord) -> Self {
        let q = &record.question;
        FormatJson {
            min_value: record.min_value_text.as_deref(),
            max_value: record.max_value_text.as_deref(),
            allowed_file_types: &q.allowed_file_types,
            allowed_mime_types: &q.allowed_mime_types,
            max_file_size_mb: q.max_file_size_mb,
            max_files_count: q.max_files_count,
            likert_scale_length: None,
            likert_low_label: "",
            likert_high_label: "",
            likert_allow_na: false,
            rich_text_char_limit: None,
            rich_text_toolbar_level: "standard",
        }
    }
}

impl<'a> ReviewLogicJson<'a> {
    fn new(record: &'a QuestionRecord) -> Self {
        ReviewLogicJson {
            operator: &record.operator_text,
            review_answer_value: record.question.review_answer_value.as_ref(),
            always_requires_review: record.question.always_requires_review,
        }
    }
}

fn options_json(question: &Question) -> Vec<OptionJson<'_>> {
    question.options.iter().map(|o| OptionJson { uuid: Hex(o.uuid), label: &o.label, order: o.order }).collect()
}

impl Loaded {
    fn domain_questions(&self) -> Vec<Question> {
        self.questions.iter().map(|q| q.question.clone()).collect()
    }

    fn domain_answers(&self) -> Vec<Answer> {
        self.answers.iter().map(|a| a.answer.clone()).collect()
    }

    /// Every metric, live, from the current questions and answers.
    pub(super) fn metrics(&self) -> CompletionMetrics {
        completion_metrics(&self.domain_questions(), &self.domain_answers())
    }

    /// The completion, basic view (§8.3). `is_completed` is the **stored** flag (it changes
    /// only on submit, as upstream); the percentage and the unanswered list are live.
    pub(super) fn completion_json(&self, metrics: &CompletionMetrics, audience: Audience) -> CompletionJson<'_> {
        let c = &self.completion;
        let review = (audience == Audience::Reviewer).then(|| CompletionReviewJson {
            requires_review: c.requires_review,
            reviewed_by: c.reviewed_by,
            reviewed_by_name: match (&c.reviewed_by, &c.reviewed_by_first_name, &c.reviewed_by_last_name) {
                (Some(_), Some(first), Some(last)) => Some(full_name(first, last)),
                _ => None,
            },
            reviewed_at: c.reviewed_at.map(Timestamp),
            review_notes: &c.review_notes,
            review_trigger_summary: metrics.review_trigger_summary.iter().map(ReviewTriggerJson::from).collect(),
        });
        CompletionJson {
            uuid: Hex(c.uuid),
            is_completed: c.is_completed,
            completion_percentage: metrics.completion_percentage.into(),
            unanswered_required_questions: metrics
                .unanswered_required_questions
                .iter()
                .map(UnansweredQuestionJson::from)
                .collect(),
            checklist_name: &self.checklist.name,
            checklist_description: &self.checklist.description,
            created: Timestamp(c.created),
            modified: Timestamp(c.modified),
            review,
        }
    }

    /// `GET checklist/` and `GET checklist_review/` (§8.2, §8.4). `include_all` lists hidden
    /// questions too (user view only; the review view always lists the visible ones).
    pub(super) fn checklist_response(
        &self,
        viewer_user_id: i64,
        audience: Audience,
        include_all: bool,
    ) -> ChecklistResponse<'_> {
        let questions = self.domain_questions();
        let answers = self.domain_answers();
        let metrics = completion_metrics(&questions, &answers);
        let shown: Vec<&Question> = if include_all && audience == Audience::User {
            questions.iter().collect()
        } else {
            visible_questions(&questions, &answers)
        };
        // R2 (docs/spec/decisions.md 16): the existing answer shown is the latest of any user.
        let latest = latest_answers(&answers);
        let records: HashMap<i64, &AnswerRecord> = self.answers.iter().map(|a| (a.answer.id, a)).collect();
        let by_uuid: HashMap<Uuid, &QuestionRecord> = self.questions.iter().map(|q| (q.question.uuid, q)).collect();
        let descriptions: HashMap<Uuid, &str> =
            self.questions.iter().map(|q| (q.question.uuid, q.question.description.as_str())).collect();

        let items = shown
            .into_iter()
            .filter_map(|q| by_uuid.get(&q.uuid).copied())
            .map(|record| {
                let q = &record.question;
                let existing = latest.get(&q.uuid).and_then(|a| records.get(&a.id)).copied();
                // §5.3 REC: the viewer's own answer decides the guidance, else the latest one.
                let guided = guidance_answer(&answers, q.uuid, viewer_user_id).map(|a| &a.answer_data);
                question_with_answer_json(record, existing, guided, &descriptions, audience)
            })
            .collect();
        ChecklistResponse {
            checklist: ChecklistJson::new(&self.checklist),
            completion: self.completion_json(&metrics, audience),
            questions: items,
        }
    }
}

fn answer_json<'a>(record: &'a AnswerRecord, question: &'a Question, audience: Audience) -> AnswerJson<'a> {
    let a = &record.answer;
    AnswerJson {
        uuid: Hex(a.uuid),
        question_description: &question.description,
        question_type: question.question_type.as_str(),
        question_required: question.required,
        answer_data: &a.answer_data,
        requires_review: (audience == Audience::Reviewer).then_some(a.requires_review),
        user: a.user_id,
        user_name: full_name(&record.user_first_name, &record.user_last_name),
        created: Timestamp(a.created),
        modified: Timestamp(a.modified),
    }
}

fn dependencies_info<'a>(
    question: &'a Question,
    descriptions: &HashMap<Uuid, &'a str>,
) -> Option<DependenciesJson<'a>> {
    if question.dependencies.is_empty() {
        return None;
    }
    let conditions = question
        .dependencies
        .iter()
        .map(|d| ConditionJson {
            question_description: descriptions.get(&d.depends_on).copied().unwrap_or(""),
            operator: Operator::wire(d.operator),
            required_value: &d.required_answer_value,
        })
        .collect();
    Some(DependenciesJson { logic: question.dependency_logic_operator.as_str(), conditions })
}

fn question_with_answer_json<'a>(
    record: &'a QuestionRecord,
    existing: Option<&'a AnswerRecord>,
    guided_by: Option<&serde_json::Value>,
    descriptions: &HashMap<Uuid, &'a str>,
    audience: Audience,
) -> QuestionJson<'a> {
    let q = &record.question;
    QuestionJson {
        uuid: Hex(q.uuid),
        description: &q.description,
        user_guidance: displayed_guidance(q, guided_by),
        question_type: q.question_type.as_str(),
        required: q.required,
        order: q.order,
        existing_answer: existing.map(|a| answer_json(a, q, audience)),
        question_options: if q.question_type.has_options() { options_json(q) } else { Vec::new() },
        format: FormatJson::new(record),
        dependencies_info: dependencies_info(q, descriptions),
        review: (audience == Audience::Reviewer).then(|| ReviewLogicJson::new(record)),
    }
}

fn template_question_json(record: &QuestionRecord) -> TemplateQuestionJson<'_> {
    let q = &record.question;
    TemplateQuestionJson {
        uuid: Hex(q.uuid),
        required: q.required,
        description: &q.description,
        user_guidance: &q.user_guidance,
        question_options: options_json(q),
        question_type: q.question_type.as_str(),
        order: q.order,
        format: FormatJson::new(record),
        review: ReviewLogicJson::new(record),
        guidance_answer_value: q.guidance_answer_value.as_ref(),
        guidance_operator: &record.guidance_operator_text,
        always_show_guidance: q.always_show_guidance,
        dependency_logic_operator: q.dependency_logic_operator.as_str(),
    }
}

/// `GET checklist-template/` (§8.6): every question, and those visible before any answer
/// (the ones without dependencies, §6).
pub(super) fn template_json<'a>(checklist: &'a ChecklistRow, questions: &'a [QuestionRecord]) -> TemplateJson<'a> {
    let domain: Vec<Question> = questions.iter().map(|q| q.question.clone()).collect();
    let initial: Vec<Uuid> = visible_questions(&domain, &[]).into_iter().map(|q| q.uuid).collect();
    TemplateJson {
        checklist: ChecklistJson::new(checklist),
        questions: questions.iter().map(template_question_json).collect(),
        initial_visible_questions: questions
            .iter()
            .filter(|q| initial.contains(&q.question.uuid))
            .map(template_question_json)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::domain::checklist::QuestionType;

    #[test]
    fn completion_parts_keep_their_wire_form() {
        let unanswered = UnansweredQuestion {
            uuid: Uuid::from_u128(2),
            description: "Question 2".into(),
            question_type: QuestionType::TextInput,
        };
        assert_eq!(
            serde_json::to_string(&UnansweredQuestionJson::from(&unanswered)).ok().as_deref(),
            Some(
                r#"{"uuid":"00000000000000000000000000000002","description":"Question 2","question_type":"text_input"}"#
            )
        );
        let trigger = ReviewTrigger {
            question: "Sensitivity".into(),
            answer: json!(["high"]),
            trigger_value: Value::Null,
            operator: String::new(),
        };
        assert_eq!(
            serde_json::to_string(&ReviewTriggerJson::from(&trigger)).ok().as_deref(),
            Some(r#"{"question":"Sensitivity","answer":["high"],"trigger_value":null,"operator":""}"#)
        );
    }
}
