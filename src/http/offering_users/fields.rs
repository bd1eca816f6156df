//! The fields of the offering-user representation and the `field` selection: the 22 of the
//! January-2026 contract and the 36 of the 2026 contract, 58 in the SDK 8.1.3 model's order
//! (docs/spec/offering-users-2026.md §4.1).

/// One field of the representation (docs/spec/offering-users.md §6.1, offering-users-2026.md
/// §4.1). The serializer and the OpenAPI schema match on it without a catch-all, so a new
/// field cannot go unserialized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Url,
    Uuid,
    User,
    Offering,
    Username,
    OfferingUuid,
    OfferingName,
    UserUuid,
    UserUsername,
    UserFullName,
    UserFirstName,
    UserLastName,
    UserEmail,
    UserPhoneNumber,
    UserOrganization,
    UserJobTitle,
    UserAffiliations,
    UserGender,
    UserPersonalTitle,
    UserPlaceOfBirth,
    UserAddress,
    UserCountryOfResidence,
    UserNationality,
    UserNationalities,
    UserOrganizationCountry,
    UserOrganizationType,
    UserOrganizationRegistryCode,
    UserOrganizationVatCode,
    UserOrganizationAddress,
    UserEdupersonAssurance,
    UserCivilNumber,
    UserBirthDate,
    UserIdentitySource,
    UserUidNumber,
    UserPrimaryGid,
    UserActiveIsds,
    Created,
    Modified,
    CustomerUuid,
    CustomerName,
    IsRestricted,
    State,
    RuntimeState,
    ServiceProviderComment,
    ServiceProviderCommentUrl,
    ServiceProviderAccountUuid,
    ServiceProviderAccountUsername,
    HasConsent,
    RequiresReconsent,
    OfferingHasActiveTos,
    HasComplianceChecklist,
    ConsentData,
    IsProfileComplete,
    MissingProfileAttributes,
    Uidnumber,
    Primarygroup,
    LoginShell,
    HomeDirectory,
}

impl Field {
    /// Every field, in wire order (also the order of the variants: a field's bit in a
    /// [`FieldSet`] is its discriminant).
    pub const ALL: [Field; 58] = [
        Field::Url,
        Field::Uuid,
        Field::User,
        Field::Offering,
        Field::Username,
        Field::OfferingUuid,
        Field::OfferingName,
        Field::UserUuid,
        Field::UserUsername,
        Field::UserFullName,
        Field::UserFirstName,
        Field::UserLastName,
        Field::UserEmail,
        Field::UserPhoneNumber,
        Field::UserOrganization,
        Field::UserJobTitle,
        Field::UserAffiliations,
        Field::UserGender,
        Field::UserPersonalTitle,
        Field::UserPlaceOfBirth,
        Field::UserAddress,
        Field::UserCountryOfResidence,
        Field::UserNationality,
        Field::UserNationalities,
        Field::UserOrganizationCountry,
        Field::UserOrganizationType,
        Field::UserOrganizationRegistryCode,
        Field::UserOrganizationVatCode,
        Field::UserOrganizationAddress,
        Field::UserEdupersonAssurance,
        Field::UserCivilNumber,
        Field::UserBirthDate,
        Field::UserIdentitySource,
        Field::UserUidNumber,
        Field::UserPrimaryGid,
        Field::UserActiveIsds,
        Field::Created,
        Field::Modified,
        Field::CustomerUuid,
        Field::CustomerName,
        Field::IsRestricted,
        Field::State,
        Field::RuntimeState,
        Field::ServiceProviderComment,
        Field::ServiceProviderCommentUrl,
        Field::ServiceProviderAccountUuid,
        Field::ServiceProviderAccountUsername,
        Field::HasConsent,
        Field::RequiresReconsent,
        Field::OfferingHasActiveTos,
        Field::HasComplianceChecklist,
        Field::ConsentData,
        Field::IsProfileComplete,
        Field::MissingProfileAttributes,
        Field::Uidnumber,
        Field::Primarygroup,
        Field::LoginShell,
        Field::HomeDirectory,
    ];

    /// The key on the wire, also the name `field` selects it by.
    pub const fn name(self) -> &'static str {
        match self {
            Field::Url => "url",
            Field::Uuid => "uuid",
            Field::User => "user",
            Field::Offering => "offering",
            Field::Username => "username",
            Field::OfferingUuid => "offering_uuid",
            Field::OfferingName => "offering_name",
            Field::UserUuid => "user_uuid",
            Field::UserUsername => "user_username",
            Field::UserFullName => "user_full_name",
            Field::UserFirstName => "user_first_name",
            Field::UserLastName => "user_last_name",
            Field::UserEmail => "user_email",
            Field::UserPhoneNumber => "user_phone_number",
            Field::UserOrganization => "user_organization",
            Field::UserJobTitle => "user_job_title",
            Field::UserAffiliations => "user_affiliations",
            Field::UserGender => "user_gender",
            Field::UserPersonalTitle => "user_personal_title",
            Field::UserPlaceOfBirth => "user_place_of_birth",
            Field::UserAddress => "user_address",
            Field::UserCountryOfResidence => "user_country_of_residence",
            Field::UserNationality => "user_nationality",
            Field::UserNationalities => "user_nationalities",
            Field::UserOrganizationCountry => "user_organization_country",
            Field::UserOrganizationType => "user_organization_type",
            Field::UserOrganizationRegistryCode => "user_organization_registry_code",
            Field::UserOrganizationVatCode => "user_organization_vat_code",
            Field::UserOrganizationAddress => "user_organization_address",
            Field::UserEdupersonAssurance => "user_eduperson_assurance",
            Field::UserCivilNumber => "user_civil_number",
            Field::UserBirthDate => "user_birth_date",
            Field::UserIdentitySource => "user_identity_source",
            Field::UserUidNumber => "user_uid_number",
            Field::UserPrimaryGid => "user_primary_gid",
            Field::UserActiveIsds => "user_active_isds",
            Field::Created => "created",
            Field::Modified => "modified",
            Field::CustomerUuid => "customer_uuid",
            Field::CustomerName => "customer_name",
            Field::IsRestricted => "is_restricted",
            Field::State => "state",
            Field::RuntimeState => "runtime_state",
            Field::ServiceProviderComment => "service_provider_comment",
            Field::ServiceProviderCommentUrl => "service_provider_comment_url",
            Field::ServiceProviderAccountUuid => "service_provider_account_uuid",
            Field::ServiceProviderAccountUsername => "service_provider_account_username",
            Field::HasConsent => "has_consent",
            Field::RequiresReconsent => "requires_reconsent",
            Field::OfferingHasActiveTos => "offering_has_active_tos",
            Field::HasComplianceChecklist => "has_compliance_checklist",
            Field::ConsentData => "consent_data",
            Field::IsProfileComplete => "is_profile_complete",
            Field::MissingProfileAttributes => "missing_profile_attributes",
            Field::Uidnumber => "uidnumber",
            Field::Primarygroup => "primarygroup",
            Field::LoginShell => "login_shell",
            Field::HomeDirectory => "home_directory",
        }
    }

    /// The field with this exact name.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    fn bit(self) -> u64 {
        1 << self as u64
    }
}

// `ALL` is in variant order, so that bits and wire order agree; and the bits fit a `u64`.
const _: () = {
    assert!(Field::ALL.len() <= 64);
    let mut i = 0;
    while i < Field::ALL.len() {
        assert!(Field::ALL[i] as usize == i);
        i += 1;
    }
};

/// The names of [`Field::ALL`], in wire order (the OpenAPI document's enum).
pub const FIELDS: [&str; 58] = {
    let mut names = [""; 58];
    let mut i = 0;
    while i < names.len() {
        names[i] = Field::ALL[i].name();
        i += 1;
    }
    names
};

/// A subset of the fields as a bit set; all fields when `field` names none we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSet(u64);

impl Default for FieldSet {
    fn default() -> Self {
        FieldSet::ALL
    }
}

impl FieldSet {
    /// Every field.
    pub const ALL: FieldSet = FieldSet((1 << Field::ALL.len()) - 1);

    /// The fields named in `field` parameters (repeated or comma-separated); unknown names
    /// are ignored, and if none is known every field is returned (upstream's behaviour).
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> FieldSet {
        let bits = names
            .into_iter()
            .flat_map(|n| n.split(','))
            .filter_map(|name| Field::from_name(name.trim()))
            .fold(0, |bits, field| bits | field.bit());
        if bits == 0 {
            FieldSet::ALL
        } else {
            FieldSet(bits)
        }
    }

    /// Whether `field` is included.
    pub fn contains(self, field: Field) -> bool {
        self.0 & field.bit() != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_selection_ignores_unknown_names() {
        let set = FieldSet::from_names(["uuid", "state,bogus"]);
        assert!(set.contains(Field::Uuid) && set.contains(Field::State) && !set.contains(Field::Url));
        assert_eq!(FieldSet::from_names(["bogus"]), FieldSet::ALL);
    }

    #[test]
    fn new_names_select_their_fields_alone() {
        let set = FieldSet::from_names(["home_directory,runtime_state", "user_active_isds"]);
        let selected: Vec<Field> = Field::ALL.into_iter().filter(|f| set.contains(*f)).collect();
        assert_eq!(selected, [Field::UserActiveIsds, Field::RuntimeState, Field::HomeDirectory]);
    }

    #[test]
    fn names_are_unique_and_round_trip() {
        for (i, field) in Field::ALL.into_iter().enumerate() {
            assert_eq!(Field::from_name(FIELDS[i]), Some(field));
        }
        assert_eq!(FieldSet::from_names(FIELDS), FieldSet::ALL);
        assert!(Field::ALL.into_iter().all(|f| FieldSet::ALL.contains(f)));
    }

    #[test]
    fn the_22_baseline_keys_keep_their_relative_order() {
        let baseline = [
            "url",
            "uuid",
            "user",
            "offering",
            "username",
            "offering_uuid",
            "offering_name",
            "user_uuid",
            "user_username",
            "user_full_name",
            "user_email",
            "created",
            "modified",
            "customer_uuid",
            "customer_name",
            "is_restricted",
            "state",
            "service_provider_comment",
            "service_provider_comment_url",
            "has_consent",
            "requires_reconsent",
            "has_compliance_checklist",
        ];
        let kept: Vec<&str> = FIELDS.into_iter().filter(|n| baseline.contains(n)).collect();
        assert_eq!(kept, baseline);
        let state = FIELDS.iter().position(|n| *n == "state").unwrap();
        assert_eq!(FIELDS[state + 1], "runtime_state");
    }
}
