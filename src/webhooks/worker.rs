//! The delivery worker: a background task of every server (started and stopped by
//! `server.rs`) that drains the web-hook sink of the outbox.
//!
//! Each round it fans new outbox rows out into deliveries (one replica at a time), claims due
//! deliveries up to its free slots (`--webhook-max-concurrent`; replicas side by side, each
//! row to one of them), and sends each on a task of its own: the owner's view is checked
//! first (a hook delivers only what its owner may see at delivery time), then the event is
//! POSTed, signed, with its uuid as idempotency key, and the answer recorded: a 2xx ends the
//! delivery, anything else (or no answer) backs the hook off, exponentially up to a cap.
//! While the database is down (the outage monitor's status) it waits; an error ends the round
//! and is logged once per run of failures. At shutdown it claims nothing more and waits for
//! the attempts in flight (each bounded by `--webhook-timeout`).

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderValue, CONTENT_TYPE};
use sqlx::PgPool;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::destination::{is_private, literal_address, GuardedResolver, PrivateAddress};
use super::payload::{body, ContentType};
use super::signature::{sign, EVENT_TYPE_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER};
use crate::config::WebhookArgs;
use crate::store::web_hook_deliveries::{self as deliveries, Claimed};
use crate::store::{auth, events};
use crate::telemetry::metrics::{DeliveryOutcome, Metrics};

/// The most of a receiver's answer that is read (then the connection is dropped).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// Outbox rows one fan-out moves.
const FAN_OUT_BATCH: i64 = 500;
/// How often the backlog gauges are refreshed.
const BACKLOG_INTERVAL: Duration = Duration::from_secs(5);
/// How long a round's statements may take before the round is given up.
const ROUND_DEADLINE: Duration = Duration::from_secs(30);

/// How the worker delivers.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    pub allow_private: bool,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_concurrent: usize,
    pub retry_base: Duration,
    pub retry_cap: Duration,
    pub poll_interval: Duration,
    /// `ENFORCE_USER_CONSENT_FOR_OFFERINGS`: the owner's view includes the consent gate.
    pub consent_gate: bool,
}

impl Default for DeliverySettings {
    /// The defaults of the command line (`config::WebhookArgs`).
    fn default() -> Self {
        DeliverySettings {
            allow_private: false,
            connect_timeout: Duration::from_secs(3),
            timeout: Duration::from_secs(10),
            max_concurrent: 16,
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(300),
            poll_interval: Duration::from_millis(100),
            consent_gate: true,
        }
    }
}

impl DeliverySettings {
    /// The settings `serve` was given.
    pub fn from_args(args: &WebhookArgs, consent_gate: bool) -> Self {
        DeliverySettings {
            allow_private: args.webhook_allow_private_destinations,
            connect_timeout: args.webhook_connect_timeout,
            timeout: args.webhook_timeout,
            max_concurrent: args.webhook_max_concurrent as usize,
            retry_base: args.webhook_retry_base,
            retry_cap: args.webhook_retry_cap,
            poll_interval: args.webhook_poll_interval.max(Duration::from_millis(10)),
            consent_gate,
        }
    }

    /// A claim's lease: the attempt's own bound and a margin, after which another replica may
    /// send the event again.
    fn lease(&self) -> Duration {
        self.timeout + Duration::from_secs(5)
    }
}

/// The HTTP client of deliveries: rustls, no redirects, no proxies from the environment,
/// connect and total timeouts, and the resolver that refuses private addresses.
pub fn client(settings: &DeliverySettings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .use_rustls_tls()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.timeout)
        .pool_max_idle_per_host(4)
        .user_agent(concat!("waldur-offering-users/", env!("CARGO_PKG_VERSION"), " web hooks"))
        .dns_resolver(Arc::new(GuardedResolver { allow_private: settings.allow_private }))
        .build()
}

/// Delivers until `stop` is cancelled, on `pool` (a small pool of its own, beside the
/// requests'). `database_down`: the outage monitor's verdict, passed in by the server.
pub async fn deliver_forever(
    pool: PgPool,
    settings: DeliverySettings,
    database_down: impl Fn() -> bool + Send,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
) {
    let client = match client(&settings) {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "cannot build the web-hook client; web hooks are not delivered");
            return;
        }
    };
    let settings = Arc::new(settings);
    let mut ticks = tokio::time::interval(settings.poll_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut in_flight: JoinSet<()> = JoinSet::new();
    let mut failing = false;
    let mut backlog_due = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = ticks.tick() => {}
            // A finished delivery may have unblocked the next event of its record.
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
        }
        if database_down() {
            continue;
        }
        let round = round(&pool, &client, &settings, &metrics, &mut in_flight, &mut backlog_due);
        let result = tokio::select! {
            _ = stop.cancelled() => break,
            done = tokio::time::timeout(ROUND_DEADLINE, round) => done.unwrap_or_else(|_| {
                Err(sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer within the round's deadline")))
            }),
        };
        match result {
            Ok(()) if failing => {
                tracing::info!("web-hook delivery works again");
                failing = false;
            }
            Ok(()) => {}
            Err(error) => {
                if !failing {
                    tracing::warn!(%error, "web-hook delivery round failed; retrying quietly");
                    failing = true;
                }
            }
        }
    }
    // Attempts in flight end on their own, each within its timeout; the server's shutdown
    // deadline aborts this task (and them) if it comes first: their leases run out and the
    // events go out again later.
    while in_flight.join_next().await.is_some() {}
    pool.close().await;
}

/// Fan out, claim what the free slots allow, start sending it; now and then, the gauges.
async fn round(
    pool: &PgPool,
    client: &reqwest::Client,
    settings: &Arc<DeliverySettings>,
    metrics: &Arc<Metrics>,
    in_flight: &mut JoinSet<()>,
    backlog_due: &mut tokio::time::Instant,
) -> sqlx::Result<()> {
    let mut conn = pool.acquire().await?;
    while deliveries::fan_out(&mut conn, FAN_OUT_BATCH).await? == FAN_OUT_BATCH as u64 {}
    let free = settings.max_concurrent.saturating_sub(in_flight.len());
    if free > 0 {
        for claimed in deliveries::claim(&mut conn, free as i64, settings.lease()).await? {
            let (pool, client, settings, metrics) = (pool.clone(), client.clone(), settings.clone(), metrics.clone());
            in_flight.spawn(async move {
                let hook = claimed.hook_uuid;
                if let Err(error) = deliver_one(&pool, &client, &settings, &metrics, claimed).await {
                    // Its lease runs out and the delivery is tried again.
                    tracing::warn!(%error, hook = %hook.simple(), "could not record a web-hook delivery");
                }
            });
        }
    }
    if tokio::time::Instant::now() >= *backlog_due {
        *backlog_due = tokio::time::Instant::now() + BACKLOG_INTERVAL;
        let backlog = deliveries::backlog(&mut conn).await?;
        metrics.webhook_outbox_depth.set(backlog.outbox);
        metrics.webhook_pending_deliveries.set(backlog.deliveries);
        let age = backlog.oldest.map(|t| (chrono::Utc::now() - t).num_milliseconds().max(0) as f64 / 1000.0);
        metrics.webhook_oldest_undelivered_age.set(age.unwrap_or(0.0));
    }
    Ok(())
}

/// How an attempt ended.
enum Attempt {
    Answered(u16),
    Refused(String),
    Failed(String),
}

/// Checks the owner's view, sends one claimed delivery, records the answer.
async fn deliver_one(
    pool: &PgPool,
    client: &reqwest::Client,
    settings: &DeliverySettings,
    metrics: &Metrics,
    claimed: Claimed,
) -> sqlx::Result<()> {
    let count = |outcome: &'static str| metrics.webhook_deliveries.get_or_create(&DeliveryOutcome { outcome }).inc();
    let (event, body_bytes) = {
        let mut conn = pool.acquire().await?;
        let owner = auth::caller_of_user(&mut conn, claimed.owner_id).await?;
        let visible = match &owner {
            Some(owner) => events::is_visible(&mut conn, owner, settings.consent_gate, claimed.event_id).await?,
            None => false,
        };
        let event = if visible { events::by_id(&mut conn, claimed.event_id).await? } else { None };
        let Some(event) = event else {
            deliveries::dropped(&mut conn, &claimed).await?;
            count("dropped");
            return Ok(());
        };
        let facts = event.facts();
        let content_type = ContentType::from_db(claimed.content_type);
        let bytes = body(content_type, event.created, &facts.message(), &facts.context(), facts.event_type().name());
        (event, bytes)
        // The connection goes back to the pool before the receiver is waited for.
    };
    let event_type = crate::domain::events::EventType::of_action(&event.action).name();
    let attempt = send(client, settings, &claimed, event.event_uuid(), event_type, body_bytes).await;
    let mut conn = pool.acquire().await?;
    match attempt {
        Attempt::Answered(status) if (200..300).contains(&status) => {
            deliveries::delivered(&mut conn, &claimed, status).await?;
            count("delivered");
        }
        Attempt::Answered(status) => {
            let error = format!("the receiver answered {status}");
            deliveries::failed(&mut conn, &claimed, Some(status), &error, settings.retry_base, settings.retry_cap)
                .await?;
            count("failed");
        }
        Attempt::Refused(error) => {
            deliveries::failed(&mut conn, &claimed, None, &error, settings.retry_base, settings.retry_cap).await?;
            count("refused");
        }
        Attempt::Failed(error) => {
            deliveries::failed(&mut conn, &claimed, None, &error, settings.retry_base, settings.retry_cap).await?;
            count("failed");
        }
    }
    Ok(())
}

/// POSTs the body and reads at most [`MAX_RESPONSE_BYTES`] of the answer.
async fn send(
    client: &reqwest::Client,
    settings: &DeliverySettings,
    claimed: &Claimed,
    event_uuid: uuid::Uuid,
    event_type: &'static str,
    body_bytes: Vec<u8>,
) -> Attempt {
    let url = match Url::parse(&claimed.destination_url) {
        Ok(url) => url,
        Err(error) => return Attempt::Failed(format!("invalid destination: {error}")),
    };
    if !settings.allow_private {
        if let Some(ip) = literal_address(&url).filter(|ip| is_private(*ip)) {
            return Attempt::Refused(PrivateAddress(ip).to_string());
        }
    }
    let content_type = ContentType::from_db(claimed.content_type);
    let signature = sign(&claimed.secret, &body_bytes);
    let request = client
        .post(url)
        .header(CONTENT_TYPE, HeaderValue::from_static(content_type.header()))
        .header(IDEMPOTENCY_HEADER, event_uuid.simple().to_string())
        .header(SIGNATURE_HEADER, signature)
        .header(EVENT_TYPE_HEADER, event_type)
        .body(body_bytes);
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(error) => return failure(&error),
    };
    let status = response.status().as_u16();
    let mut read = 0;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                read += chunk.len();
                if read >= MAX_RESPONSE_BYTES {
                    break;
                }
            }
            Ok(None) => break,
            // The status counts; a body cut short does not undo it.
            Err(_) => break,
        }
    }
    Attempt::Answered(status)
}

/// A send error: refused when the resolver found a private address, else failed; the text
/// names the cause without the URL (it is on the hook already).
fn failure(error: &reqwest::Error) -> Attempt {
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(private) = cause.downcast_ref::<PrivateAddress>() {
            return Attempt::Refused(private.to_string());
        }
        source = cause.source();
    }
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let detail = error.source().map(|s| s.to_string()).unwrap_or_default();
    Attempt::Failed(format!("{kind}: {detail}").chars().take(500).collect())
}
