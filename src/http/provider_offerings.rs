//! `GET /api/marketplace-provider-offerings/{uuid}/`: the target of the `offering` hyperlink,
//! and what the site agent reads `plugin_options` from (`?field=plugin_options`).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Map, Value};

use super::path_uuid::{OfferingRecord, OfferingUuid, PathRecord, PathUuid};
use super::request::{BaseUrl, QueryPairs};
use super::routes::{allow, both};
use super::wire::{Hex, Hyperlink, CUSTOMERS_ROUTE, OFFERINGS_ROUTE};
use super::AppState;
use crate::domain::plugin_options::public_plugin_options;
use crate::domain::principal::Caller;
use crate::error::{ApiError, ApiResult};
use crate::store::directory_reads::visible_offering;

pub(super) fn router() -> Router<AppState> {
    both(Router::new(), "/api/marketplace-provider-offerings/{uuid}/", allow("GET, HEAD, OPTIONS", get(retrieve)))
}

async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): OfferingUuid,
    BaseUrl(base): BaseUrl,
    QueryPairs(query): QueryPairs,
) -> ApiResult<Json<Value>> {
    let offering = visible_offering(&mut *state.connection().await?, &caller, uuid)
        .await?
        .ok_or(ApiError::NotFound(OfferingRecord::NOT_FOUND))?;
    // Staff operate the server and may read what they imported; everyone else, support
    // included, reads only the allowlisted settings (README, "plugin_options").
    let plugin_options = match offering.plugin_options {
        options @ Value::Object(_) if caller.is_staff => options,
        options => public_plugin_options(&options),
    };
    let full = OfferingJson {
        url: Hyperlink::new(&base, OFFERINGS_ROUTE, offering.uuid),
        uuid: Hex(offering.uuid),
        name: &offering.name,
        slug: &offering.slug,
        offering_type: &offering.offering_type,
        customer: Hyperlink::new(&base, CUSTOMERS_ROUTE, offering.customer_uuid),
        customer_uuid: Hex(offering.customer_uuid),
        customer_name: &offering.customer_name,
        parent_uuid: offering.parent_uuid.map(Hex),
        plugin_options,
    };
    let full = serde_json::to_value(full).map_err(|e| ApiError::internal("serializing an offering", e))?;
    Ok(Json(select_fields(full, &query)))
}

/// An offering as the API shows it, keys in upstream's order.
#[derive(Serialize)]
struct OfferingJson<'a> {
    url: Hyperlink<'a>,
    uuid: Hex,
    name: &'a str,
    slug: &'a str,
    #[serde(rename = "type")]
    offering_type: &'a str,
    customer: Hyperlink<'a>,
    customer_uuid: Hex,
    customer_name: &'a str,
    parent_uuid: Option<Hex>,
    plugin_options: Value,
}

/// Keeps only the keys named by `field` parameters; all keys when none is known.
fn select_fields(full: Value, query: &[(String, String)]) -> Value {
    let wanted: Vec<&str> =
        query.iter().filter(|(k, _)| k == "field").flat_map(|(_, v)| v.split(',')).map(str::trim).collect();
    let Value::Object(map) = full else { return full };
    let selected: Map<String, Value> =
        map.iter().filter(|(k, _)| wanted.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    if selected.is_empty() {
        Value::Object(map)
    } else {
        Value::Object(selected)
    }
}
