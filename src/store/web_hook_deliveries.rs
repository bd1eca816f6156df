//! The web-hook sink's side of the outbox (migration 0010): fanning the sink's outbox rows out
//! into one delivery per matching hook, claiming deliveries in order per (hook, offering
//! user), and recording what the receiver answered.
//!
//! Order: a delivery is claimable only while no older delivery of the same hook and offering
//! user exists (a claimed one stays until acknowledged), so a hook sees a record's events one
//! at a time, oldest first, whichever replica sends them. A claim is a lease
//! (`leased_until`), not a held transaction: no connection waits on a slow receiver, and a
//! replica that dies mid-delivery leaves a lease that runs out, after which another sends the
//! event again (at least once).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use super::web_hooks::SINK;
use crate::domain::events::{EventType, ALL_EVENT_TYPES};

/// The advisory lock that lets one replica at a time fan out: two replicas fanning out events
/// of one record at once could commit their deliveries in the wrong order.
const FAN_OUT_LOCK: i64 = 0x5765_6248_6f6f_6b01;

/// Moves up to `batch` of the sink's outbox rows, oldest first, into deliveries for the active
/// hooks that want their event type and existed when the event was written. One transaction;
/// returns how many outbox rows it took (0 when another replica is fanning out).
pub async fn fan_out(conn: &mut PgConnection, batch: i64) -> sqlx::Result<u64> {
    let mut tx = conn.begin().await?;
    let locked: bool =
        sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)").bind(FAN_OUT_LOCK).fetch_one(&mut *tx).await?;
    if !locked {
        return Ok(0);
    }
    let one_to_one: Vec<&str> = EventType::one_to_one_actions().to_vec();
    let taken: i64 = sqlx::query_scalar(
        "WITH taken AS ( \
             DELETE FROM event_outbox WHERE sink = $1 AND event_id IN \
                 (SELECT event_id FROM event_outbox WHERE sink = $1 ORDER BY event_id LIMIT $2) \
             RETURNING event_id, offering_user_uuid, created \
         ), fanned AS ( \
             INSERT INTO web_hook_deliveries (hook_id, event_id, offering_user_uuid, event_created) \
             SELECT h.id, t.event_id, t.offering_user_uuid, t.created \
             FROM taken t JOIN audit_events e ON e.id = t.event_id \
             JOIN web_hooks h ON h.is_active AND h.created <= t.created \
                 AND (CASE WHEN e.action = ANY($3) THEN e.action::text ELSE $4 END) = ANY(h.event_types) \
             ORDER BY t.event_id \
             ON CONFLICT ON CONSTRAINT web_hook_deliveries_hook_event_key DO NOTHING \
         ) \
         SELECT count(*) FROM taken",
    )
    .bind(SINK)
    .bind(batch)
    .bind(one_to_one)
    .bind(EventType::Updated.name())
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(taken as u64)
}

/// A delivery a worker holds (by its lease) with what it needs to send it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub delivery_id: i64,
    pub hook_id: i64,
    pub hook_uuid: Uuid,
    pub owner_id: i64,
    pub destination_url: String,
    pub content_type: i16,
    pub secret: String,
    pub event_id: i64,
    /// Attempts of this delivery, this one included.
    pub attempts: i32,
}

/// Claims up to `limit` due deliveries, oldest event first: each the oldest of its hook and
/// offering user, of an active hook not backing off, not leased (or its lease run out). The
/// lease lasts `lease`; `FOR UPDATE SKIP LOCKED` lets replicas claim side by side without
/// taking the same row.
pub async fn claim(conn: &mut PgConnection, limit: i64, lease: Duration) -> sqlx::Result<Vec<Claimed>> {
    sqlx::query_as(
        "WITH due AS ( \
             SELECT d.id FROM web_hook_deliveries d JOIN web_hooks h ON h.id = d.hook_id \
             WHERE h.is_active AND (h.retry_at IS NULL OR h.retry_at <= now()) \
               AND (d.leased_until IS NULL OR d.leased_until < now()) \
               AND NOT EXISTS (SELECT 1 FROM web_hook_deliveries p WHERE p.hook_id = d.hook_id \
                               AND p.offering_user_uuid = d.offering_user_uuid AND p.event_id < d.event_id) \
             ORDER BY d.event_id LIMIT $1 \
             FOR UPDATE OF d SKIP LOCKED \
         ) \
         UPDATE web_hook_deliveries d SET leased_until = now() + make_interval(secs => $2), attempts = d.attempts + 1 \
         FROM due, web_hooks h WHERE d.id = due.id AND h.id = d.hook_id \
         RETURNING d.id AS delivery_id, d.hook_id, h.uuid AS hook_uuid, h.user_id AS owner_id, \
                   h.destination_url::text AS destination_url, h.content_type, h.secret::text AS secret, \
                   d.event_id, d.attempts",
    )
    .bind(limit)
    .bind(lease.as_secs_f64())
    .fetch_all(conn)
    .await
}

/// The receiver acknowledged the delivery (a 2xx): it is done; the hook's backoff ends.
pub async fn delivered(conn: &mut PgConnection, claimed: &Claimed, status: u16) -> sqlx::Result<()> {
    sqlx::query(
        "WITH done AS (DELETE FROM web_hook_deliveries WHERE id = $1) \
         UPDATE web_hooks SET failures = 0, retry_at = NULL, attempts = attempts + 1, delivered = delivered + 1, \
             last_attempt_at = now(), last_status = $3, last_error = NULL \
         WHERE id = $2",
    )
    .bind(claimed.delivery_id)
    .bind(claimed.hook_id)
    .bind(status as i16)
    .execute(conn)
    .await?;
    Ok(())
}

/// The attempt failed (no answer, or not a 2xx): the delivery waits, and so does every other
/// delivery of the hook, until `retry_at` = now + min(`cap`, `base` · 2^failures).
pub async fn failed(
    conn: &mut PgConnection,
    claimed: &Claimed,
    status: Option<u16>,
    error: &str,
    base: Duration,
    cap: Duration,
) -> sqlx::Result<()> {
    sqlx::query(
        "WITH released AS (UPDATE web_hook_deliveries SET leased_until = NULL WHERE id = $1) \
         UPDATE web_hooks SET failures = failures + 1, attempts = attempts + 1, last_attempt_at = now(), \
             last_status = $3, last_error = left($4, 500), \
             retry_at = now() + make_interval(secs => least($6, $5 * power(2, least(failures, 30)))) \
         WHERE id = $2",
    )
    .bind(claimed.delivery_id)
    .bind(claimed.hook_id)
    .bind(status.map(|s| s as i16))
    .bind(error)
    .bind(base.as_secs_f64())
    .bind(cap.as_secs_f64())
    .execute(conn)
    .await?;
    Ok(())
}

/// The delivery will not be sent (its owner cannot see the event now, or it is gone).
pub async fn dropped(conn: &mut PgConnection, claimed: &Claimed) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM web_hook_deliveries WHERE id = $1").bind(claimed.delivery_id).execute(conn).await?;
    Ok(())
}

/// What waits: the sink's outbox rows not yet fanned out, deliveries not yet acknowledged,
/// and when the oldest of all of them was written.
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct Backlog {
    pub outbox: i64,
    pub deliveries: i64,
    pub oldest: Option<DateTime<Utc>>,
}

/// The backlog, for the metrics.
pub async fn backlog(conn: &mut PgConnection) -> sqlx::Result<Backlog> {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM event_outbox WHERE sink = $1) AS outbox, \
                (SELECT count(*) FROM web_hook_deliveries) AS deliveries, \
                least((SELECT created FROM event_outbox WHERE sink = $1 ORDER BY event_id LIMIT 1), \
                      (SELECT event_created FROM web_hook_deliveries ORDER BY event_id LIMIT 1)) AS oldest",
    )
    .bind(SINK)
    .fetch_one(conn)
    .await
}

/// The event types a hook may ask for.
pub fn known_event_types() -> impl Iterator<Item = &'static str> {
    ALL_EVENT_TYPES.into_iter().map(EventType::name)
}
