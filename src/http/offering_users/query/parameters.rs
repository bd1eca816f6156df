//! The list's query parameters as data: their names, how each value is read, and what
//! `o` accepts. The parser reads parameters only through this table, and the OpenAPI
//! document lists exactly these.

use crate::domain::listing::OrderColumn;

/// How a list parameter's value is read; the OpenAPI document derives its schema from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// Free text.
    Text,
    /// A hyperlink to a provider offering.
    OfferingUrl,
    /// One UUID (or a URL ending in one).
    Uuid,
    /// UUIDs, repeated and/or comma-separated, united.
    Uuids,
    /// Texts, repeated and/or comma-separated, united.
    Texts,
    /// Django's NullBooleanSelect (`true`/`false`; anything else: no filter).
    NullBoolean,
    /// django-filter's BooleanWidget (`true`/`false`/`1`/`0`; anything else: no filter).
    Boolean,
    /// An ISO-8601 date or date-time.
    DateTime,
    /// State labels of [`ALL_STATES`](crate::domain::state::ALL_STATES), repeated and/or comma-separated.
    States,
    /// Runtime-state labels of [`ALL_RUNTIME_STATES`](crate::domain::runtime_state::ALL_RUNTIME_STATES),
    /// repeated and/or comma-separated.
    RuntimeStates,
    /// Ordering keys of [`ORDERING`], repeated and/or comma-separated.
    Ordering,
    /// Names of [`FIELDS`](crate::http::offering_users::FIELDS), repeated and/or comma-separated.
    Fields,
    /// A page number (or `last`).
    Page,
    /// A page size, clamped to [`MAX_PAGE_SIZE`](crate::domain::listing::MAX_PAGE_SIZE).
    PageSize,
}

/// One query parameter the list understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListParameter {
    pub name: &'static str,
    pub kind: ParamKind,
    pub description: &'static str,
}

const fn param(name: &'static str, kind: ParamKind, description: &'static str) -> ListParameter {
    ListParameter { name, kind, description }
}

/// Every query parameter `parse_list_params` reads, in alphabetical order as the SDK lists
/// them: the API reference's, plus those of newer clients (`username`, and the filters of
/// docs/spec/offering-users-2026.md §5). The parser reads parameters only through this table,
/// and the OpenAPI document lists exactly these.
pub const LIST_PARAMETERS: [ListParameter; 25] = [
    param("created", ParamKind::DateTime, "Created after"),
    param("created_before", ParamKind::DateTime, "Created before"),
    param("field", ParamKind::Fields, "Fields to return"),
    param(
        "has_complete_profile",
        ParamKind::Boolean,
        "Profile complete for the offering's exposed attributes (offerings with an explicit exposure config)",
    ),
    param("has_consent", ParamKind::Boolean, "User Has Consent"),
    param("is_provider_backed", ParamKind::Boolean, "Backed by a service provider account"),
    param("is_restricted", ParamKind::NullBoolean, "Is restricted"),
    param("modified", ParamKind::DateTime, "Modified after"),
    param("modified_before", ParamKind::DateTime, "Modified before"),
    param("o", ParamKind::Ordering, "Ordering"),
    param("offering", ParamKind::OfferingUrl, "Provider offering URL"),
    param("offering_has_active_tos", ParamKind::Boolean, "Offering has active terms of service"),
    param("offering_slug", ParamKind::Texts, "Multiple values may be separated by commas."),
    param("offering_uuid", ParamKind::Uuids, "Multiple values may be separated by commas."),
    param("page", ParamKind::Page, "A page number within the paginated result set."),
    param("page_size", ParamKind::PageSize, "Number of results to return per page."),
    param("parent_offering_uuid", ParamKind::Uuid, "Parent offering UUID"),
    param("provider_uuid", ParamKind::Uuid, "Provider UUID"),
    param("query", ParamKind::Text, "Search by offering name, username, user name, UID or primary GID"),
    param("runtime_state", ParamKind::RuntimeStates, "Runtime state"),
    param("service_provider_account_uuid", ParamKind::Uuid, "Service provider account UUID"),
    param("state", ParamKind::States, "Offering user state"),
    param("user_username", ParamKind::Text, "User username"),
    param("user_uuid", ParamKind::Uuid, "User UUID"),
    param("username", ParamKind::Text, "Offering user username (exact)"),
];

/// The ordering keys `o` accepts (each also with a leading `-`).
pub const ORDERING: [(&str, OrderColumn); 5] = [
    ("created", OrderColumn::Created),
    ("modified", OrderColumn::Modified),
    ("username", OrderColumn::Username),
    ("user_first_name", OrderColumn::UserFirstName),
    ("user_last_name", OrderColumn::UserLastName),
];
