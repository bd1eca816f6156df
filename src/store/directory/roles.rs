//! Roles of users on customers, projects and offerings, and the permissions each role grants.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::Written;

/// The permissions `role` grants now, sorted.
pub async fn role_permissions(conn: &mut PgConnection, role: &str) -> sqlx::Result<Vec<String>> {
    let mut permissions: Vec<String> =
        sqlx::query_scalar("SELECT permission FROM role_permissions WHERE role = $1 ORDER BY permission")
            .bind(role)
            .fetch_all(conn)
            .await?;
    permissions.sort();
    Ok(permissions)
}

/// Replaces the permissions of `role` by these.
pub async fn replace_role_permissions(conn: &mut PgConnection, role: &str, permissions: &[String]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM role_permissions WHERE role = $1").bind(role).execute(&mut *conn).await?;
    sqlx::query("INSERT INTO role_permissions (role, permission) SELECT $1, unnest($2::text[])")
        .bind(role)
        .bind(permissions)
        .execute(conn)
        .await?;
    Ok(())
}

/// A role of a user on exactly one scope, as the import writes it. The user, the role and
/// its scope identify it.
#[derive(Debug, Clone)]
pub struct RoleWrite<'a> {
    pub user_id: i64,
    pub role: &'a str,
    pub customer_id: Option<i64>,
    pub project_id: Option<i64>,
    pub offering_id: Option<i64>,
    pub is_active: bool,
    pub expiration_time: Option<DateTime<Utc>>,
}

/// Inserts the roles, or updates those whose activity or expiration differ.
pub async fn upsert_roles(conn: &mut PgConnection, roles: &[RoleWrite<'_>]) -> sqlx::Result<Written> {
    let flags: Vec<bool> = sqlx::query_scalar(
        "INSERT INTO user_roles (user_id, role, customer_id, project_id, offering_id, is_active, expiration_time) \
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bool[], \
                              $7::timestamptz[]) \
         ON CONFLICT ON CONSTRAINT user_roles_identity_key DO UPDATE SET is_active = EXCLUDED.is_active, \
             expiration_time = EXCLUDED.expiration_time \
         WHERE (user_roles.is_active, user_roles.expiration_time) \
               IS DISTINCT FROM (EXCLUDED.is_active, EXCLUDED.expiration_time) \
         RETURNING (xmax = 0)",
    )
    .bind(roles.iter().map(|e| e.user_id).collect::<Vec<_>>())
    .bind(roles.iter().map(|e| e.role).collect::<Vec<_>>())
    .bind(roles.iter().map(|e| e.customer_id).collect::<Vec<_>>())
    .bind(roles.iter().map(|e| e.project_id).collect::<Vec<_>>())
    .bind(roles.iter().map(|e| e.offering_id).collect::<Vec<_>>())
    .bind(roles.iter().map(|e| e.is_active).collect::<Vec<_>>())
    .bind(roles.iter().map(|e| e.expiration_time).collect::<Vec<_>>())
    .fetch_all(conn)
    .await?;
    Ok(Written::from_inserted_flags(&flags))
}
