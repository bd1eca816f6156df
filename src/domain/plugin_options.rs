//! Which `plugin_options` of an offering a caller who is not staff may read.
//!
//! The directory stores an offering's `plugin_options` as given, and an importer may put
//! backend credentials there (upstream keeps those in `secret_options`; we have no such
//! column). A denylist of key fragments misses `api_key`, `passwd` or a secret nested one
//! level down, so everyone but staff sees only the keys below, whose values are settings,
//! never credentials.

use serde_json::{Map, Value};

/// The `plugin_options` keys everyone who can see the offering may read: what
/// waldur-site-agent and Waldur's offering-user code read from them (the SDK's
/// `MergedPluginOptions` documents each one).
pub const PUBLIC_PLUGIN_OPTIONS: [&str; 14] = [
    // The site agent's gate before it generates usernames (docs/spec/clients.md §5.2), and our
    // create and visibility switch (docs/spec/offering-users.md §1).
    "service_provider_can_create_offering_user",
    "username_generation_policy",
    // Upstream's username generation and offering-user clean-up.
    "username_anonymized_prefix",
    "offering_user_auto_deletion",
    // POSIX accounts: upstream's GLAuth export and the identity pools (docs/spec/offering-users-2026.md).
    "homedir_prefix",
    "login_shell",
    "initial_uidnumber",
    "initial_primarygroup_number",
    "initial_usergroup_number",
    "enable_posix_account",
    "uid_source",
    "gid_source",
    "account_scope",
    // The site agent's SLURM backend: account names from the project slug.
    "account_name_generation_policy",
];

/// The keys of [`PUBLIC_PLUGIN_OPTIONS`] present in `options`, in their stored order, each
/// only when its value is a scalar or a list of scalars: a nested object could carry
/// anything. Anything but an object gives `{}`.
pub fn public_plugin_options(options: &Value) -> Value {
    let Value::Object(options) = options else { return Value::Object(Map::new()) };
    let public = options
        .iter()
        .filter(|(key, value)| PUBLIC_PLUGIN_OPTIONS.contains(&key.as_str()) && is_plain(value))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Value::Object(public)
}

fn is_plain(value: &Value) -> bool {
    match value {
        Value::Object(_) => false,
        Value::Array(items) => items.iter().all(|item| !matches!(item, Value::Object(_) | Value::Array(_))),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_listed_keys_with_plain_values_are_public() {
        let stored = json!({
            "service_provider_can_create_offering_user": true,
            "username_generation_policy": "service_provider",
            "initial_uidnumber": 5000,
            "account_scope": ["a", "b"],
            "homedir_prefix": null,
            "api_key": "k",
            "passwd": "p",
            "backend": {"password": "nested"},
            "login_shell": {"secret": "nested in an allowed key"},
            "uid_source": [{"token": "x"}],
        });
        assert_eq!(
            public_plugin_options(&stored),
            json!({
                "service_provider_can_create_offering_user": true,
                "username_generation_policy": "service_provider",
                "initial_uidnumber": 5000,
                "account_scope": ["a", "b"],
                "homedir_prefix": null,
            })
        );
        assert_eq!(public_plugin_options(&json!(null)), json!({}));
        assert_eq!(public_plugin_options(&json!([1])), json!({}));
    }
}
