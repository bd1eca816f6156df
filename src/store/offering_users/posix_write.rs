//! The writes of `set_posix_attributes` (docs/spec/offering-users-2026.md §7.2): the record
//! looked up, the pool its offering resolves to, the user's accounts that share that pool,
//! the ledger's pin and the rewritten `backend_metadata`.
//!
//! Lock order, the same for every pin: the pool first (`FOR NO KEY UPDATE`: pins of one pool
//! run one after the other, so the second sees what the first committed), then the accounts
//! in id order. The record is looked up without a lock before, so that no request holds an
//! account while it waits for a pool that another request holds with that account next.

use serde_json::Value;
use sqlx::{PgConnection, QueryBuilder};
use uuid::Uuid;

use crate::domain::permissions::UPDATE_USER;
use crate::domain::posix::Namespace;
use crate::domain::principal::Caller;
use crate::store::fragments::RESOLVED_POOL_OF_O;
use crate::store::visibility::{push_has_permission, push_visible};

/// The record `set_posix_attributes` acts on, as the caller finds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PosixTarget {
    pub id: i64,
    pub uuid: Uuid,
    pub user_id: i64,
    pub offering_id: i64,
    /// The caller holds `OFFERING.UPDATE_USER` on the offering or its customer.
    pub permitted: bool,
}

/// The record with this uuid among those the caller sees (no consent gate: §2.1), with his
/// write permission; not locked (see the module's lock order).
pub async fn posix_target(conn: &mut PgConnection, caller: &Caller, uuid: Uuid) -> sqlx::Result<Option<PosixTarget>> {
    let mut qb = QueryBuilder::new("SELECT ou.id, ou.uuid, ou.user_id, ou.offering_id, ");
    push_has_permission(&mut qb, caller, UPDATE_USER);
    qb.push(" AS permitted FROM offering_users ou JOIN offerings o ON o.id = ou.offering_id WHERE ou.uuid = ");
    qb.push_bind(uuid);
    push_visible(&mut qb, caller);
    qb.build_query_as().fetch_optional(conn).await
}

/// A POSIX ID pool, with the ranges a pin is checked against.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PosixPool {
    pub id: i64,
    pub uuid: Uuid,
    /// An offering's override pool (else a provider's default pool).
    pub offering_scoped: bool,
    pub min_uid: Option<i64>,
    pub max_uid: Option<i64>,
    pub min_gid: Option<i64>,
    pub max_gid: Option<i64>,
}

impl PosixPool {
    /// The range of primary values of `namespace`, when the pool manages it.
    pub fn range(&self, namespace: Namespace) -> Option<(i64, i64)> {
        match namespace {
            Namespace::Uid => self.min_uid.zip(self.max_uid),
            Namespace::Gid => self.min_gid.zip(self.max_gid),
        }
    }
}

/// The pool the offering resolves to (its own, else its customer's), locked for the rest of
/// the transaction; `None` without one.
pub async fn lock_resolved_pool(conn: &mut PgConnection, offering_id: i64) -> sqlx::Result<Option<PosixPool>> {
    sqlx::query_as(&format!(
        "SELECT p.id, p.uuid, p.offering_id IS NOT NULL AS offering_scoped, p.min_uid, p.max_uid, p.min_gid, p.max_gid \
         FROM posix_id_pools p WHERE p.id = (SELECT {RESOLVED_POOL_OF_O} FROM offerings o WHERE o.id = $1) \
         FOR NO KEY UPDATE"
    ))
    .bind(offering_id)
    .fetch_optional(conn)
    .await
}

/// One account of the user that a pin writes: the record itself or a sibling on an offering
/// that resolves to the same pool.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PosixAccount {
    pub id: i64,
    pub uuid: Uuid,
    pub offering_id: i64,
    pub plugin_options: Value,
    pub backend_metadata: Value,
}

/// Locks, in id order, the record `target_id` and, with a pool, every other account of
/// `user_id` whose offering resolves to it; returns them as they are now.
pub async fn lock_accounts(
    conn: &mut PgConnection,
    target_id: i64,
    user_id: i64,
    pool_id: Option<i64>,
) -> sqlx::Result<Vec<PosixAccount>> {
    sqlx::query_as(&format!(
        "SELECT ou.id, ou.uuid, ou.offering_id, o.plugin_options, ou.backend_metadata \
         FROM offering_users ou JOIN offerings o ON o.id = ou.offering_id \
         WHERE ou.id = $1 OR ($3::bigint IS NOT NULL AND ou.user_id = $2 AND {RESOLVED_POOL_OF_O} = $3) \
         ORDER BY ou.id FOR UPDATE OF ou"
    ))
    .bind(target_id)
    .bind(user_id)
    .bind(pool_id)
    .fetch_all(conn)
    .await
}

/// The ledger's column of a namespace.
fn column(namespace: Namespace) -> &'static str {
    match namespace {
        Namespace::Uid => "uid",
        Namespace::Gid => "gid",
    }
}

/// Whether an active identity of the pool other than the user's own (another user's, or a
/// group's) holds `value` in `namespace`.
pub async fn held_by_another(
    conn: &mut PgConnection,
    pool_id: i64,
    user_id: i64,
    namespace: Namespace,
    value: i64,
) -> sqlx::Result<bool> {
    let column = column(namespace);
    sqlx::query_scalar(&format!(
        "SELECT EXISTS (SELECT 1 FROM posix_identities WHERE pool_id = $1 AND released_at IS NULL \
         AND {column} = $3 AND user_id IS DISTINCT FROM $2)"
    ))
    .bind(pool_id)
    .bind(user_id)
    .bind(value)
    .fetch_one(conn)
    .await
}

/// Sets the user's active identity in the pool to hold `value` in `namespace`, creating it
/// (recorded against `offering_id`) when he has none. A concurrent holder of the value makes
/// the statement fail with a unique violation of `posix_identities_active_{uid,gid}_key`.
pub async fn pin(
    conn: &mut PgConnection,
    pool_id: i64,
    user_id: i64,
    offering_id: i64,
    namespace: Namespace,
    value: i64,
) -> sqlx::Result<()> {
    let column = column(namespace);
    sqlx::query(&format!(
        "WITH updated AS ( \
             UPDATE posix_identities SET {column} = $4 \
             WHERE pool_id = $1 AND user_id = $2 AND released_at IS NULL RETURNING id) \
         INSERT INTO posix_identities (uuid, pool_id, user_id, offering_id, {column}) \
         SELECT $5, $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM updated)"
    ))
    .bind(pool_id)
    .bind(user_id)
    .bind(offering_id)
    .bind(value)
    .bind(Uuid::new_v4())
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a database error is a pin that lost to a concurrent holder of the same value (or
/// a concurrent first pin of the same user) in one pool.
pub fn is_pin_conflict(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(e) = error else { return false };
    matches!(
        e.constraint(),
        Some(
            "posix_identities_active_uid_key" | "posix_identities_active_gid_key" | "posix_identities_active_user_key"
        )
    )
}

/// Replaces an account's `backend_metadata` and bumps `modified`.
pub async fn set_backend_metadata(conn: &mut PgConnection, id: i64, metadata: &Value) -> sqlx::Result<()> {
    sqlx::query("UPDATE offering_users SET backend_metadata = $2, modified = now() WHERE id = $1")
        .bind(id)
        .bind(metadata)
        .execute(conn)
        .await?;
    Ok(())
}
