//! `GET /api/schema/` (docs/spec/decisions.md 30): public, and describing exactly the routes
//! the router serves, with Waldur's operation ids, the 58 fields in order and the 10 states.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::Value;

use crate::support::*;

const OU: &str = "00000000000000000000000000000f01";

/// Every route the router serves, written out independently of the document: the 24
/// operations of the API reference, the hyperlink targets and the schema itself. The docs page
/// `/api/docs/` and its assets are left out on purpose, being no API operation (`docs.rs`
/// checks that they are served and not documented).
fn served_paths() -> Vec<&'static str> {
    vec![
        "/api/marketplace-offering-users/",
        "/api/marketplace-offering-users/{uuid}/",
        "/api/marketplace-offering-users/{uuid}/update_restricted/",
        "/api/marketplace-offering-users/{uuid}/update_comments/",
        "/api/marketplace-offering-users/{uuid}/update_runtime_state/",
        "/api/marketplace-offering-users/{uuid}/begin_creating/",
        "/api/marketplace-offering-users/{uuid}/set_pending_account_linking/",
        "/api/marketplace-offering-users/{uuid}/set_pending_additional_validation/",
        "/api/marketplace-offering-users/{uuid}/set_validation_complete/",
        "/api/marketplace-offering-users/{uuid}/set_ok/",
        "/api/marketplace-offering-users/{uuid}/set_error_creating/",
        "/api/marketplace-offering-users/{uuid}/set_error_deleting/",
        "/api/marketplace-offering-users/{uuid}/request_deletion/",
        "/api/marketplace-offering-users/{uuid}/set_deleting/",
        "/api/marketplace-offering-users/{uuid}/set_deleted/",
        "/api/marketplace-offering-users/{uuid}/checklist/",
        "/api/marketplace-offering-users/{uuid}/checklist_review/",
        "/api/marketplace-offering-users/{uuid}/completion_status/",
        "/api/marketplace-offering-users/{uuid}/completion_review_status/",
        "/api/marketplace-offering-users/{uuid}/submit_answers/",
        "/api/marketplace-offering-users/checklist-template/",
        "/api/marketplace-offering-users/profile_field_warnings/",
        "/api/marketplace-offering-users/{uuid}/set_posix_attributes/",
        "/api/marketplace-offering-users/{uuid}/posix_groups/",
        "/api/marketplace-offering-users/{uuid}/posix_allocations/",
        "/api/marketplace-offering-users/posix_identities/",
        "/api/users/me/",
        "/api/users/{uuid}/",
        "/api/marketplace-provider-offerings/{uuid}/",
        "/api/events/",
        "/api/events/{uuid}/",
        "/api/hooks-web/",
        "/api/hooks-web/{uuid}/",
        "/api/schema/",
        "/health/live",
        "/health/ready",
    ]
}

/// Waldur's operation ids (the Waldur API reference (January 2026), docs/spec/clients.md §3.1; the
/// 2026 contract's, docs/spec/offering-users-2026.md §1.1; the event log's and web hooks'), and
/// ours for the helpers.
const OPERATION_IDS: [&str; 50] = [
    "marketplace_offering_users_list",
    "marketplace_offering_users_count",
    "marketplace_offering_users_create",
    "marketplace_offering_users_retrieve",
    "marketplace_offering_users_update",
    "marketplace_offering_users_partial_update",
    "marketplace_offering_users_destroy",
    "marketplace_offering_users_update_restricted",
    "marketplace_offering_users_update_comments_partial_update",
    "marketplace_offering_users_update_runtime_state",
    "marketplace_offering_users_begin_creating",
    "marketplace_offering_users_set_pending_account_linking",
    "marketplace_offering_users_set_pending_additional_validation",
    "marketplace_offering_users_set_validation_complete",
    "marketplace_offering_users_set_ok",
    "marketplace_offering_users_set_error_creating",
    "marketplace_offering_users_set_error_deleting",
    "marketplace_offering_users_request_deletion",
    "marketplace_offering_users_set_deleting",
    "marketplace_offering_users_set_deleted",
    "marketplace_offering_users_checklist_retrieve",
    "marketplace_offering_users_checklist_review_retrieve",
    "marketplace_offering_users_completion_status_retrieve",
    "marketplace_offering_users_completion_review_status_retrieve",
    "marketplace_offering_users_submit_answers",
    "marketplace_offering_users_checklist_template_retrieve",
    "marketplace_offering_users_checklist_template_count",
    "marketplace_offering_users_profile_field_warnings_retrieve",
    "marketplace_offering_users_profile_field_warnings_count",
    "marketplace_offering_users_set_posix_attributes",
    "marketplace_offering_users_posix_groups_list",
    "marketplace_offering_users_posix_allocations_list",
    "marketplace_offering_users_posix_identities_list",
    "marketplace_offering_users_posix_identities_count",
    "users_me_retrieve",
    "users_retrieve",
    "marketplace_provider_offerings_retrieve",
    "schema_retrieve",
    "health_live_retrieve",
    "health_ready_retrieve",
    "events_list",
    "events_count",
    "events_retrieve",
    "hooks_web_list",
    "hooks_web_count",
    "hooks_web_create",
    "hooks_web_retrieve",
    "hooks_web_update",
    "hooks_web_partial_update",
    "hooks_web_destroy",
];

const HTTP_METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "trace"];

async fn document(app: &TestApp) -> Value {
    let reply = app.request(Method::GET, "/api/schema/", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.json()
}

fn documented_methods(doc: &Value, path: &str) -> BTreeSet<String> {
    doc["paths"][path]
        .as_object()
        .map(|item| item.keys().filter(|k| HTTP_METHODS.contains(&k.as_str())).map(|k| k.to_uppercase()).collect())
        .unwrap_or_default()
}

/// The methods the router answers on `path`, from its `Allow` header.
async fn allowed_methods(app: &TestApp, path: &str) -> BTreeSet<String> {
    let concrete = path.replace("{uuid}", OU);
    let request = Request::builder()
        .method(Method::OPTIONS)
        .uri(&concrete)
        .header("authorization", "Token staff-token")
        .body(Body::empty())
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::OK, "OPTIONS {concrete} is not routed");
    let allow = reply.header("allow").unwrap_or_else(|| panic!("no Allow on {concrete}"));
    allow.split(',').map(|m| m.trim().to_owned()).filter(|m| m != "OPTIONS").collect()
}

#[tokio::test]
async fn schema_is_public_json_with_and_without_the_slash() {
    let app = TestApp::with(&world()).await;
    for path in ["/api/schema/", "/api/schema"] {
        let reply = app.request(Method::GET, path, None, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert!(reply.header("content-type").unwrap().starts_with("application/json"));
        let doc = reply.json();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        assert_eq!(doc["paths"]["/api/schema/"]["get"]["security"], serde_json::json!([]));
    }
}

#[tokio::test]
async fn document_lists_exactly_the_routes_the_router_serves() {
    let app = TestApp::with(&world_with(vec![offering_user(OU, ids::ADMIN, ids::OFFERING, None, "Requested")])).await;
    let doc = document(&app).await;
    let documented: BTreeSet<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    let served: BTreeSet<&str> = served_paths().into_iter().collect();
    assert_eq!(documented, served);

    for path in served_paths() {
        let allowed = allowed_methods(&app, path).await;
        let documented = documented_methods(&doc, path);
        // Every documented method is served …
        assert!(documented.is_subset(&allowed), "{path}: documented {documented:?}, served {allowed:?}");
        // … and every served method is documented; HEAD is implicit wherever GET is (RFC 9110),
        // and documented where Waldur has a count operation.
        let undocumented: Vec<&String> = allowed.iter().filter(|m| *m != "HEAD" && !documented.contains(*m)).collect();
        assert!(undocumented.is_empty(), "{path}: served but undocumented {undocumented:?}");
    }

    // The probe tells routed from unrouted paths.
    let unrouted = app.request(Method::OPTIONS, &action(OU, "set_bogus"), Some("staff-token"), None).await;
    assert_eq!(unrouted.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn operation_ids_are_waldurs() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let ids: BTreeSet<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    assert_eq!(ids, OPERATION_IDS.into_iter().collect::<BTreeSet<_>>());
    assert_eq!(doc["paths"][LIST]["head"]["operationId"], "marketplace_offering_users_count");
}

#[tokio::test]
async fn representation_has_the_58_fields_in_order_and_the_10_states() {
    let app = TestApp::with(&world_with(vec![offering_user(OU, ids::ADMIN, ids::OFFERING, None, "Requested")])).await;
    let doc = document(&app).await;
    let schema = &doc["components"]["schemas"]["OfferingUser"];
    let names: Vec<&str> = schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    let expected = [
        "url",
        "uuid",
        "user",
        "offering",
        "username",
        "offering_uuid",
        "offering_name",
        "user_uuid",
        "user_username",
        "user_full_name",
        "user_first_name",
        "user_last_name",
        "user_email",
        "user_phone_number",
        "user_organization",
        "user_job_title",
        "user_affiliations",
        "user_gender",
        "user_personal_title",
        "user_place_of_birth",
        "user_address",
        "user_country_of_residence",
        "user_nationality",
        "user_nationalities",
        "user_organization_country",
        "user_organization_type",
        "user_organization_registry_code",
        "user_organization_vat_code",
        "user_organization_address",
        "user_eduperson_assurance",
        "user_civil_number",
        "user_birth_date",
        "user_identity_source",
        "user_uid_number",
        "user_primary_gid",
        "user_active_isds",
        "created",
        "modified",
        "customer_uuid",
        "customer_name",
        "is_restricted",
        "state",
        "runtime_state",
        "service_provider_comment",
        "service_provider_comment_url",
        "service_provider_account_uuid",
        "service_provider_account_username",
        "has_consent",
        "requires_reconsent",
        "offering_has_active_tos",
        "has_compliance_checklist",
        "consent_data",
        "is_profile_complete",
        "missing_profile_attributes",
        "uidnumber",
        "primarygroup",
        "login_shell",
        "home_directory",
    ];
    assert_eq!(names, expected);
    let states: Vec<&str> =
        schema["properties"]["state"]["enum"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(
        states,
        [
            "Requested",
            "Creating",
            "Pending account linking",
            "Pending additional validation",
            "OK",
            "Requested deletion",
            "Deleting",
            "Deleted",
            "Error creating",
            "Error deleting"
        ]
    );

    // What the server sends has exactly those keys, in that order, less the `user_*` keys the
    // default exposure hides (docs/spec/offering-users-2026.md §4.3).
    let record = app.get(&detail(OU), "staff-token").await.json();
    let sent: Vec<&str> = record.as_object().unwrap().keys().map(String::as_str).collect();
    let shown = ["user_uuid", "user_username", "user_full_name", "user_first_name", "user_last_name", "user_email"];
    let exposed: Vec<&str> = expected.into_iter().filter(|k| !k.starts_with("user_") || shown.contains(k)).collect();
    assert_eq!(sent, exposed);
}

#[tokio::test]
async fn wire_facts_are_documented() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let paths = &doc["paths"];
    let list = &paths[LIST]["get"]["responses"]["200"];
    assert_eq!(list["content"]["application/json"]["schema"]["type"], "array");
    assert_eq!(list["headers"]["X-Result-Count"]["required"], true);
    assert_eq!(list["headers"]["Link"]["required"], true);
    let count = &paths[LIST]["head"]["responses"]["200"];
    assert!(count.get("content").is_none() && count["headers"]["X-Result-Count"]["required"] == true);
    let template_count = &paths["/api/marketplace-offering-users/checklist-template/"]["head"]["responses"]["200"];
    assert_eq!(template_count["headers"]["X-Result-Count"]["required"], true);
    assert!(paths[LIST]["post"]["responses"]["201"].is_object());
    assert!(paths["/api/marketplace-offering-users/{uuid}/"]["delete"]["responses"]["204"].is_object());
    for action in ["begin_creating", "set_ok", "update_restricted"] {
        let ok = &paths[format!("/api/marketplace-offering-users/{{uuid}}/{action}/")]["post"]["responses"]["200"];
        assert!(ok.is_object() && ok.get("content").is_none(), "{action}: 200 without a body");
    }
    let detail_schema = &doc["components"]["schemas"]["Detail"];
    assert_eq!(detail_schema["required"], serde_json::json!(["detail"]));
    // Every authenticated operation documents its 401, and the guard's 503.
    for (path, item) in paths.as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if path != "/api/schema/" && !path.starts_with("/health/") {
                assert!(op["responses"].get("401").is_some(), "{method} {path}: no 401");
                assert!(op["responses"].get("503").is_some(), "{method} {path}: no 503");
            }
        }
    }
    assert_eq!(paths["/health/ready"]["get"]["security"], serde_json::json!([]));
}

/// Found by schemathesis: a NUL character reached PostgreSQL, which refuses it (500). Django
/// and DRF refuse it first, with a 400 naming the field.
#[tokio::test]
async fn nul_characters_are_a_400_not_a_500() {
    let app = TestApp::with(&world_with(vec![offering_user(OU, ids::ADMIN, ids::OFFERING, None, "Creating")])).await;
    let message = serde_json::json!(["Null characters are not allowed."]);
    for param in ["query", "user_username", "username", "offering_slug"] {
        let reply = app.get(&format!("{LIST}?{param}=a%00b"), "staff-token").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{param}");
        assert_eq!(reply.json()[param], message, "{param}");
    }
    let reply = app.patch(&detail(OU), "staff-token", serde_json::json!({"username": "a\u{0}b"})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json(), serde_json::json!({"username": ["Null characters are not allowed."]}));
    let reply = app
        .post(&action(OU, "set_pending_account_linking"), "staff-token", serde_json::json!({"comment": "\u{0}"}))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json(), serde_json::json!({"comment": ["Null characters are not allowed."]}));
}
