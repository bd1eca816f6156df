//! The audit trail: one event per change, written in the change's transaction.

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

/// Records that `actor` did `action` to the offering user `record`.
pub async fn record(
    conn: &mut PgConnection,
    actor: i64,
    record: Uuid,
    action: &str,
    old_values: Value,
    new_values: Value,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (actor_id, offering_user_uuid, action, old_values, new_values) \
         VALUES ($1, $2, $3, $4, $5)",
    )
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
