//! Web hooks (`/api/hooks-web/`): upstream's `WebHook` rows, owned by a user, and the switch of
//! the web-hook sink (migration 0010), kept on while an active hook exists.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

/// The outbox sink whose rows the web-hook worker drains (`store::web_hook_deliveries`).
pub const SINK: &str = "web_hooks";

/// One hook with its author and its delivery state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HookRow {
    pub id: i64,
    pub uuid: Uuid,
    pub user_id: i64,
    pub author_uuid: Uuid,
    pub author_username: String,
    pub author_first_name: String,
    pub author_last_name: String,
    pub author_email: String,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub is_active: bool,
    pub event_types: Vec<String>,
    pub event_groups: Vec<String>,
    pub destination_url: String,
    pub content_type: i16,
    pub attempts: i64,
    pub delivered: i64,
    pub failures: i32,
    pub retry_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i16>,
    pub last_error: Option<String>,
    /// Deliveries waiting (not yet acknowledged by the receiver).
    pub pending: i64,
}

const HOOK_COLUMNS: &str =
    "SELECT h.id, h.uuid, h.user_id, u.uuid AS author_uuid, u.username::text AS author_username, \
     u.first_name::text AS author_first_name, u.last_name::text AS author_last_name, u.email::text AS author_email, \
     h.created, h.modified, h.is_active, h.event_types, h.event_groups, h.destination_url::text AS destination_url, \
     h.content_type, h.attempts, h.delivered, h.failures, h.retry_at, h.last_attempt_at, h.last_status, \
     h.last_error::text AS last_error, \
     (SELECT count(*) FROM web_hook_deliveries d WHERE d.hook_id = h.id) AS pending \
     FROM web_hooks h JOIN users u ON u.id = h.user_id WHERE true";

/// Whose hooks a read reaches: one user's, or (staff) everyone's.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    User(i64),
    Anyone,
}

/// The list's filters (a subset of upstream's `WebHookFilter`).
#[derive(Debug, Clone, Default)]
pub struct HookFilter {
    pub author_uuid: Option<Uuid>,
    pub author_username: Option<String>,
    pub is_active: Option<bool>,
    pub destination_url: Option<String>,
    pub content_type: Option<i16>,
}

fn push_owner_and_filter(qb: &mut QueryBuilder<'_, Postgres>, owner: Owner, filter: &HookFilter) {
    if let Owner::User(id) = owner {
        qb.push(" AND h.user_id = ").push_bind(id);
    }
    if let Some(uuid) = filter.author_uuid {
        qb.push(" AND u.uuid = ").push_bind(uuid);
    }
    if let Some(name) = &filter.author_username {
        qb.push(" AND u.username = ").push_bind(name.clone());
    }
    if let Some(active) = filter.is_active {
        qb.push(" AND h.is_active = ").push_bind(active);
    }
    if let Some(url) = &filter.destination_url {
        qb.push(" AND h.destination_url = ").push_bind(url.clone());
    }
    if let Some(kind) = filter.content_type {
        qb.push(" AND h.content_type = ").push_bind(kind);
    }
}

/// How many hooks `owner` reaches under `filter`.
pub async fn count(conn: &mut PgConnection, owner: Owner, filter: &HookFilter) -> sqlx::Result<i64> {
    let mut qb = QueryBuilder::new("SELECT count(*) FROM web_hooks h JOIN users u ON u.id = h.user_id WHERE true");
    push_owner_and_filter(&mut qb, owner, filter);
    qb.build_query_scalar().fetch_one(conn).await
}

/// A page of hooks, newest first (upstream's `ordering = ["-created"]`).
pub async fn page(
    conn: &mut PgConnection,
    owner: Owner,
    filter: &HookFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<HookRow>> {
    let mut qb = QueryBuilder::new(HOOK_COLUMNS);
    push_owner_and_filter(&mut qb, owner, filter);
    qb.push(" ORDER BY h.created DESC, h.id DESC LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
    qb.build_query_as().fetch_all(conn).await
}

/// The hook `uuid` if `owner` reaches it; `lock` takes its row lock for a write.
pub async fn find(conn: &mut PgConnection, owner: Owner, uuid: Uuid, lock: bool) -> sqlx::Result<Option<HookRow>> {
    let mut qb = QueryBuilder::new(HOOK_COLUMNS);
    push_owner_and_filter(&mut qb, owner, &HookFilter::default());
    qb.push(" AND h.uuid = ").push_bind(uuid);
    if lock {
        qb.push(" FOR UPDATE OF h");
    }
    qb.build_query_as().fetch_optional(conn).await
}

/// How many hooks a user owns (bounded per user).
pub async fn count_of_user(conn: &mut PgConnection, user_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM web_hooks WHERE user_id = $1").bind(user_id).fetch_one(conn).await
}

/// What create and update write.
#[derive(Debug, Clone)]
pub struct HookWrite {
    pub is_active: bool,
    /// Expanded: the groups' types are included (as upstream stores them).
    pub event_types: Vec<String>,
    pub event_groups: Vec<String>,
    pub destination_url: String,
    pub content_type: i16,
}

/// Locks the web-hook sink's switch before hooks change, so that concurrent hook writes set
/// it one after the other, each from what the one before committed (two writers that each
/// see the other's hook as not yet there would otherwise leave it off with a hook active).
pub async fn lock_sink(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("SELECT 1 FROM event_sinks WHERE name = $1 FOR UPDATE").bind(SINK).execute(conn).await?;
    Ok(())
}

/// Sets the switch from the hooks as they are now (after [`lock_sink`], in the same
/// transaction): on while any hook is active.
pub async fn refresh_sink(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO event_sinks (name, enabled) VALUES ($1, EXISTS (SELECT 1 FROM web_hooks WHERE is_active)) \
         ON CONFLICT (name) DO UPDATE SET enabled = EXCLUDED.enabled",
    )
    .bind(SINK)
    .execute(conn)
    .await?;
    Ok(())
}

/// Creates a hook of `user_id` signed with `secret`; returns its id.
pub async fn insert(
    conn: &mut PgConnection,
    user_id: i64,
    uuid: Uuid,
    secret: &str,
    write: &HookWrite,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO web_hooks (uuid, user_id, is_active, event_types, event_groups, destination_url, content_type, secret) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(uuid)
    .bind(user_id)
    .bind(write.is_active)
    .bind(&write.event_types)
    .bind(&write.event_groups)
    .bind(&write.destination_url)
    .bind(write.content_type)
    .bind(secret)
    .fetch_one(conn)
    .await
}

/// Replaces a hook's writable fields. Re-activating a hook clears its backoff.
pub async fn update(conn: &mut PgConnection, id: i64, write: &HookWrite) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE web_hooks SET is_active = $2, event_types = $3, event_groups = $4, destination_url = $5, \
         content_type = $6, modified = now(), \
         retry_at = CASE WHEN $2 AND NOT is_active THEN NULL ELSE retry_at END, \
         failures = CASE WHEN $2 AND NOT is_active THEN 0 ELSE failures END \
         WHERE id = $1",
    )
    .bind(id)
    .bind(write.is_active)
    .bind(&write.event_types)
    .bind(&write.event_groups)
    .bind(&write.destination_url)
    .bind(write.content_type)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a hook; its undelivered deliveries go with it.
pub async fn delete(conn: &mut PgConnection, id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM web_hooks WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

/// The hook `id` as [`find`] reads it (after a write, on the writing connection).
pub async fn by_id(conn: &mut PgConnection, id: i64) -> sqlx::Result<HookRow> {
    let mut qb = QueryBuilder::new(HOOK_COLUMNS);
    qb.push(" AND h.id = ").push_bind(id);
    qb.build_query_as().fetch_one(conn).await
}
