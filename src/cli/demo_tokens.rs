//! The demo directory's users and keys, printed by `serve --demo` so a person can try the API
//! at once; read from the bundled document as the import parses it.

use std::collections::HashMap;

use uuid::Uuid;

use crate::directory::{self, Document};

/// A user of the demo directory: his username, his key and what he is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoToken {
    pub username: String,
    pub token: String,
    /// Staff, support, inactive, or his roles and their scopes.
    pub what: String,
}

/// The users of the demo directory that have a key, in the document's order.
pub fn demo_tokens() -> Vec<DemoToken> {
    // The bundled document parses (the demo import and its tests read it too).
    let doc = directory::parse(directory::DEMO).unwrap_or_default();
    let names: HashMap<Uuid, &str> = doc
        .customers
        .iter()
        .map(|c| (c.uuid, c.name.as_str()))
        .chain(doc.projects.iter().map(|p| (p.uuid, p.name.as_str())))
        .chain(doc.offerings.iter().map(|o| (o.uuid, o.name.as_str())))
        .collect();
    doc.users
        .iter()
        .filter_map(|u| {
            let token = u.token.key()?.to_owned();
            Some(DemoToken { username: u.username.clone(), token, what: what(&doc, &names, u.uuid, u) })
        })
        .collect()
}

/// What the user is: staff, support, inactive, or his roles and their scopes.
fn what(doc: &Document, names: &HashMap<Uuid, &str>, uuid: Uuid, user: &directory::UserEntry) -> String {
    if user.is_staff {
        return "staff".into();
    }
    if user.is_support {
        return "support".into();
    }
    if !user.is_active {
        return "inactive user (401)".into();
    }
    let held: Vec<String> = doc
        .roles
        .iter()
        .filter(|r| r.user == uuid)
        .map(|r| {
            let role = r.role.name().replace('.', " ").to_lowercase();
            let scope = r.scope.customer.or(r.scope.project).or(r.scope.offering);
            let name = scope.and_then(|u| names.get(&u).copied()).unwrap_or("?");
            format!("{role} of {name}")
        })
        .collect();
    if held.is_empty() {
        "no role".into()
    } else {
        held.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_user_with_a_key_is_listed_with_what_he_is() {
        let tokens = demo_tokens();
        let doc: serde_json::Value = serde_json::from_str(directory::DEMO).unwrap();
        let with_keys = doc["users"].as_array().unwrap().iter().filter(|u| u["token"].is_string()).count();
        assert_eq!(tokens.len(), with_keys);
        assert!(tokens.iter().any(|t| t.what == "staff"), "{tokens:?}");
        assert!(tokens.iter().any(|t| t.what.contains(" of ") && !t.what.contains('?')), "{tokens:?}");
    }
}
