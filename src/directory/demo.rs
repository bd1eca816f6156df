//! `serve --demo`: the bundled demo directory, imported only into a database that holds no
//! users but the demo's. The demo publishes well-known tokens (a staff one among them), so
//! a `--demo` left on by mistake must not add them to a database with real users.
//!
//! A directory document has no checklist answers (they come from `submit_answers`), so the
//! demo's answers live beside it in `demo_answers.json` and are saved here as their users
//! would have submitted them: checked against their questions, review flags and completion
//! status computed by the same rules. Only a completion nobody has answered yet gets them,
//! so a restart changes nothing and keeps what visitors submitted.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::document::parse;
use super::error::{invalid, ImportError};
use super::import::import_in;
use super::run::ImportOptions;
use super::summary::{ImportSummary, Kind};
use crate::domain::checklist::{
    completion_metrics, is_valid_answer, should_trigger_review, Answer, FileInspector, Question, StoredFile,
    UploadedFile,
};
use crate::store::checklists as store;
use crate::store::directory::completions::{record_review, unanswered_completion, UnansweredCompletion};
use crate::store::directory::users::{count_users_except, lock_users};
use crate::store::directory::{ids_by_uuid, Table};

/// The bundled demo directory that `serve --demo` imports ([`import_demo`]).
pub const DEMO: &str = include_str!("demo.json");

/// The demo's checklist answers: who answered which offering user's checklist, and how.
pub(super) const DEMO_ANSWERS: &str = include_str!("demo_answers.json");

/// Why `serve --demo` imported nothing.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The database holds users the demo does not define.
    #[error(
        "--demo refused: the database holds {0} user(s) besides the demo's, and the demo would add \
         well-known tokens to it; serve without --demo, or point DATABASE_URL (or --data-dir) at a \
         database of its own"
    )]
    ForeignUsers(i64),
    #[error(transparent)]
    Import(#[from] ImportError),
}

impl From<sqlx::Error> for DemoError {
    fn from(e: sqlx::Error) -> Self {
        DemoError::Import(ImportError::Database(e))
    }
}

/// Imports the demo directory in one transaction, unless the database holds users other than
/// the demo's (told apart by uuid). On a database that holds only the demo it is the same
/// idempotent upsert as `import`.
pub async fn import_demo(pool: &PgPool) -> Result<ImportSummary, DemoError> {
    let doc = parse(DEMO)?;
    let demo_users: Vec<Uuid> = doc.users.iter().map(|u| u.uuid).collect();
    let mut tx = pool.begin().await?;
    // Holds off other writers of `users` (another import) until this transaction ends, so no
    // user can arrive between the count and the import; two demo imports queue.
    lock_users(&mut tx).await?;
    let foreign = count_users_except(&mut tx, &demo_users).await?;
    if foreign > 0 {
        return Err(DemoError::ForeignUsers(foreign));
    }
    let mut summary = import_in(&mut tx, &doc, ImportOptions::default(), &mut |_| {}).await?;
    let answered = answer_checklists(&mut tx).await?;
    summary.add_derived(Kind::ChecklistAnswers, answered, 0);
    tx.commit().await?;
    Ok(summary)
}

/// One completion's answers in `demo_answers.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoCompletion {
    /// The offering user whose checklist is answered.
    offering_user: Uuid,
    /// The user who answers.
    user: Uuid,
    answers: Vec<DemoAnswer>,
    /// A review already done (no endpoint records one; the demo shows what it looks like).
    #[serde(default)]
    review: Option<DemoReview>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoAnswer {
    question: Uuid,
    answer_data: Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoReview {
    by: Uuid,
    at: DateTime<Utc>,
    notes: String,
}

/// The demo answers no file question: no upload to inspect, no file stored.
struct NoFiles;

impl FileInspector for NoFiles {
    fn inspect(&self, _name: &str, _content_base64: &str) -> Option<UploadedFile> {
        None
    }

    fn stored(&self, _id: Uuid) -> Option<&StoredFile> {
        None
    }
}

/// Saves the answers of `demo_answers.json` into every completion that has none yet; returns
/// how many answers it saved.
async fn answer_checklists(conn: &mut PgConnection) -> Result<u64, ImportError> {
    let source = "demo_answers.json";
    let completions: Vec<DemoCompletion> = serde_json::from_str(DEMO_ANSWERS)
        .map_err(|e| invalid(source, format!("not a list of completions' answers: {e}")))?;
    let mut saved = 0;
    for (i, demo) in completions.iter().enumerate() {
        let path = format!("{source}[{i}]");
        // The completion for the offering's current checklist, while nobody has answered it.
        let Some(UnansweredCompletion { id: completion_id, checklist_id }) =
            unanswered_completion(conn, demo.offering_user).await?
        else {
            continue;
        };
        let user_id = *ids_by_uuid(conn, Table::Users, &[demo.user])
            .await?
            .get(&demo.user)
            .ok_or_else(|| invalid(format!("{path}.user"), "no such user"))?;
        let records = store::checklist_questions(conn, checklist_id).await?;
        let by_uuid: HashMap<Uuid, &store::QuestionRecord> = records.iter().map(|r| (r.question.uuid, r)).collect();
        let mut writes = Vec::with_capacity(demo.answers.len());
        for (j, answer) in demo.answers.iter().enumerate() {
            let record = by_uuid
                .get(&answer.question)
                .ok_or_else(|| invalid(format!("{path}.answers[{j}].question"), "not a question of this checklist"))?;
            if !is_valid_answer(&record.question, &answer.answer_data, &NoFiles) {
                return Err(invalid(format!("{path}.answers[{j}].answer_data"), "not a valid answer to its question"));
            }
            writes.push(store::AnswerWrite {
                question_id: record.id,
                answer_data: answer.answer_data.clone(),
                requires_review: should_trigger_review(&record.question, &answer.answer_data),
            });
        }
        saved += writes.len() as u64;
        store::upsert_answers(conn, completion_id, user_id, writes).await?;
        let answers: Vec<Answer> =
            store::completion_answers(conn, completion_id).await?.into_iter().map(|a| a.answer).collect();
        let questions: Vec<Question> = records.into_iter().map(|r| r.question).collect();
        let metrics = completion_metrics(&questions, &answers);
        store::save_completion_status(conn, completion_id, metrics.is_completed, metrics.requires_review).await?;
        if let Some(review) = &demo.review {
            record_review(conn, completion_id, review.by, review.at, &review.notes).await?;
        }
    }
    Ok(saved)
}
