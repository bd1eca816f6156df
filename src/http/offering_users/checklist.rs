//! The six checklist operations on offering users (docs/spec/checklists.md §8, docs/spec/decisions.md 16-22).
//!
//! Every `{uuid}` action runs the pipeline of §8.1: 401 (the `Caller` extractor) → 404 for
//! a record outside the caller's visible set → 403 without the right → 400 when the
//! offering has no checklist (or the record no completion for it) → 400 for a bad body.

mod assembly;
mod files;
mod rejection;
mod submit;
mod wire;

use axum::extract::State;
use axum::http::{HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

use self::assembly::{template_json, Audience, Loaded};
use self::submit::submit_answers;
use crate::domain::principal::Caller;
use crate::domain::python::parse_py_uuid;
use crate::error::{ApiError, ApiResult, NO_OFFERING_USER};
use crate::http::path_uuid::{OfferingUserUuid, PathUuid};
use crate::http::request::QueryPairs;
use crate::http::routes::{allow, both};
use crate::http::AppState;
use crate::store::checklists::{self as store, TemplateLookup};

const NO_CHECKLIST: &str = "No checklist configured for this object";
const NO_TEMPLATE_CHECKLIST: &str = "No checklist configured for new objects";
const PARENT_REQUIRED: &str = "parent_uuid query parameter is required";
const PARENT_NOT_FOUND: &str = "Parent object not found";

const GET_ONLY: &str = "GET, HEAD, OPTIONS";

/// The checklist routes, merged into the offering-users router. `checklist-template/` is a
/// static segment, which axum's router prefers over `{uuid}` (tested).
pub(super) fn routes() -> Router<AppState> {
    let base = "/api/marketplace-offering-users";
    let r = Router::new();
    let r = both(r, &format!("{base}/checklist-template/"), allow(GET_ONLY, get(checklist_template)));
    let r = both(r, &format!("{base}/{{uuid}}/checklist/"), allow(GET_ONLY, get(checklist)));
    let r = both(r, &format!("{base}/{{uuid}}/checklist_review/"), allow(GET_ONLY, get(checklist_review)));
    let r = both(r, &format!("{base}/{{uuid}}/completion_status/"), allow(GET_ONLY, get(completion_status)));
    let r =
        both(r, &format!("{base}/{{uuid}}/completion_review_status/"), allow(GET_ONLY, get(completion_review_status)));
    // No body limit layer: the handler reads the body itself, within its checklist's limit,
    // once it knows who is asking (submit.rs).
    both(r, &format!("{base}/{{uuid}}/submit_answers/"), allow("POST, OPTIONS", post(submit_answers)))
}

/// A read-only transaction on one snapshot, so that a response never mixes the answers
/// of before and after a concurrent submission.
async fn snapshot(state: &AppState) -> ApiResult<Transaction<'static, Postgres>> {
    let mut tx = state.begin().await?;
    store::read_one_snapshot(&mut tx).await?;
    Ok(tx)
}

/// §8.1 steps 3-5: the record in the caller's visible set (404), the right for the view
/// (403), the completion for the offering's current checklist (400). Returns its id.
async fn authorize(conn: &mut PgConnection, caller: &Caller, uuid: Uuid, audience: Audience) -> ApiResult<i64> {
    let access = store::checklist_access(conn, caller, uuid).await?.ok_or(ApiError::NotFound(NO_OFFERING_USER))?;
    let allowed = match audience {
        Audience::User => access.may_answer(),
        // The offering user himself is not a reviewer of his own answers.
        Audience::Reviewer => access.is_reviewer,
    };
    if !allowed {
        return Err(ApiError::forbidden());
    }
    access.completion_id.ok_or_else(|| ApiError::Detail(NO_CHECKLIST.to_owned()))
}

async fn load(conn: &mut PgConnection, completion_id: i64) -> ApiResult<Loaded> {
    let completion = store::completion(conn, completion_id).await?;
    let checklist = store::checklist(conn, completion.checklist_id).await?;
    let questions = store::checklist_questions(conn, completion.checklist_id).await?;
    let answers = store::completion_answers(conn, completion_id).await?;
    Ok(Loaded { checklist, completion, questions, answers })
}

/// Django's `QueryDict.get`: the last value of a repeated key.
fn query_value<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// `GET {uuid}/checklist/` (§8.2): the visible questions with the latest answers, or every
/// question with `include_all=true` (only that string, in any case, turns it on).
async fn checklist(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): OfferingUserUuid,
    QueryPairs(query): QueryPairs,
) -> ApiResult<Response> {
    let include_all = query_value(&query, "include_all").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut tx = snapshot(&state).await?;
    let completion_id = authorize(&mut tx, &caller, uuid, Audience::User).await?;
    let loaded = load(&mut tx, completion_id).await?;
    tx.commit().await?;
    Ok(Json(loaded.checklist_response(caller.id, Audience::User, include_all)).into_response())
}

/// `GET {uuid}/checklist_review/` (§8.4): reviewers only; always the visible questions.
async fn checklist_review(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): OfferingUserUuid,
) -> ApiResult<Response> {
    let mut tx = snapshot(&state).await?;
    let completion_id = authorize(&mut tx, &caller, uuid, Audience::Reviewer).await?;
    let loaded = load(&mut tx, completion_id).await?;
    tx.commit().await?;
    Ok(Json(loaded.checklist_response(caller.id, Audience::Reviewer, false)).into_response())
}

/// `GET {uuid}/completion_status/` (§8.3, basic view).
async fn completion_status(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): OfferingUserUuid,
) -> ApiResult<Response> {
    completion_view(state, caller, uuid, Audience::User).await
}

/// `GET {uuid}/completion_review_status/` (§8.3, reviewer view): reviewers only.
async fn completion_review_status(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): OfferingUserUuid,
) -> ApiResult<Response> {
    completion_view(state, caller, uuid, Audience::Reviewer).await
}

async fn completion_view(state: AppState, caller: Caller, uuid: Uuid, audience: Audience) -> ApiResult<Response> {
    let mut tx = snapshot(&state).await?;
    let completion_id = authorize(&mut tx, &caller, uuid, audience).await?;
    let loaded = load(&mut tx, completion_id).await?;
    tx.commit().await?;
    Ok(Json(loaded.completion_json(&loaded.metrics(), audience)).into_response())
}

/// `GET checklist-template/?parent_uuid=` (§8.6, docs/spec/decisions.md 18): `parent_uuid` names an
/// offering; upstream answers 500 here because the viewset lacks the parent hook.
///
/// `HEAD` is the SDK's `checklist_template_count` helper, which needs an integer
/// `X-Result-Count` (docs/spec/clients.md §2 "Count helpers"): we count the template's questions.
async fn checklist_template(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    QueryPairs(query): QueryPairs,
) -> ApiResult<Response> {
    let parent = query_value(&query, "parent_uuid")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::Detail(PARENT_REQUIRED.to_owned()))?;
    let offering_uuid = parse_py_uuid(parent).ok_or(ApiError::NotFound(PARENT_NOT_FOUND))?;
    let mut tx = snapshot(&state).await?;
    let checklist = match store::template_checklist(&mut tx, &caller, offering_uuid).await? {
        TemplateLookup::NoOffering => return Err(ApiError::NotFound(PARENT_NOT_FOUND)),
        TemplateLookup::NoChecklist => return Err(ApiError::Detail(NO_TEMPLATE_CHECKLIST.to_owned())),
        TemplateLookup::Checklist(checklist) => checklist,
    };
    let questions = store::checklist_questions(&mut tx, checklist.id).await?;
    tx.commit().await?;
    let mut response = Json(template_json(&checklist, &questions)).into_response();
    if method == Method::HEAD {
        response.headers_mut().insert("x-result-count", HeaderValue::from(questions.len()));
    }
    Ok(response)
}
