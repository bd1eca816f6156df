//! The writes of `submit_answers` (checklists.md §3.5): answers keyed by (completion,
//! question, user), uploaded files in PostgreSQL (decisions.md 22), and the completion's
//! stored status.

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

/// Deletes the caller's own answer to a question; a missing row is a no-op (§3.5).
pub async fn delete_answer(
    conn: &mut PgConnection,
    completion_id: i64,
    question_id: i64,
    user_id: i64,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM checklist_answers WHERE completion_id = $1 AND question_id = $2 AND user_id = $3")
        .bind(completion_id)
        .bind(question_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Creates or replaces the caller's answer to a question. `requires_review` is written on
/// every save (R2, decisions.md 16; R1 kept the flag of the first save). `modified` takes
/// the clock, not the transaction start, so that the latest save of one request wins.
pub async fn upsert_answer(
    conn: &mut PgConnection,
    completion_id: i64,
    question_id: i64,
    user_id: i64,
    answer_data: &Value,
    requires_review: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO checklist_answers (uuid, completion_id, question_id, user_id, answer_data, requires_review, \
                                        created, modified) \
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, clock_timestamp(), clock_timestamp()) \
         ON CONFLICT ON CONSTRAINT checklist_answers_completion_question_user_key DO UPDATE \
         SET answer_data = EXCLUDED.answer_data, requires_review = EXCLUDED.requires_review, \
             modified = clock_timestamp()",
    )
    .bind(completion_id)
    .bind(question_id)
    .bind(user_id)
    .bind(answer_data)
    .bind(requires_review)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores an uploaded file's bytes and returns the uuid answers refer to it by.
pub async fn store_file(
    conn: &mut PgConnection,
    completion_id: i64,
    uploaded_by: i64,
    name: &str,
    mime_type: &str,
    content: &[u8],
) -> sqlx::Result<Uuid> {
    let size = i64::try_from(content.len()).unwrap_or(i64::MAX);
    sqlx::query_scalar(
        "INSERT INTO checklist_files (uuid, completion_id, uploaded_by, name, mime_type, size, content) \
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6) RETURNING uuid",
    )
    .bind(completion_id)
    .bind(uploaded_by)
    .bind(name)
    .bind(mime_type)
    .bind(size)
    .bind(content)
    .fetch_one(conn)
    .await
}

/// Deletes the files of a completion that no answer of it refers to any more (replaced or
/// deleted file answers), so that the bytes do not pile up. A file answer is stored as one
/// `{…, "stored_file_id": hex}` object, a multiple-files answer as a list of them.
pub async fn delete_unreferenced_files(conn: &mut PgConnection, completion_id: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "DELETE FROM checklist_files f WHERE f.completion_id = $1 AND NOT EXISTS ( \
             SELECT 1 FROM checklist_answers a, \
                  LATERAL (SELECT jsonb_build_object('stored_file_id', replace(f.uuid::text, '-', '')) AS ref) r \
             WHERE a.completion_id = f.completion_id \
               AND (a.answer_data @> r.ref OR a.answer_data @> jsonb_build_array(r.ref)))",
    )
    .bind(completion_id)
    .execute(conn)
    .await?
    .rows_affected())
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
