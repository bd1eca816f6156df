//! The connection to RabbitMQ and the publish that returns only once the broker confirmed.
//!
//! One connection, one channel in confirm mode, the exchange declared (durable, topic) on
//! every (re)connection. Publishes are serialized (one at a time, in call order), so that the
//! messages of one offering user reach the exchange in the order they were handed over.
//!
//! Every wait is bounded: the connection (TCP, TLS, handshake, channel, declaration) by
//! `connect_timeout`, the confirm by `confirm_timeout`, and the pause between attempts by the
//! backoff's cap. A failure drops the connection (a lost confirm leaves the channel in an
//! unknown state) and is returned: the caller keeps the message and retries; the next publish
//! reconnects, after the backoff's wait.

use std::time::Duration;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::{FieldTable, ShortString};
use lapin::uri::AMQPUri;
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ExchangeKind};
use tokio::sync::Mutex;
use tokio::time::{timeout, Instant};

use super::backoff::Backoff;
use super::message::Message;
use crate::config::{AmqpArgs, AmqpUrl};
use crate::telemetry::metrics::{AmqpMetrics, Outcome};

/// The first wait after a failure; it doubles up to [`Settings::retry_max`].
const RETRY_FLOOR: Duration = Duration::from_millis(100);

/// The connection's name in the broker's management views.
const CONNECTION_NAME: &str = "waldur-offering-users";

/// Where and how to publish.
#[derive(Debug, Clone)]
pub struct Settings {
    pub url: AmqpUrl,
    pub exchange: String,
    pub connect_timeout: Duration,
    pub confirm_timeout: Duration,
    /// The longest wait between two attempts to reach the broker.
    pub retry_max: Duration,
}

impl Settings {
    /// The settings of `serve`'s flags; `None` when `--amqp-url` is not given (publishing off).
    pub fn from_args(args: &AmqpArgs) -> Option<Settings> {
        Some(Settings {
            url: args.amqp_url.clone()?,
            exchange: args.amqp_exchange.clone(),
            connect_timeout: args.amqp_connect_timeout,
            confirm_timeout: args.amqp_confirm_timeout,
            retry_max: args.amqp_retry_max,
        })
    }
}

/// Why a publish failed. [`PublishError::is_retryable`] tells whether trying again may help.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The URL does not parse as an AMQP URI (its text is not repeated: it may hold a password).
    #[error("the AMQP URL is not valid")]
    InvalidUrl,
    /// The routing key or message id is longer than AMQP allows (255 bytes).
    #[error("the message cannot be sent: {0}")]
    InvalidMessage(&'static str),
    #[error("connecting to the broker took longer than {0:?}")]
    ConnectTimeout(Duration),
    /// Connection refused or lost, handshake or declaration refused, channel closed.
    #[error("the broker connection failed: {0}")]
    Connection(String),
    #[error("the broker did not confirm the message within {0:?}")]
    ConfirmTimeout(Duration),
    /// The broker answered with a negative acknowledgement (an internal error of its own).
    #[error("the broker refused the message (nack)")]
    Nacked,
}

impl PublishError {
    /// Whether the same message may go through on a later attempt.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, PublishError::InvalidUrl | PublishError::InvalidMessage(_))
    }
}

impl From<lapin::Error> for PublishError {
    fn from(error: lapin::Error) -> Self {
        PublishError::Connection(error.to_string())
    }
}

/// Publishes messages with publisher confirms over one connection it keeps, reconnecting
/// with capped exponential backoff.
pub struct Publisher {
    settings: Settings,
    uri: AMQPUri,
    exchange: ShortString,
    metrics: AmqpMetrics,
    state: Mutex<State>,
}

/// The connection, if any, and the backoff of the attempts to get one.
struct State {
    link: Option<Link>,
    backoff: Backoff,
    /// A connection was made once: the next one is a reconnection.
    connected_before: bool,
}

struct Link {
    connection: Connection,
    channel: Channel,
}

impl Publisher {
    /// A publisher that connects on its first publish (the broker need not be up yet).
    pub fn new(settings: Settings, metrics: AmqpMetrics) -> Result<Publisher, PublishError> {
        let uri: AMQPUri = settings.url.expose().parse().map_err(|_| PublishError::InvalidUrl)?;
        let exchange = ShortString::try_new(settings.exchange.as_str())
            .map_err(|_| PublishError::InvalidMessage("exchange name over 255 bytes"))?;
        let backoff = Backoff::new(RETRY_FLOOR, settings.retry_max);
        let state = Mutex::new(State { link: None, backoff, connected_before: false });
        Ok(Publisher { settings, uri, exchange, metrics, state })
    }

    /// A publisher connected now: declares the exchange and enables confirms, or fails.
    pub async fn connect(settings: Settings, metrics: AmqpMetrics) -> Result<Publisher, PublishError> {
        let publisher = Publisher::new(settings, metrics)?;
        {
            let mut state = publisher.state.lock().await;
            publisher.ready_channel(&mut state).await?;
        }
        Ok(publisher)
    }

    /// The exchange messages go to.
    pub fn exchange(&self) -> &str {
        &self.settings.exchange
    }

    /// Publishes `message` (persistent, `application/json`, its `message_id`) and returns once
    /// the broker confirmed it. An unroutable message (no queue bound for its key) is confirmed
    /// too: the broker took it and had nowhere to put it; it is counted as `unroutable`.
    ///
    /// Waits at most the backoff's current wait, the connection timeout and the confirm
    /// timeout; on an error the message may or may not have reached the broker (a lost
    /// confirm), so a retry may deliver it twice: consumers recognise it by its `message_id`.
    pub async fn publish(&self, message: &Message) -> Result<(), PublishError> {
        let routing_key = ShortString::try_new(message.routing_key.as_str())
            .map_err(|_| PublishError::InvalidMessage("routing key over 255 bytes"))?;
        let message_id = ShortString::try_new(message.message_id.as_str())
            .map_err(|_| PublishError::InvalidMessage("message id over 255 bytes"))?;
        let body = message.body();
        let properties = BasicProperties::default()
            .with_delivery_mode(2)
            .with_content_type("application/json".into())
            .with_message_id(message_id)
            .with_app_id(CONNECTION_NAME.into());
        let exchange = self.exchange.clone();

        let mut state = self.state.lock().await;
        let channel = self.ready_channel(&mut state).await?;
        let confirmed = timeout(self.settings.confirm_timeout, async {
            let options = BasicPublishOptions { mandatory: true, ..BasicPublishOptions::default() };
            channel.basic_publish(exchange, routing_key, options, &body, properties).await?.await
        })
        .await;
        let result = match confirmed {
            Ok(Ok(Confirmation::Ack(returned))) => {
                self.count_published(if returned.is_some() { "unroutable" } else { "confirmed" });
                return Ok(());
            }
            Ok(Ok(Confirmation::Nack(_))) => {
                // The broker could not take the message (an internal error of its own): start
                // afresh after the backoff's wait, so that a retry loop does not spin on it.
                self.count_published("nacked");
                Err(PublishError::Nacked)
            }
            Ok(Ok(Confirmation::NotRequested)) => {
                self.count_published("failed");
                Err(PublishError::Connection("the channel is not in confirm mode".into()))
            }
            Ok(Err(error)) => {
                self.count_published("failed");
                Err(PublishError::from(error))
            }
            Err(_) => {
                self.count_published("timeout");
                Err(PublishError::ConfirmTimeout(self.settings.confirm_timeout))
            }
        };
        // The link is lost, in an unknown state or refusing: drop it; the next publish
        // reconnects, after the backoff's wait (a connection that opens but cannot publish
        // must not spin).
        self.drop_link(&mut state);
        state.backoff.failed(Instant::now());
        result
    }

    /// Publishes the messages of one change in order (see [`Publisher::publish`]); stops at
    /// the first failure. Retrying the change may send its first messages again: their ids are
    /// the same.
    pub async fn publish_all(&self, messages: &[Message]) -> Result<(), PublishError> {
        for message in messages {
            self.publish(message).await?;
        }
        Ok(())
    }

    /// Closes the connection, if any (the broker then forgets the channel at once).
    pub async fn close(&self) {
        let mut state = self.state.lock().await;
        if let Some(link) = state.link.take() {
            let _ = timeout(self.settings.connect_timeout, link.connection.close(200, "closing".into())).await;
        }
    }

    /// The open channel, connecting first (after the backoff's wait) if there is none.
    async fn ready_channel(&self, state: &mut State) -> Result<Channel, PublishError> {
        if let Some(link) = &state.link {
            if link.connection.status().connected() && link.channel.status().connected() {
                return Ok(link.channel.clone());
            }
            self.drop_link(state);
        }
        if let Some(at) = state.backoff.next_attempt() {
            tokio::time::sleep_until(at).await;
        }
        let reconnecting = state.connected_before || state.backoff.failures() > 0;
        match timeout(self.settings.connect_timeout, self.open()).await {
            Ok(Ok(link)) => {
                self.metrics.connects.get_or_create(&Outcome { outcome: "connected" }).inc();
                if reconnecting {
                    tracing::info!(
                        broker = %self.settings.url.redacted(),
                        exchange = %self.settings.exchange,
                        failed_attempts = state.backoff.failures(),
                        "reconnected to RabbitMQ"
                    );
                }
                state.backoff.succeeded();
                state.connected_before = true;
                let channel = link.channel.clone();
                state.link = Some(link);
                Ok(channel)
            }
            outcome => {
                let error = match outcome {
                    Ok(Err(error)) => error,
                    _ => PublishError::ConnectTimeout(self.settings.connect_timeout),
                };
                self.metrics.connects.get_or_create(&Outcome { outcome: "failed" }).inc();
                let wait = state.backoff.failed(Instant::now());
                tracing::warn!(
                    broker = %self.settings.url.redacted(),
                    attempt = state.backoff.failures(),
                    retry_in_ms = wait.as_millis() as u64,
                    error = %error,
                    "{}",
                    if reconnecting { "cannot reconnect to RabbitMQ" } else { "cannot connect to RabbitMQ" }
                );
                Err(error)
            }
        }
    }

    /// Connects, opens a channel in confirm mode and declares the exchange.
    async fn open(&self) -> Result<Link, PublishError> {
        let properties = ConnectionProperties::default().with_connection_name(CONNECTION_NAME.into());
        let connection = Connection::connect_uri(self.uri.clone(), properties).await?;
        let channel = connection.create_channel().await?;
        channel.confirm_select(ConfirmSelectOptions::default()).await?;
        channel
            .exchange_declare(
                self.exchange.clone(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() },
                FieldTable::default(),
            )
            .await?;
        Ok(Link { connection, channel })
    }

    /// Forgets the connection; closing it is tried in the background (it may be dead already).
    fn drop_link(&self, state: &mut State) {
        if let Some(link) = state.link.take() {
            let wait = self.settings.connect_timeout;
            tokio::spawn(async move {
                let _ = timeout(wait, link.connection.close(200, "reconnecting".into())).await;
            });
        }
    }

    fn count_published(&self, outcome: &'static str) {
        self.metrics.published.get_or_create(&Outcome { outcome }).inc();
    }
}
