//! The list's query parameters (offering-users.md §5, §6.2, §6.3; decisions.md 10–12):
//! parsed from the raw query pairs into typed filters, or into the DRF error body.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::state::State;

/// Default page size (DRF `PAGE_SIZE`).
pub const DEFAULT_PAGE_SIZE: i64 = 10;
/// Larger page sizes are clamped to this (decisions.md 12).
pub const MAX_PAGE_SIZE: i64 = 300;

/// Everything a list request can ask for, validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListParams {
    pub filter: ListFilter,
    pub order: Vec<OrderKey>,
    pub page: PageRequest,
    pub page_size: i64,
    pub fields: FieldSet,
}

/// The filters, ANDed together after visibility.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    /// `offering` was given but names no provider offering: nothing matches.
    pub matches_nothing: bool,
    /// `offering` URL resolved to this uuid.
    pub offering_url_uuid: Option<Uuid>,
    pub offering_uuids: Vec<Uuid>,
    pub offering_slugs: Vec<String>,
    pub parent_offering_uuid: Option<Uuid>,
    pub provider_uuid: Option<Uuid>,
    pub user_uuid: Option<Uuid>,
    /// Case-insensitive exact match on the user's username.
    pub user_username: Option<String>,
    /// Case-sensitive exact match on the offering user's username (newer clients).
    pub username: Option<String>,
    pub is_restricted: Option<bool>,
    pub states: Vec<State>,
    pub has_consent: Option<bool>,
    pub created_after: Option<DateTime<Utc>>,
    pub modified_after: Option<DateTime<Utc>>,
    /// Case-insensitive substring over offering name, username, user's first and last name.
    pub query: Option<String>,
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

    /// Whether the filter uses only offering-level filters, states and the restriction flag:
    /// the counters kept per (offering, state, restriction) then answer a count exactly.
    pub fn countable_from_counters(&self) -> bool {
        self.user_uuid.is_none()
            && self.user_username.is_none()
            && self.username.is_none()
            && self.has_consent.is_none()
            && self.created_after.is_none()
            && self.modified_after.is_none()
            && self.query.is_none()
    }
}

/// One ordering key; the default and the tie-break are added by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderKey {
    pub column: OrderColumn,
    pub descending: bool,
}

/// The columns `o` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderColumn {
    Created,
    Modified,
    Username,
    UserFirstName,
    UserLastName,
}

/// Which page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PageRequest {
    #[default]
    First,
    Number(i64),
    Last,
}

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
    /// State labels of [`super::state::ALL_STATES`], repeated and/or comma-separated.
    States,
    /// Ordering keys of [`ORDERING`], repeated and/or comma-separated.
    Ordering,
    /// Names of [`FIELDS`], repeated and/or comma-separated.
    Fields,
    /// A page number (or `last`).
    Page,
    /// A page size, clamped to [`MAX_PAGE_SIZE`].
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

/// Every query parameter [`parse_list_params`] reads, in the API reference's order (plus
/// `username` of newer clients). The parser reads parameters only through this table, and
/// the OpenAPI document lists exactly these.
pub const LIST_PARAMETERS: [ListParameter; 18] = [
    param("created", ParamKind::DateTime, "Created after"),
    param("field", ParamKind::Fields, "Fields to return"),
    param("has_consent", ParamKind::Boolean, "User Has Consent"),
    param("is_restricted", ParamKind::NullBoolean, "Is restricted"),
    param("modified", ParamKind::DateTime, "Modified after"),
    param("o", ParamKind::Ordering, "Ordering"),
    param("offering", ParamKind::OfferingUrl, "Provider offering URL"),
    param("offering_slug", ParamKind::Texts, "Multiple values may be separated by commas."),
    param("offering_uuid", ParamKind::Uuids, "Multiple values may be separated by commas."),
    param("page", ParamKind::Page, "A page number within the paginated result set."),
    param("page_size", ParamKind::PageSize, "Number of results to return per page."),
    param("parent_offering_uuid", ParamKind::Uuid, "Parent offering UUID"),
    param("provider_uuid", ParamKind::Uuid, "Provider UUID"),
    param("query", ParamKind::Text, "Search by offering name, username or user name"),
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

/// Django's message for a NUL character in a text field.
pub const NULL_CHARACTERS: &str = "Null characters are not allowed.";

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

/// Why a list request is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum ListParamsError {
    /// 400 with this DRF body: every invalid value, under its parameter's name.
    Invalid(Value),
    /// 404: the `offering` URL's path resolves to no route (offering-users.md §5). The
    /// values are valid otherwise; upstream validates them before it resolves the URL.
    NoRoute,
}

/// Parses the query pairs of a list request. Unknown parameters are ignored; every invalid
/// value is reported at once, under its parameter's name. `script_prefix` is the path the
/// server is published under (`/waldur`, or empty): hyperlinks carry it in front of the
/// API's paths.
pub fn parse_list_params(pairs: &[(String, String)], script_prefix: &str) -> Result<ListParams, ListParamsError> {
    let mut errors = Map::new();
    let mut params = ListParams { page_size: DEFAULT_PAGE_SIZE, ..Default::default() };
    fn values<'p>(pairs: &'p [(String, String)], key: &'p str) -> impl Iterator<Item = &'p str> {
        // Every parameter read here is documented (LIST_PARAMETERS feeds the OpenAPI document).
        debug_assert!(LIST_PARAMETERS.iter().any(|p| p.name == key), "undocumented list parameter {key}");
        pairs.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }
    let last = |key: &'static str| values(pairs, key).last();
    let f = &mut params.filter;

    let mut no_route = false;
    if let Some(url) = last("offering").filter(|v| !v.is_empty()) {
        match resolve_offering_url(url, script_prefix) {
            OfferingUrl::Offering(uuid) => f.offering_url_uuid = Some(uuid),
            OfferingUrl::NoOffering => f.matches_nothing = true,
            OfferingUrl::NoRoute => no_route = true,
        }
    }
    f.offering_uuids = uuid_list(values(pairs, "offering_uuid"), "offering_uuid", &mut errors);
    // Django's form fields refuse NUL characters (PostgreSQL cannot store or compare them).
    for p in LIST_PARAMETERS.iter().filter(|p| matches!(p.kind, ParamKind::Text | ParamKind::Texts)) {
        if values(pairs, p.name).any(|v| v.contains('\0')) {
            push_error(&mut errors, p.name, NULL_CHARACTERS.into());
        }
    }
    f.offering_slugs = values(pairs, "offering_slug")
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect();
    f.parent_offering_uuid = single_uuid(last("parent_offering_uuid"), "parent_offering_uuid", &mut errors);
    f.provider_uuid = single_uuid(last("provider_uuid"), "provider_uuid", &mut errors);
    f.user_uuid = single_uuid(last("user_uuid"), "user_uuid", &mut errors);
    f.user_username = last("user_username").filter(|v| !v.is_empty()).map(str::to_owned);
    f.username = last("username").filter(|v| !v.is_empty()).map(str::to_owned);
    f.is_restricted = last("is_restricted").and_then(null_boolean);
    f.has_consent = last("has_consent").and_then(boolean_widget);
    for label in values(pairs, "state").flat_map(|v| v.split(',')).filter(|v| !v.is_empty()) {
        match State::from_label(label) {
            Some(state) if !f.states.contains(&state) => f.states.push(state),
            Some(_) => {}
            None => push_error(&mut errors, "state", invalid_choice(label)),
        }
    }
    f.created_after = date_time(last("created"), "created", &mut errors);
    f.modified_after = date_time(last("modified"), "modified", &mut errors);
    f.query = last("query").map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);

    for name in values(pairs, "o").flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty()) {
        match order_key(name) {
            Some(key) => params.order.push(key),
            None => push_error(&mut errors, "o", invalid_choice(name)),
        }
    }

    params.page = match last("page") {
        None | Some("") => PageRequest::First,
        Some("last") => PageRequest::Last,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 1 => PageRequest::Number(n),
            // DRF answers a non-numeric or non-positive page with "Invalid page."; 0 marks it.
            _ => PageRequest::Number(0),
        },
    };
    params.page_size = match last("page_size").and_then(|v| v.parse::<i64>().ok()) {
        Some(n) if n > 0 => n.min(MAX_PAGE_SIZE),
        _ => DEFAULT_PAGE_SIZE,
    };
    params.fields = FieldSet::from_names(values(pairs, "field"));

    if !errors.is_empty() {
        Err(ListParamsError::Invalid(Value::Object(errors)))
    } else if no_route {
        Err(ListParamsError::NoRoute)
    } else {
        Ok(params)
    }
}

/// What the `offering` filter's URL names, resolved as upstream's `URLFilter` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferingUrl {
    /// The provider-offering detail route with this uuid.
    Offering(Uuid),
    /// A value without a path (a bare uuid), another route, or a lookup that is not a uuid:
    /// the filter matches nothing.
    NoOffering,
    /// A path that resolves to no route: upstream's resolver answers 404.
    NoRoute,
}

/// Resolves an `offering` value (an absolute URL or a path). `script_prefix` in front of the
/// path is dropped first, as DRF drops it from hyperlinks.
///
/// We do not hold Waldur's URL configuration, so a path "resolves" when it has the shape of
/// its DRF router's routes: `/api/`, `/api/<resource>/`, `/api/<resource>/<lookup>/` or
/// `/api/<resource>/<lookup>/<action>/`, the trailing slash optional (decisions.md 3).
/// Everything else (`/`, `/admin/x/`, `/api/a/b/c/d/`, `/api//x/`) resolves to nothing.
pub fn resolve_offering_url(value: &str, script_prefix: &str) -> OfferingUrl {
    // urlparse: after `scheme://` the network location runs to the first `/`, `?` or `#`.
    let path = match value.find("://") {
        Some(i) => {
            let rest = &value[i + 3..];
            match rest.find(['/', '?', '#']) {
                Some(p) if rest[p..].starts_with('/') => &rest[p..],
                _ => return OfferingUrl::NoOffering,
            }
        }
        None => value,
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    if !path.starts_with('/') {
        return OfferingUrl::NoOffering;
    }
    let path = strip_script_prefix(path, script_prefix);
    let Some(segments) = api_route_segments(path) else { return OfferingUrl::NoRoute };
    match segments.as_slice() {
        ["marketplace-provider-offerings", lookup] => {
            Uuid::parse_str(lookup).map(OfferingUrl::Offering).unwrap_or(OfferingUrl::NoOffering)
        }
        _ => OfferingUrl::NoOffering,
    }
}

/// `path` without the script prefix in front of it (DRF strips `get_script_prefix()` from a
/// hyperlink before resolving it); unchanged when it does not start with the prefix.
pub fn strip_script_prefix<'a>(path: &'a str, prefix: &str) -> &'a str {
    match path.strip_prefix(prefix) {
        Some(rest) if !prefix.is_empty() && rest.starts_with('/') => rest,
        _ => path,
    }
}

/// The segments after `/api/` of a path shaped like a DRF router route (at most three, none
/// empty), or `None`.
fn api_route_segments(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix("/api")?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let rest = rest.strip_prefix('/')?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let segments: Vec<&str> = rest.split('/').collect();
    (segments.len() <= 3 && segments.iter().all(|s| !s.is_empty())).then_some(segments)
}

fn push_error(errors: &mut Map<String, Value>, key: &str, message: String) {
    let entry = errors.entry(key.to_owned()).or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = entry {
        // DRF reports one message per field.
        if list.is_empty() {
            list.push(Value::String(message));
        }
    }
}

fn invalid_choice(value: &str) -> String {
    format!("Select a valid choice. {value} is not one of the available choices.")
}

/// A UUID, or a URL whose last path segment is one (newer upstream's `RelatedUUIDFilter`).
fn parse_uuid_or_url(value: &str) -> Option<Uuid> {
    let value = value.trim();
    Uuid::parse_str(value).ok().or_else(|| {
        let last = value.trim_end_matches('/').rsplit('/').next()?;
        if value.contains('/') {
            Uuid::parse_str(last).ok()
        } else {
            None
        }
    })
}

fn uuid_list<'a>(raw: impl Iterator<Item = &'a str>, key: &str, errors: &mut Map<String, Value>) -> Vec<Uuid> {
    let mut out = Vec::new();
    for item in raw.flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty()) {
        match parse_uuid_or_url(item) {
            Some(uuid) if !out.contains(&uuid) => out.push(uuid),
            Some(_) => {}
            None => push_error(errors, key, "Enter a valid UUID.".into()),
        }
    }
    out
}

fn single_uuid(raw: Option<&str>, key: &str, errors: &mut Map<String, Value>) -> Option<Uuid> {
    let raw = raw.filter(|v| !v.trim().is_empty())?;
    let parsed = parse_uuid_or_url(raw);
    if parsed.is_none() {
        push_error(errors, key, "Enter a valid UUID.".into());
    }
    parsed
}

/// Django's NullBooleanSelect: true/True/false/False and the legacy 2/3; anything else means
/// "no filter".
fn null_boolean(value: &str) -> Option<bool> {
    match value {
        "true" | "True" | "2" => Some(true),
        "false" | "False" | "3" => Some(false),
        _ => None,
    }
}

/// django-filter's BooleanWidget: true/false/1/0 in any case; anything else is ignored.
fn boolean_widget(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn date_time(raw: Option<&str>, key: &str, errors: &mut Map<String, Value>) -> Option<DateTime<Utc>> {
    let raw = raw.map(str::trim).filter(|v| !v.is_empty())?;
    let parsed = parse_date_time(raw);
    if parsed.is_none() {
        push_error(errors, key, "Enter a valid date/time.".into());
    }
    parsed
}

/// An ISO-8601 date or date-time; naive values are UTC, a date alone is midnight UTC.
pub fn parse_date_time(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(value) {
        return Some(dt.with_timezone(&Utc));
    }
    let normalized = value.replacen(' ', "T", 1);
    if let Ok(dt) = DateTime::parse_from_rfc3339(&normalized) {
        return Some(dt.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M%:z", "%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"] {
        if let Ok(dt) = DateTime::parse_from_str(&normalized, format) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(&normalized, format) {
            return Some(naive.and_utc());
        }
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|naive| naive.and_utc())
}

fn order_key(name: &str) -> Option<OrderKey> {
    let (descending, column) = match name.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, name),
    };
    let column = ORDERING.iter().find(|(key, _)| *key == column)?.1;
    Some(OrderKey { column, descending })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(query: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
    }

    #[test]
    fn repeated_and_comma_separated_offering_uuids_are_united() {
        let a = "e2ef0000000000000000000000000001";
        let b = "e2ef0000-0000-0000-0000-000000000002";
        let params = parse_list_params(&pairs(&format!("offering_uuid={a},{b}&offering_uuid={a}")), "").unwrap();
        assert_eq!(params.filter.offering_uuids.len(), 2);
    }

    #[test]
    fn invalid_values_are_reported_per_parameter() {
        let cases = [
            ("offering_uuid=not-a-uuid", json!({"offering_uuid": ["Enter a valid UUID."]})),
            (
                "state=NonexistentState",
                json!({"state": ["Select a valid choice. NonexistentState is not one of the available choices."]}),
            ),
            ("state=5", json!({"state": ["Select a valid choice. 5 is not one of the available choices."]})),
            ("created=yesterday", json!({"created": ["Enter a valid date/time."]})),
            ("o=name", json!({"o": ["Select a valid choice. name is not one of the available choices."]})),
            ("user_uuid=x", json!({"user_uuid": ["Enter a valid UUID."]})),
            ("query=a%00b", json!({"query": ["Null characters are not allowed."]})),
            ("offering_slug=a,b%00", json!({"offering_slug": ["Null characters are not allowed."]})),
        ];
        for (query, expected) in cases {
            assert_eq!(
                parse_list_params(&pairs(query), "").unwrap_err(),
                ListParamsError::Invalid(expected),
                "{query}"
            );
        }
    }

    #[test]
    fn booleans_follow_djangos_widgets() {
        let cases = [
            ("is_restricted=true", Some(true)),
            ("is_restricted=False", Some(false)),
            ("is_restricted=1", None),
            ("is_restricted=yes", None),
        ];
        for (query, expected) in cases {
            assert_eq!(parse_list_params(&pairs(query), "").unwrap().filter.is_restricted, expected, "{query}");
        }
        assert_eq!(parse_list_params(&pairs("has_consent=1"), "").unwrap().filter.has_consent, Some(true));
        assert_eq!(parse_list_params(&pairs("has_consent=FALSE"), "").unwrap().filter.has_consent, Some(false));
        assert_eq!(parse_list_params(&pairs("has_consent=maybe"), "").unwrap().filter.has_consent, None);
    }

    #[test]
    fn date_times_accept_the_forms_clients_send() {
        let expected = "2025-01-02T03:04:05Z".parse::<DateTime<Utc>>().unwrap();
        for value in
            ["2025-01-02T03:04:05Z", "2025-01-02T03:04:05+00:00", "2025-01-02 03:04:05", "2025-01-02T05:04:05+02:00"]
        {
            assert_eq!(parse_date_time(value), Some(expected), "{value}");
        }
        assert_eq!(parse_date_time("2025-01-02"), Some("2025-01-02T00:00:00Z".parse().unwrap()));
        assert_eq!(parse_date_time("2025-01-02T10:00"), Some("2025-01-02T10:00:00Z".parse().unwrap()));
        assert_eq!(parse_date_time("02/01/2025"), None);
    }

    #[test]
    fn page_size_is_clamped_and_bad_values_fall_back_to_the_default() {
        let size = |q: &str| parse_list_params(&pairs(q), "").unwrap().page_size;
        assert_eq!(size("page_size=1000"), 300);
        assert_eq!(size("page_size=0"), 10);
        assert_eq!(size("page_size=abc"), 10);
        assert_eq!(size("page_size=25"), 25);
        let page = |q: &str| parse_list_params(&pairs(q), "").unwrap().page;
        assert_eq!(page("page=last"), PageRequest::Last);
        assert_eq!(page("page=abc"), PageRequest::Number(0));
        assert_eq!(page(""), PageRequest::First);
    }

    #[test]
    fn offering_url_must_be_a_provider_offering_route() {
        let uuid = "9c08033f78464e06a273ed0d98ccac1e";
        let offering = OfferingUrl::Offering(Uuid::parse_str(uuid).unwrap());
        let cases = [
            (format!("http://host:8000/api/marketplace-provider-offerings/{uuid}/"), offering),
            (format!("http://host/api/marketplace-provider-offerings/{uuid}"), offering),
            (format!("/api/marketplace-provider-offerings/{uuid}/?x=1#f"), offering),
            // Another route, a lookup that is not a uuid, no path at all: nothing matches.
            (format!("http://host/api/marketplace-public-offerings/{uuid}/"), OfferingUrl::NoOffering),
            ("http://host/api/marketplace-provider-offerings/xyz/".into(), OfferingUrl::NoOffering),
            (format!("http://host/api/marketplace-provider-offerings/{uuid}/update_users/"), OfferingUrl::NoOffering),
            ("http://host/api/".into(), OfferingUrl::NoOffering),
            (uuid.into(), OfferingUrl::NoOffering),
            ("http://host".into(), OfferingUrl::NoOffering),
            ("http://host?x=/api/".into(), OfferingUrl::NoOffering),
            // Paths no route has: upstream's 404.
            ("http://host/".into(), OfferingUrl::NoRoute),
            ("/nowhere/".into(), OfferingUrl::NoRoute),
            (format!("http://host/apix/marketplace-provider-offerings/{uuid}/"), OfferingUrl::NoRoute),
            ("http://host/api/a/b/c/d/".into(), OfferingUrl::NoRoute),
            ("http://host/api//b/".into(), OfferingUrl::NoRoute),
        ];
        for (value, expected) in cases {
            assert_eq!(resolve_offering_url(&value, ""), expected, "{value}");
        }
    }

    #[test]
    fn offering_url_under_a_script_prefix() {
        let uuid = "9c08033f78464e06a273ed0d98ccac1e";
        let offering = OfferingUrl::Offering(Uuid::parse_str(uuid).unwrap());
        let prefixed = format!("https://x.org/waldur/api/marketplace-provider-offerings/{uuid}/");
        assert_eq!(resolve_offering_url(&prefixed, "/waldur"), offering);
        assert_eq!(resolve_offering_url(&prefixed, ""), OfferingUrl::NoRoute);
        let bare = format!("https://x.org/api/marketplace-provider-offerings/{uuid}/");
        assert_eq!(resolve_offering_url(&bare, "/waldur"), offering);
    }

    #[test]
    fn script_prefix_is_stripped_only_at_a_segment_boundary() {
        assert_eq!(strip_script_prefix("/waldur/api/users/x/", "/waldur"), "/api/users/x/");
        assert_eq!(strip_script_prefix("/waldurx/api/", "/waldur"), "/waldurx/api/");
        assert_eq!(strip_script_prefix("/api/users/", ""), "/api/users/");
    }

    #[test]
    fn invalid_values_win_over_an_unresolved_offering_url() {
        let both = parse_list_params(&pairs("offering=/nowhere/&user_uuid=x"), "");
        assert_eq!(both, Err(ListParamsError::Invalid(json!({"user_uuid": ["Enter a valid UUID."]}))));
        assert_eq!(parse_list_params(&pairs("offering=/nowhere/"), ""), Err(ListParamsError::NoRoute));
    }

    /// The reverse of the parser's `debug_assert`: every documented parameter changes the
    /// parse result, so the OpenAPI document lists nothing the parser ignores.
    #[test]
    fn every_documented_parameter_is_parsed() {
        let uuid = "9c08033f78464e06a273ed0d98ccac1e";
        let default = parse_list_params(&[], "").unwrap();
        for p in LIST_PARAMETERS {
            let value = match p.kind {
                ParamKind::Text | ParamKind::Texts => "x".to_owned(),
                ParamKind::OfferingUrl => format!("http://h/api/marketplace-provider-offerings/{uuid}/"),
                ParamKind::Uuid | ParamKind::Uuids => uuid.to_owned(),
                ParamKind::NullBoolean | ParamKind::Boolean => "true".to_owned(),
                ParamKind::DateTime => "2025-01-02".to_owned(),
                ParamKind::States => "OK".to_owned(),
                ParamKind::Ordering => ORDERING[0].0.to_owned(),
                ParamKind::Fields => FIELDS[0].to_owned(),
                ParamKind::Page | ParamKind::PageSize => "2".to_owned(),
            };
            let parsed = parse_list_params(&[(p.name.to_owned(), value)], "").unwrap();
            assert_ne!(parsed, default, "{} is documented but not parsed", p.name);
        }
    }

    #[test]
    fn field_selection_ignores_unknown_names() {
        let set = FieldSet::from_names(["uuid", "state,bogus"]);
        assert!(set.contains(1) && set.contains(16) && !set.contains(0));
        assert_eq!(FieldSet::from_names(["bogus"]), FieldSet::ALL);
    }

    #[test]
    fn only_a_lone_offering_uuid_is_a_single_offering() {
        let a = "e2ef0000000000000000000000000001";
        let single = |q: &str| parse_list_params(&pairs(q), "").unwrap().filter.single_offering_uuid().is_some();
        assert!(single(&format!("offering_uuid={a}&state=OK")));
        assert!(single(&format!("offering_uuid={a}&offering_uuid={a}")));
        assert!(!single(&format!("offering_uuid={a},e2ef0000000000000000000000000002")));
        assert!(!single(&format!("offering_uuid={a}&offering_slug=x")));
        assert!(!single("state=OK"));
    }
}
