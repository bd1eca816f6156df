//! How a read of offering users is scoped and filtered: the caller's visibility with the
//! consent gate, and the list's filters, as `WHERE` conditions over `ou`. Shared by the
//! page and count statements (`read`) and the count from the counters (`counting`).

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
}

/// Pushes ` AND …`: the records the caller sees, through the consent gate when it is on.
pub(super) fn push_scope(qb: &mut QueryBuilder<'_, Postgres>, scope: ReadScope<'_>) {
    push_visible(qb, scope.caller);
    push_consent_gate(qb, scope.caller, scope.consent_gate);
}

/// Pushes ` AND …`: [`push_scope`] then [`push_filter`], with visibility in the form the
/// search index serves when the filter searches (`store::offering_users::search`).
pub(super) fn push_scope_and_filter(qb: &mut QueryBuilder<'_, Postgres>, scope: ReadScope<'_>, f: &ListFilter) {
    if f.query.is_some() {
        push_visible_for_search(qb, scope.caller);
    } else {
        push_visible(qb, scope.caller);
    }
    push_consent_gate(qb, scope.caller, scope.consent_gate);
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
}
