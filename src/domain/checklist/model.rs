//! Plain data types of the checklist subsystem (spec §1, §2). No sqlx, no axum: the
//! store layer maps its rows into these, the rules in the sibling modules read them.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// The type of a question (spec §2.2), which decides the accepted answer format.
///
/// Only the 16 types of the January 2026 API reference; the post-seed `likert` and
/// `rich_text` types are left out on purpose (decisions item 1), so [`QuestionType::parse`]
/// returns `None` for them and the store layer decides what to do with such a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    /// `boolean`: `true` / `false`.
    Boolean,
    /// `single_select`: a list with exactly one option UUID string.
    SingleSelect,
    /// `multi_select`: a list of option UUID strings (may be empty).
    MultiSelect,
    /// `text_input`: any string.
    TextInput,
    /// `text_area`: any string.
    TextArea,
    /// `number`: an int, a float or a numeric string, range-checked.
    Number,
    /// `date`: a date string in one of the accepted formats (see `dates`).
    Date,
    /// `file`: one file object.
    File,
    /// `multiple_files`: a list of file objects.
    MultipleFiles,
    /// `phone_number`: any string (no format check upstream).
    PhoneNumber,
    /// `year`: an int or an integer string, range-checked.
    Year,
    /// `email`: any string (no format check upstream).
    Email,
    /// `url`: any string (no format check upstream).
    Url,
    /// `country`: any string.
    Country,
    /// `rating`: an int or an integer string, range-checked.
    Rating,
    /// `datetime`: an ISO-8601 string as Python's `datetime.fromisoformat` reads it.
    Datetime,
}

impl QuestionType {
    /// Every type, in the order of the spec's list.
    pub const ALL: [QuestionType; 16] = [
        QuestionType::Boolean,
        QuestionType::SingleSelect,
        QuestionType::MultiSelect,
        QuestionType::TextInput,
        QuestionType::TextArea,
        QuestionType::Number,
        QuestionType::Date,
        QuestionType::File,
        QuestionType::MultipleFiles,
        QuestionType::PhoneNumber,
        QuestionType::Year,
        QuestionType::Email,
        QuestionType::Url,
        QuestionType::Country,
        QuestionType::Rating,
        QuestionType::Datetime,
    ];

    /// The wire (and database) string, e.g. `"single_select"`.
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::Boolean => "boolean",
            QuestionType::SingleSelect => "single_select",
            QuestionType::MultiSelect => "multi_select",
            QuestionType::TextInput => "text_input",
            QuestionType::TextArea => "text_area",
            QuestionType::Number => "number",
            QuestionType::Date => "date",
            QuestionType::File => "file",
            QuestionType::MultipleFiles => "multiple_files",
            QuestionType::PhoneNumber => "phone_number",
            QuestionType::Year => "year",
            QuestionType::Email => "email",
            QuestionType::Url => "url",
            QuestionType::Country => "country",
            QuestionType::Rating => "rating",
            QuestionType::Datetime => "datetime",
        }
    }

    /// Reads a wire string; `None` for anything that is not one of the 16 types.
    pub fn parse(s: &str) -> Option<QuestionType> {
        QuestionType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether the question's options are sent on the wire (only the select types, §1.3).
    pub fn has_options(self) -> bool {
        matches!(self, QuestionType::SingleSelect | QuestionType::MultiSelect)
    }
}

impl fmt::Display for QuestionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A comparison operator (spec §2.3), used by dependencies, review triggers and guidance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// `equals`: Python `==`.
    Equals,
    /// `not_equals`: Python `!=`.
    NotEquals,
    /// `contains`: any element of the target is "in" the answer.
    Contains,
    /// `in`: any element of the answer is in the target list.
    In,
    /// `not_in`: no element of the answer is in the target list.
    NotIn,
}

impl Operator {
    /// Every operator, in the order of the spec's list.
    pub const ALL: [Operator; 5] =
        [Operator::Equals, Operator::NotEquals, Operator::Contains, Operator::In, Operator::NotIn];

    /// The wire string, e.g. `"not_in"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equals => "equals",
            Operator::NotEquals => "not_equals",
            Operator::Contains => "contains",
            Operator::In => "in",
            Operator::NotIn => "not_in",
        }
    }

    /// Reads a wire string. A blank or unknown operator is `None`, which every rule
    /// treats as "never matches" (spec §4: an unknown or blank operator gives false).
    pub fn parse(s: &str) -> Option<Operator> {
        Operator::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// The string to send for a possibly blank operator: decisions item 21 forbids
    /// `operator: null`, so a blank one goes out as `""`.
    pub fn wire(op: Option<Operator>) -> &'static str {
        op.map(Operator::as_str).unwrap_or("")
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How several dependencies of one question combine (spec §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DependencyLogic {
    /// `and` (the default): every dependency must be satisfied.
    #[default]
    And,
    /// `or`: at least one dependency must be satisfied.
    Or,
}

impl DependencyLogic {
    /// The wire string, `"and"` or `"or"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DependencyLogic::And => "and",
            DependencyLogic::Or => "or",
        }
    }

    /// Reads a stored value. Upstream tests only for `or`; anything else means `and`.
    pub fn parse(s: &str) -> DependencyLogic {
        if s == "or" {
            DependencyLogic::Or
        } else {
            DependencyLogic::And
        }
    }
}

/// What a checklist is for (docs/spec/checklists.md §2.1), with the older `customer_onboarding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChecklistType {
    /// `project_compliance`: upstream's model default.
    #[default]
    ProjectCompliance,
    ProposalCompliance,
    OfferingCompliance,
    ProjectMetadata,
    OnboardingCustomer,
    OnboardingIntent,
    WorkflowStep,
    CustomerOnboarding,
}

impl ChecklistType {
    /// Every type, in the order of the spec's list.
    pub const ALL: [ChecklistType; 8] = [
        ChecklistType::ProjectCompliance,
        ChecklistType::ProposalCompliance,
        ChecklistType::OfferingCompliance,
        ChecklistType::ProjectMetadata,
        ChecklistType::OnboardingCustomer,
        ChecklistType::OnboardingIntent,
        ChecklistType::WorkflowStep,
        ChecklistType::CustomerOnboarding,
    ];

    /// The wire (and database) string, e.g. `"project_compliance"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChecklistType::ProjectCompliance => "project_compliance",
            ChecklistType::ProposalCompliance => "proposal_compliance",
            ChecklistType::OfferingCompliance => "offering_compliance",
            ChecklistType::ProjectMetadata => "project_metadata",
            ChecklistType::OnboardingCustomer => "onboarding_customer",
            ChecklistType::OnboardingIntent => "onboarding_intent",
            ChecklistType::WorkflowStep => "workflow_step",
            ChecklistType::CustomerOnboarding => "customer_onboarding",
        }
    }

    /// Reads a wire string; `None` for anything else.
    pub fn parse(s: &str) -> Option<ChecklistType> {
        ChecklistType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// One option of a select question (spec §1.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionOption {
    /// The option's UUID; select answers hold its string form.
    pub uuid: Uuid,
    /// The text shown to the user.
    pub label: String,
    /// Sort key; callers pass options already ordered by (`order`, `id`).
    pub order: i32,
}

/// A visibility condition of a question on another question's answer (spec §1.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dependency {
    /// The dependency's UUID.
    pub uuid: Uuid,
    /// The question whose latest answer is tested.
    pub depends_on: Uuid,
    /// The target value handed to the operator.
    pub required_answer_value: Value,
    /// The operator; `None` stands for a blank or unknown stored value (never matches).
    pub operator: Option<Operator>,
}

/// A question with everything the rules need (spec §1.2). Post-seed likert and
/// rich-text fields are not carried (decisions item 1); the HTTP layer sends their
/// fixed defaults (decisions item 21).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// The question's UUID.
    pub uuid: Uuid,
    /// The question text.
    pub description: String,
    /// The answer format.
    pub question_type: QuestionType,
    /// Whether the question must be answered for the completion to count as completed.
    pub required: bool,
    /// Sort key; callers pass questions already ordered by (`order`, `id`).
    pub order: i32,
    /// Guidance text shown to the user (raw, untrimmed).
    pub user_guidance: String,
    /// Show the guidance whatever the answer (default true).
    pub always_show_guidance: bool,
    /// Value that makes conditional guidance appear; `None` is a SQL NULL.
    pub guidance_answer_value: Option<Value>,
    /// Operator of conditional guidance; `None` when blank.
    pub guidance_operator: Option<Operator>,
    /// Value that makes an answer require review; `None` is a SQL NULL.
    pub review_answer_value: Option<Value>,
    /// Review operator; `None` when blank.
    pub operator: Option<Operator>,
    /// Every answer to this question requires review.
    pub always_requires_review: bool,
    /// Lower bound for number/year/rating answers. Upstream stores numeric(20,4) and
    /// compares `float(value) < float(min_value)`, so an `f64` reproduces it exactly.
    pub min_value: Option<f64>,
    /// Upper bound for number/year/rating answers (see `min_value`).
    pub max_value: Option<f64>,
    /// Allowed file extensions such as `".pdf"`; empty means any.
    pub allowed_file_types: Vec<String>,
    /// Allowed sniffed MIME types such as `"application/pdf"` or `"image/*"`; empty means any.
    pub allowed_mime_types: Vec<String>,
    /// Size limit per file in MiB; `None` or 0 means no limit.
    pub max_file_size_mb: Option<i32>,
    /// Limit on the number of files of a `multiple_files` answer; `None` or 0 means none.
    pub max_files_count: Option<i32>,
    /// How the dependencies combine.
    pub dependency_logic_operator: DependencyLogic,
    /// Options, ordered by (`order`, `id`); meaningful for select types only.
    pub options: Vec<QuestionOption>,
    /// Dependencies, ordered by (`created`, `id`).
    pub dependencies: Vec<Dependency>,
}

impl Question {
    /// A question with the column defaults of spec §1.2 (what the database fills in).
    pub fn new(uuid: Uuid, description: impl Into<String>, question_type: QuestionType) -> Self {
        Question {
            uuid,
            description: description.into(),
            question_type,
            required: false,
            order: 0,
            user_guidance: String::new(),
            always_show_guidance: true,
            guidance_answer_value: Some(Value::Array(Vec::new())),
            guidance_operator: Some(Operator::Equals),
            review_answer_value: Some(Value::Array(Vec::new())),
            operator: Some(Operator::Equals),
            always_requires_review: false,
            min_value: None,
            max_value: None,
            allowed_file_types: Vec::new(),
            allowed_mime_types: Vec::new(),
            max_file_size_mb: None,
            max_files_count: None,
            dependency_logic_operator: DependencyLogic::And,
            options: Vec::new(),
            dependencies: Vec::new(),
        }
    }
}

/// One stored answer row (spec §1.6). Several users may each hold a row for the same
/// question of the same completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// Internal integer id; breaks ties between rows modified at the same instant.
    pub id: i64,
    /// The answer's UUID.
    pub uuid: Uuid,
    /// The question answered.
    pub question: Uuid,
    /// Integer id of the user who submitted it.
    pub user_id: i64,
    /// The stored answer, exactly as saved (files already processed).
    pub answer_data: Value,
    /// Whether this answer requires review (recomputed on every save, R2).
    pub requires_review: bool,
    /// Creation time.
    pub created: DateTime<Utc>,
    /// Last modification time; the newest row per question is the one that counts.
    pub modified: DateTime<Utc>,
}

/// The latest answer row per question: the greatest `modified`, ties going to the
/// greater `id` (R2, decisions item 16, spec §11.7 #56). Rows of every user compete.
pub fn latest_answers(answers: &[Answer]) -> HashMap<Uuid, &Answer> {
    let mut latest: HashMap<Uuid, &Answer> = HashMap::new();
    for answer in answers {
        latest
            .entry(answer.question)
            .and_modify(|current| {
                if (answer.modified, answer.id) > (current.modified, current.id) {
                    *current = answer;
                }
            })
            .or_insert(answer);
    }
    latest
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).single().expect("valid timestamp")
    }

    fn row(id: i64, question: Uuid, user_id: i64, data: Value, modified: i64) -> Answer {
        Answer {
            id,
            uuid: Uuid::from_u128(1000 + id as u128),
            question,
            user_id,
            answer_data: data,
            requires_review: false,
            created: at(0),
            modified: at(modified),
        }
    }

    #[test]
    fn question_type_wire_strings_round_trip() {
        let table = [
            ("boolean", QuestionType::Boolean),
            ("single_select", QuestionType::SingleSelect),
            ("multi_select", QuestionType::MultiSelect),
            ("text_input", QuestionType::TextInput),
            ("text_area", QuestionType::TextArea),
            ("number", QuestionType::Number),
            ("date", QuestionType::Date),
            ("file", QuestionType::File),
            ("multiple_files", QuestionType::MultipleFiles),
            ("phone_number", QuestionType::PhoneNumber),
            ("year", QuestionType::Year),
            ("email", QuestionType::Email),
            ("url", QuestionType::Url),
            ("country", QuestionType::Country),
            ("rating", QuestionType::Rating),
            ("datetime", QuestionType::Datetime),
        ];
        assert_eq!(table.len(), QuestionType::ALL.len());
        for (wire, ty) in table {
            assert_eq!(ty.as_str(), wire);
            assert_eq!(QuestionType::parse(wire), Some(ty));
            assert_eq!(serde_json::to_value(ty).ok(), Some(json!(wire)));
        }
    }

    #[test]
    fn post_seed_and_unknown_question_types_are_not_parsed() {
        for wire in ["likert", "rich_text", "", "Boolean"] {
            assert_eq!(QuestionType::parse(wire), None, "{wire}");
        }
    }

    #[test]
    fn operator_wire_strings_round_trip_and_blank_is_none() {
        let table = [
            ("equals", Some(Operator::Equals)),
            ("not_equals", Some(Operator::NotEquals)),
            ("contains", Some(Operator::Contains)),
            ("in", Some(Operator::In)),
            ("not_in", Some(Operator::NotIn)),
            ("", None),
            ("greater_than", None),
        ];
        for (wire, op) in table {
            assert_eq!(Operator::parse(wire), op, "{wire}");
            if op.is_some() {
                assert_eq!(Operator::wire(op), wire);
            }
        }
        assert_eq!(Operator::wire(None), "");
    }

    #[test]
    fn dependency_logic_defaults_to_and_for_anything_but_or() {
        let table = [
            ("or", DependencyLogic::Or),
            ("and", DependencyLogic::And),
            ("", DependencyLogic::And),
            ("OR", DependencyLogic::And),
        ];
        for (wire, logic) in table {
            assert_eq!(DependencyLogic::parse(wire), logic, "{wire}");
        }
        assert_eq!(DependencyLogic::default(), DependencyLogic::And);
    }

    #[test]
    fn new_question_carries_the_column_defaults() {
        let q = Question::new(Uuid::nil(), "Q", QuestionType::Boolean);
        assert!(q.always_show_guidance);
        assert!(!q.required && !q.always_requires_review);
        assert_eq!(q.review_answer_value, Some(json!([])));
        assert_eq!(q.guidance_answer_value, Some(json!([])));
        assert_eq!(q.operator, Some(Operator::Equals));
        assert_eq!(q.guidance_operator, Some(Operator::Equals));
        assert_eq!(q.dependency_logic_operator, DependencyLogic::And);
    }

    #[test]
    fn latest_answer_is_newest_modified_then_highest_id() {
        let q1 = Uuid::from_u128(1);
        let q2 = Uuid::from_u128(2);
        let rows = vec![
            row(1, q1, 10, json!("user1 old"), 5),
            row(2, q1, 20, json!("user2 newer"), 9),
            row(3, q2, 10, json!("tie low id"), 7),
            row(4, q2, 20, json!("tie high id"), 7),
        ];
        let latest = latest_answers(&rows);
        let table = [(q1, "user2 newer"), (q2, "tie high id")];
        for (question, expected) in table {
            assert_eq!(latest.get(&question).map(|a| a.answer_data.clone()), Some(json!(expected)));
        }
        assert_eq!(latest.len(), 2);
    }
}
