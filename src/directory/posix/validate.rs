//! The checks of the POSIX keys that need no database (docs/spec/offering-users-2026.md §9):
//! the types of the POSIX `plugin_options`, the offering users' values, the pools' ranges and
//! scopes, the groups' kinds and names. The first bad value stops the import, named by its
//! JSON path. What needs stored rows (a provider's overlapping ranges, the ledger) is checked
//! by the import.

use std::collections::HashSet;

use super::{PoolScopeEntry, PosixGroupEntry, PosixPoolEntry, PosixValue};
use crate::directory::document::Document;
use crate::directory::error::{invalid, ImportError};
use crate::domain::posix::{plugin_option_rule, MAX_ID};

/// Most characters of a login shell or home directory.
const MAX_PATH_CHARS: usize = 255;
/// The two kinds of project group.
const PROJECT_GROUP: &str = "project_group";
const PROVIDER_PROJECT_GROUP: &str = "provider_project_group";

/// Checks the POSIX parts of the document.
pub(in crate::directory) fn validate_posix(doc: &Document) -> Result<(), ImportError> {
    plugin_options(doc)?;
    offering_users(doc)?;
    pools(doc)?;
    groups(doc)
}

fn plugin_options(doc: &Document) -> Result<(), ImportError> {
    for (i, o) in doc.offerings.iter().enumerate() {
        let Some(options) = o.plugin_options.as_ref().and_then(|v| v.as_object()) else { continue };
        for (key, value) in options {
            if let Some(rule) = plugin_option_rule(key, value) {
                return Err(invalid(format!("offerings[{i}].plugin_options.{key}"), rule));
            }
        }
    }
    Ok(())
}

fn offering_users(doc: &Document) -> Result<(), ImportError> {
    for (i, ou) in doc.offering_users.iter().enumerate() {
        let path = format!("offering_users[{i}]");
        for (key, value) in [("uidnumber", &ou.uidnumber), ("primarygroup", &ou.primarygroup)] {
            id_in_bounds(&format!("{path}.{key}"), value.value().copied())?;
        }
        for (key, value) in [("login_shell", &ou.login_shell), ("home_directory", &ou.home_directory)] {
            if let PosixValue::Set(text) = value {
                if text.chars().count() > MAX_PATH_CHARS {
                    return Err(invalid(
                        format!("{path}.{key}"),
                        format!("must have at most {MAX_PATH_CHARS} characters"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A UID or GID: 0…4294967295.
fn id_in_bounds(path: &str, value: Option<i64>) -> Result<(), ImportError> {
    match value {
        Some(v) if !(0..=MAX_ID).contains(&v) => Err(invalid(path, format!("must be between 0 and {MAX_ID}"))),
        _ => Ok(()),
    }
}

/// One range of a pool: (name, min, max, next).
type Range = (&'static str, Option<i64>, Option<i64>, Option<i64>);

/// The pool's three ranges.
pub(super) fn ranges(p: &PosixPoolEntry) -> [Range; 3] {
    [
        ("uid", p.min_uid, p.max_uid, p.next_uid),
        ("gid", p.min_gid, p.max_gid, p.next_gid),
        ("group_gid", p.min_group_gid, p.max_group_gid, p.next_group_gid),
    ]
}

fn pools(doc: &Document) -> Result<(), ImportError> {
    let mut uuids = HashSet::new();
    let mut scopes = HashSet::new();
    for (i, p) in doc.posix_id_pools.iter().enumerate() {
        let path = format!("posix_id_pools[{i}]");
        if !uuids.insert(p.uuid) {
            return Err(invalid(format!("{path}.uuid"), format!("uuid {} appears twice", p.uuid.simple())));
        }
        let scope = pool_scope(&path, &p.scope)?;
        if !scopes.insert(scope) {
            return Err(invalid(format!("{path}.scope"), "another pool of the document has the same scope"));
        }
        for (name, min, max, next) in ranges(p) {
            match (min, max) {
                (None, None) if next.is_some() => {
                    return Err(invalid(format!("{path}.next_{name}"), format!("needs min_{name} and max_{name}")));
                }
                (None, None) => {}
                (Some(_), None) | (None, Some(_)) => {
                    return Err(invalid(
                        format!("{path}.{}_{name}", if min.is_none() { "min" } else { "max" }),
                        format!("min_{name} and max_{name} are given together or not at all"),
                    ));
                }
                (Some(min), Some(max)) => {
                    id_in_bounds(&format!("{path}.min_{name}"), Some(min))?;
                    id_in_bounds(&format!("{path}.max_{name}"), Some(max))?;
                    if max < min {
                        return Err(invalid(format!("{path}.max_{name}"), format!("must not be below min_{name}")));
                    }
                    if next.is_some_and(|n| n < min || n > max + 1) {
                        return Err(invalid(
                            format!("{path}.next_{name}"),
                            format!("must lie between min_{name} and max_{name} + 1"),
                        ));
                    }
                }
            }
        }
        if p.min_uid.is_none() && p.min_gid.is_none() {
            return Err(invalid(path, "a pool manages UIDs or GIDs: give min_uid/max_uid or min_gid/max_gid"));
        }
        if let (Some(min), Some(max)) = (p.min_group_gid, p.max_group_gid) {
            if p.scope.customer.is_none() {
                return Err(invalid(
                    format!("{path}.min_group_gid"),
                    "only a customer's pool has a project-group range",
                ));
            }
            if let (Some(gmin), Some(gmax)) = (p.min_gid, p.max_gid) {
                if min <= gmax && gmin <= max {
                    return Err(invalid(
                        format!("{path}.min_group_gid"),
                        "the project-group range overlaps the GID range",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The scope of a pool: exactly one of customer and offering.
fn pool_scope(path: &str, scope: &PoolScopeEntry) -> Result<(bool, uuid::Uuid), ImportError> {
    match (scope.customer, scope.offering) {
        (Some(customer), None) => Ok((true, customer)),
        (None, Some(offering)) => Ok((false, offering)),
        _ => Err(invalid(format!("{path}.scope"), "needs exactly one of customer, offering")),
    }
}

/// Whether a provider project group's name is one (`^[a-z_][a-z0-9_-]{0,31}$`, [DOC-PP]).
fn valid_group_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    first_ok
        && name.chars().count() <= 32
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn groups(doc: &Document) -> Result<(), ImportError> {
    let mut uuids = HashSet::new();
    let mut names = HashSet::new();
    for (i, g) in doc.posix_groups.iter().enumerate() {
        let path = format!("posix_groups[{i}]");
        if !uuids.insert(g.uuid) {
            return Err(invalid(format!("{path}.uuid"), format!("uuid {} appears twice", g.uuid.simple())));
        }
        match g.kind.as_str() {
            PROJECT_GROUP => project_group(&path, g)?,
            PROVIDER_PROJECT_GROUP => {
                provider_project_group(&path, g)?;
                let (Some(customer), Some(name)) = (g.customer, &g.name) else { continue };
                if !names.insert((customer, name.to_lowercase())) {
                    return Err(invalid(format!("{path}.name"), "another group of the customer has this name"));
                }
            }
            other => {
                return Err(invalid(
                    format!("{path}.kind"),
                    format!("unknown kind {other:?} (project_group or provider_project_group)"),
                ));
            }
        }
        id_in_bounds(&format!("{path}.gid"), g.gid)?;
    }
    Ok(())
}

fn project_group(path: &str, g: &PosixGroupEntry) -> Result<(), ImportError> {
    if g.offering.is_none() {
        return Err(invalid(format!("{path}.offering"), "a project_group needs an offering"));
    }
    if g.projects.as_ref().is_none_or(|p| p.is_empty()) {
        return Err(invalid(format!("{path}.projects"), "a project_group needs at least one project"));
    }
    for (key, given) in
        [("customer", g.customer.is_some()), ("project", g.project.is_some()), ("name", g.name.is_some())]
    {
        if given {
            return Err(invalid(format!("{path}.{key}"), format!("a project_group has no {key}")));
        }
    }
    Ok(())
}

fn provider_project_group(path: &str, g: &PosixGroupEntry) -> Result<(), ImportError> {
    if g.customer.is_none() {
        return Err(invalid(format!("{path}.customer"), "a provider_project_group needs a customer"));
    }
    match &g.name {
        None => return Err(invalid(format!("{path}.name"), "a provider_project_group needs a name")),
        Some(name) if !valid_group_name(name) => {
            return Err(invalid(format!("{path}.name"), "must match ^[a-z_][a-z0-9_-]{0,31}$"));
        }
        Some(_) => {}
    }
    for (key, given) in [("offering", g.offering.is_some()), ("projects", g.projects.is_some())] {
        if given {
            return Err(invalid(format!("{path}.{key}"), format!("a provider_project_group has no {key}")));
        }
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

    fn verdict(doc: &Value) -> Option<(String, String)> {
        let parsed = match parse(&doc.to_string()) {
            Ok(parsed) => parsed,
            Err(ImportError::Invalid { path, message }) => return Some((path, message)),
            Err(other) => panic!("{other}"),
        };
        match validate_posix(&parsed) {
            Ok(()) => None,
            Err(ImportError::Invalid { path, message }) => Some((path, message)),
            Err(other) => panic!("{other}"),
        }
    }

    fn pool(extra: Value) -> Value {
        let mut p = json!({"uuid": A, "scope": {"customer": C}, "min_uid": 1000, "max_uid": 1999});
        p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({"posix_id_pools": [p]})
    }

    fn group(extra: Value) -> Value {
        json!({"posix_groups": [extra]})
    }

    #[test]
    fn each_rule_names_its_path() {
        let table: Vec<(Value, &str, &str)> = vec![
            (
                json!({"offerings": [{"uuid": A, "name": "N", "customer": C, "plugin_options": {"uid_source": "ldap"}}]}),
                "offerings[0].plugin_options.uid_source",
                "must be \"pool\" or \"user_attribute\"",
            ),
            (
                json!({"offering_users": [{"uuid": A, "user": B, "offering": C, "uidnumber": -1}]}),
                "offering_users[0].uidnumber",
                "must be between 0 and 4294967295",
            ),
            (
                json!({"offering_users": [{"uuid": A, "user": B, "offering": C, "login_shell": format!("/{}", "x".repeat(255))}]}),
                "offering_users[0].login_shell",
                "must have at most 255 characters",
            ),
            (
                pool(json!({"scope": {"customer": C, "offering": B}})),
                "posix_id_pools[0].scope",
                "needs exactly one of customer, offering",
            ),
            (
                pool(json!({"max_uid": null})),
                "posix_id_pools[0].max_uid",
                "min_uid and max_uid are given together or not at all",
            ),
            (pool(json!({"max_uid": 999})), "posix_id_pools[0].max_uid", "must not be below min_uid"),
            (pool(json!({"max_uid": 4294967296_i64})), "posix_id_pools[0].max_uid", "must be between 0 and 4294967295"),
            (pool(json!({"next_uid": 2001})), "posix_id_pools[0].next_uid", "must lie between min_uid and max_uid + 1"),
            (pool(json!({"next_gid": 5})), "posix_id_pools[0].next_gid", "needs min_gid and max_gid"),
            (
                pool(json!({"min_uid": null, "max_uid": null})),
                "posix_id_pools[0]",
                "a pool manages UIDs or GIDs: give min_uid/max_uid or min_gid/max_gid",
            ),
            (
                pool(json!({"scope": {"offering": B}, "min_group_gid": 1, "max_group_gid": 2})),
                "posix_id_pools[0].min_group_gid",
                "only a customer's pool has a project-group range",
            ),
            (
                pool(json!({"min_gid": 100, "max_gid": 200, "min_group_gid": 200, "max_group_gid": 300})),
                "posix_id_pools[0].min_group_gid",
                "the project-group range overlaps the GID range",
            ),
            (
                group(json!({"uuid": A, "kind": "role_group"})),
                "posix_groups[0].kind",
                "unknown kind \"role_group\" (project_group or provider_project_group)",
            ),
            (
                group(json!({"uuid": A, "kind": "project_group", "offering": B, "projects": []})),
                "posix_groups[0].projects",
                "a project_group needs at least one project",
            ),
            (
                group(json!({"uuid": A, "kind": "project_group", "projects": [B]})),
                "posix_groups[0].offering",
                "a project_group needs an offering",
            ),
            (
                group(json!({"uuid": A, "kind": "provider_project_group", "customer": C, "name": "Climate"})),
                "posix_groups[0].name",
                "must match ^[a-z_][a-z0-9_-]{0,31}$",
            ),
            (
                group(json!({"uuid": A, "kind": "provider_project_group", "customer": C})),
                "posix_groups[0].name",
                "a provider_project_group needs a name",
            ),
            (
                group(json!({"uuid": A, "kind": "provider_project_group", "customer": C, "name": "a", "gid": -5})),
                "posix_groups[0].gid",
                "must be between 0 and 4294967295",
            ),
        ];
        for (doc, path, message) in &table {
            assert_eq!(verdict(doc), Some((path.to_string(), message.to_string())), "{doc}");
        }
        let twice = json!({"posix_groups": [
            {"uuid": A, "kind": "provider_project_group", "customer": C, "name": "climate"},
            {"uuid": B, "kind": "provider_project_group", "customer": C, "name": "climate"}]});
        assert_eq!(
            verdict(&twice),
            Some(("posix_groups[1].name".into(), "another group of the customer has this name".into()))
        );
    }

    #[test]
    fn the_example_of_the_spec_passes() {
        let doc = json!({
            "offerings": [{"uuid": A, "name": "N", "customer": C, "plugin_options":
                {"homedir_prefix": "/home/", "login_shell": "/bin/bash", "enable_posix_account": true,
                 "uid_source": "pool", "gid_source": "user_attribute"}}],
            "offering_users": [{"uuid": A, "user": B, "offering": A, "uidnumber": 100000, "primarygroup": null,
                                "login_shell": "/bin/bash", "home_directory": "/home/alice"}],
            "posix_id_pools": [
                {"uuid": A, "scope": {"customer": C}, "description": "", "min_uid": 100000, "max_uid": 199999,
                 "min_gid": 200000, "max_gid": 299999, "min_group_gid": null, "max_group_gid": null},
                {"uuid": B, "scope": {"offering": A}, "min_uid": 500000, "max_uid": 599999, "min_gid": null, "max_gid": null}],
            "posix_groups": [
                {"uuid": A, "kind": "project_group", "offering": A, "projects": [B], "gid": 8500},
                {"uuid": B, "kind": "provider_project_group", "customer": C, "project": B, "name": "climate-model", "gid": 20001},
                {"uuid": C, "kind": "provider_project_group", "customer": C, "project": null, "name": "_x"}]
        });
        assert_eq!(verdict(&doc), None);
    }
}
