//! Uploaded checklist files in PostgreSQL (docs/spec/decisions.md 22): the files of a completion that
//! answers may refer back to, storing new uploads in one statement, dropping the files no
//! answer refers to any more, and the bytes a completion holds (its quota).

use std::collections::HashMap;

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::checklist::StoredFile;

/// The files among `ids` stored for this completion, by id, with the question each was
/// uploaded for. Another completion's file is not found, whatever its id.
pub async fn stored_files(
    conn: &mut PgConnection,
    completion_id: i64,
    ids: &[Uuid],
) -> sqlx::Result<HashMap<Uuid, StoredFile>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, Uuid, String, i64, String)> = sqlx::query_as(
        "SELECT f.uuid, q.uuid, f.name, f.size, f.mime_type \
         FROM checklist_files f JOIN checklist_questions q ON q.id = f.question_id \
         WHERE f.completion_id = $1 AND f.uuid = ANY($2)",
    )
    .bind(completion_id)
    .bind(ids)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, question, name, size, mime_type)| {
            // The table's CHECK keeps sizes positive.
            let size = u64::try_from(size).unwrap_or(0);
            (id, StoredFile { question, name, size, mime_type })
        })
        .collect())
}

/// A new upload to store, under the id its answer already refers to.
#[derive(Debug, Clone)]
pub struct NewFile {
    /// The `stored_file_id` the answer carries.
    pub uuid: Uuid,
    /// Internal id of the question it answers.
    pub question_id: i64,
    /// The client's file name.
    pub name: String,
    /// The MIME type sniffed from its content.
    pub mime_type: String,
    /// Its bytes.
    pub content: Vec<u8>,
}

/// Stores new uploads of one completion in one statement.
pub async fn store_files(
    conn: &mut PgConnection,
    completion_id: i64,
    uploaded_by: i64,
    files: Vec<NewFile>,
) -> sqlx::Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let mut uuids = Vec::with_capacity(files.len());
    let mut question_ids = Vec::with_capacity(files.len());
    let mut names = Vec::with_capacity(files.len());
    let mut mime_types = Vec::with_capacity(files.len());
    let mut contents = Vec::with_capacity(files.len());
    for file in files {
        uuids.push(file.uuid);
        question_ids.push(file.question_id);
        names.push(file.name);
        mime_types.push(file.mime_type);
        contents.push(file.content);
    }
    sqlx::query(
        "INSERT INTO checklist_files (uuid, completion_id, question_id, uploaded_by, name, mime_type, size, content) \
         SELECT d.uuid, $1, d.question_id, $2, d.name, d.mime_type, octet_length(d.content), d.content \
         FROM unnest($3::uuid[], $4::bigint[], $5::text[], $6::text[], $7::bytea[]) \
              AS d(uuid, question_id, name, mime_type, content)",
    )
    .bind(completion_id)
    .bind(uploaded_by)
    .bind(uuids)
    .bind(question_ids)
    .bind(names)
    .bind(mime_types)
    .bind(contents)
    .execute(conn)
    .await?;
    Ok(())
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

/// Bytes of all the files a completion holds.
pub async fn files_bytes(conn: &mut PgConnection, completion_id: i64) -> sqlx::Result<u64> {
    let total: i64 =
        sqlx::query_scalar("SELECT coalesce(sum(size), 0)::bigint FROM checklist_files WHERE completion_id = $1")
            .bind(completion_id)
            .fetch_one(conn)
            .await?;
    Ok(u64::try_from(total).unwrap_or(0))
}
