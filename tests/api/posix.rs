//! `POST {uuid}/set_posix_attributes/` (docs/spec/offering-users-2026.md §7.2, Q6, Q20) and the
//! home directory that follows a username change (§7.1).

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;
use waldur_offering_users::store::audit::events_of;

use crate::support::posix_ids::*;
use crate::support::*;

fn set_path(uuid: &str) -> String {
    action(uuid, "set_posix_attributes")
}

async fn metadata_of(app: &TestApp, uuid: &str) -> Value {
    sqlx::query_scalar("SELECT backend_metadata FROM offering_users WHERE uuid = $1::uuid")
        .bind(uuid)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// The user's active identity in a pool: (uid, gid).
async fn identity_of(app: &TestApp, pool: &str, user: &str) -> Option<(Option<i64>, Option<i64>)> {
    sqlx::query_as(
        "SELECT i.uid, i.gid FROM posix_identities i JOIN posix_id_pools p ON p.id = i.pool_id \
         JOIN users u ON u.id = i.user_id WHERE p.uuid = $1::uuid AND u.uuid = $2::uuid AND i.released_at IS NULL",
    )
    .bind(pool)
    .bind(user)
    .fetch_optional(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn writers_may_set_attributes_and_others_may_not() {
    let app = TestApp::with(&posix_world()).await;
    let body = json!({"login_shell": "/bin/zsh"});
    for token in ["staff-token", "owner-token", "offering_manager-token"] {
        let reply = app.post(&set_path(USER_A), token, body.clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{token}: {:?}", reply.json());
    }
    // CUSTOMER.SUPPORT and CUSTOMER.MANAGER see the record but hold no OFFERING.UPDATE_USER;
    // the offering user himself neither; support sees everything and changes nothing.
    for token in ["customer_support-token", "service_manager-token", "user-token", "support-token"] {
        let reply = app.post(&set_path(USER_A), token, body.clone()).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{token}");
        assert_eq!(reply.json(), json!({"detail": "You do not have permission to perform this action."}));
    }
    // 403 comes before the body's 400.
    assert_eq!(app.post(&set_path(USER_A), "service_manager-token", json!({})).await.status, StatusCode::FORBIDDEN);
    let hidden = app.post(&set_path(USER_A), "outsider-token", json!({})).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(hidden.json(), json!({"detail": "No OfferingUser matches the given query."}));
    let malformed = app.post(&set_path("not-a-uuid"), "staff-token", body.clone()).await;
    assert_eq!(malformed.status, StatusCode::NOT_FOUND);
    let anonymous = app.request(Method::POST, &set_path(USER_A), None, Some(body)).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn shell_and_home_are_stored_and_the_uid_is_left_alone() {
    let app = TestApp::with(&posix_world()).await;
    let pinned = app.post(&set_path(USER_A), "owner-token", json!({"uidnumber": 2000})).await;
    assert_eq!(pinned.json(), json!({"uidnumber": 2000, "primarygroup": null, "warnings": []}));

    let reply = app
        .post(&set_path(USER_A), "owner-token", json!({"login_shell": "/bin/zsh", "home_directory": "/data/alice"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    // Shell and home are not echoed; the values now stored are.
    assert_eq!(reply.json(), json!({"uidnumber": 2000, "primarygroup": null, "warnings": []}));
    assert_eq!(
        metadata_of(&app, USER_A).await,
        json!({"uidnumber": 2000, "loginShell": "/bin/zsh", "homeDir": "/data/alice"})
    );

    let partial = app.post(&set_path(USER_A), "owner-token", json!({"login_shell": "/bin/sh"})).await;
    assert_eq!(partial.status, StatusCode::OK);
    assert_eq!(
        metadata_of(&app, USER_A).await,
        json!({"uidnumber": 2000, "loginShell": "/bin/sh", "homeDir": "/data/alice"})
    );
}

#[tokio::test]
async fn an_empty_or_all_null_body_is_refused() {
    let app = TestApp::with(&posix_world()).await;
    let expected = json!({"non_field_errors":
        ["At least one of login_shell, home_directory, uidnumber or primarygroup must be provided."]});
    for body in [json!({}), json!({"uidnumber": null, "primarygroup": null})] {
        let reply = app.post(&set_path(USER_A), "owner-token", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.json(), expected, "{body}");
    }
    let bodyless = app.post_empty(&set_path(USER_A), "owner-token").await;
    assert_eq!(bodyless.json(), expected);
    assert_eq!(metadata_of(&app, USER_A).await, json!({}));
}

#[tokio::test]
async fn every_body_error_has_its_text() {
    let app = TestApp::with(&posix_world()).await;
    let table = [
        (json!({"login_shell": null}), json!({"login_shell": ["This field may not be null."]})),
        (json!({"login_shell": ""}), json!({"login_shell": ["This field may not be blank."]})),
        (json!({"home_directory": "home/x"}), json!({"home_directory": ["Must be an absolute path."]})),
        (
            json!({"home_directory": format!("/{}", "x".repeat(300))}),
            json!({"home_directory": ["Ensure this field has no more than 255 characters."]}),
        ),
        (json!({"uidnumber": "x"}), json!({"uidnumber": ["A valid integer is required."]})),
        (json!({"uidnumber": -1}), json!({"uidnumber": ["Ensure this value is greater than or equal to 0."]})),
        (
            json!({"primarygroup": 4294967296_i64}),
            json!({"primarygroup": ["Ensure this value is less than or equal to 4294967295."]}),
        ),
        (
            json!({"login_shell": "sh", "uidnumber": 1.5}),
            json!({"login_shell": ["Must be an absolute path."], "uidnumber": ["A valid integer is required."]}),
        ),
        (json!([1]), json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})),
    ];
    for (body, expected) in table {
        let reply = app.post(&set_path(USER_A), "owner-token", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.json(), expected, "{body}");
    }
    assert_eq!(metadata_of(&app, USER_A).await, json!({}));
}

#[tokio::test]
async fn every_pool_refusal_has_upstreams_text_under_a_string() {
    let app = TestApp::with(&posix_world()).await;
    let table = [
        // The other provider's offering has no pool.
        (
            MEMBER_FOREIGN,
            json!({"uidnumber": 1200}),
            json!({"uidnumber": "No POSIX ID pool is configured for this offering."}),
        ),
        // OFFERING_D's override pool manages UIDs only.
        (
            USER_D,
            json!({"primarygroup": 1200}),
            json!({"primarygroup": "The offering's POSIX ID pool does not manage GID values."}),
        ),
        (USER_D, json!({"uidnumber": 1200}), json!({"uidnumber": "1200 is outside the pool's UID range [100-999]."})),
        (
            USER_A,
            json!({"uidnumber": 50}),
            json!({"uidnumber": "50 is outside the pool's UID range [1000-4294967295]."}),
        ),
        // member holds 1500 (from the directory's ledger).
        (USER_A, json!({"uidnumber": 1500}), json!({"uidnumber": "1500 is already allocated to another account."})),
        // The project group holds GID 7000 in the provider's pool.
        (
            USER_A,
            json!({"primarygroup": 7000}),
            json!({"primarygroup": "7000 is already allocated to another account."}),
        ),
        // All or nothing: the uid is fine, the gid is not; nothing is kept.
        (
            USER_A,
            json!({"uidnumber": 3000, "primarygroup": 70001, "login_shell": "/bin/sh"}),
            json!({"primarygroup": "70001 is outside the pool's GID range [1000-69999]."}),
        ),
    ];
    for (record, body, expected) in table {
        let reply = app.post(&set_path(record), "staff-token", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.json(), expected, "{body}");
    }
    assert_eq!(metadata_of(&app, USER_A).await, json!({}));
    assert_eq!(identity_of(&app, PROVIDER_POOL, ids::USER).await, None);
}

#[tokio::test]
async fn an_offering_that_takes_uids_from_the_user_refuses_a_uid_pin() {
    let app = TestApp::with(&posix_world()).await;
    let refused = app.post(&set_path(USER_E), "owner-token", json!({"uidnumber": 2000})).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.json(), json!({"uidnumber": "The offering does not take UID values from a POSIX ID pool."}));
    // Its GIDs still come from the pool, and shell and home are always allowed.
    let accepted =
        app.post(&set_path(USER_E), "owner-token", json!({"primarygroup": 2000, "login_shell": "/bin/sh"})).await;
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.json());
    assert_eq!(metadata_of(&app, USER_E).await, json!({"primarygroup": 2000, "loginShell": "/bin/sh"}));
}

#[tokio::test]
async fn reserved_and_large_values_are_accepted_with_advisories() {
    let app = TestApp::with(&posix_world()).await;
    let reply =
        app.post(&set_path(USER_A), "owner-token", json!({"uidnumber": 3000000000_i64, "primarygroup": 65534})).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"uidnumber": 3000000000_i64, "primarygroup": 65534, "warnings": [
            "UID 3000000000 is above 2^31 and may not work with software that uses signed 32-bit ids.",
            "primary GID 65534 is a reserved POSIX id (the 'nobody' / -1 overflow value) and should normally be avoided."
        ]})
    );
    assert_eq!(identity_of(&app, PROVIDER_POOL, ids::USER).await, Some((Some(3000000000), Some(65534))));
}

#[tokio::test]
async fn a_pin_is_projected_to_the_users_accounts_on_the_same_pool() {
    let app = TestApp::with(&posix_world()).await;
    let reply = app
        .post(
            &set_path(USER_A),
            "owner-token",
            json!({"uidnumber": 2000, "primarygroup": 2001, "login_shell": "/bin/zsh"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    // OFFERING_C resolves to the provider's pool: both values, but not the shell (per account).
    assert_eq!(metadata_of(&app, USER_C).await, json!({"uidnumber": 2000, "primarygroup": 2001}));
    // OFFERING_E takes UIDs from the user: only the GID.
    assert_eq!(metadata_of(&app, USER_E).await, json!({"primarygroup": 2001}));
    // OFFERING_D has a pool of its own.
    assert_eq!(metadata_of(&app, USER_D).await, json!({}));
    assert_eq!(identity_of(&app, PROVIDER_POOL, ids::USER).await, Some((Some(2000), Some(2001))));
    assert_eq!(identity_of(&app, OVERRIDE_POOL, ids::USER).await, None);

    let events = |uuid: &str| events_of(&app.db.pool, Uuid::parse_str(uuid).unwrap());
    let own = events(USER_A).await.unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].action, "marketplace_offering_user_updated");
    assert_eq!(own[0].old_values, json!({"uidnumber": null, "primarygroup": null, "login_shell": null}));
    assert_eq!(own[0].new_values, json!({"uidnumber": 2000, "primarygroup": 2001, "login_shell": "/bin/zsh"}));
    let sibling = events(USER_C).await.unwrap();
    assert_eq!(sibling.len(), 1);
    assert_eq!(sibling[0].action, "marketplace_offering_user_updated");
    assert_eq!(sibling[0].new_values, json!({"uidnumber": 2000, "primarygroup": 2001}));
    assert_eq!(events(USER_E).await.unwrap()[0].new_values, json!({"primarygroup": 2001}));
    assert!(events(USER_D).await.unwrap().is_empty());

    // Moving the pin moves it everywhere; the old value is free for another user.
    let moved = app.post(&set_path(USER_C), "owner-token", json!({"uidnumber": 2002})).await;
    assert_eq!(moved.status, StatusCode::OK);
    assert_eq!(metadata_of(&app, USER_A).await["uidnumber"], json!(2002));
    let reused = app.post(&set_path(ADMIN_A), "owner-token", json!({"uidnumber": 2000})).await;
    assert_eq!(reused.status, StatusCode::OK, "{:?}", reused.json());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_concurrent_pins_of_one_value_exactly_one_wins() {
    let app = TestApp::with(&posix_world()).await;
    let body = json!({"uidnumber": 4242});
    let (path_a, path_b) = (set_path(USER_A), set_path(ADMIN_A));
    let (a, b) =
        tokio::join!(app.post(&path_a, "owner-token", body.clone()), app.post(&path_b, "owner-token", body.clone()),);
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST]);
    let loser = if a.status == StatusCode::OK { b } else { a };
    assert_eq!(loser.json(), json!({"uidnumber": "4242 is already allocated to another account."}));
    let holders: i64 =
        sqlx::query_scalar("SELECT count(*) FROM posix_identities WHERE uid = 4242 AND released_at IS NULL")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(holders, 1);
}

#[tokio::test]
async fn a_username_change_carries_a_derived_home_directory_along() {
    let mut doc = posix_world();
    let offerings = doc["offerings"].as_array_mut().unwrap();
    offerings[3]["plugin_options"]["homedir_prefix"] = json!("/scratch/");
    let app = TestApp::with(&doc).await;
    // member's home is derived from his username and the default prefix.
    let renamed = app.patch(&detail(MEMBER_A), "owner-token", json!({"username": "member2"})).await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(metadata_of(&app, MEMBER_A).await["homeDir"], json!("/home/member2"));
    assert_eq!(metadata_of(&app, MEMBER_A).await["uidnumber"], json!(1500));

    // An explicit override stays.
    app.post(&set_path(USER_A), "owner-token", json!({"home_directory": "/data/alice"})).await;
    app.patch(&detail(USER_A), "owner-token", json!({"username": "alice"})).await;
    assert_eq!(metadata_of(&app, USER_A).await["homeDir"], json!("/data/alice"));

    // The offering's own prefix counts (OFFERING_C: /scratch/).
    app.post(&set_path(USER_C), "owner-token", json!({"home_directory": "/scratch/user"})).await;
    app.patch(&detail(USER_C), "owner-token", json!({"username": "carol"})).await;
    assert_eq!(metadata_of(&app, USER_C).await["homeDir"], json!("/scratch/carol"));
    // Clearing the username leaves the home as it is.
    app.patch(&detail(USER_C), "owner-token", json!({"username": null})).await;
    assert_eq!(metadata_of(&app, USER_C).await["homeDir"], json!("/scratch/carol"));
}
