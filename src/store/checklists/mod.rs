//! Compliance checklists of offering users: who may reach a record's checklist, the
//! completions' lifecycle, loading a checklist with its answers, and the writes of
//! `submit_answers` (docs/spec/checklists.md §1, §8, §9).

mod answers;
mod content;
mod files;

pub use answers::{delete_answers, existing_question_uuids, save_completion_status, upsert_answers, AnswerWrite};
pub use content::{answer_allowances, checklist_questions, completion_answers, AnswerRecord, QuestionRecord};
pub use files::{delete_unreferenced_files, files_bytes, store_files, stored_files, NewFile};

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, QueryBuilder};
use uuid::Uuid;

use crate::domain::principal::Caller;
use crate::store::visibility::{push_has_permission, push_has_role_on_offering, push_visible};

/// The permission that makes a caller a checklist reviewer (docs/spec/decisions.md 4, docs/spec/checklists.md §8.1).
pub const REVIEW_PERMISSION: &str = crate::domain::permissions::UPDATE_USER;

/// Creates the checklist completion of a new offering user when its offering has a
/// compliance checklist (docs/spec/checklists.md §9). Called in the transaction that creates the record.
pub async fn attach_completion(conn: &mut PgConnection, offering_user_id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO checklist_completions (uuid, checklist_id, offering_user_id) \
         SELECT gen_random_uuid(), o.compliance_checklist_id, ou.id \
         FROM offering_users ou JOIN offerings o ON o.id = ou.offering_id \
         WHERE ou.id = $1 AND o.compliance_checklist_id IS NOT NULL \
         ON CONFLICT ON CONSTRAINT checklist_completions_offering_user_checklist_key DO NOTHING",
    )
    .bind(offering_user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a caller may do with an offering user's checklist.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChecklistAccess {
    /// The offering user's internal id.
    pub offering_user_id: i64,
    /// The caller is the offering user himself.
    pub is_own: bool,
    /// The caller holds `OFFERING.UPDATE_USER` on the offering's customer or the offering
    /// (staff always do).
    pub is_reviewer: bool,
    /// The completion for the offering's *current* compliance checklist, if any (§8.1 step 5:
    /// a completion of an older checklist does not count).
    pub completion_id: Option<i64>,
}

impl ChecklistAccess {
    /// User views (`checklist`, `completion_status`, `submit_answers`): the offering user
    /// himself or a reviewer.
    pub fn may_answer(&self) -> bool {
        self.is_own || self.is_reviewer
    }
}

/// Finds an offering user inside the caller's visible set (the same predicate as every
/// detail action; no consent gate, docs/spec/decisions.md 8) with the caller's checklist rights and
/// the completion to use.
pub async fn checklist_access(
    conn: &mut PgConnection,
    caller: &Caller,
    uuid: Uuid,
) -> sqlx::Result<Option<ChecklistAccess>> {
    let mut qb = QueryBuilder::new("SELECT ou.id AS offering_user_id, ou.user_id = ");
    qb.push_bind(caller.id);
    qb.push(" AS is_own, ");
    push_has_permission(&mut qb, caller, REVIEW_PERMISSION);
    qb.push(
        " AS is_reviewer, cc.id AS completion_id \
         FROM offering_users ou JOIN offerings o ON o.id = ou.offering_id \
         LEFT JOIN checklist_completions cc ON cc.offering_user_id = ou.id \
              AND cc.checklist_id = o.compliance_checklist_id \
         WHERE ou.uuid = ",
    );
    qb.push_bind(uuid);
    push_visible(&mut qb, caller);
    qb.build_query_as().fetch_optional(conn).await
}

/// Makes the transaction just begun on `conn` read-only and read one snapshot, so that a
/// response never mixes the answers of before and after a concurrent submission.
pub async fn read_one_snapshot(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(conn).await?;
    Ok(())
}

/// Locks a completion for the rest of the transaction, so that concurrent submissions to
/// one completion are serialized and each recomputes the status from the answers the
/// previous one left. Only the completion is locked: the record's other actions go on.
/// `false` when it vanished meanwhile (an import replaced the offering's checklist).
pub async fn lock_completion(conn: &mut PgConnection, completion_id: i64) -> sqlx::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM checklist_completions WHERE id = $1 FOR UPDATE")
        .bind(completion_id)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// A checklist's own fields, as the `checklist` object of the responses shows them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChecklistRow {
    pub id: i64,
    pub uuid: Uuid,
    pub name: String,
    pub description: String,
    pub checklist_type: String,
}

/// A completion with its checklist's name and the reviewer's name (§8.3).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CompletionRow {
    pub id: i64,
    pub uuid: Uuid,
    pub checklist_id: i64,
    pub is_completed: bool,
    pub requires_review: bool,
    /// Integer user id (it leaks onto the wire as upstream's `reviewed_by`).
    pub reviewed_by: Option<i64>,
    pub reviewed_by_first_name: Option<String>,
    pub reviewed_by_last_name: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_notes: String,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
}

/// A completion by id.
pub async fn completion(conn: &mut PgConnection, completion_id: i64) -> sqlx::Result<CompletionRow> {
    sqlx::query_as(
        "SELECT cc.id, cc.uuid, cc.checklist_id, cc.is_completed, cc.requires_review, \
                cc.reviewed_by_id AS reviewed_by, r.first_name AS reviewed_by_first_name, \
                r.last_name AS reviewed_by_last_name, cc.reviewed_at, cc.review_notes, cc.created, cc.modified \
         FROM checklist_completions cc LEFT JOIN users r ON r.id = cc.reviewed_by_id WHERE cc.id = $1",
    )
    .bind(completion_id)
    .fetch_one(conn)
    .await
}

/// A checklist by id.
pub async fn checklist(conn: &mut PgConnection, checklist_id: i64) -> sqlx::Result<ChecklistRow> {
    sqlx::query_as("SELECT id, uuid, name, description, checklist_type FROM checklists WHERE id = $1")
        .bind(checklist_id)
        .fetch_one(conn)
        .await
}

/// What `checklist-template/?parent_uuid=` finds for an offering uuid.
#[derive(Debug, Clone)]
pub enum TemplateLookup {
    /// No offering with that uuid that the caller can see.
    NoOffering,
    /// The offering has no compliance checklist.
    NoChecklist,
    /// The offering's compliance checklist.
    Checklist(ChecklistRow),
}

/// What `checklist-template/?parent_uuid=` finds for an offering uuid (see [`TemplateLookup`]).
///
/// "Can see" is the rule of `GET /api/marketplace-provider-offerings/{uuid}/`
/// (docs/spec/decisions.md 29): staff and support, or an active role on the offering or its customer.
pub async fn template_checklist(
    conn: &mut PgConnection,
    caller: &Caller,
    offering_uuid: Uuid,
) -> sqlx::Result<TemplateLookup> {
    let mut qb = QueryBuilder::new(
        "SELECT c.id, c.uuid, c.name, c.description, c.checklist_type \
         FROM offerings o LEFT JOIN checklists c ON c.id = o.compliance_checklist_id WHERE o.uuid = ",
    );
    qb.push_bind(offering_uuid);
    if !caller.sees_everything() {
        push_has_role_on_offering(&mut qb, caller);
    }
    #[derive(sqlx::FromRow)]
    struct Found {
        id: Option<i64>,
        uuid: Option<Uuid>,
        name: Option<String>,
        description: Option<String>,
        checklist_type: Option<String>,
    }
    let found: Option<Found> = qb.build_query_as().fetch_optional(conn).await?;
    Ok(match found {
        None => TemplateLookup::NoOffering,
        Some(f) => match (f.id, f.uuid, f.name, f.description, f.checklist_type) {
            (Some(id), Some(uuid), Some(name), Some(description), Some(checklist_type)) => {
                TemplateLookup::Checklist(ChecklistRow { id, uuid, name, description, checklist_type })
            }
            _ => TemplateLookup::NoChecklist,
        },
    })
}
