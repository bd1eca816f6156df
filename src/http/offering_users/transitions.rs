//! The ten state actions (offering-users.md §2.2, §4.8; decisions.md 5, 12a–14, 24–25):
//! `POST /{uuid}/<action>/`, 200 with an empty body.
//!
//! Order: 404 (invisible) → 403 (`OFFERING.UPDATE_USER` on the offering's customer or the
//! offering) → 400 (state) → 400 (body). The record is locked while the action runs, so of
//! two agents racing on one record exactly one wins and the other is told the state it found.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Map, Value};

use super::input;
use crate::domain::permissions::UPDATE_USER;
use crate::domain::state::{CommentEffect, State as AccountState, Transition};
use crate::error::{ApiError, ApiResult, NO_OFFERING_USER};
use crate::http::request::{body_object, offering_user_uuid};
use crate::http::AppState;
use crate::store::offering_users as store;
use crate::store::{audit, Caller};

/// Runs `transition` on the record in the path.
pub async fn run(
    transition: Transition,
    state: AppState,
    caller: Caller,
    raw_uuid: String,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let uuid = offering_user_uuid(&raw_uuid)?;
    let mut tx = state.pool.begin().await?;
    let record = store::lock_for_action(&mut tx, &caller, uuid, UPDATE_USER, None)
        .await?
        .ok_or(ApiError::NotFound(NO_OFFERING_USER))?;
    if !record.permitted {
        return Err(ApiError::forbidden());
    }
    let found = AccountState::from_db(record.state)
        .ok_or_else(|| ApiError::Internal(format!("offering user {} has state {}", uuid, record.state)))?;
    if !transition.allowed_from(found) {
        return Err(ApiError::Detail(transition.rejection(found)));
    }
    let (comment, comment_url) = match transition.comment_effect() {
        CommentEffect::FromBody => comment_fields(&body_object(&headers, &body)?)?,
        // Other actions take no body; whatever arrives is ignored, as upstream does.
        _ => (None, None),
    };
    if !store::apply_transition(&mut tx, record.id, transition, comment.as_deref(), comment_url.as_deref()).await? {
        // Unreachable while the row is locked; answer from the state we found rather than 500.
        return Err(ApiError::Detail(transition.rejection(found)));
    }
    let mut new_values = json!({"state": transition.target().label()});
    if let Some(c) = &comment {
        new_values["service_provider_comment"] = json!(c);
    }
    if let Some(u) = &comment_url {
        new_values["service_provider_comment_url"] = json!(u);
    }
    if transition.comment_effect() == CommentEffect::Clear {
        new_values["service_provider_comment"] = json!("");
        new_values["service_provider_comment_url"] = json!("");
    }
    audit::record(
        &mut tx,
        caller.id,
        record.uuid,
        transition.action(),
        json!({"state": found.label(), "service_provider_comment": record.service_provider_comment,
               "service_provider_comment_url": record.service_provider_comment_url}),
        new_values,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::OK)
}

/// `comment` and `comment_url` of the two pending actions: absent or `null` leaves the
/// stored value unchanged (the site agent always sends `"comment_url": null`), `""` clears.
fn comment_fields(body: &Map<String, Value>) -> ApiResult<(Option<String>, Option<String>)> {
    let mut errors = Map::new();
    let comment = match body.get("comment") {
        None | Some(Value::Null) => None,
        Some(value) => match input::string(value, None) {
            Ok(text) => Some(input::sanitize_html(&text)),
            Err(message) => {
                errors.insert("comment".into(), json!([message]));
                None
            }
        },
    };
    let comment_url = match body.get("comment_url") {
        None | Some(Value::Null) => None,
        Some(value) => match input::url(value) {
            Ok(url) => Some(url),
            Err(message) => {
                errors.insert("comment_url".into(), json!([message]));
                None
            }
        },
    };
    if errors.is_empty() {
        Ok((comment, comment_url))
    } else {
        Err(ApiError::Invalid(Value::Object(errors)))
    }
}
