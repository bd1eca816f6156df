//! The shape of the directory document. Unknown keys are errors: a typo must not silently
//! drop data.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

/// The whole document; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    #[serde(default)]
    pub users: Vec<UserEntry>,
    #[serde(default)]
    pub customers: Vec<CustomerEntry>,
    #[serde(default)]
    pub projects: Vec<ProjectEntry>,
    #[serde(default)]
    pub offerings: Vec<OfferingEntry>,
    #[serde(default)]
    pub roles: Vec<RoleEntry>,
    #[serde(default)]
    pub role_permissions: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub terms_of_service: Vec<TermsEntry>,
    #[serde(default)]
    pub consents: Vec<ConsentEntry>,
    #[serde(default)]
    pub offering_users: Vec<OfferingUserEntry>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub uuid: Uuid,
    pub username: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub is_staff: bool,
    #[serde(default)]
    pub is_support: bool,
    #[serde(default = "yes")]
    pub is_active: bool,
    /// The API key; only its hash is stored. Absent: the user cannot call the API.
    #[serde(default)]
    pub token: Option<String>,
    /// Seconds; `None` = the token never expires.
    #[serde(default)]
    pub token_lifetime: Option<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerEntry {
    pub uuid: Uuid,
    pub name: String,
    #[serde(default)]
    pub abbreviation: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectEntry {
    pub uuid: Uuid,
    pub name: String,
    pub customer: Uuid,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferingEntry {
    pub uuid: Uuid,
    pub name: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default, rename = "type")]
    pub offering_type: String,
    pub customer: Uuid,
    #[serde(default)]
    pub parent: Option<Uuid>,
    #[serde(default)]
    pub plugin_options: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleEntry {
    pub user: Uuid,
    pub role: String,
    pub scope: ScopeEntry,
    #[serde(default = "yes")]
    pub is_active: bool,
    #[serde(default)]
    pub expiration_time: Option<DateTime<Utc>>,
}

/// Exactly one of the three must be given, matching the role's prefix.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeEntry {
    #[serde(default)]
    pub customer: Option<Uuid>,
    #[serde(default)]
    pub project: Option<Uuid>,
    #[serde(default)]
    pub offering: Option<Uuid>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermsEntry {
    pub uuid: Uuid,
    pub offering: Uuid,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub is_active: bool,
    #[serde(default)]
    pub requires_reconsent: bool,
    #[serde(default)]
    pub terms_of_service: String,
    #[serde(default)]
    pub terms_of_service_link: String,
    #[serde(default = "sixty")]
    pub grace_period_days: i32,
}

fn sixty() -> i32 {
    60
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentEntry {
    pub uuid: Uuid,
    pub user: Uuid,
    pub offering: Uuid,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub agreement_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub revocation_date: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferingUserEntry {
    pub uuid: Uuid,
    pub user: Uuid,
    pub offering: Uuid,
    #[serde(default)]
    pub username: Option<String>,
    /// One of the ten labels; omitted = `Requested`.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub is_restricted: bool,
    #[serde(default)]
    pub service_provider_comment: String,
    #[serde(default)]
    pub service_provider_comment_url: String,
}
