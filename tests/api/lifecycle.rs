//! The process as an operator runs it (the real binary): it listens before its database is
//! there, waits for PostgreSQL within `--database-wait` and exits with its own code when it
//! does not come, stops within `--shutdown-timeout` whatever its background tasks, its
//! requests or its frozen database connections wait for, stops at once on a second signal,
//! ignores SIGHUP, survives a closed or broken standard error, refuses a second server on its
//! embedded data directory and runs that cluster durably, and never shows a URL's secrets.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use sqlx::{Connection, PgConnection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use waldur_offering_users::embedded::EmbeddedCluster;

use crate::import::database_url;
use crate::labels::in_flight_besides_the_scrape;
use crate::support::proxy::DbProxy;
use crate::support::served::{parse, RawReply};
use crate::support::*;

/// The list path, answered 401 without a token once serving (and logged at info).
const LIST: &str = "/api/marketplace-offering-users/";

/// The binary, with none of the settings of the test environment leaking in.
fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_waldur-offering-users"));
    for variable in
        ["DATABASE_URL", "DATABASE_MIGRATION_URL", "BIND_ADDR", "ADMIN_BIND", "WALDUR_DATA_DIR", "DATABASE_WAIT"]
    {
        command.env_remove(variable);
    }
    command.kill_on_drop(true);
    command
}

/// A loopback port nothing listens on (free when this returns).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `serve` on `port` (no management listener) with `env`; standard streams piped.
fn serve(port: u16, args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut command = binary();
    command.args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--admin-bind", "off"]).args(args);
    command.envs(env.iter().copied()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command.spawn().unwrap()
}

/// One GET, or `None` when nothing answers (not listening, reset, no answer within 5 s).
async fn get(port: u16, path: &str) -> Option<RawReply> {
    let exchange = async {
        let mut stream = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).await.ok()?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: testserver\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.ok()?;
        (!raw.is_empty()).then(|| parse(&raw))
    };
    tokio::time::timeout(Duration::from_secs(5), exchange).await.ok().flatten()
}

/// Polls `path` until it answers `status`, for `within` at most; the answer.
async fn wait_for(port: u16, path: &str, status: u16, within: Duration) -> RawReply {
    let started = Instant::now();
    let mut last = None;
    while started.elapsed() < within {
        if let Some(reply) = get(port, path).await {
            if reply.status == status {
                return reply;
            }
            last = Some(reply);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} did not answer {status} within {within:?}; last: {last:?}");
}

fn send(child: &Child, signal: Signal) {
    kill(Pid::from_raw(child.id().expect("running") as i32), signal).unwrap();
}

/// Waits for the process to exit, for `within` at most; its exit code and standard error.
async fn exited(child: Child, within: Duration) -> (Option<i32>, String) {
    let out = tokio::time::timeout(within, child.wait_with_output()).await.expect("the process exits in time").unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A fresh directory under the system's temporary one, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("wou-lifecycle-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // An unprivileged cluster owner (when the tests run as root) must reach it.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The URL of the cluster whose socket is in `dir`.
fn socket_url(dir: &std::path::Path) -> String {
    format!("postgres://postgres@localhost/postgres?host={}&port=5432", dir.display())
}

#[tokio::test]
async fn a_database_that_comes_up_later_is_waited_for_while_the_health_checks_answer() {
    let dir = TempDir::new("late");
    let data = dir.0.join("pg");
    // Locked here, started later: the server's URL points at its socket meanwhile.
    let cluster = EmbeddedCluster::open(&data).unwrap();
    let port = free_port();
    let child = serve(port, &[], &[("DATABASE_URL", &socket_url(cluster.data_dir())), ("DATABASE_WAIT", "120s")]);

    let live = wait_for(port, "/health/live", 200, Duration::from_secs(10)).await;
    assert_eq!(live.json()["status"], "ok");
    let ready = get(port, "/health/ready").await.unwrap();
    assert_eq!(ready.status, 503, "{}", ready.body);
    let checks = &ready.json()["checks"];
    assert!(checks["database"].as_str().unwrap().starts_with("waiting for PostgreSQL"), "{checks}");
    assert!(checks["migrations"].as_str().unwrap().starts_with("pending"), "{checks}");
    let api = get(port, LIST).await.unwrap();
    assert_eq!(api.status, 503, "{}", api.body);
    assert!(api.header("retry-after").is_some());

    tokio::time::sleep(Duration::from_secs(2)).await;
    let cluster = tokio::task::spawn_blocking(move || cluster.start().map(|()| cluster)).await.unwrap().unwrap();
    let ready = wait_for(port, "/health/ready", 200, Duration::from_secs(60)).await;
    assert_eq!(ready.json()["checks"], serde_json::json!({"database": "ok", "migrations": "ok"}));
    let api = get(port, LIST).await.unwrap();
    if api.status != 401 {
        send(&child, Signal::SIGTERM);
        let (_, stderr) = exited(child, Duration::from_secs(20)).await;
        panic!("{}: {stderr}", api.body);
    }

    send(&child, Signal::SIGTERM);
    let (code, stderr) = exited(child, Duration::from_secs(20)).await;
    assert_eq!(code, Some(0), "{stderr}");
    cluster.stop_within(Duration::from_secs(20));
}

#[tokio::test]
async fn nothing_listening_within_the_database_wait_exits_3() {
    let started = Instant::now();
    let child =
        serve(free_port(), &["--database-wait", "1s"], &[("DATABASE_URL", "postgres://postgres@127.0.0.1:1/x")]);
    let (code, stderr) = exited(child, Duration::from_secs(20)).await;
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("--database-wait"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test]
async fn a_database_that_accepts_and_never_answers_is_not_a_hang() {
    // The kernel completes the handshake; nobody ever reads or writes.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("postgres://postgres@{}/x?connect_timeout=2", silent.local_addr().unwrap());
    let started = Instant::now();
    let port = free_port();
    let child = serve(port, &["--database-wait", "3s"], &[("DATABASE_URL", &url)]);
    // Live meanwhile.
    wait_for(port, "/health/live", 200, Duration::from_secs(10)).await;
    let (code, stderr) = exited(child, Duration::from_secs(30)).await;
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("connect_timeout"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20));
    drop(silent);
}

/// A served test database with its counters locked by a transaction of the test's: the count
/// fold blocks on it within half a second.
async fn served_with_the_fold_blocked(
    app: &TestApp,
    args: &[&str],
) -> (Child, u16, sqlx::Transaction<'static, sqlx::Postgres>) {
    let port = free_port();
    let child = serve(port, args, &[("DATABASE_URL", &database_url(app))]);
    wait_for(port, "/health/ready", 200, Duration::from_secs(30)).await;
    let mut lock = app.db.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE offering_user_counts IN ACCESS EXCLUSIVE MODE").execute(&mut *lock).await.unwrap();
    // The fold runs every 500 ms: give it time to queue behind the lock.
    let waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%offering_user_counts_fold%'";
    let started = Instant::now();
    loop {
        let blocked: i64 = sqlx::query_scalar(waiting).fetch_one(&app.db.pool).await.unwrap();
        if blocked > 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the fold never waited for the lock");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (child, port, lock)
}

#[tokio::test]
async fn sigterm_with_the_count_fold_stuck_on_a_lock_exits_within_the_shutdown_timeout() {
    let app = TestApp::new().await;
    let (child, _, lock) = served_with_the_fold_blocked(&app, &["--shutdown-timeout", "2s"]).await;
    let signalled = Instant::now();
    send(&child, Signal::SIGTERM);
    let (code, stderr) = exited(child, Duration::from_secs(30)).await;
    let took = signalled.elapsed();
    assert_eq!(code, Some(0), "{stderr}");
    // The deadline plus a margin for the process's own exit.
    assert!(took < Duration::from_secs(5), "stopped after {took:?}");
    lock.rollback().await.unwrap();
}

#[tokio::test]
async fn a_second_sigterm_exits_at_once_and_sighup_is_ignored() {
    let app = TestApp::with(&world()).await;
    let (child, port, lock) =
        served_with_the_fold_blocked(&app, &["--shutdown-timeout", "60s", "--request-timeout", "60s"]).await;
    send(&child, Signal::SIGHUP);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(get(port, LIST).await.unwrap().status, 401, "still serving after SIGHUP");
    // What holds the graceful shutdown: a request in flight, its count waiting behind the lock
    // (the fold itself is given up at shutdown).
    let counting = tokio::spawn(count_as_staff(port));
    wait_for_lock_waits(&app, 2).await;
    send(&child, Signal::SIGTERM);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let signalled = Instant::now();
    send(&child, Signal::SIGTERM);
    let (code, stderr) = exited(child, Duration::from_secs(30)).await;
    assert_eq!(code, Some(6), "{stderr}");
    assert!(signalled.elapsed() < Duration::from_secs(5));
    assert!(stderr.contains("SIGHUP ignored") && stderr.contains("stopping at once"), "{stderr}");
    lock.rollback().await.unwrap();
    counting.abort();
}

/// `HEAD` of the list as staff, whose count reads the counters table; gives up after 60 s.
async fn count_as_staff(port: u16) {
    let exchange = async {
        let mut stream = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).await.ok()?;
        let request = format!(
            "HEAD {LIST} HTTP/1.1\r\nHost: testserver\r\nAuthorization: Token {}\r\nConnection: close\r\n\r\n",
            token("staff")
        );
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.ok()
    };
    let _ = tokio::time::timeout(Duration::from_secs(60), exchange).await;
}

/// Waits until `n` sessions of the test's database wait for a lock (10 s at most).
async fn wait_for_lock_waits(app: &TestApp, n: i64) {
    let waiting =
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
    let started = Instant::now();
    while sqlx::query_scalar::<_, i64>(waiting).fetch_one(&app.db.pool).await.unwrap() < n {
        assert!(started.elapsed() < Duration::from_secs(10), "fewer than {n} sessions ever waited for the lock");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_closed_or_broken_standard_error_never_fails_a_request() {
    let app = TestApp::new().await;
    let url = database_url(&app);

    // Broken pipes: both readers gone before the first line is written (SIGPIPE is ignored,
    // a failed write is dropped).
    let port = free_port();
    let mut child = serve(port, &[], &[("DATABASE_URL", &url)]);
    drop(child.stdout.take());
    drop(child.stderr.take());
    wait_for(port, "/health/ready", 200, Duration::from_secs(30)).await;
    for _ in 0..20 {
        assert_eq!(get(port, LIST).await.expect("answered").status, 401);
    }
    assert!(child.try_wait().unwrap().is_none(), "the server died");
    send(&child, Signal::SIGTERM);
    assert_eq!(exited(child, Duration::from_secs(20)).await.0, Some(0));

    // Closed descriptors, as `2>&-` leaves them.
    let port = free_port();
    let script = format!("exec \"$0\" serve --bind 127.0.0.1:{port} --admin-bind off >&- 2>&-");
    let child = Command::new("sh")
        .args(["-c", &script, env!("CARGO_BIN_EXE_waldur-offering-users")])
        .env("DATABASE_URL", &url)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_for(port, "/health/ready", 200, Duration::from_secs(30)).await;
    for _ in 0..20 {
        assert_eq!(get(port, LIST).await.expect("answered").status, 401);
    }
    send(&child, Signal::SIGTERM);
    assert_eq!(exited(child, Duration::from_secs(20)).await.0, Some(0));
}

#[tokio::test]
async fn the_embedded_cluster_is_durable_and_a_second_server_on_its_directory_is_refused() {
    let dir = TempDir::new("embedded");
    let data = dir.0.join("pg");
    let data_dir = data.to_str().unwrap();
    let port = free_port();
    let first = serve(port, &["--data-dir", data_dir], &[]);
    wait_for(port, "/health/ready", 200, Duration::from_secs(120)).await;

    let second = serve(free_port(), &["--data-dir", data_dir], &[]);
    let (code, stderr) = exited(second, Duration::from_secs(30)).await;
    assert_eq!(code, Some(5), "{stderr}");
    assert!(stderr.contains("is in use by another waldur-offering-users process"), "{stderr}");
    // The first one serves on, its cluster untouched.
    assert_eq!(get(port, LIST).await.unwrap().status, 401);

    let socket = data.canonicalize().unwrap();
    let mut conn = PgConnection::connect(&socket_url(&socket)).await.unwrap();
    for setting in ["fsync", "synchronous_commit"] {
        let value: String = sqlx::query_scalar(&format!("SHOW {setting}")).fetch_one(&mut conn).await.unwrap();
        assert_eq!(value, "on", "{setting}");
    }
    conn.close().await.unwrap();

    send(&first, Signal::SIGTERM);
    let (code, stderr) = exited(first, Duration::from_secs(60)).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!socket.join("postmaster.pid").exists(), "the cluster stopped with its server");
}

#[tokio::test]
async fn an_unsupported_url_parameter_is_refused_by_name_and_no_value_is_shown() {
    let url = "postgres://postgres:topsecret@127.0.0.1:1/x?sslmode=disable&colour=hunter2";
    let child = serve(free_port(), &[], &[("DATABASE_URL", url)]);
    let (code, stderr) = exited(child, Duration::from_secs(20)).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("unsupported parameter `colour`"), "{stderr}");
    assert!(!stderr.contains("hunter2") && !stderr.contains("topsecret"), "{stderr}");

    for args in [&["--help"][..], &["serve", "--help"], &["migrate", "--help"]] {
        let out = binary()
            .args(args)
            .env("DATABASE_URL", url)
            .env("DATABASE_MIGRATION_URL", "postgres://m:othersecret@h/db")
            .output()
            .await
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains("DATABASE_URL"), "{help}");
        assert!(!help.contains("topsecret") && !help.contains("othersecret"), "{help}");
    }
}

/// A database of the test server with no schema at all; dropped when the value is.
struct EmptyDatabase {
    name: String,
    url: String,
    admin: sqlx::postgres::PgConnectOptions,
    /// The test database the name and URL are derived from.
    _app: TestApp,
}

impl EmptyDatabase {
    async fn new() -> EmptyDatabase {
        // A test database gives the name (its owner's pid in it: orphans are dropped) and URL.
        let app = TestApp::new().await;
        let name = format!("{}_empty", app.db.name);
        let admin = app.db.options().database("postgres");
        let mut conn = PgConnection::connect_with(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        let url = database_url(&app).replace(&format!("/{}", app.db.name), &format!("/{name}"));
        EmptyDatabase { name, url, admin, _app: app }
    }

    fn options(&self) -> sqlx::postgres::PgConnectOptions {
        self.url.parse().unwrap()
    }
}

impl Drop for EmptyDatabase {
    fn drop(&mut self) {
        let (name, admin) = (self.name.clone(), self.admin.clone());
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect_with(&admin).await {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(&drop).execute(&mut conn).await;
                }
            });
        })
        .join();
    }
}

#[tokio::test]
async fn serve_no_migrate_is_ready_once_another_process_has_migrated() {
    let empty = EmptyDatabase::new().await;
    let url = empty.url.clone();
    let port = free_port();
    let child = serve(port, &["--no-migrate"], &[("DATABASE_URL", &url)]);
    let started = Instant::now();
    let reply = loop {
        let reply = wait_for(port, "/health/ready", 503, Duration::from_secs(30)).await;
        if reply.json()["checks"]["database"] == "ok" || started.elapsed() > Duration::from_secs(30) {
            break reply;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let migrations = reply.json()["checks"]["migrations"].as_str().unwrap().to_owned();
    assert!(migrations.starts_with("not applied: 1, 2, 3") && migrations.contains("--no-migrate"), "{migrations}");
    assert_eq!(get(port, LIST).await.unwrap().status, 503);

    let out = binary().arg("migrate").env("DATABASE_URL", &url).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    wait_for(port, "/health/ready", 200, Duration::from_secs(30)).await;
    assert_eq!(get(port, LIST).await.unwrap().status, 401);
    send(&child, Signal::SIGTERM);
    assert_eq!(exited(child, Duration::from_secs(20)).await.0, Some(0));
}

#[tokio::test]
async fn a_migration_that_meets_the_lock_timeout_steps_out_of_the_lock_queue_and_tries_again() {
    let empty = EmptyDatabase::new().await;
    let options = empty.options();
    // Everything before the migration that alters checklist_files (0008; later ones follow it).
    let all: Vec<_> = waldur_offering_users::MIGRATOR.iter().cloned().collect();
    let altering = all.iter().position(|m| m.sql.contains("ALTER TABLE checklist_files")).unwrap();
    let altering_version = all[altering].version;
    let earlier = sqlx::migrate::Migrator {
        migrations: std::borrow::Cow::Owned(all[..altering].to_vec()),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    let mut conn = PgConnection::connect_with(&options).await.unwrap();
    earlier.run_direct(&mut conn).await.unwrap();

    // A long read on the table: the migration's ALTER TABLE must wait for it.
    let mut reader = conn.begin().await.unwrap();
    sqlx::query("SELECT count(*) FROM checklist_files").execute(&mut *reader).await.unwrap();
    let migrating = tokio::spawn({
        let options = options.clone();
        async move { waldur_offering_users::db::migrate(&options).await }
    });
    // Readers of the table get through while the migration pauses between attempts; a
    // migration queued for the lock without end would hold them all.
    let mut other = PgConnection::connect_with(&options).await.unwrap();
    sqlx::query("SET lock_timeout = '200ms'").execute(&mut other).await.unwrap();
    let started = Instant::now();
    let (mut passed, mut held) = (0, 0);
    while started.elapsed() < Duration::from_secs(8) {
        match sqlx::query("SELECT count(*) FROM checklist_files").execute(&mut other).await {
            Ok(_) => passed += 1,
            Err(_) => held += 1,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(held > 0, "the migration never waited for the lock");
    assert!(passed > 0, "readers were held for the whole wait ({held} attempts)");
    assert!(!migrating.is_finished(), "the migration gave up instead of trying again");
    reader.commit().await.unwrap();
    tokio::time::timeout(Duration::from_secs(30), migrating)
        .await
        .unwrap()
        .unwrap()
        .expect("migrated once the read ended");
    let applied: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM _sqlx_migrations WHERE version = $1 AND success)")
            .bind(altering_version)
            .fetch_one(&mut other)
            .await
            .unwrap();
    assert!(applied);
}

#[tokio::test]
async fn migrations_find_pg_trgm_installed_off_the_search_path() {
    let empty = EmptyDatabase::new().await;
    let options = empty.options();
    let mut conn = PgConnection::connect_with(&options).await.unwrap();
    sqlx::query("CREATE SCHEMA extensions").execute(&mut conn).await.unwrap();
    sqlx::query("CREATE EXTENSION pg_trgm SCHEMA extensions").execute(&mut conn).await.unwrap();
    waldur_offering_users::db::migrate(&options).await.expect("gin_trgm_ops resolves in the extensions schema");
    let opclass: String = sqlx::query_scalar(
        "SELECT n.nspname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         JOIN pg_opclass o ON o.oid = i.indclass[0] JOIN pg_namespace n ON n.oid = o.opcnamespace \
         WHERE c.relname = 'offering_users_username_trgm_idx'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(opclass, "extensions");
}

/// The URL of the test's database through `proxy` (the test server's role and password, if
/// any; the proxy's loopback port).
fn url_through(app: &TestApp, proxy: &DbProxy) -> String {
    match std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => {
            let mut url = url::Url::parse(&url).unwrap();
            url.set_host(Some("127.0.0.1")).unwrap();
            url.set_port(Some(proxy.port())).unwrap();
            url.set_path(&format!("/{}", app.db.name));
            url.to_string()
        }
        None => {
            let user = app.db.options().get_username().to_owned();
            format!("postgres://{user}@127.0.0.1:{}/{}", proxy.port(), app.db.name)
        }
    }
}

/// One request with `token` that may never be answered: `None` when the connection closes
/// without an answer (or none comes within 60 s).
async fn answer_if_any(port: u16, path: &str, token: &str) -> Option<RawReply> {
    let exchange = async {
        let mut stream = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).await.ok()?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: testserver\r\nAuthorization: Token {token}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw).await;
        (!raw.is_empty()).then(|| parse(&raw))
    };
    tokio::time::timeout(Duration::from_secs(60), exchange).await.ok().flatten()
}

#[tokio::test]
async fn sigterm_with_every_database_connection_frozen_exits_within_the_shutdown_timeout() {
    let app = TestApp::with(&world()).await;
    let proxy = DbProxy::start().await;
    let (port, admin) = (free_port(), free_port());
    let shutdown_timeout = Duration::from_secs(3);
    let mut command = binary();
    command
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--admin-bind", &format!("127.0.0.1:{admin}")])
        .args(["--shutdown-timeout", &format!("{}s", shutdown_timeout.as_secs()), "--request-timeout", "60s"])
        .env("DATABASE_URL", url_through(&app, &proxy))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().unwrap();
    wait_for(port, "/health/ready", 200, Duration::from_secs(30)).await;
    // The pool holds connections, all through the proxy.
    for _ in 0..3 {
        let reply = answer_if_any(port, LIST, &token("owner")).await.expect("answered");
        assert_eq!(reply.status, 200, "{}", reply.body);
    }

    // Every connection, open or new, stays open and forwards nothing: a vanished host.
    proxy.freeze();
    let hanging = tokio::spawn(async move { answer_if_any(port, LIST, &token("owner")).await });
    let admin = SocketAddr::from(([127, 0, 0, 1], admin));
    assert_eq!(
        in_flight_besides_the_scrape(admin, 1.0, Duration::from_secs(10)).await,
        1.0,
        "the request is in flight"
    );
    let signalled = Instant::now();
    send(&child, Signal::SIGTERM);
    let (code, stderr) = exited(child, Duration::from_secs(60)).await;
    let took = signalled.elapsed();
    // The README's exit code of a `serve` stopped by SIGTERM, however its shutdown ended.
    assert_eq!(code, Some(0), "{stderr}");
    assert!(took < shutdown_timeout + Duration::from_secs(5), "stopped {took:?} after SIGTERM");
    // The request on the frozen database was answered 503 (the outage noticed) or its
    // connection closed at the deadline; never a success or a 500.
    let hanging = hanging.await.unwrap();
    assert!(hanging.as_ref().is_none_or(|r| r.status == 503), "{hanging:?}");
    if hanging.is_none() {
        assert!(stderr.contains("requests still running at the"), "the deadline was not what ended it: {stderr}");
    }
    eprintln!(
        "frozen database: stopped {took:?} after SIGTERM; the request in flight: {:?}",
        hanging.map(|r| r.status)
    );
}
