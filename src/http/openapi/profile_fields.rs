//! `GET`/`HEAD /api/marketplace-offering-users/profile_field_warnings/`
//! (docs/spec/offering-users-2026.md §6) in the document.

use serde_json::json;

use super::{json_content, response_ref, Paths, PREFIX, TAG};

const PATH: &str = "/api/marketplace-offering-users/profile_field_warnings/";

pub(super) fn profile_field_warnings_operations(paths: &mut Paths) {
    let headers = json!({
        "X-Result-Count": {"required": true, "description": "Number of keys of the object.",
                           "schema": {"type": "integer", "minimum": 0}},
    });
    let description = "User profile field names mapped to the caller's offerings that expose them. When \
        ENFORCE_OFFERING_USER_PROFILE_COMPLETENESS is enabled, clearing a field listed here would make the \
        user invisible to the service provider for the associated offerings; with it off, `{}`.";
    let warnings = json!({
        "type": "object",
        "additionalProperties": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "offering_uuid": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                    "offering_name": {"type": "string"},
                },
                "required": ["offering_uuid", "offering_name"],
                "additionalProperties": false,
            },
        },
    });
    paths.add(
        PATH,
        "get",
        json!({
            "operationId": format!("{PREFIX}_profile_field_warnings_retrieve"),
            "summary": "Profile fields whose clearing would hide the caller from providers",
            "description": description,
            "tags": [TAG],
            "responses": {
                "200": {"description": "The warnings.", "headers": headers, "content": json_content(warnings)},
                "401": response_ref("Unauthenticated"),
            },
        }),
    );
    paths.add(
        PATH,
        "head",
        json!({
            "operationId": format!("{PREFIX}_profile_field_warnings_count"),
            "summary": "Count the caller's profile field warnings",
            "description": "The headers of the GET without its body.",
            "tags": [TAG],
            "responses": {
                "200": {"description": "The number of keys in X-Result-Count.", "headers": headers},
                "401": {"description": "Not authenticated."},
            },
        }),
    );
}
