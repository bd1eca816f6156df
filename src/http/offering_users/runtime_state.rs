//! `POST /{uuid}/update_runtime_state/` (docs/spec/offering-users-2026.md §3.2): a writer sets
//! the record's runtime state, and optionally explains it in the service-provider comment
//! fields; 200 with an empty body.
//!
//! Order: 404 (invisible) → 403 (`OFFERING.UPDATE_USER` on the offering's customer or the
//! offering, §2.1) → 400 (body) → 400 (Deleted) → 200. As in `update_comments`, a comment is
//! sanitized only for a permitted caller, with no transaction open: the one that checked is
//! rolled back, and a new one locks and checks the record again before writing.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::input::{self, NullComment};
use crate::domain::permissions::UPDATE_USER;
use crate::domain::principal::Caller;
use crate::domain::python::py_str;
use crate::domain::runtime_state::RuntimeState;
use crate::domain::state::State as AccountState;
use crate::error::{ApiError, ApiResult, FieldErrors, NO_OFFERING_USER};
use crate::http::body::RawBody;
use crate::http::commit_gate;
use crate::http::path_uuid::{OfferingUserUuid, PathUuid};
use crate::http::request::body_object;
use crate::http::AppState;
use crate::store::offering_users::{self as store, ActionTarget, RuntimeStateWrite};

/// The 400 of a Deleted record (§11 Q2; upstream's text not seen).
const DELETED: &str = "Cannot update runtime state for offering user in state: Deleted";

/// `POST /{uuid}/update_runtime_state/`.
pub(super) async fn update_runtime_state(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): OfferingUserUuid,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<StatusCode> {
    let mut tx = state.begin().await?;
    let record = writable_target(&mut tx, &caller, uuid).await?;
    let body = body_object(&headers, &body)?;
    let request = parse_request(&body)?;
    refuse_deleted(&record)?;
    let (mut tx, record, comment) = match request.comment {
        Some(text) if !text.is_empty() => {
            tx.rollback().await?;
            let clean = input::sanitize_html_off_thread(text).await?;
            let mut tx = state.begin().await?;
            let record = writable_target(&mut tx, &caller, uuid).await?;
            refuse_deleted(&record)?;
            (tx, record, Some(clean))
        }
        other => (tx, record, other),
    };
    let write = RuntimeStateWrite {
        runtime_state: request.runtime_state,
        comment: comment.as_deref(),
        comment_url: request.comment_url.as_deref(),
    };
    if !store::set_runtime_state(&mut tx, record.id, caller.id, write).await? {
        // Unreachable: the record is locked and was not Deleted; answer rather than 500.
        return Err(ApiError::Detail(DELETED.into()));
    }
    commit_gate::commit(tx).await?;
    Ok(StatusCode::OK)
}

/// The record, locked, if the caller sees it (404) and may write it (403).
async fn writable_target(conn: &mut sqlx::PgConnection, caller: &Caller, uuid: Uuid) -> ApiResult<ActionTarget> {
    let record = store::lock_for_action(conn, caller, uuid, UPDATE_USER, None)
        .await?
        .ok_or(ApiError::NotFound(NO_OFFERING_USER))?;
    if !record.permitted {
        return Err(ApiError::forbidden());
    }
    Ok(record)
}

/// Every lifecycle state but Deleted allows it ("Any → Any … except when lifecycle is DELETED").
fn refuse_deleted(record: &ActionTarget) -> ApiResult<()> {
    if record.state == AccountState::Deleted {
        return Err(ApiError::Detail(DELETED.into()));
    }
    Ok(())
}

/// A valid body (SDK `OfferingUserUpdateRuntimeStateRequest`); the comment is still to be
/// sanitized.
#[derive(Debug, PartialEq)]
struct Request {
    runtime_state: RuntimeState,
    comment: Option<String>,
    comment_url: Option<String>,
}

/// Reads the body with DRF's messages, every field's error at once. Unknown keys are ignored.
fn parse_request(body: &Map<String, Value>) -> ApiResult<Request> {
    let mut errors = FieldErrors::default();
    let runtime_state = match body.get("runtime_state") {
        None => {
            errors.add("runtime_state", "This field is required.");
            None
        }
        Some(Value::Null) => {
            errors.add("runtime_state", "This field may not be null.");
            None
        }
        // DRF's ChoiceField looks up `str(data)`; its message quotes the input the same way.
        Some(value) => {
            let text = py_str(value);
            let state = value.as_str().and_then(RuntimeState::from_label);
            if state.is_none() {
                errors.add("runtime_state", format!("\"{text}\" is not a valid choice."));
            }
            state
        }
    };
    let (comment, comment_url) = input::service_provider_comments(body, NullComment::Unchanged, &mut errors);
    errors.into_result()?;
    let runtime_state =
        runtime_state.ok_or_else(|| ApiError::internal("reading a runtime state", "no error and no value"))?;
    Ok(Request { runtime_state, comment, comment_url })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(body: Value) -> Result<Request, Value> {
        let Value::Object(map) = body else { panic!("an object") };
        parse_request(&map).map_err(|e| match e {
            ApiError::Invalid(body) => body,
            other => panic!("{other:?}"),
        })
    }

    #[test]
    fn runtime_state_errors_are_drfs_choice_field_messages() {
        let cases = [
            (json!({}), json!({"runtime_state": ["This field is required."]})),
            (json!({"runtime_state": null}), json!({"runtime_state": ["This field may not be null."]})),
            (json!({"runtime_state": 999}), json!({"runtime_state": ["\"999\" is not a valid choice."]})),
            (json!({"runtime_state": ""}), json!({"runtime_state": ["\"\" is not a valid choice."]})),
            (json!({"runtime_state": "active"}), json!({"runtime_state": ["\"active\" is not a valid choice."]})),
            (json!({"runtime_state": true}), json!({"runtime_state": ["\"True\" is not a valid choice."]})),
            (json!({"runtime_state": ["Active"]}), json!({"runtime_state": ["\"['Active']\" is not a valid choice."]})),
            (
                json!({"runtime_state": "Active", "service_provider_comment_url": "nope"}),
                json!({"service_provider_comment_url": ["Enter a valid URL."]}),
            ),
            (
                json!({"service_provider_comment": 5.5, "service_provider_comment_url": "x".repeat(201)}),
                json!({"runtime_state": ["This field is required."],
                       "service_provider_comment_url": ["Ensure this field has no more than 200 characters."]}),
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(parse(body.clone()).unwrap_err(), expected, "{body}");
        }
    }

    #[test]
    fn comments_are_optional_and_null_leaves_them_unchanged() {
        let parsed = parse(json!({"runtime_state": "Pending account linking", "service_provider_comment": null,
                                  "service_provider_comment_url": null, "unknown": 1}))
        .unwrap();
        assert_eq!(
            parsed,
            Request { runtime_state: RuntimeState::PendingAccountLinking, comment: None, comment_url: None }
        );
        let parsed = parse(json!({"runtime_state": "Active", "service_provider_comment": "",
                                  "service_provider_comment_url": "https://example.org/x"}))
        .unwrap();
        assert_eq!(parsed.comment.as_deref(), Some(""));
        assert_eq!(parsed.comment_url.as_deref(), Some("https://example.org/x"));
    }
}
