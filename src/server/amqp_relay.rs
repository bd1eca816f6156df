//! The AMQP relay: a background task of every server started with `--amqp-url` (started and
//! stopped by `server.rs`) that drains the outbox's `amqp` sink into RabbitMQ.
//!
//! At start it enables the sink (`store::amqp_outbox::enable`; retried until the database
//! answers), so that every change committed from then on waits in the outbox for it, whether
//! the broker is up or not. Each round claims the sink's heads (one row per offering user,
//! oldest first, in a transaction of its own, `FOR UPDATE SKIP LOCKED` beside other replicas),
//! publishes each event's messages (`amqp::payload::messages_for`) with publisher confirms, and
//! deletes a row only once its messages are confirmed; the first failure ends the round, the
//! rest stay claimed-then-released and are tried again, paced by the publisher's backoff. So a
//! broker outage delays messages and loses none; a lost confirm may send one twice (its
//! `message_id` is the same). At shutdown a publish in progress is given up (its row stays,
//! to go out again) and the connection is closed.

use std::time::Duration;

use sqlx::{Acquire, PgPool};
use tokio_util::sync::CancellationToken;

use crate::amqp::payload::{messages_for, Change, RecordFacts};
use crate::amqp::{Message, Publisher, Settings};
use crate::store::amqp_outbox::{self, Pending};
use crate::telemetry::metrics::AmqpMetrics;

/// Heads one round claims.
const CLAIM_BATCH: i64 = 100;
/// The pause after a round that found nothing, or while the database is down.
const IDLE_POLL: Duration = Duration::from_millis(100);

/// Relays until `stop` is cancelled, on `pool` (a small pool of its own). `database_down`: the
/// outage monitor's verdict, passed in by the server.
pub(super) async fn relay_forever(
    pool: PgPool,
    settings: Settings,
    metrics: AmqpMetrics,
    database_down: impl Fn() -> bool + Send,
    stop: CancellationToken,
) {
    let publisher = match Publisher::new(settings, metrics) {
        Ok(publisher) => publisher,
        Err(error) => {
            tracing::error!(%error, "cannot publish to RabbitMQ; offering-user changes are not relayed");
            return;
        }
    };
    let mut failing = false;
    let mut enabled = false;
    loop {
        if stop.is_cancelled() {
            break;
        }
        let busy = if database_down() {
            false
        } else if !enabled {
            match enable(&pool).await {
                Ok(()) => {
                    enabled = true;
                    true
                }
                Err(error) => {
                    log_failure(&mut failing, &error.to_string());
                    false
                }
            }
        } else {
            match round(&pool, &publisher, &stop).await {
                Ok(Round::Published(n)) => {
                    if failing {
                        tracing::info!("publishing to RabbitMQ works again");
                        failing = false;
                    }
                    n > 0
                }
                // The publisher waits its backoff before the next attempt: go again at once.
                Ok(Round::BrokerFailed(error)) => {
                    log_failure(&mut failing, &error);
                    true
                }
                Ok(Round::Stopped) => break,
                Err(error) => {
                    log_failure(&mut failing, &error.to_string());
                    false
                }
            }
        };
        if !busy {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(IDLE_POLL) => {}
            }
        }
    }
    publisher.close().await;
    pool.close().await;
}

async fn enable(pool: &PgPool) -> sqlx::Result<()> {
    let mut conn = pool.acquire().await?;
    amqp_outbox::enable(&mut conn).await?;
    tracing::info!("the outbox keeps offering-user changes for RabbitMQ");
    Ok(())
}

/// Logs the first failure of a run of them.
fn log_failure(failing: &mut bool, error: &str) {
    if !*failing {
        tracing::warn!(%error, "relaying offering-user changes to RabbitMQ failed; retrying quietly");
        *failing = true;
    }
}

/// How a round ended.
enum Round {
    /// Every claimed row was published (and forgotten): how many.
    Published(usize),
    /// A publish failed: the rows before it are forgotten, the rest wait.
    BrokerFailed(String),
    /// The server is stopping: the rows from the one in progress on wait.
    Stopped,
}

/// Claims heads, publishes them in order, forgets the confirmed ones, commits.
async fn round(pool: &PgPool, publisher: &Publisher, stop: &CancellationToken) -> sqlx::Result<Round> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    let claimed = amqp_outbox::claim_heads(&mut tx, CLAIM_BATCH).await?;
    let mut outcome = Round::Published(claimed.len());
    for pending in &claimed {
        let messages = messages(pending);
        let published = tokio::select! {
            // Given up: the row stays, and goes out again (perhaps twice) after the restart.
            _ = stop.cancelled() => {
                outcome = Round::Stopped;
                break;
            }
            published = publisher.publish_all(&messages) => published,
        };
        match published {
            Ok(()) => amqp_outbox::forget(&mut tx, pending.event_id).await?,
            Err(error) if !error.is_retryable() => {
                // No retry can send it: dropped, said loudly, so that its record's later
                // events are not held back for ever.
                tracing::error!(%error, event = pending.event_id, "an offering-user change cannot be published; dropped");
                amqp_outbox::forget(&mut tx, pending.event_id).await?;
            }
            Err(error) => {
                outcome = Round::BrokerFailed(error.to_string());
                break;
            }
        }
    }
    tx.commit().await?;
    Ok(outcome)
}

/// The messages of a claimed row; none when its offering or user is no longer known (an
/// event older than migration 0010 of a record since deleted), which is said.
fn messages(pending: &Pending) -> Vec<Message> {
    let (Some(offering_uuid), Some(user_uuid), Some(state)) =
        (pending.offering_uuid, pending.user_uuid, pending.state())
    else {
        tracing::warn!(
            event = pending.event_id,
            "an offering-user change names no known offering, user or state; not published"
        );
        return Vec::new();
    };
    let change = Change {
        event_id: pending.event_id,
        action: &pending.action,
        old_values: &pending.old_values,
        new_values: &pending.new_values,
    };
    let record = RecordFacts {
        offering_user_uuid: pending.offering_user_uuid,
        offering_uuid,
        offering_type: pending.offering_type.as_deref().unwrap_or_default(),
        user_uuid,
        username: pending.username.as_deref(),
        state_label: state.label(),
        state_number: state.db(),
        runtime_state: pending.runtime_state.as_deref(),
        attributes: None,
    };
    messages_for(&change, &record)
}
