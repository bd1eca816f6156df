//! The AMQP sink's side of the outbox (migration 0010, docs/ARCHITECTURE.md "Event sinks"):
//! enabling the sink, claiming its rows in order per offering user with what the messages of
//! `amqp::payload` are built from, and forgetting a row once its messages are confirmed.
//!
//! A claim is a held transaction: the rows stay locked (`FOR UPDATE SKIP LOCKED`, so replicas
//! take different rows) while their messages are published, and are deleted in that
//! transaction only after the broker confirmed them. A replica that dies mid-publish rolls
//! back, and the rows are published again (at least once; the message id names the event).

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::audit::Action;
use crate::domain::state::State;

/// The sink's name in `event_sinks` and `event_outbox`.
pub const SINK: &str = "amqp";

/// Enables the sink (inserting its row on first use): from now on every audit event gets an
/// outbox row for it. It is never disabled by the server: rows written while the broker, or
/// every publishing replica, is down wait for it.
pub async fn enable(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO event_sinks (name, enabled) VALUES ($1, true) \
         ON CONFLICT ON CONSTRAINT event_sinks_pkey DO UPDATE SET enabled = true WHERE NOT event_sinks.enabled",
    )
    .bind(SINK)
    .execute(conn)
    .await?;
    Ok(())
}

/// One claimed outbox row: its audit event and the record's facts as the change left them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Pending {
    pub event_id: i64,
    pub action: String,
    pub old_values: Value,
    pub new_values: Value,
    pub offering_user_uuid: Uuid,
    /// The offering and user recorded with the event (or, for an event that recorded none, the
    /// record's while it exists); `None` when neither is known any more.
    pub offering_uuid: Option<Uuid>,
    pub offering_type: Option<String>,
    pub user_uuid: Option<Uuid>,
    /// The username, state label and runtime state the event recorded (its new values; for a
    /// deletion, its old values), else the record's current ones.
    pub username: Option<String>,
    pub state_label: Option<String>,
    pub runtime_state: Option<String>,
}

impl Pending {
    /// The state the facts name, when its label is known.
    pub fn state(&self) -> Option<State> {
        self.state_label.as_deref().and_then(State::from_label)
    }
}

/// Claims, in the caller's transaction, up to `limit` heads of the sink's outbox, oldest event
/// first: rows whose offering user has no older row left in the sink's outbox, so that one
/// record's events go out one at a time, in order, whichever replica takes them. Rows another
/// transaction holds are skipped (and so are the later rows of their records).
pub async fn claim_heads(conn: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<Pending>> {
    sqlx::query_as(
        "WITH heads AS MATERIALIZED ( \
             SELECT o.event_id FROM event_outbox o \
             WHERE o.sink = $1 AND NOT EXISTS (SELECT 1 FROM event_outbox p WHERE p.sink = o.sink \
                   AND p.offering_user_uuid = o.offering_user_uuid AND p.event_id < o.event_id) \
             ORDER BY o.event_id LIMIT $2 \
             FOR UPDATE OF o SKIP LOCKED \
         ) \
         SELECT e.id AS event_id, e.action::text AS action, e.old_values, e.new_values, e.offering_user_uuid, \
                coalesce(eo.uuid, ro.uuid) AS offering_uuid, coalesce(eo.type, ro.type)::text AS offering_type, \
                coalesce(eu.uuid, ru.uuid) AS user_uuid, \
                CASE WHEN v.facts ? 'username' THEN v.facts ->> 'username' ELSE ou.username END AS username, \
                CASE WHEN v.facts ? 'state' THEN v.facts ->> 'state' END AS state_label, \
                ou.state AS row_state, \
                CASE WHEN v.facts ? 'runtime_state' THEN v.facts ->> 'runtime_state' \
                     ELSE ou.runtime_state::text END AS runtime_state \
         FROM heads h JOIN audit_events e ON e.id = h.event_id \
         CROSS JOIN LATERAL (SELECT CASE WHEN e.action = $3 THEN e.old_values ELSE e.new_values END AS facts) v \
         LEFT JOIN offering_users ou ON ou.uuid = e.offering_user_uuid \
         LEFT JOIN offerings eo ON eo.id = e.offering_id LEFT JOIN users eu ON eu.id = e.user_id \
         LEFT JOIN offerings ro ON ro.id = ou.offering_id LEFT JOIN users ru ON ru.id = ou.user_id \
         ORDER BY e.id",
    )
    .bind(SINK)
    .bind(limit)
    .bind(Action::Deleted.stored())
    .fetch_all(conn)
    .await
    .map(|rows: Vec<PendingRow>| rows.into_iter().map(PendingRow::into_pending).collect())
}

/// A row as read: the state label the event recorded, else the record's stored state.
#[derive(sqlx::FromRow)]
struct PendingRow {
    #[sqlx(flatten)]
    pending: Pending,
    row_state: Option<i16>,
}

impl PendingRow {
    fn into_pending(self) -> Pending {
        let mut pending = self.pending;
        if pending.state_label.is_none() {
            pending.state_label =
                self.row_state.and_then(|n| State::try_from(n).ok()).map(|state| state.label().to_owned());
        }
        pending
    }
}

/// Deletes a claimed row, in the claim's transaction: its messages were confirmed (or it can
/// never be published).
pub async fn forget(conn: &mut PgConnection, event_id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM event_outbox WHERE sink = $1 AND event_id = $2")
        .bind(SINK)
        .bind(event_id)
        .execute(conn)
        .await?;
    Ok(())
}
