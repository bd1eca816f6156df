//! The row behind the 58-field representation, and the statement text that reads it from
//! wherever its records come from: the table, a page of chosen ids, an `UPDATE`'s result.
//! Everything is read by the one statement with its joins: no statement per row or page.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use crate::domain::state::State;
use crate::domain::user_attributes::ATTRIBUTE_NAMES;

/// Everything the 58-field representation needs, read in one statement with its joins.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OfferingUserRow {
    pub id: i64,
    pub uuid: Uuid,
    pub user_uuid: Uuid,
    pub offering_uuid: Uuid,
    pub username: Option<String>,
    pub offering_name: String,
    pub user_username: String,
    pub user_first_name: String,
    pub user_last_name: String,
    pub user_email: String,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub customer_uuid: Uuid,
    pub customer_name: String,
    pub is_restricted: bool,
    /// Decoded from the `smallint` column; an unknown value fails the read.
    #[sqlx(try_from = "i16")]
    pub state: State,
    pub service_provider_comment: String,
    pub service_provider_comment_url: String,
    pub has_consent: bool,
    pub requires_reconsent: bool,
    pub has_compliance_checklist: bool,
    /// The 2026 contract (docs/spec/offering-users-2026.md §4.1): the user's profile, read
    /// only when the offering exposes one of its attributes (see [`PROFILE_COLUMN`]).
    pub profile: Option<Json<UserProfile>>,
    /// The runtime state's wire label (§3.1).
    pub runtime_state: String,
    /// The provider account backing the record, if any (§4.7).
    pub service_provider_account_uuid: Option<Uuid>,
    pub service_provider_account_username: Option<String>,
    pub offering_has_active_tos: bool,
    /// The user's consent to the offering (revoked or not), when the offering has active terms
    /// of service (§4.6).
    pub consent_uuid: Option<Uuid>,
    pub consent_version: Option<String>,
    pub consent_agreement_date: Option<DateTime<Utc>>,
    /// The offering's explicit exposure config (§4.3); `None` for the setting's default, which
    /// [`exposed_attributes`](Self::exposed_attributes) supplies (so that most rows carry no list).
    pub explicit_exposure: Option<Vec<String>>,
    /// `backend_metadata`'s POSIX projection (§4.1); `None` when it holds none of its keys.
    pub posix: Option<Json<PosixProjection>>,
}

impl OfferingUserRow {
    /// The user's profile; blank when the offering exposes none of its attributes, so that
    /// nothing of it is shown or counted missing then.
    pub fn profile_or_blank(&self) -> std::borrow::Cow<'_, UserProfile> {
        match &self.profile {
            Some(Json(profile)) => std::borrow::Cow::Borrowed(profile),
            None => std::borrow::Cow::Owned(UserProfile::default()),
        }
    }

    /// The effective exposed attributes that are empty on the user, in their order
    /// (docs/spec/offering-users-2026.md §4.5).
    ///
    /// Decided here, from the values the row already holds, rather than by calling the SQL
    /// function `user_missing_attributes` (migration 0009) once per row: that call cost about
    /// half the throughput of a list page. The function stays the one definition for the gate
    /// and the filter; `tests/api/completeness.rs` holds this copy to it, attribute by attribute.
    pub fn missing_profile_attributes<'a>(&'a self, default_exposure: &'a [&'static str]) -> Vec<&'a str> {
        let profile = self.profile_or_blank();
        self.exposed_attributes(default_exposure).filter(|a| self.attribute_is_empty(&profile, a)).collect()
    }

    /// The offering's effective exposed attributes (§4.3): its explicit config, else
    /// `default_exposure` (`DEFAULT_OFFERING_USER_ATTRIBUTES`).
    pub fn exposed_attributes<'a>(&'a self, default_exposure: &'a [&'static str]) -> impl Iterator<Item = &'a str> {
        let explicit = self.explicit_exposure.as_deref();
        let default = default_exposure.iter().copied().filter(move |_| explicit.is_none());
        explicit.into_iter().flatten().map(String::as_str).chain(default)
    }

    /// As `user_missing_attributes`: strings empty when `""` (NULL too where nullable), lists
    /// when exactly `[]`, `full_name` when both parts are; `username`, `registration_method`
    /// and unknown names never.
    fn attribute_is_empty(&self, p: &UserProfile, attribute: &str) -> bool {
        let no_items = |list: &Value| matches!(list, Value::Array(items) if items.is_empty());
        let blank = |value: &Option<String>| value.as_deref().unwrap_or("").is_empty();
        match attribute {
            "full_name" => self.user_first_name.is_empty() && self.user_last_name.is_empty(),
            "email" => self.user_email.is_empty(),
            "organization" => p.user_organization.is_empty(),
            "organization_country" => p.user_organization_country.is_empty(),
            "organization_type" => p.user_organization_type.is_empty(),
            "organization_registry_code" => p.user_organization_registry_code.is_empty(),
            "organization_vat_code" => p.user_organization_vat_code.is_empty(),
            "organization_address" => p.user_organization_address.is_empty(),
            "affiliations" => no_items(&p.user_affiliations),
            "phone_number" => p.user_phone_number.is_empty(),
            "job_title" => p.user_job_title.is_empty(),
            "gender" => blank(&p.user_gender),
            "personal_title" => p.user_personal_title.is_empty(),
            "place_of_birth" => p.user_place_of_birth.is_empty(),
            "address" => p.user_address.is_empty(),
            "country_of_residence" => p.user_country_of_residence.is_empty(),
            "nationality" => p.user_nationality.is_empty(),
            "nationalities" => no_items(&p.user_nationalities),
            "eduperson_assurance" => no_items(&p.user_eduperson_assurance),
            "identity_source" => p.user_identity_source.is_empty(),
            "civil_number" => blank(&p.user_civil_number),
            "birth_date" => p.user_birth_date.is_none(),
            "active_isds" => no_items(&p.user_active_isds),
            "uid_number" => p.user_uid_number.is_none(),
            "primary_gid" => p.user_primary_gid.is_none(),
            _ => false,
        }
    }
}

/// The user's profile attributes (docs/spec/offering-users-2026.md §4.1, §4.2): blank strings
/// and empty lists when unset, `None` where upstream has NULL. Read as the JSON object of
/// [`PROFILE_COLUMN`], whose keys are these field names.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserProfile {
    pub user_phone_number: String,
    pub user_organization: String,
    pub user_job_title: String,
    pub user_affiliations: Value,
    pub user_gender: Option<String>,
    pub user_personal_title: String,
    pub user_place_of_birth: String,
    pub user_address: String,
    pub user_country_of_residence: String,
    pub user_nationality: String,
    pub user_nationalities: Value,
    pub user_organization_country: String,
    pub user_organization_type: String,
    pub user_organization_registry_code: String,
    pub user_organization_vat_code: String,
    pub user_organization_address: String,
    pub user_eduperson_assurance: Value,
    pub user_civil_number: Option<String>,
    pub user_birth_date: Option<NaiveDate>,
    pub user_identity_source: String,
    pub user_uid_number: Option<i64>,
    pub user_primary_gid: Option<i64>,
    pub user_active_isds: Value,
}

/// `backend_metadata`'s POSIX keys (docs/spec/offering-users-2026.md §4.1): the integers as
/// their JSON number text, the strings as they are; `None` when absent or of another JSON type.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PosixProjection {
    pub uidnumber: Option<String>,
    pub primarygroup: Option<String>,
    pub login_shell: Option<String>,
    pub home_directory: Option<String>,
}

/// Where the records of an [`OfferingUserRow`] statement come from, as the alias `ou`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RowSource {
    /// `offering_users` itself; the statement's `WHERE` picks the records.
    Table,
    /// The ids of the CTE `page` (in its `position` order), joined back to `offering_users`.
    Page,
    /// The rows an `UPDATE … RETURNING *` CTE named `updated` left.
    Updated,
}

impl RowSource {
    /// The `FROM` clause that makes the source's records the alias `ou`.
    fn clause(self) -> &'static str {
        match self {
            RowSource::Table => " FROM offering_users ou",
            RowSource::Page => " FROM page JOIN offering_users ou ON ou.id = page.id",
            RowSource::Updated => " FROM updated ou",
        }
    }
}

/// The select list of [`OfferingUserRow`] over `ou` and the aliases of [`push_row_from`].
pub(super) const ROW_COLUMNS: &str = "ou.id, ou.uuid, u.uuid AS user_uuid, o.uuid AS offering_uuid, ou.username, \
    o.name AS offering_name, u.username AS user_username, u.first_name AS user_first_name, \
    u.last_name AS user_last_name, u.email AS user_email, ou.created, ou.modified, \
    c.uuid AS customer_uuid, c.name AS customer_name, ou.is_restricted, ou.state, \
    ou.service_provider_comment, ou.service_provider_comment_url, \
    (tos.id IS NOT NULL AND cons.id IS NOT NULL AND cons.revocation_date IS NULL) AS has_consent, \
    coalesce(cons.id IS NOT NULL AND cons.revocation_date IS NULL AND tos.requires_reconsent \
        AND tos.version <> cons.version, false) AS requires_reconsent, \
    EXISTS (SELECT 1 FROM checklist_completions cc WHERE cc.offering_user_id = ou.id \
        AND cc.checklist_id = o.compliance_checklist_id) AS has_compliance_checklist, \
    CASE WHEN ex.attributes && '{organization, organization_country, organization_type, \
        organization_registry_code, organization_vat_code, organization_address, affiliations, \
        phone_number, job_title, gender, personal_title, place_of_birth, address, country_of_residence, \
        nationality, nationalities, eduperson_assurance, identity_source, civil_number, birth_date, \
        active_isds, uid_number, primary_gid}'::text[] \
    THEN json_build_object( \
        'user_organization', u.organization, 'user_organization_country', u.organization_country, \
        'user_organization_type', u.organization_type, \
        'user_organization_registry_code', u.organization_registry_code, \
        'user_organization_vat_code', u.organization_vat_code, \
        'user_organization_address', u.organization_address, 'user_affiliations', u.affiliations, \
        'user_phone_number', u.phone_number, 'user_job_title', u.job_title, 'user_gender', u.gender, \
        'user_personal_title', u.personal_title, 'user_place_of_birth', u.place_of_birth, \
        'user_address', u.address, 'user_country_of_residence', u.country_of_residence, \
        'user_nationality', u.nationality, 'user_nationalities', u.nationalities, \
        'user_eduperson_assurance', u.eduperson_assurance, 'user_identity_source', u.identity_source, \
        'user_civil_number', u.civil_number, 'user_birth_date', u.birth_date, \
        'user_active_isds', u.active_isds, 'user_uid_number', u.uid_number, \
        'user_primary_gid', u.primary_gid) END AS profile, \
    ou.runtime_state, spa.uuid AS service_provider_account_uuid, \
    spa.username AS service_provider_account_username, tos.id IS NOT NULL AS offering_has_active_tos, \
    CASE WHEN tos.id IS NOT NULL THEN cons.uuid END AS consent_uuid, cons.version AS consent_version, \
    cons.agreement_date AS consent_agreement_date, \
    o.exposed_user_attributes AS explicit_exposure, \
    CASE WHEN ou.backend_metadata ?| '{uidnumber, primarygroup, loginShell, homeDir}'::text[] \
    THEN json_build_object( \
        'uidnumber', CASE WHEN jsonb_typeof(ou.backend_metadata -> 'uidnumber') = 'number' \
            THEN ou.backend_metadata ->> 'uidnumber' END, \
        'primarygroup', CASE WHEN jsonb_typeof(ou.backend_metadata -> 'primarygroup') = 'number' \
            THEN ou.backend_metadata ->> 'primarygroup' END, \
        'login_shell', CASE WHEN jsonb_typeof(ou.backend_metadata -> 'loginShell') = 'string' \
            THEN ou.backend_metadata ->> 'loginShell' END, \
        'home_directory', CASE WHEN jsonb_typeof(ou.backend_metadata -> 'homeDir') = 'string' \
            THEN ou.backend_metadata ->> 'homeDir' END) END AS posix";

/// The joins of [`ROW_COLUMNS`] to the records `ou`: offering, customer, user, the
/// offering's active terms of service (at most one), the user's consent to the offering,
/// revoked or not (at most one: `consents_user_offering_key`), and the provider account
/// backing the record.
const ROW_JOINS: &str = " JOIN offerings o ON o.id = ou.offering_id \
    JOIN customers c ON c.id = o.customer_id \
    JOIN users u ON u.id = ou.user_id \
    LEFT JOIN terms_of_service tos ON tos.offering_id = o.id AND tos.is_active \
    LEFT JOIN consents cons ON cons.user_id = ou.user_id AND cons.offering_id = o.id \
    LEFT JOIN service_provider_accounts spa ON spa.id = ou.service_provider_account_id ";

/// Pushes ` FROM <source> ou JOIN …`: everything [`ROW_COLUMNS`] reads, for the records of
/// `source`. `default_exposure` is `DEFAULT_OFFERING_USER_ATTRIBUTES`, the exposure of an
/// offering without an explicit config (docs/spec/offering-users-2026.md §4.3).
pub(super) fn push_row_from(qb: &mut QueryBuilder<'_, Postgres>, source: RowSource, default_exposure: &[&'static str]) {
    qb.push(source.clause()).push(ROW_JOINS);
    qb.push(" CROSS JOIN LATERAL (SELECT coalesce(o.exposed_user_attributes, ");
    qb.push(exposure_literal(default_exposure));
    qb.push(") AS attributes) ex ");
}

/// The default exposure as an array literal. It is written into the text, not bound: it is
/// the operator's setting, not client text, and it only ever holds names of the closed set
/// of attributes (anything else is left out here); so the statement keeps the parameters it
/// had before the 2026 contract, and each server's text stays one prepared statement.
fn exposure_literal(default_exposure: &[&'static str]) -> String {
    let names: Vec<&str> = default_exposure.iter().copied().filter(|name| ATTRIBUTE_NAMES.contains(name)).collect();
    format!("'{{{}}}'::text[]", names.join(","))
}
