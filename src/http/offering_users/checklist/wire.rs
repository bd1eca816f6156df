//! The JSON shapes of the checklist operations, key for key (checklists.md §8, decisions.md
//! 21): the `checklist` object, completions (basic and reviewer views), questions with
//! their answers (user and reviewer views) and the template's question configuration.

use std::collections::HashMap;

use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::domain::checklist::{
    completion_metrics, displayed_guidance, guidance_answer, latest_answers, visible_questions, Answer,
    CompletionMetrics, Question,
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
/// SDK's `ChecklistShort` requires (decisions.md 21).
pub fn checklist_json(checklist: &ChecklistRow) -> Value {
    json!({
        "uuid": hex(&checklist.uuid),
        "name": checklist.name,
        "description": checklist.description,
        "checklist_type": checklist.checklist_type,
    })
}

/// The post-seed likert and rich-text keys the SDK requires in every question object, with
/// the defaults of a question that is neither (decisions.md 21). We store no such
/// questions (decisions.md 1), so the values are fixed.
fn push_post_seed_fields(map: &mut Map<String, Value>) {
    map.insert("likert_scale_length".into(), Value::Null);
    map.insert("likert_low_label".into(), json!(""));
    map.insert("likert_high_label".into(), json!(""));
    map.insert("likert_allow_na".into(), json!(false));
    map.insert("rich_text_char_limit".into(), Value::Null);
    map.insert("rich_text_toolbar_level".into(), json!("standard"));
}

fn options_json(question: &Question) -> Value {
    Value::Array(
        question.options.iter().map(|o| json!({"uuid": hex(&o.uuid), "label": o.label, "order": o.order})).collect(),
    )
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
    pub fn completion_json(&self, metrics: &CompletionMetrics, audience: Audience) -> Value {
        let c = &self.completion;
        let mut map = Map::new();
        map.insert("uuid".into(), json!(hex(&c.uuid)));
        map.insert("is_completed".into(), json!(c.is_completed));
        map.insert("completion_percentage".into(), metrics.completion_percentage.to_json());
        map.insert("unanswered_required_questions".into(), metrics.unanswered_required_questions_json());
        map.insert("checklist_name".into(), json!(self.checklist.name));
        map.insert("checklist_description".into(), json!(self.checklist.description));
        map.insert("created".into(), json!(timestamp(&c.created)));
        map.insert("modified".into(), json!(timestamp(&c.modified)));
        if audience == Audience::Reviewer {
            map.insert("requires_review".into(), json!(c.requires_review));
            map.insert("reviewed_by".into(), json!(c.reviewed_by));
            // Upstream leaves the key out when there is no reviewer; the SDK requires it
            // (decisions.md 21), so it goes out as null.
            let reviewer_name = match (&c.reviewed_by, &c.reviewed_by_first_name, &c.reviewed_by_last_name) {
                (Some(_), Some(first), Some(last)) => json!(full_name(first, last)),
                _ => Value::Null,
            };
            map.insert("reviewed_by_name".into(), reviewer_name);
            map.insert("reviewed_at".into(), json!(c.reviewed_at.as_ref().map(timestamp)));
            map.insert("review_notes".into(), json!(c.review_notes));
            map.insert("review_trigger_summary".into(), metrics.review_trigger_summary_json());
        }
        Value::Object(map)
    }

    /// `GET checklist/` and `GET checklist_review/` (§8.2, §8.4). `include_all` lists hidden
    /// questions too (user view only; the review view always lists the visible ones).
    pub fn checklist_response(&self, viewer_user_id: i64, audience: Audience, include_all: bool) -> Value {
        let questions = self.domain_questions();
        let answers = self.domain_answers();
        let metrics = completion_metrics(&questions, &answers);
        let shown: Vec<&Question> = if include_all && audience == Audience::User {
            questions.iter().collect()
        } else {
            visible_questions(&questions, &answers)
        };
        // R2 (decisions.md 16): the existing answer shown is the latest of any user.
        let latest = latest_answers(&answers);
        let records: HashMap<i64, &AnswerRecord> = self.answers.iter().map(|a| (a.answer.id, a)).collect();
        let by_uuid: HashMap<Uuid, &QuestionRecord> = self.questions.iter().map(|q| (q.question.uuid, q)).collect();
        let descriptions: HashMap<Uuid, &str> = questions.iter().map(|q| (q.uuid, q.description.as_str())).collect();

        let items: Vec<Value> = shown
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
        json!({
            "checklist": checklist_json(&self.checklist),
            "completion": self.completion_json(&metrics, audience),
            "questions": items,
        })
    }
}

fn answer_json(record: &AnswerRecord, question: &Question, audience: Audience) -> Value {
    let a = &record.answer;
    let mut map = Map::new();
    map.insert("uuid".into(), json!(hex(&a.uuid)));
    map.insert("question_description".into(), json!(question.description));
    map.insert("question_type".into(), json!(question.question_type.as_str()));
    map.insert("question_required".into(), json!(question.required));
    map.insert("answer_data".into(), a.answer_data.clone());
    if audience == Audience::Reviewer {
        map.insert("requires_review".into(), json!(a.requires_review));
    }
    // Upstream leaks the integer user id here.
    map.insert("user".into(), json!(a.user_id));
    map.insert("user_name".into(), json!(full_name(&record.user_first_name, &record.user_last_name)));
    map.insert("created".into(), json!(timestamp(&a.created)));
    map.insert("modified".into(), json!(timestamp(&a.modified)));
    Value::Object(map)
}

fn dependencies_info(question: &Question, descriptions: &HashMap<Uuid, &str>) -> Value {
    if question.dependencies.is_empty() {
        return Value::Null;
    }
    let conditions: Vec<Value> = question
        .dependencies
        .iter()
        .map(|d| {
            json!({
                "question_description": descriptions.get(&d.depends_on).copied().unwrap_or(""),
                "operator": crate::domain::checklist::Operator::wire(d.operator),
                "required_value": d.required_answer_value,
            })
        })
        .collect();
    json!({"logic": question.dependency_logic_operator.as_str(), "conditions": conditions})
}

/// A question with its answer (§8.2 user view, §8.4 reviewer view), keys in upstream's
/// order, the SDK's post-seed keys before `dependencies_info`.
fn question_with_answer_json(
    record: &QuestionRecord,
    existing: Option<&AnswerRecord>,
    guided_by: Option<&Value>,
    descriptions: &HashMap<Uuid, &str>,
    audience: Audience,
) -> Value {
    let q = &record.question;
    let mut map = Map::new();
    map.insert("uuid".into(), json!(hex(&q.uuid)));
    map.insert("description".into(), json!(q.description));
    map.insert("user_guidance".into(), json!(displayed_guidance(q, guided_by)));
    map.insert("question_type".into(), json!(q.question_type.as_str()));
    map.insert("required".into(), json!(q.required));
    map.insert("order".into(), json!(q.order));
    map.insert("existing_answer".into(), existing.map(|a| answer_json(a, q, audience)).unwrap_or(Value::Null));
    let options = if q.question_type.has_options() { options_json(q) } else { json!([]) };
    map.insert("question_options".into(), options);
    map.insert("min_value".into(), json!(record.min_value_text));
    map.insert("max_value".into(), json!(record.max_value_text));
    map.insert("allowed_file_types".into(), json!(q.allowed_file_types));
    map.insert("allowed_mime_types".into(), json!(q.allowed_mime_types));
    map.insert("max_file_size_mb".into(), json!(q.max_file_size_mb));
    map.insert("max_files_count".into(), json!(q.max_files_count));
    push_post_seed_fields(&mut map);
    map.insert("dependencies_info".into(), dependencies_info(q, descriptions));
    if audience == Audience::Reviewer {
        // Never `operator: null` (the SDK raises): a blank operator goes out as "".
        map.insert("operator".into(), json!(record.operator_text));
        map.insert("review_answer_value".into(), q.review_answer_value.clone().unwrap_or(Value::Null));
        map.insert("always_requires_review".into(), json!(q.always_requires_review));
    }
    Value::Object(map)
}

/// A question's full configuration, as `checklist-template/` shows it (§8.6): the raw
/// guidance text and the review and guidance logic (**QUIRK**: visible to any caller who
/// may see the offering, as upstream).
fn template_question_json(record: &QuestionRecord) -> Value {
    let q = &record.question;
    let mut map = Map::new();
    map.insert("uuid".into(), json!(hex(&q.uuid)));
    map.insert("required".into(), json!(q.required));
    map.insert("description".into(), json!(q.description));
    map.insert("user_guidance".into(), json!(q.user_guidance));
    map.insert("question_options".into(), options_json(q));
    map.insert("question_type".into(), json!(q.question_type.as_str()));
    map.insert("order".into(), json!(q.order));
    map.insert("min_value".into(), json!(record.min_value_text));
    map.insert("max_value".into(), json!(record.max_value_text));
    map.insert("allowed_file_types".into(), json!(q.allowed_file_types));
    map.insert("allowed_mime_types".into(), json!(q.allowed_mime_types));
    map.insert("max_file_size_mb".into(), json!(q.max_file_size_mb));
    map.insert("max_files_count".into(), json!(q.max_files_count));
    push_post_seed_fields(&mut map);
    map.insert("operator".into(), json!(record.operator_text));
    map.insert("review_answer_value".into(), q.review_answer_value.clone().unwrap_or(Value::Null));
    map.insert("always_requires_review".into(), json!(q.always_requires_review));
    map.insert("guidance_answer_value".into(), q.guidance_answer_value.clone().unwrap_or(Value::Null));
    map.insert("guidance_operator".into(), json!(record.guidance_operator_text));
    map.insert("always_show_guidance".into(), json!(q.always_show_guidance));
    map.insert("dependency_logic_operator".into(), json!(q.dependency_logic_operator.as_str()));
    Value::Object(map)
}

/// `GET checklist-template/` (§8.6): every question, and those visible before any answer
/// (the ones without dependencies, §6).
pub fn template_json(checklist: &ChecklistRow, questions: &[QuestionRecord]) -> Value {
    let domain: Vec<Question> = questions.iter().map(|q| q.question.clone()).collect();
    let initial: Vec<Uuid> = visible_questions(&domain, &[]).into_iter().map(|q| q.uuid).collect();
    json!({
        "checklist": checklist_json(checklist),
        "questions": questions.iter().map(template_question_json).collect::<Vec<_>>(),
        "initial_visible_questions": questions
            .iter()
            .filter(|q| initial.contains(&q.question.uuid))
            .map(template_question_json)
            .collect::<Vec<_>>(),
    })
}
