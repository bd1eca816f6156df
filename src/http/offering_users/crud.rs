//! Create, update, delete, `update_restricted` and `update_comments`
//! (docs/spec/offering-users.md §4.3–4.7, docs/spec/decisions.md 5–8, 15).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::input;
use super::read::requested_fields;
use super::representation::OfferingUserJson;
use crate::domain::offering_user::MAX_USERNAME_CHARS;
use crate::domain::permissions::{DELETE_USER, UPDATE_RESTRICTION, UPDATE_USER};
use crate::domain::principal::Caller;
use crate::domain::state::State as AccountState;
use crate::error::{ApiError, ApiResult, FieldErrors, NO_OFFERING_USER};
use crate::http::body::RawBody;
use crate::http::commit_gate;
use crate::http::path_uuid::{OfferingUserUuid, PathUuid};
use crate::http::request::{body_object, script_prefix, BaseUrl, QueryPairs};
use crate::http::AppState;
use crate::store::offering_users::{self as store, ActionTarget};
use crate::store::{audit, checklists};

const OFFERING_ROUTE: &str = "/api/marketplace-provider-offerings/";
const USER_ROUTE: &str = "/api/users/";

fn non_field(message: &str) -> ApiError {
    ApiError::Invalid(json!({ "non_field_errors": [message] }))
}

/// A key counts as given when present and not null.
fn given<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    body.get(key).filter(|v| !v.is_null())
}

/// Which object a create names, by hyperlink or by uuid (§4.3 step 1–2).
enum Reference {
    Url(Value),
    Uuid(Value),
}

fn reference(body: &Map<String, Value>, field: &str) -> ApiResult<Reference> {
    let uuid_key = format!("{field}_uuid");
    match (given(body, field), given(body, &uuid_key)) {
        (Some(_), Some(_)) => {
            Err(non_field(&format!("Cannot specify both '{field}' URL and '{uuid_key}'. Use one or the other.")))
        }
        (None, None) => Err(non_field(&format!("Either '{field}' URL or '{uuid_key}' is required."))),
        (Some(url), None) => Ok(Reference::Url(url.clone())),
        (None, Some(uuid)) => Ok(Reference::Uuid(uuid.clone())),
    }
}

/// `POST /api/marketplace-offering-users/`: 201 with the new record.
pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    BaseUrl(base): BaseUrl,
    QueryPairs(query): QueryPairs,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let body = body_object(&headers, &body)?;
    let offering_ref = reference(&body, "offering")?;
    let user_ref = reference(&body, "user")?;

    let mut tx = state.begin().await?;
    let mut errors = FieldErrors::default();
    let prefix = script_prefix(&state.settings);
    let offering_uuid = resolve_reference(&offering_ref, "offering", OFFERING_ROUTE, prefix, &mut errors)?;
    let user_uuid = resolve_reference(&user_ref, "user", USER_ROUTE, prefix, &mut errors)?;
    let offering = match offering_uuid {
        Some(uuid) => store::offering_for_create(&mut tx, &caller, uuid).await?,
        None => None,
    };
    let user_id = match user_uuid {
        Some(uuid) => store::user_id(&mut tx, uuid).await?,
        None => None,
    };
    if offering_uuid.is_some() && offering.is_none() {
        missing_object(&offering_ref, "offering", offering_uuid, &mut errors);
    }
    if user_uuid.is_some() && user_id.is_none() {
        missing_object(&user_ref, "user", user_uuid, &mut errors);
    }
    let username = match given(&body, "username") {
        Some(value) => match input::string(value, Some(MAX_USERNAME_CHARS)) {
            Ok(name) => Some(name),
            Err(message) => {
                errors.add("username", message);
                None
            }
        },
        None => None,
    };
    errors.into_result()?;
    let (Some(offering), Some(user_id)) = (offering, user_id) else {
        return Err(ApiError::internal("creating a record", "its references resolved without errors but are missing"));
    };

    if store::pair_exists(&mut tx, offering.id, user_id).await? {
        return Err(non_field("The fields offering, user must make a unique set."));
    }
    if !offering.permitted {
        return Err(ApiError::forbidden());
    }
    if !offering.users_enabled {
        return Err(ApiError::Invalid(json!(["It is not allowed to create users for current offering."])));
    }
    let username = username.filter(|n| !n.is_empty());
    let initial = if username.is_some() { AccountState::Ok } else { AccountState::Requested };
    let (id, uuid) = match store::insert(&mut tx, offering.id, user_id, username.as_deref(), initial).await {
        Ok(created) => created,
        // A concurrent create of the same pair lost the race.
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("offering_user_offering_user_key") => {
            return Err(non_field("The fields offering, user must make a unique set."));
        }
        Err(e) => return Err(e.into()),
    };
    checklists::attach_completion(&mut tx, id).await?;
    audit::record(
        &mut tx,
        caller.id,
        uuid,
        audit::Action::Created,
        json!({}),
        json!({"username": username, "state": initial.label()}),
    )
    .await?;
    let row = store::row_by_id(&mut tx, id, &state.settings.default_user_attributes).await?;
    commit_gate::commit(tx).await?;
    let fields = requested_fields(&query);
    Ok((StatusCode::CREATED, Json(OfferingUserJson::new(&row, &base, fields, &state))).into_response())
}

/// The uuid a reference names, or a field error (collected) for a bad hyperlink or uuid.
/// `route` and `script_prefix`: see [`input::hyperlink`].
fn resolve_reference(
    reference: &Reference,
    field: &str,
    route: &str,
    script_prefix: &str,
    errors: &mut FieldErrors,
) -> ApiResult<Option<Uuid>> {
    match reference {
        Reference::Url(value) => match input::hyperlink(value, route, script_prefix) {
            Ok(uuid) => Ok(Some(uuid)),
            Err(message) => {
                errors.add(field, message);
                Ok(None)
            }
        },
        Reference::Uuid(value) => {
            let parsed = value.as_str().and_then(|s| Uuid::parse_str(s.trim()).ok());
            if parsed.is_none() {
                errors.add(&format!("{field}_uuid"), "Must be a valid UUID.");
            }
            Ok(parsed)
        }
    }
}

fn missing_object(reference: &Reference, field: &str, uuid: Option<Uuid>, errors: &mut FieldErrors) {
    match reference {
        Reference::Url(_) => errors.add(field, "Invalid hyperlink - Object does not exist."),
        Reference::Uuid(_) => errors.add(
            &format!("{field}_uuid"),
            format!("Object with uuid={} does not exist.", uuid.map(|u| u.simple().to_string()).unwrap_or_default()),
        ),
    }
}

/// Finds the record for a detail action, or the 404 of an unknown/invisible record.
async fn target(
    conn: &mut sqlx::PgConnection,
    caller: &Caller,
    uuid: Uuid,
    permission: &'static str,
    alternative: Option<&'static str>,
) -> ApiResult<ActionTarget> {
    store::lock_for_action(conn, caller, uuid, permission, alternative)
        .await?
        .ok_or(ApiError::NotFound(NO_OFFERING_USER))
}

/// `PUT` and `PATCH /{uuid}/`: in practice a username change, which completes a creation.
pub(super) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): OfferingUserUuid,
    headers: HeaderMap,
    BaseUrl(base): BaseUrl,
    QueryPairs(query): QueryPairs,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let mut tx = state.begin().await?;
    let record = target(&mut tx, &caller, uuid, UPDATE_USER, None).await?;
    let body = body_object(&headers, &body)?;

    // Validation first (DRF: body errors come before the serializer's permission check).
    let mut errors = FieldErrors::default();
    // Re-pointing a record to another offering or user is refused; naming the same ones is
    // accepted and ignored (docs/spec/decisions.md 7).
    let relations = [("offering", OFFERING_ROUTE, record.offering_uuid), ("user", USER_ROUTE, record.user_uuid)];
    for (field, route, current) in relations {
        if let Some(value) = given(&body, field) {
            match input::hyperlink(value, route, script_prefix(&state.settings)) {
                Ok(uuid) if uuid == current => {}
                Ok(_) => errors.add(field, "This field cannot be changed."),
                Err(message) => errors.add(field, message),
            }
        }
    }
    let new_username = match body.get("username") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(value) => match input::string(value, Some(MAX_USERNAME_CHARS)) {
            Ok(name) => Some(Some(name)),
            Err(message) => {
                errors.add("username", message);
                None
            }
        },
    };
    errors.into_result()?;
    // The offering user himself holds no update permission, so he gets 403 here too.
    if !record.permitted {
        return Err(ApiError::forbidden());
    }

    let changed = new_username
        // Waldur stores a blank username as NULL-or-empty alike; "" and null both clear it.
        .map(|name| name.filter(|n| !n.is_empty()))
        .filter(|name| *name != record.username);
    let row = match changed {
        Some(new_username) => {
            let current = record.state;
            let completes = new_username.is_some() && current.username_completes_creation();
            let completes_as = completes.then_some(AccountState::Ok);
            if completes {
                tracing::info!(uuid = %record.uuid.simple(), "offering user username update via API completes creation");
            }
            let old_values = json!({"username": record.username, "state": current.label()});
            let new_values = json!({"username": new_username, "state": completes_as.unwrap_or(current).label()});
            let event = audit::Event {
                actor: caller.id,
                action: audit::Action::Updated,
                old_values: &old_values,
                new_values: &new_values,
            };
            let exposure = &state.settings.default_user_attributes;
            store::set_username(&mut tx, record.id, new_username.as_deref(), completes_as, event, exposure).await?
        }
        None => store::row_by_id(&mut tx, record.id, &state.settings.default_user_attributes).await?,
    };
    commit_gate::commit(tx).await?;
    let fields = requested_fields(&query);
    Ok(Json(OfferingUserJson::new(&row, &base, fields, &state)).into_response())
}

/// `DELETE /{uuid}/`: 204; the record and everything hanging on it are removed.
pub(super) async fn destroy(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): OfferingUserUuid,
) -> ApiResult<StatusCode> {
    let mut tx = state.begin().await?;
    let record = target(&mut tx, &caller, uuid, DELETE_USER, None).await?;
    if !record.permitted {
        return Err(ApiError::Forbidden("You do not have permission to delete this user.".into()));
    }
    // The event first: it reads the record's offering and user from the row.
    audit::record(
        &mut tx,
        caller.id,
        record.uuid,
        audit::Action::Deleted,
        json!({"username": record.username, "state": record.state.label()}),
        json!({}),
    )
    .await?;
    store::delete(&mut tx, record.id).await?;
    commit_gate::commit(tx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /{uuid}/update_restricted/ {"is_restricted": bool}`: 200 with an empty body.
pub(super) async fn update_restricted(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): OfferingUserUuid,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<StatusCode> {
    let mut tx = state.begin().await?;
    let record = target(&mut tx, &caller, uuid, UPDATE_USER, Some(UPDATE_RESTRICTION)).await?;
    let body = body_object(&headers, &body)?;
    let restricted = match body.get("is_restricted") {
        None => return Err(ApiError::field("is_restricted", "This field is required.")),
        Some(value) => input::boolean(value).map_err(|m| ApiError::field("is_restricted", m))?,
    };
    if !(record.permitted || record.permitted_alternative) {
        return Err(ApiError::forbidden());
    }
    if restricted != record.is_restricted {
        store::set_restricted(&mut tx, record.id, restricted).await?;
        audit::record(
            &mut tx,
            caller.id,
            record.uuid,
            audit::Action::RestrictionUpdated,
            // The username and state too, so that the event still names them once the
            // record is deleted (docs/ARCHITECTURE.md, "Event sinks").
            json!({"is_restricted": record.is_restricted, "username": record.username, "state": record.state.label()}),
            json!({"is_restricted": restricted}),
        )
        .await?;
    }
    commit_gate::commit(tx).await?;
    Ok(StatusCode::OK)
}

/// `PATCH /{uuid}/update_comments/`: the two service-provider comment fields.
///
/// The comment is sanitized (HTML, up to 10,000 characters) only once the record is found and
/// the caller permitted (404 → 403 → 400), and outside any transaction: the transaction that
/// checked is rolled back, the comment cleaned with no connection held, and a new transaction
/// locks and checks the record again before writing.
pub(super) async fn update_comments(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): OfferingUserUuid,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<Comments>> {
    let mut tx = state.begin().await?;
    let record = comments_target(&mut tx, &caller, uuid).await?;
    let (comment, comment_url) = comment_fields(&headers, &body)?;
    let (mut tx, record, comment) = match comment {
        Some(text) if !text.is_empty() => {
            tx.rollback().await?;
            let clean = input::sanitize_html_off_thread(text).await?;
            let mut tx = state.begin().await?;
            let record = comments_target(&mut tx, &caller, uuid).await?;
            (tx, record, Some(clean))
        }
        other => (tx, record, other),
    };

    let mut changed_fields = Vec::new();

    if comment.as_ref().is_some_and(|c| *c != record.service_provider_comment) {
        changed_fields.push("service_provider_comment");
    }
    if comment_url.as_ref().is_some_and(|u| *u != record.service_provider_comment_url) {
        changed_fields.push("service_provider_comment_url");
    }
    if !changed_fields.is_empty() {
        store::set_comments(&mut tx, record.id, comment.as_deref(), comment_url.as_deref()).await?;
        audit::record(
            &mut tx,
            caller.id,
            record.uuid,
            audit::Action::Updated,
            json!({"service_provider_comment": record.service_provider_comment,
                   "service_provider_comment_url": record.service_provider_comment_url}),
            json!({"service_provider_comment": comment.as_deref().unwrap_or(&record.service_provider_comment),
                   "service_provider_comment_url": comment_url.as_deref().unwrap_or(&record.service_provider_comment_url),
                   "changed_fields": changed_fields}),
        )
        .await?;
    }
    commit_gate::commit(tx).await?;
    Ok(Json(Comments {
        service_provider_comment: comment.unwrap_or(record.service_provider_comment),
        service_provider_comment_url: comment_url.unwrap_or(record.service_provider_comment_url),
    }))
}

/// The record `update_comments` writes, locked: 404 when the caller does not see it, 403
/// without `OFFERING.UPDATE_USER` or when it is Deleted.
async fn comments_target(conn: &mut sqlx::PgConnection, caller: &Caller, uuid: Uuid) -> ApiResult<ActionTarget> {
    let record = target(conn, caller, uuid, UPDATE_USER, None).await?;
    if !record.permitted {
        return Err(ApiError::forbidden());
    }
    if record.state == AccountState::Deleted {
        return Err(ApiError::Forbidden("Cannot update comments for offering user in state: Deleted".into()));
    }
    Ok(record)
}

/// `service_provider_comment` (still to be sanitized) and `service_provider_comment_url` of an
/// `update_comments` body; an absent field is left unchanged, `null` is refused.
fn comment_fields(headers: &HeaderMap, body: &axum::body::Bytes) -> ApiResult<(Option<String>, Option<String>)> {
    let body = body_object(headers, body)?;
    let mut errors = FieldErrors::default();
    let fields = input::service_provider_comments(&body, input::NullComment::Invalid, &mut errors);
    errors.into_result()?;
    Ok(fields)
}

/// The body `update_comments` answers with: both fields as they are now.
#[derive(Serialize)]
pub(super) struct Comments {
    service_provider_comment: String,
    service_provider_comment_url: String,
}
