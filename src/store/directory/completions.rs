//! The checklist completions the directory brings about: those that follow from an
//! offering's compliance checklist (docs/spec/checklists.md §9), and the demo's answered and
//! reviewed ones.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Brings the completions of the offering users of `offerings` (and of the offering users
/// `offering_users`) in line with their offering's current compliance checklist: removes
/// completions of any other checklist, with their answers (upstream's "replace" loses them
/// too, docs/spec/checklists.md §9), and creates the missing ones. Returns (created, removed).
///
/// Upstream does this in a background task after the offering changes; we do it in the
/// caller's transaction, so there is no window in which the endpoints answer 400.
pub async fn realign_completions(
    conn: &mut PgConnection,
    offerings: &[Uuid],
    offering_users: &[Uuid],
) -> sqlx::Result<(u64, u64)> {
    let removed = sqlx::query(
        "DELETE FROM checklist_completions cc USING offering_users ou, offerings o \
         WHERE cc.offering_user_id = ou.id AND o.id = ou.offering_id \
           AND (o.uuid = ANY($1) OR ou.uuid = ANY($2)) \
           AND cc.checklist_id IS DISTINCT FROM o.compliance_checklist_id",
    )
    .bind(offerings)
    .bind(offering_users)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let created = sqlx::query(
        "INSERT INTO checklist_completions (uuid, checklist_id, offering_user_id) \
         SELECT gen_random_uuid(), o.compliance_checklist_id, ou.id \
         FROM offering_users ou JOIN offerings o ON o.id = ou.offering_id \
         WHERE o.compliance_checklist_id IS NOT NULL AND (o.uuid = ANY($1) OR ou.uuid = ANY($2)) \
         ON CONFLICT ON CONSTRAINT checklist_completions_offering_user_checklist_key DO NOTHING",
    )
    .bind(offerings)
    .bind(offering_users)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok((created, removed))
}

/// A completion that nobody has answered yet.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct UnansweredCompletion {
    pub id: i64,
    pub checklist_id: i64,
}

/// The completion of the offering user `offering_user` for its offering's current checklist,
/// if it has no answer yet.
pub async fn unanswered_completion(
    conn: &mut PgConnection,
    offering_user: Uuid,
) -> sqlx::Result<Option<UnansweredCompletion>> {
    sqlx::query_as(
        "SELECT cc.id, cc.checklist_id FROM checklist_completions cc \
         JOIN offering_users ou ON ou.id = cc.offering_user_id JOIN offerings o ON o.id = ou.offering_id \
         WHERE ou.uuid = $1 AND cc.checklist_id = o.compliance_checklist_id \
           AND NOT EXISTS (SELECT 1 FROM checklist_answers a WHERE a.completion_id = cc.id)",
    )
    .bind(offering_user)
    .fetch_optional(conn)
    .await
}

/// Records a completion's review: by the user with uuid `reviewer` (none if there is no such
/// user), at `at`, with these notes.
pub async fn record_review(
    conn: &mut PgConnection,
    completion_id: i64,
    reviewer: Uuid,
    at: DateTime<Utc>,
    notes: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE checklist_completions SET reviewed_by_id = (SELECT id FROM users WHERE uuid = $2), \
         reviewed_at = $3, review_notes = $4 WHERE id = $1",
    )
    .bind(completion_id)
    .bind(reviewer)
    .bind(at)
    .bind(notes)
    .execute(conn)
    .await?;
    Ok(())
}
