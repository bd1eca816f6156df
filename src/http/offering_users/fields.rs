//! The fields of the offering-user representation and the `field` selection.

/// One field of the representation (docs/spec/offering-users.md §6.1). The serializer and the OpenAPI
/// schema match on it without a catch-all, so a new field cannot go unserialized.
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
    UserEmail,
    Created,
    Modified,
    CustomerUuid,
    CustomerName,
    IsRestricted,
    State,
    ServiceProviderComment,
    ServiceProviderCommentUrl,
    HasConsent,
    RequiresReconsent,
    HasComplianceChecklist,
}

impl Field {
    /// Every field, in wire order (also the order of the variants: a field's bit in a
    /// [`FieldSet`] is its discriminant).
    pub const ALL: [Field; 22] = [
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
        Field::UserEmail,
        Field::Created,
        Field::Modified,
        Field::CustomerUuid,
        Field::CustomerName,
        Field::IsRestricted,
        Field::State,
        Field::ServiceProviderComment,
        Field::ServiceProviderCommentUrl,
        Field::HasConsent,
        Field::RequiresReconsent,
        Field::HasComplianceChecklist,
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
            Field::UserEmail => "user_email",
            Field::Created => "created",
            Field::Modified => "modified",
            Field::CustomerUuid => "customer_uuid",
            Field::CustomerName => "customer_name",
            Field::IsRestricted => "is_restricted",
            Field::State => "state",
            Field::ServiceProviderComment => "service_provider_comment",
            Field::ServiceProviderCommentUrl => "service_provider_comment_url",
            Field::HasConsent => "has_consent",
            Field::RequiresReconsent => "requires_reconsent",
            Field::HasComplianceChecklist => "has_compliance_checklist",
        }
    }

    /// The field with this exact name.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    fn bit(self) -> u32 {
        1 << self as u32
    }
}

// `ALL` is in variant order, so that bits and wire order agree.
const _: () = {
    let mut i = 0;
    while i < Field::ALL.len() {
        assert!(Field::ALL[i] as usize == i);
        i += 1;
    }
};

/// The names of [`Field::ALL`], in wire order (the OpenAPI document's enum).
pub const FIELDS: [&str; 22] = {
    let mut names = [""; 22];
    let mut i = 0;
    while i < names.len() {
        names[i] = Field::ALL[i].name();
        i += 1;
    }
    names
};

/// A subset of the fields as a bit set; all fields when `field` names none we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSet(u32);

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
    fn names_are_unique_and_round_trip() {
        for (i, field) in Field::ALL.into_iter().enumerate() {
            assert_eq!(Field::from_name(FIELDS[i]), Some(field));
        }
        assert_eq!(FieldSet::from_names(FIELDS), FieldSet::ALL);
        assert!(Field::ALL.into_iter().all(|f| FieldSet::ALL.contains(f)));
    }
}
