//! The checks of the 2026 contract's directory keys that need no database
//! (docs/spec/offering-users-2026.md §9): users' profile attributes, offerings' exposure
//! configs, service-provider accounts, and offering users' runtime state. Like the rest of
//! `validate`, the first bad value stops the import, named by its JSON path.

use std::collections::HashSet;

use super::document::Document;
use super::error::{invalid, ImportError};
use crate::domain::user_attributes::explicit_attributes;

/// The longest profile string (upstream's `CharField`s are 255 at most, the free-text
/// address included here as a bound of ours).
const MAX_PROFILE_CHARS: usize = 255;
/// The most items a profile list may hold.
const MAX_PROFILE_ITEMS: usize = 100;
/// The largest POSIX id (an unsigned 32-bit value).
const MAX_POSIX_ID: i64 = 4_294_967_295;
/// The values of `users[].gender` (SDK `GenderEnum`, with blank and null).
const GENDERS: [&str; 4] = ["male", "female", "unknown", ""];
/// The runtime state's labels (docs/spec/offering-users-2026.md §3.1).
pub(super) const RUNTIME_STATES: [&str; 3] = ["Active", "Pending account linking", "Pending additional validation"];
/// `service_provider_accounts[].username`: `varchar(100)`.
const MAX_ACCOUNT_USERNAME_CHARS: usize = 100;

/// `users[]`: the profile attributes' types and bounds.
pub(super) fn user_profiles(doc: &Document) -> Result<(), ImportError> {
    for (i, u) in doc.users.iter().enumerate() {
        let path = format!("users[{i}]");
        let strings = [
            ("phone_number", &u.phone_number),
            ("organization", &u.organization),
            ("job_title", &u.job_title),
            ("personal_title", &u.personal_title),
            ("place_of_birth", &u.place_of_birth),
            ("address", &u.address),
            ("country_of_residence", &u.country_of_residence),
            ("nationality", &u.nationality),
            ("organization_country", &u.organization_country),
            ("organization_type", &u.organization_type),
            ("organization_registry_code", &u.organization_registry_code),
            ("organization_vat_code", &u.organization_vat_code),
            ("organization_address", &u.organization_address),
            ("identity_source", &u.identity_source),
            ("registration_method", &u.registration_method),
        ];
        for (field, value) in strings {
            at_most(&path, field, value)?;
        }
        if let Some(civil_number) = &u.civil_number {
            at_most(&path, "civil_number", civil_number)?;
        }
        let lists = [
            ("affiliations", &u.affiliations),
            ("nationalities", &u.nationalities),
            ("eduperson_assurance", &u.eduperson_assurance),
            ("active_isds", &u.active_isds),
        ];
        for (field, items) in lists {
            if items.len() > MAX_PROFILE_ITEMS {
                return Err(invalid(format!("{path}.{field}"), format!("must have at most {MAX_PROFILE_ITEMS} items")));
            }
            for (j, item) in items.iter().enumerate() {
                at_most(&path, &format!("{field}[{j}]"), item)?;
            }
        }
        if let Some(gender) = u.gender.as_deref().filter(|g| !GENDERS.contains(g)) {
            return Err(invalid(
                format!("{path}.gender"),
                format!("unknown gender {gender:?} (male, female, unknown, \"\" or null)"),
            ));
        }
        for (field, id) in [("uid_number", u.uid_number), ("primary_gid", u.primary_gid)] {
            if id.is_some_and(|id| !(0..=MAX_POSIX_ID).contains(&id)) {
                return Err(invalid(format!("{path}.{field}"), format!("must be between 0 and {MAX_POSIX_ID}")));
            }
        }
    }
    Ok(())
}

/// `offerings[].exposed_user_attributes`: the 27 names, none twice (`first_name` and
/// `last_name` are the setting's spellings only, open question Q19).
pub(super) fn exposures(doc: &Document) -> Result<(), ImportError> {
    for (i, o) in doc.offerings.iter().enumerate() {
        if let Some(names) = &o.exposed_user_attributes {
            explicit_attributes(names)
                .map_err(|(j, message)| invalid(format!("offerings[{i}].exposed_user_attributes[{j}]"), message))?;
        }
    }
    Ok(())
}

/// `service_provider_accounts[]`: uuids once, (user, customer) once, usernames bounded.
pub(super) fn service_provider_accounts(doc: &Document) -> Result<(), ImportError> {
    let mut uuids = HashSet::new();
    let mut pairs = HashSet::new();
    for (i, a) in doc.service_provider_accounts.iter().enumerate() {
        let path = format!("service_provider_accounts[{i}]");
        if !uuids.insert(a.uuid) {
            return Err(invalid(format!("{path}.uuid"), format!("uuid {} appears twice", a.uuid.simple())));
        }
        if let Some(name) = &a.username {
            if name.chars().count() > MAX_ACCOUNT_USERNAME_CHARS {
                return Err(invalid(
                    format!("{path}.username"),
                    format!("must have at most {MAX_ACCOUNT_USERNAME_CHARS} characters"),
                ));
            }
        }
        if !pairs.insert((a.user, a.customer)) {
            return Err(invalid(
                path,
                "the user has one account per customer: the fields user, customer must make a unique set",
            ));
        }
    }
    Ok(())
}

/// `offering_users[].runtime_state`: one of the three labels, exactly.
pub(super) fn runtime_states(doc: &Document) -> Result<(), ImportError> {
    for (i, ou) in doc.offering_users.iter().enumerate() {
        if !RUNTIME_STATES.contains(&ou.runtime_state.as_str()) {
            return Err(invalid(
                format!("offering_users[{i}].runtime_state"),
                format!("unknown runtime state {:?} ({})", ou.runtime_state, RUNTIME_STATES.join(", ")),
            ));
        }
    }
    Ok(())
}

fn at_most(path: &str, field: &str, value: &str) -> Result<(), ImportError> {
    if value.chars().count() > MAX_PROFILE_CHARS {
        return Err(invalid(format!("{path}.{field}"), format!("must have at most {MAX_PROFILE_CHARS} characters")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::directory::document::parse;

    const A: &str = "00000000000000000000000000000001";
    const B: &str = "00000000000000000000000000000002";
    const C: &str = "00000000000000000000000000000003";

    /// What parsing and these checks say of a document: `None` when it passes.
    fn verdict(doc: &Value) -> Option<(String, String)> {
        let parsed = match parse(&doc.to_string()) {
            Ok(parsed) => parsed,
            Err(ImportError::Invalid { path, message }) => return Some((path, message)),
            Err(other) => panic!("{other}"),
        };
        let checks = [user_profiles, exposures, service_provider_accounts, runtime_states];
        match checks.iter().try_for_each(|check| check(&parsed)) {
            Ok(()) => None,
            Err(ImportError::Invalid { path, message }) => Some((path, message)),
            Err(other) => panic!("{other}"),
        }
    }

    fn user(extra: Value) -> Value {
        let mut u = json!({"uuid": A, "username": "a"});
        u.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({"users": [u]})
    }

    fn offering(attributes: Value) -> Value {
        json!({"offerings": [{"uuid": A, "name": "N", "customer": C, "exposed_user_attributes": attributes}]})
    }

    fn account(uuid: &str, user: &str, extra: Value) -> Value {
        let mut a = json!({"uuid": uuid, "user": user, "customer": C});
        a.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        a
    }

    #[test]
    fn each_rule_names_the_path_of_the_first_bad_value() {
        let long = "x".repeat(256);
        let table: Vec<(Value, &str, &str)> = vec![
            (user(json!({"phone_number": long})), "users[0].phone_number", "must have at most 255 characters"),
            (user(json!({"civil_number": long})), "users[0].civil_number", "must have at most 255 characters"),
            (
                user(json!({"affiliations": ["ok", long]})),
                "users[0].affiliations[1]",
                "must have at most 255 characters",
            ),
            (user(json!({"nationalities": vec!["EE"; 101]})), "users[0].nationalities", "must have at most 100 items"),
            (
                user(json!({"gender": "other"})),
                "users[0].gender",
                "unknown gender \"other\" (male, female, unknown, \"\" or null)",
            ),
            (user(json!({"uid_number": -1})), "users[0].uid_number", "must be between 0 and 4294967295"),
            (user(json!({"primary_gid": 4294967296u64})), "users[0].primary_gid", "must be between 0 and 4294967295"),
            (
                user(json!({"affiliations": [1]})),
                "users[0].affiliations[0]",
                "invalid type: integer `1`, expected a string",
            ),
            (user(json!({"birth_date": "02.01.1990"})), "users[0].birth_date", "input contains invalid characters"),
            (user(json!({"uid_number": "7"})), "users[0].uid_number", "invalid type: string \"7\", expected i64"),
            (
                offering(json!(["email", "last_name"])),
                "offerings[0].exposed_user_attributes[1]",
                "unknown user attribute \"last_name\"",
            ),
            (offering(json!(["email", "email"])), "offerings[0].exposed_user_attributes[1]", "\"email\" appears twice"),
            (
                json!({"service_provider_accounts": [account(A, B, json!({})), account(A, C, json!({}))]}),
                "service_provider_accounts[1].uuid",
                "uuid 00000000000000000000000000000001 appears twice",
            ),
            (
                json!({"service_provider_accounts": [account(A, B, json!({})), account(C, B, json!({}))]}),
                "service_provider_accounts[1]",
                "the user has one account per customer: the fields user, customer must make a unique set",
            ),
            (
                json!({"service_provider_accounts": [account(A, B, json!({"username": "x".repeat(101)}))]}),
                "service_provider_accounts[0].username",
                "must have at most 100 characters",
            ),
            (
                json!({"service_provider_accounts": [{"uuid": A, "user": B}]}),
                "service_provider_accounts[0]",
                "missing field `customer`",
            ),
            (
                json!({"offering_users": [{"uuid": A, "user": B, "offering": C, "runtime_state": "active"}]}),
                "offering_users[0].runtime_state",
                "unknown runtime state \"active\" (Active, Pending account linking, Pending additional validation)",
            ),
        ];
        for (doc, path, message) in &table {
            let (got_path, got_message) = verdict(doc).unwrap_or_else(|| panic!("passed: {doc}"));
            assert_eq!(got_path, *path, "{doc}");
            assert!(got_message.starts_with(message), "{doc}: {got_message}");
        }
    }

    #[test]
    fn values_at_the_limits_pass() {
        let table = [
            user(json!({"phone_number": "x".repeat(255), "gender": "", "uid_number": 0, "primary_gid": 4294967295u64,
                        "birth_date": "1990-02-28", "affiliations": vec!["member@example.org"; 100],
                        "civil_number": null, "registration_method": "eduGAIN"})),
            user(json!({"gender": null})),
            user(json!({"gender": "unknown"})),
            offering(json!([])),
            offering(json!(null)),
            offering(json!(["primary_gid", "full_name", "registration_method"])),
            json!({"service_provider_accounts": [account(A, B, json!({"username": null})),
                                                 account(B, C, json!({"username": "x".repeat(100)}))]}),
            json!({"offering_users": [{"uuid": A, "user": B, "offering": C, "runtime_state": "Pending account linking"},
                                      {"uuid": B, "user": B, "offering": A}]}),
        ];
        for doc in &table {
            assert_eq!(verdict(doc), None, "{doc}");
        }
    }
}
