//! The offering-user operations of the document: the list and its parameters, the record, its
//! actions, and the representation's schema.

use serde_json::{json, Map, Value};

use super::{
    bad_request, hex_uuid, json_body, json_content, json_response, response_ref, schema_ref, state_labels, text,
    uuid_path_parameter, Paths, DETAIL, LIST, PREFIX, TAG,
};
use crate::domain::listing::MAX_PAGE_SIZE;
use crate::domain::offering_user::MAX_USERNAME_CHARS;
use crate::domain::runtime_state::ALL_RUNTIME_STATES;
use crate::domain::state::{CommentEffect, ALL_TRANSITIONS};
use crate::domain::user_attributes::ATTRIBUTE_NAMES;
use crate::http::offering_users::{Field, ParamKind, FIELDS, LIST_PARAMETERS, MAX_COMMENT_CHARS, ORDERING};

pub(super) fn list_parameters() -> Vec<Value> {
    LIST_PARAMETERS
        .iter()
        .map(|p| {
            let (schema, explode) = match p.kind {
                ParamKind::Text => (text(json!({})), None),
                ParamKind::OfferingUrl => (json!({"type": "string"}), None),
                ParamKind::Uuid => (json!({"type": "string", "format": "uuid"}), None),
                ParamKind::Uuids => (json!({"type": "array", "items": {"type": "string", "format": "uuid"}}), Some(true)),
                ParamKind::Texts => (json!({"type": "array", "items": text(json!({}))}), Some(true)),
                ParamKind::NullBoolean | ParamKind::Boolean => (json!({"type": "boolean"}), None),
                ParamKind::DateTime => (json!({"type": "string", "format": "date-time"}), None),
                ParamKind::States => (json!({"type": "array", "items": {"type": "string", "enum": state_labels()}}), Some(true)),
                ParamKind::RuntimeStates => {
                    (json!({"type": "array", "items": {"type": "string", "enum": runtime_state_labels()}}), Some(true))
                }
                ParamKind::Ordering => {
                    let keys: Vec<String> =
                        ORDERING.iter().flat_map(|(key, _)| [key.to_string(), format!("-{key}")]).collect();
                    (json!({"type": "array", "items": {"type": "string", "enum": keys}}), Some(true))
                }
                ParamKind::Fields => {
                    (json!({"type": "array", "items": {"type": "string", "enum": FIELDS.to_vec()}}), Some(true))
                }
                ParamKind::Page => (json!({"type": "integer", "minimum": 1}), None),
                ParamKind::PageSize => (
                    json!({"type": "integer", "minimum": 1, "description": format!("Clamped to {MAX_PAGE_SIZE}.")}),
                    None,
                ),
            };
            let mut parameter = json!({"name": p.name, "in": "query", "required": false, "description": p.description, "schema": schema});
            if let Some(explode) = explode {
                parameter["style"] = json!("form");
                parameter["explode"] = json!(explode);
            }
            parameter
        })
        .collect()
}

pub(super) fn field_parameter() -> Value {
    json!({
        "name": "field",
        "in": "query",
        "required": false,
        "description": "Return only these fields (all when none is known).",
        "style": "form",
        "explode": true,
        "schema": {"type": "array", "items": {"type": "string", "enum": FIELDS.to_vec()}},
    })
}

pub(super) fn list_headers() -> Value {
    json!({
        "X-Result-Count": {"required": true, "description": "Number of matching records.", "schema": {"type": "integer", "minimum": 0}},
        "Link": {"required": true, "description": "first, prev, next and last page URLs (RFC 8288).", "schema": {"type": "string"}},
    })
}

/// Links from a response carrying an offering user's `uuid` to every operation on it.
pub(super) fn detail_links(uuid_expression: &str) -> Value {
    let mut links = Map::new();
    let mut ids = vec![
        "retrieve",
        "update",
        "partial_update",
        "update_restricted",
        "update_comments_partial_update",
        "update_runtime_state",
    ];
    ids.extend(ALL_TRANSITIONS.iter().map(|t| t.action()));
    ids.extend([
        "checklist_retrieve",
        "checklist_review_retrieve",
        "completion_status_retrieve",
        "completion_review_status_retrieve",
        "submit_answers",
        "destroy",
    ]);
    for id in ids {
        links.insert(
            id.to_owned(),
            json!({"operationId": format!("{PREFIX}_{id}"), "parameters": {"uuid": uuid_expression}}),
        );
    }
    Value::Object(links)
}

pub(super) fn offering_user_operations(paths: &mut Paths) {
    let detail_errors = |op: &mut Value| {
        op["responses"]["401"] = response_ref("Unauthenticated");
        op["responses"]["404"] = response_ref("NotFound");
    };

    let mut list = json!({
        "operationId": format!("{PREFIX}_list"),
        "summary": "List offering users",
        "description": "A page of the offering users the caller can see, as a bare JSON array; \
            the total is in X-Result-Count and the pages in Link.",
        "tags": [TAG],
        "parameters": list_parameters(),
        "responses": {
            "200": {
                "description": "One page.",
                "headers": list_headers(),
                "content": json_content(json!({"type": "array", "items": schema_ref("OfferingUser")})),
            },
            "400": bad_request("An invalid filter value.", &["FieldErrors"]),
            "401": response_ref("Unauthenticated"),
            "404": json_response("Invalid page, or an `offering` URL whose path resolves to no route.", schema_ref("Detail")),
        },
    });
    list["responses"]["200"]["links"] = detail_links("$response.body#/0/uuid");
    paths.add(LIST, "get", list);
    paths.add(
        LIST,
        "head",
        json!({
            "operationId": format!("{PREFIX}_count"),
            "summary": "Count offering users",
            "description": "The list's headers without its body.",
            "tags": [TAG],
            "parameters": list_parameters(),
            "responses": {
                "200": {"description": "The count in X-Result-Count.", "headers": list_headers()},
                "400": {"description": "An invalid filter value."},
                "401": {"description": "Not authenticated."},
                "404": {"description": "Invalid page, or an `offering` URL whose path resolves to no route."},
            },
        }),
    );
    let mut create = json!({
        "operationId": format!("{PREFIX}_create"),
        "summary": "Create an offering user",
        "description": "The offering by `offering` URL or `offering_uuid`, the user by `user` URL or \
            `user_uuid` (exactly one form of each). A non-empty username creates the record in OK, \
            otherwise in Requested.",
        "tags": [TAG],
        "parameters": [field_parameter()],
        "requestBody": json_body(schema_ref("OfferingUserRequest"), true),
        "responses": {
            "201": {
                "description": "Created.",
                "content": json_content(schema_ref("OfferingUser")),
            },
            "400": bad_request(
                "Field errors; or, as a bare list, users may not be created for this offering.",
                &["FieldErrors", "ErrorList", "Detail"],
            ),
            "401": response_ref("Unauthenticated"),
            "403": response_ref("Forbidden"),
            "415": response_ref("UnsupportedMediaType"),
        },
    });
    create["responses"]["201"]["links"] = detail_links("$response.body#/uuid");
    paths.add(LIST, "post", create);

    let mut retrieve = json!({
        "operationId": format!("{PREFIX}_retrieve"),
        "summary": "Retrieve an offering user",
        "tags": [TAG],
        "parameters": [uuid_path_parameter(), field_parameter()],
        "responses": {"200": json_response("The record.", schema_ref("OfferingUser"))},
    });
    detail_errors(&mut retrieve);
    paths.add(DETAIL, "get", retrieve);

    for (method, id, body, summary) in [
        ("put", "update", "OfferingUserRequest", "Update (in practice: the username)"),
        ("patch", "partial_update", "PatchedOfferingUserRequest", "Partial update (in practice: the username)"),
    ] {
        let mut op = json!({
            "operationId": format!("{PREFIX}_{id}"),
            "summary": summary,
            "description": "A new non-empty username moves a record in Requested, Creating, a pending or \
                Error creating state to OK. offering and user cannot be re-pointed; offering_uuid and \
                user_uuid are ignored.",
            "tags": [TAG],
            "parameters": [uuid_path_parameter(), field_parameter()],
            "requestBody": json_body(schema_ref(body), false),
            "responses": {
                "200": json_response("The updated record.", schema_ref("OfferingUser")),
                "400": bad_request("Field errors or a malformed body.", &["FieldErrors", "Detail"]),
                "403": response_ref("Forbidden"),
                "415": response_ref("UnsupportedMediaType"),
            },
        });
        detail_errors(&mut op);
        paths.add(DETAIL, method, op);
    }

    let mut destroy = json!({
        "operationId": format!("{PREFIX}_destroy"),
        "summary": "Delete an offering user",
        "tags": [TAG],
        "parameters": [uuid_path_parameter()],
        "responses": {"204": {"description": "Deleted; no body."}, "403": response_ref("Forbidden")},
    });
    detail_errors(&mut destroy);
    paths.add(DETAIL, "delete", destroy);

    let mut restricted = json!({
        "operationId": format!("{PREFIX}_update_restricted"),
        "summary": "Update restriction status",
        "tags": [TAG],
        "parameters": [uuid_path_parameter()],
        "requestBody": json_body(schema_ref("OfferingUserUpdateRestrictionRequest"), true),
        "responses": {
            "200": {"description": "Done; no response body."},
            "400": bad_request("Field errors or a malformed body.", &["FieldErrors", "Detail"]),
            "403": response_ref("Forbidden"),
            "415": response_ref("UnsupportedMediaType"),
        },
    });
    detail_errors(&mut restricted);
    paths.add("/api/marketplace-offering-users/{uuid}/update_restricted/", "post", restricted);

    let mut comments = json!({
        "operationId": format!("{PREFIX}_update_comments_partial_update"),
        "summary": "Update service provider comments",
        "description": "HTML in the comment is sanitized. Not allowed on a Deleted record (403).",
        "tags": [TAG],
        "parameters": [uuid_path_parameter()],
        "requestBody": json_body(schema_ref("PatchedOfferingUserServiceProviderCommentRequest"), false),
        "responses": {
            "200": json_response("The two comment fields.", schema_ref("OfferingUserServiceProviderComment")),
            "400": bad_request("Field errors or a malformed body.", &["FieldErrors", "Detail"]),
            "403": response_ref("Forbidden"),
            "415": response_ref("UnsupportedMediaType"),
        },
    });
    detail_errors(&mut comments);
    paths.add("/api/marketplace-offering-users/{uuid}/update_comments/", "patch", comments);
    paths.add("/api/marketplace-offering-users/{uuid}/update_runtime_state/", "post", update_runtime_state());

    for transition in ALL_TRANSITIONS {
        let action = transition.action();
        let sources: Vec<&str> = transition.sources().iter().map(|s| s.label()).collect();
        let target = transition.target().label();
        let comments = match transition.comment_effect() {
            CommentEffect::Keep => "",
            CommentEffect::FromBody => {
                " comment and comment_url of the body replace the service-provider comment fields \
                 (absent or null: unchanged; \"\": cleared)."
            }
            CommentEffect::Clear => " Both service-provider comment fields are cleared.",
        };
        let mut op = json!({
            "operationId": format!("{PREFIX}_{action}"),
            "summary": format!("Set state to {target}"),
            "description": format!("Moves the record from {} to {target}.{comments}", sources.join(", ")),
            "tags": [TAG],
            "parameters": [uuid_path_parameter()],
            "responses": {
                "200": {"description": "Done; no response body."},
                "403": response_ref("Forbidden"),
            },
        });
        if transition.comment_effect() == CommentEffect::FromBody {
            op["requestBody"] = json_body(schema_ref("OfferingUserStateTransitionRequest"), false);
            op["responses"]["400"] = bad_request(
                "Cannot transition from the record's state ({\"detail\"}), or field errors in the body.",
                &["Detail", "FieldErrors"],
            );
            op["responses"]["415"] = response_ref("UnsupportedMediaType");
        } else {
            op["responses"]["400"] = bad_request("Cannot transition from the record's state.", &["Detail"]);
        }
        detail_errors(&mut op);
        paths.add(&format!("/api/marketplace-offering-users/{{uuid}}/{action}/"), "post", op);
    }
}

/// `POST {uuid}/update_runtime_state/` (docs/spec/offering-users-2026.md §3.2).
fn update_runtime_state() -> Value {
    json!({
        "operationId": format!("{PREFIX}_update_runtime_state"),
        "summary": "Update runtime state",
        "description": "Sets the record's runtime state (independent of its lifecycle state) in any state \
            but Deleted. service_provider_comment and service_provider_comment_url, when given, replace \
            the stored ones (absent or null: unchanged; \"\": cleared; the comment's HTML is sanitized).",
        "tags": [TAG],
        "parameters": [uuid_path_parameter()],
        "requestBody": json_body(schema_ref("OfferingUserUpdateRuntimeStateRequest"), true),
        "responses": {
            "200": {"description": "Done; no response body."},
            "400": bad_request(
                "Field errors or a malformed body, or the record is Deleted ({\"detail\"}).",
                &["FieldErrors", "Detail"],
            ),
            "401": response_ref("Unauthenticated"),
            "403": response_ref("Forbidden"),
            "404": response_ref("NotFound"),
            "415": response_ref("UnsupportedMediaType"),
        },
    })
}

/// The request body of `update_runtime_state`.
pub(super) fn update_runtime_state_request() -> Value {
    json!({
        "type": "object",
        "properties": {
            "runtime_state": {"type": "string", "enum": runtime_state_labels()},
            "service_provider_comment": text(json!({"nullable": true, "maxLength": MAX_COMMENT_CHARS, "description": "null: unchanged."})),
            "service_provider_comment_url": text(json!({"nullable": true, "description": "A URL (http, https, ftp, ftps) of at most 200 characters, or empty; null: unchanged."})),
        },
        "required": ["runtime_state"],
    })
}

/// The three runtime-state labels (docs/spec/offering-users-2026.md §3.1).
pub(super) fn runtime_state_labels() -> Vec<&'static str> {
    ALL_RUNTIME_STATES.iter().map(|s| s.label()).collect()
}

/// The JSON schema of one representation field (no catch-all: every field has one).
pub(super) fn field_schema(field: Field) -> Value {
    let string = json!({"type": "string"});
    let boolean = json!({"type": "boolean"});
    match field {
        Field::Url | Field::User | Field::Offering => json!({"type": "string", "format": "uri"}),
        Field::Uuid | Field::OfferingUuid | Field::UserUuid | Field::CustomerUuid => hex_uuid(),
        Field::Username => json!({"type": "string", "nullable": true}),
        Field::OfferingName | Field::UserUsername | Field::UserFullName | Field::CustomerName => string,
        Field::UserEmail => json!({"type": "string", "description": "An email address, or empty."}),
        Field::Created | Field::Modified => json!({"type": "string", "format": "date-time"}),
        Field::State => json!({"type": "string", "enum": state_labels()}),
        Field::ServiceProviderComment => json!({"type": "string", "description": "Sanitized HTML."}),
        Field::ServiceProviderCommentUrl => json!({"type": "string", "description": "A URL, or empty."}),
        Field::IsRestricted | Field::HasConsent | Field::RequiresReconsent | Field::HasComplianceChecklist => boolean,
        // The 2026 contract (docs/spec/offering-users-2026.md §4.1).
        Field::UserFirstName
        | Field::UserLastName
        | Field::UserPhoneNumber
        | Field::UserOrganization
        | Field::UserJobTitle
        | Field::UserPersonalTitle
        | Field::UserPlaceOfBirth
        | Field::UserAddress
        | Field::UserCountryOfResidence
        | Field::UserNationality
        | Field::UserOrganizationCountry
        | Field::UserOrganizationType
        | Field::UserOrganizationRegistryCode
        | Field::UserOrganizationVatCode
        | Field::UserOrganizationAddress
        | Field::UserIdentitySource => gated(string),
        Field::UserAffiliations | Field::UserNationalities | Field::UserEdupersonAssurance | Field::UserActiveIsds => {
            gated(json!({"type": "array", "items": {"type": "string"}}))
        }
        Field::UserGender => {
            gated(json!({"type": "string", "nullable": true, "enum": ["male", "female", "unknown", "", null]}))
        }
        Field::UserCivilNumber => gated(json!({"type": "string", "nullable": true})),
        Field::UserBirthDate => gated(json!({"type": "string", "format": "date", "nullable": true})),
        Field::UserUidNumber | Field::UserPrimaryGid => {
            gated(json!({"type": "integer", "format": "int64", "nullable": true}))
        }
        Field::RuntimeState => json!({"type": "string", "enum": RUNTIME_STATES}),
        Field::ServiceProviderAccountUuid => {
            let mut uuid = hex_uuid();
            uuid["nullable"] = json!(true);
            uuid["description"] = json!("The provider account backing this account; null for a per-offering account.");
            uuid
        }
        Field::ServiceProviderAccountUsername => json!({"type": "string", "nullable": true}),
        Field::OfferingHasActiveTos | Field::IsProfileComplete => boolean,
        Field::ConsentData => json!({
            "type": "object",
            "nullable": true,
            "description": "The user's consent to the offering's active terms of service (revoked or not); \
                null without one, without active terms, or with consent not enforced.",
            "properties": {
                "uuid": hex_uuid(),
                "version": {"type": "string"},
                "agreement_date": {"type": "string", "nullable": true,
                                   "description": "Python isoformat: +00:00, microseconds only when non-zero."},
            },
            "required": ["uuid", "version", "agreement_date"],
            "additionalProperties": false,
        }),
        Field::MissingProfileAttributes => json!({
            "type": "array",
            "description": "The exposed attributes empty on the user, in the exposure's order.",
            "items": {"type": "string", "enum": ATTRIBUTE_NAMES.to_vec()},
        }),
        Field::Uidnumber | Field::Primarygroup => json!({"type": "integer", "format": "int64", "nullable": true}),
        Field::LoginShell | Field::HomeDirectory => json!({"type": "string", "nullable": true}),
    }
}

/// The runtime state's labels (docs/spec/offering-users-2026.md §3.1).
const RUNTIME_STATES: [&str; 3] = ["Active", "Pending account linking", "Pending additional validation"];

/// A field shown only when the record's offering exposes its user attribute (§4.3).
fn gated(mut schema: Value) -> Value {
    schema["description"] = json!("Absent unless the offering exposes this user attribute.");
    schema
}

pub(super) fn offering_user_schema() -> Value {
    let properties: Map<String, Value> =
        Field::ALL.into_iter().map(|f| (f.name().to_owned(), field_schema(f))).collect();
    json!({
        "type": "object",
        "description": "The 58 fields in this order; `field` narrows them, and the offering's exposure of \
            user attributes hides the `user_*` fields it does not expose (`user_username`, \
            `user_full_name` and `user_email` always shown), so none is required.",
        "properties": properties,
        "additionalProperties": false,
    })
}

pub(super) fn offering_user_request(patched: bool) -> Value {
    let mut schema = json!({
        "type": "object",
        "properties": {
            "user": {"type": "string", "format": "uri", "description": "URL of /api/users/{uuid}/."},
            "offering": {"type": "string", "format": "uri", "description": "URL of /api/marketplace-provider-offerings/{uuid}/."},
            "username": text(json!({"nullable": true, "maxLength": MAX_USERNAME_CHARS})),
            "offering_uuid": {"type": "string", "format": "uuid"},
            "user_uuid": {"type": "string", "format": "uuid"},
        },
    });
    if patched {
        schema["description"] = json!("Every key optional.");
    }
    schema
}
