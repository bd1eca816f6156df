//! The event log: offering-user audit events as events (`GET /api/events/`), read with the
//! one visibility predicate over the ids each event keeps (migration 0010), so that a record's
//! events stay visible to exactly those who may see such a record, also after it is deleted.
//!
//! Events written before migration 0010 have neither a stored uuid nor ids: their uuid is
//! derived from their id ([`derived_uuid`], a version-8 uuid no random one can equal), and
//! only staff and support see them (the predicate finds no offering to match).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use super::visibility::push_visible_over;
use crate::domain::events::{CurrentRecord, EventFacts, EventFilter, EventScope, EventType};
use crate::domain::principal::Caller;
use crate::domain::state::State;

/// The high bits of a derived uuid: a fixed tag, version 8, RFC variant; the low 48 bits are
/// the event's id.
const DERIVED_TAG: u128 = 0xe7e0_0000_0000_8000_8000_0000_0000_0000;
const ID_BITS: u128 = 0xffff_ffff_ffff;

/// The uuid of an event stored without one: stable, and read back by [`derived_id`].
pub fn derived_uuid(id: i64) -> Uuid {
    Uuid::from_u128(DERIVED_TAG | (id as u128 & ID_BITS))
}

/// The id a derived uuid stands for.
pub fn derived_id(uuid: Uuid) -> Option<i64> {
    let value = uuid.as_u128();
    (value & !ID_BITS == DERIVED_TAG).then_some((value & ID_BITS) as i64)
}

/// One event with what its message and context are made of.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub uuid: Option<Uuid>,
    pub created: DateTime<Utc>,
    pub action: String,
    pub offering_user_uuid: Uuid,
    pub old_values: Value,
    pub new_values: Value,
    pub offering_uuid: Option<Uuid>,
    pub offering_name: Option<String>,
    pub customer_uuid: Option<Uuid>,
    pub customer_name: Option<String>,
    pub user_uuid: Option<Uuid>,
    pub user_username: Option<String>,
    pub user_first_name: Option<String>,
    pub user_last_name: Option<String>,
    pub actor_username: Option<String>,
    pub current_exists: bool,
    pub current_username: Option<String>,
    pub current_is_restricted: Option<bool>,
    pub current_state: Option<i16>,
}

impl EventRow {
    /// The event's uuid: stored, or derived from its id.
    pub fn event_uuid(&self) -> Uuid {
        self.uuid.unwrap_or_else(|| derived_uuid(self.id))
    }

    /// What its message and context are made of.
    pub fn facts(&self) -> EventFacts {
        let current = self.current_exists.then(|| CurrentRecord {
            username: self.current_username.clone(),
            is_restricted: self.current_is_restricted.unwrap_or(false),
            state: self.current_state.and_then(|s| State::try_from(s).ok()),
        });
        EventFacts {
            action: self.action.clone(),
            offering_user_uuid: self.offering_user_uuid,
            old_values: self.old_values.clone(),
            new_values: self.new_values.clone(),
            offering_uuid: self.offering_uuid,
            offering_name: self.offering_name.clone(),
            customer_uuid: self.customer_uuid,
            customer_name: self.customer_name.clone(),
            user_uuid: self.user_uuid,
            user_username: self.user_username.clone(),
            user_first_name: self.user_first_name.clone(),
            user_last_name: self.user_last_name.clone(),
            actor_username: self.actor_username.clone(),
            current,
        }
    }
}

const EVENT_COLUMNS: &str = "SELECT e.id, e.uuid, e.created, e.action, e.offering_user_uuid, e.old_values, \
     e.new_values, o.uuid AS offering_uuid, o.name::text AS offering_name, c.uuid AS customer_uuid, \
     c.name::text AS customer_name, u.uuid AS user_uuid, u.username::text AS user_username, \
     u.first_name::text AS user_first_name, u.last_name::text AS user_last_name, \
     a.username::text AS actor_username, cur.id IS NOT NULL AS current_exists, \
     cur.username::text AS current_username, cur.is_restricted AS current_is_restricted, \
     cur.state AS current_state \
     FROM audit_events e \
     LEFT JOIN offerings o ON o.id = e.offering_id LEFT JOIN customers c ON c.id = o.customer_id \
     LEFT JOIN users u ON u.id = e.user_id LEFT JOIN users a ON a.id = e.actor_id \
     LEFT JOIN offering_users cur ON cur.uuid = e.offering_user_uuid WHERE true";

/// Pushes what every read of events shares: the caller's visibility, then the consent gate
/// when enforced (as the offering-user list applies it: a provider sees the events of a
/// record only if its user consented, or the offering has no active terms; a deleted record
/// has no consent left, so its events pass only the second test).
fn push_scope(qb: &mut QueryBuilder<'_, Postgres>, caller: &Caller, consent_gate: bool) {
    push_visible_over(qb, caller, "e");
    if consent_gate && !caller.sees_everything() {
        qb.push(" AND (e.user_id = ");
        qb.push_bind(caller.id);
        qb.push(
            " OR e.offering_id <> ALL(ARRAY(SELECT t.offering_id FROM terms_of_service t WHERE t.is_active)) \
              OR EXISTS (SELECT 1 FROM offering_users g WHERE g.uuid = e.offering_user_uuid AND g.consented))",
        );
    }
}

fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, filter: &EventFilter) {
    if filter.matches_nothing {
        qb.push(" AND false");
        return;
    }
    if !filter.event_types.is_empty() {
        let direct: Vec<&str> = filter.event_types.iter().filter_map(|t| t.stored_action()).collect();
        let updated = filter.event_types.contains(&EventType::Updated);
        qb.push(" AND (e.action = ANY(");
        qb.push_bind(direct);
        qb.push(") OR (");
        qb.push_bind(updated);
        qb.push(" AND e.action <> ALL(");
        qb.push_bind(EventType::one_to_one_actions().to_vec());
        qb.push(")))");
    }
    match filter.scope {
        Some(EventScope::OfferingUser(uuid)) => {
            qb.push(" AND e.offering_user_uuid = ").push_bind(uuid);
        }
        Some(EventScope::Offering(uuid)) => {
            qb.push(" AND e.offering_id = (SELECT so.id FROM offerings so WHERE so.uuid = ").push_bind(uuid).push(")");
        }
        Some(EventScope::Customer(uuid)) => push_customer(qb, uuid),
        None => {}
    }
    if let Some(uuid) = filter.customer_uuid {
        push_customer(qb, uuid);
    }
    if let Some(uuid) = filter.user_uuid {
        qb.push(" AND e.user_id = (SELECT fu.id FROM users fu WHERE fu.uuid = ").push_bind(uuid).push(")");
    }
    if let Some(from) = filter.created_from {
        qb.push(" AND e.created >= ").push_bind(from);
    }
    if let Some(to) = filter.created_to {
        qb.push(" AND e.created <= ").push_bind(to);
    }
}

fn push_customer(qb: &mut QueryBuilder<'_, Postgres>, uuid: Uuid) {
    qb.push(
        " AND e.offering_id = ANY(ARRAY(SELECT co.id FROM offerings co JOIN customers cc ON cc.id = co.customer_id \
         WHERE cc.uuid = ",
    );
    qb.push_bind(uuid).push("))");
}

/// How many events the caller sees under `filter`.
pub async fn count(
    conn: &mut PgConnection,
    caller: &Caller,
    consent_gate: bool,
    filter: &EventFilter,
) -> sqlx::Result<i64> {
    let mut qb = QueryBuilder::new("SELECT count(*) FROM audit_events e WHERE true");
    push_scope(&mut qb, caller, consent_gate);
    push_filter(&mut qb, filter);
    qb.build_query_scalar().fetch_one(conn).await
}

/// A page of the events the caller sees under `filter`, in the order they were written
/// (the id's order, which is the order of `created` but for clock steps between servers).
pub async fn page(
    conn: &mut PgConnection,
    caller: &Caller,
    consent_gate: bool,
    filter: &EventFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<EventRow>> {
    let mut qb = QueryBuilder::new(EVENT_COLUMNS);
    push_scope(&mut qb, caller, consent_gate);
    push_filter(&mut qb, filter);
    qb.push(if filter.oldest_first { " ORDER BY e.id" } else { " ORDER BY e.id DESC" });
    qb.push(" LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
    qb.build_query_as().fetch_all(conn).await
}

/// The event `uuid` if the caller sees it.
pub async fn find_visible(
    conn: &mut PgConnection,
    caller: &Caller,
    consent_gate: bool,
    uuid: Uuid,
) -> sqlx::Result<Option<EventRow>> {
    let mut qb = QueryBuilder::new(EVENT_COLUMNS);
    push_uuid(&mut qb, uuid);
    push_scope(&mut qb, caller, consent_gate);
    qb.build_query_as().fetch_optional(conn).await
}

fn push_uuid(qb: &mut QueryBuilder<'_, Postgres>, uuid: Uuid) {
    match derived_id(uuid) {
        Some(id) => qb.push(" AND e.uuid IS NULL AND e.id = ").push_bind(id),
        None => qb.push(" AND e.uuid = ").push_bind(uuid),
    };
}

/// The event `id`, whoever may see it (for a sink, which checks its receiver's view itself).
pub async fn by_id(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<EventRow>> {
    let mut qb = QueryBuilder::new(EVENT_COLUMNS);
    qb.push(" AND e.id = ").push_bind(id);
    qb.build_query_as().fetch_optional(conn).await
}

/// Whether `caller` sees the event `id` now: the same predicate as the list's, consent gate
/// included.
pub async fn is_visible(conn: &mut PgConnection, caller: &Caller, consent_gate: bool, id: i64) -> sqlx::Result<bool> {
    let mut qb = QueryBuilder::new("SELECT EXISTS (SELECT 1 FROM audit_events e WHERE e.id = ");
    qb.push_bind(id);
    push_scope(&mut qb, caller, consent_gate);
    qb.push(")");
    qb.build_query_scalar().fetch_one(conn).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_uuids_read_back_and_random_ones_do_not() {
        for id in [1_i64, 42, 1 << 40] {
            assert_eq!(derived_id(derived_uuid(id)), Some(id));
            assert_eq!(derived_uuid(id).get_version_num(), 8);
        }
        assert_eq!(derived_id(Uuid::new_v4()), None);
    }
}
