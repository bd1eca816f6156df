//! The reads of the POSIX routes (docs/spec/offering-users-2026.md §7.3–7.5): the project
//! groups of accounts, what an account's values are tracked by, and the accounts of one user
//! that a caller sees, through the list's visibility and filters (no consent gate: §2.1).

use serde_json::Value;
use sqlx::{PgConnection, QueryBuilder};
use uuid::Uuid;

use super::scope::{push_filter, push_scope, ReadScope};
use crate::domain::listing::ListFilter;
use crate::domain::posix::LIVE_STATES;
use crate::domain::principal::Caller;
use crate::store::fragments::{ACTIVE_ROLE, RESOLVED_POOL_OF_O};

/// One project group an account is a member of, with a GID (§7.3).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PosixGroupRow {
    /// The account the row belongs to.
    pub offering_user_id: i64,
    /// `project_group` or `provider_project_group` (the column's check allows no other).
    pub kind: String,
    pub group_name: Option<String>,
    pub service_provider_name: Option<String>,
    pub gid: i64,
    pub offering_name: String,
    pub project_name: Option<String>,
    pub project_uuid: Option<Uuid>,
    pub customer_name: Option<String>,
    pub customer_uuid: Option<Uuid>,
    pub project_accessible: bool,
    pub pool_uuid: Option<Uuid>,
    pub pool_offering_scoped: Option<bool>,
}

/// The project groups with a GID that the accounts `offering_user_ids` are members of, in the
/// order `gid`, `kind`, project: an offering's groups mapped to a project where the user holds
/// an active project role, and the provider's groups of such a project when the account is
/// live and has a username ([DOC-PP] "Reading the groups"). `project_accessible` is the
/// caller's: staff and support, or an active role on the project or its customer.
pub async fn posix_groups_of(
    conn: &mut PgConnection,
    caller: &Caller,
    offering_user_ids: &[i64],
) -> sqlx::Result<Vec<PosixGroupRow>> {
    let mut qb = QueryBuilder::new(
        "SELECT ou.id AS offering_user_id, g.kind, \
             CASE WHEN g.kind = 'provider_project_group' THEN g.name END AS group_name, \
             sp.name AS service_provider_name, g.gid, o.name AS offering_name, \
             p.name AS project_name, p.uuid AS project_uuid, pc.name AS customer_name, pc.uuid AS customer_uuid, ",
    );
    if caller.sees_everything() {
        qb.push("true");
    } else {
        qb.push("EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = ").push_bind(caller.id);
        qb.push(" AND ").push(ACTIVE_ROLE).push(" AND (r.project_id = p.id OR r.customer_id = p.customer_id))");
    }
    qb.push(
        " AS project_accessible, pool.uuid AS pool_uuid, pool.offering_id IS NOT NULL AS pool_offering_scoped \
         FROM offering_users ou JOIN offerings o ON o.id = ou.offering_id \
         JOIN LATERAL ( \
             SELECT g.id, g.kind, g.name, g.gid, g.customer_id, gp.project_id FROM posix_groups g \
             JOIN posix_group_projects gp ON gp.group_id = g.id \
             WHERE g.kind = 'project_group' AND g.offering_id = o.id \
             UNION ALL \
             SELECT g.id, g.kind, g.name, g.gid, g.customer_id, g.project_id FROM posix_groups g \
             WHERE g.kind = 'provider_project_group' AND g.customer_id = o.customer_id \
               AND ou.username IS NOT NULL AND ou.username <> '' AND ou.state = ANY(",
    );
    qb.push_bind(LIVE_STATES.iter().map(|s| s.db()).collect::<Vec<i16>>());
    qb.push(
        ")) g ON g.gid IS NOT NULL \
         JOIN projects p ON p.id = g.project_id \
         JOIN customers pc ON pc.id = p.customer_id \
         LEFT JOIN customers sp ON sp.id = g.customer_id \
         LEFT JOIN LATERAL (SELECT pl.uuid, pl.offering_id FROM posix_identities i \
             JOIN posix_id_pools pl ON pl.id = i.pool_id \
             WHERE i.group_id = g.id AND i.gid = g.gid AND i.released_at IS NULL ORDER BY i.id LIMIT 1) pool ON true \
         WHERE ou.id = ANY(",
    );
    qb.push_bind(offering_user_ids.to_vec());
    qb.push(") AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = ou.user_id AND r.project_id = p.id AND ");
    qb.push(ACTIVE_ROLE);
    qb.push(") ORDER BY ou.id, g.gid, g.kind, p.name, p.uuid");
    qb.build_query_as().fetch_all(conn).await
}

/// An account with what its POSIX values are tracked by: its offering's resolved pool and the
/// user's active identity in that pool.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PosixAccountRow {
    pub id: i64,
    pub offering_uuid: Uuid,
    pub offering_name: String,
    pub backend_metadata: Value,
    pub pool_id: Option<i64>,
    pub pool_uuid: Option<Uuid>,
    pub pool_offering_scoped: Option<bool>,
    /// The pool's offering name (override pool) or customer name (default pool).
    pub pool_scope_name: Option<String>,
    /// The user's active identity in the pool.
    pub identity_uid: Option<i64>,
    pub identity_gid: Option<i64>,
}

/// The select list and joins of [`PosixAccountRow`] over `offering_users ou`.
fn push_account_select(qb: &mut QueryBuilder<'_, sqlx::Postgres>) {
    qb.push(format_args!(
        "SELECT ou.id, o.uuid AS offering_uuid, o.name AS offering_name, ou.backend_metadata, \
             pl.id AS pool_id, pl.uuid AS pool_uuid, pl.offering_id IS NOT NULL AS pool_offering_scoped, \
             coalesce(plo.name, plc.name) AS pool_scope_name, i.uid AS identity_uid, i.gid AS identity_gid \
         FROM offering_users ou JOIN offerings o ON o.id = ou.offering_id \
         LEFT JOIN posix_id_pools pl ON pl.id = {RESOLVED_POOL_OF_O} \
         LEFT JOIN offerings plo ON plo.id = pl.offering_id \
         LEFT JOIN customers plc ON plc.id = pl.customer_id \
         LEFT JOIN posix_identities i ON i.pool_id = pl.id AND i.user_id = ou.user_id AND i.released_at IS NULL"
    ));
}

/// One account by id (the caller was found to see it).
pub async fn posix_account(conn: &mut PgConnection, id: i64) -> sqlx::Result<PosixAccountRow> {
    let mut qb = QueryBuilder::new("");
    push_account_select(&mut qb);
    qb.push(" WHERE ou.id = ").push_bind(id);
    qb.build_query_as().fetch_one(conn).await
}

/// The other offerings of the account's user that resolve to the pool `pool_id`, by name,
/// with their `plugin_options` (which of the values they take from the pool: §7.4
/// `shared_with_offerings`).
pub async fn offerings_sharing_pool(
    conn: &mut PgConnection,
    offering_user_id: i64,
    pool_id: i64,
) -> sqlx::Result<Vec<(Uuid, String, Value)>> {
    sqlx::query_as(&format!(
        "SELECT o.uuid, o.name, o.plugin_options FROM offering_users me \
         JOIN offering_users ou ON ou.user_id = me.user_id AND ou.id <> me.id \
         JOIN offerings o ON o.id = ou.offering_id \
         WHERE me.id = $1 AND {RESOLVED_POOL_OF_O} = $2 ORDER BY o.name, o.uuid"
    ))
    .bind(offering_user_id)
    .bind(pool_id)
    .fetch_all(conn)
    .await
}

/// The accounts of the user `user_uuid` that the caller sees (without the consent gate when
/// `scope` says so) and that match the list's `filter`, by offering name.
pub async fn posix_accounts_of_user(
    conn: &mut PgConnection,
    scope: ReadScope<'_>,
    filter: &ListFilter,
    user_uuid: Uuid,
) -> sqlx::Result<Vec<PosixAccountRow>> {
    let mut qb = QueryBuilder::new("");
    push_account_select(&mut qb);
    qb.push(" WHERE ou.user_id = (SELECT id FROM users WHERE uuid = ").push_bind(user_uuid).push(")");
    push_scope(&mut qb, scope);
    push_filter(&mut qb, filter);
    qb.push(" ORDER BY o.name, o.uuid");
    qb.build_query_as().fetch_all(conn).await
}
