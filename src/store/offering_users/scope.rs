//! How a read of offering users is scoped and filtered: the caller's visibility with the
//! consent and profile-completeness gates, and the list's filters, as `WHERE` conditions over
//! `ou`. Shared by the page and count statements (`read`) and the count from the counters
//! (`counting`).

use sqlx::{Postgres, QueryBuilder};

use super::search::push_search;
use crate::domain::listing::ListFilter;
use crate::domain::principal::Caller;
use crate::store::visibility::{push_consent_gate, push_visible, push_visible_for_search};

/// How a read is scoped.
#[derive(Debug, Clone, Copy)]
pub struct ReadScope<'a> {
    pub caller: &'a Caller,
    /// The consent gate is on (`ENFORCE_USER_CONSENT_FOR_OFFERINGS`).
    pub consent_gate: bool,
    /// The profile-completeness gate is on (`ENFORCE_OFFERING_USER_PROFILE_COMPLETENESS`,
    /// docs/spec/offering-users-2026.md §4.5).
    pub completeness_gate: bool,
    /// `DEFAULT_OFFERING_USER_ATTRIBUTES`: the exposure of an offering without an explicit
    /// config (§4.3), which the representation reads.
    pub default_exposure: &'a [&'static str],
}

impl ReadScope<'_> {
    /// Whether the completeness gate narrows this caller's reads: it is on and he is neither
    /// staff nor support.
    pub(super) fn completeness_gated(&self) -> bool {
        self.completeness_gate && !self.caller.sees_everything()
    }
}

/// Pushes ` AND …`: the records the caller sees, through the consent and completeness gates
/// when they are on.
pub(super) fn push_scope(qb: &mut QueryBuilder<'_, Postgres>, scope: ReadScope<'_>) {
    push_visible(qb, scope.caller);
    push_gates(qb, scope);
}

/// Pushes ` AND …`: the consent gate and the completeness gate, each when it is on.
pub(super) fn push_gates(qb: &mut QueryBuilder<'_, Postgres>, scope: ReadScope<'_>) {
    push_consent_gate(qb, scope.caller, scope.consent_gate);
    push_completeness_gate(qb, scope);
}

/// Pushes the profile-completeness gate (list and retrieve only, when enforced;
/// docs/spec/offering-users-2026.md §4.5): a record incomplete for the gate is hidden from
/// everyone but staff, support and its own user.
fn push_completeness_gate(qb: &mut QueryBuilder<'_, Postgres>, scope: ReadScope<'_>) {
    if !scope.completeness_gated() {
        return;
    }
    qb.push(" AND (ou.user_id = ").push_bind(scope.caller.id).push(" OR NOT ");
    push_profile_incomplete(qb);
    qb.push(")");
}

/// Pushes ` AND …`: [`push_scope`] then [`push_filter`], with visibility in the form the
/// search index serves when the filter searches (`store::offering_users::search`).
pub(super) fn push_scope_and_filter(qb: &mut QueryBuilder<'_, Postgres>, scope: ReadScope<'_>, f: &ListFilter) {
    if f.query.is_some() {
        push_visible_for_search(qb, scope.caller);
    } else {
        push_visible(qb, scope.caller);
    }
    push_gates(qb, scope);
    push_filter(qb, f);
}

/// Pushes ` AND …` for every filter that is set.
pub(super) fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, f: &ListFilter) {
    // The offerings a filter names are resolved to ids first, so that the rows come from
    // the offering_id index of offering_users (with a generic plan, a condition on the
    // joined offering could not reach that index).
    if let Some(uuid) = f.single_offering_uuid() {
        // One offering: an equality, which the (offering_id, username, …) index serves in order.
        qb.push(" AND ou.offering_id = (SELECT o2.id FROM offerings o2 WHERE o2.uuid = ").push_bind(uuid).push(")");
    } else if f.has_offering_filter() {
        qb.push(" AND ou.offering_id = ANY(ARRAY(SELECT o2.id FROM offerings o2 WHERE true");
        push_offering_filter(qb, f, "o2");
        qb.push("))");
    }
    push_record_filter(qb, f);
}

/// The filters on the offering, over the alias `alias`.
pub(super) fn push_offering_filter(qb: &mut QueryBuilder<'_, Postgres>, f: &ListFilter, alias: &'static str) {
    if f.matches_nothing {
        qb.push(" AND false");
    }
    if let Some(uuid) = f.offering_url_uuid {
        qb.push(format_args!(" AND {alias}.uuid = ")).push_bind(uuid);
    }
    if !f.offering_uuids.is_empty() {
        qb.push(format_args!(" AND {alias}.uuid = ANY(")).push_bind(f.offering_uuids.clone()).push(")");
    }
    if !f.offering_slugs.is_empty() {
        qb.push(format_args!(" AND {alias}.slug = ANY(")).push_bind(f.offering_slugs.clone()).push(")");
    }
    if let Some(uuid) = f.parent_offering_uuid {
        qb.push(format_args!(" AND {alias}.parent_id = (SELECT id FROM offerings WHERE uuid = "))
            .push_bind(uuid)
            .push(")");
    }
    if let Some(uuid) = f.provider_uuid {
        qb.push(format_args!(" AND {alias}.customer_id = (SELECT id FROM customers WHERE uuid = "))
            .push_bind(uuid)
            .push(")");
    }
}

/// The filters on the record and its user (aliases `ou`, `u`).
fn push_record_filter(qb: &mut QueryBuilder<'_, Postgres>, f: &ListFilter) {
    if let Some(uuid) = f.user_uuid {
        qb.push(" AND ou.user_id = (SELECT id FROM users WHERE uuid = ").push_bind(uuid).push(")");
    }
    if let Some(name) = &f.user_username {
        qb.push(" AND ou.user_id = ANY(ARRAY(SELECT id FROM users WHERE lower(username) = lower(")
            .push_bind(name.clone())
            .push(")))");
    }
    if let Some(name) = &f.username {
        qb.push(" AND ou.username = ").push_bind(name.clone());
    }
    if let Some(restricted) = f.is_restricted {
        qb.push(" AND ou.is_restricted = ").push_bind(restricted);
    }
    if !f.states.is_empty() {
        let states: Vec<i16> = f.states.iter().map(|s| s.db()).collect();
        qb.push(" AND ou.state = ANY(").push_bind(states).push(")");
    }
    if let Some(consented) = f.has_consent {
        qb.push(" AND ou.consented = ").push_bind(consented);
    }
    if let Some(after) = f.created_after {
        qb.push(" AND ou.created >= ").push_bind(after);
    }
    if let Some(after) = f.modified_after {
        qb.push(" AND ou.modified >= ").push_bind(after);
    }
    if let Some(term) = &f.query {
        push_search(qb, term);
    }
    push_newer_filter(qb, f);
}

/// The filters of newer clients (docs/spec/offering-users-2026.md §5, F1–F7), over `ou`.
fn push_newer_filter(qb: &mut QueryBuilder<'_, Postgres>, f: &ListFilter) {
    // Inclusive upper bounds, the counterparts of `created`/`modified` (§11 Q4).
    if let Some(before) = f.created_before {
        qb.push(" AND ou.created <= ").push_bind(before);
    }
    if let Some(before) = f.modified_before {
        qb.push(" AND ou.modified <= ").push_bind(before);
    }
    if !f.runtime_states.is_empty() {
        let labels: Vec<&str> = f.runtime_states.iter().map(|s| s.label()).collect();
        qb.push(" AND ou.runtime_state = ANY(").push_bind(labels).push("::text[])");
    }
    if let Some(complete) = f.has_complete_profile {
        // The gate's predicate (§4.5): only offerings with an explicit exposure config count,
        // so `false` never returns a record of an offering without one.
        qb.push(if complete { " AND NOT " } else { " AND " });
        push_profile_incomplete(qb);
    }
    if let Some(has_tos) = f.offering_has_active_tos {
        qb.push(if has_tos { " AND " } else { " AND NOT " });
        qb.push("EXISTS (SELECT 1 FROM terms_of_service t WHERE t.offering_id = ou.offering_id AND t.is_active)");
    }
    if let Some(backed) = f.is_provider_backed {
        qb.push(if backed {
            " AND ou.service_provider_account_id IS NOT NULL"
        } else {
            " AND ou.service_provider_account_id IS NULL"
        });
    }
    if let Some(uuid) = f.service_provider_account_uuid {
        qb.push(" AND ou.service_provider_account_id = (SELECT id FROM service_provider_accounts WHERE uuid = ")
            .push_bind(uuid)
            .push(")");
    }
}

/// Pushes a boolean expression over `ou`, never NULL: the record is *incomplete for the gate*
/// (docs/spec/offering-users-2026.md §4.5) — its offering has an explicit exposure config
/// (`exposed_user_attributes IS NOT NULL`) and at least one attribute that config exposes is
/// empty on the record's user (`user_missing_attributes`, migration 0009, the one definition
/// of "empty"). Shared by the `has_complete_profile` filter and the completeness gate.
///
/// The offerings with a config are found first (there are few), so that the records of the
/// others are decided by an `= ANY` on their indexed `offering_id` without looking at the user.
pub(super) fn push_profile_incomplete(qb: &mut QueryBuilder<'_, Postgres>) {
    qb.push(
        "(ou.offering_id = ANY(ARRAY(SELECT po.id FROM offerings po WHERE po.exposed_user_attributes IS NOT NULL)) \
         AND coalesce((SELECT cardinality(user_missing_attributes(pu, po.exposed_user_attributes)) > 0 \
         FROM offerings po, users pu WHERE po.id = ou.offering_id AND pu.id = ou.user_id \
         AND po.exposed_user_attributes IS NOT NULL), false))",
    );
}
