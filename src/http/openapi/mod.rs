//! `GET /api/schema/`: the OpenAPI 3 document of this server (docs/spec/decisions.md 30:
//! public, no token needed).
//!
//! The document is built from the definitions the handlers themselves use, so it cannot
//! drift from them: the 58 representation fields and their order come from
//! [`Field::ALL`], the list and count parameters from [`LIST_PARAMETERS`]
//! (the table the parser reads through), the orderings from [`ORDERING`], the
//! state labels from [`ALL_STATES`], the ten state actions — their paths, operation ids,
//! bodies and allowed source states — from [`ALL_TRANSITIONS`], the question types and
//! operators from the checklist domain. The integration test `tests/api/openapi.rs` asks
//! the router which methods every documented path answers (`OPTIONS` → `Allow`) and
//! checks the document against that, both ways.
//!
//! Wire facts kept on purpose (docs/spec/decisions.md 2): uuids go out as 32 lowercase hex digits
//! (documented as a pattern, since JSON Schema's `uuid` format demands dashes) and are
//! accepted dashed too; list bodies are bare arrays with `Link` and `X-Result-Count`;
//! state actions and `update_restricted` answer 200 with an empty body; delete answers 204.
//! Every path is also answered without its trailing slash (docs/spec/decisions.md 3); the document
//! lists the canonical form. Operation ids are Waldur's (`docs/spec/clients.md` §3.1).

mod checklists;
mod components;
mod events;
mod health_checks;
mod hyperlink_targets;
mod offering_users;
mod posix;
mod profile_fields;

use std::sync::OnceLock;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use self::checklists::{
    checklist_operations, completion_schema, question_with_answer_schema, template_question_schema,
};
use self::components::components;
use self::events::event_and_hook_operations;
use self::health_checks::health_operations;
use self::hyperlink_targets::hyperlink_target_operations;
use self::offering_users::{
    field_schema, offering_user_operations, offering_user_request, offering_user_schema, update_runtime_state_request,
};
use self::profile_fields::profile_field_warnings_operations;
use super::routes::{allow_public, both};
use super::static_body::StaticBody;
use super::AppState;
use crate::domain::state::ALL_STATES;

/// Where the document is served.
pub const SCHEMA_PATH: &str = "/api/schema/";

const LIST: &str = "/api/marketplace-offering-users/";
const DETAIL: &str = "/api/marketplace-offering-users/{uuid}/";
const TAG: &str = "marketplace-offering-users";
const PREFIX: &str = "marketplace_offering_users";

/// The schema route; public, like upstream's.
pub fn router() -> Router<AppState> {
    both(Router::new(), SCHEMA_PATH, allow_public("GET, HEAD, OPTIONS", get(schema)))
}

/// The document as served: its JSON bytes, serialized once, so a request costs no building
/// and no serializing.
async fn schema() -> Response {
    static BYTES: OnceLock<Bytes> = OnceLock::new();
    let bytes = BYTES.get_or_init(|| Bytes::from(serde_json::to_vec(document()).unwrap_or_default())).clone();
    ([(header::CONTENT_TYPE, "application/json")], Body::new(StaticBody::new(bytes))).into_response()
}

/// The whole OpenAPI document, built once.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(build)
}

fn build() -> Value {
    let mut paths = Paths::default();
    offering_user_operations(&mut paths);
    profile_field_warnings_operations(&mut paths);
    posix::posix_operations(&mut paths);
    checklist_operations(&mut paths);
    hyperlink_target_operations(&mut paths);
    event_and_hook_operations(&mut paths);
    paths.add(
        SCHEMA_PATH,
        "get",
        json!({
            "operationId": "schema_retrieve",
            "summary": "This OpenAPI document",
            "tags": ["schema"],
            "security": [],
            "responses": {"200": {
                "description": "The OpenAPI 3 document of this server.",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }},
        }),
    );
    health_operations(&mut paths);
    add_guard_responses(&mut paths);
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Waldur offering users",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Wire-compatible reimplementation of Waldur's /api/marketplace-offering-users/. \
                Every path is also answered without its trailing slash. A method a path does not \
                list is answered 405 with {\"detail\": …} and an Allow header.",
        },
        "paths": paths.0,
        "components": with_posix_schemas(components()),
        "security": [{"TokenAuth": []}, {"QueryToken": []}],
        "tags": [
            {"name": TAG},
            {"name": "users"},
            {"name": "marketplace-provider-offerings"},
            {"name": "events"},
            {"name": "hooks-web"},
            {"name": "schema"},
            {"name": "health"},
        ],
    })
}
/// The shared components with the POSIX operations' schemas added.
fn with_posix_schemas(mut components: Value) -> Value {
    if let Some(schemas) = components["schemas"].as_object_mut() {
        schemas.extend(posix::posix_schemas());
    }
    components
}

/// Every operation behind the request guard may be answered 503 (outage, load, timeout), and
/// every one that takes a body 413. The public ones (schema, health checks) may be answered 503
/// too, beyond their own limit of requests in progress (`public`); readiness keeps its own 503.
fn add_guard_responses(paths: &mut Paths) {
    for (path, item) in paths.0.iter_mut() {
        let public = path == SCHEMA_PATH || path.starts_with("/health/");
        for operation in item.as_object_mut().into_iter().flat_map(|i| i.values_mut()) {
            let takes_body = operation.get("requestBody").is_some();
            let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { continue };
            if public {
                responses.entry("503").or_insert_with(|| response_ref("Unavailable"));
                continue;
            }
            responses.insert("503".into(), response_ref("Unavailable"));
            if takes_body {
                responses.insert("413".into(), response_ref("PayloadTooLarge"));
            }
        }
    }
}

/// The `paths` object, filled operation by operation.
#[derive(Default)]
struct Paths(Map<String, Value>);

impl Paths {
    fn add(&mut self, path: &str, method: &str, operation: Value) {
        let item = self.0.entry(path.to_owned()).or_insert_with(|| json!({}));
        item[method] = operation;
    }
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn response_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/responses/{name}") })
}

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

fn json_response(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": json_content(schema) })
}

/// A 400 whose body is one of the given DRF shapes.
fn bad_request(description: &str, shapes: &[&str]) -> Value {
    let schema = match shapes {
        [one] => schema_ref(one),
        many => json!({ "oneOf": many.iter().map(|s| schema_ref(s)).collect::<Vec<_>>() }),
    };
    json_response(description, schema)
}

fn json_body(schema: Value, required: bool) -> Value {
    json!({ "required": required, "content": json_content(schema) })
}

fn uuid_path_parameter() -> Value {
    json!({
        "name": "uuid",
        "in": "path",
        "required": true,
        "description": "32 hex digits as the server writes them; the dashed form is accepted too. \
            An unknown or malformed uuid is a 404.",
        "schema": schema_ref("UuidParameter"),
    })
}

/// A text input: any string without NUL characters (Django and DRF refuse those with
/// "Null characters are not allowed.").
fn text(extra: Value) -> Value {
    let mut schema = json!({"type": "string", "pattern": "^[^\\x00]*$"});
    if let (Some(target), Value::Object(extra)) = (schema.as_object_mut(), extra) {
        target.extend(extra);
    }
    schema
}

/// 32 lowercase hex digits, as every uuid goes out.
fn hex_uuid() -> Value {
    json!({ "type": "string", "pattern": "^[0-9a-f]{32}$" })
}

fn state_labels() -> Vec<&'static str> {
    ALL_STATES.iter().map(|s| s.label()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::offering_users::LIST_PARAMETERS;

    #[test]
    fn operation_ids_are_unique() {
        let doc = document();
        let mut ids: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .map(|op| op["operationId"].as_str().unwrap())
            .collect();
        let total = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), total);
        // 24 operations of the API reference, the two counts, the six helpers (the two
        // hyperlink targets, users/me, the schema and the two health checks), the eight of
        // the 2026 contract (docs/spec/offering-users-2026.md §1.1: update_runtime_state,
        // profile_field_warnings with its count, the five POSIX operations), the event log's
        // three and the web hooks' seven.
        assert_eq!(total, 50);
    }

    #[test]
    fn list_parameters_are_the_parsers() {
        let names: Vec<&str> = document()["paths"][LIST]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        let expected: Vec<&str> = LIST_PARAMETERS.iter().map(|p| p.name).collect();
        assert_eq!(names, expected);
    }
}
