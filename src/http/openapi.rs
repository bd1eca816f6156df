//! `GET /api/schema/`: the OpenAPI 3 document of this server (docs/spec/decisions.md 30:
//! public, no token needed).
//!
//! The document is built from the definitions the handlers themselves use, so it cannot
//! drift from them: the 22 representation fields and their order come from
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

use std::sync::OnceLock;

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::health;
use super::offering_users::{Field, ParamKind, FIELDS, LIST_PARAMETERS, MAX_COMMENT_CHARS, ORDERING};
use super::routes::{allow, both};
use super::AppState;
use crate::domain::checklist::{Operator, QuestionType, MAX_TEXT_ANSWER_CHARS};
use crate::domain::listing::MAX_PAGE_SIZE;
use crate::domain::state::{CommentEffect, ALL_STATES, ALL_TRANSITIONS};

/// Where the document is served.
pub const SCHEMA_PATH: &str = "/api/schema/";

const LIST: &str = "/api/marketplace-offering-users/";
const DETAIL: &str = "/api/marketplace-offering-users/{uuid}/";
const TAG: &str = "marketplace-offering-users";
const PREFIX: &str = "marketplace_offering_users";

/// The schema route; public, like upstream's.
pub fn router() -> Router<AppState> {
    both(Router::new(), SCHEMA_PATH, allow("GET, HEAD, OPTIONS", get(schema)))
}

async fn schema() -> Json<Value> {
    Json(document().clone())
}

/// The whole OpenAPI document, built once.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(build)
}

fn build() -> Value {
    let mut paths = Paths::default();
    offering_user_operations(&mut paths);
    checklist_operations(&mut paths);
    hyperlink_target_operations(&mut paths);
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
        "components": components(),
        "security": [{"TokenAuth": []}, {"QueryToken": []}],
        "tags": [
            {"name": TAG},
            {"name": "users"},
            {"name": "marketplace-provider-offerings"},
            {"name": "schema"},
            {"name": "health"},
        ],
    })
}

/// `GET /health/live` and `GET /health/ready`: public, outside the request guard.
fn health_operations(paths: &mut Paths) {
    let check = json!({"type": "string", "description": "\"ok\", or why the check failed."});
    let readiness = json!({
        "type": "object",
        "required": ["status", "checks"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "unavailable"]},
            "checks": {
                "type": "object",
                "required": ["database", "migrations"],
                "properties": {"database": check, "migrations": check},
            },
        },
    });
    paths.add(
        health::LIVE_PATH,
        "get",
        json!({
            "operationId": "health_live_retrieve",
            "summary": "Liveness: 200 while the process serves requests",
            "tags": ["health"],
            "security": [],
            "responses": {"200": json_response(
                "The process serves requests.",
                json!({"type": "object", "required": ["status"], "properties": {"status": {"type": "string", "enum": ["ok"]}}}),
            )},
        }),
    );
    paths.add(
        health::READY_PATH,
        "get",
        json!({
            "operationId": "health_ready_retrieve",
            "summary": "Readiness: PostgreSQL answers and every migration this release knows is applied",
            "description": "Read from the outage monitor's last probe (at most a second old), so polling \
                it takes no database connection. A schema migrated further by a newer release counts \
                as ready.",
            "tags": ["health"],
            "security": [],
            "responses": {
                "200": json_response("Ready.", readiness.clone()),
                "503": json_response("Not ready; the failed check says why.", readiness),
            },
        }),
    );
}

/// Every operation behind the request guard may be answered 503 (outage, load, timeout), and
/// every one that takes a body 413.
fn add_guard_responses(paths: &mut Paths) {
    for (path, item) in paths.0.iter_mut() {
        if path == SCHEMA_PATH || path.starts_with("/health/") {
            continue;
        }
        for operation in item.as_object_mut().into_iter().flat_map(|i| i.values_mut()) {
            let takes_body = operation.get("requestBody").is_some();
            let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { continue };
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

// ----- /api/marketplace-offering-users/ ---------------------------------------------------

fn list_parameters() -> Vec<Value> {
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
                ParamKind::Ordering => {
                    let keys: Vec<String> =
                        ORDERING.iter().flat_map(|(key, _)| [key.to_string(), format!("-{key}")]).collect();
                    (json!({"type": "array", "items": {"type": "string", "enum": keys}}), Some(true))
                }
                ParamKind::Fields => (json!({"type": "array", "items": {"type": "string", "enum": FIELDS}}), Some(true)),
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

fn field_parameter() -> Value {
    json!({
        "name": "field",
        "in": "query",
        "required": false,
        "description": "Return only these fields (all when none is known).",
        "style": "form",
        "explode": true,
        "schema": {"type": "array", "items": {"type": "string", "enum": FIELDS}},
    })
}

fn list_headers() -> Value {
    json!({
        "X-Result-Count": {"required": true, "description": "Number of matching records.", "schema": {"type": "integer", "minimum": 0}},
        "Link": {"required": true, "description": "first, prev, next and last page URLs (RFC 8288).", "schema": {"type": "string"}},
    })
}

/// Links from a response carrying an offering user's `uuid` to every operation on it.
fn detail_links(uuid_expression: &str) -> Value {
    let mut links = Map::new();
    let mut ids = vec!["retrieve", "update", "partial_update", "update_restricted", "update_comments_partial_update"];
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

fn offering_user_operations(paths: &mut Paths) {
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

// ----- checklists -------------------------------------------------------------------------

fn checklist_operations(paths: &mut Paths) {
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

// ----- the targets of the hyperlinks ------------------------------------------------------

fn hyperlink_target_operations(paths: &mut Paths) {
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

// ----- components -------------------------------------------------------------------------

/// The JSON schema of one representation field (no catch-all: every field has one).
fn field_schema(field: Field) -> Value {
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
    }
}

fn offering_user_schema() -> Value {
    let properties: Map<String, Value> =
        Field::ALL.into_iter().map(|f| (f.name().to_owned(), field_schema(f))).collect();
    json!({
        "type": "object",
        "description": "The 22 fields in this order; `field` narrows them, so none is required.",
        "properties": properties,
        "additionalProperties": false,
    })
}

fn offering_user_request(patched: bool) -> Value {
    let mut schema = json!({
        "type": "object",
        "properties": {
            "user": {"type": "string", "format": "uri", "description": "URL of /api/users/{uuid}/."},
            "offering": {"type": "string", "format": "uri", "description": "URL of /api/marketplace-provider-offerings/{uuid}/."},
            "username": text(json!({"nullable": true, "maxLength": 100})),
            "offering_uuid": {"type": "string", "format": "uuid"},
            "user_uuid": {"type": "string", "format": "uuid"},
        },
    });
    if patched {
        schema["description"] = json!("Every key optional.");
    }
    schema
}

fn question_types() -> Vec<&'static str> {
    QuestionType::ALL.iter().map(|t| t.as_str()).collect()
}

fn operators_or_blank() -> Vec<&'static str> {
    let mut ops: Vec<&str> = Operator::ALL.iter().map(|o| o.as_str()).collect();
    ops.push("");
    ops
}

fn completion_schema(reviewer: bool) -> Value {
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
fn question_common_properties() -> Map<String, Value> {
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

fn question_with_answer_schema(reviewer: bool) -> Value {
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

fn template_question_schema() -> Value {
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

fn components() -> Value {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        // 24 operations of the API reference, the two counts, and the six helpers (the two
        // hyperlink targets, users/me, the schema and the two health checks).
        assert_eq!(total, 32);
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
