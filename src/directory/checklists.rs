//! The `checklists` of the directory document and the completions that follow from an
//! offering's `compliance_checklist` (directory.md, checklists.md §1, §9).
//!
//! A checklist entry carries all its questions: importing it again upserts them by uuid and
//! deletes the questions it no longer names (their answers go with them), so answers to
//! questions that keep their uuid survive. Options and dependencies are replaced the same
//! way. Every statement writes only rows whose values differ, so a second import of the
//! same file changes nothing.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::document::{ChecklistEntry, Document};
use super::error::{invalid, ImportError};
use super::import::{ids_of, resolve};
use super::summary::ImportSummary;
use super::validate::numeric_bound;

// ---------------------------------------------------------------------------------------
// Upserts

/// A JSON value for a nullable jsonb column: JSON `null` is SQL NULL (no value).
fn nullable_json(value: &Value) -> Option<String> {
    (!value.is_null()).then(|| value.to_string())
}

/// Upserts the checklists with their questions, options and dependencies. Runs before the
/// offerings, which refer to checklists.
pub(super) async fn import_checklists(
    conn: &mut PgConnection,
    doc: &Document,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let checklists = &doc.checklists;
    if checklists.is_empty() {
        return Ok(());
    }
    // Flattened questions, with their JSON paths and checklist.
    let flat: Vec<(String, &ChecklistEntry, &super::document::QuestionEntry)> = checklists
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            c.questions.iter().enumerate().map(move |(j, q)| (format!("checklists[{i}].questions[{j}]"), c, q))
        })
        .collect();

    // A question uuid may not move to another checklist: its answers belong to the other
    // checklist's completions.
    let moved: Option<i64> = sqlx::query_scalar(
        "SELECT d.ord FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS d(uuid, checklist_uuid, ord) \
         JOIN checklist_questions q ON q.uuid = d.uuid JOIN checklists c ON c.id = q.checklist_id \
         WHERE c.uuid <> d.checklist_uuid ORDER BY d.ord LIMIT 1",
    )
    .bind(flat.iter().map(|(_, _, q)| q.uuid).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, c, _)| c.uuid).collect::<Vec<_>>())
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(ord) = moved {
        let path = usize::try_from(ord - 1).ok().and_then(|i| flat.get(i)).map(|f| f.0.clone()).unwrap_or_default();
        return Err(invalid(format!("{path}.uuid"), "the question belongs to another checklist"));
    }

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
    .bind(checklists.iter().map(|c| c.name.clone()).collect::<Vec<_>>())
    .bind(checklists.iter().map(|c| c.description.clone()).collect::<Vec<_>>())
    .bind(checklists.iter().map(|c| c.checklist_type.clone()).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    let created: HashSet<Uuid> = rows.iter().filter(|r| r.1).map(|r| r.0).collect();
    let mut changed: HashSet<i64> = HashSet::new();
    let checklist_ids = ids_of(conn, "checklists", checklists.iter().map(|c| c.uuid).collect()).await?;
    let checklist_uuid_of: HashMap<i64, Uuid> = checklist_ids.iter().map(|(u, id)| (*id, *u)).collect();
    changed.extend(rows.iter().filter(|r| !r.1).filter_map(|r| checklist_ids.get(&r.0).copied()));
    let all_checklist_ids: Vec<i64> = checklist_ids.values().copied().collect();
    let question_uuids: Vec<Uuid> = flat.iter().map(|(_, _, q)| q.uuid).collect();

    // Questions the document no longer names; their answers, options and dependencies cascade.
    let dropped: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM checklist_questions WHERE checklist_id = ANY($1) AND uuid <> ALL($2) RETURNING checklist_id",
    )
    .bind(&all_checklist_ids)
    .bind(&question_uuids)
    .fetch_all(&mut *conn)
    .await?;
    changed.extend(dropped);

    let mut owner = Vec::with_capacity(flat.len());
    for (_, c, _) in &flat {
        owner.push(checklist_ids[&c.uuid]);
    }
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
    .bind(&owner)
    .bind(flat.iter().map(|(_, _, q)| q.description.clone()).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.order).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.required).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.question_type.clone()).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.user_guidance.clone()).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| nullable_json(&q.guidance_answer_value)).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.guidance_operator.clone()).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.always_show_guidance).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| nullable_json(&q.review_answer_value)).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.operator.clone()).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.always_requires_review).collect::<Vec<_>>())
    .bind(bounds(&flat, |q| &q.min_value, "min_value")?)
    .bind(bounds(&flat, |q| &q.max_value, "max_value")?)
    .bind(flat.iter().map(|(_, _, q)| q.dependency_logic_operator.clone()).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| Value::from(q.allowed_file_types.clone()).to_string()).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| Value::from(q.allowed_mime_types.clone()).to_string()).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.max_file_size_mb).collect::<Vec<_>>())
    .bind(flat.iter().map(|(_, _, q)| q.max_files_count).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    changed.extend(upserted);

    let question_ids = ids_of(conn, "checklist_questions", question_uuids.clone()).await?;
    let all_question_ids: Vec<i64> = question_ids.values().copied().collect();
    let checklist_of_question: HashMap<i64, i64> =
        flat.iter().map(|(_, c, q)| (question_ids[&q.uuid], checklist_ids[&c.uuid])).collect();

    // Options.
    let options: Vec<(i64, &super::document::OptionEntry)> =
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
        .bind(options.iter().map(|(_, o)| o.label.clone()).collect::<Vec<_>>())
        .bind(options.iter().map(|(_, o)| o.order).collect::<Vec<_>>())
        .fetch_all(&mut *conn)
        .await?,
    );

    // Dependencies, inserted in document order so that (created, id) keeps it.
    let dependencies: Vec<(i64, &super::document::DependencyEntry)> =
        flat.iter().flat_map(|(_, _, q)| q.dependencies.iter().map(|d| (question_ids[&q.uuid], d))).collect();
    touched.extend(
        sqlx::query_scalar::<_, i64>(
            "DELETE FROM checklist_question_dependencies WHERE question_id = ANY($1) AND uuid <> ALL($2) \
             RETURNING question_id",
        )
        .bind(&all_question_ids)
        .bind(dependencies.iter().map(|(_, d)| d.uuid).collect::<Vec<_>>())
        .fetch_all(&mut *conn)
        .await?,
    );
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
        .bind(dependencies.iter().map(|(_, d)| d.operator.clone()).collect::<Vec<_>>())
        .fetch_all(&mut *conn)
        .await?,
    );
    changed.extend(touched.iter().filter_map(|q| checklist_of_question.get(q).copied()));

    // A checklist counts as updated when it or anything of its questions changed.
    let updated: Vec<i64> =
        changed.into_iter().filter(|id| checklist_uuid_of.get(id).is_some_and(|u| !created.contains(u))).collect();
    sqlx::query("UPDATE checklists SET modified = now() WHERE id = ANY($1) AND modified <> now()")
        .bind(&updated)
        .execute(&mut *conn)
        .await?;
    summary.add("checklists", created.len() as u64, updated.len() as u64);
    Ok(())
}

fn bounds(
    flat: &[(String, &ChecklistEntry, &super::document::QuestionEntry)],
    field: impl Fn(&super::document::QuestionEntry) -> &Option<Value>,
    name: &str,
) -> Result<Vec<Option<String>>, ImportError> {
    flat.iter().map(|(path, _, q)| numeric_bound(format!("{path}.{name}"), field(q))).collect()
}

/// The checklist id of every offering entry (`None` without one); the error names the
/// entry whose checklist is neither in the database nor in the document.
pub(super) async fn offering_checklists(
    conn: &mut PgConnection,
    doc: &Document,
) -> Result<Vec<Option<i64>>, ImportError> {
    let refs = doc
        .offerings
        .iter()
        .enumerate()
        .filter_map(|(i, o)| o.compliance_checklist.map(|c| (format!("offerings[{i}].compliance_checklist"), c)));
    let (_, ids) = resolve(conn, "checklists", "checklist", refs).await?;
    Ok(doc.offerings.iter().map(|o| o.compliance_checklist.and_then(|c| ids.get(&c).copied())).collect())
}

/// After offerings and offering users: every offering user of an offering of the document
/// (and every offering user of the document) gets the completion of its offering's current
/// checklist; completions of a previous checklist are removed with their answers (§9).
pub(super) async fn sync_completions(
    conn: &mut PgConnection,
    doc: &Document,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    if doc.offerings.is_empty() && doc.offering_users.is_empty() {
        return Ok(());
    }
    let offerings: Vec<Uuid> = doc.offerings.iter().map(|o| o.uuid).collect();
    let offering_users: Vec<Uuid> = doc.offering_users.iter().map(|o| o.uuid).collect();
    let (created, _removed) = crate::store::checklists::sync_completions(conn, &offerings, &offering_users).await?;
    // Removals only follow a change of an offering's checklist, counted with the offerings.
    summary.add("checklist_completions", created, 0);
    Ok(())
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
