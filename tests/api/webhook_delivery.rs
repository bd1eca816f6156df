//! Web-hook delivery end to end (issue 19): a real HTTP receiver on loopback gets every event
//! of a scripted run, in order per record, signed; nothing is lost while it is down (503, then
//! its port closed), when the server is killed mid-delivery, or with two replicas, and nothing
//! is delivered twice unless an answer was lost. Each test prints its delivery figures.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::support::served::{raw_request, transport, Served};
use crate::support::*;
use waldur_offering_users::http::Settings;

/// How the receiver answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Up,
    /// 503 to everything.
    Unavailable,
}

/// One event the receiver accepted (answered 200).
#[derive(Debug, Clone)]
struct Received {
    key: String,
    record: String,
    action: String,
    at: Instant,
}

#[derive(Default)]
struct Inbox {
    accepted: Vec<Received>,
    refused: usize,
    bad_signatures: usize,
}

/// A receiver on loopback: checks the signature with `secret`, answers by `mode`.
#[derive(Clone)]
struct Receiver {
    inbox: Arc<Mutex<Inbox>>,
    mode: Arc<Mutex<Mode>>,
    secret: Arc<Mutex<String>>,
    /// Each answer waits this long first (to be caught mid-delivery).
    delay: Duration,
}

impl Receiver {
    fn new(delay: Duration) -> Receiver {
        Receiver { inbox: Arc::default(), mode: Arc::new(Mutex::new(Mode::Up)), secret: Arc::default(), delay }
    }

    /// Serves on `address` (port 0: any) until the handle is aborted; aborting closes the
    /// port and every connection.
    async fn serve(&self, address: SocketAddr) -> (SocketAddr, JoinHandle<()>) {
        let listener = TcpListener::bind(address).await.unwrap();
        let bound = listener.local_addr().unwrap();
        let receiver = self.clone();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let receiver = receiver.clone();
                connections.spawn(async move {
                    let service = service_fn(move |request| {
                        let receiver = receiver.clone();
                        async move { Ok::<_, Infallible>(receiver.answer(request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (bound, task)
    }

    async fn answer(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let (key, signature) = (header("idempotency-key"), header("x-waldur-signature"));
        let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        tokio::time::sleep(self.delay).await;
        let status = if *self.mode.lock().unwrap() == Mode::Up { 200 } else { 503 };
        let mut inbox = self.inbox.lock().unwrap();
        if status == 503 {
            inbox.refused += 1;
        } else {
            let secret = self.secret.lock().unwrap().clone();
            if signature != expected_signature(&secret, &body) {
                inbox.bad_signatures += 1;
            }
            let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            inbox.accepted.push(Received {
                key,
                record: event["context"]["offering_user_uuid"].as_str().unwrap_or("").to_owned(),
                action: event["context"]["action"].as_str().unwrap_or("").to_owned(),
                at: Instant::now(),
            });
        }
        Response::builder().status(status).body(Full::new(Bytes::from_static(b"{}"))).unwrap()
    }

    fn accepted(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().accepted.clone()
    }

    /// Waits until `n` distinct events were accepted (a bound, not a timing assertion).
    async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let accepted = self.accepted();
            let distinct: HashSet<&str> = accepted.iter().map(|r| r.key.as_str()).collect();
            if distinct.len() >= n {
                return accepted;
            }
            assert!(started.elapsed() < within, "only {} of {n} events arrived within {within:?}", distinct.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// What the receiver computes from the secret and the bytes it got.
fn expected_signature(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn delivery_settings() -> Settings {
    let mut settings = Settings::default();
    settings.webhooks.allow_private = true;
    settings.webhooks.poll_interval = Duration::from_millis(20);
    settings.webhooks.retry_base = Duration::from_millis(50);
    settings.webhooks.retry_cap = Duration::from_millis(400);
    settings.webhooks.timeout = Duration::from_secs(2);
    settings
}

/// The directory, and a server over it.
async fn served(settings: Settings) -> (TestDatabase, Served) {
    let db = TestDatabase::new().await;
    let doc = waldur_offering_users::directory::parse(&world().to_string()).unwrap();
    waldur_offering_users::directory::import(&db.pool, &doc).await.unwrap();
    let server = Served::start(db.options(), settings, transport()).await;
    (db, server)
}

/// Creates the owner's hook for every offering-user event, sending to `receiver`.
async fn create_hook(address: SocketAddr, receiver: &Receiver, at: SocketAddr) {
    let body = json!({"destination_url": format!("http://{at}/hook"), "event_groups": ["users"]}).to_string();
    let reply = raw_request(address, "POST", "/api/hooks-web/", Some("owner-token"), Some(&body)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    *receiver.secret.lock().unwrap() = reply.json()["secret"].as_str().unwrap().to_owned();
}

/// The API calls of one record's life, each one event: create, a username, two restriction
/// changes, five state actions, the delete.
fn script(record: &str) -> Vec<(&'static str, String, Option<String>)> {
    let path = |tail: &str| format!("/api/marketplace-offering-users/{record}/{tail}");
    let restricted = |on: bool| Some(json!({"is_restricted": on}).to_string());
    vec![
        ("PATCH", path(""), Some(json!({"username": format!("u-{}", &record[..6])}).to_string())),
        ("POST", path("update_restricted/"), restricted(true)),
        ("POST", path("update_restricted/"), restricted(false)),
        ("POST", path("request_deletion/"), None),
        ("POST", path("set_deleting/"), None),
        ("POST", path("set_error_deleting/"), None),
        ("POST", path("set_deleting/"), None),
        ("POST", path("set_deleted/"), None),
        ("DELETE", path(""), None),
    ]
}

/// Runs the scripts of records of `users` on the provider's offering, one step of each in
/// turn (so their events interleave), through `addresses` in turn; returns each record's
/// calls' return times, in order, keyed by record.
async fn scripted_run(addresses: &[SocketAddr], users: &[&str]) -> HashMap<String, Vec<Instant>> {
    let mut committed: HashMap<String, Vec<Instant>> = HashMap::new();
    let mut records = Vec::new();
    for (i, user) in users.iter().enumerate() {
        let body = json!({"offering_uuid": ids::OFFERING, "user_uuid": user}).to_string();
        let reply = raw_request(addresses[i % addresses.len()], "POST", LIST, Some("staff-token"), Some(&body)).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let uuid = reply.json()["uuid"].as_str().unwrap().to_owned();
        committed.entry(uuid.clone()).or_default().push(Instant::now());
        records.push(uuid);
    }
    let scripts: Vec<_> = records.iter().map(|r| script(r)).collect();
    for step in 0..scripts[0].len() {
        for (i, record) in records.iter().enumerate() {
            let (method, path, body) = &scripts[i][step];
            let address = addresses[(i + step) % addresses.len()];
            let reply = raw_request(address, method, path, Some("staff-token"), body.as_deref()).await;
            assert!(reply.status < 300, "{method} {path}: {} {}", reply.status, reply.body);
            committed.get_mut(record).unwrap().push(Instant::now());
        }
    }
    committed
}

/// The event log's uuids of `record`, oldest first.
async fn logged_keys(address: SocketAddr, record: &str) -> Vec<String> {
    let path = format!(
        "/api/events/?o=created&page_size=100&scope=http://testserver/api/marketplace-offering-users/{record}/"
    );
    let reply = raw_request(address, "GET", &path, Some("staff-token"), None).await;
    reply.json().as_array().unwrap().iter().map(|e| e["uuid"].as_str().unwrap().to_owned()).collect()
}

/// Checks order per record against the event log, and returns (events, duplicates).
async fn check_order(address: SocketAddr, accepted: &[Received], records: &[String]) -> (usize, usize) {
    let mut total = 0;
    let mut duplicates = 0;
    for record in records {
        let logged = logged_keys(address, record).await;
        let mut seen: Vec<String> = Vec::new();
        for r in accepted.iter().filter(|r| &r.record == record) {
            if seen.contains(&r.key) {
                duplicates += 1;
                // A repeat is only ever of the last event seen (an answer lost mid-delivery).
                assert_eq!(seen.last(), Some(&r.key), "a repeat out of order for {record}");
            } else {
                seen.push(r.key.clone());
            }
        }
        assert_eq!(seen, logged, "the hook saw {record}'s events in the log's order, none lost");
        total += logged.len();
    }
    (total, duplicates)
}

/// p50 and p99 of commit → receipt, pairing each record's n-th call with its n-th event.
fn latencies(committed: &HashMap<String, Vec<Instant>>, accepted: &[Received]) -> (Duration, Duration) {
    let mut samples = Vec::new();
    for (record, times) in committed {
        let mut first_seen: Vec<Instant> = Vec::new();
        let mut keys = HashSet::new();
        for r in accepted.iter().filter(|r| &r.record == record) {
            if keys.insert(r.key.clone()) {
                first_seen.push(r.at);
            }
        }
        for (sent, got) in times.iter().zip(first_seen) {
            samples.push(got.saturating_duration_since(*sent));
        }
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99))
}

fn report(name: &str, events: usize, duplicates: usize, lost: usize, p: Option<(Duration, Duration)>) {
    let latency = p.map(|(p50, p99)| format!(", latency p50 {p50:?} p99 {p99:?}")).unwrap_or_default();
    println!("webhook delivery [{name}]: {events} events, {duplicates} duplicates, {lost} lost{latency}");
}

const USERS: [&str; 4] = [ids::USER, ids::MEMBER, ids::ADMIN, ids::MANAGER];

#[tokio::test]
async fn every_event_arrives_signed_and_in_order_per_record() {
    let (_db, mut server) = served(delivery_settings()).await;
    let receiver = Receiver::new(Duration::ZERO);
    let (at, receiving) = receiver.serve("127.0.0.1:0".parse().unwrap()).await;
    create_hook(server.address, &receiver, at).await;
    // A record on another provider's offering: the hook's owner may not see it.
    let foreign = json!({"offering_uuid": ids::FOREIGN_OFFERING, "user_uuid": ids::OUTSIDER}).to_string();
    assert_eq!(raw_request(server.address, "POST", LIST, Some("staff-token"), Some(&foreign)).await.status, 201);

    let committed = scripted_run(&[server.address], &USERS).await;
    let records: Vec<String> = committed.keys().cloned().collect();
    let accepted = receiver.wait_for(40, Duration::from_secs(60)).await;
    let (events, duplicates) = check_order(server.address, &accepted, &records).await;
    assert_eq!(events, 40);
    assert_eq!(duplicates, 0);
    assert_eq!(receiver.inbox.lock().unwrap().bad_signatures, 0);
    // Every action arrived, the foreign record's never (checked after the rest arrived: the
    // foreign event was committed first).
    assert!(accepted.iter().all(|r| records.contains(&r.record)), "only the owner's records");
    assert_eq!(accepted.iter().filter(|r| r.action == "set_deleting").count(), 8);
    // The hook shows what happened.
    let hooks = raw_request(server.address, "GET", "/api/hooks-web/", Some("owner-token"), None).await.json();
    assert_eq!(hooks[0]["delivered_events"], 40);
    assert_eq!(hooks[0]["last_delivery_status"], 200);
    assert_eq!(hooks[0]["pending_deliveries"], 0);
    report("in order", events, duplicates, 0, Some(latencies(&committed, &accepted)));
    receiving.abort();
    server.stop().await;
}

#[tokio::test]
async fn a_receiver_that_is_down_gets_every_event_once_it_is_back() {
    let (_db, mut server) = served(delivery_settings()).await;
    let receiver = Receiver::new(Duration::ZERO);
    let (at, receiving) = receiver.serve("127.0.0.1:0".parse().unwrap()).await;
    create_hook(server.address, &receiver, at).await;
    // Down: 503 to everything, then its port closed, while the records change.
    *receiver.mode.lock().unwrap() = Mode::Unavailable;
    let committed = scripted_run(&[server.address], &USERS[..2]).await;
    let refused_while_503 = {
        let started = Instant::now();
        while receiver.inbox.lock().unwrap().refused < 3 {
            assert!(started.elapsed() < Duration::from_secs(30), "the worker retries a 503");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        receiver.inbox.lock().unwrap().refused
    };
    receiving.abort();
    let _ = receiving.await;
    let hooks = raw_request(server.address, "GET", "/api/hooks-web/", Some("owner-token"), None).await.json();
    assert_eq!(hooks[0]["delivered_events"], 0);
    assert!(hooks[0]["consecutive_failures"].as_i64().unwrap() >= 1);
    assert!(hooks[0]["pending_deliveries"].as_i64().unwrap() >= 1);
    tokio::time::sleep(Duration::from_millis(500)).await; // attempts against the closed port
    let closed_failures = raw_request(server.address, "GET", "/api/hooks-web/", Some("owner-token"), None).await.json()
        [0]["last_delivery_error"]
        .clone();
    // Back, on the same port.
    *receiver.mode.lock().unwrap() = Mode::Up;
    let (_, receiving) = receiver.serve(at).await;
    let accepted = receiver.wait_for(20, Duration::from_secs(60)).await;
    let records: Vec<String> = committed.keys().cloned().collect();
    let (events, duplicates) = check_order(server.address, &accepted, &records).await;
    assert_eq!((events, duplicates), (20, 0));
    println!("refused while 503: {refused_while_503}; last error while closed: {closed_failures}");
    report("receiver down", events, duplicates, 0, None);
    receiving.abort();
    server.stop().await;
}

#[tokio::test]
async fn two_replicas_on_one_database_deliver_each_event_once() {
    let (db, mut first) = served(delivery_settings()).await;
    let mut second = Served::start(db.options(), delivery_settings(), transport()).await;
    let receiver = Receiver::new(Duration::from_millis(5));
    let (at, receiving) = receiver.serve("127.0.0.1:0".parse().unwrap()).await;
    create_hook(first.address, &receiver, at).await;
    let committed = scripted_run(&[first.address, second.address], &USERS).await;
    let accepted = receiver.wait_for(40, Duration::from_secs(60)).await;
    // Let any stray second delivery arrive before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let accepted_all = receiver.accepted();
    let records: Vec<String> = committed.keys().cloned().collect();
    let (events, duplicates) = check_order(first.address, &accepted_all, &records).await;
    assert_eq!((events, duplicates), (40, 0));
    report("two replicas", events, duplicates, 0, Some(latencies(&committed, &accepted)));
    receiving.abort();
    second.stop().await;
    first.stop().await;
}

/// The URL of a test database, for the binary (as `import::database_url` builds it).
fn database_url(db: &TestDatabase) -> String {
    match std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => {
            let mut url = url::Url::parse(&url).unwrap();
            url.set_path(&format!("/{}", db.name));
            url.to_string()
        }
        None => {
            let options = db.options();
            let socket = options.get_socket().expect("embedded cluster uses a socket").display().to_string();
            format!("postgres://postgres@localhost/{}?host={socket}&port={}", db.name, options.get_port())
        }
    }
}

/// The binary, serving `database_url` on `port`, hooks allowed to reach loopback.
fn binary(port: u16, database_url: &str) -> tokio::process::Child {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_waldur-offering-users"));
    for variable in ["DATABASE_MIGRATION_URL", "BIND_ADDR", "ADMIN_BIND", "WALDUR_DATA_DIR", "DATABASE_WAIT"] {
        command.env_remove(variable);
    }
    command
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--admin-bind", "off"])
        .args(["--webhook-allow-private-destinations", "--webhook-timeout", "1s", "--webhook-poll-interval", "20ms"])
        .args(["--webhook-retry-base", "100ms", "--webhook-retry-cap", "500ms"])
        .env("DATABASE_URL", database_url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    command.spawn().unwrap()
}

async fn wait_serving(address: SocketAddr) {
    let started = Instant::now();
    loop {
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            let reply = raw_request(address, "GET", "/health/ready", None, None).await;
            if reply.status == 200 {
                return;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the server did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_server_killed_mid_delivery_loses_nothing_after_its_restart() {
    let db = TestDatabase::new().await;
    let doc = waldur_offering_users::directory::parse(&world().to_string()).unwrap();
    waldur_offering_users::directory::import(&db.pool, &doc).await.unwrap();
    let url = database_url(&db);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    // A slow receiver, so that the kill finds deliveries in flight.
    let receiver = Receiver::new(Duration::from_millis(150));
    let (at, receiving) = receiver.serve("127.0.0.1:0".parse().unwrap()).await;

    let child = binary(port, &url);
    wait_serving(address).await;
    create_hook(address, &receiver, at).await;
    let committed = scripted_run(&[address], &USERS).await;
    receiver.wait_for(5, Duration::from_secs(60)).await;
    kill(Pid::from_raw(child.id().unwrap() as i32), Signal::SIGKILL).unwrap();
    let _ = child.wait_with_output().await;
    let before_restart = receiver.accepted().len();

    let restarted = binary(port, &url);
    wait_serving(address).await;
    // Leases of the killed server run out (timeout 1 s + 5 s), then its events go out again.
    let accepted = receiver.wait_for(40, Duration::from_secs(90)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let accepted = if receiver.accepted().len() > accepted.len() { receiver.accepted() } else { accepted };
    let records: Vec<String> = committed.keys().cloned().collect();
    let (events, duplicates) = check_order(address, &accepted, &records).await;
    assert_eq!(events, 40);
    // Only a delivery in flight at the kill can come twice: one per record at most.
    assert!(duplicates <= records.len(), "{duplicates} duplicates");
    println!("accepted before the kill: {before_restart}");
    report("SIGKILL mid-delivery", events, duplicates, 0, None);
    drop(restarted);
    receiving.abort();
}
