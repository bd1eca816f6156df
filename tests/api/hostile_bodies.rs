//! Clients that send their bodies slowly, in pieces, or never, and requests cancelled at their
//! deadline: the request timeout ends the work, a 503 means nothing was committed, an outcome
//! the server cannot know is said to be unknown, and a body costs what it carries.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::checklist_limits::submit_request;
use crate::checklists::{answer, doc, ok, question, OU as CHECKLIST_OU, OU_MEMBER, Q1};
use crate::support::proxy::DbProxy;
use crate::support::served::{parse, raw_request, transport, RawReply, Served};
use crate::support::*;
use crate::transport::{read_until_closed, wait_for_lock_waiters, wait_until_quiet};
use waldur_offering_users::error::{BODY_TIMEOUT, OUTCOME_UNKNOWN};
use waldur_offering_users::http::Settings;

const OU: &str = "00000000000000000000000000000f71";

fn world_of_one() -> Value {
    world_with(vec![offering_user(OU, ids::ADMIN, ids::OFFERING, Some("admin-account"), "Requested")])
}

const CANCELLED: &str = "The request took too long and was cancelled; nothing was saved. Try again later.";

/// Opens a connection and sends a PATCH of `OU` that declares `declared` bytes of body but
/// sends only `sent` of them (a kept-alive request: the server decides when to close).
async fn patch_in_part(served: &Served, declared: usize, sent: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(served.address).await.unwrap();
    let head = format!(
        "PATCH {} HTTP/1.1\r\nHost: testserver\r\nAuthorization: Token owner-token\r\n\
         Content-Type: application/json\r\nContent-Length: {declared}\r\n\r\n",
        detail(OU)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(sent).await.unwrap();
    stream
}

/// The answer on `stream`, which the server must then close.
async fn answer_then_closed(stream: &mut TcpStream) -> RawReply {
    let received = read_until_closed(stream, Duration::from_secs(20)).await;
    parse(&received)
}

async fn audit_events(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_events").fetch_one(&app.db.pool).await.unwrap()
}

/// Sessions of the test database (other than the asking one) left inside a transaction.
async fn sessions_in_a_transaction(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() \
         AND state LIKE 'idle in transaction%'",
    )
    .bind(&app.db.name)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_bodies_are_cancelled_at_the_deadline_give_their_permits_back_and_are_closed() {
    let app = TestApp::with(&world_of_one()).await;
    let settings = Settings { max_in_flight: 4, request_timeout: Duration::from_secs(1), ..Settings::default() };
    let mut served = Served::start(app.db.options(), settings, transport()).await;

    let mut stalled = Vec::new();
    for _ in 0..4 {
        stalled.push(patch_in_part(&served, 1000, b"{").await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // They hold every slot meanwhile.
    assert_eq!(served.request("GET", LIST, Some("owner-token"), None).await.status, 503);

    for stream in &mut stalled {
        let reply = answer_then_closed(stream).await;
        assert_eq!(reply.status, 503, "{}", reply.body);
        assert_eq!(reply.json(), json!({"detail": CANCELLED}));
        assert_eq!(reply.header("connection"), Some("close"));
    }
    // Their permits came back with the answers, while their clients still hold the sockets.
    let list = served.request("GET", LIST, Some("owner-token"), None).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(username_of(&app, OU).await.as_deref(), Some("admin-account"));
    drop(stalled);
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_pauses_past_the_body_read_timeout_is_408_and_its_connection_closed() {
    let app = TestApp::with(&world_of_one()).await;
    let settings = Settings { body_read_timeout: Duration::from_millis(300), ..Settings::default() };
    let mut served = Served::start(app.db.options(), settings, transport()).await;

    let mut stream = patch_in_part(&served, 100, br#"{"username": "#).await;
    let reply = answer_then_closed(&mut stream).await;
    assert_eq!(reply.status, 408, "{}", reply.body);
    assert_eq!(reply.json(), json!({"detail": BODY_TIMEOUT}));
    assert_eq!(reply.header("connection"), Some("close"));

    // A body declared too large is refused unread, and its connection closed as well.
    let mut stream = patch_in_part(&served, 10_000_000, b"{").await;
    let reply = answer_then_closed(&mut stream).await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.header("connection"), Some("close"));

    // A body sent whole, if slowly, is never cut off: each pause is shorter than the timeout.
    let body = br#"{"username": "patient-sender"}"#;
    let mut stream = patch_in_part(&served, body.len(), &body[..5]).await;
    for piece in body[5..].chunks(5) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        stream.write_all(piece).await.unwrap();
    }
    stream.write_all(b"GET /health/live HTTP/1.1\r\nHost: testserver\r\nConnection: close\r\n\r\n").await.unwrap();
    let received = String::from_utf8_lossy(&read_until_closed(&mut stream, Duration::from_secs(20)).await).into_owned();
    assert!(received.starts_with("HTTP/1.1 200 OK"), "{received}");
    assert_eq!(received.matches("HTTP/1.1 200 OK").count(), 2, "the connection was kept for the next request");
    assert_eq!(username_of(&app, OU).await.as_deref(), Some("patient-sender"));
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_commit_gate_is_answered_500_outcome_unknown_after_the_bound() {
    let settings = Settings {
        request_timeout: Duration::from_millis(300),
        commit_wait: Duration::from_millis(500),
        ..Settings::default()
    };
    let app = TestApp::with_settings(settings).await;
    app.import(&world_of_one()).await;
    // The state action passes the gate, then its one statement waits for the row.
    let lock = lock_record(&app, OU).await;
    let path = action(OU, "begin_creating");
    let (reply, ()) = tokio::join!(app.post_empty(&path, "owner-token"), wait_for_lock_waiters(&app, 1));
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.json(), json!({"detail": OUTCOME_UNKNOWN}));
    assert_eq!(reply.header("retry-after"), None);

    // Unknown indeed: the statement was in PostgreSQL's hands, and once the row is free it
    // goes through. A 503 here would have been a lie.
    lock.commit().await.unwrap();
    wait_until_quiet(&app).await;
    assert_eq!(app.state_of(OU).await, "Creating");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_lost_past_the_commit_gate_is_500_outcome_unknown_not_503() {
    let app = TestApp::with(&world_of_one()).await;
    let proxy = DbProxy::start().await;
    let mut served = Served::start(proxy.options(&app.db.name), Settings::default(), transport()).await;
    let lock = lock_record(&app, OU).await;
    let address = served.address;
    let action = tokio::spawn(async move {
        raw_request(address, "POST", &action(OU, "begin_creating"), Some("owner-token"), None).await
    });
    wait_for_lock_waiters(&app, 1).await;
    proxy.cut();
    let reply = action.await.unwrap();
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert_eq!(reply.json(), json!({"detail": OUTCOME_UNKNOWN}));
    lock.commit().await.unwrap();
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_cancelled_before_the_gate_commit_nothing_and_leave_no_transaction_on_the_pool() {
    let app = TestApp::with(&world_of_one()).await;
    let settings = Settings { request_timeout: Duration::from_millis(500), ..Settings::default() };
    // The served pool has two connections; three writes wait on the row, the third for a
    // connection.
    let mut served = Served::start(app.db.options(), settings, transport()).await;
    let lock = lock_record(&app, OU).await;
    let mut cancelled = Vec::new();
    for i in 0..3 {
        let address = served.address;
        let body = json!({"username": format!("cancelled-{i}")}).to_string();
        cancelled.push(tokio::spawn(async move {
            raw_request(address, "PATCH", &detail(OU), Some("owner-token"), Some(&body)).await
        }));
    }
    for request in cancelled {
        let reply = request.await.unwrap();
        assert_eq!(reply.status, 503, "{}", reply.body);
        assert_eq!(reply.json(), json!({"detail": CANCELLED}));
    }
    // The cancelled statements end once the row is free; their transactions are rolled back.
    lock.commit().await.unwrap();
    wait_until_quiet(&app).await;
    assert_eq!(sessions_in_a_transaction(&app).await, 0);
    assert_eq!(username_of(&app, OU).await.as_deref(), Some("admin-account"));
    assert_eq!(audit_events(&app).await, 0, "no audit event of a cancelled write");

    // Both pooled connections serve again, each write committed and seen from outside.
    for (i, name) in ["after-one", "after-two", "after-three"].iter().enumerate() {
        let body = json!({"username": name}).to_string();
        let reply = served.request("PATCH", &detail(OU), Some("owner-token"), Some(&body)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(username_of(&app, OU).await.as_deref(), Some(*name));
        assert_eq!(audit_events(&app).await, i as i64 + 1);
    }
    assert_eq!(sessions_in_a_transaction(&app).await, 0);
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_one_byte_per_segment_arrives_whole() {
    let app = TestApp::with(&world_of_one()).await;
    let mut served = Served::start(app.db.options(), Settings::default(), transport()).await;
    let comment: String = (0..1500).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    let body = json!({"service_provider_comment": comment}).to_string();
    let mut stream = TcpStream::connect(served.address).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let head = format!(
        "PATCH {} HTTP/1.1\r\nHost: testserver\r\nAuthorization: Token staff-token\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        action(OU, "update_comments"),
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for (i, byte) in body.as_bytes().iter().enumerate() {
        stream.write_all(&[*byte]).await.unwrap();
        if i % 16 == 0 {
            // Let each byte leave as a segment of its own rather than be coalesced.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    let reply = parse(&read_until_closed(&mut stream, Duration::from_secs(20)).await);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["service_provider_comment"], comment);
    let stored: String =
        sqlx::query_scalar("SELECT service_provider_comment FROM offering_users WHERE uuid = $1::uuid")
            .bind(OU)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(stored, comment);
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_declare_a_large_length_and_send_nothing_take_none_of_the_budget() {
    use tower::ServiceExt;
    // Two declared lengths of 32 MiB are far more than this budget.
    let settings = Settings { large_body_budget: 1024 * 1024, ..Settings::default() };
    let app = TestApp::with_settings(settings).await;
    // A file question without a size limit: the body limit is the 32 MiB ceiling.
    app.import(&doc(vec![question(Q1, "Anything to add?", "file", json!({}))])).await;

    let mut declaring = Vec::new();
    for _ in 0..2 {
        let endless = Body::from_stream(futures::stream::pending::<Result<Bytes, std::io::Error>>());
        let request = submit_request(CHECKLIST_OU, "user", Some(32 * 1024 * 1024), endless);
        declaring.push(tokio::spawn(app.router.clone().oneshot(request)));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let small = json!([answer(Q1, json!({"name": "note.txt", "content": "aGVsbG8="}))]).to_string();
    let other = submit_request(OU_MEMBER, "member", Some(small.len() as u64), Body::from(small));
    let reply = app.send(other).await;
    let body = ok(&reply);
    assert_eq!(body["detail"], "Answers submitted successfully");
    for request in declaring {
        request.abort();
    }
}

#[tokio::test]
async fn json_holding_more_than_its_route_takes_is_refused_before_it_is_parsed() {
    let app = TestApp::with(&doc(vec![question(Q1, "Tags", "multi_select", json!({}))])).await;
    // More elements than the checklist has questions: DRF's own message.
    let reply = crate::checklists::submit(&app, "user", Value::Array(vec![json!(0); 5_000])).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json(), json!({"non_field_errors": ["Ensure this field has no more than 1 elements."]}));
    // One element that unfolds into thousands of values.
    let many = Value::Array((0..5_000).map(|_| json!("00000000000000000000000000000001")).collect());
    let reply = crate::checklists::submit(&app, "user", json!([answer(Q1, many)])).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.json(),
        json!({"detail": "The request body is too complex: at most 2000 JSON values and keys are accepted here."})
    );
    // An object body of thousands of fields, and one nested too deep.
    let wide: serde_json::Map<String, Value> = (0..2_000).map(|i| (format!("f{i}"), json!(i))).collect();
    let reply = app.patch(&detail(CHECKLIST_OU), "staff-token", Value::Object(wide)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.json(),
        json!({"detail": "The request body is too complex: at most 1000 JSON values and keys are accepted here."})
    );
    let mut deep = json!("bottom");
    for _ in 0..20 {
        deep = json!([deep]);
    }
    let reply = app.patch(&detail(CHECKLIST_OU), "staff-token", json!({"username": "x", "extra": deep})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.json(),
        json!({"detail": "The request body is too complex: JSON nested at most 16 levels deep is accepted here."})
    );
    assert_eq!(crate::checklists::count(&app, "SELECT count(*) FROM checklist_answers").await, 0);

    // Ordinary bodies pass.
    let tags = json!(["00000000000000000000000000000001", "00000000000000000000000000000002"]);
    ok(&crate::checklists::submit(&app, "user", json!([answer(Q1, tags)])).await);
    let reply = app.patch(&detail(CHECKLIST_OU), "staff-token", json!({"username": "renamed"})).await;
    assert_eq!(reply.status, StatusCode::OK);
}
