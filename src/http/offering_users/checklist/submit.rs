//! `POST {uuid}/submit_answers/` (docs/spec/checklists.md §3, §8.5), bounded in what one request may
//! cost the server:
//!
//! 1. A short read on a pooled connection, given back at once: 404 → 403 → 400 (no
//!    checklist) as for every action, and the body limit this checklist's questions need.
//! 2. The body, read within that limit (413 beyond it, before a byte is read when
//!    `Content-Length` says so) while the request holds no connection, and parsed once a look
//!    at its bytes shows it holds no more than the checklist's questions can take
//!    (`json_bound`: what a parsed body costs in memory follows its questions too).
//! 3. One write transaction: the record and the completion again (now locked), every
//!    element validated before anything is written (a refusal is the 400 of `rejection`),
//!    then one statement per kind of write.

use std::collections::{HashMap, HashSet};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;
use uuid::Uuid;

use super::assembly::{Audience, Loaded};
use super::files::{inspector, plan_writes, Writes};
use super::wire::SubmittedJson;
use super::{authorize, NO_CHECKLIST};
use crate::domain::checklist::{
    completion_metrics, submission_question_uuids, submission_stored_file_ids, submit_body_limit, validate_submission,
    Answer, AnswerAllowance, Question, QuestionLookup, StoredFile, SubmissionError,
};
use crate::domain::principal::Caller;
use crate::error::{ApiError, ApiResult};
use crate::http::body::read_budgeted;
use crate::http::commit_gate;
use crate::http::json_bound::JsonBound;
use crate::http::offering_users::blocking;
use crate::http::path_uuid::{OfferingUserUuid, PathUuid};
use crate::http::request::body_value;
use crate::http::AppState;
use crate::store::checklists::{self as store, QuestionRecord};

const SUBMITTED: &str = "Answers submitted successfully";

/// The submission as DRF reads it (§3.4): no body at all is an empty list (the form-data
/// fallback), anything else is parsed as the request's content type says, once it is known
/// to stay within `bound` when parsed.
fn submission_body(headers: &HeaderMap, body: &Bytes, bound: &JsonBound) -> ApiResult<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Array(Vec::new()));
    }
    if headers.get(CONTENT_TYPE).is_none() {
        // No content type: DRF parses nothing and sees the form fallback, an empty list.
        return Ok(Value::Array(Vec::new()));
    }
    body_value(headers, body, bound)
}

/// The message of a submission that would leave its completion over the files quota.
fn over_quota(quota: usize) -> ApiError {
    ApiError::Detail(format!("The files of this checklist would take more than the {quota} bytes allowed."))
}

/// The body limit of a checklist with these questions (`Settings::max_submit_body_size` at most).
fn body_limit<'a>(state: &AppState, questions: impl IntoIterator<Item = &'a Question>) -> usize {
    let allowances: Vec<AnswerAllowance> = questions.into_iter().map(AnswerAllowance::from).collect();
    submit_body_limit(&allowances, state.settings.max_submit_body_size)
}

/// `POST {uuid}/submit_answers/`: validate every element, then apply them (`null` deletes the
/// caller's own answer), store uploads, recompute the stored status; the writes in one
/// transaction, serialized per completion.
pub(super) async fn submit_answers(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): OfferingUserUuid,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let (limit, bound) = {
        let mut conn = state.connection().await?;
        let completion_id = authorize(&mut conn, &caller, uuid, Audience::User).await?;
        let allowances = store::answer_allowances(&mut conn, completion_id).await?;
        (submit_body_limit(&allowances, state.settings.max_submit_body_size), JsonBound::submission(allowances.len()))
    };
    // Held until the request ends: the body and what is parsed from it stay in memory.
    let (bytes, _share) = read_budgeted(&headers, body, limit, &state.body_budget).await?;
    let body_size = bytes.len();
    // DRF parses the body lazily, after the permission checks: a bad body is the last 400.
    // More elements than questions is refused before parsing too, with DRF's message.
    let body = blocking::run(move || submission_body(&headers, &bytes, &bound)).await??;

    let mut tx = state.begin().await?;
    let completion_id = authorize(&mut tx, &caller, uuid, Audience::User).await?;
    if !store::lock_completion(&mut tx, completion_id).await? {
        return Err(ApiError::Detail(NO_CHECKLIST.to_owned()));
    }
    let completion = store::completion(&mut tx, completion_id).await?;
    let records = store::checklist_questions(&mut tx, completion.checklist_id).await?;
    // The checklist may have changed since the first read: its limit is the one that counts.
    let limit = body_limit(&state, records.iter().map(|r| &r.question));
    if body_size > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }

    // What validation looks up, in one query each; nothing for a list that is refused for
    // its length alone.
    let within_count = body.as_array().is_none_or(|elements| elements.len() <= records.len());
    let (elsewhere, stored) = if within_count {
        let known: HashSet<Uuid> = records.iter().map(|r| r.question.uuid).collect();
        let foreign: Vec<Uuid> = submission_question_uuids(&body).into_iter().filter(|u| !known.contains(u)).collect();
        let elsewhere =
            if foreign.is_empty() { HashSet::new() } else { store::existing_question_uuids(&mut tx, &foreign).await? };
        let stored = store::stored_files(&mut tx, completion_id, &submission_stored_file_ids(&body)).await?;
        (elsewhere, stored)
    } else {
        (HashSet::new(), HashMap::new())
    };
    // Decoding and sniffing the uploads is the costly part: off the async workers.
    let (records, planned) = blocking::run(move || {
        let planned = check_and_plan(&body, &records, &elsewhere, stored);
        (records, planned)
    })
    .await?;
    let writes = planned?;
    let quota = state.settings.checklist_files_quota;
    if writes.new_bytes() > u64::try_from(quota).unwrap_or(u64::MAX) {
        return Err(over_quota(quota));
    }

    store::delete_answers(&mut tx, completion_id, caller.id, &writes.deletes).await?;
    store::upsert_answers(&mut tx, completion_id, caller.id, writes.upserts).await?;
    store::store_files(&mut tx, completion_id, caller.id, writes.new_files).await?;
    store::delete_unreferenced_files(&mut tx, completion_id).await?;
    // Exact only now: the files other answers stopped referring to are gone.
    if store::files_bytes(&mut tx, completion_id).await? > u64::try_from(quota).unwrap_or(u64::MAX) {
        tx.rollback().await?;
        return Err(over_quota(quota));
    }

    let answers = store::completion_answers(&mut tx, completion_id).await?;
    let domain_answers: Vec<Answer> = answers.iter().map(|a| a.answer.clone()).collect();
    let questions: Vec<Question> = records.iter().map(|r| r.question.clone()).collect();
    let metrics = completion_metrics(&questions, &domain_answers);
    store::save_completion_status(&mut tx, completion_id, metrics.is_completed, metrics.requires_review).await?;
    // Re-read only the completion (its flags and `modified` just changed).
    let completion = store::completion(&mut tx, completion_id).await?;
    let checklist = store::checklist(&mut tx, completion.checklist_id).await?;
    commit_gate::commit(tx).await?;
    let loaded = Loaded { checklist, completion, questions: records, answers };
    let completion = loaded.completion_json(&metrics, Audience::User);
    Ok(Json(SubmittedJson { detail: SUBMITTED, completion }).into_response())
}

/// Validates the whole submission against the checklist's questions and the completion's
/// stored files, then plans its writes.
fn check_and_plan(
    body: &Value,
    records: &[QuestionRecord],
    elsewhere: &HashSet<Uuid>,
    stored: HashMap<Uuid, StoredFile>,
) -> Result<Writes, SubmissionError> {
    let by_uuid: HashMap<Uuid, &QuestionRecord> = records.iter().map(|r| (r.question.uuid, r)).collect();
    let lookup = |uuid: Uuid| match by_uuid.get(&uuid) {
        Some(record) => QuestionLookup::Found(&record.question),
        None if elsewhere.contains(&uuid) => QuestionLookup::OtherChecklist,
        None => QuestionLookup::Missing,
    };
    let inspector = inspector(stored);
    let valid = validate_submission(body, records.len(), lookup, &inspector)?;
    Ok(plan_writes(valid, &by_uuid, inspector.stored_files()))
}
