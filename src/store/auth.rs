//! API tokens: lookup by the SHA-256 of the key, lifetime, and the sliding refresh.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// The authenticated user a request acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub id: i64,
    pub uuid: Uuid,
    pub is_staff: bool,
    pub is_support: bool,
}

impl Caller {
    /// Staff and support see every offering user (offering-users.md §3.2 item 1).
    pub fn sees_everything(&self) -> bool {
        self.is_staff || self.is_support
    }
}

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
}

/// The SHA-256 of an API key; only this is stored.
pub fn hash_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// The token whose key hashes to `hash`, with its user.
pub async fn token_by_hash(pool: &PgPool, hash: &[u8; 32]) -> sqlx::Result<Option<TokenRecord>> {
    let record: Option<TokenRecord> = sqlx::query_as(
        "SELECT t.key_sha256, u.id AS user_id, u.uuid AS user_uuid, u.is_staff, u.is_support, \
                u.is_active, u.token_lifetime, t.created \
         FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.key_sha256 = $1",
    )
    .bind(&hash[..])
    .fetch_optional(pool)
    .await?;
    // The index lookup already matched; compare again in constant time so the check itself
    // never depends on timing.
    Ok(record.filter(|r| r.key_sha256.as_slice().ct_eq(&hash[..]).into()))
}

/// Restarts the sliding lifetime of a user's token. Upstream rewrites the row on every
/// request; callers here do it at most once a minute.
pub async fn refresh_token(pool: &PgPool, user_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE api_tokens SET created = now() WHERE user_id = $1").bind(user_id).execute(pool).await?;
    Ok(())
}
