//! The operations behind the hyperlinks a record carries: its user and its offering, and
//! the caller himself.

use serde_json::{json, Value};

use super::{json_response, response_ref, schema_ref, uuid_path_parameter, Paths};

pub(super) fn hyperlink_target_operations(paths: &mut Paths) {
    let user = |id: &str, summary: &str, parameters: Vec<Value>| {
        json!({
            "operationId": id,
            "summary": summary,
            "tags": ["users"],
            "parameters": parameters,
            "responses": {
                "200": json_response("The user.", schema_ref("User")),
                "401": response_ref("Unauthenticated"),
                "404": response_ref("NotFound"),
            },
        })
    };
    paths.add("/api/users/me/", "get", user("users_me_retrieve", "The caller", vec![]));
    let mut uuid = uuid_path_parameter();
    uuid["description"] = json!("The user's uuid (32 hex digits or dashed).");
    paths.add("/api/users/{uuid}/", "get", user("users_retrieve", "Retrieve a user", vec![uuid.clone()]));
    uuid["description"] = json!("The offering's uuid (32 hex digits or dashed).");
    paths.add(
        "/api/marketplace-provider-offerings/{uuid}/",
        "get",
        json!({
            "operationId": "marketplace_provider_offerings_retrieve",
            "summary": "Retrieve a provider offering",
            "tags": ["marketplace-provider-offerings"],
            "parameters": [uuid, {
                "name": "field",
                "in": "query",
                "required": false,
                "description": "Return only these fields (all when none is known).",
                "style": "form",
                "explode": true,
                "schema": {"type": "array", "items": {"type": "string"}},
            }],
            "responses": {
                "200": json_response("The offering.", schema_ref("ProviderOffering")),
                "401": response_ref("Unauthenticated"),
                "404": response_ref("NotFound"),
            },
        }),
    );
}
