//! Reading a checklist's questions (with options and dependencies) and a completion's
//! answers into the plain types of `domain::checklist`: three statements for the questions,
//! one for the answers, whatever their number.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::checklist::{
    Answer, AnswerAllowance, Dependency, DependencyLogic, Operator, Question, QuestionOption, QuestionType,
};

/// A question as the rules need it, plus what only the wire needs.
#[derive(Debug, Clone)]
pub struct QuestionRecord {
    /// Internal id (answers refer to it).
    pub id: i64,
    /// The question, options and dependencies included, for the domain rules.
    pub question: Question,
    /// `min_value` as PostgreSQL prints numeric(20,4): the 4-decimal string of the wire.
    pub min_value_text: Option<String>,
    /// `max_value`, likewise.
    pub max_value_text: Option<String>,
    /// The stored guidance operator, possibly blank (sent as is, never null).
    pub guidance_operator_text: String,
    /// The stored review operator, possibly blank.
    pub operator_text: String,
}

#[derive(sqlx::FromRow)]
struct QuestionDb {
    id: i64,
    uuid: Uuid,
    description: String,
    order: i32,
    required: bool,
    question_type: String,
    user_guidance: String,
    guidance_answer_value: Option<Value>,
    guidance_operator: String,
    always_show_guidance: bool,
    review_answer_value: Option<Value>,
    operator: String,
    always_requires_review: bool,
    min_value: Option<f64>,
    max_value: Option<f64>,
    min_value_text: Option<String>,
    max_value_text: Option<String>,
    dependency_logic_operator: String,
    allowed_file_types: Value,
    allowed_mime_types: Value,
    max_file_size_mb: Option<i32>,
    max_files_count: Option<i32>,
}

#[derive(sqlx::FromRow)]
struct OptionDb {
    question_id: i64,
    uuid: Uuid,
    label: String,
    order: i32,
}

#[derive(sqlx::FromRow)]
struct DependencyDb {
    question_id: i64,
    uuid: Uuid,
    depends_on: Uuid,
    required_answer_value: Value,
    operator: String,
}

fn strings(value: Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

/// The questions of a checklist ordered by (`order`, `id`), each with its options ordered
/// by (`order`, `id`) and its dependencies ordered by (`created`, `id`).
pub async fn checklist_questions(conn: &mut PgConnection, checklist_id: i64) -> sqlx::Result<Vec<QuestionRecord>> {
    let rows: Vec<QuestionDb> = sqlx::query_as(
        "SELECT id, uuid, description, \"order\", required, question_type, user_guidance, guidance_answer_value, \
                guidance_operator, always_show_guidance, review_answer_value, operator, always_requires_review, \
                min_value::float8 AS min_value, max_value::float8 AS max_value, \
                min_value::text AS min_value_text, max_value::text AS max_value_text, dependency_logic_operator, \
                allowed_file_types, allowed_mime_types, max_file_size_mb, max_files_count \
         FROM checklist_questions WHERE checklist_id = $1 ORDER BY \"order\", id",
    )
    .bind(checklist_id)
    .fetch_all(&mut *conn)
    .await?;
    let options: Vec<OptionDb> = sqlx::query_as(
        "SELECT qo.question_id, qo.uuid, qo.label, qo.\"order\" FROM checklist_question_options qo \
         JOIN checklist_questions q ON q.id = qo.question_id WHERE q.checklist_id = $1 \
         ORDER BY qo.question_id, qo.\"order\", qo.id",
    )
    .bind(checklist_id)
    .fetch_all(&mut *conn)
    .await?;
    let dependencies: Vec<DependencyDb> = sqlx::query_as(
        "SELECT d.question_id, d.uuid, on_q.uuid AS depends_on, d.required_answer_value, d.operator \
         FROM checklist_question_dependencies d \
         JOIN checklist_questions q ON q.id = d.question_id \
         JOIN checklist_questions on_q ON on_q.id = d.depends_on_question_id \
         WHERE q.checklist_id = $1 ORDER BY d.question_id, d.created, d.id",
    )
    .bind(checklist_id)
    .fetch_all(&mut *conn)
    .await?;

    let mut options_of: HashMap<i64, Vec<QuestionOption>> = HashMap::new();
    for o in options {
        options_of.entry(o.question_id).or_default().push(QuestionOption {
            uuid: o.uuid,
            label: o.label,
            order: o.order,
        });
    }
    let mut dependencies_of: HashMap<i64, Vec<Dependency>> = HashMap::new();
    for d in dependencies {
        dependencies_of.entry(d.question_id).or_default().push(Dependency {
            uuid: d.uuid,
            depends_on: d.depends_on,
            required_answer_value: d.required_answer_value,
            operator: Operator::parse(&d.operator),
        });
    }

    rows.into_iter()
        .map(|r| {
            // The table's CHECK constraint admits only the 16 types that parse.
            let question_type = QuestionType::parse(&r.question_type)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown question type {:?}", r.question_type).into()))?;
            let question = Question {
                uuid: r.uuid,
                description: r.description,
                question_type,
                required: r.required,
                order: r.order,
                user_guidance: r.user_guidance,
                always_show_guidance: r.always_show_guidance,
                guidance_answer_value: r.guidance_answer_value,
                guidance_operator: Operator::parse(&r.guidance_operator),
                review_answer_value: r.review_answer_value,
                operator: Operator::parse(&r.operator),
                always_requires_review: r.always_requires_review,
                min_value: r.min_value,
                max_value: r.max_value,
                allowed_file_types: strings(r.allowed_file_types),
                allowed_mime_types: strings(r.allowed_mime_types),
                max_file_size_mb: r.max_file_size_mb,
                max_files_count: r.max_files_count,
                dependency_logic_operator: DependencyLogic::parse(&r.dependency_logic_operator),
                options: options_of.remove(&r.id).unwrap_or_default(),
                dependencies: dependencies_of.remove(&r.id).unwrap_or_default(),
            };
            Ok(QuestionRecord {
                id: r.id,
                question,
                min_value_text: r.min_value_text,
                max_value_text: r.max_value_text,
                guidance_operator_text: r.guidance_operator,
                operator_text: r.operator,
            })
        })
        .collect()
}

/// What each question of a completion's checklist lets an answer carry (its type and file
/// limits): the size of a `submit_answers` body is judged by these before it is read.
pub async fn answer_allowances(conn: &mut PgConnection, completion_id: i64) -> sqlx::Result<Vec<AnswerAllowance>> {
    let rows: Vec<(String, Option<i32>, Option<i32>)> = sqlx::query_as(
        "SELECT q.question_type, q.max_file_size_mb, q.max_files_count \
         FROM checklist_completions c JOIN checklist_questions q ON q.checklist_id = c.checklist_id \
         WHERE c.id = $1",
    )
    .bind(completion_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(question_type, max_file_size_mb, max_files_count)| {
            let question_type = QuestionType::parse(&question_type)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown question type {question_type:?}").into()))?;
            Ok(AnswerAllowance { question_type, max_file_size_mb, max_files_count })
        })
        .collect()
}

/// An answer row with the name of the user who gave it.
#[derive(Debug, Clone)]
pub struct AnswerRecord {
    /// The answer for the domain rules.
    pub answer: Answer,
    /// The answering user's first name (for `user_name`).
    pub user_first_name: String,
    /// The answering user's last name.
    pub user_last_name: String,
}

#[derive(sqlx::FromRow)]
struct AnswerDb {
    id: i64,
    uuid: Uuid,
    question: Uuid,
    user_id: i64,
    answer_data: Value,
    requires_review: bool,
    created: DateTime<Utc>,
    modified: DateTime<Utc>,
    first_name: String,
    last_name: String,
}

/// Every answer row of a completion, of every user, ordered by id (upstream's default).
pub async fn completion_answers(conn: &mut PgConnection, completion_id: i64) -> sqlx::Result<Vec<AnswerRecord>> {
    let rows: Vec<AnswerDb> = sqlx::query_as(
        "SELECT a.id, a.uuid, q.uuid AS question, a.user_id, a.answer_data, a.requires_review, a.created, \
                a.modified, u.first_name, u.last_name \
         FROM checklist_answers a JOIN checklist_questions q ON q.id = a.question_id \
         JOIN users u ON u.id = a.user_id WHERE a.completion_id = $1 ORDER BY a.id",
    )
    .bind(completion_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AnswerRecord {
            answer: Answer {
                id: r.id,
                uuid: r.uuid,
                question: r.question,
                user_id: r.user_id,
                answer_data: r.answer_data,
                requires_review: r.requires_review,
                created: r.created,
                modified: r.modified,
            },
            user_first_name: r.first_name,
            user_last_name: r.last_name,
        })
        .collect())
}
