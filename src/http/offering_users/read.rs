//! `GET`/`HEAD /api/marketplace-offering-users/` and `GET /{uuid}/` (docs/spec/offering-users.md §4.1–4.2).

use axum::extract::State;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sqlx::PgConnection;

use super::fields::FieldSet;
use super::query::{parse_list_params, ListParams};
use super::representation::OfferingUserJson;
use crate::domain::principal::Caller;
use crate::error::{ApiError, ApiResult, NO_OFFERING_USER};
use crate::http::pagination::Page;
use crate::http::path_uuid::{OfferingUserUuid, PathUuid};
use crate::http::request::{script_prefix, BaseUrl, QueryPairs};
use crate::http::AppState;
use crate::store::offering_users::{self, OfferingUserRow, ReadScope};

/// About the JSON of one record with every field and the default exposure.
const RECORD_BYTES: usize = 1536;

/// The list: a bare JSON array, with `X-Result-Count` and `Link`. `HEAD` answers the same
/// headers without reading the page itself.
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    uri: Uri,
    BaseUrl(base): BaseUrl,
    QueryPairs(query): QueryPairs,
) -> ApiResult<Response> {
    let params = parse_list_params(&query, script_prefix(&state.settings))?;
    let scope = read_scope(&state, &caller);
    let (page, body) = if method == Method::HEAD {
        let count = offering_users::count(&mut *state.connection().await?, scope, &params.filter).await?;
        (Page::resolve(params.page, count, params.page_size)?, Vec::new())
    } else {
        let (page, rows) = read_page(&mut *state.connection().await?, scope, &params).await?;
        let items: Vec<OfferingUserJson<'_>> =
            rows.iter().map(|row| OfferingUserJson::new(row, &base, params.fields, &state)).collect();
        // Sized for a record of every field (about 1.4 KiB) up front: growing by doubling
        // would copy a 100-record page of 134 KiB seven times over.
        let mut body = Vec::with_capacity(2 + items.len() * RECORD_BYTES);
        serde_json::to_writer(&mut body, &items).map_err(|e| ApiError::internal("serializing a page", e))?;
        (page, body)
    };
    Ok(page.response(body, &base, uri.path(), &query))
}

/// The requested page and its rows.
///
/// A filter the counters can count (offerings, states, restriction) keeps its two
/// statements: the count (from the counters, or the rows when the caller does not see the
/// offerings whole), then a page that walks an ordered index and stops at its size, cheap
/// over a caller's broad reach. A filter they cannot count (search, user, username, consent,
/// dates) usually narrows to few rows scattered along that index: the count reads every
/// match anyway, so one statement reads the page and counts the matches together, in about
/// half the time of the two (docs/query-plans.md, S3). Only when that page is empty (no match,
/// or a page past the end)
/// is the count still unknown and read on its own, so that [`Page::resolve`] answers exactly
/// as it does from a count (404 past the end, an empty first page otherwise).
///
/// Why not every row count in one statement: an owner's unfiltered list (a quarter of all
/// records) would top-N sort all of them, three times the cost of count then page
/// (docs/query-plans.md).
async fn read_page(
    conn: &mut PgConnection,
    scope: ReadScope<'_>,
    params: &ListParams,
) -> ApiResult<(Page, Vec<OfferingUserRow>)> {
    let (filter, order, size) = (&params.filter, params.order.as_slice(), params.page_size);
    let offset = match Page::requested_offset(params.page, size) {
        Some(offset) if !offering_users::countable_from_counters(filter) => offset,
        // The counters' kind of filter; or `last`, which needs the count to know where it is
        // (and a page number below 1, a 404 whatever the count).
        _ => {
            let count = offering_users::count(&mut *conn, scope, filter).await?;
            return page_after_count(&mut *conn, scope, params, count).await;
        }
    };
    let (rows, total) = offering_users::page_with_total(&mut *conn, scope, filter, order, size, offset).await?;
    let count = match total {
        Some(total) => total,
        None => offering_users::count(&mut *conn, scope, filter).await?,
    };
    Ok((Page::resolve(params.page, count, size)?, rows))
}

/// The page resolved from a known count, then its rows.
async fn page_after_count(
    conn: &mut PgConnection,
    scope: ReadScope<'_>,
    params: &ListParams,
    count: i64,
) -> ApiResult<(Page, Vec<OfferingUserRow>)> {
    let page = Page::resolve(params.page, count, params.page_size)?;
    let rows = offering_users::page(&mut *conn, scope, &params.filter, &params.order, page.size, page.offset()).await?;
    Ok((page, rows))
}

/// One record the caller can see; 404 otherwise.
pub(super) async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): OfferingUserUuid,
    BaseUrl(base): BaseUrl,
    QueryPairs(query): QueryPairs,
) -> ApiResult<Response> {
    let scope = read_scope(&state, &caller);
    let row = offering_users::find_visible(&mut *state.connection().await?, scope, uuid)
        .await?
        .ok_or(ApiError::NotFound(NO_OFFERING_USER))?;
    let fields = requested_fields(&query);
    Ok(Json(OfferingUserJson::new(&row, &base, fields, &state)).into_response())
}

/// How list and retrieve read: the caller's visibility through the gates the settings turn on.
fn read_scope<'a>(state: &'a AppState, caller: &'a Caller) -> ReadScope<'a> {
    ReadScope {
        caller,
        consent_gate: state.settings.enforce_user_consent,
        completeness_gate: state.settings.enforce_profile_completeness,
        default_exposure: &state.settings.default_user_attributes,
    }
}

/// The `field` parameters of a request.
pub(super) fn requested_fields(query: &[(String, String)]) -> FieldSet {
    FieldSet::from_names(query.iter().filter(|(k, _)| k == "field").map(|(_, v)| v.as_str()))
}
