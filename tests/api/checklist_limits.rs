//! What one `submit_answers` request may cost: a body limit that follows the
//! checklist's file questions and is checked after 404/403/400 but before the body is read;
//! one answer per question; capped text; processed file entries only for this completion's
//! files of the same question; the files quota of a completion.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{Method, Request, StatusCode};
use serde_json::{json, Value};
use waldur_offering_users::http::Settings;

use crate::checklists::{answer, app_with, b64, count, doc, ok, question, submit, OU, OU_MEMBER, PDF_B64, Q1, Q2, Q3};
use crate::support::*;

/// The offering user `outsider` on another provider's offering, which has no checklist.
const OU_NO_CHECKLIST: &str = "00000000000000000000000000000f03";

/// One text question: the limit is 256 KiB, and 40,000 bytes for the question (10,000
/// characters of up to 4 bytes).
const TEXT_LIMIT: usize = 262_144 + 40_000;

fn too_large(limit: usize) -> Value {
    json!({"detail": format!("Request body is too large: at most {limit} bytes are accepted here.")})
}

/// A submission whose body never ends: reading it would hang the test.
fn endless_body() -> Body {
    Body::from_stream(futures::stream::pending::<Result<Bytes, std::io::Error>>())
}

pub(crate) fn submit_request(uuid: &str, who: &str, content_length: Option<u64>, body: Body) -> Request<Body> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(action(uuid, "submit_answers"))
        .header("host", "testserver")
        .header("authorization", format!("Token {}", token(who)))
        .header("content-type", "application/json");
    if let Some(length) = content_length {
        builder = builder.header("content-length", length);
    }
    builder.body(body).unwrap()
}

/// Sends a request, failing the test if the server waits for a body it should not read.
async fn send_without_reading(app: &TestApp, request: Request<Body>) -> Reply {
    tokio::time::timeout(Duration::from_secs(20), app.send(request))
        .await
        .expect("the server waited for the body instead of answering at once")
}

async fn nothing_written(app: &TestApp) {
    assert_eq!(count(app, "SELECT count(*) FROM checklist_answers").await, 0);
    assert_eq!(count(app, "SELECT count(*) FROM checklist_files").await, 0);
}

async fn answers(app: &TestApp) -> Vec<Value> {
    sqlx::query_scalar("SELECT answer_data FROM checklist_answers ORDER BY id").fetch_all(&app.db.pool).await.unwrap()
}

async fn stored_answer(app: &TestApp, question_uuid: &str) -> Value {
    sqlx::query_scalar(
        "SELECT a.answer_data FROM checklist_answers a JOIN checklist_questions q ON q.id = a.question_id \
         WHERE q.uuid = $1::uuid",
    )
    .bind(question_uuid)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

fn text_question() -> Vec<Value> {
    vec![question(Q1, "Describe your data", "text_area", json!({}))]
}

// ---------------------------------------------------------------------------------------
// The body limit

#[tokio::test]
async fn an_oversized_content_length_is_413_before_the_body_is_read_and_writes_nothing() {
    let app = app_with(text_question()).await;
    let request = submit_request(OU, "user", Some(TEXT_LIMIT as u64 + 1), endless_body());
    let reply = send_without_reading(&app, request).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json(), too_large(TEXT_LIMIT));
    nothing_written(&app).await;
}

#[tokio::test]
async fn an_oversized_chunked_body_is_413_and_writes_nothing() {
    let app = app_with(text_question()).await;
    // No Content-Length: the server reads until the body passes the limit.
    let text = "a".repeat(64 * 1024);
    let chunks = (0..10).map(move |_| Ok::<_, std::io::Error>(Bytes::from(text.clone())));
    let request = submit_request(OU, "user", None, Body::from_stream(futures::stream::iter(chunks)));
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json(), too_large(TEXT_LIMIT));
    nothing_written(&app).await;
}

#[tokio::test]
async fn not_found_forbidden_and_no_checklist_come_before_the_body_limit() {
    let mut doc = doc(text_question());
    doc["offering_users"].as_array_mut().unwrap().push(offering_user(
        OU_NO_CHECKLIST,
        ids::OUTSIDER,
        ids::FOREIGN_OFFERING,
        None,
        "OK",
    ));
    let app = TestApp::with(&doc).await;
    let huge = Some(1u64 << 40);
    for (uuid, who, status, body) in [
        (OU, "outsider", StatusCode::NOT_FOUND, json!({"detail": "No OfferingUser matches the given query."})),
        (
            OU,
            "service_manager",
            StatusCode::FORBIDDEN,
            json!({"detail": "You do not have permission to perform this action."}),
        ),
        (
            OU_NO_CHECKLIST,
            "outsider",
            StatusCode::BAD_REQUEST,
            json!({"detail": "No checklist configured for this object"}),
        ),
        (OU, "user", StatusCode::PAYLOAD_TOO_LARGE, too_large(TEXT_LIMIT)),
    ] {
        let reply = send_without_reading(&app, submit_request(uuid, who, huge, endless_body())).await;
        assert_eq!((reply.status, reply.json()), (status, body), "{who} on {uuid}");
    }
    nothing_written(&app).await;
}

#[tokio::test]
async fn a_body_still_arriving_holds_no_database_connection() {
    use tower::ServiceExt;
    let app = app_with(text_question()).await;
    // More stalled uploads than the test pool has connections (4).
    let stalled: Vec<_> = (0..6)
        .map(|_| tokio::spawn(app.router.clone().oneshot(submit_request(OU, "user", Some(100), endless_body()))))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reply =
        tokio::time::timeout(Duration::from_secs(10), app.get(&action(OU, "completion_status"), &token("user")))
            .await
            .expect("stalled uploads kept the pool's connections");
    assert_eq!(reply.status, StatusCode::OK);
    assert!(stalled.iter().all(|task| !task.is_finished()), "the uploads are still waiting for their bodies");
    for task in stalled {
        task.abort();
    }
}

#[tokio::test]
async fn the_body_limit_follows_the_checklists_file_questions() {
    let small = vec![question(Q1, "Certificate", "file", json!({"max_file_size_mb": 1}))];
    let app = app_with(small).await;
    // 1.5 MiB: over a 1 MiB question's body limit, within a 2 MiB one's.
    let body = json!([answer(Q1, json!({"name": "cert.bin", "content": b64(&vec![b'x'; 1536 * 1024])}))]);
    let reply = submit(&app, "user", body.clone()).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    // 256 KiB + 40,000 bytes for the question + 1 MiB as base64.
    assert_eq!(reply.json(), too_large(262_144 + 40_000 + 1_398_104));
    nothing_written(&app).await;

    app.import(&doc(vec![question(Q1, "Certificate", "file", json!({"max_file_size_mb": 2}))])).await;
    ok(&submit(&app, "user", body).await);
    assert_eq!(count(&app, "SELECT count(*) FROM checklist_files").await, 1);
}

#[tokio::test]
async fn the_settings_ceiling_caps_a_checklist_without_file_limits() {
    let settings = Settings { max_submit_body_size: 100_000, ..Settings::default() };
    let app = TestApp::with_settings(settings).await;
    app.import(&doc(vec![question(Q1, "Anything", "file", json!({}))])).await;
    let body = json!([answer(Q1, json!({"name": "a.bin", "content": b64(&vec![b'x'; 100_000])}))]);
    let reply = submit(&app, "user", body).await;
    assert_eq!((reply.status, reply.json()), (StatusCode::PAYLOAD_TOO_LARGE, too_large(100_000)));
    nothing_written(&app).await;
}

#[tokio::test]
async fn large_bodies_past_the_servers_budget_are_503_at_once_and_the_budget_comes_back() {
    use tower::ServiceExt;
    // A budget of 1 MiB for every large body together.
    let settings = Settings { large_body_budget: 1024 * 1024, ..Settings::default() };
    let app = TestApp::with_settings(settings).await;
    app.import(&doc(vec![question(Q1, "Certificate", "file", json!({"max_file_size_mb": 2}))])).await;

    // An upload that has sent 500 KiB in pieces of 100 holds a buffer of 800 KiB (buffers
    // grow by doubling) and waits for the rest of its body…
    let (mut sender, receiver) = futures::channel::mpsc::unbounded::<Result<Bytes, std::io::Error>>();
    for _ in 0..5 {
        sender.start_send(Ok(Bytes::from(vec![b' '; 100 * 1024]))).unwrap();
    }
    let stalled = submit_request(OU, "user", None, Body::from_stream(receiver));
    let waiting = tokio::spawn(app.router.clone().oneshot(stalled));
    tokio::time::sleep(Duration::from_millis(300)).await;
    // …so another upload finds the budget spent once its buffer must grow to 400 KiB: 503.
    let chunks = (0..3).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b' '; 100 * 1024])));
    let reply = app.send(submit_request(OU, "user", None, Body::from_stream(futures::stream::iter(chunks)))).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.header("retry-after").as_deref(), Some("1"));
    assert_eq!(reply.json(), json!({"detail": "The server is busy. Try again later."}));

    // Once the first request ends (its client breaks off), its share is back.
    sender.start_send(Err(std::io::Error::other("the client went away"))).unwrap();
    assert_eq!(waiting.await.unwrap().unwrap().status(), StatusCode::BAD_REQUEST);
    let body = json!([answer(Q1, json!({"name": "cert.bin", "content": b64(&vec![b'x'; 600 * 1024])}))]);
    ok(&submit(&app, "user", body).await);
}

// ---------------------------------------------------------------------------------------
// Answers: one per question, capped text

#[tokio::test]
async fn repeated_questions_and_more_elements_than_questions_are_400_and_write_nothing() {
    let app =
        app_with(vec![question(Q1, "Bool", "boolean", json!({})), question(Q2, "Text", "text_input", json!({}))]).await;
    let hyphenated = "00000000-0000-0000-0000-00000000b101";
    let reply = submit(&app, "user", json!([answer(Q1, json!(true)), answer(hyphenated, json!(false))])).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.json(),
        json!([{}, {"non_field_errors": [format!("Question {hyphenated} is answered more than once.")]}])
    );
    let three = json!([answer(Q1, json!(true)), answer(Q2, json!("a")), answer(Q2, json!("b"))]);
    let reply = submit(&app, "user", three).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json(), json!({"non_field_errors": ["Ensure this field has no more than 2 elements."]}));
    nothing_written(&app).await;
}

#[tokio::test]
async fn a_text_answer_over_the_cap_is_400_and_at_the_cap_200() {
    let app = app_with(vec![
        question(Q1, "Describe", "text_area", json!({})),
        question(Q2, "Phone", "phone_number", json!({})),
    ])
    .await;
    let message = json!({"answer_data": ["Ensure this field has no more than 10000 characters."]});
    for q in [Q1, Q2] {
        let reply = submit(&app, "user", json!([answer(q, json!("a".repeat(10_001)))])).await;
        assert_eq!((reply.status, reply.json()), (StatusCode::BAD_REQUEST, json!([message])), "{q}");
    }
    nothing_written(&app).await;
    // Characters, not bytes: 10,000 two-byte characters are at the cap.
    let at_cap = "é".repeat(10_000);
    ok(&submit(&app, "user", json!([answer(Q1, json!(at_cap))])).await);
    assert_eq!(answers(&app).await, [json!(at_cap)]);
}

// ---------------------------------------------------------------------------------------
// Files sent back (`stored_file_id` without `content`)

fn file_questions() -> Vec<Value> {
    vec![
        question(Q1, "Certificate", "file", json!({"order": 1})),
        question(Q2, "Policy", "file", json!({"order": 2})),
        question(Q3, "Documents", "multiple_files", json!({"order": 3, "max_files_count": 2})),
    ]
}

fn pdf(name: &str) -> Value {
    json!({"name": name, "content": PDF_B64})
}

#[tokio::test]
async fn a_stored_file_of_another_completion_or_question_or_none_is_400() {
    let app = app_with(file_questions()).await;
    ok(&submit(&app, "user", json!([answer(Q1, pdf("mine.pdf")), answer(Q2, pdf("policy.pdf"))])).await);
    let path = action(OU_MEMBER, "submit_answers");
    ok(&app.post(&path, &token("member"), json!([answer(Q1, pdf("m.pdf"))])).await);
    let theirs = sqlx::query_scalar::<_, String>(
        "SELECT replace(f.uuid::text, '-', '') FROM checklist_files f \
         JOIN checklist_completions c ON c.id = f.completion_id JOIN offering_users ou ON ou.id = c.offering_user_id \
         WHERE ou.uuid = $1::uuid",
    )
    .bind(OU_MEMBER)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let policy = stored_answer(&app, Q2).await["stored_file_id"].as_str().unwrap().to_owned();
    let before = answers(&app).await;
    let files_before = count(&app, "SELECT count(*) FROM checklist_files").await;

    for id in [theirs.as_str(), policy.as_str(), "0000000000000000000000000000dead"] {
        let sent_back = json!({"name": "x.pdf", "size": 54, "mime_type": "application/pdf", "stored_file_id": id});
        let reply = submit(&app, "user", json!([answer(Q1, sent_back)])).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{id}");
        assert_eq!(
            reply.json(),
            json!([{"non_field_errors": [format!("Stored file '{id}' is not a file of this question.")]}]),
            "{id}"
        );
    }
    assert_eq!(answers(&app).await, before, "nothing changed");
    assert_eq!(count(&app, "SELECT count(*) FROM checklist_files").await, files_before);
}

#[tokio::test]
async fn a_stored_file_sent_back_keeps_its_stored_name_size_and_type() {
    let app = app_with(file_questions()).await;
    ok(&submit(&app, "user", json!([answer(Q1, pdf("cert.pdf"))])).await);
    let stored = stored_answer(&app, Q1).await;
    assert_eq!(
        (&stored["name"], &stored["size"], &stored["mime_type"]),
        (&json!("cert.pdf"), &json!(54), &json!("application/pdf"))
    );
    let rewritten = json!({"name": "invoice.exe", "size": 1, "mime_type": "text/html",
                           "stored_file_id": stored["stored_file_id"], "url": "https://evil.example/"});
    ok(&submit(&app, "user", json!([answer(Q1, rewritten)])).await);
    assert_eq!(stored_answer(&app, Q1).await, stored);
    assert_eq!(count(&app, "SELECT count(*) FROM checklist_files").await, 1);
}

#[tokio::test]
async fn the_file_count_covers_new_and_stored_files_together() {
    let app = app_with(file_questions()).await;
    ok(&submit(&app, "user", json!([answer(Q3, json!([pdf("a.pdf"), pdf("b.pdf")]))])).await);
    let stored = stored_answer(&app, Q3).await;
    let (a, b) = (stored[0].clone(), stored[1].clone());
    let reply = submit(&app, "user", json!([answer(Q3, json!([a, b, pdf("c.pdf")]))])).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let message = reply.json()[0]["non_field_errors"][0].as_str().unwrap().to_owned();
    assert!(message.starts_with("Answer value '[{'name': 'a.pdf'"), "{message}");
    assert!(message.ends_with("is not valid for the question 'Documents' (type: multiple_files)."), "{message}");
    assert_eq!(stored_answer(&app, Q3).await, stored, "nothing changed");

    ok(&submit(&app, "user", json!([answer(Q3, json!([a, pdf("c.pdf")]))])).await);
    let now = stored_answer(&app, Q3).await;
    assert_eq!((&now[0], &now[1]["name"]), (&a, &json!("c.pdf")));
    // b is no longer referred to: its bytes are gone.
    assert_eq!(count(&app, "SELECT count(*) FROM checklist_files").await, 2);
}

// ---------------------------------------------------------------------------------------
// The files quota of a completion

#[tokio::test]
async fn a_submission_that_would_pass_the_files_quota_is_400_and_writes_nothing() {
    // Each PDF is 54 bytes: one fits in 100, two do not.
    let settings = Settings { checklist_files_quota: 100, ..Settings::default() };
    let app = TestApp::with_settings(settings).await;
    app.import(&doc(file_questions())).await;
    let over = json!({"detail": "The files of this checklist would take more than the 100 bytes allowed."});

    // New uploads alone over the quota: refused before anything is stored.
    let big = json!({"name": "big.bin", "content": b64(&[b'x'; 101])});
    let reply = submit(&app, "user", json!([answer(Q1, big)])).await;
    assert_eq!((reply.status, reply.json()), (StatusCode::BAD_REQUEST, over.clone()));
    nothing_written(&app).await;

    ok(&submit(&app, "user", json!([answer(Q1, pdf("a.pdf"))])).await);
    let first = answers(&app).await;
    // With the file already held, a second one passes the quota.
    let reply = submit(&app, "user", json!([answer(Q2, pdf("b.pdf"))])).await;
    assert_eq!((reply.status, reply.json()), (StatusCode::BAD_REQUEST, over));
    assert_eq!(answers(&app).await, first, "nothing changed");
    assert_eq!(count(&app, "SELECT count(*) FROM checklist_files").await, 1);
    // Replacing the file frees its bytes first.
    ok(&submit(&app, "user", json!([answer(Q1, pdf("c.pdf"))])).await);
    assert_eq!(stored_answer(&app, Q1).await["name"], "c.pdf");
    assert_eq!(count(&app, "SELECT count(*) FROM checklist_files").await, 1);
}
