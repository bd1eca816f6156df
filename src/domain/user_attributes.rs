//! The user profile attributes an offering may expose to its service provider
//! (docs/spec/offering-users-2026.md §4.3): their names in canonical order, the response keys
//! each one controls, the setting `DEFAULT_OFFERING_USER_ATTRIBUTES` and the profile field
//! names of `profile_field_warnings` (§6).

/// One of the 27 attributes of an explicit exposure config, in the SDK's declaration order
/// (`OfferingUserAttributeConfig.expose_*`): the canonical order wherever an order is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UserAttribute {
    FullName,
    Email,
    Username,
    RegistrationMethod,
    Organization,
    OrganizationCountry,
    OrganizationType,
    OrganizationRegistryCode,
    OrganizationVatCode,
    OrganizationAddress,
    Affiliations,
    PhoneNumber,
    JobTitle,
    Gender,
    PersonalTitle,
    PlaceOfBirth,
    Address,
    CountryOfResidence,
    Nationality,
    Nationalities,
    EdupersonAssurance,
    IdentitySource,
    CivilNumber,
    BirthDate,
    ActiveIsds,
    UidNumber,
    PrimaryGid,
}

impl UserAttribute {
    /// Every attribute, in canonical order (also the order of the variants).
    pub const ALL: [UserAttribute; 27] = [
        UserAttribute::FullName,
        UserAttribute::Email,
        UserAttribute::Username,
        UserAttribute::RegistrationMethod,
        UserAttribute::Organization,
        UserAttribute::OrganizationCountry,
        UserAttribute::OrganizationType,
        UserAttribute::OrganizationRegistryCode,
        UserAttribute::OrganizationVatCode,
        UserAttribute::OrganizationAddress,
        UserAttribute::Affiliations,
        UserAttribute::PhoneNumber,
        UserAttribute::JobTitle,
        UserAttribute::Gender,
        UserAttribute::PersonalTitle,
        UserAttribute::PlaceOfBirth,
        UserAttribute::Address,
        UserAttribute::CountryOfResidence,
        UserAttribute::Nationality,
        UserAttribute::Nationalities,
        UserAttribute::EdupersonAssurance,
        UserAttribute::IdentitySource,
        UserAttribute::CivilNumber,
        UserAttribute::BirthDate,
        UserAttribute::ActiveIsds,
        UserAttribute::UidNumber,
        UserAttribute::PrimaryGid,
    ];

    /// The attribute's name (the `expose_<name>` flag upstream; the value of the setting and
    /// of the directory's `exposed_user_attributes`; what `missing_profile_attributes` lists).
    pub const fn name(self) -> &'static str {
        match self {
            UserAttribute::FullName => "full_name",
            UserAttribute::Email => "email",
            UserAttribute::Username => "username",
            UserAttribute::RegistrationMethod => "registration_method",
            UserAttribute::Organization => "organization",
            UserAttribute::OrganizationCountry => "organization_country",
            UserAttribute::OrganizationType => "organization_type",
            UserAttribute::OrganizationRegistryCode => "organization_registry_code",
            UserAttribute::OrganizationVatCode => "organization_vat_code",
            UserAttribute::OrganizationAddress => "organization_address",
            UserAttribute::Affiliations => "affiliations",
            UserAttribute::PhoneNumber => "phone_number",
            UserAttribute::JobTitle => "job_title",
            UserAttribute::Gender => "gender",
            UserAttribute::PersonalTitle => "personal_title",
            UserAttribute::PlaceOfBirth => "place_of_birth",
            UserAttribute::Address => "address",
            UserAttribute::CountryOfResidence => "country_of_residence",
            UserAttribute::Nationality => "nationality",
            UserAttribute::Nationalities => "nationalities",
            UserAttribute::EdupersonAssurance => "eduperson_assurance",
            UserAttribute::IdentitySource => "identity_source",
            UserAttribute::CivilNumber => "civil_number",
            UserAttribute::BirthDate => "birth_date",
            UserAttribute::ActiveIsds => "active_isds",
            UserAttribute::UidNumber => "uid_number",
            UserAttribute::PrimaryGid => "primary_gid",
        }
    }

    /// The attribute with this exact name (the 27 only: `first_name`/`last_name` are not).
    pub fn from_name(name: &str) -> Option<UserAttribute> {
        UserAttribute::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The response keys of the offering user that this attribute shows or hides (§4.3):
    /// `full_name` → `user_full_name` and its two parts, `X` → `user_X`;
    /// `registration_method` controls none.
    pub const fn response_keys(self) -> &'static [&'static str] {
        match self {
            UserAttribute::FullName => &["user_full_name", "user_first_name", "user_last_name"],
            UserAttribute::Email => &["user_email"],
            UserAttribute::Username => &["user_username"],
            UserAttribute::RegistrationMethod => &[],
            UserAttribute::Organization => &["user_organization"],
            UserAttribute::OrganizationCountry => &["user_organization_country"],
            UserAttribute::OrganizationType => &["user_organization_type"],
            UserAttribute::OrganizationRegistryCode => &["user_organization_registry_code"],
            UserAttribute::OrganizationVatCode => &["user_organization_vat_code"],
            UserAttribute::OrganizationAddress => &["user_organization_address"],
            UserAttribute::Affiliations => &["user_affiliations"],
            UserAttribute::PhoneNumber => &["user_phone_number"],
            UserAttribute::JobTitle => &["user_job_title"],
            UserAttribute::Gender => &["user_gender"],
            UserAttribute::PersonalTitle => &["user_personal_title"],
            UserAttribute::PlaceOfBirth => &["user_place_of_birth"],
            UserAttribute::Address => &["user_address"],
            UserAttribute::CountryOfResidence => &["user_country_of_residence"],
            UserAttribute::Nationality => &["user_nationality"],
            UserAttribute::Nationalities => &["user_nationalities"],
            UserAttribute::EdupersonAssurance => &["user_eduperson_assurance"],
            UserAttribute::IdentitySource => &["user_identity_source"],
            UserAttribute::CivilNumber => &["user_civil_number"],
            UserAttribute::BirthDate => &["user_birth_date"],
            UserAttribute::ActiveIsds => &["user_active_isds"],
            UserAttribute::UidNumber => &["user_uid_number"],
            UserAttribute::PrimaryGid => &["user_primary_gid"],
        }
    }

    /// The user profile field names that clearing would affect (`profile_field_warnings`, §6):
    /// `full_name` → `first_name` and `last_name`, every other attribute its own name.
    pub fn profile_fields(self) -> &'static [&'static str] {
        match self {
            UserAttribute::FullName => &["first_name", "last_name"],
            other => std::slice::from_ref(&ATTRIBUTE_NAMES[other as usize]),
        }
    }

    fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// The names of [`UserAttribute::ALL`], in canonical order.
pub static ATTRIBUTE_NAMES: [&str; 27] = {
    let mut names = [""; 27];
    let mut i = 0;
    while i < names.len() {
        names[i] = UserAttribute::ALL[i].name();
        i += 1;
    }
    names
};

// `ALL` is in variant order, so that bits and canonical order agree.
const _: () = {
    let mut i = 0;
    while i < UserAttribute::ALL.len() {
        assert!(UserAttribute::ALL[i] as usize == i);
        i += 1;
    }
};

/// A set of attributes (an offering's effective exposure), as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttributeSet(u32);

impl AttributeSet {
    /// The attributes named in `names`; unknown names are skipped (the store holds only the
    /// 27, checked by the import and the setting).
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> AttributeSet {
        AttributeSet(names.into_iter().filter_map(UserAttribute::from_name).fold(0, |bits, a| bits | a.bit()))
    }

    /// Whether `attribute` is in the set.
    pub fn contains(self, attribute: UserAttribute) -> bool {
        self.0 & attribute.bit() != 0
    }
}

/// The setting's default when it is unset or empty (upstream:
/// `config.DEFAULT_OFFERING_USER_ATTRIBUTES or ["username", "full_name", "email"]`).
pub const DEFAULT_EXPOSED: [UserAttribute; 3] =
    [UserAttribute::Username, UserAttribute::FullName, UserAttribute::Email];

/// Parses `DEFAULT_OFFERING_USER_ATTRIBUTES` (§2.3, §4.3, open question Q19): comma-separated
/// names, surrounding spaces ignored, empty items skipped; `first_name` and `last_name` each
/// count as `full_name`, which takes the place of the first of them; a repeat is dropped.
/// Nothing left → the default `username, full_name, email`. An unknown name is an error that
/// names it (the server refuses to start).
pub fn parse_default_attributes(value: &str) -> Result<Vec<UserAttribute>, String> {
    let mut attributes = Vec::new();
    for item in value.split(',').map(str::trim).filter(|item| !item.is_empty()) {
        let attribute = match item {
            "first_name" | "last_name" => UserAttribute::FullName,
            name => UserAttribute::from_name(name).ok_or_else(|| {
                format!("unknown user attribute {name:?} (expected one of {}, first_name, last_name)", all_names())
            })?,
        };
        if !attributes.contains(&attribute) {
            attributes.push(attribute);
        }
    }
    if attributes.is_empty() {
        attributes.extend(DEFAULT_EXPOSED);
    }
    Ok(attributes)
}

/// Checks an explicit exposure config (the directory's `exposed_user_attributes`, §9): the 27
/// names only, none twice. Returns them in canonical order, or the position and message of
/// the first bad item.
pub fn explicit_attributes(names: &[String]) -> Result<Vec<UserAttribute>, (usize, String)> {
    let mut seen = AttributeSet::default();
    for (i, name) in names.iter().enumerate() {
        let attribute = UserAttribute::from_name(name)
            .ok_or_else(|| (i, format!("unknown user attribute {name:?} (expected one of {})", all_names())))?;
        if seen.contains(attribute) {
            return Err((i, format!("{name:?} appears twice")));
        }
        seen.0 |= attribute.bit();
    }
    Ok(UserAttribute::ALL.into_iter().filter(|a| seen.contains(*a)).collect())
}

fn all_names() -> String {
    ATTRIBUTE_NAMES.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use UserAttribute as A;

    #[test]
    fn the_setting_maps_name_parts_to_full_name_and_keeps_its_order() {
        let table: [(&str, Result<Vec<UserAttribute>, &str>); 9] = [
            ("username,full_name,email", Ok(vec![A::Username, A::FullName, A::Email])),
            ("username,first_name,email,last_name", Ok(vec![A::Username, A::FullName, A::Email])),
            ("last_name", Ok(vec![A::FullName])),
            (" email , phone_number ,, ", Ok(vec![A::Email, A::PhoneNumber])),
            ("email,email", Ok(vec![A::Email])),
            ("", Ok(vec![A::Username, A::FullName, A::Email])),
            (" , ", Ok(vec![A::Username, A::FullName, A::Email])),
            ("primary_gid,registration_method", Ok(vec![A::PrimaryGid, A::RegistrationMethod])),
            ("email,shoe_size", Err("\"shoe_size\"")),
        ];
        for (value, expected) in table {
            match (parse_default_attributes(value), expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{value:?}"),
                (Err(message), Err(fragment)) => assert!(message.contains(fragment), "{value:?}: {message}"),
                (got, want) => panic!("{value:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn an_explicit_config_takes_the_27_names_once_each_in_canonical_order() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            explicit_attributes(&names(&["primary_gid", "email", "full_name"])),
            Ok(vec![A::FullName, A::Email, A::PrimaryGid])
        );
        assert_eq!(explicit_attributes(&[]), Ok(vec![]));
        let table: [(&[&str], usize, &str); 3] = [
            (&["email", "first_name"], 1, "unknown user attribute \"first_name\""),
            (&["Email"], 0, "unknown user attribute \"Email\""),
            (&["email", "job_title", "email"], 2, "\"email\" appears twice"),
        ];
        for (list, at, fragment) in table {
            let (i, message) = explicit_attributes(&names(list)).unwrap_err();
            assert_eq!(i, at, "{list:?}");
            assert!(message.starts_with(fragment), "{list:?}: {message}");
        }
    }

    #[test]
    fn every_attribute_controls_its_keys_and_names_its_profile_fields() {
        let table = [
            (
                A::FullName,
                &["user_full_name", "user_first_name", "user_last_name"][..],
                &["first_name", "last_name"][..],
            ),
            (A::Email, &["user_email"], &["email"]),
            (A::Username, &["user_username"], &["username"]),
            (A::RegistrationMethod, &[], &["registration_method"]),
            (A::OrganizationVatCode, &["user_organization_vat_code"], &["organization_vat_code"]),
            (A::PrimaryGid, &["user_primary_gid"], &["primary_gid"]),
        ];
        for (attribute, keys, fields) in table {
            assert_eq!(attribute.response_keys(), keys, "{attribute:?}");
            assert_eq!(attribute.profile_fields(), fields, "{attribute:?}");
        }
        // Every attribute but full_name and registration_method controls exactly `user_<name>`.
        for attribute in A::ALL.into_iter().filter(|a| !matches!(a, A::FullName | A::RegistrationMethod)) {
            assert_eq!(attribute.response_keys(), [format!("user_{}", attribute.name()).as_str()]);
        }
    }

    #[test]
    fn names_round_trip_and_sets_hold_what_they_were_given() {
        for attribute in A::ALL {
            assert_eq!(A::from_name(attribute.name()), Some(attribute));
        }
        let set = AttributeSet::from_names(["email", "job_title", "bogus"]);
        assert!(set.contains(A::Email) && set.contains(A::JobTitle) && !set.contains(A::FullName));
    }
}
