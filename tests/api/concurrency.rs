//! Racing agents (docs/spec/decisions.md 14, 15): exactly one wins a transition, no lost update, no
//! 5xx, and a complete, ordered audit trail.

use axum::http::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::*;
use waldur_offering_users::store::audit::events_of;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_begin_creating_calls_at_once_give_exactly_one_200() {
    let ou = "00000000000000000000000000000f01";
    let app = TestApp::with(&world_with(vec![offering_user(ou, ids::ADMIN, ids::OFFERING, None, "Requested")])).await;
    let path = action(ou, "begin_creating");
    let calls = (0..20).map(|_| app.post_empty(&path, "owner-token"));
    let replies = futures::future::join_all(calls).await;
    let ok = replies.iter().filter(|r| r.status == StatusCode::OK).count();
    assert_eq!(ok, 1);
    for reply in replies.iter().filter(|r| r.status != StatusCode::OK) {
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert!(reply.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("Cannot transition to CREATING from current state: 2."));
    }
    assert_eq!(events_of(&app.db.pool, Uuid::parse_str(ou).unwrap()).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_agents_drive_two_hundred_records_to_deleted() {
    let records: Vec<String> = (0..200).map(|i| format!("00000000000000000000000000{:06x}", 0x300000 + i)).collect();
    let users: Vec<Value> = (0..200)
        .map(|i| json!({"uuid": format!("00000000000000000000000000{:06x}", 0x400000 + i), "username": format!("racer{i}")}))
        .collect();
    let mut doc = world_with(
        records
            .iter()
            .enumerate()
            .map(|(i, ou)| {
                offering_user(
                    ou,
                    &format!("00000000000000000000000000{:06x}", 0x400000 + i),
                    ids::OFFERING,
                    None,
                    "Requested",
                )
            })
            .collect(),
    );
    doc["users"].as_array_mut().unwrap().extend(users);
    let app = TestApp::with(&doc).await;
    // Eight agents each walk every record; whoever moves it first wins each step, the others
    // get a 400 and go on to the next step: no lost update, no 5xx.
    let steps: [(&str, Option<Value>); 5] = [
        ("begin_creating", None),
        ("username", Some(json!({"username": "acct"}))),
        ("request_deletion", None),
        ("set_deleting", None),
        ("set_deleted", None),
    ];
    let agent = |agent: usize| {
        let app = &app;
        let records = &records;
        let steps = &steps;
        async move {
            for k in 0..records.len() {
                let ou = &records[(k + agent * 25) % records.len()];
                for (step, body) in steps {
                    let reply = match body {
                        Some(body) => app.patch(&detail(ou), "owner-token", body.clone()).await,
                        None => app.post_empty(&action(ou, step), "owner-token").await,
                    };
                    assert!(
                        matches!(reply.status, StatusCode::OK | StatusCode::BAD_REQUEST),
                        "{step}: {}",
                        reply.status
                    );
                }
            }
        }
    };
    futures::future::join_all((0..8).map(agent)).await;
    for ou in &records {
        assert_eq!(app.state_of(ou).await, "Deleted");
        let events = events_of(&app.db.pool, Uuid::parse_str(ou).unwrap()).await.unwrap();
        let trail: Vec<String> = events.iter().map(|e| e.action.clone()).collect();
        assert_eq!(
            trail,
            vec![
                "begin_creating",
                "marketplace_offering_user_updated",
                "request_deletion",
                "set_deleting",
                "set_deleted"
            ],
            "{ou}"
        );
        let states: Vec<Value> = events.iter().map(|e| e.new_values["state"].clone()).collect();
        assert_eq!(
            states,
            vec![json!("Creating"), json!("OK"), json!("Requested deletion"), json!("Deleting"), json!("Deleted")]
        );
    }
}
