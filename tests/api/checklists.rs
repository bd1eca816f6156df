//! Compliance checklists on offering users (docs/spec/checklists.md §8-§11, docs/spec/decisions.md 16-22): the six
//! operations, their permissions and error order, answers and files, R2 "latest answer"
//! semantics, the directory import of checklists, and `has_compliance_checklist`.

use axum::http::{Method, StatusCode};
use base64::Engine;
use serde_json::{json, Value};
use waldur_offering_users::directory::{self, Kind};

use crate::support::*;

pub(crate) const CHECKLIST: &str = "00000000000000000000000000000b01";
const OTHER_CHECKLIST: &str = "00000000000000000000000000000b02";
/// The offering user `user` on the offering with the checklist.
pub(crate) const OU: &str = "00000000000000000000000000000f01";
/// The offering user `member` on the same offering.
pub(crate) const OU_MEMBER: &str = "00000000000000000000000000000f02";

pub(crate) const Q1: &str = "0000000000000000000000000000b101";
pub(crate) const Q2: &str = "0000000000000000000000000000b102";
pub(crate) const Q3: &str = "0000000000000000000000000000b103";
pub(crate) const Q4: &str = "0000000000000000000000000000b104";
const QX: &str = "0000000000000000000000000000b201";
const OPT_HIGH: &str = "0000000000000000000000000000b301";
const OPT_LOW: &str = "0000000000000000000000000000b302";

/// A minimal PDF (starts with `%PDF-`).
pub(crate) const PDF_B64: &str = "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK";

pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) fn question(uuid: &str, description: &str, question_type: &str, extra: Value) -> Value {
    let mut q = json!({"uuid": uuid, "description": description, "question_type": question_type});
    if let (Some(target), Value::Object(extra)) = (q.as_object_mut(), extra) {
        target.extend(extra);
    }
    q
}

pub(crate) fn checklist(uuid: &str, name: &str, questions: Vec<Value>) -> Value {
    json!({"uuid": uuid, "name": name, "description": format!("{name} description"),
           "checklist_type": "offering_compliance", "questions": questions})
}

/// The fixture world with `user`'s (and `member`'s) record on OFFERING, whose compliance
/// checklist has these questions. A second checklist with one question exists too.
pub(crate) fn doc(questions: Vec<Value>) -> Value {
    let mut doc = world_with(vec![
        offering_user(OU, ids::USER, ids::OFFERING, Some("user1"), "OK"),
        offering_user(OU_MEMBER, ids::MEMBER, ids::OFFERING, None, "Requested"),
    ]);
    doc["checklists"] = json!([
        checklist(CHECKLIST, "Cluster A compliance", questions),
        checklist(OTHER_CHECKLIST, "Other", vec![question(QX, "Elsewhere?", "boolean", json!({}))]),
    ]);
    doc["offerings"][0]["compliance_checklist"] = json!(CHECKLIST);
    doc
}

/// Upstream's OfferingUserChecklistTest checklist: a boolean (order 1) and a text (order 2).
fn two_questions() -> Vec<Value> {
    vec![
        question(Q1, "Do you process personal data?", "boolean", json!({"required": true, "order": 1})),
        question(Q2, "Which certification do you hold?", "text_area", json!({"order": 2})),
    ]
}

pub(crate) async fn app_with(questions: Vec<Value>) -> TestApp {
    TestApp::with(&doc(questions)).await
}

pub(crate) async fn submit(app: &TestApp, who: &str, body: Value) -> Reply {
    app.post(&action(OU, "submit_answers"), &token(who), body).await
}

pub(crate) fn answer(question: &str, data: Value) -> Value {
    json!({"question_uuid": question, "answer_data": data})
}

async fn user_id(app: &TestApp, uuid: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM users WHERE uuid = $1::uuid").bind(uuid).fetch_one(&app.db.pool).await.unwrap()
}

pub(crate) async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db.pool).await.unwrap()
}

fn keys(value: &Value) -> Vec<String> {
    value.as_object().expect("an object").keys().cloned().collect()
}

pub(crate) fn ok(reply: &Reply) -> Value {
    assert_eq!(reply.status, StatusCode::OK, "{}", String::from_utf8_lossy(&reply.bytes));
    reply.json()
}

fn question_uuids(body: &Value) -> Vec<String> {
    body["questions"].as_array().unwrap().iter().map(|q| q["uuid"].as_str().unwrap().to_owned()).collect()
}

const QUESTION_USER_KEYS: [&str; 21] = [
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

const COMPLETION_KEYS: [&str; 8] = [
    "uuid",
    "is_completed",
    "completion_percentage",
    "unanswered_required_questions",
    "checklist_name",
    "checklist_description",
    "created",
    "modified",
];

const REVIEW_COMPLETION_KEYS: [&str; 6] =
    ["requires_review", "reviewed_by", "reviewed_by_name", "reviewed_at", "review_notes", "review_trigger_summary"];

// ---------------------------------------------------------------------------------------
// Shapes (§8, docs/spec/decisions.md 21)

#[tokio::test]
async fn owner_gets_the_checklist_with_both_questions_in_the_sdk_shape() {
    let app = app_with(two_questions()).await;
    let body = ok(&app.get(&action(OU, "checklist"), &token("owner")).await);
    assert_eq!(keys(&body), ["checklist", "completion", "questions"]);
    assert_eq!(
        body["checklist"],
        json!({"uuid": CHECKLIST, "name": "Cluster A compliance", "description": "Cluster A compliance description",
               "checklist_type": "offering_compliance"})
    );
    assert_eq!(keys(&body["completion"]), COMPLETION_KEYS);
    assert_eq!(question_uuids(&body), [Q1, Q2]);
    let q1 = &body["questions"][0];
    assert_eq!(keys(q1), QUESTION_USER_KEYS);
    assert_eq!(q1["question_type"], "boolean");
    assert_eq!(q1["required"], true);
    assert_eq!(q1["existing_answer"], Value::Null);
    assert_eq!(q1["question_options"], json!([]));
    assert_eq!(q1["dependencies_info"], Value::Null);
    assert_eq!(
        (&q1["likert_scale_length"], &q1["likert_low_label"], &q1["likert_high_label"], &q1["likert_allow_na"]),
        (&Value::Null, &json!(""), &json!(""), &json!(false))
    );
    assert_eq!((&q1["rich_text_char_limit"], &q1["rich_text_toolbar_level"]), (&Value::Null, &json!("standard")));
    let completion = &body["completion"];
    assert_eq!(completion["is_completed"], false);
    assert_eq!(completion["completion_percentage"], json!(0.0));
    assert_eq!(completion["checklist_name"], "Cluster A compliance");
    assert_eq!(
        completion["unanswered_required_questions"],
        json!([{"uuid": Q1, "description": "Do you process personal data?", "question_type": "boolean"}])
    );
}

#[tokio::test]
async fn user_view_has_guidance_but_no_review_logic() {
    let app = app_with(vec![
        question(
            Q1,
            "Bool",
            "boolean",
            json!({"required": true, "user_guidance": "Read the guide", "always_show_guidance": false,
                   "guidance_answer_value": true, "guidance_operator": "equals"}),
        ),
        question(Q2, "Text", "text_area", json!({"review_answer_value": ["minimal"], "operator": "contains"})),
    ])
    .await;
    let body = ok(&app.get(&action(OU, "checklist"), &token("user")).await);
    assert_eq!(body["questions"].as_array().unwrap().len(), 2);
    for q in body["questions"].as_array().unwrap() {
        assert!(q.get("user_guidance").is_some());
        for hidden in ["review_answer_value", "always_requires_review", "operator", "guidance_operator"] {
            assert!(q.get(hidden).is_none(), "{hidden} leaked into the user view");
        }
    }
    // Conditional guidance appears only once an answer matches it (§5.3).
    assert_eq!(body["questions"][0]["user_guidance"], Value::Null);
    ok(&submit(&app, "user", json!([answer(Q1, json!(true))])).await);
    let body = ok(&app.get(&action(OU, "checklist"), &token("user")).await);
    assert_eq!(body["questions"][0]["user_guidance"], "Read the guide");
}

#[tokio::test]
async fn completion_status_has_the_basic_keys_only() {
    let app = app_with(two_questions()).await;
    let body = ok(&app.get(&action(OU, "completion_status"), &token("owner")).await);
    assert_eq!(keys(&body), COMPLETION_KEYS);
    assert_eq!(body["is_completed"], false);
    assert_eq!(body["completion_percentage"], json!(0.0));
}

#[tokio::test]
async fn a_new_owner_gets_the_review_views_with_reviewer_keys() {
    let mut doc = doc(vec![
        question(
            Q1,
            "Sensitivity",
            "single_select",
            json!({"review_answer_value": ["high", "critical"], "operator": "in",
                   "options": [{"uuid": OPT_HIGH, "label": "High", "order": 1},
                               {"uuid": OPT_LOW, "label": "Low", "order": 2}]}),
        ),
        question(Q2, "Explain", "text_area", json!({"always_requires_review": true})),
    ]);
    doc["users"].as_array_mut().unwrap().push(json!({"uuid": "00000000000000000000000000000a0d",
        "username": "new_owner", "token": "new_owner-token"}));
    doc["roles"].as_array_mut().unwrap().push(json!({"user": "00000000000000000000000000000a0d",
        "role": "CUSTOMER.OWNER", "scope": {"customer": ids::PROVIDER}}));
    let app = TestApp::with(&doc).await;

    let body = ok(&app.get(&action(OU, "checklist_review"), &token("new_owner")).await);
    assert_eq!(keys(&body), ["checklist", "completion", "questions"]);
    let mut expected: Vec<&str> = COMPLETION_KEYS.to_vec();
    expected.extend(REVIEW_COMPLETION_KEYS);
    assert_eq!(keys(&body["completion"]), expected);
    assert_eq!(body["completion"]["reviewed_by_name"], Value::Null);
    assert_eq!(body["completion"]["reviewed_by"], Value::Null);
    assert_eq!(body["completion"]["review_notes"], "");
    let q1 = &body["questions"][0];
    let mut q_keys: Vec<&str> = QUESTION_USER_KEYS.to_vec();
    q_keys.extend(["operator", "review_answer_value", "always_requires_review"]);
    assert_eq!(keys(q1), q_keys);
    assert_eq!((&q1["review_answer_value"], &q1["operator"]), (&json!(["high", "critical"]), &json!("in")));
    assert_eq!(
        q1["question_options"],
        json!([{"uuid": OPT_HIGH, "label": "High", "order": 1}, {"uuid": OPT_LOW, "label": "Low", "order": 2}])
    );
    assert_eq!(body["questions"][1]["always_requires_review"], true);

    let status = ok(&app.get(&action(OU, "completion_review_status"), &token("new_owner")).await);
    assert_eq!(keys(&status), expected);
    assert_eq!(status["requires_review"], false);
    assert_eq!(status["review_trigger_summary"], json!([]));
}

#[tokio::test]
async fn review_logic_appears_only_in_the_reviewer_view() {
    let app = app_with(vec![question(
        Q1,
        "Data use",
        "text_area",
        json!({"user_guidance": "Mind GDPR", "always_show_guidance": false, "guidance_answer_value": ["personal"],
               "guidance_operator": "contains", "review_answer_value": ["export", "third_party"], "operator": "in"}),
    )])
    .await;
    let user_view = ok(&app.get(&action(OU, "checklist"), &token("owner")).await);
    assert!(user_view["questions"][0].get("review_answer_value").is_none());
    let review = ok(&app.get(&action(OU, "checklist_review"), &token("owner")).await);
    let q = &review["questions"][0];
    assert_eq!(q["review_answer_value"], json!(["export", "third_party"]));
    assert_eq!(q["operator"], "in");
    assert_eq!(q["always_requires_review"], false);
}

#[tokio::test]
async fn min_and_max_values_are_strings_with_four_decimals() {
    let app =
        app_with(vec![question(Q1, "How many?", "number", json!({"min_value": 10.5, "max_value": "1000000"}))]).await;
    let body = ok(&app.get(&action(OU, "checklist"), &token("user")).await);
    assert_eq!(body["questions"][0]["min_value"], "10.5000");
    assert_eq!(body["questions"][0]["max_value"], "1000000.0000");
}

// ---------------------------------------------------------------------------------------
// Permissions and the 401 → 404 → 403 → 400 order (§8.1, docs/spec/decisions.md 4, 8)

#[tokio::test]
async fn no_checklist_configured_is_400_on_every_record_action() {
    let app = TestApp::with(&world_with(vec![offering_user(OU, ids::USER, ids::OFFERING, None, "OK")])).await;
    for name in ["checklist", "checklist_review", "completion_status", "completion_review_status"] {
        let reply = app.get(&action(OU, name), &token("owner")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(reply.json(), json!({"detail": "No checklist configured for this object"}), "{name}");
    }
    let reply = submit(&app, "owner", json!([])).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["detail"], "No checklist configured for this object");
}

#[tokio::test]
async fn project_admin_manager_and_outsider_get_404() {
    let app = app_with(two_questions()).await;
    for who in ["admin", "manager", "outsider"] {
        for name in ["checklist", "checklist_review", "completion_status", "completion_review_status"] {
            let reply = app.get(&action(OU, name), &token(who)).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{who} {name}");
            assert_eq!(reply.json(), json!({"detail": "No OfferingUser matches the given query."}));
        }
        assert_eq!(submit(&app, who, json!([])).await.status, StatusCode::NOT_FOUND, "{who}");
    }
}

#[tokio::test]
async fn unknown_and_malformed_uuids_are_404() {
    let app = app_with(two_questions()).await;
    for uuid in ["00000000000000000000000000009999", "not-a-uuid"] {
        let reply = app.get(&action(uuid, "checklist"), &token("staff")).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert_eq!(reply.json(), json!({"detail": "No OfferingUser matches the given query."}));
    }
}

#[tokio::test]
async fn user_views_are_for_the_offering_user_and_update_user_holders() {
    let app = app_with(two_questions()).await;
    for (who, expected) in [
        ("user", StatusCode::OK),
        ("owner", StatusCode::OK),
        ("offering_manager", StatusCode::OK),
        ("staff", StatusCode::OK),
        // Visible, but without OFFERING.UPDATE_USER.
        ("service_manager", StatusCode::FORBIDDEN),
        ("support", StatusCode::FORBIDDEN),
    ] {
        for name in ["checklist", "completion_status"] {
            let reply = app.get(&action(OU, name), &token(who)).await;
            assert_eq!(reply.status, expected, "{who} {name}");
        }
        assert_eq!(submit(&app, who, json!([])).await.status, expected, "{who} submit_answers");
    }
    let reply = app.get(&action(OU, "checklist"), &token("support")).await;
    assert_eq!(reply.json(), json!({"detail": "You do not have permission to perform this action."}));
}

#[tokio::test]
async fn reviewer_views_are_denied_to_the_offering_user_himself() {
    let app = app_with(two_questions()).await;
    for (who, expected) in [
        ("user", StatusCode::FORBIDDEN),
        ("service_manager", StatusCode::FORBIDDEN),
        ("support", StatusCode::FORBIDDEN),
        ("owner", StatusCode::OK),
        ("offering_manager", StatusCode::OK),
        ("staff", StatusCode::OK),
    ] {
        for name in ["checklist_review", "completion_review_status"] {
            assert_eq!(app.get(&action(OU, name), &token(who)).await.status, expected, "{who} {name}");
        }
    }
}

#[tokio::test]
async fn errors_come_in_the_order_401_404_403_400() {
    let app = TestApp::with(&world_with(vec![offering_user(OU, ids::USER, ids::OFFERING, None, "OK")])).await;
    let anonymous = app.request(Method::GET, &action(OU, "checklist"), None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    // Invisible beats forbidden and "no checklist"; forbidden beats "no checklist".
    assert_eq!(app.get(&action(OU, "checklist"), &token("outsider")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&action(OU, "checklist"), &token("service_manager")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&action(OU, "checklist_review"), &token("user")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&action(OU, "checklist"), &token("user")).await.status, StatusCode::BAD_REQUEST);
    // A bad body is looked at last.
    let reply = app.post(&action(OU, "submit_answers"), &token("outsider"), json!({"not": "a list"})).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = app.post(&action(OU, "submit_answers"), &token("user"), json!({"not": "a list"})).await;
    assert_eq!(reply.json(), json!({"detail": "No checklist configured for this object"}));
}

// ---------------------------------------------------------------------------------------
// Routing

#[tokio::test]
async fn checklist_paths_answer_without_the_trailing_slash_and_405_other_methods() {
    let app = app_with(two_questions()).await;
    let bare = format!("/api/marketplace-offering-users/{OU}/checklist");
    assert_eq!(app.get(&bare, &token("user")).await.status, StatusCode::OK);
    let reply = app.post(&action(OU, "checklist"), &token("user"), json!([])).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.json(), json!({"detail": "Method \"POST\" not allowed."}));
    assert_eq!(reply.header("allow").as_deref(), Some("GET, HEAD, OPTIONS"));
    let reply = app.get(&action(OU, "submit_answers"), &token("user")).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow").as_deref(), Some("POST, OPTIONS"));
    let bare = format!("/api/marketplace-offering-users/{OU}/submit_answers");
    assert_eq!(app.post(&bare, &token("user"), json!([])).await.status, StatusCode::OK);
}

#[tokio::test]
async fn checklist_template_is_never_taken_for_a_uuid() {
    let app = app_with(two_questions()).await;
    for path in
        ["/api/marketplace-offering-users/checklist-template/", "/api/marketplace-offering-users/checklist-template"]
    {
        let reply = app.get(path, &token("owner")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(reply.json(), json!({"detail": "parent_uuid query parameter is required"}));
        let reply = app.request(Method::DELETE, path, Some(&token("staff")), None).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
    // Under the static segment, the detail actions see an unknown record.
    let reply = app.get("/api/marketplace-offering-users/checklist-template/checklist/", &token("staff")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.json(), json!({"detail": "No OfferingUser matches the given query."}));
}

// ---------------------------------------------------------------------------------------
// checklist-template (§8.6, docs/spec/decisions.md 18)

#[tokio::test]
async fn checklist_template_reads_parent_uuid_as_an_offering() {
    let app = app_with(vec![
        question(Q1, "Parent", "boolean", json!({"order": 1, "user_guidance": "  raw  "})),
        question(
            Q2,
            "Child",
            "multi_select",
            json!({"order": 2, "dependencies": [{"uuid": "0000000000000000000000000000b401", "depends_on": Q1,
                    "required_answer_value": true}]}),
        ),
    ])
    .await;
    let path = |offering: &str| format!("/api/marketplace-offering-users/checklist-template/?parent_uuid={offering}");
    let body = ok(&app.get(&path(ids::OFFERING), &token("owner")).await);
    assert_eq!(keys(&body), ["checklist", "questions", "initial_visible_questions"]);
    assert_eq!(body["checklist"]["uuid"], CHECKLIST);
    assert_eq!(question_uuids(&body), [Q1, Q2]);
    let initial: Vec<&str> =
        body["initial_visible_questions"].as_array().unwrap().iter().map(|q| q["uuid"].as_str().unwrap()).collect();
    assert_eq!(initial, [Q1]);
    let q1 = &body["questions"][0];
    assert_eq!(q1["user_guidance"], "  raw  ");
    for key in [
        "operator",
        "review_answer_value",
        "guidance_answer_value",
        "guidance_operator",
        "always_show_guidance",
        "dependency_logic_operator",
        "rich_text_toolbar_level",
    ] {
        assert!(q1.get(key).is_some(), "{key}");
    }
    assert_eq!(q1["review_answer_value"], json!([]));

    let head = app.request(Method::HEAD, &path(ids::OFFERING), Some(&token("owner")), None).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.bytes.is_empty());
    // The SDK's count helper reads an integer X-Result-Count.
    assert_eq!(head.header("x-result-count").as_deref(), Some("2"));

    let reply = app.get(&path(ids::OFFERING), &token("outsider")).await;
    assert_eq!((reply.status, reply.json()), (StatusCode::NOT_FOUND, json!({"detail": "Parent object not found"})));
    let reply = app.get(&path("00000000000000000000000000009999"), &token("staff")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = app.get(&path(ids::FOREIGN_OFFERING), &token("other_owner")).await;
    assert_eq!(
        (reply.status, reply.json()),
        (StatusCode::BAD_REQUEST, json!({"detail": "No checklist configured for new objects"}))
    );
    let reply = app.get("/api/marketplace-offering-users/checklist-template/?parent_uuid=", &token("owner")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

// ---------------------------------------------------------------------------------------
// submit_answers (§3)

#[tokio::test]
async fn the_offering_user_submits_answers_stored_as_his_own() {
    let app = app_with(two_questions()).await;
    let reply = submit(&app, "user", json!([answer(Q1, json!(true)), answer(Q2, json!("ISO 27001 certified"))])).await;
    let body = ok(&reply);
    assert_eq!(keys(&body), ["detail", "completion"]);
    assert_eq!(body["detail"], "Answers submitted successfully");
    assert_eq!(keys(&body["completion"]), COMPLETION_KEYS);
    assert_eq!(body["completion"]["is_completed"], true);
    assert_eq!(body["completion"]["completion_percentage"], json!(100.0));
    let user = user_id(&app, ids::USER).await;
    let rows: Vec<(i64, Value)> = sqlx::query_as("SELECT user_id, answer_data FROM checklist_answers ORDER BY id")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(rows, [(user, json!(true)), (user, json!("ISO 27001 certified"))]);

    let view = ok(&app.get(&action(OU, "checklist"), &token("user")).await);
    let existing = &view["questions"][0]["existing_answer"];
    assert_eq!(
        keys(existing),
        [
            "uuid",
            "question_description",
            "question_type",
            "question_required",
            "answer_data",
            "user",
            "user_name",
            "created",
            "modified"
        ]
    );
    assert_eq!(existing["user"], json!(user));
    assert_eq!(existing["user_name"], "User Tester");
    assert_eq!(existing["answer_data"], true);
    assert_eq!(view["completion"]["is_completed"], true);
}

#[tokio::test]
async fn an_empty_submission_only_advances_the_completion() {
    let app = app_with(two_questions()).await;
    let before = ok(&app.get(&action(OU, "completion_status"), &token("user")).await);
    let after = ok(&submit(&app, "user", json!([])).await)["completion"].clone();
    assert_eq!(before["uuid"], after["uuid"]);
    assert!(after["modified"].as_str().unwrap() > before["modified"].as_str().unwrap());
    // No body and no content type reads as an empty list (DRF's form fallback).
    let reply = app.post_empty(&action(OU, "submit_answers"), &token("user")).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn malformed_submissions_get_drf_shaped_errors() {
    // Nine questions, so that nine elements are not refused for their number alone.
    let mut questions = two_questions();
    questions.push(question(Q3, "Do you store backups?", "boolean", json!({"order": 3})));
    questions.extend(
        (0..6).map(|i| question(&format!("0000000000000000000000000000b1f{i}"), "Filler", "boolean", json!({}))),
    );
    let app = app_with(questions).await;
    let other = "0000000000000000000000000000beef";
    let reply = submit(
        &app,
        "user",
        json!([
            answer(Q1, json!(true)),
            {"question_uuid": Q2},
            {"question_uuid": "nope", "answer_data": 1},
            {"answer_data": 1},
            answer(other, json!(1)),
            answer(QX, json!(true)),
            answer(Q3, json!("yes")),
            "text",
            null
        ]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.json(),
        json!([
            {},
            {"answer_data": ["This field is required."]},
            {"question_uuid": ["Must be a valid UUID."]},
            {"question_uuid": ["This field is required."]},
            {"non_field_errors": ["Question with UUID 00000000-0000-0000-0000-00000000beef does not exist"]},
            {"non_field_errors": ["Question 00000000-0000-0000-0000-00000000b201 does not belong to this checklist"]},
            {"non_field_errors": ["Answer value 'yes' is not valid for the question 'Do you store backups?' (type: boolean)."]},
            {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]},
            ["This field may not be null."]
        ])
    );
    // Nothing of the valid first element was written: the whole submission is rejected.
    assert_eq!(count(&app, "SELECT count(*) FROM checklist_answers").await, 0);

    let reply = submit(&app, "user", json!({"question_uuid": Q1})).await;
    assert_eq!(reply.json(), json!({"non_field_errors": ["Expected a list of items but got type \"dict\"."]}));
    let reply = submit(&app, "user", Value::Null).await;
    assert_eq!(reply.json(), json!({"non_field_errors": ["No data provided"]}));
}

#[tokio::test]
async fn a_date_answer_is_stored_verbatim() {
    let app = app_with(vec![question(Q1, "Start date", "date", json!({}))]).await;
    ok(&submit(&app, "user", json!([answer(Q1, json!("2025-09-04"))])).await);
    let stored: Value =
        sqlx::query_scalar("SELECT answer_data FROM checklist_answers").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(stored, json!("2025-09-04"));
    let reply = submit(&app, "user", json!([answer(Q1, json!("not a date"))])).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn null_deletes_only_the_callers_answer_and_skips_validation() {
    let app = app_with(vec![
        question(Q1, "Bool", "boolean", json!({"required": true})),
        question(Q2, "Amount", "number", json!({"min_value": 1, "max_value": 1000000})),
    ])
    .await;
    ok(&submit(&app, "user", json!([answer(Q1, json!(true)), answer(Q2, json!(500))])).await);
    ok(&app.post(&action(OU, "submit_answers"), &token("owner"), json!([answer(Q1, json!(false))])).await);
    assert_eq!(count(&app, "SELECT count(*) FROM checklist_answers").await, 3);
    // The owner's null removes his own row; the user's answer stays.
    ok(&app.post(&action(OU, "submit_answers"), &token("owner"), json!([answer(Q1, Value::Null)])).await);
    assert_eq!(count(&app, "SELECT count(*) FROM checklist_answers").await, 2);
    // A null for a required question and for a range-limited one is a plain delete.
    ok(&submit(&app, "user", json!([answer(Q1, Value::Null), answer(Q2, Value::Null)])).await);
    assert_eq!(count(&app, "SELECT count(*) FROM checklist_answers").await, 0);
    // Deleting what does not exist is a no-op.
    ok(&submit(&app, "user", json!([answer(Q2, Value::Null)])).await);
}

#[tokio::test]
async fn a_mixed_submission_updates_deletes_and_creates_together() {
    let app = app_with(vec![
        question(Q1, "Bool", "boolean", json!({"order": 1})),
        question(Q2, "Text", "text_input", json!({"order": 2})),
        question(Q3, "Budget", "number", json!({"order": 3})),
    ])
    .await;
    ok(&submit(&app, "user", json!([answer(Q1, json!(false)), answer(Q2, json!("old"))])).await);
    ok(&submit(&app, "user", json!([answer(Q1, json!(true)), answer(Q2, Value::Null), answer(Q3, json!(50000))]))
        .await);
    let rows: Vec<(String, Value)> = sqlx::query_as(
        "SELECT replace(q.uuid::text, '-', ''), a.answer_data FROM checklist_answers a \
         JOIN checklist_questions q ON q.id = a.question_id ORDER BY q.\"order\"",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(rows, [(Q1.to_owned(), json!(true)), (Q3.to_owned(), json!(50000))]);
}

#[tokio::test]
async fn deleting_a_required_answer_uncompletes_the_checklist() {
    let app = app_with(vec![
        question(Q1, "Bool", "boolean", json!({"required": true, "order": 1})),
        question(Q2, "Text", "text_input", json!({"order": 2})),
    ])
    .await;
    let done = ok(&submit(&app, "user", json!([answer(Q1, json!(true)), answer(Q2, json!("x"))])).await);
    assert_eq!(
        (&done["completion"]["is_completed"], &done["completion"]["completion_percentage"]),
        (&json!(true), &json!(100.0))
    );
    let undone = ok(&submit(&app, "user", json!([answer(Q1, Value::Null)])).await);
    assert_eq!(undone["completion"]["is_completed"], false);
    assert_eq!(undone["completion"]["completion_percentage"], json!(50.0));
}

#[tokio::test]
async fn review_triggers_follow_the_answer_and_clear_when_it_goes() {
    let app = app_with(vec![question(
        Q1,
        "Data flows",
        "text_area",
        json!({"review_answer_value": ["export", "third party"], "operator": "contains"}),
    )])
    .await;
    ok(&submit(&app, "user", json!([answer(Q1, json!("We will export personal data to third party processors"))]))
        .await);
    let review = ok(&app.get(&action(OU, "checklist_review"), &token("owner")).await);
    let existing = &review["questions"][0]["existing_answer"];
    assert_eq!(existing["requires_review"], true);
    assert_eq!(keys(existing)[5], "requires_review");
    assert_eq!(review["completion"]["requires_review"], true);
    assert_eq!(
        review["completion"]["review_trigger_summary"],
        json!([{"question": "Data flows", "answer": "We will export personal data to third party processors",
                "trigger_value": ["export", "third party"], "operator": "contains"}])
    );
    // The user view strips the flag.
    let user_view = ok(&app.get(&action(OU, "checklist"), &token("user")).await);
    assert!(user_view["questions"][0]["existing_answer"].get("requires_review").is_none());

    ok(&submit(&app, "user", json!([answer(Q1, Value::Null)])).await);
    let status = ok(&app.get(&action(OU, "completion_review_status"), &token("owner")).await);
    assert_eq!((&status["requires_review"], &status["review_trigger_summary"]), (&json!(false), &json!([])));
}

// ---------------------------------------------------------------------------------------
// Dependencies (§6)

#[tokio::test]
async fn dependent_questions_appear_when_the_parent_answer_matches() {
    let app = app_with(vec![
        question(Q1, "Parent", "boolean", json!({"order": 1})),
        question(
            Q2,
            "Child",
            "multi_select",
            json!({"order": 2, "dependencies": [{"uuid": "0000000000000000000000000000b401", "depends_on": Q1,
                    "required_answer_value": true, "operator": "equals"}]}),
        ),
    ])
    .await;
    let review = ok(&app.get(&action(OU, "checklist_review"), &token("owner")).await);
    assert_eq!(question_uuids(&review), [Q1]);
    let all = ok(&app.get(&format!("{}?include_all=TRUE", action(OU, "checklist")), &token("user")).await);
    assert_eq!(question_uuids(&all), [Q1, Q2]);
    assert_eq!(
        all["questions"][1]["dependencies_info"],
        json!({"logic": "and", "conditions": [{"question_description": "Parent", "operator": "equals",
                                               "required_value": true}]})
    );
    let not_all = ok(&app.get(&format!("{}?include_all=1", action(OU, "checklist")), &token("user")).await);
    assert_eq!(question_uuids(&not_all), [Q1]);

    ok(&submit(&app, "user", json!([answer(Q1, json!(true))])).await);
    assert_eq!(question_uuids(&ok(&app.get(&action(OU, "checklist"), &token("user")).await)), [Q1, Q2]);
    ok(&submit(&app, "user", json!([answer(Q1, json!(false))])).await);
    assert_eq!(question_uuids(&ok(&app.get(&action(OU, "checklist"), &token("user")).await)), [Q1]);
    // include_all is for the user view only.
    let review = ok(&app.get(&format!("{}?include_all=true", action(OU, "checklist_review")), &token("owner")).await);
    assert_eq!(question_uuids(&review), [Q1]);
}

#[tokio::test]
async fn answers_of_different_users_combine_for_or_dependencies() {
    let dep = |n: &str, on: &str, value: Value, op: &str| {
        json!({"uuid": format!("0000000000000000000000000000b4{n}"), "depends_on": on,
               "required_answer_value": value, "operator": op})
    };
    let app = app_with(vec![
        question(Q1, "A", "boolean", json!({"order": 1})),
        question(Q2, "B", "text_input", json!({"order": 2})),
        question(
            Q3,
            "Target",
            "text_input",
            json!({"order": 3, "dependency_logic_operator": "or",
                   "dependencies": [dep("01", Q1, json!(true), "equals"), dep("02", Q2, json!(["test"]), "contains")]}),
        ),
    ])
    .await;
    assert_eq!(visible_to_reviewer(&app).await, [Q1, Q2]);
    ok(&submit(&app, "user", json!([answer(Q1, json!(true))])).await);
    assert_eq!(visible_to_reviewer(&app).await, [Q1, Q2, Q3]);
    ok(&app.post(&action(OU, "submit_answers"), &token("owner"), json!([answer(Q2, json!("testing"))])).await);
    ok(&submit(&app, "user", json!([answer(Q1, json!(false))])).await);
    assert_eq!(visible_to_reviewer(&app).await, [Q1, Q2, Q3]);
}

async fn visible_to_reviewer(app: &TestApp) -> Vec<String> {
    question_uuids(&ok(&app.get(&action(OU, "checklist_review"), &token("owner")).await))
}

async fn review_status(app: &TestApp) -> Value {
    ok(&app.get(&action(OU, "completion_review_status"), &token("owner")).await)
}

// ---------------------------------------------------------------------------------------
// R2: the latest answer counts (docs/spec/decisions.md 16, §11.7)

#[tokio::test]
async fn the_latest_answer_of_any_user_is_the_existing_answer() {
    let app = app_with(vec![question(Q1, "Bool", "boolean", json!({}))]).await;
    ok(&submit(&app, "user", json!([answer(Q1, json!(true))])).await);
    ok(&app.post(&action(OU, "submit_answers"), &token("owner"), json!([answer(Q1, json!(false))])).await);
    let owner = user_id(&app, ids::OWNER).await;
    let body = ok(&app.get(&action(OU, "checklist"), &token("user")).await);
    assert_eq!(body["questions"][0]["existing_answer"]["user"], json!(owner));
    assert_eq!(body["questions"][0]["existing_answer"]["answer_data"], false);
    assert_eq!(body["completion"]["completion_percentage"], json!(100.0));
}

#[tokio::test]
async fn editing_an_answer_recomputes_its_review_flag() {
    let app =
        app_with(vec![question(Q1, "Bool", "boolean", json!({"review_answer_value": true, "operator": "equals"}))])
            .await;
    for (value, flagged) in [(true, true), (false, false), (true, true)] {
        ok(&submit(&app, "user", json!([answer(Q1, json!(value))])).await);
        let flag: bool =
            sqlx::query_scalar("SELECT requires_review FROM checklist_answers").fetch_one(&app.db.pool).await.unwrap();
        assert_eq!(flag, flagged, "after {value}");
    }
}

#[tokio::test]
async fn a_superseded_trigger_no_longer_requires_review() {
    let app =
        app_with(vec![question(Q1, "Bool", "boolean", json!({"review_answer_value": true, "operator": "equals"}))])
            .await;
    ok(&submit(&app, "user", json!([answer(Q1, json!(true))])).await);
    assert_eq!(review_status(&app).await["review_trigger_summary"].as_array().unwrap().len(), 1);
    ok(&app.post(&action(OU, "submit_answers"), &token("owner"), json!([answer(Q1, json!(false))])).await);
    let body = review_status(&app).await;
    assert_eq!((&body["requires_review"], &body["review_trigger_summary"]), (&json!(false), &json!([])));
    ok(&submit(&app, "user", json!([answer(Q1, json!(true))])).await);
    assert_eq!(review_status(&app).await["requires_review"], true);
}

#[tokio::test]
async fn two_users_answering_one_question_count_it_once() {
    let app = app_with(vec![
        question(Q1, "One", "text_input", json!({"order": 1})),
        question(Q2, "Two", "text_input", json!({"order": 2})),
        question(Q3, "Three", "text_input", json!({"order": 3})),
    ])
    .await;
    ok(&submit(&app, "user", json!([answer(Q1, json!("a"))])).await);
    let body = ok(&app.post(&action(OU, "submit_answers"), &token("owner"), json!([answer(Q1, json!("b"))])).await);
    assert_eq!(body["completion"]["completion_percentage"], json!(33.3));
}

#[tokio::test]
async fn required_questions_answered_by_different_users_complete_the_checklist() {
    let app = app_with(vec![
        question(Q1, "One", "boolean", json!({"required": true, "order": 1})),
        question(Q2, "Two", "boolean", json!({"required": true, "order": 2})),
    ])
    .await;
    ok(&submit(&app, "user", json!([answer(Q1, json!(true))])).await);
    let body = ok(&app.post(&action(OU, "submit_answers"), &token("owner"), json!([answer(Q2, json!(true))])).await);
    assert_eq!(body["completion"]["is_completed"], true);
}

// ---------------------------------------------------------------------------------------
// Files (§3.3, docs/spec/decisions.md 22)

#[tokio::test]
async fn a_pdf_upload_is_stored_in_postgres_and_replaced_by_its_reference() {
    let app = app_with(vec![question(
        Q1,
        "Certificate",
        "file",
        json!({"allowed_file_types": [".pdf"], "allowed_mime_types": ["application/pdf"], "max_file_size_mb": 10}),
    )])
    .await;
    ok(&submit(&app, "user", json!([answer(Q1, json!({"name": "cert.PDF", "content": PDF_B64}))])).await);
    let stored: Value =
        sqlx::query_scalar("SELECT answer_data FROM checklist_answers").fetch_one(&app.db.pool).await.unwrap();
    let bytes = base64::engine::general_purpose::STANDARD.decode(PDF_B64).unwrap();
    assert_eq!(keys(&stored), ["name", "size", "mime_type", "stored_file_id"]);
    assert_eq!(
        (&stored["name"], &stored["size"], &stored["mime_type"]),
        (&json!("cert.PDF"), &json!(bytes.len()), &json!("application/pdf"))
    );
    let id = stored["stored_file_id"].as_str().unwrap();
    assert_eq!(id.len(), 32);
    let (content, mime): (Vec<u8>, String) =
        sqlx::query_as("SELECT content, mime_type FROM checklist_files WHERE uuid = $1::uuid")
            .bind(id)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!((content, mime.as_str()), (bytes, "application/pdf"));

    // Sending the stored object back keeps it; replacing the file drops the old bytes.
    ok(&submit(&app, "user", json!([answer(Q1, stored.clone())])).await);
    assert_eq!(count(&app, "SELECT count(*) FROM checklist_files").await, 1);
    ok(&submit(&app, "user", json!([answer(Q1, json!({"name": "new.pdf", "content": PDF_B64}))])).await);
    assert_eq!(count(&app, "SELECT count(*) FROM checklist_files").await, 1);
    let again: String = sqlx::query_scalar("SELECT replace(uuid::text, '-', '') FROM checklist_files")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_ne!(again, id);
}

#[tokio::test]
async fn uploads_are_checked_for_extension_sniffed_type_size_and_base64() {
    let app = app_with(vec![
        question(
            Q1,
            "Pdf only",
            "file",
            json!({"allowed_file_types": [".pdf"], "allowed_mime_types": ["application/pdf"]}),
        ),
        question(Q2, "Small", "file", json!({"max_file_size_mb": 1})),
        question(Q3, "Any text", "file", json!({"allowed_mime_types": ["text/*"]})),
    ])
    .await;
    let text = b64(b"just some words, not a pdf\n");
    for (q, file) in [
        (Q1, json!({"name": "fake.pdf", "content": text})),
        (Q1, json!({"name": "real.docx", "content": PDF_B64})),
        (Q1, json!({"name": "x.pdf", "content": "not base64!"})),
        (Q1, json!({"name": "x.pdf"})),
        (Q1, json!({"content": PDF_B64})),
        (Q2, json!({"name": "big.bin", "content": b64(&vec![b'a'; 2 * 1024 * 1024])})),
    ] {
        let reply = submit(&app, "user", json!([answer(q, file.clone())])).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", &file.to_string()[..60.min(file.to_string().len())]);
        let message = reply.json()[0]["non_field_errors"][0].as_str().unwrap().to_owned();
        assert!(message.starts_with("Answer value '{"), "{message:.80}");
    }
    ok(&submit(&app, "user", json!([answer(Q3, json!({"name": "notes.txt", "content": text}))])).await);
    ok(&submit(
        &app,
        "user",
        json!([answer(Q2, json!({"name": "small.bin", "content": b64(&vec![b'a'; 1024 * 1024])}))]),
    )
    .await);
}

#[tokio::test]
async fn multiple_files_keep_each_sniffed_type_and_respect_the_count_limit() {
    let app = app_with(vec![question(Q1, "Documents", "multiple_files", json!({"max_files_count": 2}))]).await;
    let pdf = json!({"name": "a.pdf", "content": PDF_B64});
    let txt = json!({"name": "b.txt", "content": b64(b"hello\n")});
    let reply = submit(&app, "user", json!([answer(Q1, json!([pdf, txt, pdf]))])).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    ok(&submit(&app, "user", json!([answer(Q1, json!([pdf, txt]))])).await);
    let stored: Value =
        sqlx::query_scalar("SELECT answer_data FROM checklist_answers").fetch_one(&app.db.pool).await.unwrap();
    let types: Vec<&str> = stored.as_array().unwrap().iter().map(|f| f["mime_type"].as_str().unwrap()).collect();
    assert_eq!(types, ["application/pdf", "text/plain"]);
    // A mix of an already stored entry and a new upload is accepted.
    ok(&submit(&app, "user", json!([answer(Q1, json!([stored[0].clone(), txt]))])).await);
    assert_eq!(count(&app, "SELECT count(*) FROM checklist_files").await, 2);
}

// ---------------------------------------------------------------------------------------
// Completions follow offering users and offerings (§9)

#[tokio::test]
async fn creating_an_offering_user_attaches_a_completion_and_deleting_removes_it() {
    let app = app_with(two_questions()).await;
    let reply =
        app.post(LIST, &token("owner"), json!({"offering_uuid": ids::OFFERING, "user_uuid": ids::OUTSIDER})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&reply.bytes));
    let created = reply.json();
    assert_eq!(created["has_compliance_checklist"], true);
    let uuid = created["uuid"].as_str().unwrap().to_owned();
    let completions = format!(
        "SELECT count(*) FROM checklist_completions cc JOIN offering_users ou ON ou.id = cc.offering_user_id \
         WHERE ou.uuid = '{uuid}'::uuid"
    );
    assert_eq!(count(&app, &completions).await, 1);
    assert_eq!(
        ok(&app.get(&action(&uuid, "checklist"), &token("outsider")).await)["questions"].as_array().unwrap().len(),
        2
    );

    let before = count(&app, "SELECT count(*) FROM checklist_completions").await;
    assert_eq!(app.delete(&detail(&uuid), &token("staff")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(count(&app, "SELECT count(*) FROM checklist_completions").await, before - 1);
}

#[tokio::test]
async fn has_compliance_checklist_is_true_only_with_a_completion_of_the_current_checklist() {
    let mut doc = doc(two_questions());
    doc["offering_users"].as_array_mut().unwrap().push(offering_user(
        "00000000000000000000000000000f03",
        ids::USER,
        ids::FOREIGN_OFFERING,
        None,
        "OK",
    ));
    let app = TestApp::with(&doc).await;
    let list = ok(&app.get(LIST, &token("staff")).await);
    let flags: Vec<(String, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["uuid"].as_str().unwrap().to_owned(), r["has_compliance_checklist"].as_bool().unwrap()))
        .collect();
    assert!(flags.contains(&(OU.to_owned(), true)));
    assert!(flags.contains(&(OU_MEMBER.to_owned(), true)));
    assert!(flags.contains(&("00000000000000000000000000000f03".to_owned(), false)));
    // A leftover completion of an older checklist does not count.
    sqlx::query("UPDATE offerings SET compliance_checklist_id = (SELECT id FROM checklists WHERE uuid = $1::uuid)")
        .bind(OTHER_CHECKLIST)
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(ok(&app.get(&detail(OU), &token("staff")).await)["has_compliance_checklist"], false);
    assert_eq!(app.get(&action(OU, "checklist"), &token("staff")).await.status, StatusCode::BAD_REQUEST);
}

// ---------------------------------------------------------------------------------------
// The directory import of checklists (docs/spec/directory.md)

async fn try_import(app: &TestApp, doc: &Value) -> Result<directory::ImportSummary, directory::ImportError> {
    let parsed = directory::parse(&doc.to_string())?;
    directory::import(&app.db.pool, &parsed).await
}

#[tokio::test]
async fn importing_a_checklist_twice_changes_nothing() {
    let app = TestApp::new().await;
    let d = doc(vec![
        question(Q1, "One", "single_select", json!({"options": [{"uuid": OPT_HIGH, "label": "High"}], "min_value": 1})),
        question(
            Q2,
            "Two",
            "boolean",
            json!({"dependencies": [{"uuid": "0000000000000000000000000000b401", "depends_on": Q1,
                    "required_answer_value": [OPT_HIGH], "operator": "in"}], "guidance_answer_value": null}),
        ),
    ]);
    let first = try_import(&app, &d).await.unwrap();
    assert_eq!(first.of(Kind::Checklists), (2, 0));
    assert_eq!(first.of(Kind::ChecklistCompletions), (2, 0));
    let second = try_import(&app, &d).await.unwrap();
    for (kind, created, updated) in &second.kinds {
        assert_eq!((*created, *updated), (0, 0), "{kind} changed on the second import");
    }
}

#[tokio::test]
async fn reimporting_a_checklist_replaces_questions_and_keeps_answers_of_kept_uuids() {
    let app = app_with(two_questions()).await;
    ok(&submit(&app, "user", json!([answer(Q1, json!(true)), answer(Q2, json!("ISO"))])).await);
    let changed = doc(vec![
        question(Q1, "Renamed question", "boolean", json!({"required": true, "order": 2})),
        question(Q3, "New question", "text_input", json!({"order": 1})),
    ]);
    let summary = try_import(&app, &changed).await.unwrap();
    assert_eq!(summary.of(Kind::Checklists), (0, 1));
    let body = ok(&app.get(&action(OU, "checklist"), &token("user")).await);
    assert_eq!(question_uuids(&body), [Q3, Q1]);
    assert_eq!(body["questions"][1]["description"], "Renamed question");
    assert_eq!(body["questions"][1]["existing_answer"]["answer_data"], true);
    assert_eq!(count(&app, "SELECT count(*) FROM checklist_answers").await, 1);
}

#[tokio::test]
async fn changing_an_offerings_checklist_replaces_or_removes_its_completions() {
    let app = app_with(two_questions()).await;
    ok(&submit(&app, "user", json!([answer(Q1, json!(true))])).await);
    let completion = ok(&app.get(&action(OU, "completion_status"), &token("user")).await)["uuid"].clone();

    let mut d = doc(two_questions());
    d["offerings"][0]["compliance_checklist"] = json!(OTHER_CHECKLIST);
    let summary = try_import(&app, &d).await.unwrap();
    assert_eq!(summary.of(Kind::ChecklistCompletions), (2, 0));
    assert_eq!(summary.of(Kind::Offerings).1, 1);
    let body = ok(&app.get(&action(OU, "checklist"), &token("user")).await);
    assert_eq!(question_uuids(&body), [QX]);
    assert_ne!(body["completion"]["uuid"], completion);
    // X → Y loses the answers, as upstream.
    assert_eq!(count(&app, "SELECT count(*) FROM checklist_answers").await, 0);

    d["offerings"][0]["compliance_checklist"] = Value::Null;
    try_import(&app, &d).await.unwrap();
    assert_eq!(count(&app, "SELECT count(*) FROM checklist_completions").await, 0);
    assert_eq!(app.get(&action(OU, "checklist"), &token("user")).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(ok(&app.get(&detail(OU), &token("user")).await)["has_compliance_checklist"], false);

    // none → X creates completions for the existing offering users.
    d["offerings"][0]["compliance_checklist"] = json!(CHECKLIST);
    assert_eq!(try_import(&app, &d).await.unwrap().of(Kind::ChecklistCompletions), (2, 0));
    assert_eq!(ok(&app.get(&detail(OU), &token("user")).await)["has_compliance_checklist"], true);
}

#[tokio::test]
async fn bad_checklist_entries_are_named_by_their_json_path_and_write_nothing() {
    let app = TestApp::new().await;
    let cases = [
        (doc(vec![question(Q1, "Likert", "likert", json!({}))]), "checklists[0].questions[0].question_type"),
        (
            doc(vec![
                question(Q1, "One", "boolean", json!({})),
                question(
                    Q2,
                    "Two",
                    "boolean",
                    json!({"dependencies": [{"uuid": "0000000000000000000000000000b401",
                    "depends_on": QX, "required_answer_value": true}]}),
                ),
            ]),
            "checklists[0].questions[1].dependencies[0].depends_on",
        ),
        (
            doc(vec![question(Q1, "One", "boolean", json!({"operator": "greater_than"}))]),
            "checklists[0].questions[0].operator",
        ),
        (doc(vec![question(Q1, "One", "number", json!({"min_value": "abc"}))]), "checklists[0].questions[0].min_value"),
        (doc(vec![question(QX, "Clash", "boolean", json!({}))]), "checklists[1].questions[0].uuid"),
        (
            {
                let mut d = doc(two_questions());
                d["offerings"][0]["compliance_checklist"] = json!("00000000000000000000000000009999");
                d
            },
            "offerings[0].compliance_checklist",
        ),
    ];
    for (document, expected) in cases {
        match try_import(&app, &document).await {
            Err(directory::ImportError::Invalid { path, .. }) => assert_eq!(path, expected),
            other => panic!("expected an error at {expected}, got {other:?}"),
        }
    }
    assert_eq!(count(&app, "SELECT count(*) FROM checklists").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 0);
}

#[tokio::test]
async fn a_question_cannot_move_to_another_checklist() {
    let app = app_with(two_questions()).await;
    let mut d = doc(two_questions());
    d["checklists"][1]["questions"].as_array_mut().unwrap().push(question(Q4, "Moved?", "boolean", json!({})));
    d["checklists"][0]["questions"].as_array_mut().unwrap().push(question(Q4, "dup", "boolean", json!({})));
    // Same uuid twice in one document.
    assert!(try_import(&app, &d).await.is_err());
    let mut d = doc(vec![question(Q1, "One", "boolean", json!({}))]);
    d["checklists"][1]["questions"] = json!([question(Q2, "Was in the first", "boolean", json!({}))]);
    match try_import(&app, &d).await {
        Err(directory::ImportError::Invalid { path, .. }) => assert_eq!(path, "checklists[1].questions[0].uuid"),
        other => panic!("{other:?}"),
    }
}
