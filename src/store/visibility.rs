//! The one visibility predicate (docs/spec/offering-users.md §3.2, docs/spec/decisions.md 8, 9, 23), shared by
//! list, count, retrieve and every detail action, and the permission test of §1.2 / decisions 4.
//!
//! The caller's reach (which offerings and users his roles let him see) is computed once, in
//! the authentication statement (`store::auth`), and bound here as arrays. The predicate is
//! then a disjunction of `= ANY($array)` tests on indexed columns of `offering_users`, which
//! PostgreSQL turns into a bitmap OR of index scans: visibility is decided by the database in
//! the statement that reads the rows, never in Rust, never a query per row.

use sqlx::{Postgres, QueryBuilder};

use super::fragments::ACTIVE_ROLE;
use crate::domain::principal::{Caller, Reach};

/// Pushes ` AND <the caller holds an active role on the offering `o` or its customer>`; for
/// the few lookups (an offering, a checklist template) that go by any role, not a permission.
pub fn push_has_role_on_offering(qb: &mut QueryBuilder<'_, Postgres>, caller: &Caller) {
    qb.push(" AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = ");
    qb.push_bind(caller.id);
    qb.push(" AND ").push(ACTIVE_ROLE).push(" AND (r.customer_id = o.customer_id OR r.offering_id = o.id))");
}

/// Pushes ` AND <the record is visible>` over the alias `ou`; nothing for staff and support.
/// The reach's offering arrays hold only offerings whose switch is on, so the predicate needs
/// no join: each branch is an `= ANY($array)` test on an indexed column.
pub fn push_visible(qb: &mut QueryBuilder<'_, Postgres>, caller: &Caller) {
    push_visible_over(qb, caller, "ou");
}

/// [`push_visible`] over any row that names an offering user's `offering_id` and `user_id`
/// under `alias`: the events of a record (`store::events`) are visible exactly when a record
/// with those ids is, decided by the same predicate, also once the record is deleted.
pub fn push_visible_over(qb: &mut QueryBuilder<'_, Postgres>, caller: &Caller, alias: &'static str) {
    let Some(reach) = &caller.reach else { return };
    qb.push(" AND ");
    push_predicate(qb, caller.id, reach, alias, OfferingTest::Any);
}

/// Like [`push_visible`], for a search (`?query=`): the offerings seen whole are tested in the
/// two expressions the search index of migration 0017 holds, so that the caller's reach, the
/// states and the search term are intersected in one scan of that index:
/// `ARRAY[ou.customer_id] && $customers` (less his customers' switched-off offerings) for the
/// offerings of his customers, `ARRAY[ou.offering_id] && $managed_offerings` for those he
/// manages. An owner's fifty offerings are then one key of the index, not fifty. (With
/// `offering_id = ANY(…)`, PostgreSQL would scan a GIN index once per element of the array,
/// reading its pending list each time.) Same rows as [`push_visible`]: `Reach::offerings` is
/// exactly those two sets' switched-on offerings; `tests/api/search.rs` holds the two to it.
pub fn push_visible_for_search(qb: &mut QueryBuilder<'_, Postgres>, caller: &Caller) {
    let Some(reach) = &caller.reach else { return };
    qb.push(" AND ");
    push_predicate(qb, caller.id, reach, "ou", OfferingTest::Overlap);
}

/// How the first branch of the predicate tests the record's offering.
#[derive(Debug, Clone, Copy)]
enum OfferingTest {
    /// `ou.offering_id = ANY($offerings)`: the btree indexes on `offering_id`.
    Any,
    /// `ARRAY[ou.customer_id] && $customers` or `ARRAY[ou.offering_id] && $managed`: the
    /// search index.
    Overlap,
}

/// Like [`push_visible`], but written so that PostgreSQL cannot answer it from indexes and
/// only filters rows with it. For a page of one offering: the planner then walks
/// `(offering_id, username, created, uuid)` in order and stops at the page size, instead of
/// collecting the offering's rows from the visibility bitmaps and sorting them (its generic
/// plan assumes an average-sized offering, so it cannot tell which is cheaper).
pub fn push_visible_as_filter(qb: &mut QueryBuilder<'_, Postgres>, caller: &Caller) {
    let Some(reach) = &caller.reach else { return };
    qb.push(" AND (CASE WHEN ");
    push_predicate(qb, caller.id, reach, "ou", OfferingTest::Any);
    qb.push(" THEN true ELSE false END)");
}

fn push_predicate(
    qb: &mut QueryBuilder<'_, Postgres>,
    caller_id: i64,
    reach: &Reach,
    alias: &'static str,
    test: OfferingTest,
) {
    // (a) the offering's switch; (b) a record of an offering whose customer I hold a role on
    // (or that I manage), or of a user I can see on a customer I can see, or my own record.
    match test {
        OfferingTest::Any => {
            qb.push(format_args!("({alias}.offering_id = ANY("));
            qb.push_bind(reach.offerings.clone());
        }
        OfferingTest::Overlap => {
            qb.push(format_args!("((ARRAY[{alias}.customer_id] && ("));
            qb.push_bind(reach.customers.clone());
            qb.push(format_args!(") AND {alias}.offering_id <> ALL("));
            qb.push_bind(reach.closed_offerings.clone());
            qb.push(format_args!(")) OR ARRAY[{alias}.offering_id] && ("));
            qb.push_bind(reach.managed_offerings.clone());
        }
    };
    qb.push(format_args!(") OR ({alias}.user_id = ANY("));
    qb.push_bind(reach.users.clone());
    qb.push(format_args!(") AND {alias}.offering_id = ANY("));
    qb.push_bind(reach.customer_offerings.clone());
    qb.push(format_args!(")) OR ({alias}.user_id = "));
    qb.push_bind(caller_id);
    qb.push(format_args!(" AND {alias}.offering_id <> ALL("));
    qb.push_bind(reach.closed_offerings.clone());
    qb.push(")))");
}

/// Pushes the consent gate (list and retrieve only, when enforced): a provider sees a record
/// only if its user consented to the offering's active terms of service, or there are none.
/// Staff, support and the user himself are never gated. `ou.consented` mirrors the consents
/// table (migration 0005), so the gate reads no other row per record.
pub fn push_consent_gate(qb: &mut QueryBuilder<'_, Postgres>, caller: &Caller, enforced: bool) {
    if !enforced || caller.sees_everything() {
        return;
    }
    qb.push(" AND (ou.user_id = ");
    qb.push_bind(caller.id);
    qb.push(
        " OR ou.consented \
          OR ou.offering_id <> ALL(ARRAY(SELECT t.offering_id FROM terms_of_service t WHERE t.is_active)))",
    );
}

/// Pushes a boolean expression: the caller holds `permission` through an active role on the
/// offering's customer or on the offering itself (staff hold every permission).
pub fn push_has_permission(qb: &mut QueryBuilder<'_, Postgres>, caller: &Caller, permission: &'static str) {
    if caller.is_staff {
        qb.push("true");
        return;
    }
    qb.push("EXISTS (SELECT 1 FROM user_roles r JOIN role_permissions rp ON rp.role = r.role WHERE r.user_id = ");
    qb.push_bind(caller.id);
    qb.push(" AND rp.permission = ");
    qb.push_bind(permission);
    qb.push(" AND ");
    qb.push(ACTIVE_ROLE);
    qb.push(" AND (r.customer_id = o.customer_id OR r.offering_id = o.id))");
}
