//! Setting a record's runtime state (docs/spec/offering-users-2026.md §3.2): one conditional
//! `UPDATE` with its audit event, in the caller's transaction (the record is already locked
//! by `write::lock_for_action`).

use serde_json::Value;
use sqlx::PgConnection;

use crate::domain::runtime_state::RuntimeState;
use crate::domain::state::State;
use crate::store::audit;

/// What to write.
#[derive(Debug, Clone, Copy)]
pub struct RuntimeStateWrite<'a> {
    pub runtime_state: RuntimeState,
    /// New comment fields (already sanitized); `None` leaves a field unchanged.
    pub comment: Option<&'a str>,
    pub comment_url: Option<&'a str>,
}

/// Sets the runtime state (and the comment fields given) of the record `id` unless it is
/// Deleted, bumps `modified`, and writes the `marketplace_offering_user_updated` event by
/// `actor` with the old and new values of the three fields, all in one statement. Setting the
/// value the record already has still writes (upstream saves anyway). Returns whether the
/// record was updated (false: it is Deleted, and nothing changed).
pub async fn set_runtime_state(
    conn: &mut PgConnection,
    id: i64,
    actor: i64,
    write: RuntimeStateWrite<'_>,
) -> sqlx::Result<bool> {
    // Every part of the statement sees the same snapshot: `old` holds the values before the
    // update, `updated` those after it.
    let statement = format!(
        "WITH old AS (SELECT id, uuid, offering_id, user_id, runtime_state, service_provider_comment, \
             service_provider_comment_url FROM offering_users WHERE id = $1), \
         updated AS (UPDATE offering_users ou SET runtime_state = $2, modified = now(), \
             service_provider_comment = coalesce($3, ou.service_provider_comment), \
             service_provider_comment_url = coalesce($4, ou.service_provider_comment_url) \
             FROM old WHERE ou.id = old.id AND ou.state <> $5 \
             RETURNING ou.uuid, ou.runtime_state, ou.service_provider_comment, ou.service_provider_comment_url), \
         event AS ({insert}SELECT $6, o.uuid, $7, \
                 jsonb_build_object('runtime_state', o.runtime_state, \
                     'service_provider_comment', o.service_provider_comment, \
                     'service_provider_comment_url', o.service_provider_comment_url), \
                 jsonb_build_object('runtime_state', u.runtime_state, \
                     'service_provider_comment', u.service_provider_comment, \
                     'service_provider_comment_url', u.service_provider_comment_url), \
                 o.offering_id, o.user_id \
             FROM old o JOIN updated u ON u.uuid = o.uuid RETURNING new_values) \
         SELECT new_values FROM event",
        insert = audit::INSERT_INTO
    );
    let updated: Option<Value> = sqlx::query_scalar(&statement)
        .bind(id)
        .bind(write.runtime_state.label())
        .bind(write.comment)
        .bind(write.comment_url)
        .bind(State::Deleted.db())
        .bind(actor)
        .bind(audit::Action::Updated.stored())
        .fetch_optional(conn)
        .await?;
    Ok(updated.is_some())
}
