//! The permission matrix: every caller × every write action (docs/spec/offering-users.md §4.8,
//! docs/spec/decisions.md 4–6, 8, 23).

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::*;
use waldur_offering_users::domain::state::{State, ALL_TRANSITIONS};

const OU: &str = "00000000000000000000000000000f01";

/// Expected outcome of an action for a caller: allowed, forbidden or invisible.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Allowed,
    Forbidden,
    Hidden,
}
use Outcome::*;

/// The record belongs to `member` ("the user himself") on the provider's offering.
fn doc() -> Value {
    world_with(vec![offering_user(OU, ids::MEMBER, ids::OFFERING, None, "Requested")])
}

fn expected(who: &str, action: &str) -> Outcome {
    // Visibility: strangers and the other provider see nothing.
    if matches!(who, "user" | "other_owner") {
        return Hidden;
    }
    let update = matches!(who, "staff" | "owner" | "offering_manager");
    match action {
        "delete" => {
            if matches!(who, "staff" | "owner") {
                Allowed
            } else {
                Forbidden
            }
        }
        "update_restricted" => {
            if update || who == "service_manager" {
                Allowed
            } else {
                Forbidden
            }
        }
        _ => {
            if update {
                Allowed
            } else {
                Forbidden
            }
        }
    }
}

fn status_of(outcome: Outcome, action: &str) -> StatusCode {
    match (outcome, action) {
        (Allowed, "delete") => StatusCode::NO_CONTENT,
        (Allowed, _) => StatusCode::OK,
        (Forbidden, _) => StatusCode::FORBIDDEN,
        (Hidden, _) => StatusCode::NOT_FOUND,
    }
}

#[tokio::test]
async fn every_caller_times_every_write_action() {
    let callers = [
        "staff",
        "support",
        "owner",
        "service_manager",
        "customer_support",
        "offering_manager",
        "admin",
        "member",
        "user",
        "other_owner",
    ];
    let app = TestApp::with(&doc()).await;
    let mut failures = Vec::new();
    for who in callers {
        let mut actions: Vec<(String, Option<Value>, &str)> = vec![
            ("patch".into(), Some(json!({"username": format!("by-{who}")})), "patch"),
            ("update_restricted".into(), Some(json!({"is_restricted": true})), "update_restricted"),
            ("update_comments".into(), Some(json!({"service_provider_comment": who})), "update_comments"),
            (
                "update_runtime_state".into(),
                Some(json!({"runtime_state": "Pending account linking"})),
                "update_runtime_state",
            ),
        ];
        for t in ALL_TRANSITIONS {
            actions.push((t.action().into(), None, "transition"));
        }
        actions.push(("delete".into(), None, "delete"));
        for (name, body, kind) in actions {
            // Put the record into a state the action accepts, so only permission decides.
            let source =
                ALL_TRANSITIONS.iter().find(|t| t.action() == name).map(|t| t.sources()[0]).unwrap_or(State::Creating);
            sqlx::query("INSERT INTO offering_users (uuid, offering_id, user_id, state) \
                         SELECT $1::uuid, o.id, u.id, $2 FROM offerings o, users u \
                         WHERE o.uuid = $3::uuid AND u.uuid = $4::uuid ON CONFLICT (uuid) DO UPDATE SET state = $2, username = NULL")
                .bind(OU).bind(source.db()).bind(ids::OFFERING).bind(ids::MEMBER)
                .execute(&app.db.pool).await.unwrap();
            let reply = match kind {
                "patch" => app.patch(&detail(OU), &token(who), body.unwrap()).await,
                "update_restricted" | "update_runtime_state" => {
                    app.post(&action(OU, &name), &token(who), body.unwrap()).await
                }
                "update_comments" => app.patch(&action(OU, &name), &token(who), body.unwrap()).await,
                "delete" => app.delete(&detail(OU), &token(who)).await,
                _ => app.post_empty(&action(OU, &name), &token(who)).await,
            };
            let want = status_of(expected(who, if kind == "transition" { "transition" } else { kind }), kind);
            if reply.status != want {
                failures.push(format!("{who} {name}: got {} want {want}", reply.status));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
