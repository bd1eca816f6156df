//! Publishing offering-user changes to RabbitMQ (`src/amqp/`), against the machine's broker at
//! 127.0.0.1:5672 (`AMQP_TEST_URL` names another). Each test declares an exchange and a queue
//! of its own and deletes them at the end, so that tests running beside it see none of its
//! messages. The broker is never stopped: a broker outage is a proxy of the test's own, cut.

use std::time::Duration;

use axum::http::Method;
use futures::StreamExt;
use lapin::options::{
    BasicConsumeOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties, Consumer, ExchangeKind};
use serde_json::{json, Value};
use uuid::Uuid;

use waldur_offering_users::amqp::payload::{messages_for, routing_key, Change, RecordFacts};
use waldur_offering_users::amqp::{Message, PublishError, Publisher, Settings};
use waldur_offering_users::config::{parse_amqp_url, AmqpArgs};
use waldur_offering_users::domain::state::State;
use waldur_offering_users::http::Settings as HttpSettings;
use waldur_offering_users::store::audit::Action;
use waldur_offering_users::telemetry::metrics::{AmqpMetrics, Outcome};

use crate::support::capture::Captured;
use crate::support::db::TestDatabase;
use crate::support::proxy::DbProxy;
use crate::support::served::{raw_request, transport, Served};
use crate::support::{action, detail, ids, world, TestApp};

const LIST: &str = "/api/marketplace-offering-users/";

/// A wait that ends a stuck test instead of hanging it; never an assertion on speed.
const PATIENCE: Duration = Duration::from_secs(60);

fn broker_url() -> String {
    std::env::var("AMQP_TEST_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

/// The broker's `host:port`, for the proxy.
fn broker_address() -> String {
    let url = url::Url::parse(&broker_url()).unwrap();
    format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5672))
}

fn settings(url: &str, exchange: &str) -> Settings {
    Settings {
        url: parse_amqp_url(url).unwrap(),
        exchange: exchange.to_owned(),
        connect_timeout: Duration::from_secs(5),
        confirm_timeout: Duration::from_secs(5),
        retry_max: Duration::from_millis(400),
    }
}

fn count(
    family: &prometheus_client::metrics::family::Family<Outcome, prometheus_client::metrics::counter::Counter>,
    outcome: &'static str,
) -> u64 {
    family.get_or_create(&Outcome { outcome }).get()
}

/// A test's own exchange and queue on the real broker, consumed as a site agent would.
struct Bench {
    exchange: String,
    queue: String,
    connection: Connection,
    channel: Channel,
    consumer: Consumer,
}

impl Bench {
    /// Declares a fresh exchange (as the publisher does) and a queue bound to it with `binding`.
    async fn new(binding: &str) -> Bench {
        let name = format!("test.offering_users.{}", Uuid::new_v4().simple());
        let connection = Connection::connect(&broker_url(), ConnectionProperties::default()).await.unwrap();
        let channel = connection.create_channel().await.unwrap();
        channel
            .exchange_declare(
                name.as_str().into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions { durable: true, ..Default::default() },
                FieldTable::default(),
            )
            .await
            .unwrap();
        channel
            .queue_declare(
                name.as_str().into(),
                QueueDeclareOptions { exclusive: true, ..Default::default() },
                FieldTable::default(),
            )
            .await
            .unwrap();
        channel
            .queue_bind(
                name.as_str().into(),
                name.as_str().into(),
                binding.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let consumer = channel
            .basic_consume(
                name.as_str().into(),
                "test".into(),
                BasicConsumeOptions { no_ack: true, ..Default::default() },
                FieldTable::default(),
            )
            .await
            .unwrap();
        Bench { exchange: name.clone(), queue: name, connection, channel, consumer }
    }

    /// The next delivery: routing key, message id and JSON body, after checking the properties
    /// every message carries.
    async fn next(&mut self) -> (String, String, Value) {
        let delivery = tokio::time::timeout(PATIENCE, self.consumer.next())
            .await
            .expect("a message within the patience")
            .expect("the consumer is open")
            .expect("a delivery");
        let properties = &delivery.properties;
        assert_eq!(properties.delivery_mode(), &Some(2), "persistent");
        assert_eq!(properties.content_type().as_ref().map(|c| c.as_str()), Some("application/json"));
        let id = properties.message_id().as_ref().expect("a message id").to_string();
        (delivery.routing_key.to_string(), id, serde_json::from_slice(&delivery.data).unwrap())
    }

    /// The next `n` deliveries' message ids and bodies.
    async fn take(&mut self, n: usize) -> Vec<(String, Value)> {
        let mut taken = Vec::new();
        for _ in 0..n {
            let (_, id, body) = self.next().await;
            taken.push((id, body));
        }
        taken
    }

    /// Deletes the queue and the exchange.
    async fn clean_up(self) {
        self.channel.queue_delete(self.queue.as_str().into(), QueueDeleteOptions::default()).await.unwrap();
        self.channel.exchange_delete(self.exchange.as_str().into(), ExchangeDeleteOptions::default()).await.unwrap();
        self.connection.close(200, "done".into()).await.unwrap();
    }
}

/// `n` messages of one offering, each with an id and body of its own.
fn numbered(offering: Uuid, n: usize) -> Vec<Message> {
    (0..n)
        .map(|i| Message {
            message_id: format!("{i}-update"),
            routing_key: routing_key(offering),
            payload: json!({"offering_uuid": offering.simple().to_string(), "seq": i}),
        })
        .collect()
}

#[tokio::test]
async fn confirmed_messages_reach_a_bound_queue_in_order() {
    let mut bench = Bench::new("offering.*.offering_user").await;
    let metrics = AmqpMetrics::default();
    let publisher = Publisher::connect(settings(&broker_url(), &bench.exchange), metrics.clone()).await.unwrap();

    // A record's life on a site-agent offering, as its audit events tell it.
    let record_uuid = Uuid::new_v4();
    let offering = Uuid::new_v4();
    let user = Uuid::new_v4();
    let facts = |username, state: State| RecordFacts {
        offering_user_uuid: record_uuid,
        offering_uuid: offering,
        offering_type: "Marketplace.Slurm",
        user_uuid: user,
        username,
        state_label: state.label(),
        state_number: state.db(),
        runtime_state: None,
        attributes: None,
    };
    let life = [
        (Action::Created, json!({}), json!({"username": null, "state": "Requested"}), facts(None, State::Requested)),
        (
            Action::Updated,
            json!({"username": null, "state": "Requested"}),
            json!({"username": "alice", "state": "OK"}),
            facts(Some("alice"), State::Ok),
        ),
        (
            Action::RestrictionUpdated,
            json!({"is_restricted": false}),
            json!({"is_restricted": true}),
            facts(Some("alice"), State::Ok),
        ),
        (Action::Deleted, json!({"username": "alice", "state": "OK"}), json!({}), facts(Some("alice"), State::Ok)),
    ];
    let mut sent = Vec::new();
    for (id, (action, old, new, record)) in life.iter().enumerate() {
        let change = Change { event_id: id as i64 + 1, action: action.stored(), old_values: old, new_values: new };
        sent.extend(messages_for(&change, record));
    }
    for message in &sent {
        publisher.publish(message).await.unwrap();
    }

    let mut received = Vec::new();
    for _ in 0..sent.len() {
        received.push(bench.next().await);
    }
    let actions: Vec<(&str, &str)> =
        received.iter().map(|(_, id, body)| (id.as_str(), body["action"].as_str().unwrap())).collect();
    assert_eq!(
        actions,
        [
            ("1-create", "create"),
            ("2-update", "update"),
            ("2-username_set", "username_set"),
            ("3-update", "update"),
            ("4-delete", "delete")
        ]
    );
    for ((key, _, body), message) in received.iter().zip(&sent) {
        assert_eq!(key, &format!("offering.{}.offering_user", offering.simple()));
        assert_eq!(body, &message.payload);
    }
    assert_eq!(received[1].2["changed_fields"], json!(["username", "state"]));
    assert_eq!(received[2].2["state"], json!(5));
    assert_eq!(count(&metrics.published, "confirmed"), sent.len() as u64);
    assert_eq!(count(&metrics.connects, "connected"), 1);

    publisher.close().await;
    bench.clean_up().await;
}

#[tokio::test]
async fn a_queue_bound_to_one_offering_sees_only_that_offerings_messages() {
    let wanted = Uuid::new_v4();
    let other = Uuid::new_v4();
    let mut bench = Bench::new(&format!("offering.{}.offering_user", wanted.simple())).await;
    let publisher = Publisher::connect(settings(&broker_url(), &bench.exchange), AmqpMetrics::default()).await.unwrap();
    let (mine, theirs) = (numbered(wanted, 3), numbered(other, 3));
    for (a, b) in mine.iter().zip(&theirs) {
        publisher.publish(b).await.unwrap();
        publisher.publish(a).await.unwrap();
    }
    let received: Vec<Value> = bench.take(3).await.into_iter().map(|(_, body)| body).collect();
    assert_eq!(received, mine.iter().map(|m| m.payload.clone()).collect::<Vec<_>>());
    // Nothing of the other offering is queued behind them.
    let (_, _, marker) = {
        publisher.publish(&numbered(wanted, 4)[3]).await.unwrap();
        bench.next().await
    };
    assert_eq!(marker["seq"], 3);
    publisher.close().await;
    bench.clean_up().await;
}

#[tokio::test]
async fn a_message_no_queue_takes_is_confirmed_and_counted_unroutable() {
    let bench = Bench::new("nothing.matches.this").await;
    let metrics = AmqpMetrics::default();
    let publisher = Publisher::connect(settings(&broker_url(), &bench.exchange), metrics.clone()).await.unwrap();
    publisher.publish(&numbered(Uuid::new_v4(), 1)[0]).await.unwrap();
    assert_eq!((count(&metrics.published, "unroutable"), count(&metrics.published, "confirmed")), (1, 0));
    publisher.close().await;
    bench.clean_up().await;
}

#[tokio::test]
async fn an_unreachable_broker_is_an_error_in_bounded_time_that_hides_the_password() {
    // A port nobody listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("amqp://guest:s3cret-word@127.0.0.1:{port}/%2f");
    let metrics = AmqpMetrics::default();
    let error = Publisher::connect(settings(&url, "unused"), metrics.clone()).await.err().expect("no broker there");
    assert!(error.is_retryable(), "{error}");
    assert!(matches!(error, PublishError::Connection(_) | PublishError::ConnectTimeout(_)), "{error:?}");
    assert!(!format!("{error} {error:?}").contains("s3cret-word"));
    assert_eq!(count(&metrics.connects, "failed"), 1);

    // A publish waits for the backoff, tries once more, and fails too.
    let publisher = Publisher::new(settings(&url, "unused"), metrics.clone()).unwrap();
    assert!(publisher.publish(&numbered(Uuid::new_v4(), 1)[0]).await.is_err());
    assert!(publisher.publish(&numbered(Uuid::new_v4(), 1)[0]).await.is_err());
    assert_eq!(count(&metrics.connects, "failed"), 3);
}

#[tokio::test]
async fn a_broker_cut_delays_messages_and_loses_none() {
    // Every line written meanwhile, the broker client's own included.
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // The test runtime has one thread: the publisher's tasks log here too.
    let _scope = tracing::subscriber::set_default(subscriber);
    let mut bench = Bench::new("offering.*.offering_user").await;
    let proxy = DbProxy::to_tcp(&broker_address()).await;
    let through_proxy = {
        let mut url = url::Url::parse(&broker_url()).unwrap();
        url.set_port(Some(proxy.port())).unwrap();
        url.to_string()
    };
    let metrics = AmqpMetrics::default();
    let publisher = Publisher::connect(settings(&through_proxy, &bench.exchange), metrics.clone()).await.unwrap();
    let messages = numbered(Uuid::new_v4(), 12);

    // The first four go through; then the broker goes away.
    for message in &messages[..4] {
        publisher.publish(message).await.unwrap();
    }
    proxy.cut();

    // The caller's loop: every message is retried until it is confirmed. The proxy comes back
    // once publishing has failed three times (a lost connection, then refused reconnections).
    let mut failures = 0;
    let mut restored = false;
    for message in &messages[4..] {
        let started = tokio::time::Instant::now();
        loop {
            assert!(started.elapsed() < PATIENCE, "message {} never confirmed", message.message_id);
            match publisher.publish(message).await {
                Ok(()) => break,
                Err(error) => {
                    assert!(error.is_retryable(), "{error}");
                    failures += 1;
                    if failures == 3 && !restored {
                        proxy.restore().await;
                        restored = true;
                    }
                }
            }
        }
    }
    assert!(restored, "publishing never failed while the broker was cut off");
    assert!(count(&metrics.connects, "failed") >= 1, "reconnections were refused while cut");
    assert!(count(&metrics.connects, "connected") >= 2, "a reconnection after the cut");

    // Every message arrived, in order; a message whose confirm was lost with the connection may
    // come twice, and its copy is recognised by its id.
    let mut ids: Vec<String> = Vec::new();
    while ids.len() < messages.len() {
        let (_, id, body) = bench.next().await;
        assert_eq!(id, format!("{}-update", body["seq"]), "id and body travel together");
        if ids.last() != Some(&id) && !ids.contains(&id) {
            ids.push(id);
        }
    }
    let expected: Vec<String> = messages.iter().map(|m| m.message_id.clone()).collect();
    assert_eq!(ids, expected);

    // No line names the broker with its password. (Which lines were captured is not asserted:
    // a subscriber scoped to this test's thread misses lines when other tests of the process
    // run beside it; the reconnections are counted above, and the redacted form of the URL
    // is held by `config`'s unit tests and by
    // `an_unreachable_broker_is_an_error_in_bounded_time_that_hides_the_password`.)
    let logs = captured.text();
    let broker = url::Url::parse(&broker_url()).unwrap();
    let (user, password) = (broker.username(), broker.password().unwrap_or_default());
    assert!(!logs.contains(&format!("{user}:{password}@")), "the password was logged: {logs}");

    publisher.close().await;
    bench.clean_up().await;
}

#[tokio::test]
async fn a_silent_broker_is_a_confirm_timeout_then_a_connect_timeout_and_loses_nothing() {
    let mut bench = Bench::new("offering.*.offering_user").await;
    let proxy = DbProxy::to_tcp(&broker_address()).await;
    let through_proxy = {
        let mut url = url::Url::parse(&broker_url()).unwrap();
        url.set_port(Some(proxy.port())).unwrap();
        url.to_string()
    };
    let short = Settings {
        connect_timeout: Duration::from_millis(500),
        confirm_timeout: Duration::from_millis(500),
        ..settings(&through_proxy, &bench.exchange)
    };
    let metrics = AmqpMetrics::default();
    let publisher = Publisher::connect(short, metrics.clone()).await.unwrap();
    let messages = numbered(Uuid::new_v4(), 3);
    publisher.publish(&messages[0]).await.unwrap();

    // The broker's host vanishes: connections stay open, nothing comes back, no reset.
    proxy.freeze();
    let error = publisher.publish(&messages[1]).await.unwrap_err();
    assert!(matches!(error, PublishError::ConfirmTimeout(_)), "{error:?}");
    let error = publisher.publish(&messages[1]).await.unwrap_err();
    assert!(matches!(error, PublishError::ConnectTimeout(_)), "{error:?}");
    assert_eq!((count(&metrics.published, "timeout"), count(&metrics.connects, "failed")), (1, 1));

    // It comes back: the message is retried until confirmed; the copy the frozen connection
    // held may arrive too.
    proxy.thaw();
    for message in &messages[1..] {
        let started = tokio::time::Instant::now();
        while let Err(error) = publisher.publish(message).await {
            assert!(started.elapsed() < PATIENCE, "{} never confirmed: {error}", message.message_id);
        }
    }
    let mut ids: Vec<String> = Vec::new();
    while ids.len() < messages.len() {
        let (_, id, _) = bench.next().await;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    assert_eq!(ids, messages.iter().map(|m| m.message_id.clone()).collect::<Vec<_>>());

    publisher.close().await;
    bench.clean_up().await;
}

/// The facts of a record read right after a change, as the outbox reads them in the change's
/// transaction.
struct Snapshot {
    offering_user: Uuid,
    offering: Uuid,
    offering_type: String,
    user: Uuid,
    username: Option<String>,
    state: State,
}

async fn snapshot(app: &TestApp, record: &str) -> Snapshot {
    let (offering_user, offering, offering_type, user, username, state): (
        Uuid,
        Uuid,
        String,
        Uuid,
        Option<String>,
        i16,
    ) = sqlx::query_as(
        "SELECT ou.uuid, o.uuid, o.type, u.uuid, ou.username, ou.state FROM offering_users ou \
             JOIN offerings o ON o.id = ou.offering_id JOIN users u ON u.id = ou.user_id WHERE ou.uuid = $1::uuid",
    )
    .bind(record)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    Snapshot { offering_user, offering, offering_type, user, username, state: State::try_from(state).unwrap() }
}

#[tokio::test]
async fn every_api_change_of_a_record_becomes_upstreams_messages_on_the_exchange() {
    let app = TestApp::with(&world()).await;
    let mut bench = Bench::new(&format!("offering.{}.offering_user", ids::OFFERING)).await;
    let publisher = Publisher::connect(settings(&broker_url(), &bench.exchange), AmqpMetrics::default()).await.unwrap();

    // Each change through the API, and the record's facts right after it (before it, for the
    // deletion).
    let created = app.post(LIST, "owner-token", json!({"offering_uuid": ids::OFFERING, "user_uuid": ids::USER})).await;
    assert_eq!(created.status, 201);
    let record = created.json()["uuid"].as_str().unwrap().to_owned();
    let mut snapshots = vec![snapshot(&app, &record).await];
    let steps = [
        (Method::PATCH, detail(&record), Some(json!({"username": "alice"}))),
        (Method::POST, action(&record, "update_restricted"), Some(json!({"is_restricted": true}))),
        (Method::PATCH, action(&record, "update_comments"), Some(json!({"service_provider_comment": "Hello"}))),
        (Method::POST, action(&record, "request_deletion"), None),
    ];
    for (method, path, body) in steps {
        let reply = app.request(method, &path, Some("owner-token"), body).await;
        assert_eq!(reply.status, 200, "{path}: {}", String::from_utf8_lossy(&reply.bytes));
        snapshots.push(snapshot(&app, &record).await);
    }
    assert_eq!(app.delete(&detail(&record), "owner-token").await.status, 204);

    // The audit trail, oldest first, published as the outbox will.
    let events: Vec<(i64, String, Value, Value)> = sqlx::query_as(
        "SELECT id, action, old_values, new_values FROM audit_events WHERE offering_user_uuid = $1::uuid ORDER BY id",
    )
    .bind(&record)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(events.len(), 6);
    let mut sent = Vec::new();
    for (i, (id, stored, old, new)) in events.iter().enumerate() {
        // The deletion's facts are the record's before it: the last snapshot.
        let facts = &snapshots[i.min(snapshots.len() - 1)];
        let record = RecordFacts {
            offering_user_uuid: facts.offering_user,
            offering_uuid: facts.offering,
            offering_type: &facts.offering_type,
            user_uuid: facts.user,
            username: facts.username.as_deref(),
            state_label: facts.state.label(),
            state_number: facts.state.db(),
            runtime_state: None,
            attributes: None,
        };
        let change = Change { event_id: *id, action: stored, old_values: old, new_values: new };
        sent.extend(messages_for(&change, &record));
    }
    publisher.publish_all(&sent).await.unwrap();
    let received = bench.take(sent.len()).await;
    let summary: Vec<(String, Value)> = received
        .iter()
        .map(|(_, body)| (body["action"].as_str().unwrap().to_owned(), body["changed_fields"].clone()))
        .collect();
    assert_eq!(
        summary,
        [
            ("create".to_owned(), Value::Null),
            ("update".to_owned(), json!(["username", "state"])),
            ("username_set".to_owned(), Value::Null),
            ("update".to_owned(), json!(["is_restricted"])),
            ("update".to_owned(), json!(["service_provider_comment"])),
            ("update".to_owned(), json!(["state"])),
            ("delete".to_owned(), Value::Null),
        ]
    );
    assert_eq!((&received[0].1["state"], &received[0].1["username"]), (&json!("Requested"), &Value::Null));
    assert_eq!((&received[1].1["state"], &received[1].1["username"]), (&json!("OK"), &json!("alice")));
    assert_eq!((&received[2].1["state"], &received[2].1["username"]), (&json!(5), &json!("alice")));
    assert_eq!(received[5].1["state"], "Requested deletion");
    assert_eq!(received[6].1["offering_user_uuid"], record.as_str());
    assert_eq!(received[6].1["user_uuid"], ids::USER);
    assert_eq!(received[6].1["offering_uuid"], ids::OFFERING);

    publisher.close().await;
    bench.clean_up().await;
}

// ---------------------------------------------------------------------------------------------
// The served app: the outbox's relay (`server/amqp_relay.rs`) publishes what the API commits.

/// A server over a fresh directory, publishing to `url` on `exchange`.
async fn served_publishing(url: &str, exchange: &str) -> (TestDatabase, Served) {
    let db = TestDatabase::new().await;
    let doc = waldur_offering_users::directory::parse(&world().to_string()).unwrap();
    waldur_offering_users::directory::import(&db.pool, &doc).await.unwrap();
    let settings = HttpSettings {
        amqp: Some(AmqpArgs {
            amqp_url: Some(parse_amqp_url(url).unwrap()),
            amqp_exchange: exchange.to_owned(),
            amqp_connect_timeout: Duration::from_secs(5),
            amqp_confirm_timeout: Duration::from_secs(5),
            amqp_retry_max: Duration::from_millis(400),
        }),
        ..HttpSettings::default()
    };
    let server = Served::start(db.options(), settings, transport()).await;
    // The relay enables the sink as it starts; changes made before would not be kept for it.
    let started = tokio::time::Instant::now();
    loop {
        let enabled: Option<bool> = sqlx::query_scalar("SELECT enabled FROM event_sinks WHERE name = 'amqp'")
            .fetch_optional(&db.pool)
            .await
            .unwrap();
        if enabled == Some(true) {
            break;
        }
        assert!(started.elapsed() < PATIENCE, "the relay never enabled the amqp sink");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (db, server)
}

/// One record's life through the API: create, begin_creating, set_ok, a username, delete.
/// Returns the record's uuid.
async fn scripted_life(server: &Served, user: &str) -> String {
    let body = json!({"offering_uuid": ids::OFFERING, "user_uuid": user}).to_string();
    let created = raw_request(server.address, "POST", LIST, Some("staff-token"), Some(&body)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let record = created.json()["uuid"].as_str().unwrap().to_owned();
    let path = |tail: &str| format!("{LIST}{record}/{tail}");
    let username = json!({"username": "alice"}).to_string();
    let steps = [
        ("POST", path("begin_creating/"), None),
        ("POST", path("set_ok/"), None),
        ("PATCH", path(""), Some(username.as_str())),
        ("DELETE", path(""), None),
    ];
    for (method, path, body) in steps {
        let reply = raw_request(server.address, method, &path, Some("staff-token"), body).await;
        assert!(reply.status < 300, "{method} {path}: {} {}", reply.status, reply.body);
    }
    record
}

/// What the script's messages are: action, changed fields, state; in publishing order.
fn expected_life() -> Vec<(String, Value, Value)> {
    [
        ("create", Value::Null, json!("Requested")),
        ("update", json!(["state"]), json!("Creating")),
        ("update", json!(["state"]), json!("OK")),
        ("update", json!(["username"]), json!("OK")),
        ("username_set", Value::Null, json!(5)),
        ("delete", Value::Null, Value::Null),
    ]
    .into_iter()
    .map(|(action, changed, state)| (action.to_owned(), changed, state))
    .collect()
}

/// The next `n` distinct messages (a copy of one already taken, from a lost confirm, is
/// skipped by its id), with their ids.
async fn take_distinct(bench: &mut Bench, n: usize) -> Vec<(String, Value)> {
    let mut taken: Vec<(String, Value)> = Vec::new();
    while taken.len() < n {
        let (key, id, body) = bench.next().await;
        assert_eq!(key, format!("offering.{}.offering_user", ids::OFFERING));
        if !taken.iter().any(|(seen, _)| *seen == id) {
            taken.push((id, body));
        }
    }
    taken
}

fn summary(received: &[(String, Value)]) -> Vec<(String, Value, Value)> {
    received
        .iter()
        .map(|(_, body)| {
            let state = body.get("state").cloned().unwrap_or(Value::Null);
            (body["action"].as_str().unwrap().to_owned(), body["changed_fields"].clone(), state)
        })
        .collect()
}

/// Waits until the relay has forgotten every row: each is deleted once its messages are
/// confirmed.
async fn drained(db: &TestDatabase) {
    let started = tokio::time::Instant::now();
    while outbox_rows(db).await > 0 {
        assert!(started.elapsed() < PATIENCE, "confirmed rows stay in the outbox");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn outbox_rows(db: &TestDatabase) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM event_outbox WHERE sink = 'amqp'").fetch_one(&db.pool).await.unwrap()
}

#[tokio::test]
async fn a_served_app_publishes_every_committed_change_in_order() {
    let mut bench = Bench::new("offering.*.offering_user").await;
    let (db, mut server) = served_publishing(&broker_url(), &bench.exchange).await;

    let record = scripted_life(&server, ids::USER).await;
    let received = bench.take(expected_life().len()).await;
    assert_eq!(summary(&received), expected_life());
    for (id, body) in &received {
        assert_eq!(body["offering_user_uuid"], record.as_str(), "{id}");
        assert_eq!(body["user_uuid"], ids::USER, "{id}");
        assert_eq!(body["offering_uuid"], ids::OFFERING, "{id}");
    }
    assert_eq!(received[0].1["username"], Value::Null, "created without a username");
    assert_eq!(received[3].1["username"], "alice");
    assert_eq!(received[5].1["username"], "alice", "the deletion carries the record as it was");
    // Message ids are `<event id>-<action>`, the events of the record in order.
    let events: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM audit_events WHERE offering_user_uuid = $1::uuid ORDER BY id")
            .bind(&record)
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let ids: Vec<String> = received.iter().map(|(id, _)| id.clone()).collect();
    let actions = ["create", "update", "update", "update", "username_set", "delete"];
    let event_of_message = [0, 1, 2, 3, 3, 4];
    let expected: Vec<String> =
        event_of_message.iter().zip(actions).map(|(&i, action)| format!("{}-{action}", events[i])).collect();
    assert_eq!(ids, expected);

    drained(&db).await;
    server.stop().await;
    bench.clean_up().await;
}

#[tokio::test]
async fn a_served_app_cut_from_the_broker_publishes_every_change_once_it_is_back() {
    let mut bench = Bench::new("offering.*.offering_user").await;
    let proxy = DbProxy::to_tcp(&broker_address()).await;
    let through_proxy = {
        let mut url = url::Url::parse(&broker_url()).unwrap();
        url.set_port(Some(proxy.port())).unwrap();
        url.to_string()
    };
    let (db, mut server) = served_publishing(&through_proxy, &bench.exchange).await;

    // A first record's life goes through.
    scripted_life(&server, ids::USER).await;
    assert_eq!(summary(&take_distinct(&mut bench, 6).await), expected_life());
    drained(&db).await;

    // The broker goes away; a second record's life is committed meanwhile, and waits.
    proxy.cut();
    let record = scripted_life(&server, ids::OUTSIDER).await;
    assert_eq!(outbox_rows(&db).await, 5, "every change of the cut waits in the outbox");

    // It comes back: every message arrives, in order, none lost.
    proxy.restore().await;
    let received = take_distinct(&mut bench, 6).await;
    assert_eq!(summary(&received), expected_life());
    assert!(received.iter().all(|(_, body)| body["offering_user_uuid"] == record.as_str()));
    drained(&db).await;
    server.stop().await;
    bench.clean_up().await;
}
