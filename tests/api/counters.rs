//! The count deltas of migration 0007: writes append deltas, the server folds them into the
//! counters, and no count changes whether a fold has run or not.

use axum::http::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;
use waldur_offering_users::store::counters;

use crate::support::*;

/// Records of the test offerings, in several states and users.
fn records() -> Vec<serde_json::Value> {
    use ids::*;
    let entries = [
        ("00000000000000000000000000000f11", USER, OFFERING, "Requested"),
        ("00000000000000000000000000000f12", MEMBER, OFFERING, "Requested"),
        ("00000000000000000000000000000f13", ADMIN, OFFERING, "OK"),
        ("00000000000000000000000000000f14", USER, FOREIGN_OFFERING, "Requested"),
        ("00000000000000000000000000000f15", MANAGER, FOREIGN_OFFERING, "Creating"),
    ];
    entries.iter().map(|(uuid, user, offering, state)| offering_user(uuid, user, offering, None, state)).collect()
}

/// The staff count of a list query, as the API answers it.
async fn api_count(app: &TestApp, query: &str) -> i64 {
    let reply = app.request(Method::HEAD, &format!("{LIST}?{query}"), Some("staff-token"), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}");
    reply.header("x-result-count").unwrap().parse().unwrap()
}

/// The same count straight from the rows.
async fn row_count(pool: &PgPool, filter: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM offering_users ou WHERE {filter}")).fetch_one(pool).await.unwrap()
}

async fn pending_deltas(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM offering_user_count_deltas").fetch_one(pool).await.unwrap()
}

/// Every counter group equals its rows exactly once the deltas are folded (and no group of
/// rows lacks its counter).
async fn assert_counters_match_rows(pool: &PgPool) {
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT offering_id, state, is_restricted, consented, count(*) AS n \
         FROM offering_users GROUP BY 1, 2, 3, 4) r \
         FULL JOIN (SELECT * FROM offering_user_counts WHERE n <> 0) c \
         USING (offering_id, state, is_restricted, consented) WHERE r.n IS DISTINCT FROM c.n",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(mismatched, 0, "counter groups that differ from their rows");
}

const QUERIES: [(&str, &str); 4] = [
    ("", "true"),
    ("state=Requested", "ou.state = 1"),
    ("state=Creating,OK", "ou.state IN (2, 5)"),
    ("is_restricted=true", "ou.is_restricted"),
];

#[tokio::test]
async fn a_fold_moves_the_pending_deltas_into_the_counters_and_changes_no_count() {
    let app = TestApp::with(&world_with(records())).await;
    let pool = app.db.pool.clone();
    counters::fold(&mut pool.acquire().await.unwrap()).await.unwrap();
    assert_eq!(pending_deltas(&pool).await, 0);

    let record = "00000000000000000000000000000f11";
    let begun = app.post_empty(&format!("{LIST}{record}/begin_creating/"), "owner-token").await;
    assert_eq!(begun.status, StatusCode::OK);
    let restricted =
        app.post(&format!("{LIST}{record}/update_restricted/"), "owner-token", json!({"is_restricted": true})).await;
    assert_eq!(restricted.status, StatusCode::OK);
    assert!(pending_deltas(&pool).await > 0, "writes append deltas");

    let mut before = Vec::new();
    for (query, filter) in QUERIES {
        let count = api_count(&app, query).await;
        assert_eq!(count, row_count(&pool, filter).await, "before the fold: {query}");
        before.push(count);
    }
    assert!(counters::fold(&mut pool.acquire().await.unwrap()).await.unwrap() > 0);
    assert_eq!(pending_deltas(&pool).await, 0);
    for ((query, _), count) in QUERIES.iter().zip(before) {
        assert_eq!(api_count(&app, query).await, count, "after the fold: {query}");
    }
    assert_counters_match_rows(&pool).await;
    assert_eq!(counters::fold(&mut pool.acquire().await.unwrap()).await.unwrap(), 0, "nothing left to fold");
    assert_eq!(deltas_pages_after_vacuum(&pool).await, 0, "the folded deltas' pages are gone");
}

/// Vacuums the deltas and returns the pages left. A vacuum may leave rows that some snapshot
/// could still see; nothing else runs here, so a few tries suffice.
async fn deltas_pages_after_vacuum(pool: &PgPool) -> i64 {
    let mut pages = -1;
    for _ in 0..5 {
        counters::vacuum_deltas(&mut pool.acquire().await.unwrap()).await.unwrap();
        pages = sqlx::query_scalar(
            "SELECT pg_relation_size('offering_user_count_deltas') / current_setting('block_size')::bigint",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if pages == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    pages
}

#[tokio::test]
async fn concurrent_writes_and_folds_count_every_change_exactly_once() {
    let app = TestApp::with(&world_with(records())).await;
    let pool = app.db.pool.clone();
    // Writers move records back and forth while four folders fold as fast as they can.
    let writer = |state_a: i16, state_b: i16| {
        let pool = pool.clone();
        async move {
            for round in 0..40 {
                let state = if round % 2 == 0 { state_b } else { state_a };
                sqlx::query("UPDATE offering_users SET state = $1 WHERE state IN ($2, $3)")
                    .bind(state)
                    .bind(state_a)
                    .bind(state_b)
                    .execute(&pool)
                    .await
                    .unwrap();
            }
        }
    };
    let folder = || {
        let pool = pool.clone();
        async move {
            let mut folded = 0;
            for _ in 0..40 {
                folded += counters::fold(&mut pool.acquire().await.unwrap()).await.unwrap();
            }
            folded
        }
    };
    let (_, _, a, b, c, d) = tokio::join!(writer(1, 6), writer(2, 9), folder(), folder(), folder(), folder());
    assert!(a + b + c + d > 0, "the folders folded something");
    counters::fold(&mut pool.acquire().await.unwrap()).await.unwrap();
    assert_counters_match_rows(&pool).await;
    for (query, filter) in QUERIES {
        assert_eq!(api_count(&app, query).await, row_count(&pool, filter).await, "{query}");
    }
}
