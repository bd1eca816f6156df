//! The offering-user JSON object: 22 fields in the documented order (docs/spec/offering-users.md
//! §6.1), narrowed by `field`. Serialized straight from the row, without an intermediate map;
//! uuids, times and hyperlinks through the newtypes of `http::wire`.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::fields::{Field, FieldSet};
use crate::http::wire::{Hex, Hyperlink, Timestamp, OFFERINGS_ROUTE, OFFERING_USERS_ROUTE, USERS_ROUTE};
use crate::store::offering_users::OfferingUserRow;

/// One row as the API shows it.
pub(super) struct OfferingUserJson<'a> {
    pub row: &'a OfferingUserRow,
    pub base: &'a str,
    pub fields: FieldSet,
}

impl Serialize for OfferingUserJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.row;
        let mut map = serializer.serialize_map(None)?;
        for field in Field::ALL.into_iter().filter(|f| self.fields.contains(*f)) {
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
            }
        }
        map.end()
    }
}

/// "first last", trimmed; empty when both are empty (Waldur's `full_name`).
pub fn full_name(first: &str, last: &str) -> String {
    format!("{first} {last}").trim().to_owned()
}
