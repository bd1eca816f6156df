//! The POSIX operations of offering users (docs/spec/offering-users-2026.md §7) with the SDK
//! 8.1.3 operation ids, and their schemas (`OfferingUserPosixAttributesRequest`,
//! `OfferingUserPosixUpdateResponse`, `OfferingUserPosixGroup`, `OfferingUserPosixAllocation`,
//! `UserPosixIdentity`, `PosixSharingOffering`).

use serde_json::{json, Map, Value};

use super::offering_users::list_parameters;
use super::{
    bad_request, hex_uuid, json_body, json_content, json_response, response_ref, schema_ref, text, uuid_path_parameter,
    Paths, PREFIX, TAG,
};
use crate::domain::posix::MAX_ID;

const BASE: &str = "/api/marketplace-offering-users";

/// The list's parameters that the SDK sends to the POSIX routes: every filter of the count
/// (no `field`); `user_uuid` required on `posix_identities`.
fn posix_parameters(user_uuid_required: bool) -> Vec<Value> {
    list_parameters()
        .into_iter()
        .filter(|p| p["name"] != "field")
        .map(|mut p| {
            if user_uuid_required && p["name"] == "user_uuid" {
                p["required"] = json!(true);
            }
            p
        })
        .collect()
}

/// `X-Result-Count` without `Link`: these lists are never paginated (§2.2).
fn count_header() -> Value {
    json!({"X-Result-Count": {"required": true, "description": "Number of items (the lists are not paginated: no Link).",
                              "schema": {"type": "integer", "minimum": 0}}})
}

fn list_response(description: &str, item: &str) -> Value {
    json!({
        "description": description,
        "headers": count_header(),
        "content": json_content(json!({"type": "array", "items": schema_ref(item)})),
    })
}

/// Adds the four routes and the count.
pub(super) fn posix_operations(paths: &mut Paths) {
    let set = json!({
        "operationId": format!("{PREFIX}_set_posix_attributes"),
        "summary": "Set POSIX attributes for an offering user",
        "description": "Login shell, home directory, UID and/or primary GID; at least one. A UID or GID \
            pins the user's identity in the POSIX ID pool the offering resolves to and is written into \
            every account of the user on that pool. All or nothing. A pool refusal is a string under \
            the field's key.",
        "tags": [TAG],
        "parameters": [uuid_path_parameter()],
        "requestBody": json_body(schema_ref("OfferingUserPosixAttributesRequest"), false),
        "responses": {
            "200": json_response("The values now stored, and advisories.", schema_ref("OfferingUserPosixUpdateResponse")),
            "400": bad_request("Field errors, or a pin the pool refuses.", &["FieldErrors", "FieldMessage"]),
            "401": response_ref("Unauthenticated"),
            "403": response_ref("Forbidden"),
            "404": response_ref("NotFound"),
            "415": response_ref("UnsupportedMediaType"),
        },
    });
    paths.add(&format!("{BASE}/{{uuid}}/set_posix_attributes/"), "post", set);

    for (route, id, summary, item) in [
        ("posix_groups", "posix_groups_list", "The project groups of an offering user", "OfferingUserPosixGroup"),
        (
            "posix_allocations",
            "posix_allocations_list",
            "The UID and primary GID of an offering user and the pools that track them",
            "OfferingUserPosixAllocation",
        ),
    ] {
        let mut parameters = vec![uuid_path_parameter()];
        parameters.extend(posix_parameters(false));
        paths.add(
            &format!("{BASE}/{{uuid}}/{route}/"),
            "get",
            json!({
                "operationId": format!("{PREFIX}_{id}"),
                "summary": summary,
                "description": "The whole list, never paginated; the list's filters are ignored.",
                "tags": [TAG],
                "parameters": parameters,
                "responses": {
                    "200": list_response("Every item.", item),
                    "401": response_ref("Unauthenticated"),
                    "404": response_ref("NotFound"),
                },
            }),
        );
    }

    let identities = format!("{BASE}/posix_identities/");
    let errors = bad_request(
        "`user_uuid` missing (a string under the key) or an invalid filter value.",
        &["FieldErrors", "FieldMessage"],
    );
    paths.add(
        &identities,
        "get",
        json!({
            "operationId": format!("{PREFIX}_posix_identities_list"),
            "summary": "The POSIX identities of a user",
            "description": "One row per pool, namespace and value, over the user's offering users the caller \
                sees that match the filters; never paginated.",
            "tags": [TAG],
            "parameters": posix_parameters(true),
            "responses": {
                "200": list_response("Every row.", "UserPosixIdentity"),
                "400": errors,
                "401": response_ref("Unauthenticated"),
                "404": json_response("An `offering` URL whose path resolves to no route.", schema_ref("Detail")),
            },
        }),
    );
    paths.add(
        &identities,
        "head",
        json!({
            "operationId": format!("{PREFIX}_posix_identities_count"),
            "summary": "Count the POSIX identities of a user",
            "tags": [TAG],
            "parameters": posix_parameters(true),
            "responses": {
                "200": {"description": "The count in X-Result-Count.", "headers": count_header()},
                "400": {"description": "`user_uuid` missing or an invalid filter value."},
                "401": {"description": "Not authenticated."},
                "404": {"description": "An `offering` URL whose path resolves to no route."},
            },
        }),
    );
}

/// The schemas of the POSIX operations, for `components.schemas`.
pub(super) fn posix_schemas() -> Map<String, Value> {
    let id = json!({"type": "integer", "minimum": 0, "maximum": MAX_ID, "nullable": true});
    let path = text(json!({"minLength": 1, "maxLength": 255}));
    let nullable_string = json!({"type": "string", "nullable": true});
    let nullable_hex = json!({"type": "string", "pattern": "^[0-9a-f]{32}$", "nullable": true});
    let pool_scope = json!({"type": "string", "enum": ["offering", "service_provider"], "nullable": true});
    let object = |properties: Value| {
        let required: Vec<String> = properties.as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
        json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
    };
    let mut schemas = Map::new();
    schemas.insert(
        "FieldMessage".into(),
        json!({"type": "object", "description": "One message per key, as a string (upstream's ValidationError({key: message})).",
               "additionalProperties": {"type": "string"}, "minProperties": 1}),
    );
    schemas.insert(
        "OfferingUserPosixAttributesRequest".into(),
        json!({"type": "object", "description": "Every key optional; at least one given (not null).",
               "properties": {"login_shell": path.clone(), "home_directory": path, "uidnumber": id.clone(), "primarygroup": id}}),
    );
    schemas.insert(
        "OfferingUserPosixUpdateResponse".into(),
        object(json!({
            "uidnumber": {"type": "integer", "nullable": true},
            "primarygroup": {"type": "integer", "nullable": true},
            "warnings": {"type": "array", "items": {"type": "string"}},
        })),
    );
    schemas.insert("PosixSharingOffering".into(), object(json!({"uuid": hex_uuid(), "name": {"type": "string"}})));
    schemas.insert(
        "OfferingUserPosixGroup".into(),
        object(json!({
            "kind": {"type": "string", "enum": ["project_group", "provider_project_group"]},
            "group_name": nullable_string,
            "service_provider_name": nullable_string,
            "gid": {"type": "integer"},
            "offering_name": {"type": "string"},
            "project_name": nullable_string,
            "project_uuid": nullable_hex,
            "customer_name": nullable_string,
            "customer_uuid": nullable_hex,
            "project_accessible": {"type": "boolean"},
            "pool_uuid": nullable_hex,
            "pool_scope": pool_scope,
        })),
    );
    let sharing = json!({"type": "array", "items": schema_ref("PosixSharingOffering")});
    schemas.insert(
        "OfferingUserPosixAllocation".into(),
        object(json!({
            "namespace": {"type": "string", "enum": ["uid", "gid"]},
            "value": {"type": "integer"},
            "pool_uuid": nullable_hex,
            "scope": pool_scope,
            "scope_name": nullable_string,
            "shared_with_offerings": sharing,
        })),
    );
    schemas.insert(
        "UserPosixIdentity".into(),
        object(json!({
            "namespace": {"type": "string", "enum": ["uid", "gid"]},
            "value": {"type": "integer"},
            "context": nullable_string,
            "pool_uuid": nullable_hex,
            "pool_scope": pool_scope,
            "offerings": sharing,
            "offering_name": nullable_string,
            "offering_uuid": nullable_hex,
        })),
    );
    schemas
}
