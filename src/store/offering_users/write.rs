//! Writing offering users: the record an action targets, create, update, delete,
//! restriction, comments and the state transitions. Every write runs in one transaction
//! together with its audit event.

use sqlx::{PgConnection, QueryBuilder};
use uuid::Uuid;

use crate::store::visibility::{push_has_permission, push_reach_ctes, push_visible};
use crate::store::Caller;

/// The record a detail action targets, with what the caller may do to it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActionTarget {
    pub id: i64,
    pub uuid: Uuid,
    pub user_id: i64,
    pub offering_id: i64,
    pub state: i16,
    pub username: Option<String>,
    pub is_restricted: bool,
    pub service_provider_comment: String,
    pub service_provider_comment_url: String,
    /// The caller is the offering user himself.
    pub is_own: bool,
    /// The caller holds the permission asked for (staff always do).
    pub permitted: bool,
    /// The caller holds the alternative permission, when one was asked for.
    pub permitted_alternative: bool,
}

/// Looks up a record for a detail action inside the caller's visible set (no consent gate:
/// decisions.md 8) and locks it for the rest of the transaction, so that concurrent actions
/// on one record are serialized and each sees the state the previous one left.
/// `permission` (and optionally `alternative`) are evaluated on the record's offering.
pub async fn lock_for_action(
    conn: &mut PgConnection,
    caller: &Caller,
    uuid: Uuid,
    permission: &'static str,
    alternative: Option<&'static str>,
) -> sqlx::Result<Option<ActionTarget>> {
    let mut qb = QueryBuilder::new("");
    if !caller.sees_everything() {
        push_reach_ctes(&mut qb, caller);
    }
    qb.push(
        "SELECT ou.id, ou.uuid, ou.user_id, ou.offering_id, ou.state, ou.username, ou.is_restricted, \
         ou.service_provider_comment, ou.service_provider_comment_url, ou.user_id = ",
    );
    qb.push_bind(caller.id);
    qb.push(" AS is_own, ");
    push_has_permission(&mut qb, caller, permission);
    qb.push(" AS permitted, ");
    match alternative {
        Some(p) => push_has_permission(&mut qb, caller, p),
        None => {
            qb.push("false");
        }
    }
    qb.push(" AS permitted_alternative FROM offering_users ou JOIN offerings o ON o.id = ou.offering_id WHERE ou.uuid = ");
    qb.push_bind(uuid);
    push_visible(&mut qb, caller);
    qb.push(" FOR UPDATE OF ou");
    qb.build_query_as().fetch_optional(conn).await
}
