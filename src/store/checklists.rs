//! Compliance checklists of offering users: storage of questions, completions and answers.

use sqlx::PgConnection;

/// Creates the checklist completion of a new offering user when its offering has a
/// compliance checklist (checklists.md §9). Called in the transaction that creates the record.
pub async fn attach_completion(_conn: &mut PgConnection, _offering_user_id: i64) -> sqlx::Result<()> {
    // Filled in by the checklist work: no checklist tables exist yet.
    Ok(())
}
