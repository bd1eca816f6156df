//! `POST /{uuid}/set_posix_attributes/` (docs/spec/offering-users-2026.md §7.2, Q6, Q9, Q20):
//! one transaction, all or nothing.
//!
//! Order: 404 (the record is not visible) → 403 (no `OFFERING.UPDATE_USER` on the offering
//! or its customer) → 400 (the body) → 400 (a pin refused, uid first, then gid) → 200.
//! A pin sets the user's active identity in the pool his offering resolves to; the value is
//! then written into the `backend_metadata` of this account and of every other account of the
//! user whose offering resolves to the same pool and takes that namespace from it, each
//! changed account with its own audit event.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::body::{self, PosixRequest};
use super::wire::PosixUpdateResponse;
use crate::domain::posix::{
    advisories, check_range, metadata_id, pool_sourced, Namespace, PinRefusal, HOME_DIRECTORY_KEY, LOGIN_SHELL_KEY,
};
use crate::domain::principal::Caller;
use crate::error::{ApiError, ApiResult, NO_OFFERING_USER};
use crate::http::body::RawBody;
use crate::http::commit_gate;
use crate::http::path_uuid::{OfferingUserUuid, PathUuid};
use crate::http::request::body_object;
use crate::http::AppState;
use crate::store::audit;
use crate::store::offering_users::{self as store, PosixAccount, PosixPool};

/// Runs the action; 200 with the values now stored and the advisories.
pub(in crate::http::offering_users) async fn run(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): OfferingUserUuid,
    headers: HeaderMap,
    RawBody(raw): RawBody,
) -> ApiResult<Json<PosixUpdateResponse>> {
    let mut tx = state.begin().await?;
    let target = store::posix_target(&mut tx, &caller, uuid).await?.ok_or(ApiError::NotFound(NO_OFFERING_USER))?;
    if !target.permitted {
        return Err(ApiError::forbidden());
    }
    let request = body::parse(&body_object(&headers, &raw)?)?;

    // The lock order of store::offering_users::posix_write: pool, then accounts by id.
    let pinning = request.uidnumber.is_some() || request.primarygroup.is_some();
    let pool = match pinning {
        true => store::lock_resolved_pool(&mut tx, target.offering_id).await?,
        false => None,
    };
    let accounts = store::lock_accounts(&mut tx, target.id, target.user_id, pool.as_ref().map(|p| p.id)).await?;
    // Deleted since the look-up: as if it had never been found.
    let me = accounts.iter().find(|a| a.id == target.id).ok_or(ApiError::NotFound(NO_OFFERING_USER))?;

    let mut warnings = Vec::new();
    let mut pinned = Vec::new();
    for namespace in Namespace::ALL {
        let Some(value) = request.value(namespace) else { continue };
        let refused = |refusal: PinRefusal| ApiError::Invalid(json!({ namespace.field(): refusal.message() }));
        let pool = accepted_pool(me, pool.as_ref(), namespace, value).map_err(refused)?;
        if store::held_by_another(&mut tx, pool.id, target.user_id, namespace, value).await? {
            return Err(refused(PinRefusal::AlreadyAllocated { value }));
        }
        match store::pin(&mut tx, pool.id, target.user_id, target.offering_id, namespace, value).await {
            Ok(()) => {}
            // A concurrent pin of the same value won (an import beside us: pins through the
            // API wait for the pool's lock and see it in the check above).
            Err(e) if store::is_pin_conflict(&e) => return Err(refused(PinRefusal::AlreadyAllocated { value })),
            Err(e) => return Err(e.into()),
        }
        warnings.extend(advisories(namespace, value));
        pinned.push((namespace, value));
    }

    let stored = write_account(&mut tx, caller.id, me, &own_changes(&request)).await?;
    for sibling in accounts.iter().filter(|a| a.id != target.id) {
        // §7.2 step 3: only the namespaces the sibling's offering takes from the pool.
        let changes: Vec<(&str, Value)> = pinned
            .iter()
            .filter(|(namespace, _)| pool_sourced(&sibling.plugin_options, *namespace))
            .map(|(namespace, value)| (namespace.field(), json!(value)))
            .collect();
        write_account(&mut tx, caller.id, sibling, &changes).await?;
    }
    commit_gate::commit(tx).await?;
    Ok(Json(PosixUpdateResponse {
        uidnumber: metadata_id(&stored, Namespace::Uid.field()),
        primarygroup: metadata_id(&stored, Namespace::Gid.field()),
        warnings,
    }))
}

/// The pool a pin of `value` goes to, or why it is refused (checked in this order: the
/// offering's switches (Q6), a pool, its range of the namespace).
fn accepted_pool<'p>(
    me: &PosixAccount,
    pool: Option<&'p PosixPool>,
    namespace: Namespace,
    value: i64,
) -> Result<&'p PosixPool, PinRefusal> {
    if !pool_sourced(&me.plugin_options, namespace) {
        return Err(PinRefusal::NotPoolSourced(namespace));
    }
    let pool = pool.ok_or(PinRefusal::NoPool)?;
    check_range(namespace, value, pool.range(namespace))?;
    Ok(pool)
}

/// The `backend_metadata` keys the request sets on the account itself, with their values.
fn own_changes(request: &PosixRequest) -> Vec<(&'static str, Value)> {
    let mut changes = Vec::new();
    if let Some(shell) = &request.login_shell {
        changes.push((LOGIN_SHELL_KEY, json!(shell)));
    }
    if let Some(home) = &request.home_directory {
        changes.push((HOME_DIRECTORY_KEY, json!(home)));
    }
    for namespace in Namespace::ALL {
        if let Some(value) = request.value(namespace) {
            changes.push((namespace.field(), json!(value)));
        }
    }
    changes
}

/// The response's name of a `backend_metadata` key (what the audit event records).
fn wire_name(key: &str) -> &str {
    match key {
        LOGIN_SHELL_KEY => "login_shell",
        HOME_DIRECTORY_KEY => "home_directory",
        other => other,
    }
}

/// Applies `changes` to the account's `backend_metadata`; when that changes anything, writes
/// it with an audit event holding the old and new values of the keys that changed. Returns the
/// metadata as now stored.
async fn write_account(
    conn: &mut sqlx::PgConnection,
    actor: i64,
    account: &PosixAccount,
    changes: &[(&str, Value)],
) -> ApiResult<Value> {
    let mut metadata = match &account.backend_metadata {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    let (mut old_values, mut new_values) = (Map::new(), Map::new());
    for (key, value) in changes {
        let old = metadata.insert((*key).to_owned(), value.clone()).unwrap_or(Value::Null);
        if old != *value {
            old_values.insert(wire_name(key).to_owned(), old);
            new_values.insert(wire_name(key).to_owned(), value.clone());
        }
    }
    let metadata = Value::Object(metadata);
    if !new_values.is_empty() {
        store::set_backend_metadata(&mut *conn, account.id, &metadata).await?;
        record(conn, actor, account.uuid, old_values, new_values).await?;
    }
    Ok(metadata)
}

async fn record(
    conn: &mut sqlx::PgConnection,
    actor: i64,
    uuid: Uuid,
    old_values: Map<String, Value>,
    new_values: Map<String, Value>,
) -> ApiResult<()> {
    let (old, new) = (Value::Object(old_values), Value::Object(new_values));
    audit::record(conn, actor, uuid, audit::Action::Updated, old, new).await?;
    Ok(())
}
