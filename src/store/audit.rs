//! The audit trail: one event per change, written in the change's transaction.

use serde_json::Value;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

/// The head of every audit insert; the values follow as `VALUES` or a `SELECT`.
pub const INSERT_INTO: &str =
    "INSERT INTO audit_events (actor_id, offering_user_uuid, action, old_values, new_values) ";

/// An event to write in the same statement as the change it records.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    pub actor: i64,
    pub action: &'static str,
    pub old_values: &'a Value,
    pub new_values: &'a Value,
}

impl Event<'_> {
    /// Pushes the insert of this event for every row of `source` (a CTE of changed
    /// offering users, whose `uuid` the event records).
    pub fn push_insert(&self, qb: &mut QueryBuilder<'_, Postgres>, source: &'static str) {
        qb.push(INSERT_INTO).push("SELECT ").push_bind(self.actor);
        qb.push(format_args!(", {source}.uuid, ")).push_bind(self.action);
        qb.push(", ").push_bind(self.old_values.clone());
        qb.push(", ").push_bind(self.new_values.clone());
        qb.push(format_args!(" FROM {source}"));
    }
}

/// Records that `actor` did `action` to the offering user `record`.
pub async fn record(
    conn: &mut PgConnection,
    actor: i64,
    record: Uuid,
    action: &str,
    old_values: Value,
    new_values: Value,
) -> sqlx::Result<()> {
    sqlx::query(&format!("{INSERT_INTO}VALUES ($1, $2, $3, $4, $5)"))
        .bind(actor)
        .bind(record)
        .bind(action)
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
