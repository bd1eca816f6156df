//! The JSON shapes of the checklist operations, key for key (docs/spec/checklists.md §8, docs/spec/decisions.md
//! 21): the `checklist` object, completions (basic and reviewer views), questions with
//! their answers (user and reviewer views) and the template's question configuration.
//!
//! Each shape is a struct whose field order is the key order (`serde_json` keeps it). A key
//! that only one view has is a flattened `Option` (absent, not null, when `None`); a key
//! that is always there but may be empty is a plain `Option` (null).

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::checklist::{
    completion_metrics, displayed_guidance, guidance_answer, latest_answers, visible_questions, Answer,
    CompletionMetrics, Operator, Percentage, Question, ReviewTrigger, UnansweredQuestion,
};
use crate::http::offering_users::full_name;
use crate::http::wire::{hex, timestamp};
use crate::store::checklists::{AnswerRecord, ChecklistRow, CompletionRow, QuestionRecord};

/// Which variant of a view: what the offering user sees, or what a reviewer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    User,
    Reviewer,
}

/// Everything one completion's responses are made of, read in one transaction.
pub struct Loaded {
    pub checklist: ChecklistRow,
    pub completion: CompletionRow,
    pub questions: Vec<QuestionRecord>,
    pub answers: Vec<AnswerRecord>,
}

/// `{"uuid", "name", "description", "checklist_type"}`: all four always present, as the
/// SDK's `ChecklistShort` requires (docs/spec/decisions.md 21).
#[derive(Serialize)]
pub struct ChecklistJson<'a> {
    uuid: String,
    name: &'a str,
    description: &'a str,
    checklist_type: &'a str,
}

impl<'a> ChecklistJson<'a> {
    fn new(checklist: &'a ChecklistRow) -> Self {
        ChecklistJson {
            uuid: hex(&checklist.uuid),
            name: &checklist.name,
            description: &checklist.description,
            checklist_type: &checklist.checklist_type,
        }
    }
}

/// A completion (§8.3): the basic keys, then the reviewer's.
#[derive(Serialize)]
pub struct CompletionJson<'a> {
    uuid: String,
    /// The **stored** flag (it changes only on submit, as upstream).
    is_completed: bool,
    completion_percentage: PercentageJson,
    unanswered_required_questions: Vec<UnansweredQuestionJson>,
    checklist_name: &'a str,
    checklist_description: &'a str,
    created: String,
    modified: String,
    #[serde(flatten)]
    review: Option<CompletionReviewJson<'a>>,
}

/// The reviewer's keys of a completion.
#[derive(Serialize)]
struct CompletionReviewJson<'a> {
    requires_review: bool,
    reviewed_by: Option<i64>,
    /// Upstream leaves the key out when there is no reviewer; the SDK requires it
    /// (docs/spec/decisions.md 21), so it goes out as null.
    reviewed_by_name: Option<String>,
    reviewed_at: Option<String>,
    review_notes: &'a str,
    review_trigger_summary: Vec<ReviewTriggerJson>,
}

/// `completion_percentage`: the integer `100` for a checklist without questions (as
/// upstream), else a float with at least one decimal (`0.0`, `33.3`, `100.0`).
#[derive(Serialize)]
#[serde(untagged)]
enum PercentageJson {
    Integer(u8),
    Float(f64),
}

impl From<Percentage> for PercentageJson {
    fn from(percentage: Percentage) -> Self {
        match percentage {
            Percentage::NoQuestions => PercentageJson::Integer(100),
            Percentage::Ratio(p) => PercentageJson::Float(p),
        }
    }
}

/// An entry of `unanswered_required_questions`.
#[derive(Serialize)]
struct UnansweredQuestionJson {
    uuid: String,
    description: String,
    question_type: &'static str,
}

impl From<&UnansweredQuestion> for UnansweredQuestionJson {
    fn from(q: &UnansweredQuestion) -> Self {
        UnansweredQuestionJson {
            uuid: hex(&q.uuid),
            description: q.description.clone(),
            question_type: q.question_type.as_str(),
        }
    }
}

/// An entry of `review_trigger_summary`.
#[derive(Serialize)]
struct ReviewTriggerJson {
    question: String,
    answer: Value,
    trigger_value: Value,
    operator: String,
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

/// `GET checklist/` and `GET checklist_review/`.
#[derive(Serialize)]
pub struct ChecklistResponse<'a> {
    checklist: ChecklistJson<'a>,
    completion: CompletionJson<'a>,
    questions: Vec<QuestionJson<'a>>,
}

/// `POST submit_answers/`.
#[derive(Serialize)]
pub struct SubmittedJson<'a> {
    pub detail: &'static str,
    pub completion: CompletionJson<'a>,
}

/// A question with its answer (§8.2 user view, §8.4 reviewer view), keys in upstream's
/// order, the SDK's post-seed keys before `dependencies_info`.
#[derive(Serialize)]
struct QuestionJson<'a> {
    uuid: String,
    description: &'a str,
    /// Shown only when the guidance applies (§5.3).
    user_guidance: Option<String>,
    question_type: &'static str,
    required: bool,
    order: i32,
    existing_answer: Option<AnswerJson<'a>>,
    question_options: Vec<OptionJson<'a>>,
    #[serde(flatten)]
    format: FormatJson<'a>,
    dependencies_info: Option<DependenciesJson<'a>>,
    #[serde(flatten)]
    review: Option<ReviewLogicJson<'a>>,
}

/// An answer inside a question (the latest of any user: docs/spec/decisions.md 16).
#[derive(Serialize)]
struct AnswerJson<'a> {
    uuid: String,
    question_description: &'a str,
    question_type: &'static str,
    question_required: bool,
    answer_data: &'a Value,
    /// Reviewer view only.
    #[serde(skip_serializing_if = "Option::is_none")]
    requires_review: Option<bool>,
    /// Upstream leaks the integer user id here.
    user: i64,
    user_name: String,
    created: String,
    modified: String,
}

/// An option of a select question.
#[derive(Serialize)]
struct OptionJson<'a> {
    uuid: String,
    label: &'a str,
    order: i32,
}

/// The answer's limits, then the post-seed likert and rich-text keys the SDK requires in
/// every question object, with the defaults of a question that is neither (docs/spec/decisions.md
/// 21). We store no such questions (docs/spec/decisions.md 1), so those values are fixed.
#[derive(Serialize)]
struct FormatJson<'a> {
    min_value: Option<&'a str>,
    max_value: Option<&'a str>,
    allowed_file_types: &'a [String],
    allowed_mime_types: &'a [String],
    max_file_size_mb: Option<i32>,
    max_files_count: Option<i32>,
    likert_scale_length: Option<i32>,
    likert_low_label: &'static str,
    likert_high_label: &'static str,
    likert_allow_na: bool,
    rich_text_char_limit: Option<i32>,
    rich_text_toolbar_level: &'static str,
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

/// The review logic of a question (reviewer view and template).
#[derive(Serialize)]
struct ReviewLogicJson<'a> {
    /// Never `operator: null` (the SDK raises): a blank operator goes out as "".
    operator: &'a str,
    review_answer_value: Option<&'a Value>,
    always_requires_review: bool,
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

/// `dependencies_info`: how the conditions combine and each condition.
#[derive(Serialize)]
struct DependenciesJson<'a> {
    logic: &'static str,
    conditions: Vec<ConditionJson<'a>>,
}

#[derive(Serialize)]
struct ConditionJson<'a> {
    question_description: &'a str,
    operator: &'static str,
    required_value: &'a Value,
}

/// `GET checklist-template/` (§8.6).
#[derive(Serialize)]
pub struct TemplateJson<'a> {
    checklist: ChecklistJson<'a>,
    questions: Vec<TemplateQuestionJson<'a>>,
    initial_visible_questions: Vec<TemplateQuestionJson<'a>>,
}

/// A question's full configuration, as `checklist-template/` shows it (§8.6): the raw
/// guidance text and the review and guidance logic (**QUIRK**: visible to any caller who
/// may see the offering, as upstream).
#[derive(Serialize)]
struct TemplateQuestionJson<'a> {
    uuid: String,
    required: bool,
    description: &'a str,
    user_guidance: &'a str,
    question_options: Vec<OptionJson<'a>>,
    question_type: &'static str,
    order: i32,
    #[serde(flatten)]
    format: FormatJson<'a>,
    #[serde(flatten)]
    review: ReviewLogicJson<'a>,
    guidance_answer_value: Option<&'a Value>,
    guidance_operator: &'a str,
    always_show_guidance: bool,
    dependency_logic_operator: &'static str,
}

fn options_json(question: &Question) -> Vec<OptionJson<'_>> {
    question.options.iter().map(|o| OptionJson { uuid: hex(&o.uuid), label: &o.label, order: o.order }).collect()
}

impl Loaded {
    fn domain_questions(&self) -> Vec<Question> {
        self.questions.iter().map(|q| q.question.clone()).collect()
    }

    fn domain_answers(&self) -> Vec<Answer> {
        self.answers.iter().map(|a| a.answer.clone()).collect()
    }

    /// Every metric, live, from the current questions and answers.
    pub fn metrics(&self) -> CompletionMetrics {
        completion_metrics(&self.domain_questions(), &self.domain_answers())
    }

    /// The completion, basic view (§8.3). `is_completed` is the **stored** flag (it changes
    /// only on submit, as upstream); the percentage and the unanswered list are live.
    pub fn completion_json(&self, metrics: &CompletionMetrics, audience: Audience) -> CompletionJson<'_> {
        let c = &self.completion;
        let review = (audience == Audience::Reviewer).then(|| CompletionReviewJson {
            requires_review: c.requires_review,
            reviewed_by: c.reviewed_by,
            reviewed_by_name: match (&c.reviewed_by, &c.reviewed_by_first_name, &c.reviewed_by_last_name) {
                (Some(_), Some(first), Some(last)) => Some(full_name(first, last)),
                _ => None,
            },
            reviewed_at: c.reviewed_at.as_ref().map(timestamp),
            review_notes: &c.review_notes,
            review_trigger_summary: metrics.review_trigger_summary.iter().map(ReviewTriggerJson::from).collect(),
        });
        CompletionJson {
            uuid: hex(&c.uuid),
            is_completed: c.is_completed,
            completion_percentage: metrics.completion_percentage.into(),
            unanswered_required_questions: metrics
                .unanswered_required_questions
                .iter()
                .map(UnansweredQuestionJson::from)
                .collect(),
            checklist_name: &self.checklist.name,
            checklist_description: &self.checklist.description,
            created: timestamp(&c.created),
            modified: timestamp(&c.modified),
            review,
        }
    }

    /// `GET checklist/` and `GET checklist_review/` (§8.2, §8.4). `include_all` lists hidden
    /// questions too (user view only; the review view always lists the visible ones).
    pub fn checklist_response(
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
        uuid: hex(&a.uuid),
        question_description: &question.description,
        question_type: question.question_type.as_str(),
        question_required: question.required,
        answer_data: &a.answer_data,
        requires_review: (audience == Audience::Reviewer).then_some(a.requires_review),
        user: a.user_id,
        user_name: full_name(&record.user_first_name, &record.user_last_name),
        created: timestamp(&a.created),
        modified: timestamp(&a.modified),
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
    guided_by: Option<&Value>,
    descriptions: &HashMap<Uuid, &'a str>,
    audience: Audience,
) -> QuestionJson<'a> {
    let q = &record.question;
    QuestionJson {
        uuid: hex(&q.uuid),
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
        uuid: hex(&q.uuid),
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
pub fn template_json<'a>(checklist: &'a ChecklistRow, questions: &'a [QuestionRecord]) -> TemplateJson<'a> {
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
    use serde_json::json;

    use super::*;
    use crate::domain::checklist::QuestionType;

    #[test]
    fn completion_parts_keep_their_wire_form() {
        let percentage = |p: Percentage| serde_json::to_string(&PercentageJson::from(p)).ok();
        let table = [
            (Percentage::NoQuestions, "100"),
            (Percentage::Ratio(0.0), "0.0"),
            (Percentage::Ratio(33.3), "33.3"),
            (Percentage::Ratio(100.0), "100.0"),
        ];
        for (p, expected) in table {
            assert_eq!(percentage(p).as_deref(), Some(expected), "{p:?}");
        }
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
