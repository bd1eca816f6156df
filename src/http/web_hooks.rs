//! `/api/hooks-web/`: web hooks in the SDK's `WebHook` shape (upstream's `WebHookViewSet`).
//!
//! Ownership follows upstream's `StaffOrUserFilter`: a user lists, reads and changes only his
//! own hooks; staff reach every hook (support only their own). A hook delivers only the
//! events its owner may see at delivery time, whoever edited it.
//!
//! Beyond upstream: `secret` (the HMAC-SHA256 key of the `X-Waldur-Signature` header) is in
//! the answer to create only, and every hook shows its delivery state: `delivery_attempts`,
//! `delivered_events`, `pending_deliveries`, `consecutive_failures`, `last_delivery_at`,
//! `last_delivery_status`, `last_delivery_error`, `next_retry_at`.

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::body::RawBody;
use super::commit_gate;
use super::pagination::{page_params, Page};
use super::path_uuid::{PathRecord, PathUuid, WebHookRecord, WebHookUuid};
use super::request::{body_object, BaseUrl, QueryPairs};
use super::routes::{allow, both};
use super::wire::{Hex, Hyperlink, Timestamp};
use super::AppState;
use crate::domain::events::{EventType, ALL_EVENT_TYPES, USERS_GROUP};
use crate::domain::principal::Caller;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::store::web_hooks::{self as store, HookFilter, HookRow, HookWrite, Owner};
use crate::webhooks::destination::{check_destination, parse_destination};
use crate::webhooks::signature::new_secret;

/// The route, in front of a hook's hex uuid.
const ROUTE: &str = "/api/hooks-web/";
/// Hooks one user may own.
pub(super) const MAX_HOOKS_PER_USER: i64 = 20;
/// Items of `event_types` or `event_groups` one write may send.
pub(super) const MAX_LIST_ITEMS: usize = 50;

pub(super) fn router() -> Router<AppState> {
    let r = both(Router::new(), ROUTE, allow("GET, POST, HEAD, OPTIONS", get(list).post(create)));
    both(
        r,
        "/api/hooks-web/{uuid}/",
        allow(
            "GET, PUT, PATCH, DELETE, HEAD, OPTIONS",
            get(retrieve).put(update).patch(partial_update).delete(destroy),
        ),
    )
}

fn owner_of(caller: &Caller) -> Owner {
    if caller.is_staff {
        Owner::Anyone
    } else {
        Owner::User(caller.id)
    }
}

fn content_type_name(value: i16) -> &'static str {
    if value == 2 {
        "form"
    } else {
        "json"
    }
}

/// One hook as the SDK's `WebHook` reads it, then our delivery fields.
fn hook_json(row: &HookRow, base: &str) -> Value {
    let full_name = format!("{} {}", row.author_first_name, row.author_last_name).trim().to_owned();
    json!({
        "url": Hyperlink::new(base, ROUTE, row.uuid).to_string(),
        "uuid": Hex(row.uuid).to_string(),
        "is_active": row.is_active,
        "author_uuid": Hex(row.author_uuid).to_string(),
        "event_types": row.event_types,
        "event_groups": row.event_groups,
        "created": Timestamp(row.created).to_string(),
        "modified": Timestamp(row.modified).to_string(),
        "hook_type": "webhook",
        "author_fullname": full_name,
        "author_username": row.author_username,
        "author_email": row.author_email,
        "destination_url": row.destination_url,
        "content_type": content_type_name(row.content_type),
        "delivery_attempts": row.attempts,
        "delivered_events": row.delivered,
        "pending_deliveries": row.pending,
        "consecutive_failures": row.failures,
        "last_delivery_at": row.last_attempt_at.map(|t| Timestamp(t).to_string()),
        "last_delivery_status": row.last_status,
        "last_delivery_error": row.last_error,
        "next_retry_at": row.retry_at.map(|t| Timestamp(t).to_string()),
    })
}

/// The list's filters (unknown parameters are ignored).
fn parse_filter(pairs: &[(String, String)]) -> ApiResult<HookFilter> {
    let last = |key: &str| pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
    let mut errors = FieldErrors::default();
    let author_uuid = last("author_uuid").and_then(|v| {
        let parsed = Uuid::parse_str(v).ok();
        if parsed.is_none() {
            errors.add("author_uuid", "Enter a valid UUID.");
        }
        parsed
    });
    let content_type = match last("content_type") {
        None => None,
        Some("json") => Some(1),
        Some("form") => Some(2),
        Some(other) => {
            errors.add("content_type", format!("Select a valid choice. {other} is not one of the available choices."));
            None
        }
    };
    let is_active = last("is_active").and_then(|v| match v {
        "true" | "True" | "1" => Some(true),
        "false" | "False" | "0" => Some(false),
        _ => None,
    });
    // Django refuses a NUL in a text filter (PostgreSQL cannot hold one).
    let mut text = |key: &str| {
        let value = last(key)?;
        if value.contains('\0') {
            errors.add(key, "Null characters are not allowed.");
            return None;
        }
        Some(value.to_owned())
    };
    let (author_username, destination_url) = (text("author_username"), text("destination_url"));
    errors.into_result()?;
    Ok(HookFilter { author_uuid, author_username, is_active, destination_url, content_type })
}

/// `GET`/`HEAD /api/hooks-web/`: the hooks the caller reaches, newest first.
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    uri: Uri,
    BaseUrl(base): BaseUrl,
    QueryPairs(query): QueryPairs,
) -> ApiResult<Response> {
    let filter = parse_filter(&query)?;
    let (page_request, size) = page_params(&query);
    let owner = owner_of(&caller);
    let mut conn = state.connection().await?;
    let count = store::count(&mut conn, owner, &filter).await?;
    let page = Page::resolve(page_request, count, size)?;
    let body = if method == Method::HEAD {
        Vec::new()
    } else {
        let rows = store::page(&mut conn, owner, &filter, page.size, page.offset()).await?;
        let items: Vec<Value> = rows.iter().map(|row| hook_json(row, &base)).collect();
        serde_json::to_vec(&items).map_err(|e| ApiError::internal("serializing a page of hooks", e))?
    };
    Ok(page.response(body, &base, uri.path(), &query))
}

/// `GET /api/hooks-web/{uuid}/`
async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): WebHookUuid,
    BaseUrl(base): BaseUrl,
) -> ApiResult<Response> {
    let row = store::find(&mut *state.connection().await?, owner_of(&caller), uuid, false)
        .await?
        .ok_or(ApiError::NotFound(WebHookRecord::NOT_FOUND))?;
    Ok(Json(hook_json(&row, &base)).into_response())
}

/// What a write's body says, each field as given (`None`: absent).
#[derive(Debug, Default)]
struct HookInput {
    destination_url: Option<String>,
    is_active: Option<bool>,
    event_types: Option<Vec<String>>,
    event_groups: Option<Vec<String>>,
    content_type: Option<i16>,
}

/// DRF's `BooleanField` spellings.
fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) if n.as_i64() == Some(1) => Some(true),
        Value::Number(n) if n.as_i64() == Some(0) => Some(false),
        Value::String(s) => match s.as_str() {
            "true" | "True" | "TRUE" | "on" | "On" | "ON" | "1" | "yes" | "y" => Some(true),
            "false" | "False" | "FALSE" | "off" | "Off" | "OFF" | "0" | "no" | "n" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A `MultipleChoiceField`: a list of strings, each one of `choices`, at most
/// [`MAX_LIST_ITEMS`]; duplicates dropped, order kept.
fn choices(value: &Value, allowed: &[&str], field: &str, errors: &mut FieldErrors) -> Option<Vec<String>> {
    let Value::Array(items) = value else {
        let kind = match value {
            Value::String(_) => "str",
            Value::Object(_) => "dict",
            Value::Bool(_) => "bool",
            Value::Number(_) => "int",
            _ => "NoneType",
        };
        errors.add(field, format!("Expected a list of items but got type \"{kind}\"."));
        return None;
    };
    if items.len() > MAX_LIST_ITEMS {
        errors.add(field, format!("Ensure this field has no more than {MAX_LIST_ITEMS} elements."));
        return None;
    }
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let text = match item {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if !allowed.contains(&text.as_str()) {
            let shown: String = text.chars().take(100).collect();
            errors.add(field, format!("\"{shown}\" is not a valid choice."));
            return None;
        }
        if !out.contains(&text) {
            out.push(text);
        }
    }
    Some(out)
}

/// Reads and validates a write's body (shapes only; the destination's address is checked
/// after, see [`destination_errors`]). `full`: PUT or create, where `destination_url` is
/// required.
fn parse_input(headers: &HeaderMap, body: &axum::body::Bytes, full: bool) -> ApiResult<HookInput> {
    let body: Map<String, Value> = body_object(headers, body)?;
    let mut errors = FieldErrors::default();
    let mut input = HookInput::default();
    match body.get("destination_url") {
        None | Some(Value::Null) if full => errors.add("destination_url", "This field is required."),
        None => {}
        Some(Value::String(url)) => match parse_destination(url) {
            Ok(parsed) => input.destination_url = Some(parsed.to_string()),
            Err(message) => errors.add("destination_url", message),
        },
        Some(Value::Null) => errors.add("destination_url", "This field may not be null."),
        Some(_) => errors.add("destination_url", "Not a valid string."),
    }
    if let Some(value) = body.get("is_active") {
        match boolean(value) {
            Some(b) => input.is_active = Some(b),
            None => errors.add("is_active", "Must be a valid boolean."),
        }
    }
    let type_names: Vec<&str> = ALL_EVENT_TYPES.iter().map(|t| t.name()).collect();
    if let Some(value) = body.get("event_types") {
        input.event_types = choices(value, &type_names, "event_types", &mut errors);
    }
    if let Some(value) = body.get("event_groups") {
        input.event_groups = choices(value, &[USERS_GROUP], "event_groups", &mut errors);
    }
    if let Some(value) = body.get("content_type") {
        match value.as_str() {
            Some("json") => input.content_type = Some(1),
            Some("form") => input.content_type = Some(2),
            _ => {
                let shown = value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string());
                errors.add(
                    "content_type",
                    format!("\"{}\" is not a valid choice.", shown.chars().take(100).collect::<String>()),
                )
            }
        }
    }
    errors.into_result()?;
    Ok(input)
}

/// The address check of a destination, as a 400 on `destination_url`.
async fn destination_errors(state: &AppState, url: &str) -> ApiResult<()> {
    let parsed = parse_destination(url).map_err(|m| ApiError::field("destination_url", m))?;
    check_destination(&parsed, state.settings.webhooks.allow_private)
        .await
        .map_err(|m| ApiError::field("destination_url", m))
}

/// The types a hook receives: those named, and those of the groups named (upstream's
/// `expand_event_groups`), sorted as upstream sorts them.
fn expanded(types: &[String], groups: &[String]) -> Vec<String> {
    let mut all: Vec<String> = types.to_vec();
    if groups.iter().any(|g| g == USERS_GROUP) {
        all.extend(ALL_EVENT_TYPES.iter().map(|t: &EventType| t.name().to_owned()));
    }
    all.sort();
    all.dedup();
    all
}

/// `POST /api/hooks-web/`: 201 with the hook and, this once, its secret.
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    BaseUrl(base): BaseUrl,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let input = parse_input(&headers, &body, true)?;
    if input.event_types.is_none() && input.event_groups.is_none() {
        return Err(ApiError::Invalid(
            json!({"non_field_errors": ["Please specify list of event_types or event_groups."]}),
        ));
    }
    let destination_url = input.destination_url.clone().unwrap_or_default();
    destination_errors(&state, &destination_url).await?;
    let groups = input.event_groups.clone().unwrap_or_default();
    let write = HookWrite {
        is_active: input.is_active.unwrap_or(true),
        event_types: expanded(input.event_types.as_deref().unwrap_or_default(), &groups),
        event_groups: groups,
        destination_url,
        content_type: input.content_type.unwrap_or(1),
    };
    let secret = new_secret();
    let mut tx = state.begin().await?;
    store::lock_sink(&mut tx).await?;
    if store::count_of_user(&mut tx, caller.id).await? >= MAX_HOOKS_PER_USER {
        return Err(ApiError::Invalid(json!({
            "non_field_errors": [format!("A user may have at most {MAX_HOOKS_PER_USER} web hooks.")]
        })));
    }
    let id = store::insert(&mut tx, caller.id, Uuid::new_v4(), &secret, &write).await?;
    store::refresh_sink(&mut tx).await?;
    let row = store::by_id(&mut tx, id).await?;
    commit_gate::commit(tx).await?;
    let mut answer = hook_json(&row, &base);
    answer["secret"] = Value::String(secret);
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// `PUT /api/hooks-web/{uuid}/`
async fn update(
    state: State<AppState>,
    caller: Caller,
    uuid: WebHookUuid,
    headers: HeaderMap,
    base: BaseUrl,
    body: RawBody,
) -> ApiResult<Response> {
    write(state, caller, uuid, headers, base, body, true).await
}

/// `PATCH /api/hooks-web/{uuid}/`
async fn partial_update(
    state: State<AppState>,
    caller: Caller,
    uuid: WebHookUuid,
    headers: HeaderMap,
    base: BaseUrl,
    body: RawBody,
) -> ApiResult<Response> {
    write(state, caller, uuid, headers, base, body, false).await
}

async fn write(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): WebHookUuid,
    headers: HeaderMap,
    BaseUrl(base): BaseUrl,
    RawBody(body): RawBody,
    full: bool,
) -> ApiResult<Response> {
    // 404 before 400: look the hook up first (without a lock: nothing is written yet).
    store::find(&mut *state.connection().await?, owner_of(&caller), uuid, false)
        .await?
        .ok_or(ApiError::NotFound(WebHookRecord::NOT_FOUND))?;
    let input = parse_input(&headers, &body, full)?;
    if let Some(url) = &input.destination_url {
        destination_errors(&state, url).await?;
    }
    let mut tx = state.begin().await?;
    store::lock_sink(&mut tx).await?;
    let current = store::find(&mut tx, owner_of(&caller), uuid, true)
        .await?
        .ok_or(ApiError::NotFound(WebHookRecord::NOT_FOUND))?;
    let groups = input.event_groups.clone().unwrap_or_else(|| current.event_groups.clone());
    // Upstream re-expands the groups only when they are sent.
    let event_types = match (&input.event_types, &input.event_groups) {
        (types, Some(groups)) => expanded(types.as_deref().unwrap_or_default(), groups),
        (Some(types), None) => types.clone(),
        (None, None) => current.event_types.clone(),
    };
    let write = HookWrite {
        is_active: input.is_active.unwrap_or(current.is_active),
        event_types,
        event_groups: groups,
        destination_url: input.destination_url.clone().unwrap_or_else(|| current.destination_url.clone()),
        content_type: input.content_type.unwrap_or(current.content_type),
    };
    store::update(&mut tx, current.id, &write).await?;
    store::refresh_sink(&mut tx).await?;
    let row = store::by_id(&mut tx, current.id).await?;
    commit_gate::commit(tx).await?;
    Ok(Json(hook_json(&row, &base)).into_response())
}

/// `DELETE /api/hooks-web/{uuid}/`: 204; its undelivered events are dropped with it.
async fn destroy(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): WebHookUuid,
) -> ApiResult<StatusCode> {
    let mut tx = state.begin().await?;
    store::lock_sink(&mut tx).await?;
    let current = store::find(&mut tx, owner_of(&caller), uuid, true)
        .await?
        .ok_or(ApiError::NotFound(WebHookRecord::NOT_FOUND))?;
    store::delete(&mut tx, current.id).await?;
    store::refresh_sink(&mut tx).await?;
    commit_gate::commit(tx).await?;
    Ok(StatusCode::NO_CONTENT)
}
