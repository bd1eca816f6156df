//! `GET`/`HEAD /api/events/` and `GET /api/events/{uuid}/`: the offering-user events, in the
//! shape of Waldur's event log (`uuid`, `created`, `event_type`, `message`, `context`), with
//! the filters the SDK's `events_list` / `events_count` / `events_retrieve` send. A caller
//! sees the events of exactly the records he may see (`store::events`).

use axum::extract::State;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::pagination::{page_params, Page};
use super::path_uuid::{EventRecord, EventUuid, PathRecord, PathUuid};
use super::request::{script_prefix, strip_script_prefix, BaseUrl, QueryPairs};
use super::routes::{allow, both};
use super::wire::{Hex, Timestamp};
use super::AppState;
use crate::domain::events::{EventFilter, EventScope, EventType};
use crate::domain::listing::{PageRequest, DEFAULT_PAGE_SIZE};
use crate::domain::principal::Caller;
use crate::error::{ApiError, ApiResult};
use crate::store::events::{self, EventRow};

pub(super) fn router() -> Router<AppState> {
    let r = both(Router::new(), "/api/events/", allow("GET, HEAD, OPTIONS", get(list)));
    both(r, "/api/events/{uuid}/", allow("GET, HEAD, OPTIONS", get(retrieve)))
}

/// The representation's fields, in upstream's order (the SDK's `EventFieldEnum`).
const FIELDS: [&str; 5] = ["uuid", "created", "event_type", "message", "context"];

/// Everything a list request asks for.
#[derive(Debug, Default)]
struct EventParams {
    filter: EventFilter,
    page: PageRequest,
    page_size: i64,
    /// The `field` values that name a field; empty: all.
    fields: Vec<&'static str>,
}

fn last<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
}

fn values<'a>(pairs: &'a [(String, String)], key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    pairs.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn push_error(errors: &mut Map<String, Value>, key: &str, message: String) {
    errors.entry(key.to_owned()).or_insert_with(|| Value::Array(vec![Value::String(message)]));
}

/// The query string of a list, or the 400 of its invalid values (all reported at once).
fn parse_params(pairs: &[(String, String)], prefix: &str) -> ApiResult<EventParams> {
    let mut errors = Map::new();
    let mut params = EventParams { page_size: DEFAULT_PAGE_SIZE, ..Default::default() };
    let filter = &mut params.filter;

    // Event types of other kinds are valid upstream; no offering-user event has them.
    let mut unknown_type = false;
    for name in values(pairs, "event_type").flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty()) {
        match EventType::from_name(name) {
            Some(t) if !filter.event_types.contains(&t) => filter.event_types.push(t),
            Some(_) => {}
            None => unknown_type = true,
        }
    }
    if unknown_type && filter.event_types.is_empty() {
        filter.matches_nothing = true;
    }
    if let Some(scope) = last(pairs, "scope") {
        match parse_scope(scope, prefix) {
            Some(scope) => filter.scope = Some(scope),
            None => filter.matches_nothing = true,
        }
    }
    filter.created_from = timestamp(last(pairs, "created_from"), "created_from", &mut errors);
    filter.created_to = timestamp(last(pairs, "created_to"), "created_to", &mut errors);
    filter.user_uuid = uuid_param(last(pairs, "user_uuid"), "user_uuid", &mut errors);
    filter.customer_uuid = uuid_param(last(pairs, "customer_uuid"), "customer_uuid", &mut errors);
    // Offering-user events belong to no project.
    if uuid_param(last(pairs, "project_uuid"), "project_uuid", &mut errors).is_some() {
        filter.matches_nothing = true;
    }
    for name in values(pairs, "o").flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty()) {
        match name {
            "created" => filter.oldest_first = true,
            "-created" => filter.oldest_first = false,
            other => push_error(
                &mut errors,
                "o",
                format!("Select a valid choice. {other} is not one of the available choices."),
            ),
        }
    }
    (params.page, params.page_size) = page_params(pairs);
    params.fields = requested_fields(pairs);
    if errors.is_empty() {
        Ok(params)
    } else {
        Err(ApiError::Invalid(Value::Object(errors)))
    }
}

/// The `field` values that name a field (unknown ones are ignored, as upstream's
/// `RestrictedSerializerMixin` does).
fn requested_fields(pairs: &[(String, String)]) -> Vec<&'static str> {
    let asked: Vec<&str> = values(pairs, "field").flat_map(|v| v.split(',')).map(str::trim).collect();
    FIELDS.into_iter().filter(|f| asked.contains(f)).collect()
}

/// A Unix timestamp (seconds, a fraction allowed), as upstream's `TimestampFilter` reads it.
fn timestamp(raw: Option<&str>, key: &str, errors: &mut Map<String, Value>) -> Option<DateTime<Utc>> {
    let raw = raw?.trim();
    // Any finite number is a time; beyond ±3000 years of the epoch it is clamped there (no
    // event is that old or that new), so a filter never fails on a large value.
    const LIMIT: f64 = 9.4e10;
    let parsed = raw
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite())
        .and_then(|s| DateTime::from_timestamp_micros((s.clamp(-LIMIT, LIMIT) * 1e6).round() as i64));
    if parsed.is_none() {
        push_error(errors, key, "Enter a number.".into());
    }
    parsed
}

fn uuid_param(raw: Option<&str>, key: &str, errors: &mut Map<String, Value>) -> Option<Uuid> {
    let raw = raw?.trim();
    let parsed = Uuid::parse_str(raw).ok();
    if parsed.is_none() {
        push_error(errors, key, "Enter a valid UUID.".into());
    }
    parsed
}

/// What a `scope` URL (absolute, or a path) names: an offering user, a provider offering or a
/// customer. Anything else names no scope of an offering-user event.
fn parse_scope(value: &str, prefix: &str) -> Option<EventScope> {
    let url = url::Url::parse(value.trim()).ok();
    let path = match &url {
        Some(url) => url.path(),
        None => value.trim().split(['?', '#']).next().unwrap_or(""),
    };
    let path = strip_script_prefix(path, prefix);
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let ["api", resource, lookup] = segments.as_slice() else { return None };
    let uuid = Uuid::parse_str(lookup).ok()?;
    match *resource {
        "marketplace-offering-users" => Some(EventScope::OfferingUser(uuid)),
        "marketplace-provider-offerings" | "marketplace-public-offerings" => Some(EventScope::Offering(uuid)),
        "customers" => Some(EventScope::Customer(uuid)),
        _ => None,
    }
}

/// One event as the log shows it: only the requested fields, in upstream's order.
fn event_json(row: &EventRow, fields: &[&'static str]) -> Value {
    let facts = row.facts();
    let mut out = Map::new();
    for field in FIELDS {
        if !fields.is_empty() && !fields.contains(&field) {
            continue;
        }
        let value = match field {
            "uuid" => Value::String(Hex(row.event_uuid()).to_string()),
            "created" => Value::String(Timestamp(row.created).to_string()),
            "event_type" => Value::String(facts.event_type().name().to_owned()),
            "message" => Value::String(facts.message()),
            _ => facts.context(),
        };
        out.insert(field.to_owned(), value);
    }
    Value::Object(out)
}

/// The list: a bare JSON array with `X-Result-Count` and `Link`; `HEAD` answers the headers.
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    uri: Uri,
    BaseUrl(base): BaseUrl,
    QueryPairs(query): QueryPairs,
) -> ApiResult<Response> {
    let params = parse_params(&query, script_prefix(&state.settings))?;
    let gate = state.settings.enforce_user_consent;
    let mut conn = state.connection().await?;
    let count = events::count(&mut conn, &caller, gate, &params.filter).await?;
    let page = Page::resolve(params.page, count, params.page_size)?;
    let body = if method == Method::HEAD {
        Vec::new()
    } else {
        let rows = events::page(&mut conn, &caller, gate, &params.filter, page.size, page.offset()).await?;
        let items: Vec<Value> = rows.iter().map(|row| event_json(row, &params.fields)).collect();
        serde_json::to_vec(&items).map_err(|e| ApiError::internal("serializing a page of events", e))?
    };
    Ok(page.response(body, &base, uri.path(), &query))
}

/// One event the caller sees; 404 otherwise.
async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): EventUuid,
    QueryPairs(query): QueryPairs,
) -> ApiResult<Response> {
    let gate = state.settings.enforce_user_consent;
    let row = events::find_visible(&mut *state.connection().await?, &caller, gate, uuid)
        .await?
        .ok_or(ApiError::NotFound(EventRecord::NOT_FOUND))?;
    Ok(Json(event_json(&row, &requested_fields(&query))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
    }

    #[test]
    fn scopes_name_records_offerings_and_customers() {
        let u = "0123456789abcdef0123456789abcdef";
        let uuid = Uuid::parse_str(u).unwrap();
        let cases = [
            (format!("http://x/api/marketplace-offering-users/{u}/"), Some(EventScope::OfferingUser(uuid))),
            (format!("/api/marketplace-provider-offerings/{u}/"), Some(EventScope::Offering(uuid))),
            (format!("https://x/waldur/api/customers/{u}/"), Some(EventScope::Customer(uuid))),
            (format!("http://x/api/projects/{u}/"), None),
            ("nonsense".to_owned(), None),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_scope(&value, "/waldur"), expected, "{value}");
        }
    }

    #[test]
    fn bad_values_are_reported_under_their_names() {
        let error = parse_params(&pairs("created_from=x&user_uuid=nope&o=name"), "").unwrap_err();
        let ApiError::Invalid(body) = error else { panic!("not a 400") };
        assert_eq!(body["created_from"][0], "Enter a number.");
        assert_eq!(body["user_uuid"][0], "Enter a valid UUID.");
        assert!(body["o"][0].as_str().unwrap().starts_with("Select a valid choice."));
    }

    #[test]
    fn timestamps_and_types_are_read() {
        let params = parse_params(
            &pairs("created_from=1700000000.5&event_type=marketplace_offering_user_created&event_type=other&o=created"),
            "",
        )
        .unwrap();
        assert_eq!(params.filter.created_from.unwrap().timestamp_millis(), 1_700_000_000_500);
        assert_eq!(params.filter.event_types, vec![EventType::Created]);
        assert!(params.filter.oldest_first && !params.filter.matches_nothing);
        assert!(parse_params(&pairs("event_type=other"), "").unwrap().filter.matches_nothing);
    }
}
