//! What an offering user's change becomes on the exchange: the messages upstream Waldur
//! publishes for its `offering_user` object type, which the site agent's event mode consumes
//! (`waldur_site_agent/event_processing/handlers.py`, `_process_offering_user_message`).
//!
//! Upstream (mastermind `marketplace/handlers.py` and `marketplace_site_agent/handlers.py`,
//! with `prepare_messages` of `marketplace_site_agent/utils.py` appending `offering_uuid`):
//!
//! | action | when | body, in upstream's key order |
//! |---|---|---|
//! | `create` | the record is created | `offering_user_uuid`, `user_uuid`, `username`, `state` (label), `runtime_state`, `action`, `attributes`, `offering_uuid` |
//! | `update` | a tracked field changed | `offering_user_uuid`, `user_uuid`, `username`, `state` (label), `runtime_state`, `changed_fields`, `action`, `offering_uuid` |
//! | `delete` | the record is deleted | `offering_user_uuid`, `user_uuid`, `username`, `action`, `offering_uuid` |
//! | `username_set` | a site-agent offering's record gets a non-empty username (at creation too) | `username`, `offering_user_uuid`, `user_uuid`, `state` (the stored number), `action`, `resource_backend_ids`, `offering_uuid` |
//!
//! The tracked fields, in the order `changed_fields` lists them, are the model's
//! `FieldTracker` fields: `username`, `state`, `is_restricted`, `service_provider_comment`,
//! `service_provider_comment_url`. A username change of a site-agent offering's record is
//! both an `update` and a `username_set`, as upstream sends both. Upstream sends nothing for
//! a change that changed no tracked field, nor for an import (its imports skip side effects):
//! neither do we. Uuids are 32 lowercase hex digits.
//!
//! What the caller brings beside the record's columns: `attributes` (the user profile
//! attributes the offering exposes, as upstream's `_build_filtered_user_attributes` makes them;
//! `{}` when none are given) and `runtime_state` (written only when given). Where this server
//! holds less than upstream: `resource_backend_ids` is `[]`, as no resources are kept here.

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::message::Message;

/// The object type of upstream's queues and of the routing key.
pub const OBJECT_TYPE: &str = "offering_user";

/// The offering type whose records also get `username_set` (mastermind `SITE_AGENT_OFFERING`).
pub const SITE_AGENT_OFFERING: &str = "Marketplace.Slurm";

/// The fields whose change is an `update`, in the order `changed_fields` lists them.
pub const TRACKED_FIELDS: [&str; 5] =
    ["username", "state", "is_restricted", "service_provider_comment", "service_provider_comment_url"];

// The `audit_events.action` values this module reads (written by `store::audit::Action::stored`;
// `tests/api/amqp.rs` holds the two lists together).
const CREATED: &str = "marketplace_offering_user_created";
const DELETED: &str = "marketplace_offering_user_deleted";
const IMPORTED: &str = "marketplace_offering_user_imported";

/// One audit event of an offering user (`store/audit.rs`): its id, its `action` and the old
/// and new values it recorded.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    /// `audit_events.id`: with the message's action, its `message_id`.
    pub event_id: i64,
    /// `audit_events.action`: `marketplace_offering_user_created`, `…_updated`, `…_deleted`,
    /// `…_restriction_updated`, `…_imported` or a state action's name (`set_ok`, …).
    pub action: &'a str,
    pub old_values: &'a Value,
    pub new_values: &'a Value,
}

/// The record as the change left it (for a deletion: as it was before), read in the change's
/// transaction: upstream builds its messages from the saved instance.
#[derive(Debug, Clone, Copy)]
pub struct RecordFacts<'a> {
    pub offering_user_uuid: Uuid,
    pub offering_uuid: Uuid,
    /// `offerings.type`: `username_set` is for site-agent offerings only.
    pub offering_type: &'a str,
    pub user_uuid: Uuid,
    pub username: Option<&'a str>,
    /// The state's label (`Requested`, `OK`, …), as `create` and `update` carry it.
    pub state_label: &'a str,
    /// The state's stored number (1 Requested … 10 Error deleting), as `username_set` carries it.
    pub state_number: i16,
    /// `offering_users.runtime_state` (`Active`, …); `None` leaves the key out.
    pub runtime_state: Option<&'a str>,
    /// The user's profile attributes the offering exposes (`create` only); `None` is `{}`.
    pub attributes: Option<&'a Value>,
}

/// The routing key of an offering's offering-user messages: upstream's topic
/// `subscription/<subscription>/offering/<offering uuid>/offering_user` without the
/// subscription (a consumer binds its own queue), in AMQP's dotted form.
pub fn routing_key(offering_uuid: Uuid) -> String {
    format!("offering.{}.{OBJECT_TYPE}", offering_uuid.simple())
}

/// The messages of one change, in the order to publish them: none, one, or for a username a
/// site-agent offering's record gets, two (`create` or `update`, then `username_set`).
pub fn messages_for(change: &Change<'_>, record: &RecordFacts<'_>) -> Vec<Message> {
    let mut messages = Vec::new();
    let username_given = match change.action {
        IMPORTED => return messages,
        CREATED => {
            messages.push(message(change, record, "create", create_body(record)));
            true
        }
        DELETED => {
            messages.push(message(change, record, "delete", delete_body(record)));
            false
        }
        _ => {
            let changed = changed_fields(change.old_values, change.new_values);
            if changed.is_empty() {
                return messages;
            }
            let username_changed = changed.contains(&"username");
            messages.push(message(change, record, "update", update_body(record, &changed)));
            username_changed
        }
    };
    let username = record.username.filter(|name| !name.is_empty());
    if username_given && username.is_some() && record.offering_type == SITE_AGENT_OFFERING {
        messages.push(message(change, record, "username_set", username_set_body(record)));
    }
    messages
}

/// The tracked fields whose new value differs from the old one (a field the event does not
/// hold as new did not change).
pub fn changed_fields(old_values: &Value, new_values: &Value) -> Vec<&'static str> {
    TRACKED_FIELDS
        .into_iter()
        .filter(|field| new_values.get(field).is_some_and(|new| old_values.get(field) != Some(new)))
        .collect()
}

fn message(change: &Change<'_>, record: &RecordFacts<'_>, action: &str, body: Map<String, Value>) -> Message {
    let mut payload = body;
    // `prepare_messages` adds it last, to every message of an offering.
    payload.insert("offering_uuid".into(), hex(record.offering_uuid));
    Message {
        message_id: format!("{}-{action}", change.event_id),
        routing_key: routing_key(record.offering_uuid),
        payload: Value::Object(payload),
    }
}

fn create_body(record: &RecordFacts<'_>) -> Map<String, Value> {
    let mut body = identity(record);
    body.insert("state".into(), json!(record.state_label));
    if let Some(runtime_state) = record.runtime_state {
        body.insert("runtime_state".into(), json!(runtime_state));
    }
    body.insert("action".into(), json!("create"));
    body.insert("attributes".into(), record.attributes.cloned().unwrap_or_else(|| json!({})));
    body
}

fn update_body(record: &RecordFacts<'_>, changed: &[&str]) -> Map<String, Value> {
    let mut body = identity(record);
    body.insert("state".into(), json!(record.state_label));
    if let Some(runtime_state) = record.runtime_state {
        body.insert("runtime_state".into(), json!(runtime_state));
    }
    body.insert("changed_fields".into(), json!(changed));
    body.insert("action".into(), json!("update"));
    body
}

fn delete_body(record: &RecordFacts<'_>) -> Map<String, Value> {
    let mut body = identity(record);
    body.insert("action".into(), json!("delete"));
    body
}

fn username_set_body(record: &RecordFacts<'_>) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("username".into(), json!(record.username));
    body.insert("offering_user_uuid".into(), hex(record.offering_user_uuid));
    body.insert("user_uuid".into(), hex(record.user_uuid));
    body.insert("state".into(), json!(record.state_number));
    body.insert("action".into(), json!("username_set"));
    body.insert("resource_backend_ids".into(), json!([]));
    body
}

/// `offering_user_uuid`, `user_uuid`, `username`: the head of `create`, `update` and `delete`.
fn identity(record: &RecordFacts<'_>) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("offering_user_uuid".into(), hex(record.offering_user_uuid));
    body.insert("user_uuid".into(), hex(record.user_uuid));
    body.insert("username".into(), json!(record.username));
    body
}

fn hex(uuid: Uuid) -> Value {
    Value::String(uuid.simple().to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use uuid::Uuid;

    use super::{changed_fields, messages_for, routing_key, Change, RecordFacts, SITE_AGENT_OFFERING};

    const OU: &str = "11111111111111111111111111111111";
    const OFFERING: &str = "22222222222222222222222222222222";
    const USER: &str = "33333333333333333333333333333333";

    fn record<'a>(offering_type: &'a str, username: Option<&'a str>, state: (&'a str, i16)) -> RecordFacts<'a> {
        RecordFacts {
            offering_user_uuid: Uuid::parse_str(OU).unwrap(),
            offering_uuid: Uuid::parse_str(OFFERING).unwrap(),
            offering_type,
            user_uuid: Uuid::parse_str(USER).unwrap(),
            username,
            state_label: state.0,
            state_number: state.1,
            runtime_state: None,
            attributes: None,
        }
    }

    /// The bodies (as JSON text, so that the key order is checked too) and ids of a change.
    fn published(action: &str, old: Value, new: Value, record: &RecordFacts<'_>) -> Vec<(String, String)> {
        let change = Change { event_id: 7, action, old_values: &old, new_values: &new };
        messages_for(&change, record)
            .into_iter()
            .map(|m| {
                assert_eq!(m.routing_key, format!("offering.{OFFERING}.offering_user"));
                (m.message_id, m.payload.to_string())
            })
            .collect()
    }

    fn update(changed: &str, username: &str, state: &str) -> String {
        format!(
            r#"{{"offering_user_uuid":"{OU}","user_uuid":"{USER}","username":{username},"state":"{state}","changed_fields":{changed},"action":"update","offering_uuid":"{OFFERING}"}}"#
        )
    }

    fn username_set(username: &str, state: i16) -> String {
        format!(
            r#"{{"username":"{username}","offering_user_uuid":"{OU}","user_uuid":"{USER}","state":{state},"action":"username_set","resource_backend_ids":[],"offering_uuid":"{OFFERING}"}}"#
        )
    }

    /// A row of the table: the event's action, old and new values, the record's facts, and the
    /// ids and bodies expected.
    type Case<'a> = (&'a str, Value, Value, RecordFacts<'a>, Vec<(&'a str, String)>);

    #[test]
    fn every_audited_action_becomes_upstreams_messages() {
        let basic = "Marketplace.Basic";
        let slurm = SITE_AGENT_OFFERING;
        let ok = ("OK", 5);
        let requested = ("Requested", 1);
        let table: Vec<Case<'_>> = vec![
            (
                "marketplace_offering_user_created",
                json!({}),
                json!({"username": null, "state": "Requested"}),
                record(basic, None, requested),
                vec![(
                    "7-create",
                    format!(
                        r#"{{"offering_user_uuid":"{OU}","user_uuid":"{USER}","username":null,"state":"Requested","action":"create","attributes":{{}},"offering_uuid":"{OFFERING}"}}"#
                    ),
                )],
            ),
            (
                // Created with a username on a site-agent offering: `username_set` follows.
                "marketplace_offering_user_created",
                json!({}),
                json!({"username": "alice", "state": "OK"}),
                record(slurm, Some("alice"), ok),
                vec![
                    (
                        "7-create",
                        format!(
                            r#"{{"offering_user_uuid":"{OU}","user_uuid":"{USER}","username":"alice","state":"OK","action":"create","attributes":{{}},"offering_uuid":"{OFFERING}"}}"#
                        ),
                    ),
                    ("7-username_set", username_set("alice", 5)),
                ],
            ),
            (
                // Created without one on a site-agent offering: nothing is set yet.
                "marketplace_offering_user_created",
                json!({}),
                json!({"username": null, "state": "Requested"}),
                record(slurm, None, requested),
                vec![(
                    "7-create",
                    format!(
                        r#"{{"offering_user_uuid":"{OU}","user_uuid":"{USER}","username":null,"state":"Requested","action":"create","attributes":{{}},"offering_uuid":"{OFFERING}"}}"#
                    ),
                )],
            ),
            (
                "marketplace_offering_user_deleted",
                json!({"username": "alice", "state": "OK"}),
                json!({}),
                record(slurm, Some("alice"), ok),
                vec![(
                    "7-delete",
                    format!(
                        r#"{{"offering_user_uuid":"{OU}","user_uuid":"{USER}","username":"alice","action":"delete","offering_uuid":"{OFFERING}"}}"#
                    ),
                )],
            ),
            (
                // A username that completes a creation: username and state changed.
                "marketplace_offering_user_updated",
                json!({"username": null, "state": "Creating"}),
                json!({"username": "alice", "state": "OK"}),
                record(basic, Some("alice"), ok),
                vec![("7-update", update(r#"["username","state"]"#, r#""alice""#, "OK"))],
            ),
            (
                // The same on a site-agent offering: `username_set` follows, with the number.
                "marketplace_offering_user_updated",
                json!({"username": null, "state": "Creating"}),
                json!({"username": "alice", "state": "OK"}),
                record(slurm, Some("alice"), ok),
                vec![
                    ("7-update", update(r#"["username","state"]"#, r#""alice""#, "OK")),
                    ("7-username_set", username_set("alice", 5)),
                ],
            ),
            (
                // A username cleared: an update, but nothing is set.
                "marketplace_offering_user_updated",
                json!({"username": "alice", "state": "OK"}),
                json!({"username": null, "state": "OK"}),
                record(slurm, None, ok),
                vec![("7-update", update(r#"["username"]"#, "null", "OK"))],
            ),
            (
                "marketplace_offering_user_restriction_updated",
                json!({"is_restricted": false}),
                json!({"is_restricted": true}),
                record(slurm, Some("alice"), ok),
                vec![("7-update", update(r#"["is_restricted"]"#, r#""alice""#, "OK"))],
            ),
            (
                // update_comments records the fields it set, and their list, beside the values.
                "marketplace_offering_user_updated",
                json!({"service_provider_comment": "", "service_provider_comment_url": "https://a.example"}),
                json!({"service_provider_comment": "<p>hi</p>", "service_provider_comment_url": "https://a.example",
                       "changed_fields": ["service_provider_comment"]}),
                record(basic, Some("alice"), ok),
                vec![("7-update", update(r#"["service_provider_comment"]"#, r#""alice""#, "OK"))],
            ),
            (
                // A state action: the state, and the comments it set.
                "set_pending_account_linking",
                json!({"state": "Creating", "service_provider_comment": "", "service_provider_comment_url": ""}),
                json!({"state": "Pending account linking", "service_provider_comment": "Link it"}),
                record(slurm, Some("alice"), ("Pending account linking", 3)),
                vec![(
                    "7-update",
                    update(r#"["state","service_provider_comment"]"#, r#""alice""#, "Pending account linking"),
                )],
            ),
            (
                "set_ok",
                json!({"state": "Creating", "service_provider_comment": "", "service_provider_comment_url": ""}),
                json!({"state": "OK"}),
                record(basic, None, ok),
                vec![("7-update", update(r#"["state"]"#, "null", "OK"))],
            ),
            (
                // Nothing tracked changed: upstream sends nothing.
                "set_validation_complete",
                json!({"state": "OK", "service_provider_comment": "", "service_provider_comment_url": ""}),
                json!({"state": "OK", "service_provider_comment": "", "service_provider_comment_url": ""}),
                record(basic, None, ok),
                vec![],
            ),
            (
                // Imports skip side effects upstream.
                "marketplace_offering_user_imported",
                json!({"username": "a"}),
                json!({"username": "b"}),
                record(slurm, Some("b"), ok),
                vec![],
            ),
        ];
        for (action, old, new, facts, expected) in table {
            let expected: Vec<(String, String)> =
                expected.into_iter().map(|(id, body)| (id.to_owned(), body)).collect();
            assert_eq!(published(action, old.clone(), new.clone(), &facts), expected, "{action}: {old} → {new}");
        }
    }

    #[test]
    fn bodies_parse_as_the_site_agent_reads_them() {
        let facts = record(SITE_AGENT_OFFERING, Some("alice"), ("OK", 5));
        let (old, new) = (json!({"username": null}), json!({"username": "alice"}));
        let change =
            Change { event_id: 1, action: "marketplace_offering_user_updated", old_values: &old, new_values: &new };
        for message in messages_for(&change, &facts) {
            let body: Value = serde_json::from_slice(&message.body()).unwrap();
            // `_process_offering_user_message` reads these keys with `.get`.
            assert_eq!(body["offering_user_uuid"], OU);
            assert_eq!(body["username"], "alice");
            assert_eq!(body["offering_uuid"], OFFERING);
            assert!(["update", "username_set"].contains(&body["action"].as_str().unwrap()));
        }
    }

    #[test]
    fn a_runtime_state_follows_the_state_and_exposed_attributes_go_into_create() {
        let attributes = json!({"email": "alice@example.org", "full_name": "Alice A"});
        let mut facts = record("Marketplace.Basic", None, ("Requested", 1));
        facts.runtime_state = Some("Active");
        facts.attributes = Some(&attributes);
        let (old, new) = (json!({}), json!({"username": null, "state": "Requested"}));
        let change =
            Change { event_id: 2, action: "marketplace_offering_user_created", old_values: &old, new_values: &new };
        let body = messages_for(&change, &facts)[0].payload.to_string();
        assert!(
            body.contains(r#""state":"Requested","runtime_state":"Active","action":"create","attributes":{"email":"alice@example.org","full_name":"Alice A"}"#),
            "{body}"
        );
        let (old, new) = (json!({"state": "Requested"}), json!({"state": "Creating"}));
        let change = Change { event_id: 3, action: "begin_creating", old_values: &old, new_values: &new };
        let body = messages_for(&change, &facts)[0].payload.to_string();
        assert!(body.contains(r#""state":"Requested","runtime_state":"Active","changed_fields":["state"]"#), "{body}");
        assert!(!body.contains("attributes"), "{body}");
    }

    #[test]
    fn changed_fields_are_the_tracked_fields_whose_value_moved() {
        let table = [
            (json!({}), json!({}), vec![]),
            (json!({"state": "OK"}), json!({"state": "OK"}), vec![]),
            (json!({}), json!({"state": "OK"}), vec!["state"]),
            (json!({"is_restricted": true}), json!({"is_restricted": false}), vec!["is_restricted"]),
            // Untracked keys, and keys only in the old values, are no change.
            (json!({"offering": "a", "state": "OK"}), json!({"offering": "b"}), vec![]),
            (
                json!({"service_provider_comment_url": "u", "username": "a"}),
                json!({"username": "b", "service_provider_comment_url": "v"}),
                vec!["username", "service_provider_comment_url"],
            ),
        ];
        for (old, new, expected) in table {
            assert_eq!(changed_fields(&old, &new), expected, "{old} → {new}");
        }
    }

    #[test]
    fn routing_keys_name_the_offering_in_hex() {
        let offering = Uuid::parse_str("0a1b2c3d-0000-4000-8000-00000000abcd").unwrap();
        assert_eq!(routing_key(offering), "offering.0a1b2c3d00004000800000000000abcd.offering_user");
    }
}
