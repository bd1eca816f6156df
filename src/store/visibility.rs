//! The one visibility predicate (offering-users.md §3.2, decisions.md 8, 9, 23), shared by
//! list, count, retrieve and every detail action, and the permission test of §1.2 / decisions 4.
//!
//! Both are SQL fragments pushed into a `QueryBuilder` over the aliases `ou` (offering user)
//! and `o` (its offering), so visibility is always decided by the database in the same
//! statement that reads the rows: never filtered in Rust, never a query per row.

use sqlx::{Postgres, QueryBuilder};

use super::Caller;

/// "Active role" as upstream defines it.
const ACTIVE: &str = "is_active AND (expiration_time IS NULL OR expiration_time > now())";

/// Pushes `WITH …` naming the caller's reach: `my_roles`, `visible_customers`,
/// `visible_projects`, `visible_users` and `my_offerings`. Only for callers that do not
/// see everything.
pub fn push_reach_ctes(qb: &mut QueryBuilder<'_, Postgres>, caller: &Caller) {
    qb.push("WITH my_roles AS (SELECT customer_id, project_id, offering_id FROM user_roles WHERE user_id = ");
    qb.push_bind(caller.id);
    qb.push(" AND ");
    qb.push(ACTIVE);
    qb.push(
        "), visible_customers AS (\
            SELECT customer_id AS id FROM my_roles WHERE customer_id IS NOT NULL \
            UNION SELECT p.customer_id FROM projects p WHERE p.id IN (SELECT project_id FROM my_roles)), \
         visible_projects AS (\
            SELECT project_id AS id FROM my_roles WHERE project_id IS NOT NULL \
            UNION SELECT p.id FROM projects p WHERE p.customer_id IN (SELECT customer_id FROM my_roles)), \
         visible_users AS (\
            SELECT r.user_id FROM user_roles r WHERE r.",
    );
    qb.push(ACTIVE.replace("expiration_time", "r.expiration_time"));
    qb.push(
        " AND (r.customer_id IN (SELECT id FROM visible_customers) \
                   OR r.project_id IN (SELECT id FROM visible_projects))), \
         my_offerings AS (\
            SELECT o.id FROM offerings o \
            WHERE o.customer_id IN (SELECT customer_id FROM my_roles) \
               OR o.id IN (SELECT offering_id FROM my_roles)) ",
    );
}

/// Pushes ` AND <the record is visible>`; nothing for staff and support.
/// Requires [`push_reach_ctes`] at the head of the statement.
pub fn push_visible(qb: &mut QueryBuilder<'_, Postgres>, caller: &Caller) {
    if caller.sees_everything() {
        return;
    }
    // (a) the offering's switch; (b) my own record, or a record of an offering whose customer
    // I hold a role on (or that I manage), or of a user I can see on a customer I can see.
    qb.push(" AND o.users_enabled AND (ou.user_id = ");
    qb.push_bind(caller.id);
    qb.push(
        " OR ou.offering_id IN (SELECT id FROM my_offerings) \
          OR (ou.user_id IN (SELECT user_id FROM visible_users) \
              AND o.customer_id IN (SELECT id FROM visible_customers)))",
    );
}

/// Pushes the consent gate (list and retrieve only, when enforced): a provider sees a record
/// only if its user consented to the offering's active terms of service, or there are none.
/// Staff, support and the user himself are never gated.
pub fn push_consent_gate(qb: &mut QueryBuilder<'_, Postgres>, caller: &Caller, enforced: bool) {
    if !enforced || caller.sees_everything() {
        return;
    }
    qb.push(" AND (ou.user_id = ");
    qb.push_bind(caller.id);
    qb.push(
        " OR NOT EXISTS (SELECT 1 FROM terms_of_service t WHERE t.offering_id = o.id AND t.is_active) \
          OR EXISTS (SELECT 1 FROM consents c WHERE c.user_id = ou.user_id AND c.offering_id = o.id \
                     AND c.revocation_date IS NULL))",
    );
}

/// Pushes a boolean expression: the caller holds `permission` through an active role on the
/// offering's customer or on the offering itself (staff hold every permission).
pub fn push_has_permission(qb: &mut QueryBuilder<'_, Postgres>, caller: &Caller, permission: &'static str) {
    if caller.is_staff {
        qb.push("true");
        return;
    }
    qb.push(
        "EXISTS (SELECT 1 FROM user_roles r JOIN role_permissions rp ON rp.role = r.role \
         WHERE r.user_id = ",
    );
    qb.push_bind(caller.id);
    qb.push(" AND rp.permission = ");
    qb.push_bind(permission);
    qb.push(" AND r.");
    qb.push(ACTIVE.replace("expiration_time", "r.expiration_time"));
    qb.push(" AND (r.customer_id = o.customer_id OR r.offering_id = o.id))");
}
