//! `GET {uuid}/posix_groups/`, `GET {uuid}/posix_allocations/` and `GET|HEAD
//! posix_identities/?user_uuid=` (docs/spec/offering-users-2026.md §7.3–7.5, §2.1, §2.2, Q11,
//! Q12, Q14).
//!
//! They see the records the caller sees without the consent gate (§2.1). They are not
//! paginated: no `Link`, `page`/`page_size` ignored, and always an `X-Result-Count` with the
//! number of items, on GET and on the HEAD axum derives from it (the SDK's `_count` needs it).
//! The two detail routes ignore the list's filters (Q11); `posix_identities` applies them.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::super::query::parse_list_params;
use super::wire::{PosixAllocationItem, PosixGroupItem, PosixIdentityItem, SharingOffering};
use crate::domain::posix::{metadata_id, pool_scope, pool_sourced, Namespace};
use crate::domain::principal::Caller;
use crate::error::{ApiError, ApiResult, NO_OFFERING_USER};
use crate::http::path_uuid::{OfferingUserUuid, PathUuid};
use crate::http::request::{script_prefix, QueryPairs};
use crate::http::wire::Hex;
use crate::http::AppState;
use crate::store::offering_users::{self as store, PosixAccountRow, PosixGroupRow, ReadScope};

/// (U) The answer to `posix_identities` without `user_uuid`: a string, not a list.
const USER_UUID_REQUIRED: &str = "This query parameter is required.";

/// `GET {uuid}/posix_groups/`: the project groups with a GID the account is a member of.
pub(super) async fn posix_groups(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): OfferingUserUuid,
) -> ApiResult<Response> {
    let mut conn = state.connection().await?;
    let id = visible_record(&mut conn, &caller, uuid).await?;
    let groups = store::posix_groups_of(&mut conn, &caller, &[id]).await?;
    counted(&groups.into_iter().map(group_item).collect::<Vec<_>>())
}

/// `GET {uuid}/posix_allocations/`: the account's UID and primary GID, and what tracks them.
pub(super) async fn posix_allocations(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): OfferingUserUuid,
) -> ApiResult<Response> {
    let mut conn = state.connection().await?;
    let id = visible_record(&mut conn, &caller, uuid).await?;
    let account = store::posix_account(&mut conn, id).await?;
    let tracked: Vec<(Namespace, i64, bool)> = Namespace::ALL
        .into_iter()
        .filter_map(|ns| {
            metadata_id(&account.backend_metadata, ns.field()).map(|v| (ns, v, is_tracked(&account, ns, v)))
        })
        .collect();
    let shared = match account.pool_id {
        Some(pool_id) if tracked.iter().any(|(_, _, t)| *t) => {
            store::offerings_sharing_pool(&mut conn, id, pool_id).await?
        }
        _ => Vec::new(),
    };
    let items: Vec<PosixAllocationItem> = tracked
        .into_iter()
        .map(|(namespace, value, tracked)| PosixAllocationItem {
            namespace: namespace.wire(),
            value,
            pool_uuid: account.pool_uuid.filter(|_| tracked).map(Hex),
            scope: account.pool_offering_scoped.filter(|_| tracked).map(pool_scope),
            scope_name: account.pool_scope_name.clone().filter(|_| tracked),
            // The offerings that take this namespace from the pool carry the same value.
            shared_with_offerings: shared
                .iter()
                .filter(|(_, _, options)| tracked && pool_sourced(options, namespace))
                .map(|(uuid, name, _)| SharingOffering { uuid: Hex(*uuid), name: name.clone() })
                .collect(),
        })
        .collect();
    counted(&items)
}

/// `GET`/`HEAD posix_identities/?user_uuid=`: one row per pool, namespace and value (and
/// project, for a project group's GID), over the user's accounts the caller sees that match
/// the list's filters.
pub(super) async fn posix_identities(
    State(state): State<AppState>,
    caller: Caller,
    QueryPairs(query): QueryPairs,
) -> ApiResult<Response> {
    let given = query.iter().rev().find(|(k, _)| k == "user_uuid").is_some_and(|(_, v)| !v.trim().is_empty());
    if !given {
        return Err(ApiError::Invalid(json!({ "user_uuid": USER_UUID_REQUIRED })));
    }
    let params = parse_list_params(&query, script_prefix(&state.settings))?;
    let user_uuid =
        params.filter.user_uuid.ok_or_else(|| ApiError::Invalid(json!({ "user_uuid": USER_UUID_REQUIRED })))?;
    let mut conn = state.connection().await?;
    let scope = ReadScope { caller: &caller, consent_gate: false, completeness_gate: false, default_exposure: &[] };
    let accounts = store::posix_accounts_of_user(&mut conn, scope, &params.filter, user_uuid).await?;
    let ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
    let groups = match ids.is_empty() {
        true => Vec::new(),
        false => store::posix_groups_of(&mut conn, &caller, &ids).await?,
    };
    counted(&merge_identities(&accounts, &groups))
}

/// The id of the record `uuid` if the caller sees it (neither the consent nor the completeness
/// gate: §2.1; only the id is read, so no exposure is needed); else the 404.
async fn visible_record(conn: &mut PgConnection, caller: &Caller, uuid: Uuid) -> ApiResult<i64> {
    let scope = ReadScope { caller, consent_gate: false, completeness_gate: false, default_exposure: &[] };
    let row = store::find_visible(conn, scope, uuid).await?.ok_or(ApiError::NotFound(NO_OFFERING_USER))?;
    Ok(row.id)
}

/// Whether the pool of the account's offering tracks `value`: the user's active identity in
/// it holds exactly this value.
fn is_tracked(account: &PosixAccountRow, namespace: Namespace, value: i64) -> bool {
    let held = match namespace {
        Namespace::Uid => account.identity_uid,
        Namespace::Gid => account.identity_gid,
    };
    account.pool_uuid.is_some() && held == Some(value)
}

fn group_item(row: PosixGroupRow) -> PosixGroupItem {
    PosixGroupItem {
        kind: row.kind,
        group_name: row.group_name,
        service_provider_name: row.service_provider_name,
        gid: row.gid,
        offering_name: row.offering_name,
        project_name: row.project_name,
        project_uuid: row.project_uuid.map(Hex),
        customer_name: row.customer_name,
        customer_uuid: row.customer_uuid.map(Hex),
        project_accessible: row.project_accessible,
        pool_uuid: row.pool_uuid.map(Hex),
        pool_scope: row.pool_uuid.and(row.pool_offering_scoped).map(pool_scope),
    }
}

/// The key that merges identity rows, in their order (§7.5 step 3): `uid` before `gid`, then
/// by value; a primary value (no project) before a project group's; then the pool.
type IdentityKey = (u8, i64, Option<String>, Option<Uuid>);

/// A merged identity row under construction.
struct IdentityRow {
    namespace: Namespace,
    pool_scope: Option<&'static str>,
    offerings: Vec<(String, Uuid)>,
}

/// §7.5 steps 1–3: every account's UID and primary GID, and its project groups' GIDs, merged
/// by (pool or none, namespace, value, project); `offerings` by name, without repeats.
fn merge_identities(accounts: &[PosixAccountRow], groups: &[PosixGroupRow]) -> Vec<PosixIdentityItem> {
    let mut rows: BTreeMap<IdentityKey, IdentityRow> = BTreeMap::new();
    let mut add = |key: IdentityKey, namespace: Namespace, scope: Option<&'static str>, offering: (String, Uuid)| {
        let row =
            rows.entry(key).or_insert_with(|| IdentityRow { namespace, pool_scope: scope, offerings: Vec::new() });
        if !row.offerings.contains(&offering) {
            row.offerings.push(offering);
        }
    };
    for account in accounts {
        for (order, namespace) in Namespace::ALL.into_iter().enumerate() {
            let Some(value) = metadata_id(&account.backend_metadata, namespace.field()) else { continue };
            let tracked = is_tracked(account, namespace, value);
            let pool = account.pool_uuid.filter(|_| tracked);
            let scope = account.pool_offering_scoped.filter(|_| tracked).map(pool_scope);
            let offering = (account.offering_name.clone(), account.offering_uuid);
            add((order as u8, value, None, pool), namespace, scope, offering);
        }
    }
    let offering_of: BTreeMap<i64, (String, Uuid)> =
        accounts.iter().map(|a| (a.id, (a.offering_name.clone(), a.offering_uuid))).collect();
    for group in groups {
        let Some(offering) = offering_of.get(&group.offering_user_id) else { continue };
        let scope = group.pool_uuid.and(group.pool_offering_scoped).map(pool_scope);
        let key = (1, group.gid, group.project_name.clone(), group.pool_uuid);
        add(key, Namespace::Gid, scope, offering.clone());
    }
    rows.into_iter()
        .map(|((_, value, context, pool), mut row)| {
            row.offerings.sort();
            let offerings: Vec<SharingOffering> =
                row.offerings.into_iter().map(|(name, uuid)| SharingOffering { uuid: Hex(uuid), name }).collect();
            PosixIdentityItem {
                namespace: row.namespace.wire(),
                value,
                context,
                pool_uuid: pool.map(Hex),
                pool_scope: row.pool_scope,
                offering_name: offerings.first().map(|o| o.name.clone()),
                offering_uuid: offerings.first().map(|o| o.uuid),
                offerings,
            }
        })
        .collect()
}

/// A JSON array with `X-Result-Count` = its length, and no `Link`.
fn counted<T: Serialize>(items: &[T]) -> ApiResult<Response> {
    let body = serde_json::to_vec(items).map_err(|e| ApiError::internal("serializing a POSIX list", e))?;
    let mut response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    response.headers_mut().insert("x-result-count", HeaderValue::from(items.len()));
    Ok(response)
}
