//! The answer writes of `submit_answers` (docs/spec/checklists.md §3.5): answers keyed by (completion,
//! question, user), one statement per kind whatever the number of answers, and the
//! completion's stored status.

use std::collections::HashSet;

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

/// Which of these question uuids exist in any checklist (to tell "does not exist" from
/// "does not belong to this checklist", §3.1 steps 2-3).
pub async fn existing_question_uuids(conn: &mut PgConnection, uuids: &[Uuid]) -> sqlx::Result<HashSet<Uuid>> {
    let found: Vec<Uuid> = sqlx::query_scalar("SELECT uuid FROM checklist_questions WHERE uuid = ANY($1)")
        .bind(uuids)
        .fetch_all(conn)
        .await?;
    Ok(found.into_iter().collect())
}

/// Deletes the caller's own answers to these questions; a missing row is a no-op (§3.5).
pub async fn delete_answers(
    conn: &mut PgConnection,
    completion_id: i64,
    user_id: i64,
    question_ids: &[i64],
) -> sqlx::Result<()> {
    if question_ids.is_empty() {
        return Ok(());
    }
    sqlx::query("DELETE FROM checklist_answers WHERE completion_id = $1 AND user_id = $2 AND question_id = ANY($3)")
        .bind(completion_id)
        .bind(user_id)
        .bind(question_ids)
        .execute(conn)
        .await?;
    Ok(())
}

/// One answer to save: the question's internal id, the answer as stored (uploads already
/// replaced by their references) and its review flag.
#[derive(Debug, Clone)]
pub struct AnswerWrite {
    /// Internal id of the question answered.
    pub question_id: i64,
    /// The answer to store.
    pub answer_data: Value,
    /// Whether this answer triggers a review (recomputed on every save, R2).
    pub requires_review: bool,
}

/// Creates or replaces the caller's answers, at most one per question. `requires_review` is
/// written on every save (R2, docs/spec/decisions.md 16; R1 kept the flag of the first save).
/// `modified` takes the clock, not the transaction start, row by row in the order given, so
/// that the latest save wins among the answers of several users.
pub async fn upsert_answers(
    conn: &mut PgConnection,
    completion_id: i64,
    user_id: i64,
    answers: Vec<AnswerWrite>,
) -> sqlx::Result<()> {
    if answers.is_empty() {
        return Ok(());
    }
    let mut question_ids = Vec::with_capacity(answers.len());
    let mut data = Vec::with_capacity(answers.len());
    let mut flags = Vec::with_capacity(answers.len());
    for answer in answers {
        question_ids.push(answer.question_id);
        data.push(answer.answer_data);
        flags.push(answer.requires_review);
    }
    sqlx::query(
        "INSERT INTO checklist_answers (uuid, completion_id, question_id, user_id, answer_data, requires_review, \
                                        created, modified) \
         SELECT gen_random_uuid(), $1, d.question_id, $2, d.answer_data, d.requires_review, \
                clock_timestamp(), clock_timestamp() \
         FROM unnest($3::bigint[], $4::jsonb[], $5::bool[]) WITH ORDINALITY \
              AS d(question_id, answer_data, requires_review, ord) \
         ORDER BY d.ord \
         ON CONFLICT ON CONSTRAINT checklist_answers_completion_question_user_key DO UPDATE \
         SET answer_data = EXCLUDED.answer_data, requires_review = EXCLUDED.requires_review, \
             modified = clock_timestamp()",
    )
    .bind(completion_id)
    .bind(user_id)
    .bind(question_ids)
    .bind(data)
    .bind(flags)
    .execute(conn)
    .await?;
    Ok(())
}

/// Saves the recomputed status; `modified` advances even when nothing changed (an empty
/// submission still touches the completion, §3.1).
pub async fn save_completion_status(
    conn: &mut PgConnection,
    completion_id: i64,
    is_completed: bool,
    requires_review: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE checklist_completions SET is_completed = $2, requires_review = $3, modified = clock_timestamp() \
         WHERE id = $1",
    )
    .bind(completion_id)
    .bind(is_completed)
    .bind(requires_review)
    .execute(conn)
    .await?;
    Ok(())
}
