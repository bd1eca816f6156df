//! Counting from the counters: which filters the per-(offering, state, restriction,
//! consent) counters can answer, and the count read from them (migrations 0003, 0006, 0007).

use sqlx::{PgConnection, Postgres, QueryBuilder};

use super::scope::{push_offering_filter, ReadScope};
use crate::domain::listing::ListFilter;

/// Whether `filter` uses only offering-level filters, states and the restriction flag: the
/// counters kept per (offering, state, restriction) then answer a count exactly. Anything
/// about the user, the username, consent, dates, a search, the runtime state, the profile,
/// the terms of service or a provider account needs the rows themselves.
///
/// Every field is named, so that a new filter does not compile until it is sorted here: a
/// filter the counters cannot see, counted from them, would make `X-Result-Count` differ
/// from the list.
pub fn countable_from_counters(filter: &ListFilter) -> bool {
    let ListFilter {
        // What the counters are kept by (the offering, through its filters; the state; the
        // restriction flag).
        matches_nothing: _,
        offering_url_uuid: _,
        offering_uuids: _,
        offering_slugs: _,
        parent_offering_uuid: _,
        provider_uuid: _,
        states: _,
        is_restricted: _,
        // What they cannot see.
        user_uuid,
        user_username,
        username,
        has_consent,
        created_after,
        modified_after,
        query,
        created_before,
        modified_before,
        runtime_states,
        has_complete_profile,
        offering_has_active_tos,
        is_provider_backed,
        service_provider_account_uuid,
    } = filter;
    user_uuid.is_none()
        && user_username.is_none()
        && username.is_none()
        && has_consent.is_none()
        && created_after.is_none()
        && modified_after.is_none()
        && query.is_none()
        && created_before.is_none()
        && modified_before.is_none()
        && runtime_states.is_empty()
        && has_complete_profile.is_none()
        && offering_has_active_tos.is_none()
        && is_provider_backed.is_none()
        && service_provider_account_uuid.is_none()
}

/// The same count from the counters kept per (offering, state, restriction, consent) by
/// triggers (migrations 0003, 0006, 0007: counters plus pending deltas): exact, and a sum
/// over a few rows per offering.
///
/// Staff and support always qualify. Anyone else qualifies when every offering the filter
/// names is one whose records he sees whole (an owner or manager polling his offerings):
/// then only the consent gate narrows them, and the counters split by consent (the caller
/// does not count from them while the profile-completeness gate narrows his records). `None` when
/// the caller does not qualify; the caller then counts rows.
pub(super) async fn count_from_counters(
    conn: &mut PgConnection,
    scope: ReadScope<'_>,
    filter: &ListFilter,
) -> sqlx::Result<Option<i64>> {
    let reach = match &scope.caller.reach {
        None => None,
        Some(_) if !filter.has_offering_filter() => return Ok(None),
        Some(reach) => Some(reach),
    };
    let gated = scope.consent_gate && reach.is_some();
    let mut qb = QueryBuilder::new("SELECT CASE WHEN ");
    match reach {
        Some(reach) => {
            qb.push("f.ids <@ ").push_bind(reach.offerings.clone()).push("::bigint[]");
        }
        None => {
            qb.push("true");
        }
    }
    qb.push(" THEN (SELECT coalesce(sum(c.n), 0) FROM offering_user_totals c WHERE true");
    if filter.has_offering_filter() {
        qb.push(" AND c.offering_id = ANY(f.ids)");
    }
    push_counter_filter(&mut qb, filter, "c");
    if gated {
        qb.push(" AND (c.consented OR c.offering_id <> ALL(f.gated))");
    }
    qb.push(")");
    if gated {
        // His own records are never gated: add those the counters left out.
        qb.push(" + (SELECT count(*) FROM offering_users ou WHERE ou.user_id = ");
        qb.push_bind(scope.caller.id);
        qb.push(" AND NOT ou.consented AND ou.offering_id = ANY(f.ids) AND ou.offering_id = ANY(f.gated)");
        push_counter_filter(&mut qb, filter, "ou");
        qb.push(")");
    }
    qb.push(" END::bigint FROM (SELECT ARRAY(SELECT o2.id FROM offerings o2 WHERE true");
    push_offering_filter(&mut qb, filter, "o2");
    qb.push(") AS ids, ARRAY(SELECT t.offering_id FROM terms_of_service t WHERE t.is_active) AS gated) f");
    qb.build_query_scalar().fetch_one(&mut *conn).await
}

/// The state and restriction filters, over the alias of a counter or a record.
fn push_counter_filter(qb: &mut QueryBuilder<'_, Postgres>, filter: &ListFilter, alias: &'static str) {
    if !filter.states.is_empty() {
        let states: Vec<i16> = filter.states.iter().map(|s| s.db()).collect();
        qb.push(format_args!(" AND {alias}.state = ANY(")).push_bind(states).push(")");
    }
    if let Some(restricted) = filter.is_restricted {
        qb.push(format_args!(" AND {alias}.is_restricted = ")).push_bind(restricted);
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::domain::runtime_state::RuntimeState;
    use crate::domain::state::State;

    #[test]
    fn only_offering_state_and_restriction_filters_are_countable() {
        let uuid = Uuid::from_u128(1);
        let cases = [
            (ListFilter::default(), true),
            (
                ListFilter {
                    offering_uuids: vec![uuid],
                    offering_slugs: vec!["x".into()],
                    provider_uuid: Some(uuid),
                    states: vec![State::Ok],
                    is_restricted: Some(true),
                    ..Default::default()
                },
                true,
            ),
            (ListFilter { user_uuid: Some(uuid), ..Default::default() }, false),
            (ListFilter { user_username: Some("u".into()), ..Default::default() }, false),
            (ListFilter { username: Some("u".into()), ..Default::default() }, false),
            (ListFilter { has_consent: Some(false), ..Default::default() }, false),
            (ListFilter { created_after: Some(Utc::now()), ..Default::default() }, false),
            (ListFilter { modified_after: Some(Utc::now()), ..Default::default() }, false),
            (ListFilter { query: Some("q".into()), ..Default::default() }, false),
            (ListFilter { created_before: Some(Utc::now()), ..Default::default() }, false),
            (ListFilter { modified_before: Some(Utc::now()), ..Default::default() }, false),
            (ListFilter { runtime_states: vec![RuntimeState::Active], ..Default::default() }, false),
            (ListFilter { has_complete_profile: Some(true), ..Default::default() }, false),
            (ListFilter { offering_has_active_tos: Some(false), ..Default::default() }, false),
            (ListFilter { is_provider_backed: Some(false), ..Default::default() }, false),
            (ListFilter { service_provider_account_uuid: Some(uuid), ..Default::default() }, false),
        ];
        for (filter, expected) in cases {
            assert_eq!(countable_from_counters(&filter), expected, "{filter:?}");
        }
    }
}
