//! The hyperlink targets of the representation: users and provider offerings
//! (docs/spec/directory.md "Read-only endpoints", docs/spec/decisions.md 29).

use serde_json::Value;
use sqlx::{PgConnection, QueryBuilder};
use uuid::Uuid;

use super::visibility::{push_has_role_on_offering, push_visible};
use crate::domain::principal::Caller;

/// A user as `GET /api/users/{uuid}/` shows him.
#[derive(Debug, sqlx::FromRow)]
pub struct UserRow {
    pub uuid: Uuid,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub is_staff: bool,
    pub is_support: bool,
    pub is_active: bool,
}

/// A provider offering as `GET /api/marketplace-provider-offerings/{uuid}/` shows it.
#[derive(Debug, sqlx::FromRow)]
pub struct OfferingRow {
    pub uuid: Uuid,
    pub name: String,
    pub slug: String,
    #[sqlx(rename = "type")]
    pub offering_type: String,
    pub customer_uuid: Uuid,
    pub customer_name: String,
    pub parent_uuid: Option<Uuid>,
    pub plugin_options: Value,
}

const USER_COLUMNS: &str =
    "tu.uuid, tu.username, tu.first_name, tu.last_name, tu.email, tu.is_staff, tu.is_support, tu.is_active";

/// The user with this uuid, if the caller may see him: staff and support, the user himself,
/// whoever sees one of his offering-user records, and whoever holds an active role on a
/// customer or project where he holds one (a customer role covers its projects).
pub async fn visible_user(conn: &mut PgConnection, caller: &Caller, uuid: Uuid) -> sqlx::Result<Option<UserRow>> {
    let mut qb = QueryBuilder::new("");
    qb.push("SELECT ").push(USER_COLUMNS).push(" FROM users tu WHERE tu.uuid = ").push_bind(uuid);
    let Some(reach) = &caller.reach else {
        return qb.build_query_as().fetch_optional(&mut *conn).await;
    };
    qb.push(" AND (tu.id = ").push_bind(caller.id);
    qb.push(" OR tu.id = ANY(").push_bind(reach.users.clone()).push(")");
    qb.push(
        " OR EXISTS (SELECT 1 FROM offering_users ou JOIN offerings o ON o.id = ou.offering_id \
          WHERE ou.user_id = tu.id",
    );
    push_visible(&mut qb, caller);
    qb.push("))");
    qb.build_query_as().fetch_optional(&mut *conn).await
}

/// The caller himself.
pub async fn user_by_id(conn: &mut PgConnection, id: i64) -> sqlx::Result<UserRow> {
    let mut qb = QueryBuilder::new("SELECT ");
    qb.push(USER_COLUMNS).push(" FROM users tu WHERE tu.id = ").push_bind(id);
    qb.build_query_as().fetch_one(&mut *conn).await
}

/// The provider offering with this uuid, if the caller is staff or support or holds an
/// active role on it or on its customer.
pub async fn visible_offering(
    conn: &mut PgConnection,
    caller: &Caller,
    uuid: Uuid,
) -> sqlx::Result<Option<OfferingRow>> {
    let mut qb = QueryBuilder::new(
        "SELECT o.uuid, o.name, o.slug, o.type, c.uuid AS customer_uuid, c.name AS customer_name, \
         p.uuid AS parent_uuid, o.plugin_options \
         FROM offerings o JOIN customers c ON c.id = o.customer_id \
         LEFT JOIN offerings p ON p.id = o.parent_id WHERE o.uuid = ",
    );
    qb.push_bind(uuid);
    if !caller.sees_everything() {
        push_has_role_on_offering(&mut qb, caller);
    }
    qb.build_query_as().fetch_optional(&mut *conn).await
}
