//! The event log and web hooks in the document, with Waldur's operation ids (`events_list`,
//! `events_count`, `events_retrieve`, `hooks_web_*`).

use serde_json::{json, Value};

use super::offering_users::list_headers;
use super::{
    bad_request, hex_uuid, json_body, json_content, json_response, response_ref, schema_ref, uuid_path_parameter, Paths,
};
use crate::domain::events::{ALL_EVENT_TYPES, USERS_GROUP};

const EVENTS: &str = "/api/events/";
const EVENT: &str = "/api/events/{uuid}/";
const HOOKS: &str = "/api/hooks-web/";
const HOOK: &str = "/api/hooks-web/{uuid}/";
const EVENT_FIELDS: [&str; 5] = ["uuid", "created", "event_type", "message", "context"];

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn repeated(name: &str, description: &str, items: Value) -> Value {
    let mut parameter = query(name, description, json!({"type": "array", "items": items}));
    parameter["style"] = json!("form");
    parameter["explode"] = json!(true);
    parameter
}

fn page_parameters() -> Vec<Value> {
    vec![
        query("page", "A page number, or `last`.", json!({"type": "integer", "minimum": 1})),
        query("page_size", "Records per page (at most 300).", json!({"type": "integer", "minimum": 1, "maximum": 300})),
    ]
}

fn uuid_query(name: &str, description: &str) -> Value {
    query(name, description, json!({"type": "string", "format": "uuid"}))
}

fn event_list_parameters() -> Vec<Value> {
    let types: Vec<&str> = ALL_EVENT_TYPES.iter().map(|t| t.name()).collect();
    let mut parameters = vec![
        repeated("event_type", "Events of these types.", json!({"type": "string", "enum": types})),
        query(
            "scope",
            "The URL of an offering user, provider offering or customer: its events.",
            json!({"type": "string", "maxLength": 500}),
        ),
        query(
            "created_from",
            "Written at or after this Unix timestamp.",
            json!({"type": "number", "minimum": 0, "maximum": 1e10}),
        ),
        query(
            "created_to",
            "Written at or before this Unix timestamp.",
            json!({"type": "number", "minimum": 0, "maximum": 1e10}),
        ),
        uuid_query("user_uuid", "Events of this user's records."),
        uuid_query("customer_uuid", "Events of records on this customer's offerings."),
        uuid_query("project_uuid", "Offering-user events belong to no project: none match."),
        repeated(
            "o",
            "`created` (oldest first) or `-created` (the default).",
            json!({"type": "string", "enum": ["created", "-created"]}),
        ),
        event_field_parameter(),
    ];
    parameters.extend(page_parameters());
    parameters
}

fn event_field_parameter() -> Value {
    repeated("field", "Return only these fields.", json!({"type": "string", "enum": EVENT_FIELDS}))
}

fn event_schema() -> Value {
    json!({
        "type": "object",
        "description": "An offering-user event. With `field`, only the fields asked for.",
        "properties": {
            "uuid": hex_uuid(),
            "created": {"type": "string", "format": "date-time"},
            "event_type": {"type": "string"},
            "message": {"type": "string"},
            "context": {"type": "object", "additionalProperties": true},
        },
    })
}

fn hook_schema() -> Value {
    let types: Vec<&str> = ALL_EVENT_TYPES.iter().map(|t| t.name()).collect();
    let nullable_time = json!({"type": "string", "format": "date-time", "nullable": true});
    json!({
        "type": "object",
        "required": ["url", "uuid", "author_uuid", "created", "modified", "hook_type", "author_fullname",
                     "author_username", "author_email", "destination_url"],
        "properties": {
            "url": {"type": "string", "format": "uri"},
            "uuid": hex_uuid(),
            "is_active": {"type": "boolean"},
            "author_uuid": hex_uuid(),
            "event_types": {"type": "array", "items": {"type": "string", "enum": types}},
            "event_groups": {"type": "array", "items": {"type": "string", "enum": [USERS_GROUP]}},
            "created": {"type": "string", "format": "date-time"},
            "modified": {"type": "string", "format": "date-time"},
            "hook_type": {"type": "string", "enum": ["webhook"]},
            "author_fullname": {"type": "string"},
            "author_username": {"type": "string"},
            "author_email": {"type": "string"},
            "destination_url": {"type": "string"},
            "content_type": {"type": "string", "enum": ["json", "form"]},
            "secret": {"type": "string", "description": "The HMAC-SHA256 key of X-Waldur-Signature: in the answer to create only."},
            "delivery_attempts": {"type": "integer"},
            "delivered_events": {"type": "integer"},
            "pending_deliveries": {"type": "integer"},
            "consecutive_failures": {"type": "integer"},
            "last_delivery_at": nullable_time,
            "last_delivery_status": {"type": "integer", "nullable": true},
            "last_delivery_error": {"type": "string", "nullable": true},
            "next_retry_at": nullable_time,
        },
    })
}

fn hook_request(required: bool, create: bool) -> Value {
    let types: Vec<&str> = ALL_EVENT_TYPES.iter().map(|t| t.name()).collect();
    let mut schema = json!({
        "type": "object",
        "properties": {
            "destination_url": {"type": "string", "format": "uri", "maxLength": 200},
            "is_active": {"type": "boolean"},
            "event_types": {"type": "array", "maxItems": 50, "items": {"type": "string", "enum": types}},
            "event_groups": {"type": "array", "maxItems": 50, "items": {"type": "string", "enum": [USERS_GROUP]}},
            "content_type": {"type": "string", "enum": ["json", "form"]},
        },
    });
    if required {
        schema["required"] = json!(["destination_url"]);
    }
    if create {
        // Upstream's "Please specify list of event_types or event_groups."
        schema["anyOf"] = json!([{"required": ["event_types"]}, {"required": ["event_groups"]}]);
    }
    schema
}

/// The event log's and the hooks' operations.
pub(super) fn event_and_hook_operations(paths: &mut Paths) {
    let unauthenticated = response_ref("Unauthenticated");
    let page_404 = json_response("Invalid page.", schema_ref("Detail"));
    paths.add(
        EVENTS,
        "get",
        json!({
            "operationId": "events_list",
            "summary": "List offering-user events",
            "description": "The events of the records the caller can see, newest first, as a bare JSON array.",
            "tags": ["events"],
            "parameters": event_list_parameters(),
            "responses": {
                "200": {"description": "One page.", "headers": list_headers(),
                        "content": json_content(json!({"type": "array", "items": event_schema()}))},
                "400": bad_request("An invalid filter value.", &["FieldErrors"]),
                "401": unauthenticated,
                "404": page_404,
            },
        }),
    );
    paths.add(
        EVENTS,
        "head",
        json!({
            "operationId": "events_count",
            "summary": "Count offering-user events",
            "tags": ["events"],
            "parameters": event_list_parameters(),
            "responses": {
                "200": {"description": "The count in X-Result-Count.", "headers": list_headers()},
                "400": {"description": "An invalid filter value."},
                "401": {"description": "Not authenticated."},
                "404": {"description": "Invalid page."},
            },
        }),
    );
    paths.add(
        EVENT,
        "get",
        json!({
            "operationId": "events_retrieve",
            "summary": "Retrieve an event",
            "tags": ["events"],
            "parameters": [uuid_path_parameter(), event_field_parameter()],
            "responses": {
                "200": json_response("The event.", event_schema()),
                "401": response_ref("Unauthenticated"),
                "404": response_ref("NotFound"),
            },
        }),
    );

    let mut hook_list_parameters = vec![
        uuid_query("author_uuid", "Hooks of this user."),
        query("author_username", "Hooks of the user with this username.", json!({"type": "string", "maxLength": 150})),
        query("is_active", "Active or inactive hooks.", json!({"type": "boolean"})),
        query("destination_url", "Hooks sending to this URL.", json!({"type": "string", "maxLength": 200})),
        query("content_type", "Hooks of this encoding.", json!({"type": "string", "enum": ["json", "form"]})),
    ];
    hook_list_parameters.extend(page_parameters());
    paths.add(
        HOOKS,
        "get",
        json!({
            "operationId": "hooks_web_list",
            "summary": "List web hooks",
            "description": "The caller's hooks (staff: every hook), newest first.",
            "tags": ["hooks-web"],
            "parameters": hook_list_parameters,
            "responses": {
                "200": {"description": "One page.", "headers": list_headers(),
                        "content": json_content(json!({"type": "array", "items": hook_schema()}))},
                "400": bad_request("An invalid filter value.", &["FieldErrors"]),
                "401": response_ref("Unauthenticated"),
                "404": json_response("Invalid page.", schema_ref("Detail")),
            },
        }),
    );
    paths.add(
        HOOKS,
        "head",
        json!({
            "operationId": "hooks_web_count",
            "summary": "Count web hooks",
            "tags": ["hooks-web"],
            "parameters": hook_list_parameters,
            "responses": {
                "200": {"description": "The count in X-Result-Count.", "headers": list_headers()},
                "400": {"description": "An invalid filter value."},
                "401": {"description": "Not authenticated."},
                "404": {"description": "Invalid page."},
            },
        }),
    );
    let write_errors = bad_request("Field errors, or a malformed body.", &["FieldErrors", "Detail"]);
    paths.add(
        HOOKS,
        "post",
        json!({
            "operationId": "hooks_web_create",
            "summary": "Create a web hook",
            "description": "Its `secret` is in this answer only. A destination on a private, loopback or \
                link-local address is refused unless the server allows them.",
            "tags": ["hooks-web"],
            "requestBody": json_body(hook_request(true, true), true),
            "responses": {
                "201": json_response("Created, with its secret.", hook_schema()),
                "400": write_errors,
                "401": response_ref("Unauthenticated"),
                "415": response_ref("UnsupportedMediaType"),
            },
        }),
    );
    paths.add(
        HOOK,
        "get",
        json!({
            "operationId": "hooks_web_retrieve",
            "summary": "Retrieve a web hook",
            "tags": ["hooks-web"],
            "parameters": [uuid_path_parameter()],
            "responses": {
                "200": json_response("The hook.", hook_schema()),
                "401": response_ref("Unauthenticated"),
                "404": response_ref("NotFound"),
            },
        }),
    );
    for (method, id, required) in [("put", "hooks_web_update", true), ("patch", "hooks_web_partial_update", false)] {
        paths.add(
            HOOK,
            method,
            json!({
                "operationId": id,
                "summary": if required { "Update a web hook" } else { "Partially update a web hook" },
                "tags": ["hooks-web"],
                "parameters": [uuid_path_parameter()],
                "requestBody": json_body(hook_request(required, false), required),
                "responses": {
                    "200": json_response("The hook.", hook_schema()),
                    "400": bad_request("Field errors, or a malformed body.", &["FieldErrors", "Detail"]),
                    "401": response_ref("Unauthenticated"),
                    "404": response_ref("NotFound"),
                    "415": response_ref("UnsupportedMediaType"),
                },
            }),
        );
    }
    paths.add(
        HOOK,
        "delete",
        json!({
            "operationId": "hooks_web_destroy",
            "summary": "Delete a web hook",
            "tags": ["hooks-web"],
            "parameters": [uuid_path_parameter()],
            "responses": {
                "204": {"description": "Deleted; its undelivered events with it."},
                "401": response_ref("Unauthenticated"),
                "404": response_ref("NotFound"),
            },
        }),
    );
}
