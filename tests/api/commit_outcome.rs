//! What an answer says about a write when the database fails under it, over a real socket and
//! through a proxy the test controls: a connection lost or frozen while `COMMIT` runs is a 500
//! "outcome unknown", never the 503 that promises nothing was saved; a backend ended by an
//! administrator (SQLSTATE 57P01) before the commit is the outage 503, and its connection is
//! replaced.
//!
//! To catch a request inside `COMMIT`, the test's database gets a deferred constraint trigger
//! that sleeps: deferred triggers run at `COMMIT`, so the commit itself takes that long, and
//! the test sees the session waiting in `pg_sleep` with `COMMIT` as its statement. PostgreSQL
//! runs that work after it has stopped the statement's timer (`finish_xact_command` disables
//! `statement_timeout` before committing), so `statement_timeout` does not end it: only the
//! server's own wait (`Settings::commit_wait`) bounds the answer.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::failover::db_errors;
use crate::support::proxy::DbProxy;
use crate::support::served::{raw_request, transport, RawReply, Served};
use crate::support::*;
use waldur_offering_users::db::SessionLimits;
use waldur_offering_users::error::OUTCOME_UNKNOWN;
use waldur_offering_users::http::Settings;

const OU: &str = "00000000000000000000000000000f73";
/// The username whose update sleeps at `COMMIT` (the trigger fires for it only).
const SLOW: &str = "slow-commit";
const UNAVAILABLE: &str = "The database is unavailable. Try again later.";

fn world_of_one() -> Value {
    world_with(vec![offering_user(OU, ids::ADMIN, ids::OFFERING, Some("admin-account"), "OK")])
}

/// Makes the `COMMIT` of a transaction that set a record's username to [`SLOW`] sleep for
/// `sleep` (in this test's database only).
async fn slow_commits(app: &TestApp, sleep: Duration) {
    let function = format!(
        "CREATE FUNCTION test_slow_commit() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN PERFORM pg_sleep({}); RETURN NULL; END $$",
        sleep.as_secs_f64()
    );
    sqlx::query(&function).execute(&app.db.pool).await.unwrap();
    let trigger = format!(
        "CREATE CONSTRAINT TRIGGER test_slow_commit AFTER UPDATE ON offering_users \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.username = '{SLOW}') \
         EXECUTE FUNCTION test_slow_commit()"
    );
    sqlx::query(&trigger).execute(&app.db.pool).await.unwrap();
}

/// The answer to a write whose COMMIT the server could not see end: 500, saying so, and with
/// no `Retry-After` (a blind retry could apply the write twice).
fn assert_outcome_unknown(reply: &RawReply) {
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert_eq!(reply.json(), json!({ "detail": OUTCOME_UNKNOWN }));
    assert_eq!(reply.header("retry-after"), None, "a 500 of unknown outcome does not invite a blind retry");
}

/// Sends the username PATCH that sleeps at `COMMIT` on a connection of its own; the answer
/// and how long it took from the request's start.
fn patch_to_slow(served: &Served) -> tokio::task::JoinHandle<(RawReply, Duration)> {
    let address = served.address;
    tokio::spawn(async move {
        let started = Instant::now();
        let body = json!({ "username": SLOW }).to_string();
        let reply = raw_request(address, "PATCH", &detail(OU), Some("owner-token"), Some(&body)).await;
        (reply, started.elapsed())
    })
}

/// The pid of the session of this test's database that is inside `COMMIT`, asleep in the
/// deferred trigger; waits 10 s at most for it.
async fn session_asleep_in_commit(app: &TestApp) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pid: Option<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND state = 'active' \
             AND query ILIKE 'COMMIT%' AND wait_event = 'PgSleep'",
        )
        .bind(&app.db.name)
        .fetch_optional(&app.db.pool)
        .await
        .unwrap();
        if let Some(pid) = pid {
            return pid;
        }
        assert!(Instant::now() < deadline, "the PATCH never came to sleep in its COMMIT");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Whether the session `pid` is still running its `COMMIT`.
async fn still_committing(app: &TestApp, pid: i32) -> bool {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query ILIKE 'COMMIT%')",
    )
    .bind(pid)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

/// Waits until the session `pid` no longer runs `COMMIT` (it finished it, failed it, or is
/// gone), 20 s at most.
async fn commit_ended(app: &TestApp, pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while still_committing(app, pid).await {
        assert!(Instant::now() < deadline, "session {pid} stayed in its COMMIT");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn audit_events(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_events").fetch_one(&app.db.pool).await.unwrap()
}

/// Reads the record through the API until it answers 200 (the server has found the database
/// again), 15 s at most; the username it shows.
async fn username_read_back(served: &Served) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let reply = served.request("GET", &detail(OU), Some("owner-token"), None).await;
        if reply.status == 200 {
            return reply.json()["username"].clone();
        }
        assert!(Instant::now() < deadline, "the record could not be read again: {} {}", reply.status, reply.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_during_commit_is_500_outcome_unknown_though_the_write_is_made() {
    let app = TestApp::with(&world_of_one()).await;
    slow_commits(&app, Duration::from_secs(3)).await;
    // PostgreSQL then notices a vanished client only when it next reads or writes, i.e. after
    // the commit: what the row shows afterwards is determined (PostgreSQL's default, set here
    // so that a server configured otherwise does not change the test).
    let interval = format!("ALTER DATABASE {} SET client_connection_check_interval = 0", app.db.name);
    sqlx::query(&interval).execute(&app.db.pool).await.unwrap();
    let proxy = DbProxy::start().await;
    let mut served = Served::start(proxy.options(&app.db.name), Settings::default(), transport()).await;

    let patch = patch_to_slow(&served);
    let pid = session_asleep_in_commit(&app).await;
    proxy.cut();
    let (reply, _) = patch.await.unwrap();
    assert_outcome_unknown(&reply);
    // Answered while the outcome did not exist yet.
    assert!(still_committing(&app, pid).await, "the COMMIT ended before the answer came");

    // The backend never saw the cut: it finished its COMMIT. The client was told 500 for a
    // write that was made; a 503 ("nothing was saved") would have been a lie.
    commit_ended(&app, pid).await;
    assert_eq!(username_of(&app, OU).await.as_deref(), Some(SLOW));
    assert_eq!(audit_events(&app).await, 1, "the write's audit event committed with it");

    // As the answer advises, the client reads the record once the database is back.
    proxy.restore().await;
    assert_eq!(username_read_back(&served).await, SLOW);
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_frozen_during_commit_is_500_outcome_unknown_within_the_commit_wait() {
    let app = TestApp::with(&world_of_one()).await;
    // Longer than the statement timeout, which does not end it, and than the server waits.
    slow_commits(&app, Duration::from_secs(8)).await;
    let proxy = DbProxy::start().await;
    let limits = SessionLimits {
        statement_timeout: Duration::from_secs(1),
        idle_in_transaction_timeout: Duration::from_secs(10),
    };
    // `serve` waits for a committing request the statement timeout and a second more.
    let settings = Settings {
        request_timeout: Duration::from_secs(2),
        commit_wait: limits.statement_timeout + Duration::from_secs(1),
        ..Settings::default()
    };
    let bound = settings.request_timeout + settings.commit_wait + Duration::from_secs(2);
    let mut served = Served::start_with_limits(proxy.options(&app.db.name), settings, transport(), limits).await;

    let patch = patch_to_slow(&served);
    let pid = session_asleep_in_commit(&app).await;
    // Every connection stays open and silent, the monitor's and new ones too.
    proxy.freeze();
    let (reply, took) = patch.await.unwrap();
    assert_outcome_unknown(&reply);
    assert!(took < bound, "answered after {took:?}; the request timeout and the commit wait allow {bound:?}");
    eprintln!("frozen COMMIT answered 500 after {took:?} (bound {bound:?})");
    assert!(still_committing(&app, pid).await, "the COMMIT ended before the answer came");

    // The backend's connection stays open (frozen, not closed) until it is done: nothing
    // interrupts its COMMIT, which ends with the write made. Once the database answers again,
    // the client, told 500, reads it back.
    commit_ended(&app, pid).await;
    assert_eq!(username_of(&app, OU).await.as_deref(), Some(SLOW));
    assert_eq!(audit_events(&app).await, 1);
    proxy.thaw();
    assert_eq!(username_read_back(&served).await, SLOW);
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_terminated_by_an_administrator_is_503_unavailable_and_its_connection_replaced() {
    let app = TestApp::with(&world_of_one()).await;
    // One pooled connection: the request after the termination can only succeed on a new one.
    let mut served = Served::start_with_pool(app.db.options(), Settings::default(), transport(), 1, true).await;
    let lock = lock_record(&app, OU).await;
    let address = served.address;
    let blocked = tokio::spawn(async move {
        let body = json!({ "username": "never-written" }).to_string();
        raw_request(address, "PATCH", &detail(OU), Some("owner-token"), Some(&body)).await
    });

    // The server's session waiting for the row the test holds: end it as `pg_terminate_backend`
    // (or a fast shutdown) does, with SQLSTATE 57P01.
    let deadline = Instant::now() + Duration::from_secs(10);
    let pid: i32 = loop {
        let waiting: Vec<i32> =
            sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'")
                .bind(&app.db.name)
                .fetch_all(&app.db.pool)
                .await
                .unwrap();
        if let [pid] = waiting[..] {
            break pid;
        }
        assert!(waiting.is_empty(), "more than the PATCH waits for the row: {waiting:?}");
        assert!(Instant::now() < deadline, "the PATCH never came to wait for the row");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let terminated: bool =
        sqlx::query_scalar("SELECT pg_terminate_backend($1)").bind(pid).fetch_one(&app.db.pool).await.unwrap();
    assert!(terminated);

    let reply = blocked.await.unwrap();
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.header("retry-after"), Some("5"));
    assert_eq!(reply.json(), json!({ "detail": UNAVAILABLE }));
    assert_eq!(db_errors(&served, "unreachable").await, 1, "57P01 counts as the database unreachable");
    lock.rollback().await.unwrap();
    assert_eq!(username_of(&app, OU).await.as_deref(), Some("admin-account"));
    assert_eq!(audit_events(&app).await, 0, "no audit event of a write answered 503");

    // The terminated connection was discarded: the next request gets a fresh one and commits.
    let body = json!({ "username": "after-terminate" }).to_string();
    let reply = served.request("PATCH", &detail(OU), Some("owner-token"), Some(&body)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["username"], "after-terminate");
    assert_eq!(username_of(&app, OU).await.as_deref(), Some("after-terminate"));
    assert_eq!(audit_events(&app).await, 1);
    served.stop().await;
}
