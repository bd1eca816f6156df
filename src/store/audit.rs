//! The audit trail: one event per change, written in the change's transaction.

use serde_json::Value;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::domain::state::Transition;

/// What an audit event records; [`Action::stored`] is the `action` column's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// An offering user created through the API.
    Created,
    /// Its username (and maybe its state with it), or its service-provider comment, changed.
    Updated,
    /// Deleted through the API.
    Deleted,
    /// Restricted or unrestricted.
    RestrictionUpdated,
    /// Changed by an import; its actor is none (`actor_id` NULL): no user did it
    /// (docs/spec/decisions.md item 32).
    Imported,
    /// One of the ten state actions: stored under the action's own name.
    Transition(Transition),
}

impl Action {
    /// The text stored in `audit_events.action`.
    pub fn stored(self) -> &'static str {
        match self {
            Action::Created => "marketplace_offering_user_created",
            Action::Updated => "marketplace_offering_user_updated",
            Action::Deleted => "marketplace_offering_user_deleted",
            Action::RestrictionUpdated => "marketplace_offering_user_restriction_updated",
            Action::Imported => "marketplace_offering_user_imported",
            Action::Transition(transition) => transition.action(),
        }
    }
}

/// The head of every audit insert; the values follow as `VALUES` or a `SELECT`.
/// `offering_id` and `user_id` (migration 0010) are the record's, kept on the event so that
/// who may see it is decided after the record is gone (`store::events`).
pub const INSERT_INTO: &str =
    "INSERT INTO audit_events (actor_id, offering_user_uuid, action, old_values, new_values, offering_id, user_id) ";

/// An event to write in the same statement as the change it records.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    pub actor: i64,
    pub action: Action,
    pub old_values: &'a Value,
    pub new_values: &'a Value,
}

impl Event<'_> {
    /// Pushes the insert of this event for every row of `source` (a CTE of changed
    /// offering users, whose `uuid`, `offering_id` and `user_id` the event records).
    pub fn push_insert(&self, qb: &mut QueryBuilder<'_, Postgres>, source: &'static str) {
        qb.push(INSERT_INTO).push("SELECT ").push_bind(self.actor);
        qb.push(format_args!(", {source}.uuid, ")).push_bind(self.action.stored());
        qb.push(", ").push_bind(self.old_values.clone());
        qb.push(", ").push_bind(self.new_values.clone());
        qb.push(format_args!(", {source}.offering_id, {source}.user_id FROM {source}"));
    }
}

/// Records that `actor` did `action` to the offering user `record`, which must still exist
/// (a delete records its event first): its offering and user are read from it.
pub async fn record(
    conn: &mut PgConnection,
    actor: i64,
    record: Uuid,
    action: Action,
    old_values: Value,
    new_values: Value,
) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "{INSERT_INTO}SELECT $1, $2, $3, $4, $5, ou.offering_id, ou.user_id \
         FROM (SELECT) one LEFT JOIN offering_users ou ON ou.uuid = $2"
    ))
    .bind(actor)
    .bind(record)
    .bind(action.stored())
    .bind(old_values)
    .bind(new_values)
    .execute(conn)
    .await?;
    Ok(())
}

/// One audit event, as tests and operators read it.
#[derive(Debug, sqlx::FromRow)]
pub struct AuditEvent {
    pub actor_id: Option<i64>,
    pub action: String,
    pub old_values: Value,
    pub new_values: Value,
}

/// The events of one offering user, oldest first.
pub async fn events_of(pool: &sqlx::PgPool, record: Uuid) -> sqlx::Result<Vec<AuditEvent>> {
    sqlx::query_as(
        "SELECT actor_id, action, old_values, new_values FROM audit_events \
         WHERE offering_user_uuid = $1 ORDER BY id",
    )
    .bind(record)
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::Action;
    use crate::domain::state::Transition;

    #[test]
    fn actions_are_stored_under_the_names_of_before() {
        let table = [
            (Action::Created, "marketplace_offering_user_created"),
            (Action::Updated, "marketplace_offering_user_updated"),
            (Action::Deleted, "marketplace_offering_user_deleted"),
            (Action::RestrictionUpdated, "marketplace_offering_user_restriction_updated"),
            (Action::Imported, "marketplace_offering_user_imported"),
            (Action::Transition(Transition::SetOk), "set_ok"),
            (Action::Transition(Transition::RequestDeletion), "request_deletion"),
        ];
        for (action, stored) in table {
            assert_eq!(action.stored(), stored);
        }
    }
}
