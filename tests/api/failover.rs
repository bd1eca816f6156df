//! PostgreSQL failing in the ways a real deployment sees beyond "connection refused":
//! connections that freeze (a vanished host, a moved virtual IP), a node that turns
//! read-only (a demoted primary behind the same name), a pool merely busy, and a server with
//! no connection slot left. Each is answered 503 with `Retry-After` (never 500, never a wait
//! per dead connection), readiness says what it should, and service resumes by itself.
//! Faults go through a proxy or a cluster the test owns, never the shared PostgreSQL.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::{Connection, PgConnection};

use crate::support::db::server_options;
use crate::support::proxy::DbProxy;
use crate::support::served::{raw_request, transport, RawReply, Served};
use crate::support::*;
use waldur_offering_users::embedded::{Durability, EmbeddedCluster};
use waldur_offering_users::http::Settings;

const OU: &str = "00000000000000000000000000000f71";
const BUSY: &str = "The server is busy. Try again later.";
const UNAVAILABLE: &str = "The database is unavailable. Try again later.";

fn world_of_one() -> serde_json::Value {
    world_with(vec![offering_user(OU, ids::ADMIN, ids::OFFERING, Some("admin-account"), "OK")])
}

/// Polls `path` until it answers `status`, for at most `bound`; returns how long that took and
/// every status seen on the way.
async fn until_status(
    served: &Served,
    path: &str,
    token: Option<&str>,
    status: u16,
    bound: Duration,
) -> (Duration, Vec<u16>) {
    let started = Instant::now();
    let mut seen = Vec::new();
    while started.elapsed() < bound {
        let reply = served.request("GET", path, token, None).await;
        seen.push(reply.status);
        if reply.status == status {
            return (started.elapsed(), seen);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} did not answer {status} within {bound:?}; answers: {seen:?}");
}

fn patch_username(name: &str) -> String {
    json!({ "username": name }).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_connections_are_noticed_answered_503_at_once_and_replaced_once_the_database_answers() {
    let app = TestApp::with(&world_of_one()).await;
    let proxy = DbProxy::start().await;
    let mut served = Served::start(proxy.options(&app.db.name), Settings::default(), transport()).await;
    assert_eq!(served.request("GET", LIST, Some("owner-token"), None).await.status, 200);

    // Every open connection and every new one stops forwarding; nothing is closed.
    proxy.freeze();
    let address = served.address;
    let in_progress = tokio::spawn(async move { raw_request(address, "GET", LIST, Some("owner-token"), None).await });
    let (not_ready_after, mut seen) = until_status(&served, "/health/ready", None, 503, Duration::from_secs(10)).await;
    let ready = served.request("GET", "/health/ready", None, None).await;
    assert_eq!(ready.json()["checks"]["database"], "unreachable");
    let in_progress = in_progress.await.unwrap();
    assert_eq!(in_progress.status, 503, "the request caught by the freeze: {}", in_progress.body);
    seen.push(in_progress.status);

    // Noticed: each request is answered at once, not after a wait on a dead connection.
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let started = Instant::now();
        let reply = served.request("GET", LIST, Some("owner-token"), None).await;
        slowest = slowest.max(started.elapsed());
        assert_eq!(reply.status, 503, "{}", reply.body);
        assert_eq!(reply.header("retry-after"), Some("5"));
        assert_eq!(reply.json(), json!({ "detail": UNAVAILABLE }));
        seen.push(reply.status);
    }
    assert!(slowest < Duration::from_secs(1), "a request during the outage took {slowest:?}");

    // The name leads to a live node again; the frozen connections stay frozen for good.
    proxy.thaw_new();
    let (recovered_after, more) = until_status(&served, LIST, Some("owner-token"), 200, Duration::from_secs(15)).await;
    seen.extend(more);
    assert_eq!(served.request("GET", "/health/ready", None, None).await.status, 200);
    let write = served.request("PATCH", &detail(OU), Some("owner-token"), Some(&patch_username("after-freeze"))).await;
    assert_eq!(write.status, 200, "{}", write.body);
    assert!(!seen.contains(&500), "no request is answered 500: {seen:?}");
    eprintln!("freeze figures: not ready after {not_ready_after:?}, slowest 503 {slowest:?}, first 200 {recovered_after:?} after the thaw");

    // Nothing waits on a frozen connection at shutdown either.
    let started = Instant::now();
    served.stop().await;
    assert!(started.elapsed() < Duration::from_secs(20), "shutdown took {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_late_probe_does_not_flip_readiness_and_frozen_idle_connections_are_not_handed_out() {
    let app = TestApp::with(&world_of_one()).await;
    let proxy = DbProxy::start().await;
    let mut served = Served::start(proxy.options(&app.db.name), Settings::default(), transport()).await;
    assert_eq!(served.request("GET", LIST, Some("owner-token"), None).await.status, 200);

    // The monitor's connection and the pool's idle one freeze, as after a failover; new
    // connections go through. The monitor's next probe is late, once: that is no outage.
    proxy.freeze_open();
    let watched = Instant::now();
    while watched.elapsed() < Duration::from_secs(4) {
        let ready = served.request("GET", "/health/ready", None, None).await;
        assert_eq!(ready.status, 200, "readiness flipped after {:?}: {}", watched.elapsed(), ready.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The late probe closed the pool's idle connections: a request gets a fresh one.
    let started = Instant::now();
    let reply = served.request("GET", LIST, Some("owner-token"), None).await;
    let answered = started.elapsed();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(answered < Duration::from_secs(2), "the request waited {answered:?} on a frozen connection");
    served.stop().await;
}

/// A cluster of the test's own, in a fresh data directory, removed when dropped.
struct OwnCluster {
    cluster: EmbeddedCluster,
    dir: PathBuf,
}

impl OwnCluster {
    fn start(name: &str) -> OwnCluster {
        let dir = std::env::temp_dir().join(format!("wou-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let cluster = EmbeddedCluster::start_shared(&dir, Durability::Fast)
            .expect("initdb and start a cluster of the test's own");
        OwnCluster { cluster, dir }
    }

    async fn execute(&self, sql: &str) {
        let mut conn = PgConnection::connect_with(&self.cluster.connect_options()).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        self.cluster.stop_within(Duration::from_secs(10));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_answers_writes_503_serves_reads_and_is_not_ready_until_it_takes_writes() {
    let own = OwnCluster::start("read-only");
    let options = own.cluster.connect_options();
    waldur_offering_users::db::migrate(&options).await.unwrap();
    let pool = waldur_offering_users::db::connect(options.clone(), 2).await.unwrap();
    let doc = waldur_offering_users::directory::parse(&world_of_one().to_string()).unwrap();
    waldur_offering_users::directory::import(&pool, &doc).await.unwrap();
    let mut served = Served::start(options, Settings::default(), transport()).await;
    let write = served.request("PATCH", &detail(OU), Some("owner-token"), Some(&patch_username("before"))).await;
    assert_eq!(write.status, 200, "{}", write.body);
    // The owner's token is due for its sliding refresh: every GET below tries the UPDATE.
    sqlx::query("UPDATE api_tokens SET created = now() - interval '5 minutes'").execute(&pool).await.unwrap();
    pool.close().await;

    // A demoted primary behind the same name looks like this.
    own.execute("ALTER SYSTEM SET default_transaction_read_only = on").await;
    own.execute("SELECT pg_reload_conf()").await;
    until_status(&served, "/health/ready", None, 503, Duration::from_secs(5)).await;
    let ready = served.request("GET", "/health/ready", None, None).await;
    assert_eq!(ready.json()["checks"]["database"], "read-only");

    let write = served.request("PATCH", &detail(OU), Some("owner-token"), Some(&patch_username("during"))).await;
    assert_eq!(write.status, 503, "{}", write.body);
    assert_eq!(write.header("retry-after"), Some("5"));
    assert_eq!(write.json(), json!({ "detail": UNAVAILABLE }));
    // Reads go on, though the token's refresh (a write) fails under them.
    for _ in 0..3 {
        let read = served.request("GET", &detail(OU), Some("owner-token"), None).await;
        assert_eq!(read.status, 200, "{}", read.body);
        assert_eq!(read.json()["username"], "before");
    }

    own.execute("ALTER SYSTEM RESET default_transaction_read_only").await;
    own.execute("SELECT pg_reload_conf()").await;
    until_status(&served, "/health/ready", None, 200, Duration::from_secs(5)).await;
    let write = served.request("PATCH", &detail(OU), Some("owner-token"), Some(&patch_username("after"))).await;
    assert_eq!(write.status, 200, "{}", write.body);
    served.stop().await;
}

/// The value of one `db_errors_total` series on the management listener, 0 when absent.
pub(crate) async fn db_errors(served: &Served, kind: &str) -> u64 {
    let metrics = raw_request(served.admin.unwrap(), "GET", "/metrics", None, None).await;
    let series = format!("db_errors_total{{kind=\"{kind}\"}} ");
    metrics.body.lines().find_map(|l| l.strip_prefix(&series)).map_or(0, |v| v.trim().parse().unwrap())
}

/// A request is answered 503 busy, counted as a database error of `kind` and not as an
/// outage, and readiness stays 200.
async fn answers_busy_and_stays_ready(served: &Served, kind: &str) {
    let reply = served.request("GET", LIST, Some("owner-token"), None).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert_eq!(reply.json(), json!({ "detail": BUSY }));
    assert_eq!(db_errors(served, kind).await, 1);
    assert_eq!(db_errors(served, "unreachable").await, 0);
    let ready = served.request("GET", "/health/ready", None, None).await;
    assert_eq!(ready.status, 200, "{kind} is not an outage: {}", ready.body);
}

/// Sends a PATCH of the record that waits on `lock` with the pool's only connection.
fn blocked_patch(served: &Served) -> tokio::task::JoinHandle<RawReply> {
    let address = served.address;
    tokio::spawn(async move {
        raw_request(address, "PATCH", &detail(OU), Some("owner-token"), Some(&patch_username("blocked"))).await
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_pool_is_answered_503_busy_and_is_no_outage() {
    let app = TestApp::with(&world_of_one()).await;
    let mut served = Served::start_with_pool(app.db.options(), Settings::default(), transport(), 1, true).await;
    let lock = lock_record(&app, OU).await;
    let blocked = blocked_patch(&served);
    tokio::time::sleep(Duration::from_millis(500)).await;

    answers_busy_and_stays_ready(&served, "pool_timeout").await;

    lock.commit().await.unwrap();
    assert_eq!(blocked.await.unwrap().status, 200);
    assert_eq!(served.request("GET", LIST, Some("owner-token"), None).await.status, 200);
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_out_of_connection_slots_is_answered_503_busy_counted_as_such_and_is_no_outage() {
    let app = TestApp::with(&world_of_one()).await;
    // A role of the server's own, which PostgreSQL then refuses any new connection with 53300,
    // as a server at max_connections does, while the test's superuser still gets in.
    let role = format!("{}_limited", app.db.name);
    let as_admin = |sql: String| {
        let pool = app.db.pool.clone();
        async move { sqlx::query(&sql).execute(&pool).await.unwrap() }
    };
    as_admin(format!("CREATE ROLE {role} LOGIN")).await;
    as_admin(format!("GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")).await;
    as_admin(format!("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")).await;
    let options = server_options().database(&app.db.name).username(&role);
    let mut served = Served::start_with_pool(options, Settings::default(), transport(), 2, true).await;
    assert_eq!(served.request("GET", LIST, Some("owner-token"), None).await.status, 200);

    as_admin(format!("ALTER ROLE {role} CONNECTION LIMIT 0")).await;
    as_admin(format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'")).await;
    // Past the idle time after which a pooled connection is checked before use.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    answers_busy_and_stays_ready(&served, "too_many_connections").await;

    as_admin(format!("ALTER ROLE {role} CONNECTION LIMIT -1")).await;
    until_status(&served, LIST, Some("owner-token"), 200, Duration::from_secs(10)).await;
    served.stop().await;
    drop(app);
    // The database is gone with the grants; the role can go now.
    let mut admin = PgConnection::connect_with(&server_options().database("postgres")).await.unwrap();
    for _ in 0..50 {
        if sqlx::query(&format!("DROP ROLE IF EXISTS {role}")).execute(&mut admin).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
