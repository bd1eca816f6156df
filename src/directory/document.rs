//! The shape of the directory document and its parsing. Unknown keys are errors: a typo must
//! not silently drop data.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::error::ImportError;
use super::posix::{posix_given, PosixGroupEntry, PosixPoolEntry, PosixValue};
use super::tags;
use crate::domain::checklist::{ChecklistType, DependencyLogic, Operator, QuestionType};
use crate::domain::permissions::Role;
use crate::domain::state::State;

/// Parses a document; the error names the JSON path of the offending entry.
pub fn parse(text: &str) -> Result<Document, ImportError> {
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        ImportError::Invalid { path, message: tags::message(e.inner()) }
    })
}

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
    /// Compliance checklists (docs/spec/checklists.md §1), referenced by `offerings[].compliance_checklist`.
    #[serde(default)]
    pub checklists: Vec<ChecklistEntry>,
    /// Accounts of users at a service provider (a customer) that offering users may be backed
    /// by (docs/spec/offering-users-2026.md §4.7, §9).
    #[serde(default)]
    pub service_provider_accounts: Vec<ServiceProviderAccountEntry>,
    /// POSIX ID pools (docs/spec/offering-users-2026.md §9; `directory::posix`).
    #[serde(default)]
    pub posix_id_pools: Vec<PosixPoolEntry>,
    /// Project groups and their GIDs (docs/spec/offering-users-2026.md §9; `directory::posix`).
    #[serde(default)]
    pub posix_groups: Vec<PosixGroupEntry>,
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
    /// The API key; only its hash is stored. Absent: an existing user keeps his token (a new
    /// one has none); `null`: revoked (docs/spec/decisions.md item 32).
    #[serde(default, deserialize_with = "token_given")]
    pub token: TokenEntry,
    /// Seconds; `None` = the token never expires.
    #[serde(default)]
    pub token_lifetime: Option<i32>,
    // The profile attributes of the 2026 contract (docs/spec/offering-users-2026.md §4.2, §9);
    // an omitted key takes the attribute's unset value, as every omitted field does.
    #[serde(default)]
    pub phone_number: String,
    #[serde(default)]
    pub organization: String,
    #[serde(default)]
    pub job_title: String,
    #[serde(default)]
    pub affiliations: Vec<String>,
    /// `male`, `female`, `unknown`, `""` or null.
    #[serde(default)]
    pub gender: Option<String>,
    #[serde(default)]
    pub personal_title: String,
    #[serde(default)]
    pub place_of_birth: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub country_of_residence: String,
    #[serde(default)]
    pub nationality: String,
    #[serde(default)]
    pub nationalities: Vec<String>,
    #[serde(default)]
    pub organization_country: String,
    #[serde(default)]
    pub organization_type: String,
    #[serde(default)]
    pub organization_registry_code: String,
    #[serde(default)]
    pub organization_vat_code: String,
    #[serde(default)]
    pub organization_address: String,
    #[serde(default)]
    pub eduperson_assurance: Vec<String>,
    #[serde(default)]
    pub civil_number: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    #[serde(default)]
    pub identity_source: String,
    #[serde(default = "default_registration_method")]
    pub registration_method: String,
    #[serde(default)]
    pub uid_number: Option<i64>,
    #[serde(default)]
    pub primary_gid: Option<i64>,
    #[serde(default)]
    pub active_isds: Vec<String>,
}

fn default_registration_method() -> String {
    "default".to_owned()
}

/// What a user entry says of the user's token: the key absent, `null`, or a string. serde
/// cannot tell an absent key from `null` through `Option`, so the key, when present, goes
/// through [`token_given`] and its absence takes the `Default`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TokenEntry {
    /// No `token` key: the token stays as it is.
    #[default]
    Unchanged,
    /// `"token": null`: the user's token is revoked.
    Revoked,
    /// `"token": "…"`: the user's token is this key.
    Key(String),
}

impl TokenEntry {
    /// The key, when the entry gives one.
    pub fn key(&self) -> Option<&str> {
        match self {
            TokenEntry::Key(key) => Some(key),
            TokenEntry::Unchanged | TokenEntry::Revoked => None,
        }
    }
}

/// A present `token` key: `null` revokes, a string sets.
fn token_given<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<TokenEntry, D::Error> {
    Ok(match Option::<String>::deserialize(deserializer)? {
        Some(key) => TokenEntry::Key(key),
        None => TokenEntry::Revoked,
    })
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
    /// The offering's compliance checklist; omitted or null = none (as every omitted field
    /// takes its default).
    #[serde(default)]
    pub compliance_checklist: Option<Uuid>,
    /// The offering's explicit exposure config (docs/spec/offering-users-2026.md §4.3, §9):
    /// omitted or null = none (`DEFAULT_OFFERING_USER_ATTRIBUTES` applies); a list (maybe
    /// empty) of the 27 attribute names exposes exactly those.
    #[serde(default)]
    pub exposed_user_attributes: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleEntry {
    pub user: Uuid,
    #[serde(deserialize_with = "tags::role")]
    pub role: Role,
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
    /// One of the ten labels; omitted or `null` = `Requested`.
    #[serde(default = "requested", deserialize_with = "tags::state")]
    pub state: State,
    #[serde(default)]
    pub is_restricted: bool,
    #[serde(default)]
    pub service_provider_comment: String,
    #[serde(default)]
    pub service_provider_comment_url: String,
    /// The runtime state (docs/spec/offering-users-2026.md §3.1): `Active` (default),
    /// `Pending account linking` or `Pending additional validation`. The API changes it, so
    /// an existing offering user keeps its own unless the import overwrites.
    #[serde(default = "active")]
    pub runtime_state: String,
    /// The uuid of the `service_provider_accounts[]` entry backing this account (§4.7): same
    /// user, customer = the offering's customer. Owned by the directory.
    #[serde(default)]
    pub service_provider_account: Option<Uuid>,
    /// The POSIX attributes, written into `backend_metadata` (docs/spec/offering-users-2026.md
    /// §9; `directory::posix`): absent = not written, `null` = the key removed.
    #[serde(default, deserialize_with = "posix_given")]
    pub uidnumber: PosixValue<i64>,
    #[serde(default, deserialize_with = "posix_given")]
    pub primarygroup: PosixValue<i64>,
    #[serde(default, deserialize_with = "posix_given")]
    pub login_shell: PosixValue<String>,
    #[serde(default, deserialize_with = "posix_given")]
    pub home_directory: PosixValue<String>,
}

fn active() -> String {
    "Active".to_owned()
}

/// A user's account at a service provider (docs/spec/offering-users-2026.md §4.7, §9).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceProviderAccountEntry {
    pub uuid: Uuid,
    pub user: Uuid,
    /// The provider: a customer.
    pub customer: Uuid,
    #[serde(default)]
    pub username: Option<String>,
}

fn empty_list() -> Value {
    Value::Array(Vec::new())
}

fn requested() -> State {
    State::Requested
}

fn equals() -> Option<Operator> {
    Some(Operator::Equals)
}

fn boolean() -> QuestionType {
    QuestionType::Boolean
}

/// A checklist with all its questions: importing it again replaces its questions as a whole.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistEntry {
    pub uuid: Uuid,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Upstream's model default: `project_compliance`.
    #[serde(default, deserialize_with = "tags::checklist_type")]
    pub checklist_type: ChecklistType,
    #[serde(default)]
    pub questions: Vec<QuestionEntry>,
}

/// A question; omitted fields take the column defaults of docs/spec/checklists.md §1.2. The
/// JSON values (`guidance_answer_value`, `review_answer_value`) keep an explicit `null` apart
/// from an omitted key (`[]`), as upstream's nullable JSON columns do.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionEntry {
    pub uuid: Uuid,
    #[serde(default)]
    pub description: String,
    #[serde(default = "boolean", deserialize_with = "tags::question_type")]
    pub question_type: QuestionType,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub order: i32,
    #[serde(default)]
    pub user_guidance: String,
    #[serde(default = "yes")]
    pub always_show_guidance: bool,
    #[serde(default = "empty_list")]
    pub guidance_answer_value: Value,
    /// `None`: given as `""`, never matches (docs/spec/checklists.md §4).
    #[serde(default = "equals", deserialize_with = "tags::operator")]
    pub guidance_operator: Option<Operator>,
    #[serde(default = "equals", deserialize_with = "tags::operator")]
    pub operator: Option<Operator>,
    #[serde(default = "empty_list")]
    pub review_answer_value: Value,
    #[serde(default)]
    pub always_requires_review: bool,
    /// A number or a numeric string; stored as numeric(20,4).
    #[serde(default)]
    pub min_value: Option<Value>,
    #[serde(default)]
    pub max_value: Option<Value>,
    #[serde(default)]
    pub allowed_file_types: Vec<String>,
    #[serde(default)]
    pub allowed_mime_types: Vec<String>,
    #[serde(default)]
    pub max_file_size_mb: Option<i32>,
    #[serde(default)]
    pub max_files_count: Option<i32>,
    #[serde(default, deserialize_with = "tags::dependency_logic")]
    pub dependency_logic_operator: DependencyLogic,
    #[serde(default)]
    pub options: Vec<OptionEntry>,
    #[serde(default)]
    pub dependencies: Vec<DependencyEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionEntry {
    pub uuid: Uuid,
    pub label: String,
    #[serde(default)]
    pub order: i32,
}

/// The question it belongs to shows only when `depends_on`'s latest answer matches.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DependencyEntry {
    pub uuid: Uuid,
    /// A question of the same checklist.
    pub depends_on: Uuid,
    pub required_answer_value: Value,
    #[serde(default = "equals", deserialize_with = "tags::operator")]
    pub operator: Option<Operator>,
}
