//! Checklists with their questions, options and dependencies (docs/spec/directory.md, "The
//! document"; docs/spec/checklists.md §1).
//!
//! A checklist carries all its questions: saving it again upserts them by uuid and deletes the
//! questions it no longer names (their answers go with them), so answers to questions that
//! keep their uuid survive. Options and dependencies are replaced the same way. Every
//! statement writes only rows whose values differ.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{ids_by_uuid, position, Table, Written};

/// A checklist with all its questions, as the import writes it.
#[derive(Debug, Clone)]
pub struct ChecklistWrite<'a> {
    pub uuid: Uuid,
    pub name: &'a str,
    pub description: &'a str,
    pub checklist_type: &'a str,
    /// Every question of the checklist: those it does not name are deleted.
    pub questions: Vec<QuestionWrite<'a>>,
}

/// A question with its options and dependencies.
#[derive(Debug, Clone)]
pub struct QuestionWrite<'a> {
    pub uuid: Uuid,
    pub description: &'a str,
    pub order: i32,
    pub required: bool,
    pub question_type: &'a str,
    pub user_guidance: &'a str,
    /// JSON `null` is stored as SQL NULL (no value).
    pub guidance_answer_value: &'a Value,
    pub guidance_operator: &'a str,
    pub always_show_guidance: bool,
    /// JSON `null` is stored as SQL NULL (no value).
    pub review_answer_value: &'a Value,
    pub operator: &'a str,
    pub always_requires_review: bool,
    /// numeric(20,4) as text.
    pub min_value: Option<String>,
    /// numeric(20,4) as text.
    pub max_value: Option<String>,
    pub dependency_logic_operator: &'a str,
    pub allowed_file_types: &'a [String],
    pub allowed_mime_types: &'a [String],
    pub max_file_size_mb: Option<i32>,
    pub max_files_count: Option<i32>,
    /// Every option of the question: those it does not name are deleted.
    pub options: Vec<OptionWrite<'a>>,
    /// Every dependency of the question, in order: those it does not name are deleted.
    pub dependencies: Vec<DependencyWrite<'a>>,
}

/// An option of a select question.
#[derive(Debug, Clone)]
pub struct OptionWrite<'a> {
    pub uuid: Uuid,
    pub label: &'a str,
    pub order: i32,
}

/// A dependency of a question on another question of its checklist.
#[derive(Debug, Clone)]
pub struct DependencyWrite<'a> {
    pub uuid: Uuid,
    /// The question (of the same checklist) whose answer decides.
    pub depends_on: Uuid,
    pub required_answer_value: &'a Value,
    pub operator: &'a str,
}

/// Every question of `checklists` with its checklist and its (checklist, question) position.
fn questions<'w, 'a>(
    checklists: &'w [ChecklistWrite<'a>],
) -> Vec<((usize, usize), &'w ChecklistWrite<'a>, &'w QuestionWrite<'a>)> {
    checklists
        .iter()
        .enumerate()
        .flat_map(|(i, c)| c.questions.iter().enumerate().map(move |(j, q)| ((i, j), c, q)))
        .collect()
}

/// The (checklist, question) position of the first question that the database holds in
/// another checklist. A question may not move: its answers belong to the other checklist's
/// completions.
pub async fn first_question_of_another_checklist(
    conn: &mut PgConnection,
    checklists: &[ChecklistWrite<'_>],
) -> sqlx::Result<Option<(usize, usize)>> {
    let flat = questions(checklists);
    let ordinal: Option<i64> = sqlx::query_scalar(
        "SELECT d.ord FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS d(uuid, checklist_uuid, ord) \
         JOIN checklist_questions q ON q.uuid = d.uuid JOIN checklists c ON c.id = q.checklist_id \
         WHERE c.uuid <> d.checklist_uuid ORDER BY d.ord LIMIT 1",
    )
    .bind(flat.iter().map(|(_, _, q)| q.uuid).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, c, _)| c.uuid).collect::<Vec<_>>())
    .fetch_optional(conn)
    .await?;
    Ok(ordinal.and_then(|o| flat.get(position(o))).map(|(at, _, _)| *at))
}

/// Upserts the checklists with their questions, options and dependencies, deleting the
/// questions, options and dependencies they no longer name. A checklist counts as updated
/// when it or anything of its questions changed.
pub async fn save_checklists(conn: &mut PgConnection, checklists: &[ChecklistWrite<'_>]) -> sqlx::Result<Written> {
    let rows: Vec<(Uuid, bool)> = sqlx::query_as(
        "INSERT INTO checklists (uuid, name, description, checklist_type) \
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) \
         ON CONFLICT (uuid) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, \
             checklist_type = EXCLUDED.checklist_type, modified = now() \
         WHERE (checklists.name, checklists.description, checklists.checklist_type) \
               IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.checklist_type) \
         RETURNING uuid, (xmax = 0)",
    )
    .bind(checklists.iter().map(|c| c.uuid).collect::<Vec<_>>())
    .bind(checklists.iter().map(|c| c.name).collect::<Vec<_>>())
    .bind(checklists.iter().map(|c| c.description).collect::<Vec<_>>())
    .bind(checklists.iter().map(|c| c.checklist_type).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    let created: HashSet<Uuid> = rows.iter().filter(|r| r.1).map(|r| r.0).collect();
    let checklist_uuids: Vec<Uuid> = checklists.iter().map(|c| c.uuid).collect();
    let checklist_ids = ids_by_uuid(conn, Table::Checklists, &checklist_uuids).await?;
    let checklist_uuid_of: HashMap<i64, Uuid> = checklist_ids.iter().map(|(u, id)| (*id, *u)).collect();
    // The ids of the checklists that changed.
    let mut changed: HashSet<i64> = HashSet::new();
    changed.extend(rows.iter().filter(|r| !r.1).filter_map(|r| checklist_ids.get(&r.0).copied()));

    let flat = questions(checklists);
    let owners: Vec<i64> = flat.iter().map(|(_, c, _)| checklist_ids[&c.uuid]).collect();
    changed.extend(upsert_questions(conn, &checklist_ids, &flat, &owners).await?);

    let question_uuids: Vec<Uuid> = flat.iter().map(|(_, _, q)| q.uuid).collect();
    let question_ids = ids_by_uuid(conn, Table::ChecklistQuestions, &question_uuids).await?;
    let checklist_of_question: HashMap<i64, i64> =
        flat.iter().zip(&owners).map(|((_, _, q), owner)| (question_ids[&q.uuid], *owner)).collect();
    let mut touched = replace_options(conn, &question_ids, &flat).await?;
    touched.extend(replace_dependencies(conn, &question_ids, &flat).await?);
    changed.extend(touched.iter().filter_map(|q| checklist_of_question.get(q).copied()));

    let updated: Vec<i64> =
        changed.into_iter().filter(|id| checklist_uuid_of.get(id).is_some_and(|u| !created.contains(u))).collect();
    sqlx::query("UPDATE checklists SET modified = now() WHERE id = ANY($1) AND modified <> now()")
        .bind(&updated)
        .execute(&mut *conn)
        .await?;
    Ok(Written { created: created.len() as u64, updated: updated.len() as u64 })
}

/// Deletes the questions of these checklists that `flat` does not name (their answers,
/// options and dependencies cascade) and upserts the others; returns the checklist id of
/// every question deleted or written.
async fn upsert_questions(
    conn: &mut PgConnection,
    checklist_ids: &HashMap<Uuid, i64>,
    flat: &[((usize, usize), &ChecklistWrite<'_>, &QuestionWrite<'_>)],
    owners: &[i64],
) -> sqlx::Result<Vec<i64>> {
    let all_checklist_ids: Vec<i64> = checklist_ids.values().copied().collect();
    let question_uuids: Vec<Uuid> = flat.iter().map(|(_, _, q)| q.uuid).collect();
    let mut changed: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM checklist_questions WHERE checklist_id = ANY($1) AND uuid <> ALL($2) RETURNING checklist_id",
    )
    .bind(&all_checklist_ids)
    .bind(&question_uuids)
    .fetch_all(&mut *conn)
    .await?;
    let json_text = |types: &[String]| Value::from(types.to_vec()).to_string();
    let upserted: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO checklist_questions (uuid, checklist_id, description, \"order\", required, question_type, \
             user_guidance, guidance_answer_value, guidance_operator, always_show_guidance, review_answer_value, \
             operator, always_requires_review, min_value, max_value, dependency_logic_operator, allowed_file_types, \
             allowed_mime_types, max_file_size_mb, max_files_count) \
         SELECT d.uuid, d.checklist_id, d.description, d.ord, d.required, d.question_type, d.user_guidance, \
                d.guidance_value::jsonb, d.guidance_operator, d.always_show_guidance, d.review_value::jsonb, \
                d.operator, d.always_requires_review, d.min_value::numeric, d.max_value::numeric, d.logic, \
                d.file_types::jsonb, d.mime_types::jsonb, d.max_file_size_mb, d.max_files_count \
         FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::int[], $5::bool[], $6::text[], $7::text[], \
                     $8::text[], $9::text[], $10::bool[], $11::text[], $12::text[], $13::bool[], $14::text[], \
                     $15::text[], $16::text[], $17::text[], $18::text[], $19::int[], $20::int[]) \
              AS d(uuid, checklist_id, description, ord, required, question_type, user_guidance, guidance_value, \
                   guidance_operator, always_show_guidance, review_value, operator, always_requires_review, \
                   min_value, max_value, logic, file_types, mime_types, max_file_size_mb, max_files_count) \
         ON CONFLICT (uuid) DO UPDATE SET description = EXCLUDED.description, \"order\" = EXCLUDED.\"order\", \
             required = EXCLUDED.required, question_type = EXCLUDED.question_type, \
             user_guidance = EXCLUDED.user_guidance, guidance_answer_value = EXCLUDED.guidance_answer_value, \
             guidance_operator = EXCLUDED.guidance_operator, always_show_guidance = EXCLUDED.always_show_guidance, \
             review_answer_value = EXCLUDED.review_answer_value, operator = EXCLUDED.operator, \
             always_requires_review = EXCLUDED.always_requires_review, min_value = EXCLUDED.min_value, \
             max_value = EXCLUDED.max_value, dependency_logic_operator = EXCLUDED.dependency_logic_operator, \
             allowed_file_types = EXCLUDED.allowed_file_types, allowed_mime_types = EXCLUDED.allowed_mime_types, \
             max_file_size_mb = EXCLUDED.max_file_size_mb, max_files_count = EXCLUDED.max_files_count \
         WHERE (checklist_questions.description, checklist_questions.\"order\", checklist_questions.required, \
                checklist_questions.question_type, checklist_questions.user_guidance, \
                checklist_questions.guidance_answer_value, checklist_questions.guidance_operator, \
                checklist_questions.always_show_guidance, checklist_questions.review_answer_value, \
                checklist_questions.operator, checklist_questions.always_requires_review, \
                checklist_questions.min_value, checklist_questions.max_value, \
                checklist_questions.dependency_logic_operator, checklist_questions.allowed_file_types, \
                checklist_questions.allowed_mime_types, checklist_questions.max_file_size_mb, \
                checklist_questions.max_files_count) \
               IS DISTINCT FROM (EXCLUDED.description, EXCLUDED.\"order\", EXCLUDED.required, \
                EXCLUDED.question_type, EXCLUDED.user_guidance, EXCLUDED.guidance_answer_value, \
                EXCLUDED.guidance_operator, EXCLUDED.always_show_guidance, EXCLUDED.review_answer_value, \
                EXCLUDED.operator, EXCLUDED.always_requires_review, EXCLUDED.min_value, EXCLUDED.max_value, \
                EXCLUDED.dependency_logic_operator, EXCLUDED.allowed_file_types, EXCLUDED.allowed_mime_types, \
                EXCLUDED.max_file_size_mb, EXCLUDED.max_files_count) \
         RETURNING checklist_id",
    )
    .bind(&question_uuids)
    .bind(owners)
    .bind(flat.iter().map(|(_, _, q)| q.description).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.order).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.required).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.question_type).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.user_guidance).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| nullable_json(q.guidance_answer_value)).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.guidance_operator).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.always_show_guidance).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| nullable_json(q.review_answer_value)).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.operator).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.always_requires_review).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.min_value.clone()).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.max_value.clone()).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.dependency_logic_operator).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| json_text(q.allowed_file_types)).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| json_text(q.allowed_mime_types)).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.max_file_size_mb).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.max_files_count).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    changed.extend(upserted);
    Ok(changed)
}

/// Replaces the options of the questions of `flat`; returns the question id of every
/// option deleted or written.
async fn replace_options(
    conn: &mut PgConnection,
    question_ids: &HashMap<Uuid, i64>,
    flat: &[((usize, usize), &ChecklistWrite<'_>, &QuestionWrite<'_>)],
) -> sqlx::Result<Vec<i64>> {
    let all_question_ids: Vec<i64> = question_ids.values().copied().collect();
    let options: Vec<(i64, &OptionWrite<'_>)> =
        flat.iter().flat_map(|(_, _, q)| q.options.iter().map(|o| (question_ids[&q.uuid], o))).collect();
    let mut touched: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM checklist_question_options WHERE question_id = ANY($1) AND uuid <> ALL($2) RETURNING question_id",
    )
    .bind(&all_question_ids)
    .bind(options.iter().map(|(_, o)| o.uuid).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    touched.extend(
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO checklist_question_options (uuid, question_id, label, \"order\") \
             SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::int[]) \
             ON CONFLICT (uuid) DO UPDATE SET question_id = EXCLUDED.question_id, label = EXCLUDED.label, \
                 \"order\" = EXCLUDED.\"order\" \
             WHERE (checklist_question_options.question_id, checklist_question_options.label, \
                    checklist_question_options.\"order\") \
                   IS DISTINCT FROM (EXCLUDED.question_id, EXCLUDED.label, EXCLUDED.\"order\") \
             RETURNING question_id",
        )
        .bind(options.iter().map(|(_, o)| o.uuid).collect::<Vec<_>>())
        .bind(options.iter().map(|(q, _)| *q).collect::<Vec<_>>())
        .bind(options.iter().map(|(_, o)| o.label).collect::<Vec<_>>())
        .bind(options.iter().map(|(_, o)| o.order).collect::<Vec<_>>())
        .fetch_all(&mut *conn)
        .await?,
    );
    Ok(touched)
}

/// Replaces the dependencies of the questions of `flat`, inserted in document order so that
/// (created, id) keeps it; returns the question id of every dependency deleted or written.
async fn replace_dependencies(
    conn: &mut PgConnection,
    question_ids: &HashMap<Uuid, i64>,
    flat: &[((usize, usize), &ChecklistWrite<'_>, &QuestionWrite<'_>)],
) -> sqlx::Result<Vec<i64>> {
    let all_question_ids: Vec<i64> = question_ids.values().copied().collect();
    let dependencies: Vec<(i64, &DependencyWrite<'_>)> =
        flat.iter().flat_map(|(_, _, q)| q.dependencies.iter().map(|d| (question_ids[&q.uuid], d))).collect();
    let mut touched: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM checklist_question_dependencies WHERE question_id = ANY($1) AND uuid <> ALL($2) \
         RETURNING question_id",
    )
    .bind(&all_question_ids)
    .bind(dependencies.iter().map(|(_, d)| d.uuid).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    touched.extend(
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO checklist_question_dependencies (uuid, question_id, depends_on_question_id, \
                                                         required_answer_value, operator) \
             SELECT d.uuid, d.question_id, d.depends_on, d.value::jsonb, d.operator \
             FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[], $5::text[]) WITH ORDINALITY \
                  AS d(uuid, question_id, depends_on, value, operator, ord) ORDER BY d.ord \
             ON CONFLICT (uuid) DO UPDATE SET question_id = EXCLUDED.question_id, \
                 depends_on_question_id = EXCLUDED.depends_on_question_id, \
                 required_answer_value = EXCLUDED.required_answer_value, operator = EXCLUDED.operator, \
                 modified = now() \
             WHERE (checklist_question_dependencies.question_id, checklist_question_dependencies.depends_on_question_id, \
                    checklist_question_dependencies.required_answer_value, checklist_question_dependencies.operator) \
                   IS DISTINCT FROM (EXCLUDED.question_id, EXCLUDED.depends_on_question_id, \
                    EXCLUDED.required_answer_value, EXCLUDED.operator) \
             RETURNING question_id",
        )
        .bind(dependencies.iter().map(|(_, d)| d.uuid).collect::<Vec<_>>())
        .bind(dependencies.iter().map(|(q, _)| *q).collect::<Vec<_>>())
        .bind(dependencies.iter().map(|(_, d)| question_ids[&d.depends_on]).collect::<Vec<_>>())
        .bind(dependencies.iter().map(|(_, d)| d.required_answer_value.to_string()).collect::<Vec<_>>())
        .bind(dependencies.iter().map(|(_, d)| d.operator).collect::<Vec<_>>())
        .fetch_all(&mut *conn)
        .await?,
    );
    Ok(touched)
}

/// A JSON value for a nullable jsonb column: JSON `null` is SQL NULL (no value).
fn nullable_json(value: &Value) -> Option<String> {
    (!value.is_null()).then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_json_null_is_stored_as_sql_null_and_other_values_as_json_text() {
        assert_eq!(nullable_json(&json!(null)), None);
        assert_eq!(nullable_json(&json!([])).as_deref(), Some("[]"));
        assert_eq!(nullable_json(&json!(false)).as_deref(), Some("false"));
    }
}
