//! The fields of the offering-user representation and the `field` selection.

/// The 22 fields of the representation, in wire order.
pub const FIELDS: [&str; 22] = [
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

/// A subset of [`FIELDS`] as a bit set; all fields when `field` names none we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSet(u32);

impl Default for FieldSet {
    fn default() -> Self {
        FieldSet::ALL
    }
}

impl FieldSet {
    /// Every field.
    pub const ALL: FieldSet = FieldSet((1 << FIELDS.len()) - 1);

    /// The fields named in `field` parameters (repeated or comma-separated); unknown names
    /// are ignored, and if none is known every field is returned (upstream's behaviour).
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> FieldSet {
        let mut bits = 0u32;
        for name in names.into_iter().flat_map(|n| n.split(',')) {
            if let Some(i) = FIELDS.iter().position(|f| *f == name.trim()) {
                bits |= 1 << i;
            }
        }
        if bits == 0 {
            FieldSet::ALL
        } else {
            FieldSet(bits)
        }
    }

    /// Whether the field at this index of [`FIELDS`] is included.
    pub fn contains(self, index: usize) -> bool {
        self.0 & (1 << index) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_selection_ignores_unknown_names() {
        let set = FieldSet::from_names(["uuid", "state,bogus"]);
        assert!(set.contains(1) && set.contains(16) && !set.contains(0));
        assert_eq!(FieldSet::from_names(["bogus"]), FieldSet::ALL);
    }
}
