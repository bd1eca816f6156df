//! The JSON shapes of the checklist operations, key for key (docs/spec/checklists.md §8,
//! docs/spec/decisions.md 21): the `checklist` object, completions (basic and reviewer
//! views), questions with their answers (user and reviewer views) and the template's
//! question configuration. Only the shapes: `assembly.rs` builds them from the store's rows
//! and the domain's metrics.
//!
//! Each shape is a struct whose field order is the key order (`serde_json` keeps it). A key
//! that only one view has is a flattened `Option` (absent, not null, when `None`); a key
//! that is always there but may be empty is a plain `Option` (null). Uuids and times are
//! held as such and written by `http::wire`'s newtypes.

use serde::Serialize;
use serde_json::Value;

use crate::domain::checklist::Percentage;
use crate::http::wire::{Hex, Timestamp};

/// `{"uuid", "name", "description", "checklist_type"}`: all four always present, as the
/// SDK's `ChecklistShort` requires (docs/spec/decisions.md 21).
#[derive(Serialize)]
pub(super) struct ChecklistJson<'a> {
    pub(super) uuid: Hex,
    pub(super) name: &'a str,
    pub(super) description: &'a str,
    pub(super) checklist_type: &'a str,
}

/// A completion (§8.3): the basic keys, then the reviewer's.
#[derive(Serialize)]
pub(super) struct CompletionJson<'a> {
    pub(super) uuid: Hex,
    /// The **stored** flag (it changes only on submit, as upstream).
    pub(super) is_completed: bool,
    pub(super) completion_percentage: PercentageJson,
    pub(super) unanswered_required_questions: Vec<UnansweredQuestionJson>,
    pub(super) checklist_name: &'a str,
    pub(super) checklist_description: &'a str,
    pub(super) created: Timestamp,
    pub(super) modified: Timestamp,
    #[serde(flatten)]
    pub(super) review: Option<CompletionReviewJson<'a>>,
}

/// The reviewer's keys of a completion.
#[derive(Serialize)]
pub(super) struct CompletionReviewJson<'a> {
    pub(super) requires_review: bool,
    pub(super) reviewed_by: Option<i64>,
    /// Upstream leaves the key out when there is no reviewer; the SDK requires it
    /// (docs/spec/decisions.md 21), so it goes out as null.
    pub(super) reviewed_by_name: Option<String>,
    pub(super) reviewed_at: Option<Timestamp>,
    pub(super) review_notes: &'a str,
    pub(super) review_trigger_summary: Vec<ReviewTriggerJson>,
}

/// `completion_percentage`: the integer `100` for a checklist without questions (as
/// upstream), else a float with at least one decimal (`0.0`, `33.3`, `100.0`).
#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum PercentageJson {
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
pub(super) struct UnansweredQuestionJson {
    pub(super) uuid: Hex,
    pub(super) description: String,
    pub(super) question_type: &'static str,
}

/// An entry of `review_trigger_summary`.
#[derive(Serialize)]
pub(super) struct ReviewTriggerJson {
    pub(super) question: String,
    pub(super) answer: Value,
    pub(super) trigger_value: Value,
    pub(super) operator: String,
}

/// `GET checklist/` and `GET checklist_review/`.
#[derive(Serialize)]
pub(super) struct ChecklistResponse<'a> {
    pub(super) checklist: ChecklistJson<'a>,
    pub(super) completion: CompletionJson<'a>,
    pub(super) questions: Vec<QuestionJson<'a>>,
}

/// `POST submit_answers/`.
#[derive(Serialize)]
pub(super) struct SubmittedJson<'a> {
    pub detail: &'static str,
    pub completion: CompletionJson<'a>,
}

/// A question with its answer (§8.2 user view, §8.4 reviewer view), keys in upstream's
/// order, the SDK's post-seed keys before `dependencies_info`.
#[derive(Serialize)]
pub(super) struct QuestionJson<'a> {
    pub(super) uuid: Hex,
    pub(super) description: &'a str,
    /// Shown only when the guidance applies (§5.3).
    pub(super) user_guidance: Option<String>,
    pub(super) question_type: &'static str,
    pub(super) required: bool,
    pub(super) order: i32,
    pub(super) existing_answer: Option<AnswerJson<'a>>,
    pub(super) question_options: Vec<OptionJson<'a>>,
    #[serde(flatten)]
    pub(super) format: FormatJson<'a>,
    pub(super) dependencies_info: Option<DependenciesJson<'a>>,
    #[serde(flatten)]
    pub(super) review: Option<ReviewLogicJson<'a>>,
}

/// An answer inside a question (the latest of any user: docs/spec/decisions.md 16).
#[derive(Serialize)]
pub(super) struct AnswerJson<'a> {
    pub(super) uuid: Hex,
    pub(super) question_description: &'a str,
    pub(super) question_type: &'static str,
    pub(super) question_required: bool,
    pub(super) answer_data: &'a Value,
    /// Reviewer view only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) requires_review: Option<bool>,
    /// Upstream leaks the integer user id here.
    pub(super) user: i64,
    pub(super) user_name: String,
    pub(super) created: Timestamp,
    pub(super) modified: Timestamp,
}

/// An option of a select question.
#[derive(Serialize)]
pub(super) struct OptionJson<'a> {
    pub(super) uuid: Hex,
    pub(super) label: &'a str,
    pub(super) order: i32,
}

/// The answer's limits, then the post-seed likert and rich-text keys the SDK requires in
/// every question object, with the defaults of a question that is neither (docs/spec/decisions.md
/// 21). We store no such questions (docs/spec/decisions.md 1), so those values are fixed.
#[derive(Serialize)]
pub(super) struct FormatJson<'a> {
    pub(super) min_value: Option<&'a str>,
    pub(super) max_value: Option<&'a str>,
    pub(super) allowed_file_types: &'a [String],
    pub(super) allowed_mime_types: &'a [String],
    pub(super) max_file_size_mb: Option<i32>,
    pub(super) max_files_count: Option<i32>,
    pub(super) likert_scale_length: Option<i32>,
    pub(super) likert_low_label: &'static str,
    pub(super) likert_high_label: &'static str,
    pub(super) likert_allow_na: bool,
    pub(super) rich_text_char_limit: Option<i32>,
    pub(super) rich_text_toolbar_level: &'static str,
}

/// The review logic of a question (reviewer view and template).
#[derive(Serialize)]
pub(super) struct ReviewLogicJson<'a> {
    /// Never `operator: null` (the SDK raises): a blank operator goes out as "".
    pub(super) operator: &'a str,
    pub(super) review_answer_value: Option<&'a Value>,
    pub(super) always_requires_review: bool,
}

/// `dependencies_info`: how the conditions combine and each condition.
#[derive(Serialize)]
pub(super) struct DependenciesJson<'a> {
    pub(super) logic: &'static str,
    pub(super) conditions: Vec<ConditionJson<'a>>,
}

#[derive(Serialize)]
pub(super) struct ConditionJson<'a> {
    pub(super) question_description: &'a str,
    pub(super) operator: &'static str,
    pub(super) required_value: &'a Value,
}

/// `GET checklist-template/` (§8.6).
#[derive(Serialize)]
pub(super) struct TemplateJson<'a> {
    pub(super) checklist: ChecklistJson<'a>,
    pub(super) questions: Vec<TemplateQuestionJson<'a>>,
    pub(super) initial_visible_questions: Vec<TemplateQuestionJson<'a>>,
}

/// A question's full configuration, as `checklist-template/` shows it (§8.6): the raw
/// guidance text and the review and guidance logic (**QUIRK**: visible to any caller who
/// may see the offering, as upstream).
#[derive(Serialize)]
pub(super) struct TemplateQuestionJson<'a> {
    pub(super) uuid: Hex,
    pub(super) required: bool,
    pub(super) description: &'a str,
    pub(super) user_guidance: &'a str,
    pub(super) question_options: Vec<OptionJson<'a>>,
    pub(super) question_type: &'static str,
    pub(super) order: i32,
    #[serde(flatten)]
    pub(super) format: FormatJson<'a>,
    #[serde(flatten)]
    pub(super) review: ReviewLogicJson<'a>,
    pub(super) guidance_answer_value: Option<&'a Value>,
    pub(super) guidance_operator: &'a str,
    pub(super) always_show_guidance: bool,
    pub(super) dependency_logic_operator: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_keep_their_wire_form() {
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
    }
}
