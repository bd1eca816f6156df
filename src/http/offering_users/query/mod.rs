//! The list's query string (docs/spec/offering-users.md §5, §6.2, §6.3; docs/spec/decisions.md 10–12): the raw
//! pairs parsed into the filter model, or into the DRF error body and status.

mod newer_filters;
mod offering_url;
mod parameters;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use newer_filters::parse_newer_filters;
use offering_url::{resolve_offering_url, OfferingUrl};
pub use parameters::{ListParameter, ParamKind, LIST_PARAMETERS, ORDERING};

use super::fields::FieldSet;
use crate::domain::listing::{ListFilter, OrderKey, PageRequest, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::domain::state::State;
use crate::error::ApiError;

/// Everything a list request can ask for, validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct ListParams {
    pub filter: ListFilter,
    /// The `o` keys, in the order given.
    pub order: Vec<OrderKey>,
    pub page: PageRequest,
    /// Clamped to [`MAX_PAGE_SIZE`].
    pub page_size: i64,
    /// The representation's fields to return.
    pub fields: FieldSet,
}

/// Django's message for a NUL character in a text field.
pub(super) const NULL_CHARACTERS: &str = "Null characters are not allowed.";

/// Why a list request is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum ListParamsError {
    /// 400 with this DRF body: every invalid value, under its parameter's name.
    Invalid(Value),
    /// 404: the `offering` URL's path resolves to no route (docs/spec/offering-users.md §5). The
    /// values are valid otherwise; upstream validates them before it resolves the URL.
    NoRoute,
}

impl From<ListParamsError> for ApiError {
    fn from(e: ListParamsError) -> ApiError {
        match e {
            ListParamsError::Invalid(body) => ApiError::Invalid(body),
            // Django's resolver raises Http404, which DRF answers with its generic message.
            ListParamsError::NoRoute => ApiError::NotFound("Not found."),
        }
    }
}

/// Parses the query pairs of a list request. Unknown parameters are ignored; every invalid
/// value is reported at once, under its parameter's name. `script_prefix` is the path the
/// server is published under (`/waldur`, or empty): hyperlinks carry it in front of the
/// API's paths.
pub(super) fn parse_list_params(
    pairs: &[(String, String)],
    script_prefix: &str,
) -> Result<ListParams, ListParamsError> {
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
    parse_newer_filters(last, |key| values(pairs, key).collect(), f, &mut errors);

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
pub(super) fn parse_date_time(value: &str) -> Option<DateTime<Utc>> {
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
    use crate::http::offering_users::FIELDS;
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
                ParamKind::RuntimeStates => "Active".to_owned(),
                ParamKind::Ordering => ORDERING[0].0.to_owned(),
                ParamKind::Fields => FIELDS[0].to_owned(),
                ParamKind::Page | ParamKind::PageSize => "2".to_owned(),
            };
            let parsed = parse_list_params(&[(p.name.to_owned(), value)], "").unwrap();
            assert_ne!(parsed, default, "{} is documented but not parsed", p.name);
        }
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
