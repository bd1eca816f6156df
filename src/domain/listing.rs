//! The list's filter model (docs/spec/offering-users.md §5, §6.2, §6.3; docs/spec/decisions.md 10–12;
//! the filters of newer clients: docs/spec/offering-users-2026.md §5): what a
//! list request asks for once its query is parsed. Parsing the query and its DRF error
//! bodies belong to `http::offering_users::query`; which filters the counters can count, to
//! the store.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::runtime_state::RuntimeState;
use super::state::State;

/// Default page size (DRF `PAGE_SIZE`).
pub const DEFAULT_PAGE_SIZE: i64 = 10;
/// Larger page sizes are clamped to this (docs/spec/decisions.md 12).
pub const MAX_PAGE_SIZE: i64 = 300;

/// The filters, ANDed together after visibility.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    /// `offering` was given but names no provider offering: nothing matches.
    pub matches_nothing: bool,
    /// `offering` URL resolved to this uuid.
    pub offering_url_uuid: Option<Uuid>,
    /// Any of these offerings (`offering_uuid`, united).
    pub offering_uuids: Vec<Uuid>,
    /// Any of the offerings with these slugs.
    pub offering_slugs: Vec<String>,
    /// The offerings whose parent is this offering.
    pub parent_offering_uuid: Option<Uuid>,
    /// The offerings of this service provider (a customer).
    pub provider_uuid: Option<Uuid>,
    /// The records of this user.
    pub user_uuid: Option<Uuid>,
    /// Case-insensitive exact match on the user's username.
    pub user_username: Option<String>,
    /// Case-sensitive exact match on the offering user's username (newer clients).
    pub username: Option<String>,
    /// The restriction flag.
    pub is_restricted: Option<bool>,
    /// Any of these states; empty: any state.
    pub states: Vec<State>,
    /// The user has (or has not) consented to the offering's active terms.
    pub has_consent: Option<bool>,
    /// Created at or after.
    pub created_after: Option<DateTime<Utc>>,
    /// Modified at or after.
    pub modified_after: Option<DateTime<Utc>>,
    /// Case-insensitive substring over the offering's name, the offering user's username, the
    /// user's username, first and last name, and the POSIX UID and primary GID (docs/spec/
    /// offering-users-2026.md §5 F11).
    pub query: Option<String>,

    // The filters of newer clients (docs/spec/offering-users-2026.md §5, F1–F7).
    /// Created at or before (`created_before`).
    pub created_before: Option<DateTime<Utc>>,
    /// Modified at or before (`modified_before`).
    pub modified_before: Option<DateTime<Utc>>,
    /// Any of these runtime states; empty: any.
    pub runtime_states: Vec<RuntimeState>,
    /// `true`: leave out the records incomplete for the completeness gate (§4.5); `false`:
    /// only those.
    pub has_complete_profile: Option<bool>,
    /// The record's offering has (or has not) an active terms-of-service row.
    pub offering_has_active_tos: Option<bool>,
    /// The record is (or is not) backed by a service provider's account.
    pub is_provider_backed: Option<bool>,
    /// The record is backed by the service provider's account with this uuid.
    pub service_provider_account_uuid: Option<Uuid>,
}

impl ListFilter {
    /// The one offering the filter names, when it names exactly one by uuid and nothing
    /// else narrows the offerings (the site agent's poll).
    pub fn single_offering_uuid(&self) -> Option<Uuid> {
        let others = self.matches_nothing
            || !self.offering_slugs.is_empty()
            || self.parent_offering_uuid.is_some()
            || self.provider_uuid.is_some();
        match (self.offering_url_uuid, self.offering_uuids.as_slice()) {
            _ if others => None,
            (Some(url), []) => Some(url),
            (None, [one]) => Some(*one),
            (Some(url), [one]) if url == *one => Some(url),
            _ => None,
        }
    }

    /// Whether any filter names offerings (by url, uuid, slug, parent or provider).
    pub fn has_offering_filter(&self) -> bool {
        self.matches_nothing
            || self.offering_url_uuid.is_some()
            || !self.offering_uuids.is_empty()
            || !self.offering_slugs.is_empty()
            || self.parent_offering_uuid.is_some()
            || self.provider_uuid.is_some()
    }
}

/// One ordering key; the default and the tie-break are added by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderKey {
    /// What to order by.
    pub column: OrderColumn,
    /// `-` in front of the key.
    pub descending: bool,
}

/// The columns `o` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderColumn {
    /// The record's creation time.
    Created,
    /// The record's last change.
    Modified,
    /// The offering user's username.
    Username,
    /// The user's first name.
    UserFirstName,
    /// The user's last name.
    UserLastName,
}

/// Which page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PageRequest {
    /// No `page` parameter.
    #[default]
    First,
    /// `page=<n>`; 0 stands for a value that is not a positive number (always a 404).
    Number(i64),
    /// `page=last`.
    Last,
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Uuid = Uuid::from_u128(0xe2ef_0000_0000_0000_0000_0000_0000_0001);
    const B: Uuid = Uuid::from_u128(0xe2ef_0000_0000_0000_0000_0000_0000_0002);

    #[test]
    fn a_single_offering_is_one_uuid_and_no_other_offering_filter() {
        let uuids = |uuids: &[Uuid]| ListFilter { offering_uuids: uuids.to_vec(), ..Default::default() };
        let cases = [
            (ListFilter { states: vec![State::Ok], ..uuids(&[A]) }, Some(A)),
            (ListFilter { offering_url_uuid: Some(A), ..Default::default() }, Some(A)),
            (ListFilter { offering_url_uuid: Some(A), ..uuids(&[A]) }, Some(A)),
            (ListFilter { offering_url_uuid: Some(B), ..uuids(&[A]) }, None),
            (uuids(&[A, B]), None),
            (ListFilter { offering_slugs: vec!["x".into()], ..uuids(&[A]) }, None),
            (ListFilter { provider_uuid: Some(B), ..uuids(&[A]) }, None),
            (ListFilter { matches_nothing: true, ..uuids(&[A]) }, None),
            (ListFilter { states: vec![State::Ok], ..Default::default() }, None),
        ];
        for (filter, expected) in cases {
            assert_eq!(filter.single_offering_uuid(), expected, "{filter:?}");
        }
    }

    #[test]
    fn offering_filters_are_those_that_name_offerings() {
        let cases = [
            (ListFilter::default(), false),
            (ListFilter { user_uuid: Some(A), states: vec![State::Ok], ..Default::default() }, false),
            (ListFilter { matches_nothing: true, ..Default::default() }, true),
            (ListFilter { offering_url_uuid: Some(A), ..Default::default() }, true),
            (ListFilter { offering_slugs: vec!["x".into()], ..Default::default() }, true),
            (ListFilter { parent_offering_uuid: Some(A), ..Default::default() }, true),
            (ListFilter { provider_uuid: Some(A), ..Default::default() }, true),
        ];
        for (filter, expected) in cases {
            assert_eq!(filter.has_offering_filter(), expected, "{filter:?}");
        }
    }
}
