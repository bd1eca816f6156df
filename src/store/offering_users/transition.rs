//! A state action in one statement: find and lock the record, move it if the caller may and
//! its state allows, and write the audit event — one round trip, committed on its own.
//!
//! The site agents' hot path (the benchmark's S6): as a transaction of lock, update, audit insert
//! and `COMMIT` it took five round trips, and the counter rows the update's trigger touches
//! (one per offering and state, shared by every agent of the offering) stayed locked for all
//! of them. As one statement the locks last only as long as the statement itself.

use serde_json::Value;
use sqlx::{PgConnection, QueryBuilder};
use uuid::Uuid;

use super::write::push_locked_target;
use crate::domain::principal::Caller;
use crate::domain::state::{State, Transition, ALL_STATES};
use crate::store::audit;
use crate::store::visibility::push_has_permission;

/// What the statement found, for the 404 → 403 → 400 order the handler answers in.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TransitionOutcome {
    /// The state the record was in when locked (after any concurrent action committed).
    #[sqlx(try_from = "i16")]
    pub state: State,
    /// The caller holds the action's permission on the record's offering.
    pub permitted: bool,
    /// The record moved and its audit event was written.
    pub moved: bool,
}

/// What to write when the action applies.
#[derive(Debug, Clone, Copy)]
pub struct TransitionWrite<'a> {
    pub transition: Transition,
    /// New comment fields; `None` leaves a field unchanged.
    pub comment: Option<&'a str>,
    pub comment_url: Option<&'a str>,
    /// The audit event's `new_values` (its `old_values` are read from the locked row).
    pub new_values: &'a Value,
    /// False when the request is already known to fail (its body was invalid): the record is
    /// only looked up, so that 404 and 403 still come first.
    pub apply: bool,
}

/// Runs `write` on the record `uuid` if the caller sees it (no consent gate: docs/spec/decisions.md 8)
/// and holds `permission` on it. `None` when the record is not visible.
///
/// Row locking follows READ COMMITTED: when another action on the record commits first, the
/// `FOR UPDATE` waits for it and sees the state it left, and the `UPDATE` applies only if that
/// state is still a source of the transition.
pub async fn run_transition(
    conn: &mut PgConnection,
    caller: &Caller,
    uuid: Uuid,
    permission: &'static str,
    write: TransitionWrite<'_>,
) -> sqlx::Result<Option<TransitionOutcome>> {
    let sources: Vec<i16> = write.transition.sources().iter().map(|s| s.db()).collect();
    // Indexed by the stored state (1-based, as ALL_STATES is in database order).
    let labels: Vec<&str> = ALL_STATES.iter().map(|s: &State| s.label()).collect();

    let mut qb = QueryBuilder::new(
        "WITH target AS (SELECT ou.id, ou.uuid, ou.offering_id, ou.user_id, ou.username, ou.state, ou.service_provider_comment, \
         ou.service_provider_comment_url, ",
    );
    push_has_permission(&mut qb, caller, permission);
    qb.push(" AS permitted");
    push_locked_target(&mut qb, caller, uuid);
    qb.push("), moved AS (UPDATE offering_users ou SET state = ");
    qb.push_bind(write.transition.target().db());
    qb.push(", modified = now(), service_provider_comment = coalesce(");
    qb.push_bind(write.comment);
    qb.push("::text, ou.service_provider_comment), service_provider_comment_url = coalesce(");
    qb.push_bind(write.comment_url);
    qb.push("::text, ou.service_provider_comment_url) FROM target t WHERE ou.id = t.id AND t.permitted AND ");
    qb.push_bind(write.apply);
    qb.push(" AND ou.state = ANY(");
    qb.push_bind(sources);
    qb.push(") RETURNING ou.id), event AS (").push(audit::INSERT_INTO).push("SELECT ");
    qb.push_bind(caller.id);
    qb.push(", t.uuid, ");
    qb.push_bind(audit::Action::Transition(write.transition).stored());
    qb.push(", jsonb_build_object('state', (");
    qb.push_bind(labels);
    qb.push(
        "::text[])[t.state], 'service_provider_comment', t.service_provider_comment, \
         'service_provider_comment_url', t.service_provider_comment_url, 'username', t.username), ",
    );
    qb.push_bind(write.new_values);
    qb.push(
        ", t.offering_id, t.user_id FROM target t JOIN moved m ON m.id = t.id) \
         SELECT t.state, t.permitted, EXISTS (SELECT 1 FROM moved) AS moved FROM target t",
    );
    qb.build_query_as().fetch_optional(conn).await
}
