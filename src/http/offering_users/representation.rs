//! The offering-user JSON object: 58 fields in the documented order (docs/spec/offering-users.md
//! §6.1, offering-users-2026.md §4.1), narrowed by `field`, then by the offering's exposure of
//! user attributes (§4.3). Serialized straight from the row, without an intermediate map;
//! uuids, times and hyperlinks through the newtypes of `http::wire`.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::fields::{Field, FieldSet};
use crate::domain::user_attributes::{AttributeSet, UserAttribute};
use crate::http::wire::{
    Hex, Hyperlink, PythonTimestamp, StringList, Timestamp, OFFERINGS_ROUTE, OFFERING_USERS_ROUTE, USERS_ROUTE,
};
use crate::http::AppState;
use crate::store::offering_users::OfferingUserRow;

/// One row as the API shows it.
pub(super) struct OfferingUserJson<'a> {
    pub row: &'a OfferingUserRow,
    pub base: &'a str,
    pub fields: FieldSet,
    /// `ENFORCE_USER_CONSENT_FOR_OFFERINGS`: `consent_data` is null when it is off (§4.6).
    pub consent_enforced: bool,
    /// `DEFAULT_OFFERING_USER_ATTRIBUTES`: the exposure of an offering without its own (§4.3).
    pub default_exposure: &'a [&'static str],
}

/// The attribute whose exposure shows or hides a field (docs/spec/offering-users-2026.md
/// §4.3): the 25 new `user_*` keys only. `user_username`, `user_full_name` and `user_email`
/// are always shown (docs/spec/decisions.md item 2 wins over upstream, which hides them too).
fn gating_attribute(field: Field) -> Option<UserAttribute> {
    let attribute = match field {
        Field::UserFirstName | Field::UserLastName => UserAttribute::FullName,
        Field::UserPhoneNumber => UserAttribute::PhoneNumber,
        Field::UserOrganization => UserAttribute::Organization,
        Field::UserJobTitle => UserAttribute::JobTitle,
        Field::UserAffiliations => UserAttribute::Affiliations,
        Field::UserGender => UserAttribute::Gender,
        Field::UserPersonalTitle => UserAttribute::PersonalTitle,
        Field::UserPlaceOfBirth => UserAttribute::PlaceOfBirth,
        Field::UserAddress => UserAttribute::Address,
        Field::UserCountryOfResidence => UserAttribute::CountryOfResidence,
        Field::UserNationality => UserAttribute::Nationality,
        Field::UserNationalities => UserAttribute::Nationalities,
        Field::UserOrganizationCountry => UserAttribute::OrganizationCountry,
        Field::UserOrganizationType => UserAttribute::OrganizationType,
        Field::UserOrganizationRegistryCode => UserAttribute::OrganizationRegistryCode,
        Field::UserOrganizationVatCode => UserAttribute::OrganizationVatCode,
        Field::UserOrganizationAddress => UserAttribute::OrganizationAddress,
        Field::UserEdupersonAssurance => UserAttribute::EdupersonAssurance,
        Field::UserCivilNumber => UserAttribute::CivilNumber,
        Field::UserBirthDate => UserAttribute::BirthDate,
        Field::UserIdentitySource => UserAttribute::IdentitySource,
        Field::UserUidNumber => UserAttribute::UidNumber,
        Field::UserPrimaryGid => UserAttribute::PrimaryGid,
        Field::UserActiveIsds => UserAttribute::ActiveIsds,
        _ => return None,
    };
    Some(attribute)
}

/// `consent_data` (§4.6): the consent's uuid, version and agreement date.
#[derive(serde::Serialize)]
struct ConsentData<'a> {
    uuid: Hex,
    version: &'a str,
    agreement_date: Option<PythonTimestamp>,
}

/// A `backend_metadata` number as the integer the SDK expects; anything else is null (§4.1).
fn integer(text: &Option<String>) -> Option<i64> {
    text.as_deref().and_then(|t| t.parse().ok())
}

impl Serialize for OfferingUserJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.row;
        let profile = r.profile_or_blank();
        let p = &*profile;
        let exposed = AttributeSet::from_names(r.exposed_attributes(self.default_exposure));
        let posix = r.posix.as_ref().map(|p| &p.0);
        // Both completeness fields read the same list: decided once, when the first is shown.
        let missing = std::cell::OnceCell::new();
        let missing = || missing.get_or_init(|| r.missing_profile_attributes(self.default_exposure));
        let shown = |f: &Field| self.fields.contains(*f) && gating_attribute(*f).is_none_or(|a| exposed.contains(a));
        let mut map = serializer.serialize_map(None)?;
        for field in Field::ALL.into_iter().filter(shown) {
            let name = field.name();
            // No catch-all: a new field does not compile until it is serialized here.
            match field {
                Field::Url => map.serialize_entry(name, &Hyperlink::new(self.base, OFFERING_USERS_ROUTE, r.uuid))?,
                Field::Uuid => map.serialize_entry(name, &Hex(r.uuid))?,
                Field::User => map.serialize_entry(name, &Hyperlink::new(self.base, USERS_ROUTE, r.user_uuid))?,
                Field::Offering => {
                    map.serialize_entry(name, &Hyperlink::new(self.base, OFFERINGS_ROUTE, r.offering_uuid))?
                }
                Field::Username => map.serialize_entry(name, &r.username)?,
                Field::OfferingUuid => map.serialize_entry(name, &Hex(r.offering_uuid))?,
                Field::OfferingName => map.serialize_entry(name, &r.offering_name)?,
                Field::UserUuid => map.serialize_entry(name, &Hex(r.user_uuid))?,
                Field::UserUsername => map.serialize_entry(name, &r.user_username)?,
                Field::UserFullName => map.serialize_entry(name, &full_name(&r.user_first_name, &r.user_last_name))?,
                Field::UserEmail => map.serialize_entry(name, &r.user_email)?,
                Field::Created => map.serialize_entry(name, &Timestamp(r.created))?,
                Field::Modified => map.serialize_entry(name, &Timestamp(r.modified))?,
                Field::CustomerUuid => map.serialize_entry(name, &Hex(r.customer_uuid))?,
                Field::CustomerName => map.serialize_entry(name, &r.customer_name)?,
                Field::IsRestricted => map.serialize_entry(name, &r.is_restricted)?,
                Field::State => map.serialize_entry(name, r.state.label())?,
                Field::ServiceProviderComment => map.serialize_entry(name, &r.service_provider_comment)?,
                Field::ServiceProviderCommentUrl => map.serialize_entry(name, &r.service_provider_comment_url)?,
                Field::HasConsent => map.serialize_entry(name, &r.has_consent)?,
                Field::RequiresReconsent => map.serialize_entry(name, &r.requires_reconsent)?,
                Field::HasComplianceChecklist => map.serialize_entry(name, &r.has_compliance_checklist)?,
                Field::UserFirstName => map.serialize_entry(name, &r.user_first_name)?,
                Field::UserLastName => map.serialize_entry(name, &r.user_last_name)?,
                Field::UserPhoneNumber => map.serialize_entry(name, &p.user_phone_number)?,
                Field::UserOrganization => map.serialize_entry(name, &p.user_organization)?,
                Field::UserJobTitle => map.serialize_entry(name, &p.user_job_title)?,
                Field::UserAffiliations => map.serialize_entry(name, &StringList(&p.user_affiliations))?,
                Field::UserGender => map.serialize_entry(name, &p.user_gender)?,
                Field::UserPersonalTitle => map.serialize_entry(name, &p.user_personal_title)?,
                Field::UserPlaceOfBirth => map.serialize_entry(name, &p.user_place_of_birth)?,
                Field::UserAddress => map.serialize_entry(name, &p.user_address)?,
                Field::UserCountryOfResidence => map.serialize_entry(name, &p.user_country_of_residence)?,
                Field::UserNationality => map.serialize_entry(name, &p.user_nationality)?,
                Field::UserNationalities => map.serialize_entry(name, &StringList(&p.user_nationalities))?,
                Field::UserOrganizationCountry => map.serialize_entry(name, &p.user_organization_country)?,
                Field::UserOrganizationType => map.serialize_entry(name, &p.user_organization_type)?,
                Field::UserOrganizationRegistryCode => map.serialize_entry(name, &p.user_organization_registry_code)?,
                Field::UserOrganizationVatCode => map.serialize_entry(name, &p.user_organization_vat_code)?,
                Field::UserOrganizationAddress => map.serialize_entry(name, &p.user_organization_address)?,
                Field::UserEdupersonAssurance => map.serialize_entry(name, &StringList(&p.user_eduperson_assurance))?,
                Field::UserCivilNumber => map.serialize_entry(name, &p.user_civil_number)?,
                Field::UserBirthDate => {
                    map.serialize_entry(name, &p.user_birth_date.map(|d| d.format("%Y-%m-%d").to_string()))?
                }
                Field::UserIdentitySource => map.serialize_entry(name, &p.user_identity_source)?,
                Field::UserUidNumber => map.serialize_entry(name, &p.user_uid_number)?,
                Field::UserPrimaryGid => map.serialize_entry(name, &p.user_primary_gid)?,
                Field::UserActiveIsds => map.serialize_entry(name, &StringList(&p.user_active_isds))?,
                Field::RuntimeState => map.serialize_entry(name, &r.runtime_state)?,
                Field::ServiceProviderAccountUuid => {
                    map.serialize_entry(name, &r.service_provider_account_uuid.map(Hex))?
                }
                Field::ServiceProviderAccountUsername => {
                    map.serialize_entry(name, &r.service_provider_account_username)?
                }
                Field::OfferingHasActiveTos => map.serialize_entry(name, &r.offering_has_active_tos)?,
                Field::ConsentData => map.serialize_entry(name, &self.consent_data())?,
                Field::IsProfileComplete => map.serialize_entry(name, &missing().is_empty())?,
                Field::MissingProfileAttributes => map.serialize_entry(name, missing())?,
                Field::Uidnumber => map.serialize_entry(name, &posix.and_then(|p| integer(&p.uidnumber)))?,
                Field::Primarygroup => map.serialize_entry(name, &posix.and_then(|p| integer(&p.primarygroup)))?,
                Field::LoginShell => map.serialize_entry(name, &posix.and_then(|p| p.login_shell.as_deref()))?,
                Field::HomeDirectory => map.serialize_entry(name, &posix.and_then(|p| p.home_directory.as_deref()))?,
            }
        }
        map.end()
    }
}

impl<'a> OfferingUserJson<'a> {
    /// `row` as `fields` select it, under the settings of `state`.
    pub(super) fn new(row: &'a OfferingUserRow, base: &'a str, fields: FieldSet, state: &'a AppState) -> Self {
        OfferingUserJson {
            row,
            base,
            fields,
            consent_enforced: state.settings.enforce_user_consent,
            default_exposure: &state.settings.default_user_attributes,
        }
    }

    /// `consent_data` (§4.6): only with the consent setting on, active terms of service on the
    /// offering (the store reads the consent only then) and a consent, revoked or not.
    fn consent_data(&self) -> Option<ConsentData<'_>> {
        let r = self.row;
        let uuid = r.consent_uuid.filter(|_| self.consent_enforced)?;
        Some(ConsentData {
            uuid: Hex(uuid),
            version: r.consent_version.as_deref().unwrap_or(""),
            agreement_date: r.consent_agreement_date.map(PythonTimestamp),
        })
    }
}

/// "first last", trimmed; empty when both are empty (Waldur's `full_name`).
pub fn full_name(first: &str, last: &str) -> String {
    format!("{first} {last}").trim().to_owned()
}
