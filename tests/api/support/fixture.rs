//! The directory most tests start from, modelled on upstream's CustomerFixture and
//! ProjectFixture (docs/spec/offering-users.md §9): a provider organisation with an owner, a service
//! manager and a customer-support member; a project of that organisation with an admin, a
//! manager and a member; staff, global support, an offering manager and users with no role.
//! Every user's token is `<username>-token`.

use serde_json::{json, Value};

/// Fixed uuids, readable in failures.
pub(crate) mod ids {
    pub(crate) const STAFF: &str = "00000000000000000000000000000a01";
    pub(crate) const SUPPORT: &str = "00000000000000000000000000000a02";
    pub(crate) const OWNER: &str = "00000000000000000000000000000a03";
    pub(crate) const SERVICE_MANAGER: &str = "00000000000000000000000000000a04";
    pub(crate) const CUSTOMER_SUPPORT: &str = "00000000000000000000000000000a05";
    pub(crate) const ADMIN: &str = "00000000000000000000000000000a06";
    pub(crate) const MANAGER: &str = "00000000000000000000000000000a07";
    pub(crate) const MEMBER: &str = "00000000000000000000000000000a08";
    pub(crate) const OFFERING_MANAGER: &str = "00000000000000000000000000000a09";
    pub(crate) const USER: &str = "00000000000000000000000000000a0a";
    pub(crate) const OUTSIDER: &str = "00000000000000000000000000000a0b";
    pub(crate) const OTHER_OWNER: &str = "00000000000000000000000000000a0c";

    pub(crate) const PROVIDER: &str = "00000000000000000000000000000c01";
    pub(crate) const OTHER_PROVIDER: &str = "00000000000000000000000000000c02";
    pub(crate) const PROJECT: &str = "00000000000000000000000000000d01";

    /// The provider's offering, switch on.
    pub(crate) const OFFERING: &str = "00000000000000000000000000000e01";
    /// Another provider's offering, switch on.
    pub(crate) const FOREIGN_OFFERING: &str = "00000000000000000000000000000e02";
    /// The provider's offering with the switch off.
    pub(crate) const CLOSED_OFFERING: &str = "00000000000000000000000000000e03";
}

/// Token of a fixture user.
pub(crate) fn token(username: &str) -> String {
    format!("{username}-token")
}

fn user(uuid: &str, username: &str, extra: Value) -> Value {
    let mut u = json!({
        "uuid": uuid, "username": username, "first_name": capitalize(username), "last_name": "Tester",
        "email": format!("{username}@example.org"), "token": token(username)
    });
    if let (Some(target), Value::Object(extra)) = (u.as_object_mut(), extra) {
        target.extend(extra);
    }
    u
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

fn role(user: &str, role: &str, kind: &str, scope: &str) -> Value {
    json!({"user": user, "role": role, "scope": {kind: scope}})
}

/// The base directory, with no offering users.
pub(crate) fn world() -> Value {
    use ids::*;
    let enabled = json!({"service_provider_can_create_offering_user": true,
                         "username_generation_policy": "service_provider"});
    json!({
        "users": [
            user(STAFF, "staff", json!({"is_staff": true})),
            user(SUPPORT, "support", json!({"is_support": true})),
            user(OWNER, "owner", json!({})),
            user(SERVICE_MANAGER, "service_manager", json!({})),
            user(CUSTOMER_SUPPORT, "customer_support", json!({})),
            user(ADMIN, "admin", json!({})),
            user(MANAGER, "manager", json!({})),
            user(MEMBER, "member", json!({})),
            user(OFFERING_MANAGER, "offering_manager", json!({})),
            user(USER, "user", json!({})),
            user(OUTSIDER, "outsider", json!({})),
            user(OTHER_OWNER, "other_owner", json!({})),
        ],
        "customers": [
            {"uuid": PROVIDER, "name": "Provider A", "abbreviation": "PA"},
            {"uuid": OTHER_PROVIDER, "name": "Provider B", "abbreviation": "PB"}
        ],
        "projects": [{"uuid": PROJECT, "name": "Climate", "customer": PROVIDER}],
        "offerings": [
            {"uuid": OFFERING, "name": "Cluster A", "slug": "cluster-a", "type": "Marketplace.Slurm",
             "customer": PROVIDER, "plugin_options": enabled},
            {"uuid": FOREIGN_OFFERING, "name": "Cluster B", "slug": "cluster-b", "type": "Marketplace.Slurm",
             "customer": OTHER_PROVIDER, "plugin_options": enabled},
            {"uuid": CLOSED_OFFERING, "name": "Storage", "slug": "storage", "type": "Marketplace.Basic",
             "customer": PROVIDER, "plugin_options": {"service_provider_can_create_offering_user": false}}
        ],
        "roles": [
            role(OWNER, "CUSTOMER.OWNER", "customer", PROVIDER),
            role(SERVICE_MANAGER, "CUSTOMER.MANAGER", "customer", PROVIDER),
            role(CUSTOMER_SUPPORT, "CUSTOMER.SUPPORT", "customer", PROVIDER),
            role(ADMIN, "PROJECT.ADMIN", "project", PROJECT),
            role(MANAGER, "PROJECT.MANAGER", "project", PROJECT),
            role(MEMBER, "PROJECT.MEMBER", "project", PROJECT),
            role(OFFERING_MANAGER, "OFFERING.MANAGER", "offering", OFFERING),
            role(OTHER_OWNER, "CUSTOMER.OWNER", "customer", OTHER_PROVIDER),
        ]
    })
}

/// An offering-user entry of the directory document.
pub(crate) fn offering_user(uuid: &str, user: &str, offering: &str, username: Option<&str>, state: &str) -> Value {
    json!({"uuid": uuid, "user": user, "offering": offering, "username": username, "state": state})
}

/// `world()` plus these offering users.
pub(crate) fn world_with(offering_users: Vec<Value>) -> Value {
    let mut doc = world();
    doc["offering_users"] = Value::Array(offering_users);
    doc
}

/// Active terms of service on an offering, and consents of the given users to them.
pub(crate) fn terms_and_consents(offering: &str, version: &str, consenting: &[&str]) -> Value {
    let consents: Vec<Value> = consenting
        .iter()
        .enumerate()
        .map(|(i, user)| {
            json!({"uuid": format!("00000000000000000000000000{:02x}{}", i, &user[28..]),
                   "user": user, "offering": offering, "version": version})
        })
        .collect();
    json!({
        "terms_of_service": [{"uuid": format!("000000000000000000000000000f{}", &offering[28..]),
                              "offering": offering, "version": version, "is_active": true,
                              "requires_reconsent": true}],
        "consents": consents
    })
}
