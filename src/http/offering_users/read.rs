//! `GET`/`HEAD /api/marketplace-offering-users/` and `GET /{uuid}/` (offering-users.md §4.1–4.2).

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::representation::OfferingUserJson;
use crate::domain::listing::{parse_list_params, FieldSet};
use crate::error::{ApiError, ApiResult, NO_OFFERING_USER};
use crate::http::pagination::Page;
use crate::http::request::{offering_user_uuid, BaseUrl, QueryPairs};
use crate::http::AppState;
use crate::store::offering_users::{self, ReadScope};
use crate::store::Caller;

/// The list: a bare JSON array, with `X-Result-Count` and `Link`. `HEAD` answers the same
/// headers without reading the page itself.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    uri: Uri,
    BaseUrl(base): BaseUrl,
    QueryPairs(query): QueryPairs,
) -> ApiResult<Response> {
    let params = parse_list_params(&query).map_err(ApiError::Invalid)?;
    let scope = ReadScope { caller: &caller, consent_gate: state.settings.enforce_user_consent };
    let count = offering_users::count(&state.pool, scope, &params.filter).await?;
    let page = Page::resolve(params.page, count, params.page_size)?;
    let link = page.link_header(&base, uri.path(), &query);

    let body = if method == Method::HEAD {
        Vec::new()
    } else {
        let rows =
            offering_users::page(&state.pool, scope, &params.filter, &params.order, page.size, page.offset()).await?;
        let items: Vec<OfferingUserJson> =
            rows.iter().map(|row| OfferingUserJson { row, base: &base, fields: params.fields }).collect();
        serde_json::to_vec(&items).map_err(|e| ApiError::Internal(e.to_string()))?
    };
    let mut response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    let headers = response.headers_mut();
    headers.insert("x-result-count", HeaderValue::from(count));
    if let Ok(value) = HeaderValue::from_str(&link) {
        headers.insert(header::LINK, value);
    }
    Ok(response)
}

/// One record the caller can see; 404 otherwise.
pub async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw_uuid): Path<String>,
    BaseUrl(base): BaseUrl,
    QueryPairs(query): QueryPairs,
) -> ApiResult<Response> {
    let uuid = offering_user_uuid(&raw_uuid)?;
    let scope = ReadScope { caller: &caller, consent_gate: state.settings.enforce_user_consent };
    let row =
        offering_users::find_visible(&state.pool, scope, uuid).await?.ok_or(ApiError::NotFound(NO_OFFERING_USER))?;
    let fields = requested_fields(&query);
    Ok(Json(OfferingUserJson { row: &row, base: &base, fields }).into_response())
}

/// The `field` parameters of a request.
pub fn requested_fields(query: &[(String, String)]) -> FieldSet {
    FieldSet::from_names(query.iter().filter(|(k, _)| k == "field").map(|(_, v)| v.as_str()))
}
