//! The document's shared components: security schemes, parameters, schemas and responses.

use serde_json::{json, Value};

use super::{
    completion_schema, field_schema, hex_uuid, json_content, json_response, offering_user_request,
    offering_user_schema, question_with_answer_schema, schema_ref, template_question_schema, text,
    update_runtime_state_request,
};
use crate::domain::checklist::MAX_TEXT_ANSWER_CHARS;
use crate::http::offering_users::{Field, MAX_COMMENT_CHARS};

pub(super) fn components() -> Value {
    let detail = json!({
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
        "additionalProperties": false,
    });
    let checklist_short = json!({
        "type": "object",
        "properties": {
            "uuid": hex_uuid(),
            "name": {"type": "string"},
            "description": {"type": "string"},
            "checklist_type": {"type": "string"},
        },
        "required": ["uuid", "name", "description", "checklist_type"],
        "additionalProperties": false,
    });
    let checklist_response = |completion: &str, question: &str| {
        json!({
            "type": "object",
            "properties": {
                "checklist": schema_ref("ChecklistShort"),
                "completion": schema_ref(completion),
                "questions": {"type": "array", "items": schema_ref(question)},
            },
            "required": ["checklist", "completion", "questions"],
            "additionalProperties": false,
        })
    };
    json!({
        "securitySchemes": {
            "TokenAuth": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Token <key>` (the scheme in any case).",
            },
            "QueryToken": {"type": "apiKey", "in": "query", "name": "x-auth-token"},
        },
        "schemas": {
            "UuidParameter": {
                "type": "string",
                "pattern": "^([0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
            },
            "OfferingUser": offering_user_schema(),
            "OfferingUserRequest": offering_user_request(false),
            "PatchedOfferingUserRequest": offering_user_request(true),
            "OfferingUserUpdateRestrictionRequest": {
                "type": "object",
                "properties": {"is_restricted": {"type": "boolean"}},
                "required": ["is_restricted"],
            },
            "PatchedOfferingUserServiceProviderCommentRequest": {
                "type": "object",
                "properties": {
                    "service_provider_comment": text(json!({"maxLength": MAX_COMMENT_CHARS})),
                    "service_provider_comment_url": text(json!({"description": "A URL (http, https, ftp, ftps) of at most 200 characters, or empty."})),
                },
            },
            "OfferingUserServiceProviderComment": {
                "type": "object",
                "properties": {
                    "service_provider_comment": field_schema(Field::ServiceProviderComment),
                    "service_provider_comment_url": field_schema(Field::ServiceProviderCommentUrl),
                },
                "required": ["service_provider_comment", "service_provider_comment_url"],
                "additionalProperties": false,
            },
            "OfferingUserUpdateRuntimeStateRequest": update_runtime_state_request(),
            "OfferingUserStateTransitionRequest": {
                "type": "object",
                "properties": {
                    "comment": text(json!({"nullable": true, "maxLength": MAX_COMMENT_CHARS, "description": "null: unchanged."})),
                    "comment_url": text(json!({"nullable": true, "description": "A URL, or empty; null: unchanged."})),
                },
            },
            "ChecklistShort": checklist_short,
            "ChecklistCompletion": completion_schema(false),
            "ChecklistCompletionReviewer": completion_schema(true),
            "QuestionWithAnswer": question_with_answer_schema(false),
            "QuestionWithAnswerReviewer": question_with_answer_schema(true),
            "ChecklistResponse": checklist_response("ChecklistCompletion", "QuestionWithAnswer"),
            "ChecklistReviewerResponse": checklist_response("ChecklistCompletionReviewer", "QuestionWithAnswerReviewer"),
            "Question": template_question_schema(),
            "ChecklistTemplate": {
                "type": "object",
                "properties": {
                    "checklist": schema_ref("ChecklistShort"),
                    "questions": {"type": "array", "items": schema_ref("Question")},
                    "initial_visible_questions": {"type": "array", "items": schema_ref("Question")},
                },
                "required": ["checklist", "questions", "initial_visible_questions"],
                "additionalProperties": false,
            },
            "AnswerSubmitRequest": {
                "type": "object",
                "properties": {
                    "question_uuid": {"type": "string", "format": "uuid"},
                    "answer_data": {"nullable": true, "description": format!(
                        "Any JSON value; null deletes the answer. Strings of at most {MAX_TEXT_ANSWER_CHARS} characters."
                    )},
                },
                "required": ["question_uuid", "answer_data"],
            },
            "AnswerSubmitResponse": {
                "type": "object",
                "properties": {"detail": {"type": "string"}, "completion": schema_ref("ChecklistCompletion")},
                "required": ["detail", "completion"],
                "additionalProperties": false,
            },
            "User": {
                "type": "object",
                "properties": {
                    "url": {"type": "string", "format": "uri"},
                    "uuid": hex_uuid(),
                    "username": {"type": "string"},
                    "full_name": {"type": "string"},
                    "first_name": {"type": "string"},
                    "last_name": {"type": "string"},
                    "email": {"type": "string"},
                    "is_staff": {"type": "boolean"},
                    "is_support": {"type": "boolean"},
                    "is_active": {"type": "boolean"},
                },
                "required": ["url", "uuid", "username", "full_name", "first_name", "last_name", "email", "is_staff", "is_support", "is_active"],
                "additionalProperties": false,
            },
            "ProviderOffering": {
                "type": "object",
                "description": "`field` narrows the keys, so none is required.",
                "properties": {
                    "url": {"type": "string", "format": "uri"},
                    "uuid": hex_uuid(),
                    "name": {"type": "string"},
                    "slug": {"type": "string"},
                    "type": {"type": "string"},
                    "customer": {"type": "string", "format": "uri"},
                    "customer_uuid": hex_uuid(),
                    "customer_name": {"type": "string"},
                    "parent_uuid": {"type": "string", "pattern": "^[0-9a-f]{32}$", "nullable": true},
                    "plugin_options": {"type": "object", "description": "Whole for staff; for everyone else only the allowlisted settings (README)."},
                },
                "additionalProperties": false,
            },
            "Detail": detail,
            "FieldErrors": {
                "type": "object",
                "description": "DRF validation errors: messages per field (or non_field_errors).",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "minProperties": 1,
            },
            "ErrorList": {"type": "array", "description": "DRF validation errors without a field.", "items": {"type": "string"}},
            "ElementErrors": {
                "type": "array",
                "description": "One object of field errors per submitted element ({} for a valid one).",
                "items": {"type": "object"},
            },
        },
        "responses": {
            "Unauthenticated": {
                "description": "No, an invalid or an expired token.",
                "headers": {"WWW-Authenticate": {"required": true, "schema": {"type": "string", "enum": ["Token"]}}},
                "content": json_content(schema_ref("Detail")),
            },
            "Forbidden": json_response("The caller lacks the permission.", schema_ref("Detail")),
            "NotFound": json_response("No such record, a malformed uuid, or one the caller cannot see.", schema_ref("Detail")),
            "MethodNotAllowed": {
                "description": "A method the path does not support.",
                "headers": {"Allow": {"required": true, "schema": {"type": "string"}}},
                "content": json_content(schema_ref("Detail")),
            },
            "UnsupportedMediaType": json_response("A body in a format other than JSON or form-encoded.", schema_ref("Detail")),
            "PayloadTooLarge": json_response(
                "A body over the route's limit, answered before it is read.",
                schema_ref("Detail"),
            ),
            "Unavailable": {
                "description": "The database is unreachable, the server is busy, or the request took too long. \
                    Nothing the request started was committed.",
                "headers": {"Retry-After": {"required": true, "schema": {"type": "integer", "minimum": 1}}},
                "content": json_content(schema_ref("Detail")),
            },
        },
    })
}
