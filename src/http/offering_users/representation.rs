//! The offering-user JSON object: 22 fields in the documented order (offering-users.md
//! §6.1), narrowed by `field`. Serialized straight from the row, without an intermediate map.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::fields::{FieldSet, FIELDS};
use crate::http::wire::{hex, timestamp};
use crate::store::offering_users::OfferingUserRow;

/// One row as the API shows it.
pub struct OfferingUserJson<'a> {
    pub row: &'a OfferingUserRow,
    pub base: &'a str,
    pub fields: FieldSet,
}

impl Serialize for OfferingUserJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.row;
        let mut map = serializer.serialize_map(None)?;
        for (i, name) in FIELDS.iter().enumerate() {
            if !self.fields.contains(i) {
                continue;
            }
            match *name {
                "url" => map.serialize_entry(
                    name,
                    &format!("{}/api/marketplace-offering-users/{}/", self.base, hex(&r.uuid)),
                )?,
                "uuid" => map.serialize_entry(name, &hex(&r.uuid))?,
                "user" => map.serialize_entry(name, &format!("{}/api/users/{}/", self.base, hex(&r.user_uuid)))?,
                "offering" => map.serialize_entry(
                    name,
                    &format!("{}/api/marketplace-provider-offerings/{}/", self.base, hex(&r.offering_uuid)),
                )?,
                "username" => map.serialize_entry(name, &r.username)?,
                "offering_uuid" => map.serialize_entry(name, &hex(&r.offering_uuid))?,
                "offering_name" => map.serialize_entry(name, &r.offering_name)?,
                "user_uuid" => map.serialize_entry(name, &hex(&r.user_uuid))?,
                "user_username" => map.serialize_entry(name, &r.user_username)?,
                "user_full_name" => map.serialize_entry(name, &full_name(&r.user_first_name, &r.user_last_name))?,
                "user_email" => map.serialize_entry(name, &r.user_email)?,
                "created" => map.serialize_entry(name, &timestamp(&r.created))?,
                "modified" => map.serialize_entry(name, &timestamp(&r.modified))?,
                "customer_uuid" => map.serialize_entry(name, &hex(&r.customer_uuid))?,
                "customer_name" => map.serialize_entry(name, &r.customer_name)?,
                "is_restricted" => map.serialize_entry(name, &r.is_restricted)?,
                "state" => map.serialize_entry(name, r.state.label())?,
                "service_provider_comment" => map.serialize_entry(name, &r.service_provider_comment)?,
                "service_provider_comment_url" => map.serialize_entry(name, &r.service_provider_comment_url)?,
                "has_consent" => map.serialize_entry(name, &r.has_consent)?,
                "requires_reconsent" => map.serialize_entry(name, &r.requires_reconsent)?,
                "has_compliance_checklist" => map.serialize_entry(name, &r.has_compliance_checklist)?,
                _ => {}
            }
        }
        map.end()
    }
}

/// "first last", trimmed; empty when both are empty (Waldur's `full_name`).
pub fn full_name(first: &str, last: &str) -> String {
    format!("{first} {last}").trim().to_owned()
}
