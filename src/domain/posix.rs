//! POSIX identifiers of offering users (docs/spec/offering-users-2026.md §7): the two
//! namespaces, the exact texts of the pool refusals and advisories, the offering's switches in
//! `plugin_options`, and the pool scopes' wire names.
//!
//! The values live in an offering user's `backend_metadata` (`uidnumber`, `primarygroup`,
//! `loginShell`, `homeDir`); the ledger of a pool records which user or group holds a value.

use serde_json::Value;

use crate::domain::state::State;

/// The largest UID or GID (`2^32 - 1`).
pub const MAX_ID: i64 = 4_294_967_295;
/// Above this, software that stores ids in signed 32 bits breaks (§7.2 advisories).
pub const MAX_SIGNED_ID: i64 = 2_147_483_647;
/// The `homedir_prefix` of an offering that sets none (§7.1).
pub const DEFAULT_HOMEDIR_PREFIX: &str = "/home/";

/// The `backend_metadata` keys of the POSIX projection (§7.1).
pub const LOGIN_SHELL_KEY: &str = "loginShell";
pub const HOME_DIRECTORY_KEY: &str = "homeDir";

/// The states of a live account: one whose user is a member of his provider's project groups
/// ([DOC-PP] "Reading the groups": Requested, Creating, Pending*, OK, Error creating).
pub const LIVE_STATES: [State; 6] = [
    State::Requested,
    State::Creating,
    State::PendingAccountLinking,
    State::PendingAdditionalValidation,
    State::Ok,
    State::ErrorCreating,
];

/// A UID or GID stored in `backend_metadata` under `key`: an integer of 0…2^32-1, else none
/// (a value the API never wrote is not shown as one).
pub fn metadata_id(metadata: &Value, key: &str) -> Option<i64> {
    metadata.get(key).and_then(Value::as_i64).filter(|v| (0..=MAX_ID).contains(v))
}

/// The identifier a pin sets: the user's UID or his primary GID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    Uid,
    Gid,
}

impl Namespace {
    /// Both, in the order a request is processed (uid, then gid: §7.2 step 2).
    pub const ALL: [Namespace; 2] = [Namespace::Uid, Namespace::Gid];

    /// The body key, the response key and the `backend_metadata` key: `uidnumber` / `primarygroup`.
    pub fn field(self) -> &'static str {
        match self {
            Namespace::Uid => "uidnumber",
            Namespace::Gid => "primarygroup",
        }
    }

    /// The wire value of `namespace` in the allocation and identity lists: `uid` / `gid`.
    pub fn wire(self) -> &'static str {
        match self {
            Namespace::Uid => "uid",
            Namespace::Gid => "gid",
        }
    }

    /// How the refusals name the namespace: `UID` / `GID`.
    fn upper(self) -> &'static str {
        match self {
            Namespace::Uid => "UID",
            Namespace::Gid => "GID",
        }
    }

    /// How the advisories name the value: `UID` / `primary GID`.
    fn label(self) -> &'static str {
        match self {
            Namespace::Uid => "UID",
            Namespace::Gid => "primary GID",
        }
    }

    /// The `plugin_options` key that says where the namespace's values come from.
    fn source_option(self) -> &'static str {
        match self {
            Namespace::Uid => "uid_source",
            Namespace::Gid => "gid_source",
        }
    }
}

/// Why a pin is refused (§7.2 step 2); [`PinRefusal::message`] is upstream's exact text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinRefusal {
    /// No pool resolves for the offering.
    NoPool,
    /// The offering does not take the namespace's values from a pool (Q6, our guard).
    NotPoolSourced(Namespace),
    /// The resolved pool has no range of the namespace.
    NotManaged(Namespace),
    /// The value lies outside the pool's range `[min, max]`.
    OutsideRange { namespace: Namespace, value: i64, min: i64, max: i64 },
    /// Another active identity of the pool (another user, or a group) holds the value.
    AlreadyAllocated { value: i64 },
}

impl PinRefusal {
    /// The text under the field's key (a string, not a list: upstream raises
    /// `ValidationError({field: message})`).
    pub fn message(&self) -> String {
        match self {
            PinRefusal::NoPool => "No POSIX ID pool is configured for this offering.".to_owned(),
            PinRefusal::NotPoolSourced(ns) => {
                format!("The offering does not take {} values from a POSIX ID pool.", ns.upper())
            }
            PinRefusal::NotManaged(ns) => {
                format!("The offering's POSIX ID pool does not manage {} values.", ns.upper())
            }
            PinRefusal::OutsideRange { namespace, value, min, max } => {
                format!("{value} is outside the pool's {} range [{min}-{max}].", namespace.upper())
            }
            PinRefusal::AlreadyAllocated { value } => format!("{value} is already allocated to another account."),
        }
    }
}

/// The non-fatal advisories of an accepted value (§7.2), in upstream's words.
pub fn advisories(namespace: Namespace, value: i64) -> Vec<String> {
    let label = namespace.label();
    let mut warnings = Vec::new();
    if value == 65534 || value == 65535 {
        warnings.push(format!(
            "{label} {value} is a reserved POSIX id (the 'nobody' / -1 overflow value) and should normally be avoided."
        ));
    }
    if value > MAX_SIGNED_ID {
        warnings
            .push(format!("{label} {value} is above 2^31 and may not work with software that uses signed 32-bit ids."));
    }
    warnings
}

/// What a pool's range says of a value: `Ok` inside it, else the refusal.
pub fn check_range(namespace: Namespace, value: i64, range: Option<(i64, i64)>) -> Result<(), PinRefusal> {
    match range {
        None => Err(PinRefusal::NotManaged(namespace)),
        Some((min, max)) if value < min || value > max => Err(PinRefusal::OutsideRange { namespace, value, min, max }),
        Some(_) => Ok(()),
    }
}

/// Whether an offering takes the namespace's values from its POSIX ID pool: its
/// `enable_posix_account` is not `false` and its `<uid|gid>_source` is not `user_attribute`
/// (the SDK's defaults: `true` and `pool`).
pub fn pool_sourced(plugin_options: &Value, namespace: Namespace) -> bool {
    let enabled = !matches!(plugin_options.get("enable_posix_account"), Some(Value::Bool(false)));
    let source = plugin_options.get(namespace.source_option()).and_then(Value::as_str);
    enabled && source != Some("user_attribute")
}

/// The offering's `homedir_prefix`, `/home/` when it sets none.
pub fn homedir_prefix(plugin_options: &Value) -> &str {
    plugin_options.get("homedir_prefix").and_then(Value::as_str).unwrap_or(DEFAULT_HOMEDIR_PREFIX)
}

/// The scope of a pool on the wire (Q14): `service_provider` for a customer's pool,
/// `offering` for an offering's override pool.
pub fn pool_scope(offering_scoped: bool) -> &'static str {
    if offering_scoped {
        "offering"
    } else {
        "service_provider"
    }
}

/// The type each POSIX key of `plugin_options` must have when present (the directory checks
/// them, §9): `None` when the value fits, else what it must be.
pub fn plugin_option_rule(key: &str, value: &Value) -> Option<&'static str> {
    match key {
        "enable_posix_account" => (!value.is_boolean()).then_some("must be true or false"),
        "uid_source" | "gid_source" => (!matches!(value.as_str(), Some("pool" | "user_attribute")))
            .then_some("must be \"pool\" or \"user_attribute\""),
        "homedir_prefix" | "login_shell" => (!value.is_string()).then_some("must be a string"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refusals_have_upstreams_texts() {
        let table = [
            (PinRefusal::NoPool, "No POSIX ID pool is configured for this offering."),
            (PinRefusal::NotManaged(Namespace::Uid), "The offering's POSIX ID pool does not manage UID values."),
            (PinRefusal::NotManaged(Namespace::Gid), "The offering's POSIX ID pool does not manage GID values."),
            (
                PinRefusal::OutsideRange { namespace: Namespace::Uid, value: 150, min: 1000, max: 7999 },
                "150 is outside the pool's UID range [1000-7999].",
            ),
            (PinRefusal::AlreadyAllocated { value: 100050 }, "100050 is already allocated to another account."),
            (PinRefusal::NotPoolSourced(Namespace::Gid), "The offering does not take GID values from a POSIX ID pool."),
        ];
        for (refusal, text) in table {
            assert_eq!(refusal.message(), text);
        }
    }

    #[test]
    fn advisories_name_reserved_and_large_values() {
        assert_eq!(advisories(Namespace::Uid, 1000), Vec::<String>::new());
        assert_eq!(
            advisories(Namespace::Gid, 65534),
            vec!["primary GID 65534 is a reserved POSIX id (the 'nobody' / -1 overflow value) and should normally be avoided."]
        );
        assert_eq!(advisories(Namespace::Uid, 65535).len(), 1);
        assert_eq!(advisories(Namespace::Uid, MAX_SIGNED_ID), Vec::<String>::new());
        assert_eq!(
            advisories(Namespace::Uid, MAX_SIGNED_ID + 1),
            vec!["UID 2147483648 is above 2^31 and may not work with software that uses signed 32-bit ids."]
        );
    }

    #[test]
    fn ranges_include_their_bounds() {
        assert_eq!(check_range(Namespace::Uid, 1000, Some((1000, 7999))), Ok(()));
        assert_eq!(check_range(Namespace::Uid, 7999, Some((1000, 7999))), Ok(()));
        assert!(matches!(check_range(Namespace::Uid, 8000, Some((1000, 7999))), Err(PinRefusal::OutsideRange { .. })));
        assert_eq!(check_range(Namespace::Gid, 5, None), Err(PinRefusal::NotManaged(Namespace::Gid)));
    }

    #[test]
    fn switches_default_to_the_pool() {
        let table = [
            (json!({}), Namespace::Uid, true),
            (json!({"enable_posix_account": true, "uid_source": "pool"}), Namespace::Uid, true),
            (json!({"enable_posix_account": false}), Namespace::Gid, false),
            (json!({"uid_source": "user_attribute"}), Namespace::Uid, false),
            (json!({"uid_source": "user_attribute"}), Namespace::Gid, true),
            (json!({"gid_source": "user_attribute"}), Namespace::Gid, false),
            (json!(null), Namespace::Uid, true),
        ];
        for (options, namespace, expected) in table {
            assert_eq!(pool_sourced(&options, namespace), expected, "{options} {namespace:?}");
        }
        assert_eq!(homedir_prefix(&json!({})), "/home/");
        assert_eq!(homedir_prefix(&json!({"homedir_prefix": "/data/"})), "/data/");
    }

    #[test]
    fn plugin_option_types_are_checked() {
        assert_eq!(plugin_option_rule("enable_posix_account", &json!("yes")), Some("must be true or false"));
        assert_eq!(plugin_option_rule("uid_source", &json!("ldap")), Some("must be \"pool\" or \"user_attribute\""));
        assert_eq!(plugin_option_rule("gid_source", &json!("user_attribute")), None);
        assert_eq!(plugin_option_rule("homedir_prefix", &json!(1)), Some("must be a string"));
        assert_eq!(plugin_option_rule("anything_else", &json!(1)), None);
    }
}
