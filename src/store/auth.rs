//! API tokens: lookup by the SHA-256 of the key, lifetime, the sliding refresh, and the
//! caller's reach, computed in the same statement.

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use super::fragments::active_role;
use crate::domain::principal::{Caller, Reach};

/// What the token table says about a key.
#[derive(Debug, sqlx::FromRow)]
pub struct TokenRecord {
    pub key_sha256: Vec<u8>,
    pub user_id: i64,
    pub user_uuid: Uuid,
    pub is_staff: bool,
    pub is_support: bool,
    pub is_active: bool,
    pub token_lifetime: Option<i32>,
    pub created: DateTime<Utc>,
    /// The token's lifetime has run out, by the database's clock (`now()`): the one clock that
    /// also stamps `created`, so replicas whose clocks drift apart agree.
    pub expired: bool,
    /// The sliding lifetime is due for a restart ([`refresh_token`]): the timestamp is over a
    /// minute old, by the same clock. Upstream rewrites it on every request; once a minute
    /// keeps the write off the read path.
    pub refresh_due: bool,
    pub reach_offerings: Option<Vec<i64>>,
    pub reach_users: Option<Vec<i64>>,
    pub reach_customer_offerings: Option<Vec<i64>>,
    pub reach_closed_offerings: Option<Vec<i64>>,
    pub reach_customers: Option<Vec<i64>>,
    pub reach_managed_offerings: Option<Vec<i64>>,
}

impl TokenRecord {
    /// The caller this token authenticates.
    pub fn caller(self) -> Caller {
        let reach = (!(self.is_staff || self.is_support)).then(|| Reach {
            offerings: self.reach_offerings.unwrap_or_default(),
            users: self.reach_users.unwrap_or_default(),
            customer_offerings: self.reach_customer_offerings.unwrap_or_default(),
            closed_offerings: self.reach_closed_offerings.unwrap_or_default(),
            customers: self.reach_customers.unwrap_or_default(),
            managed_offerings: self.reach_managed_offerings.unwrap_or_default(),
        });
        Caller { id: self.user_id, uuid: self.user_uuid, is_staff: self.is_staff, is_support: self.is_support, reach }
    }
}

/// The `reach_*` columns of [`TokenRecord`], read from [`reach_lateral`]'s `reach`.
macro_rules! reach_columns {
    () => {
        "reach.offerings AS reach_offerings, reach.users AS reach_users, \
         reach.customer_offerings AS reach_customer_offerings, reach.closed_offerings AS reach_closed_offerings, \
         reach.customers AS reach_customers, reach.managed_offerings AS reach_managed_offerings"
    };
}

/// The caller's reach as a `LEFT JOIN LATERAL … reach` over the user `u`: the one
/// statement text that both token authentication and a hook owner's check (`caller_of_user`)
/// use, so a hook sees what its owner would see with his token.
macro_rules! reach_lateral {
    () => {
        concat!(
            "         LEFT JOIN LATERAL ( \
             WITH mine AS ( \
                 SELECT r.customer_id, r.project_id, r.offering_id FROM user_roles r \
                 WHERE r.user_id = u.id AND ",
            active_role!(),
            "), \
             customers_seen AS ( \
                 SELECT customer_id AS id FROM mine WHERE customer_id IS NOT NULL \
                 UNION SELECT p.customer_id FROM projects p JOIN mine ON mine.project_id = p.id), \
             projects_seen AS ( \
                 SELECT project_id AS id FROM mine WHERE project_id IS NOT NULL \
                 UNION SELECT p.id FROM projects p JOIN mine ON mine.customer_id = p.customer_id) \
             SELECT \
                 array(SELECT o.id FROM offerings o WHERE o.users_enabled \
                       AND (o.customer_id IN (SELECT customer_id FROM mine) \
                            OR o.id IN (SELECT offering_id FROM mine))) AS offerings, \
                 array(SELECT r.user_id FROM user_roles r JOIN customers_seen cs ON cs.id = r.customer_id \
                       WHERE ",
            active_role!(),
            " \
                       UNION \
                       SELECT r.user_id FROM user_roles r JOIN projects_seen ps ON ps.id = r.project_id \
                       WHERE ",
            active_role!(),
            ") AS users, \
                 array(SELECT o.id FROM offerings o WHERE o.users_enabled \
                       AND o.customer_id IN (SELECT id FROM customers_seen)) AS customer_offerings, \
                 array(SELECT o.id FROM offerings o WHERE NOT o.users_enabled) AS closed_offerings, \
                 array(SELECT customer_id FROM mine WHERE customer_id IS NOT NULL) AS customers, \
                 array(SELECT o.id FROM offerings o WHERE o.users_enabled \
                       AND o.id IN (SELECT offering_id FROM mine)) AS managed_offerings \
             WHERE NOT (u.is_staff OR u.is_support)) reach ON true "
        )
    };
}

/// The SHA-256 of an API key; only this is stored.
pub fn hash_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// The token whose key hashes to `hash`, with its user and his reach: one statement.
pub async fn token_by_hash(conn: &mut PgConnection, hash: &[u8; 32]) -> sqlx::Result<Option<TokenRecord>> {
    let record: Option<TokenRecord> = sqlx::query_as(concat!(
        "SELECT t.key_sha256, u.id AS user_id, u.uuid AS user_uuid, u.is_staff, u.is_support, \
                u.is_active, u.token_lifetime, t.created, \
                COALESCE(t.created + make_interval(secs => u.token_lifetime) < now(), false) AS expired, \
                t.created < now() - interval '1 minute' AS refresh_due, ",
        reach_columns!(),
        " FROM api_tokens t JOIN users u ON u.id = t.user_id ",
        reach_lateral!(),
        " \
         WHERE t.key_sha256 = $1",
    ))
    .bind(&hash[..])
    .fetch_optional(&mut *conn)
    .await?;
    // The lookup is by the key's SHA-256, never by the key: how long it takes tells nothing
    // about a key that was not presented, so no constant-time comparison is needed after it.
    Ok(record)
}

/// The active user `user_id` as a caller, with his reach computed as token authentication
/// computes it; `None` when he is gone or inactive. A web hook delivers only what its owner
/// sees at delivery time (`webhooks::deliver`).
pub async fn caller_of_user(conn: &mut PgConnection, user_id: i64) -> sqlx::Result<Option<Caller>> {
    let record: Option<TokenRecord> = sqlx::query_as(concat!(
        "SELECT ''::bytea AS key_sha256, u.id AS user_id, u.uuid AS user_uuid, u.is_staff, u.is_support, \
                u.is_active, u.token_lifetime, now() AS created, false AS expired, false AS refresh_due, ",
        reach_columns!(),
        " FROM users u ",
        reach_lateral!(),
        " WHERE u.id = $1 AND u.is_active",
    ))
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(record.map(TokenRecord::caller))
}

/// Restarts the sliding lifetime of a user's token. Upstream rewrites the row on every
/// request; callers here do it when [`TokenRecord::refresh_due`] says so.
///
/// Bookkeeping: a read never fails because of it. When the write fails (a read-only node, a
/// broken connection) the request goes on; the token keeps its old timestamp until a later
/// request refreshes it. The failure is logged at warn once per run of failures, then at
/// debug.
pub async fn refresh_token(conn: &mut PgConnection, user_id: i64) {
    let refreshed =
        sqlx::query("UPDATE api_tokens SET created = now() WHERE user_id = $1").bind(user_id).execute(&mut *conn).await;
    match refreshed {
        Ok(_) => {
            if REFRESH_FAILING.swap(false, Ordering::Relaxed) {
                tracing::info!("token refreshes work again");
            }
        }
        Err(error) if !REFRESH_FAILING.swap(true, Ordering::Relaxed) => {
            tracing::warn!(%error, "cannot refresh a token's lifetime; going on without (logged once)");
        }
        Err(error) => tracing::debug!(%error, "cannot refresh a token's lifetime"),
    }
}

/// Whether the last token refresh failed, so that a run of failures is logged once.
static REFRESH_FAILING: AtomicBool = AtomicBool::new(false);
