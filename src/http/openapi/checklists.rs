//! The checklist operations of the document and their schemas.

use serde_json::{json, Map, Value};

use super::{
    bad_request, hex_uuid, json_body, json_response, response_ref, schema_ref, uuid_path_parameter, Paths, PREFIX, TAG,
};
use crate::domain::checklist::{Operator, QuestionType, MAX_TEXT_ANSWER_CHARS};

pub(super) fn checklist_operations(paths: &mut Paths) {
    let no_checklist = || bad_request("No checklist configured for this object.", &["Detail"]);
    let reads = [
        ("checklist", "checklist_retrieve", "Get checklist with questions and existing answers", "ChecklistResponse"),
        (
            "checklist_review",
            "checklist_review_retrieve",
            "Checklist with review logic (reviewers only)",
            "ChecklistReviewerResponse",
        ),
        ("completion_status", "completion_status_retrieve", "Get checklist completion status", "ChecklistCompletion"),
        (
            "completion_review_status",
            "completion_review_status_retrieve",
            "Checklist completion status with review triggers (reviewers only)",
            "ChecklistCompletionReviewer",
        ),
    ];
    for (action, id, summary, shape) in reads {
        let mut parameters = vec![uuid_path_parameter()];
        if action == "checklist" {
            parameters.push(json!({
                "name": "include_all",
                "in": "query",
                "required": false,
                "description": "If true, returns all questions including hidden ones.",
                "schema": {"type": "boolean"},
            }));
        }
        paths.add(
            &format!("/api/marketplace-offering-users/{{uuid}}/{action}/"),
            "get",
            json!({
                "operationId": format!("{PREFIX}_{id}"),
                "summary": summary,
                "tags": [TAG],
                "parameters": parameters,
                "responses": {
                    "200": json_response("The checklist view.", schema_ref(shape)),
                    "400": no_checklist(),
                    "401": response_ref("Unauthenticated"),
                    "403": response_ref("Forbidden"),
                    "404": response_ref("NotFound"),
                },
            }),
        );
    }
    paths.add(
        "/api/marketplace-offering-users/{uuid}/submit_answers/",
        "post",
        json!({
            "operationId": format!("{PREFIX}_submit_answers"),
            "summary": "Submit checklist answers",
            "description": format!(
                "answer_data null deletes the caller's answer to that question. At most one element per \
                 question of the checklist. String answers and file names have at most \
                 {MAX_TEXT_ANSWER_CHARS} characters. A file sent back (stored_file_id, no content) must be \
                 one stored for this question of this record, and keeps its stored name, size and type. \
                 The body may be as large as the checklist's file questions need (base64) and the \
                 server's --max-submit-body-size allows; the files of one record's checklist may take \
                 at most --checklist-files-quota bytes."
            ),
            "tags": [TAG],
            "parameters": [uuid_path_parameter()],
            "requestBody": json_body(json!({"type": "array", "items": schema_ref("AnswerSubmitRequest")}), true),
            "responses": {
                "200": json_response("Answers stored.", schema_ref("AnswerSubmitResponse")),
                "400": bad_request(
                    "No checklist, a malformed body, or per-element errors.",
                    &["Detail", "FieldErrors", "ElementErrors"],
                ),
                "401": response_ref("Unauthenticated"),
                "403": response_ref("Forbidden"),
                "404": response_ref("NotFound"),
                "415": response_ref("UnsupportedMediaType"),
            },
        }),
    );
    let template = "/api/marketplace-offering-users/checklist-template/";
    let parent = json!({
        "name": "parent_uuid",
        "in": "query",
        "required": true,
        "description": "UUID of the offering the new offering user would belong to.",
        "schema": {"type": "string", "format": "uuid"},
    });
    paths.add(
        template,
        "get",
        json!({
            "operationId": format!("{PREFIX}_checklist_template_retrieve"),
            "summary": "Get checklist template for creating new objects",
            "tags": [TAG],
            "parameters": [parent],
            "responses": {
                "200": json_response("The offering's checklist and its questions.", schema_ref("ChecklistTemplate")),
                "400": bad_request("parent_uuid missing, or no checklist configured for new objects.", &["Detail"]),
                "401": response_ref("Unauthenticated"),
                "404": json_response("Parent object not found.", schema_ref("Detail")),
            },
        }),
    );
    paths.add(
        template,
        "head",
        json!({
            "operationId": format!("{PREFIX}_checklist_template_count"),
            "summary": "The template's headers without its body",
            "tags": [TAG],
            "parameters": [parent],
            "responses": {
                "200": {
                    "description": "The template exists.",
                    "headers": {"X-Result-Count": {
                        "required": true,
                        "description": "Number of questions of the template.",
                        "schema": {"type": "integer", "minimum": 0},
                    }},
                },
                "400": {"description": "parent_uuid missing, or no checklist configured for new objects."},
                "401": {"description": "Not authenticated."},
                "404": {"description": "Parent object not found."},
            },
        }),
    );
}

pub(super) fn question_types() -> Vec<&'static str> {
    QuestionType::ALL.iter().map(|t| t.as_str()).collect()
}

pub(super) fn operators_or_blank() -> Vec<&'static str> {
    let mut ops: Vec<&str> = Operator::ALL.iter().map(|o| o.as_str()).collect();
    ops.push("");
    ops
}

pub(super) fn completion_schema(reviewer: bool) -> Value {
    let mut properties = json!({
        "uuid": hex_uuid(),
        "is_completed": {"type": "boolean"},
        "completion_percentage": {"type": "number"},
        "unanswered_required_questions": {"type": "array", "items": {
            "type": "object",
            "properties": {"uuid": hex_uuid(), "description": {"type": "string"}, "question_type": {"type": "string", "enum": question_types()}},
        }},
        "checklist_name": {"type": "string"},
        "checklist_description": {"type": "string"},
        "created": {"type": "string", "format": "date-time"},
        "modified": {"type": "string", "format": "date-time"},
    });
    let mut required: Vec<&str> = vec![
        "uuid",
        "is_completed",
        "completion_percentage",
        "unanswered_required_questions",
        "checklist_name",
        "checklist_description",
        "created",
        "modified",
    ];
    if reviewer {
        properties["requires_review"] = json!({"type": "boolean"});
        properties["reviewed_by"] = json!({"type": "integer", "nullable": true});
        properties["reviewed_by_name"] = json!({"type": "string", "nullable": true});
        properties["reviewed_at"] = json!({"type": "string", "format": "date-time", "nullable": true});
        properties["review_notes"] = json!({"type": "string", "nullable": true});
        properties["review_trigger_summary"] = json!({"type": "array", "items": {"type": "object"}});
        required.extend(["requires_review", "reviewed_by_name", "review_trigger_summary"]);
    }
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

/// The question keys every question view shares (§8.2; docs/spec/decisions.md 21's later keys).
pub(super) fn question_common_properties() -> Map<String, Value> {
    let decimal = json!({"type": "string", "nullable": true, "description": "A decimal number."});
    let Value::Object(map) = json!({
        "uuid": hex_uuid(),
        "description": {"type": "string"},
        "question_type": {"type": "string", "enum": question_types()},
        "required": {"type": "boolean"},
        "order": {"type": "integer"},
        "question_options": {"type": "array", "nullable": true, "items": {
            "type": "object",
            "properties": {"uuid": hex_uuid(), "label": {"type": "string"}, "order": {"type": "integer"}},
            "required": ["uuid", "label"],
        }},
        "min_value": decimal.clone(),
        "max_value": decimal,
        "allowed_file_types": {"type": "array", "items": {"type": "string"}},
        "allowed_mime_types": {"type": "array", "items": {"type": "string"}},
        "max_file_size_mb": {"type": "integer", "nullable": true},
        "max_files_count": {"type": "integer", "nullable": true},
        "likert_scale_length": {"type": "integer", "nullable": true},
        "likert_low_label": {"type": "string"},
        "likert_high_label": {"type": "string"},
        "likert_allow_na": {"type": "boolean"},
        "rich_text_char_limit": {"type": "integer", "nullable": true},
        "rich_text_toolbar_level": {"type": "string", "enum": ["minimal", "standard", "extended"]},
    }) else {
        return Map::new();
    };
    map
}

pub(super) fn question_with_answer_schema(reviewer: bool) -> Value {
    let mut properties = question_common_properties();
    properties.insert("user_guidance".into(), json!({"type": "string", "nullable": true}));
    properties.insert("existing_answer".into(), json!({"type": "object", "nullable": true}));
    properties.insert("dependencies_info".into(), json!({"type": "object", "nullable": true}));
    let mut required: Vec<&str> = vec![
        "uuid",
        "description",
        "user_guidance",
        "question_type",
        "required",
        "order",
        "existing_answer",
        "question_options",
        "min_value",
        "max_value",
        "allowed_file_types",
        "allowed_mime_types",
        "max_file_size_mb",
        "max_files_count",
        "likert_scale_length",
        "likert_low_label",
        "likert_high_label",
        "likert_allow_na",
        "rich_text_char_limit",
        "rich_text_toolbar_level",
        "dependencies_info",
    ];
    if reviewer {
        properties.insert("operator".into(), json!({"type": "string", "enum": operators_or_blank()}));
        properties.insert("review_answer_value".into(), json!({"nullable": true}));
        properties.insert("always_requires_review".into(), json!({"type": "boolean"}));
        required.extend(["operator", "review_answer_value", "always_requires_review"]);
    }
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

pub(super) fn template_question_schema() -> Value {
    let mut properties = question_common_properties();
    properties.insert("user_guidance".into(), json!({"type": "string"}));
    properties.insert("operator".into(), json!({"type": "string", "enum": operators_or_blank()}));
    properties.insert("review_answer_value".into(), json!({"nullable": true}));
    properties.insert("always_requires_review".into(), json!({"type": "boolean"}));
    properties.insert("guidance_answer_value".into(), json!({"nullable": true}));
    properties.insert("guidance_operator".into(), json!({"type": "string", "enum": operators_or_blank()}));
    properties.insert("always_show_guidance".into(), json!({"type": "boolean"}));
    properties.insert("dependency_logic_operator".into(), json!({"type": "string", "enum": ["and", "or"]}));
    json!({"type": "object", "properties": properties, "required": ["uuid", "question_options"], "additionalProperties": false})
}
