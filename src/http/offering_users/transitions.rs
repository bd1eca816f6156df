//! The ten state actions (docs/spec/offering-users.md §2.2, §4.8; docs/spec/decisions.md 5, 12a–14, 24–25):
//! `POST /{uuid}/<action>/`, 200 with an empty body.
//!
//! Order: 404 (invisible) → 403 (`OFFERING.UPDATE_USER` on the offering's customer or the
//! offering) → 400 (state) → 400 (body). The record is locked while the action runs, so of
//! two agents racing on one record exactly one wins and the other is told the state it found.
//!
//! A pending action's `comment` is HTML to sanitize, work that grows with its 10,000
//! characters. It is done only for a caller the record's look-up has found permitted and in a
//! state the action leaves (so 404 → 403 → 400 hold and nobody else can make us do it), and
//! with no connection held: look up, release, sanitize, then run the action's statement,
//! which checks all of it again.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::input;
use crate::domain::permissions::UPDATE_USER;
use crate::domain::principal::Caller;
use crate::domain::state::{CommentEffect, Transition};
use crate::error::{ApiError, ApiResult, FieldErrors, NO_OFFERING_USER};
use crate::http::commit_gate;
use crate::http::request::body_object;
use crate::http::AppState;
use crate::store::offering_users::{self as store, TransitionOutcome, TransitionWrite};

/// Runs `transition` on the record in the path, in one statement (`store::run_transition`).
pub(super) async fn run(
    transition: Transition,
    state: AppState,
    caller: Caller,
    uuid: Uuid,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    // The body is read first but its errors are answered last: the statement then only
    // looks the record up, so that 404, 403 and the state's 400 still come before them.
    let from_body = match transition.comment_effect() {
        CommentEffect::FromBody => body_object(&headers, &body).and_then(|body| comment_fields(&body)),
        // Other actions take no body; whatever arrives is ignored, as upstream does.
        _ => Ok((None, None)),
    };
    let from_body = match from_body {
        Ok((Some(comment), url)) if !comment.is_empty() => {
            look_up(&state, &caller, uuid, transition).await?;
            input::sanitize_html_off_thread(comment).await.map(|c| (Some(c), url))
        }
        other => other,
    };
    let (comment, comment_url) = match (transition.comment_effect(), &from_body) {
        (CommentEffect::Clear, _) => (Some(""), Some("")),
        (CommentEffect::FromBody, Ok((comment, url))) => (comment.as_deref(), url.as_deref()),
        _ => (None, None),
    };
    let new_values = audit_new_values(transition, comment, comment_url);
    let write = TransitionWrite { transition, comment, comment_url, new_values: &new_values, apply: from_body.is_ok() };
    // The statement commits on its own: take the connection first, so that only the
    // statement itself runs past the gate.
    let mut conn = state.connection().await?;
    commit_gate::enter()?;
    let outcome = store::run_transition(&mut conn, &caller, uuid, UPDATE_USER, write)
        .await
        .map_err(commit_gate::after_gate)?
        .ok_or(ApiError::NotFound(NO_OFFERING_USER))?;
    refusal(transition, &outcome)?;
    from_body?;
    if !outcome.moved {
        // Unreachable: the state was a source and the row was locked; answer rather than 500.
        return Err(ApiError::Detail(transition.rejection(outcome.state)));
    }
    Ok(StatusCode::OK)
}

/// The action's statement without its write (`apply: false`): 404, 403 or the state's 400 as
/// the action would answer them now. The connection goes back to the pool on return.
async fn look_up(state: &AppState, caller: &Caller, uuid: Uuid, transition: Transition) -> ApiResult<()> {
    let nothing = Value::Null;
    let write = TransitionWrite { transition, comment: None, comment_url: None, new_values: &nothing, apply: false };
    let mut conn = state.connection().await?;
    let outcome = store::run_transition(&mut conn, caller, uuid, UPDATE_USER, write)
        .await?
        .ok_or(ApiError::NotFound(NO_OFFERING_USER))?;
    refusal(transition, &outcome)
}

/// 403 when the caller may not run the action, else 400 when the record's state is not one it
/// leaves.
fn refusal(transition: Transition, outcome: &TransitionOutcome) -> ApiResult<()> {
    if !outcome.permitted {
        return Err(ApiError::forbidden());
    }
    if !transition.allowed_from(outcome.state) {
        return Err(ApiError::Detail(transition.rejection(outcome.state)));
    }
    Ok(())
}

/// The audit event's `new_values`: the new state and the comment fields the action set.
fn audit_new_values(transition: Transition, comment: Option<&str>, comment_url: Option<&str>) -> Value {
    let mut new_values = json!({"state": transition.target().label()});
    if let Some(comment) = comment {
        new_values["service_provider_comment"] = json!(comment);
    }
    if let Some(url) = comment_url {
        new_values["service_provider_comment_url"] = json!(url);
    }
    new_values
}

/// `comment` and `comment_url` of the two pending actions: absent or `null` leaves the
/// stored value unchanged (the site agent always sends `"comment_url": null`), `""` clears.
/// The comment comes back as sent, still to be sanitized.
fn comment_fields(body: &Map<String, Value>) -> ApiResult<(Option<String>, Option<String>)> {
    let mut errors = FieldErrors::default();
    let comment = match body.get("comment") {
        None | Some(Value::Null) => None,
        Some(value) => match input::string(value, Some(input::MAX_COMMENT_CHARS)) {
            Ok(text) => Some(text),
            Err(message) => {
                errors.add("comment", message);
                None
            }
        },
    };
    let comment_url = match body.get("comment_url") {
        None | Some(Value::Null) => None,
        Some(value) => match input::url(value) {
            Ok(url) => Some(url),
            Err(message) => {
                errors.add("comment_url", message);
                None
            }
        },
    };
    errors.into_result()?;
    Ok((comment, comment_url))
}
