//! The checks of a directory document that need no database: shapes, lengths,
//! duplicate uuids and the references that stay inside the document (docs/spec/directory.md,
//! "The document"; docs/spec/checklists.md §1, §2). The first bad value stops the import and is
//! named by its JSON path. References to rows already stored are checked by the import as it
//! writes each kind. The tags (states, question types, operators, roles, …) are read into
//! their enums by the parse (`directory::tags`), which refuses a bad one first.

use std::collections::HashSet;

use serde_json::Value;
use uuid::Uuid;

use super::document::{ChecklistEntry, Document};
use super::error::{invalid, ImportError};
use super::profiles;
use crate::domain::offering_user::MAX_USERNAME_CHARS;
use crate::domain::permissions::{Role, ScopeKind, PERMISSIONS};

/// numeric(20,4) holds values below 10^16 in magnitude.
const NUMERIC_LIMIT: f64 = 1e16;

/// Checks the whole document, kind by kind in the order the import writes them, checklists
/// last; the error names the JSON path of the first bad value.
pub(super) fn validate(doc: &Document) -> Result<(), ImportError> {
    role_permissions(doc)?;
    users(doc)?;
    profiles::user_profiles(doc)?;
    customers(doc)?;
    projects(doc)?;
    offerings(doc)?;
    profiles::exposures(doc)?;
    roles(doc)?;
    terms_of_service(doc)?;
    consents(doc)?;
    profiles::service_provider_accounts(doc)?;
    offering_users(doc)?;
    profiles::runtime_states(doc)?;
    checklists(doc)
}

/// A checklist question's `min_value` or `max_value` as the text PostgreSQL casts to
/// numeric(20,4): a JSON number or a numeric string, below 10^16 in magnitude.
pub(super) fn numeric_bound(path: String, value: &Option<Value>) -> Result<Option<String>, ImportError> {
    let text = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(_) => return Err(invalid(path, "must be a number")),
    };
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x.abs() < NUMERIC_LIMIT => Ok(Some(text)),
        _ => Err(invalid(path, "must be a number below 10^16 in magnitude")),
    }
}

fn role_permissions(doc: &Document) -> Result<(), ImportError> {
    for (role, permissions) in &doc.role_permissions {
        let path = format!("role_permissions.{role}");
        if Role::from_name(role).is_none() {
            return Err(invalid(path, format!("unknown role {role:?}")));
        }
        for (i, p) in permissions.iter().enumerate() {
            if !PERMISSIONS.contains(&p.as_str()) {
                return Err(invalid(format!("{path}[{i}]"), format!("unknown permission {p:?}")));
            }
        }
    }
    Ok(())
}

fn users(doc: &Document) -> Result<(), ImportError> {
    unique_uuids("users", doc.users.iter().map(|e| e.uuid))?;
    let mut usernames = HashSet::new();
    let mut tokens = HashSet::new();
    for (i, u) in doc.users.iter().enumerate() {
        let path = format!("users[{i}]");
        if u.username.is_empty() || u.username.chars().count() > 128 {
            return Err(invalid(format!("{path}.username"), "must have 1 to 128 characters"));
        }
        if !u.username.chars().all(|c| c.is_ascii_alphanumeric() || "@.+-_".contains(c)) {
            return Err(invalid(format!("{path}.username"), "may hold only letters, digits and @.+-_"));
        }
        if !usernames.insert(u.username.as_str()) {
            return Err(invalid(format!("{path}.username"), format!("username {:?} appears twice", u.username)));
        }
        max_len(&path, "first_name", &u.first_name, 100)?;
        max_len(&path, "last_name", &u.last_name, 100)?;
        max_len(&path, "email", &u.email, 320)?;
        if let Some(token) = u.token.key() {
            if token.is_empty() || token.chars().any(char::is_whitespace) {
                return Err(invalid(format!("{path}.token"), "must be non-empty and without spaces"));
            }
            if !tokens.insert(token) {
                return Err(invalid(format!("{path}.token"), "the same token is given to two users"));
            }
        }
        if u.token_lifetime.is_some_and(|t| t <= 0) {
            return Err(invalid(format!("{path}.token_lifetime"), "must be a positive number of seconds"));
        }
    }
    Ok(())
}

fn customers(doc: &Document) -> Result<(), ImportError> {
    unique_uuids("customers", doc.customers.iter().map(|e| e.uuid))?;
    for (i, c) in doc.customers.iter().enumerate() {
        let path = format!("customers[{i}]");
        non_empty(&path, "name", &c.name)?;
        max_len(&path, "name", &c.name, 150)?;
        max_len(&path, "abbreviation", &c.abbreviation, 12)?;
    }
    Ok(())
}

fn projects(doc: &Document) -> Result<(), ImportError> {
    unique_uuids("projects", doc.projects.iter().map(|e| e.uuid))?;
    for (i, p) in doc.projects.iter().enumerate() {
        let path = format!("projects[{i}]");
        non_empty(&path, "name", &p.name)?;
        max_len(&path, "name", &p.name, 500)?;
    }
    Ok(())
}

fn offerings(doc: &Document) -> Result<(), ImportError> {
    unique_uuids("offerings", doc.offerings.iter().map(|e| e.uuid))?;
    for (i, o) in doc.offerings.iter().enumerate() {
        let path = format!("offerings[{i}]");
        non_empty(&path, "name", &o.name)?;
        max_len(&path, "name", &o.name, 150)?;
        max_len(&path, "slug", &o.slug, 150)?;
        max_len(&path, "type", &o.offering_type, 100)?;
        if o.plugin_options.as_ref().is_some_and(|v| !v.is_object() && !v.is_null()) {
            return Err(invalid(format!("{path}.plugin_options"), "must be an object"));
        }
        if o.parent == Some(o.uuid) {
            return Err(invalid(format!("{path}.parent"), "an offering cannot be its own parent"));
        }
    }
    Ok(())
}

fn roles(doc: &Document) -> Result<(), ImportError> {
    for (i, r) in doc.roles.iter().enumerate() {
        let path = format!("roles[{i}]");
        let given = [r.scope.customer.is_some(), r.scope.project.is_some(), r.scope.offering.is_some()];
        let wanted = r.role.scope();
        let ok = given.iter().filter(|g| **g).count() == 1
            && match wanted {
                ScopeKind::Customer => given[0],
                ScopeKind::Project => given[1],
                ScopeKind::Offering => given[2],
            };
        if !ok {
            let (role, kind) = (r.role.name(), wanted.name());
            return Err(invalid(format!("{path}.scope"), format!("{role} needs exactly one {kind} scope")));
        }
    }
    Ok(())
}

fn terms_of_service(doc: &Document) -> Result<(), ImportError> {
    unique_uuids("terms_of_service", doc.terms_of_service.iter().map(|e| e.uuid))?;
    let mut active_terms = HashSet::new();
    for (i, t) in doc.terms_of_service.iter().enumerate() {
        let path = format!("terms_of_service[{i}]");
        max_len(&path, "version", &t.version, 50)?;
        max_len(&path, "terms_of_service_link", &t.terms_of_service_link, 200)?;
        if t.grace_period_days < 0 {
            return Err(invalid(format!("{path}.grace_period_days"), "must not be negative"));
        }
        if t.is_active && !active_terms.insert(t.offering) {
            return Err(invalid(format!("{path}.is_active"), "an offering has at most one active terms of service"));
        }
    }
    Ok(())
}

fn consents(doc: &Document) -> Result<(), ImportError> {
    unique_uuids("consents", doc.consents.iter().map(|e| e.uuid))?;
    for (i, c) in doc.consents.iter().enumerate() {
        max_len(&format!("consents[{i}]"), "version", &c.version, 50)?;
    }
    Ok(())
}

fn offering_users(doc: &Document) -> Result<(), ImportError> {
    unique_uuids("offering_users", doc.offering_users.iter().map(|e| e.uuid))?;
    let mut pairs = HashSet::new();
    for (i, ou) in doc.offering_users.iter().enumerate() {
        let path = format!("offering_users[{i}]");
        if let Some(name) = &ou.username {
            max_len(&path, "username", name, MAX_USERNAME_CHARS)?;
        }
        max_len(&path, "service_provider_comment_url", &ou.service_provider_comment_url, 200)?;
        if !pairs.insert((ou.offering, ou.user)) {
            return Err(invalid(path, "the fields offering, user must make a unique set"));
        }
    }
    Ok(())
}

/// The uuids met so far, per kind of checklist entry: each is unique across the document.
#[derive(Default)]
struct Seen {
    checklists: HashSet<Uuid>,
    questions: HashSet<Uuid>,
    options: HashSet<Uuid>,
    dependencies: HashSet<Uuid>,
}

fn checklists(doc: &Document) -> Result<(), ImportError> {
    let mut seen = Seen::default();
    for (i, c) in doc.checklists.iter().enumerate() {
        checklist(&format!("checklists[{i}]"), c, &mut seen)?;
    }
    Ok(())
}

fn checklist(path: &str, c: &ChecklistEntry, seen: &mut Seen) -> Result<(), ImportError> {
    unique(&mut seen.checklists, c.uuid, format!("{path}.uuid"))?;
    non_empty(path, "name", &c.name)?;
    max_len(path, "name", &c.name, 150)?;
    max_len(path, "description", &c.description, 2000)?;
    let own: HashSet<Uuid> = c.questions.iter().map(|q| q.uuid).collect();
    for (j, q) in c.questions.iter().enumerate() {
        let path = format!("{path}.questions[{j}]");
        unique(&mut seen.questions, q.uuid, format!("{path}.uuid"))?;
        max_len(&path, "description", &q.description, 2000)?;
        if q.order < 0 {
            return Err(invalid(format!("{path}.order"), "must not be negative"));
        }
        numeric_bound(format!("{path}.min_value"), &q.min_value)?;
        numeric_bound(format!("{path}.max_value"), &q.max_value)?;
        if q.max_file_size_mb.is_some_and(|n| n < 0) {
            return Err(invalid(format!("{path}.max_file_size_mb"), "must not be negative"));
        }
        if q.max_files_count.is_some_and(|n| n < 0) {
            return Err(invalid(format!("{path}.max_files_count"), "must not be negative"));
        }
        for (k, o) in q.options.iter().enumerate() {
            let path = format!("{path}.options[{k}]");
            unique(&mut seen.options, o.uuid, format!("{path}.uuid"))?;
            max_len(&path, "label", &o.label, 255)?;
        }
        for (k, d) in q.dependencies.iter().enumerate() {
            let path = format!("{path}.dependencies[{k}]");
            unique(&mut seen.dependencies, d.uuid, format!("{path}.uuid"))?;
            if d.depends_on == q.uuid {
                return Err(invalid(format!("{path}.depends_on"), "a question cannot depend on itself"));
            }
            if !own.contains(&d.depends_on) {
                return Err(invalid(
                    format!("{path}.depends_on"),
                    format!("no question with uuid {} in this checklist", d.depends_on.simple()),
                ));
            }
        }
    }
    Ok(())
}

fn unique_uuids(kind: &str, uuids: impl Iterator<Item = Uuid>) -> Result<(), ImportError> {
    let mut seen = HashSet::new();
    for (i, uuid) in uuids.enumerate() {
        unique(&mut seen, uuid, format!("{kind}[{i}].uuid"))?;
    }
    Ok(())
}

fn unique(seen: &mut HashSet<Uuid>, uuid: Uuid, path: String) -> Result<(), ImportError> {
    if !seen.insert(uuid) {
        return Err(invalid(path, format!("uuid {} appears twice", uuid.simple())));
    }
    Ok(())
}

fn max_len(path: &str, field: &str, value: &str, max: usize) -> Result<(), ImportError> {
    if value.chars().count() > max {
        return Err(invalid(format!("{path}.{field}"), format!("must have at most {max} characters")));
    }
    Ok(())
}

fn non_empty(path: &str, field: &str, value: &str) -> Result<(), ImportError> {
    if value.trim().is_empty() {
        return Err(invalid(format!("{path}.{field}"), "must not be empty"));
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

    /// `base` with the keys of `extra` added or replaced.
    fn with(mut base: Value, extra: Value) -> Value {
        if let (Some(target), Value::Object(extra)) = (base.as_object_mut(), extra) {
            target.extend(extra);
        }
        base
    }

    fn user(uuid: &str, username: &str, extra: Value) -> Value {
        with(json!({"uuid": uuid, "username": username}), extra)
    }

    fn named(uuid: &str, extra: Value) -> Value {
        with(json!({"uuid": uuid, "name": "N"}), extra)
    }

    fn offering(uuid: &str, extra: Value) -> Value {
        with(json!({"uuid": uuid, "name": "N", "customer": C}), extra)
    }

    fn role(role: &str, scope: Value) -> Value {
        json!({"user": A, "role": role, "scope": scope})
    }

    fn terms(uuid: &str, extra: Value) -> Value {
        with(json!({"uuid": uuid, "offering": C}), extra)
    }

    fn offering_user(uuid: &str, extra: Value) -> Value {
        with(json!({"uuid": uuid, "user": A, "offering": C}), extra)
    }

    /// A document with one checklist of these questions.
    fn checklist_of(questions: Value) -> Value {
        json!({"checklists": [{"uuid": A, "name": "N", "questions": questions}]})
    }

    /// A document with one checklist whose one question (uuid B) has these keys too.
    fn question(extra: Value) -> Value {
        checklist_of(json!([with(json!({"uuid": B}), extra)]))
    }

    /// A dependency `uuid` on question `on`, met by the answer `true`.
    fn depends(uuid: &str, on: &str) -> Value {
        json!({"uuid": uuid, "depends_on": on, "required_answer_value": true})
    }

    fn long(n: usize) -> String {
        "x".repeat(n)
    }

    /// What parsing and `validate` say of a document: `None` when it passes, else (path,
    /// message). The tags (states, types, operators, roles) are refused by the parse.
    fn verdict(doc: &Value) -> Option<(String, String)> {
        let parsed = match parse(&doc.to_string()) {
            Ok(parsed) => parsed,
            Err(ImportError::Invalid { path, message }) => return Some((path, message)),
            Err(other) => panic!("{other}"),
        };
        match validate(&parsed) {
            Ok(()) => None,
            Err(ImportError::Invalid { path, message }) => Some((path, message)),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn each_rule_names_the_path_of_the_first_bad_value() {
        let at_most = |n: usize| format!("must have at most {n} characters");
        let twice = |uuid: &str| format!("uuid {uuid} appears twice");
        let table: Vec<(Value, &str, String)> = vec![
            // role_permissions: known roles and permissions only.
            (
                json!({"role_permissions": {"CUSTOMER.KING": []}}),
                "role_permissions.CUSTOMER.KING",
                "unknown role \"CUSTOMER.KING\"".into(),
            ),
            (
                json!({"role_permissions": {"CUSTOMER.OWNER": ["OFFERING.CREATE_USER", "FLY"]}}),
                "role_permissions.CUSTOMER.OWNER[1]",
                "unknown permission \"FLY\"".into(),
            ),
            // users
            (json!({"users": [user(A, "a", json!({})), user(A, "b", json!({}))]}), "users[1].uuid", twice(A)),
            (json!({"users": [user(A, "", json!({}))]}), "users[0].username", "must have 1 to 128 characters".into()),
            (
                json!({"users": [user(A, &long(129), json!({}))]}),
                "users[0].username",
                "must have 1 to 128 characters".into(),
            ),
            (
                json!({"users": [user(A, "al ice", json!({}))]}),
                "users[0].username",
                "may hold only letters, digits and @.+-_".into(),
            ),
            (
                json!({"users": [user(A, "alice", json!({})), user(B, "alice", json!({}))]}),
                "users[1].username",
                "username \"alice\" appears twice".into(),
            ),
            (json!({"users": [user(A, "a", json!({"first_name": long(101)}))]}), "users[0].first_name", at_most(100)),
            (json!({"users": [user(A, "a", json!({"last_name": long(101)}))]}), "users[0].last_name", at_most(100)),
            (json!({"users": [user(A, "a", json!({"email": long(321)}))]}), "users[0].email", at_most(320)),
            (
                json!({"users": [user(A, "a", json!({"token": ""}))]}),
                "users[0].token",
                "must be non-empty and without spaces".into(),
            ),
            (
                json!({"users": [user(A, "a", json!({"token": "a b"}))]}),
                "users[0].token",
                "must be non-empty and without spaces".into(),
            ),
            (
                json!({"users": [user(A, "a", json!({"token": "t"})), user(B, "b", json!({"token": "t"}))]}),
                "users[1].token",
                "the same token is given to two users".into(),
            ),
            (
                json!({"users": [user(A, "a", json!({"token_lifetime": 0}))]}),
                "users[0].token_lifetime",
                "must be a positive number of seconds".into(),
            ),
            // customers
            (json!({"customers": [named(A, json!({})), named(A, json!({}))]}), "customers[1].uuid", twice(A)),
            (json!({"customers": [named(A, json!({"name": "  "}))]}), "customers[0].name", "must not be empty".into()),
            (json!({"customers": [named(A, json!({"name": long(151)}))]}), "customers[0].name", at_most(150)),
            (
                json!({"customers": [named(A, json!({"abbreviation": long(13)}))]}),
                "customers[0].abbreviation",
                at_most(12),
            ),
            // projects
            (
                json!({"projects": [named(A, json!({"customer": C})), named(A, json!({"customer": C}))]}),
                "projects[1].uuid",
                twice(A),
            ),
            (
                json!({"projects": [named(A, json!({"customer": C, "name": ""}))]}),
                "projects[0].name",
                "must not be empty".into(),
            ),
            (
                json!({"projects": [named(A, json!({"customer": C, "name": long(501)}))]}),
                "projects[0].name",
                at_most(500),
            ),
            // offerings
            (json!({"offerings": [offering(A, json!({})), offering(A, json!({}))]}), "offerings[1].uuid", twice(A)),
            (
                json!({"offerings": [offering(A, json!({"name": " "}))]}),
                "offerings[0].name",
                "must not be empty".into(),
            ),
            (json!({"offerings": [offering(A, json!({"name": long(151)}))]}), "offerings[0].name", at_most(150)),
            (json!({"offerings": [offering(A, json!({"slug": long(151)}))]}), "offerings[0].slug", at_most(150)),
            (json!({"offerings": [offering(A, json!({"type": long(101)}))]}), "offerings[0].type", at_most(100)),
            (
                json!({"offerings": [offering(A, json!({"plugin_options": []}))]}),
                "offerings[0].plugin_options",
                "must be an object".into(),
            ),
            (
                json!({"offerings": [offering(A, json!({"parent": A}))]}),
                "offerings[0].parent",
                "an offering cannot be its own parent".into(),
            ),
            // roles: a known role on exactly one scope of its prefix.
            (
                json!({"roles": [role("CUSTOMER.KING", json!({"customer": C}))]}),
                "roles[0].role",
                "unknown role \"CUSTOMER.KING\"".into(),
            ),
            (
                json!({"roles": [role("CUSTOMER.OWNER", json!({"project": C}))]}),
                "roles[0].scope",
                "CUSTOMER.OWNER needs exactly one customer scope".into(),
            ),
            (
                json!({"roles": [role("PROJECT.ADMIN", json!({"customer": C, "project": C}))]}),
                "roles[0].scope",
                "PROJECT.ADMIN needs exactly one project scope".into(),
            ),
            (
                json!({"roles": [role("OFFERING.MANAGER", json!({}))]}),
                "roles[0].scope",
                "OFFERING.MANAGER needs exactly one offering scope".into(),
            ),
            // terms_of_service
            (
                json!({"terms_of_service": [terms(A, json!({})), terms(A, json!({}))]}),
                "terms_of_service[1].uuid",
                twice(A),
            ),
            (
                json!({"terms_of_service": [terms(A, json!({"version": long(51)}))]}),
                "terms_of_service[0].version",
                at_most(50),
            ),
            (
                json!({"terms_of_service": [terms(A, json!({"terms_of_service_link": long(201)}))]}),
                "terms_of_service[0].terms_of_service_link",
                at_most(200),
            ),
            (
                json!({"terms_of_service": [terms(A, json!({"grace_period_days": -1}))]}),
                "terms_of_service[0].grace_period_days",
                "must not be negative".into(),
            ),
            (
                json!({"terms_of_service": [terms(A, json!({"is_active": true})),
                                            terms(B, json!({"is_active": true}))]}),
                "terms_of_service[1].is_active",
                "an offering has at most one active terms of service".into(),
            ),
            // consents
            (
                json!({"consents": [terms(A, json!({"user": B})), terms(A, json!({"user": B}))]}),
                "consents[1].uuid",
                twice(A),
            ),
            (
                json!({"consents": [terms(A, json!({"user": B, "version": long(51)}))]}),
                "consents[0].version",
                at_most(50),
            ),
            // offering_users
            (
                json!({"offering_users": [offering_user(A, json!({})), offering_user(A, json!({}))]}),
                "offering_users[1].uuid",
                twice(A),
            ),
            (
                json!({"offering_users": [offering_user(A, json!({"username": long(101)}))]}),
                "offering_users[0].username",
                at_most(100),
            ),
            (
                json!({"offering_users": [offering_user(A, json!({"state": "Bogus"}))]}),
                "offering_users[0].state",
                "unknown state \"Bogus\"".into(),
            ),
            (
                json!({"offering_users": [offering_user(A, json!({"service_provider_comment_url": long(201)}))]}),
                "offering_users[0].service_provider_comment_url",
                at_most(200),
            ),
            (
                json!({"offering_users": [offering_user(A, json!({})), offering_user(B, json!({}))]}),
                "offering_users[1]",
                "the fields offering, user must make a unique set".into(),
            ),
            // checklists
            (json!({"checklists": [named(A, json!({})), named(A, json!({}))]}), "checklists[1].uuid", twice(A)),
            (json!({"checklists": [named(A, json!({"name": ""}))]}), "checklists[0].name", "must not be empty".into()),
            (json!({"checklists": [named(A, json!({"name": long(151)}))]}), "checklists[0].name", at_most(150)),
            (
                json!({"checklists": [named(A, json!({"description": long(2001)}))]}),
                "checklists[0].description",
                at_most(2000),
            ),
            (
                json!({"checklists": [named(A, json!({"checklist_type": "bogus"}))]}),
                "checklists[0].checklist_type",
                "unknown type \"bogus\"".into(),
            ),
            // questions: uuids unique across checklists.
            (
                json!({"checklists": [named(A, json!({"questions": [{"uuid": B}]})),
                                      named(C, json!({"questions": [{"uuid": B}]}))]}),
                "checklists[1].questions[0].uuid",
                twice(B),
            ),
            (question(json!({"description": long(2001)})), "checklists[0].questions[0].description", at_most(2000)),
            (
                question(json!({"question_type": "likert"})),
                "checklists[0].questions[0].question_type",
                "unknown or unsupported question type \"likert\"".into(),
            ),
            (question(json!({"order": -1})), "checklists[0].questions[0].order", "must not be negative".into()),
            (
                question(json!({"operator": "like"})),
                "checklists[0].questions[0].operator",
                "unknown operator \"like\" (equals, not_equals, contains, in, not_in or \"\")".into(),
            ),
            (
                question(json!({"guidance_operator": "like"})),
                "checklists[0].questions[0].guidance_operator",
                "unknown operator \"like\" (equals, not_equals, contains, in, not_in or \"\")".into(),
            ),
            (
                question(json!({"dependency_logic_operator": "xor"})),
                "checklists[0].questions[0].dependency_logic_operator",
                "must be \"and\" or \"or\"".into(),
            ),
            (question(json!({"min_value": [1]})), "checklists[0].questions[0].min_value", "must be a number".into()),
            (
                question(json!({"max_value": "1e16"})),
                "checklists[0].questions[0].max_value",
                "must be a number below 10^16 in magnitude".into(),
            ),
            (
                question(json!({"max_file_size_mb": -1})),
                "checklists[0].questions[0].max_file_size_mb",
                "must not be negative".into(),
            ),
            (
                question(json!({"max_files_count": -1})),
                "checklists[0].questions[0].max_files_count",
                "must not be negative".into(),
            ),
            // options and dependencies: uuids unique across the document.
            (
                question(json!({"options": [{"uuid": C, "label": "a"}, {"uuid": C, "label": "b"}]})),
                "checklists[0].questions[0].options[1].uuid",
                twice(C),
            ),
            (
                question(json!({"options": [{"uuid": C, "label": long(256)}]})),
                "checklists[0].questions[0].options[0].label",
                at_most(255),
            ),
            (
                checklist_of(json!([
                    {"uuid": B, "dependencies": [depends(A, C)]},
                    {"uuid": C, "dependencies": [depends(A, B)]},
                ])),
                "checklists[0].questions[1].dependencies[0].uuid",
                twice(A),
            ),
            (
                question(json!({"dependencies": [depends(C, B)]})),
                "checklists[0].questions[0].dependencies[0].depends_on",
                "a question cannot depend on itself".into(),
            ),
            // A dependency stays inside its checklist.
            (
                json!({"checklists": [
                    named(A, json!({"questions": [{"uuid": B, "dependencies": [depends(A, C)]}]})),
                    named(B, json!({"questions": [{"uuid": C}]})),
                ]}),
                "checklists[0].questions[0].dependencies[0].depends_on",
                format!("no question with uuid {C} in this checklist"),
            ),
            (
                checklist_of(json!([
                    {"uuid": B},
                    {"uuid": C, "dependencies": [with(depends(A, B), json!({"operator": "like"}))]},
                ])),
                "checklists[0].questions[1].dependencies[0].operator",
                "unknown operator \"like\" (equals, not_equals, contains, in, not_in or \"\")".into(),
            ),
            // The kinds are checked in the order they are written: users before customers.
            (
                json!({"customers": [named(A, json!({"name": ""}))], "users": [user(A, "", json!({}))]}),
                "users[0].username",
                "must have 1 to 128 characters".into(),
            ),
        ];
        for (doc, path, message) in &table {
            assert_eq!(verdict(doc), Some((path.to_string(), message.clone())), "{doc}");
        }
    }

    #[test]
    fn values_at_the_limits_pass() {
        let table: Vec<Value> = vec![
            json!({}),
            json!({"role_permissions": {"CUSTOMER.OWNER": [], "OFFERING.MANAGER": ["OFFERING.UPDATE_USER"]}}),
            json!({"users": [user(A, &long(128), json!({"first_name": long(100), "email": long(320), "token": "t",
                                                        "token_lifetime": 1})),
                             user(B, "a@b.c+d-e_f", json!({"token": "u"}))]}),
            json!({"customers": [named(A, json!({"name": long(150), "abbreviation": long(12)}))]}),
            json!({"offerings": [offering(A, json!({"parent": B, "plugin_options": null})),
                                 offering(B, json!({"plugin_options": {}}))]}),
            json!({"roles": [role("CUSTOMER.OWNER", json!({"customer": C})),
                             role("PROJECT.MEMBER", json!({"project": C})),
                             role("OFFERING.MANAGER", json!({"offering": C}))]}),
            // Only active terms count towards one per offering.
            json!({"terms_of_service": [terms(A, json!({"is_active": true, "grace_period_days": 0})),
                                        terms(B, json!({}))]}),
            json!({"offering_users": [offering_user(A, json!({"state": "OK", "username": long(100)})),
                                      offering_user(B, json!({"offering": B}))]}),
            question(json!({"operator": "", "guidance_operator": "not_in", "min_value": " -3.5 ", "max_value": 9.9e15,
                            "dependency_logic_operator": "or", "max_files_count": 0})),
            checklist_of(json!([{"uuid": B}, {"uuid": C, "dependencies": [depends(A, B)]}])),
        ];
        for doc in &table {
            assert_eq!(verdict(doc), None, "{doc}");
        }
    }

    #[test]
    fn bounds_are_numbers_or_numeric_strings_below_ten_to_the_sixteen() {
        let table = [
            (None, Ok(None)),
            (Some(json!(null)), Ok(None)),
            (Some(json!(10.5)), Ok(Some("10.5"))),
            (Some(json!(-3)), Ok(Some("-3"))),
            (Some(json!(" 1000000 ")), Ok(Some("1000000"))),
            (Some(json!("abc")), Err("must be a number below 10^16 in magnitude")),
            (Some(json!("NaN")), Err("must be a number below 10^16 in magnitude")),
            (Some(json!(1e16)), Err("must be a number below 10^16 in magnitude")),
            (Some(json!([1])), Err("must be a number")),
        ];
        for (input, expected) in table {
            let got = numeric_bound("q.min_value".into(), &input).map_err(|e| e.to_string());
            let expected = expected.map(|o| o.map(str::to_owned)).map_err(|m| format!("q.min_value: {m}"));
            assert_eq!(got, expected, "{input:?}");
        }
    }
}
