//! The event log `GET /api/events/` (issue 19): Waldur's shape, the SDK's filters, and
//! visibility by the one predicate, also for a deleted record's events.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::*;

const EVENTS: &str = "/api/events/";

/// Creates a record of `user` on the provider's offering through the API and runs it through
/// a username, a restriction, a state action and a delete: five events. Returns its uuid.
async fn scripted_record(app: &TestApp) -> String {
    let reply = app.post(LIST, "owner-token", json!({"offering_uuid": ids::OFFERING, "user_uuid": ids::USER})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&reply.bytes));
    let uuid = reply.json()["uuid"].as_str().unwrap().to_owned();
    assert_eq!(app.patch(&detail(&uuid), "owner-token", json!({"username": "u1"})).await.status, StatusCode::OK);
    let restricted = app.post(&action(&uuid, "update_restricted"), "owner-token", json!({"is_restricted": true})).await;
    assert_eq!(restricted.status, StatusCode::OK);
    assert_eq!(app.post_empty(&action(&uuid, "request_deletion"), "staff-token").await.status, StatusCode::OK);
    assert_eq!(app.delete(&detail(&uuid), "staff-token").await.status, StatusCode::NO_CONTENT);
    uuid
}

fn types(reply: &Reply) -> Vec<String> {
    reply.json().as_array().unwrap().iter().map(|e| e["event_type"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_records_changes_are_events_in_waldurs_shape() {
    let app = TestApp::with(&world()).await;
    let uuid = scripted_record(&app).await;
    let reply = app.get(&format!("{EVENTS}?o=created"), "staff-token").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("x-result-count").as_deref(), Some("5"));
    assert_eq!(
        types(&reply),
        [
            "marketplace_offering_user_created",
            "marketplace_offering_user_updated",
            "marketplace_offering_user_restriction_updated",
            "marketplace_offering_user_updated",
            "marketplace_offering_user_deleted",
        ]
    );
    let events = reply.json();
    let first = events[0].as_object().unwrap();
    assert_eq!(first.keys().collect::<Vec<_>>(), ["uuid", "created", "event_type", "message", "context"]);
    assert_eq!(first["uuid"].as_str().unwrap().len(), 32);
    assert!(first["created"].as_str().unwrap().ends_with('Z'));
    assert_eq!(first["message"], "Account for user user in offering Cluster A has been created.");
    let context = &first["context"];
    assert_eq!(context["offering_user_uuid"], uuid.as_str());
    assert_eq!(context["offering_uuid"], ids::OFFERING);
    assert_eq!(context["offering_name"], "Cluster A");
    assert_eq!(context["customer_uuid"], ids::PROVIDER);
    assert_eq!(context["customer_name"], "Provider A");
    assert_eq!(context["user_uuid"], ids::USER);
    assert_eq!(context["user_username"], "user");
    assert_eq!(context["offering_user_is_restricted"], "False");
    assert_eq!(events[1]["message"], format!("Offering user username changed for {uuid}: '' -> 'u1'."));
    assert_eq!(events[1]["context"]["new_username"], "u1");
    assert_eq!(
        events[2]["message"],
        "Restriction status for user user in offering Cluster A has been set to True by owner."
    );
    assert_eq!(
        events[3]["message"],
        "Account for user user in offering Cluster A has been moved from OK to Requested deletion."
    );
    assert_eq!(events[3]["context"]["action"], "request_deletion");
    // The deleted record's last event keeps what it was.
    assert_eq!(events[4]["message"], "Account for user user in offering Cluster A has been deleted.");
    assert_eq!(events[4]["context"]["offering_user_username"], "u1");
    // Newest first without `o`.
    let newest = app.get(EVENTS, "staff-token").await;
    assert_eq!(types(&newest)[0], "marketplace_offering_user_deleted");
}

#[tokio::test]
async fn every_filter_the_sdk_sends_selects() {
    let app = TestApp::with(&world()).await;
    let uuid = scripted_record(&app).await;
    let count = |query: String| {
        let app = &app;
        async move {
            let reply = app.get(&format!("{EVENTS}?{query}"), "staff-token").await;
            assert_eq!(reply.status, StatusCode::OK, "{query}: {}", String::from_utf8_lossy(&reply.bytes));
            reply.header("x-result-count").unwrap().parse::<i64>().unwrap()
        }
    };
    let cases: Vec<(String, i64)> = vec![
        ("event_type=marketplace_offering_user_updated".into(), 2),
        ("event_type=marketplace_offering_user_created&event_type=marketplace_offering_user_deleted".into(), 2),
        ("event_type=resource_creation_succeeded".into(), 0),
        (format!("scope=http://testserver/api/marketplace-offering-users/{uuid}/"), 5),
        ("scope=http://testserver/api/marketplace-offering-users/00000000000000000000000000000bad/".into(), 0),
        (format!("scope=http://testserver/api/marketplace-provider-offerings/{}/", ids::OFFERING), 5),
        (format!("scope=http://testserver/api/customers/{}/", ids::OTHER_PROVIDER), 0),
        ("scope=http://testserver/api/projects/00000000000000000000000000000d01/".into(), 0),
        ("created_from=0".into(), 5),
        ("created_from=4102444800".into(), 0),
        ("created_to=0".into(), 0),
        (format!("user_uuid={}", ids::USER), 5),
        (format!("user_uuid={}", ids::OUTSIDER), 0),
        (format!("customer_uuid={}", ids::PROVIDER), 5),
        (format!("customer_uuid={}", ids::OTHER_PROVIDER), 0),
        (format!("project_uuid={}", ids::PROJECT), 0),
    ];
    for (query, expected) in cases {
        assert_eq!(count(query.clone()).await, expected, "{query}");
    }
    // `field` picks keys; page_size pages with a Link to the next page.
    let reply = app.get(&format!("{EVENTS}?field=uuid&field=event_type&page_size=2"), "staff-token").await;
    let events = reply.json();
    assert_eq!(events.as_array().unwrap().len(), 2);
    assert_eq!(events[0].as_object().unwrap().keys().collect::<Vec<_>>(), ["uuid", "event_type"]);
    let link = reply.header("link").unwrap();
    assert!(link.contains("page=2") && link.contains("rel=\"next\""), "{link}");
    // HEAD: the count without a body.
    let head = app
        .request(
            Method::HEAD,
            &format!("{EVENTS}?event_type=marketplace_offering_user_updated"),
            Some("staff-token"),
            None,
        )
        .await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.header("x-result-count").as_deref(), Some("2"));
    assert!(head.bytes.is_empty());
}

#[tokio::test]
async fn bad_filter_values_are_400_under_their_names() {
    let app = TestApp::with(&world()).await;
    let reply = app.get(&format!("{EVENTS}?created_from=yesterday&customer_uuid=x&o=message"), "staff-token").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let body = reply.json();
    assert_eq!(body["created_from"], json!(["Enter a number."]));
    assert_eq!(body["customer_uuid"], json!(["Enter a valid UUID."]));
    assert_eq!(body["o"], json!(["Select a valid choice. message is not one of the available choices."]));
    assert_eq!(app.get(&format!("{EVENTS}?page=9"), "staff-token").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.request(Method::GET, EVENTS, None, None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_caller_sees_the_events_of_exactly_the_records_he_sees_also_once_deleted() {
    let app = TestApp::with(&world()).await;
    scripted_record(&app).await;
    let foreign = app
        .post(LIST, "other_owner-token", json!({"offering_uuid": ids::FOREIGN_OFFERING, "user_uuid": ids::OUTSIDER}))
        .await;
    assert_eq!(foreign.status, StatusCode::CREATED);
    let foreign_uuid = foreign.json()["uuid"].as_str().unwrap().to_owned();

    let seen = |who: &'static str| {
        let app = &app;
        async move { app.get(&format!("{EVENTS}?page_size=50"), &token(who)).await }
    };
    // The provider's owner and offering manager see the five events of the deleted record.
    for who in ["owner", "offering_manager", "service_manager"] {
        let reply = seen(who).await;
        assert_eq!(reply.header("x-result-count").as_deref(), Some("5"), "{who}");
    }
    // The other provider sees only his own record's event; a stranger sees none.
    let other = seen("other_owner").await;
    assert_eq!(types(&other), ["marketplace_offering_user_created"]);
    assert_eq!(other.json()[0]["context"]["offering_user_uuid"], foreign_uuid.as_str());
    for who in ["admin", "member"] {
        assert_eq!(seen(who).await.json(), json!([]), "{who}");
    }
    // The foreign record's own user sees its event (his own record), not the provider's.
    assert_eq!(types(&seen("outsider").await), ["marketplace_offering_user_created"]);
    // The record's own user sees his record's events; staff and support see all six.
    assert_eq!(seen("user").await.header("x-result-count").as_deref(), Some("5"));
    for who in ["staff", "support"] {
        assert_eq!(seen(who).await.header("x-result-count").as_deref(), Some("6"), "{who}");
    }
    // Retrieve follows the list: 404 for whoever cannot see it.
    let uuid = other.json()[0]["uuid"].as_str().unwrap().to_owned();
    let path = format!("{EVENTS}{uuid}/");
    assert_eq!(app.get(&path, "other_owner-token").await.status, StatusCode::OK);
    let hidden = app.get(&path, "owner-token").await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(hidden.json(), json!({"detail": "No Event matches the given query."}));
}

#[tokio::test]
async fn retrieve_answers_one_event_or_404() {
    let app = TestApp::with(&world()).await;
    scripted_record(&app).await;
    let listed = app.get(&format!("{EVENTS}?o=created"), "staff-token").await.json();
    let uuid = listed[0]["uuid"].as_str().unwrap();
    let reply = app.get(&format!("{EVENTS}{uuid}/"), "owner-token").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), listed[0]);
    let fields = app.get(&format!("{EVENTS}{uuid}/?field=message"), "owner-token").await.json();
    assert_eq!(fields, json!({"message": listed[0]["message"]}));
    for missing in ["0123456789abcdef0123456789abcdef", "not-a-uuid"] {
        let reply = app.get(&format!("{EVENTS}{missing}/"), "staff-token").await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{missing}");
    }
}

#[tokio::test]
async fn events_written_before_the_event_log_have_a_stable_uuid_and_staff_alone_see_them() {
    let app = TestApp::with(&world()).await;
    // An audit row as releases before migration 0010 wrote it: no uuid, no ids.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO audit_events (actor_id, offering_user_uuid, action, old_values, new_values, uuid) \
         VALUES (NULL, '00000000-0000-0000-0000-000000000f0f', 'set_ok', '{\"state\": \"Creating\"}', '{\"state\": \"OK\"}', NULL) \
         RETURNING id",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let listed = app.get(EVENTS, "staff-token").await.json();
    let uuid = listed[0]["uuid"].as_str().unwrap().to_owned();
    assert_eq!(&uuid[..4], "e7e0");
    assert!(uuid.ends_with(&format!("{id:012x}")));
    assert_eq!(listed[0]["event_type"], "marketplace_offering_user_updated");
    let again = app.get(&format!("{EVENTS}{uuid}/"), "staff-token").await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["uuid"], uuid.as_str());
    assert_eq!(app.get(&format!("{EVENTS}{uuid}/"), "owner-token").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(EVENTS, "owner-token").await.json(), json!([]));
}

#[tokio::test]
async fn the_consent_gate_hides_events_of_records_the_provider_cannot_list() {
    let mut doc = world();
    let terms = terms_and_consents(ids::OFFERING, "1", &[]);
    doc["terms_of_service"] = terms["terms_of_service"].clone();
    let app = TestApp::with(&doc).await;
    let created = app.post(LIST, "owner-token", json!({"offering_uuid": ids::OFFERING, "user_uuid": ids::USER})).await;
    assert_eq!(created.status, StatusCode::CREATED);
    // The provider cannot list the record (no consent), so neither its events.
    assert_eq!(app.get(LIST, "owner-token").await.json(), json!([]));
    assert_eq!(app.get(EVENTS, "owner-token").await.json(), json!([]));
    // Its user, and staff, see it.
    assert_eq!(app.get(EVENTS, "user-token").await.header("x-result-count").as_deref(), Some("1"));
    let _: Value = app.get(EVENTS, "staff-token").await.json();
}
