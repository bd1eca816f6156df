//! Every route that names a record by `{uuid}` takes it through one extractor (`PathUuid`),
//! after authentication: a request without credentials is 401 whatever its path holds, and
//! with credentials a segment that is no uuid is the record kind's 404, the same body as an
//! unknown uuid (docs/spec/checklists.md §8.1, docs/spec/decisions.md 27).

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

const NO_OFFERING_USER: &str = "No OfferingUser matches the given query.";

/// Every `{uuid}` route with a method it answers: `(method, path with {uuid}, 404 detail)`.
fn uuid_routes() -> Vec<(Method, String, &'static str)> {
    let ou = |tail: &str| format!("/api/marketplace-offering-users/{{uuid}}/{tail}");
    let mut routes = vec![
        (Method::GET, ou(""), NO_OFFERING_USER),
        (Method::PUT, ou(""), NO_OFFERING_USER),
        (Method::PATCH, ou(""), NO_OFFERING_USER),
        (Method::DELETE, ou(""), NO_OFFERING_USER),
        (Method::POST, ou("update_restricted/"), NO_OFFERING_USER),
        (Method::PATCH, ou("update_comments/"), NO_OFFERING_USER),
        (Method::POST, ou("update_runtime_state/"), NO_OFFERING_USER),
        (Method::GET, ou("checklist/"), NO_OFFERING_USER),
        (Method::GET, ou("checklist_review/"), NO_OFFERING_USER),
        (Method::GET, ou("completion_status/"), NO_OFFERING_USER),
        (Method::GET, ou("completion_review_status/"), NO_OFFERING_USER),
        (Method::POST, ou("submit_answers/"), NO_OFFERING_USER),
        (Method::POST, ou("set_posix_attributes/"), NO_OFFERING_USER),
        (Method::GET, ou("posix_groups/"), NO_OFFERING_USER),
        (Method::GET, ou("posix_allocations/"), NO_OFFERING_USER),
        (Method::GET, "/api/users/{uuid}/".to_owned(), "No User matches the given query."),
        (Method::GET, "/api/marketplace-provider-offerings/{uuid}/".to_owned(), "No Offering matches the given query."),
        (Method::GET, "/api/events/{uuid}/".to_owned(), "No Event matches the given query."),
        (Method::GET, "/api/hooks-web/{uuid}/".to_owned(), "No WebHook matches the given query."),
        (Method::PUT, "/api/hooks-web/{uuid}/".to_owned(), "No WebHook matches the given query."),
        (Method::PATCH, "/api/hooks-web/{uuid}/".to_owned(), "No WebHook matches the given query."),
        (Method::DELETE, "/api/hooks-web/{uuid}/".to_owned(), "No WebHook matches the given query."),
    ];
    for action in [
        "begin_creating",
        "set_pending_additional_validation",
        "set_pending_account_linking",
        "set_validation_complete",
        "set_ok",
        "set_error_creating",
        "set_error_deleting",
        "request_deletion",
        "set_deleting",
        "set_deleted",
    ] {
        routes.push((Method::POST, ou(&format!("{action}/")), NO_OFFERING_USER));
    }
    routes
}

#[tokio::test]
async fn a_malformed_uuid_is_401_without_credentials_and_404_with_them() {
    let app = TestApp::with(&world()).await;
    for (method, template, not_found) in uuid_routes() {
        // `%FF` is not UTF-8 once decoded: still a segment that names no record.
        for segment in ["not-a-uuid", "0000", "%FF%FE"] {
            let path = template.replace("{uuid}", segment);
            let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
            let anonymous = app.request(method.clone(), &path, None, body.clone()).await;
            assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{method} {path}");
            assert_eq!(anonymous.json(), json!({"detail": "Authentication credentials were not provided."}));
            let staff = app.request(method.clone(), &path, Some("staff-token"), body).await;
            assert_eq!(staff.status, StatusCode::NOT_FOUND, "{method} {path}");
            assert_eq!(staff.json(), json!({"detail": not_found}), "{method} {path}");
        }
    }
}

#[tokio::test]
async fn a_bad_token_is_401_before_the_path_is_looked_at() {
    let app = TestApp::with(&world()).await;
    for (method, template, _) in uuid_routes() {
        let path = template.replace("{uuid}", "not-a-uuid");
        let reply = app.request(method.clone(), &path, Some("no-such-token"), None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(reply.json(), json!({"detail": "Invalid token."}), "{method} {path}");
    }
}
