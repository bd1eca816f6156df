//! Offering-user events as Waldur's event log shows them: the four event types, which of our
//! stored audit actions each stands for, and an event's `message` and `context`.
//!
//! Upstream (`waldur_mastermind/marketplace/log.py`, `handlers.py`) emits
//! `marketplace_offering_user_created` and `_deleted` from the model's signals,
//! `_restriction_updated` from `update_restricted`, and `_updated` for a username change and
//! for state moves made on the user's behalf. We store one audit action per change
//! (`store::audit`), so: created, deleted and restriction updates map one to one; every other
//! action (a username or comment update, the ten state actions, an import's change) is
//! `marketplace_offering_user_updated`.
//!
//! The context follows upstream's `LoggableMixin` serialization of `{"offering_user": …}`:
//! `OfferingUser.get_log_fields()` is `(offering, user, username, is_restricted)`, so the keys
//! are `offering_uuid`, `offering_name`, `user_uuid`, `user_username`, `user_full_name`, …,
//! `offering_user_username` and `offering_user_is_restricted` (a Python `str(bool)`: "True").
//! Newer upstream adds `offering_user_uuid` and, for a username change, `old_username`,
//! `new_username` and `changed_fields`; the customer is one of its scopes (`customer_uuid`,
//! `customer_name` here). Beyond upstream: `offering_user_state` and `action` (our stored
//! action), which a receiver needs to follow a record's state.

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::state::State;

/// The event types of offering users (the SDK's `EventTypesEnum` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    Created,
    Updated,
    Deleted,
    RestrictionUpdated,
}

/// Every event type, in upstream's order.
pub const ALL_EVENT_TYPES: [EventType; 4] =
    [EventType::Created, EventType::Updated, EventType::Deleted, EventType::RestrictionUpdated];

/// The event group that holds the four (upstream's `MarketplaceOfferingUserEventLogger`).
pub const USERS_GROUP: &str = "users";

/// The stored actions that are not `marketplace_offering_user_updated`.
const CREATED: &str = "marketplace_offering_user_created";
const DELETED: &str = "marketplace_offering_user_deleted";
const RESTRICTION_UPDATED: &str = "marketplace_offering_user_restriction_updated";
const USERNAME_UPDATED: &str = "marketplace_offering_user_updated";
const IMPORTED: &str = "marketplace_offering_user_imported";

impl EventType {
    /// The name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            EventType::Created => CREATED,
            EventType::Updated => "marketplace_offering_user_updated",
            EventType::Deleted => DELETED,
            EventType::RestrictionUpdated => RESTRICTION_UPDATED,
        }
    }

    /// The event type with this wire name.
    pub fn from_name(name: &str) -> Option<EventType> {
        ALL_EVENT_TYPES.into_iter().find(|t| t.name() == name)
    }

    /// The event type of a stored audit action.
    pub fn of_action(action: &str) -> EventType {
        match action {
            CREATED => EventType::Created,
            DELETED => EventType::Deleted,
            RESTRICTION_UPDATED => EventType::RestrictionUpdated,
            _ => EventType::Updated,
        }
    }

    /// The stored actions of this type, or `None` for `Updated`, which is every action but
    /// [`EventType::one_to_one_actions`].
    pub fn stored_action(self) -> Option<&'static str> {
        match self {
            EventType::Updated => None,
            other => Some(other.name()),
        }
    }

    /// The actions stored under their own event type's name.
    pub fn one_to_one_actions() -> [&'static str; 3] {
        [CREATED, DELETED, RESTRICTION_UPDATED]
    }
}

/// What an event's message and context are made of: the audit row and the directory's names,
/// read when the event is shown (names of a deleted offering or user are gone: empty).
#[derive(Debug, Clone, Default)]
pub struct EventFacts {
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
    /// Who made the change; none for an import.
    pub actor_username: Option<String>,
    /// The record as it is now, when it still exists.
    pub current: Option<CurrentRecord>,
}

/// The fields of a record that an event's context shows when its values do not say.
#[derive(Debug, Clone, Default)]
pub struct CurrentRecord {
    pub username: Option<String>,
    pub is_restricted: bool,
    pub state: Option<State>,
}

impl EventFacts {
    /// The event type.
    pub fn event_type(&self) -> EventType {
        EventType::of_action(&self.action)
    }

    /// A value the change recorded: the new one, else (a delete) the old one.
    fn recorded(&self, key: &str) -> Option<&Value> {
        self.new_values.get(key).or_else(|| self.old_values.get(key))
    }

    /// The record's username after the event.
    fn username(&self) -> String {
        match self.recorded("username") {
            Some(Value::String(name)) => name.clone(),
            Some(_) => String::new(),
            None => self.current.as_ref().and_then(|c| c.username.clone()).unwrap_or_default(),
        }
    }

    fn is_restricted(&self) -> bool {
        match self.new_values.get("is_restricted") {
            Some(Value::Bool(restricted)) => *restricted,
            _ => self.current.as_ref().is_some_and(|c| c.is_restricted),
        }
    }

    fn state_label(&self) -> String {
        match self.recorded("state") {
            Some(Value::String(label)) => label.clone(),
            _ => self.current.as_ref().and_then(|c| c.state).map(|s| s.label().to_owned()).unwrap_or_default(),
        }
    }

    /// The message, in upstream's words where upstream has them.
    pub fn message(&self) -> String {
        let user = self.user_username.as_deref().unwrap_or("");
        let offering = self.offering_name.as_deref().unwrap_or("");
        match self.action.as_str() {
            CREATED => format!("Account for user {user} in offering {offering} has been created."),
            DELETED => format!("Account for user {user} in offering {offering} has been deleted."),
            RESTRICTION_UPDATED => format!(
                "Restriction status for user {user} in offering {offering} has been set to {} by {}.",
                python_bool(self.is_restricted()),
                self.actor_username.as_deref().unwrap_or("")
            ),
            USERNAME_UPDATED if self.new_values.get("username").is_some() => format!(
                "Offering user username changed for {}: '{}' -> '{}'.",
                self.offering_user_uuid.simple(),
                text_of(self.old_values.get("username")),
                text_of(self.new_values.get("username"))
            ),
            USERNAME_UPDATED => {
                format!("Service provider comment of account for user {user} in offering {offering} has been updated.")
            }
            IMPORTED => format!("Account for user {user} in offering {offering} has been updated by an import."),
            _ => format!(
                "Account for user {user} in offering {offering} has been moved from {} to {}.",
                text_of(self.old_values.get("state")),
                text_of(self.new_values.get("state"))
            ),
        }
    }

    /// The context, keys as upstream serializes an offering user (see the module header).
    pub fn context(&self) -> Value {
        let mut context = Map::new();
        let mut put = |key: &str, value: Value| {
            context.insert(key.to_owned(), value);
        };
        let hex = |uuid: Option<Uuid>| uuid.map(|u| Value::String(u.simple().to_string())).unwrap_or(Value::Null);
        let text = |value: &Option<String>| Value::String(value.clone().unwrap_or_default());
        put("offering_user_uuid", hex(Some(self.offering_user_uuid)));
        put("offering_uuid", hex(self.offering_uuid));
        put("offering_name", text(&self.offering_name));
        put("customer_uuid", hex(self.customer_uuid));
        put("customer_name", text(&self.customer_name));
        put("user_uuid", hex(self.user_uuid));
        put("user_username", text(&self.user_username));
        let full_name = format!(
            "{} {}",
            self.user_first_name.as_deref().unwrap_or(""),
            self.user_last_name.as_deref().unwrap_or("")
        );
        put("user_full_name", json!(full_name.trim()));
        put("offering_user_username", json!(self.username()));
        put("offering_user_is_restricted", json!(python_bool(self.is_restricted())));
        put("offering_user_state", json!(self.state_label()));
        put("action", json!(self.action));
        if self.action == USERNAME_UPDATED {
            if let Some(new) = self.new_values.get("username") {
                put("old_username", json!(text_of(self.old_values.get("username"))));
                put("new_username", json!(text_of(Some(new))));
                put("changed_fields", json!(["username"]));
            } else if let Some(fields) = self.new_values.get("changed_fields") {
                put("changed_fields", fields.clone());
            }
        }
        Value::Object(context)
    }
}

/// What an event list selects (`GET /api/events/`); empty lists and `None` select everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    /// `event_type` (repeatable).
    pub event_types: Vec<EventType>,
    /// `scope`: the events of one record, offering or customer.
    pub scope: Option<EventScope>,
    /// `created_from` / `created_to`: Unix timestamps, inclusive.
    pub created_from: Option<chrono::DateTime<chrono::Utc>>,
    pub created_to: Option<chrono::DateTime<chrono::Utc>>,
    /// `user_uuid`: the record's user.
    pub user_uuid: Option<Uuid>,
    /// `customer_uuid`: the customer of the record's offering.
    pub customer_uuid: Option<Uuid>,
    /// A filter that no offering-user event can match (a scope of another kind, a project).
    pub matches_nothing: bool,
    /// `o=created`: oldest first; newest first otherwise (upstream's default `-created`).
    pub oldest_first: bool,
}

/// What a `scope` URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventScope {
    OfferingUser(Uuid),
    Offering(Uuid),
    Customer(Uuid),
}

/// Python's `str(bool)`, as upstream writes a boolean into a context or message.
fn python_bool(value: bool) -> &'static str {
    if value {
        "True"
    } else {
        "False"
    }
}

/// A recorded text value; empty for null or missing (upstream's `username or ""`).
fn text_of(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(action: &str, old: Value, new: Value) -> EventFacts {
        EventFacts {
            action: action.into(),
            offering_user_uuid: Uuid::from_u128(0xab),
            old_values: old,
            new_values: new,
            offering_name: Some("HPC".into()),
            user_username: Some("alice".into()),
            actor_username: Some("owner".into()),
            ..Default::default()
        }
    }

    #[test]
    fn actions_map_onto_the_four_event_types() {
        let table = [
            ("marketplace_offering_user_created", EventType::Created),
            ("marketplace_offering_user_deleted", EventType::Deleted),
            ("marketplace_offering_user_restriction_updated", EventType::RestrictionUpdated),
            ("marketplace_offering_user_updated", EventType::Updated),
            ("marketplace_offering_user_imported", EventType::Updated),
            ("set_ok", EventType::Updated),
            ("request_deletion", EventType::Updated),
        ];
        for (action, expected) in table {
            assert_eq!(EventType::of_action(action), expected, "{action}");
        }
        for t in ALL_EVENT_TYPES {
            assert_eq!(EventType::from_name(t.name()), Some(t));
        }
        assert_eq!(EventType::from_name("resource_creation_succeeded"), None);
    }

    #[test]
    fn messages_use_upstream_words() {
        let cases = [
            (
                facts(CREATED, json!({}), json!({"state": "OK"})),
                "Account for user alice in offering HPC has been created.",
            ),
            (
                facts(DELETED, json!({"state": "OK"}), json!({})),
                "Account for user alice in offering HPC has been deleted.",
            ),
            (
                facts(RESTRICTION_UPDATED, json!({"is_restricted": false}), json!({"is_restricted": true})),
                "Restriction status for user alice in offering HPC has been set to True by owner.",
            ),
            (
                facts(USERNAME_UPDATED, json!({"username": null}), json!({"username": "al"})),
                "Offering user username changed for 000000000000000000000000000000ab: '' -> 'al'.",
            ),
            (
                facts("set_ok", json!({"state": "Creating"}), json!({"state": "OK"})),
                "Account for user alice in offering HPC has been moved from Creating to OK.",
            ),
        ];
        for (facts, message) in cases {
            assert_eq!(facts.message(), message);
        }
    }

    #[test]
    fn context_carries_the_record_and_what_changed() {
        let context =
            facts(USERNAME_UPDATED, json!({"username": "a"}), json!({"username": "b", "state": "OK"})).context();
        assert_eq!(context["offering_user_uuid"], "000000000000000000000000000000ab");
        assert_eq!(context["offering_user_username"], "b");
        assert_eq!(context["offering_user_state"], "OK");
        assert_eq!(context["offering_user_is_restricted"], "False");
        assert_eq!(context["old_username"], "a");
        assert_eq!(context["changed_fields"], json!(["username"]));
        // A deleted record's username comes from the values the delete recorded.
        let deleted = facts(DELETED, json!({"username": "gone", "state": "OK"}), json!({})).context();
        assert_eq!(deleted["offering_user_username"], "gone");
    }
}
