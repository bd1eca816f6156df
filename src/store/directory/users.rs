//! Users and their API tokens (docs/spec/directory.md, "The document": only a hash of a token
//! is stored).

use std::collections::HashSet;

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{PgConnection, Postgres, Row};
use uuid::Uuid;

use super::position;
use crate::store::auth::hash_key;

/// A user as the import writes it.
#[derive(Debug, Clone)]
pub struct UserWrite<'a> {
    pub uuid: Uuid,
    pub username: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub is_staff: bool,
    pub is_support: bool,
    pub is_active: bool,
    /// Seconds; `None` = tokens never expire.
    pub token_lifetime: Option<i32>,
}

/// The position in `users` of the first one whose username another user (another uuid)
/// already has in the database.
pub async fn first_taken_username(conn: &mut PgConnection, users: &[UserWrite<'_>]) -> sqlx::Result<Option<usize>> {
    let ordinal: Option<i64> = sqlx::query_scalar(
        "SELECT d.ord FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS d(uuid, username, ord) \
         JOIN users u ON u.username = d.username AND u.uuid <> d.uuid ORDER BY d.ord LIMIT 1",
    )
    .bind(users.iter().map(|u| u.uuid).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.username).collect::<Vec<_>>())
    .fetch_optional(conn)
    .await?;
    Ok(ordinal.map(position))
}

/// The users an upsert created and those it changed, by id.
#[derive(Debug, Clone, Default)]
pub struct UsersWritten {
    pub created: HashSet<i64>,
    pub updated: HashSet<i64>,
}

/// Inserts the users, or updates those whose values differ.
///
/// Only rows whose values differ are locked (an `INSERT … ON CONFLICT DO UPDATE` would lock
/// every row it names, whatever its `WHERE`), and the username, a key column (it has a
/// unique index), is set by a statement of its own: an update that leaves the key columns
/// alone takes a lock that still lets the API's foreign-key checks through (an audit event
/// naming its actor), so editing a name or an e-mail never holds up that user's requests.
pub async fn upsert_users(conn: &mut PgConnection, users: &[UserWrite<'_>]) -> sqlx::Result<UsersWritten> {
    let columns = UserColumns::of(users);
    let mut updated: HashSet<i64> = ids_of(
        columns
            .bind(sqlx::query(
                "UPDATE users SET first_name = d.first_name, last_name = d.last_name, email = d.email, \
                     is_staff = d.is_staff, is_support = d.is_support, is_active = d.is_active, \
                     token_lifetime = d.token_lifetime \
                 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::bool[], $7::bool[], \
                             $8::int[]) \
                      AS d(uuid, first_name, last_name, email, is_staff, is_support, is_active, token_lifetime) \
                 WHERE users.uuid = d.uuid \
                   AND (users.first_name, users.last_name, users.email, users.is_staff, users.is_support, \
                        users.is_active, users.token_lifetime) \
                       IS DISTINCT FROM (d.first_name, d.last_name, d.email, d.is_staff, d.is_support, \
                        d.is_active, d.token_lifetime) \
                 RETURNING users.id",
            ))
            .fetch_all(&mut *conn)
            .await?,
    )?;
    let renamed: Vec<i64> = sqlx::query_scalar(
        "UPDATE users SET username = d.username FROM unnest($1::uuid[], $2::text[]) AS d(uuid, username) \
         WHERE users.uuid = d.uuid AND users.username <> d.username RETURNING users.id",
    )
    .bind(&columns.uuids)
    .bind(&columns.usernames)
    .fetch_all(&mut *conn)
    .await?;
    updated.extend(renamed);
    let created = ids_of(
        columns
            .bind(sqlx::query(
                "INSERT INTO users (uuid, first_name, last_name, email, is_staff, is_support, is_active, \
                                    token_lifetime, username) \
                 SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::bool[], \
                                      $7::bool[], $8::int[], $9::text[]) \
                 ON CONFLICT (uuid) DO NOTHING RETURNING id",
            ))
            .bind(&columns.usernames)
            .fetch_all(conn)
            .await?,
    )?;
    Ok(UsersWritten { created, updated })
}

/// The first column (an id) of every row.
fn ids_of(rows: Vec<PgRow>) -> sqlx::Result<HashSet<i64>> {
    rows.iter().map(|row| row.try_get(0)).collect()
}

/// The users as arrays: the eight that both the update and the insert of [`upsert_users`]
/// take first (`$1`–`$8`), and the usernames.
struct UserColumns<'a> {
    uuids: Vec<Uuid>,
    first_names: Vec<&'a str>,
    last_names: Vec<&'a str>,
    emails: Vec<&'a str>,
    staff: Vec<bool>,
    support: Vec<bool>,
    active: Vec<bool>,
    token_lifetimes: Vec<Option<i32>>,
    usernames: Vec<&'a str>,
}

impl<'a> UserColumns<'a> {
    fn of(users: &[UserWrite<'a>]) -> Self {
        UserColumns {
            uuids: users.iter().map(|u| u.uuid).collect(),
            first_names: users.iter().map(|u| u.first_name).collect(),
            last_names: users.iter().map(|u| u.last_name).collect(),
            emails: users.iter().map(|u| u.email).collect(),
            staff: users.iter().map(|u| u.is_staff).collect(),
            support: users.iter().map(|u| u.is_support).collect(),
            active: users.iter().map(|u| u.is_active).collect(),
            token_lifetimes: users.iter().map(|u| u.token_lifetime).collect(),
            usernames: users.iter().map(|u| u.username).collect(),
        }
    }

    fn bind<'q>(&'q self, query: Query<'q, Postgres, PgArguments>) -> Query<'q, Postgres, PgArguments> {
        query
            .bind(&self.uuids)
            .bind(&self.first_names)
            .bind(&self.last_names)
            .bind(&self.emails)
            .bind(&self.staff)
            .bind(&self.support)
            .bind(&self.active)
            .bind(&self.token_lifetimes)
    }
}

/// A user's API key, as given; only its hash reaches the database.
#[derive(Debug, Clone, Copy)]
pub struct TokenWrite<'a> {
    pub user_id: i64,
    pub key: &'a str,
}

/// The (user ids, key hashes) columns of `tokens`.
fn hashed(tokens: &[TokenWrite<'_>]) -> (Vec<i64>, Vec<Vec<u8>>) {
    tokens.iter().map(|t| (t.user_id, hash_key(t.key).to_vec())).unzip()
}

/// Whether one of these keys is already the token of another user.
pub async fn token_of_another_user(conn: &mut PgConnection, tokens: &[TokenWrite<'_>]) -> sqlx::Result<bool> {
    let (user_ids, hashes) = hashed(tokens);
    let clash: Option<i64> = sqlx::query_scalar(
        "SELECT t.user_id FROM unnest($1::bigint[], $2::bytea[]) AS d(user_id, key_sha256) \
         JOIN api_tokens t ON t.key_sha256 = d.key_sha256 AND t.user_id <> d.user_id LIMIT 1",
    )
    .bind(&user_ids)
    .bind(&hashes)
    .fetch_optional(conn)
    .await?;
    Ok(clash.is_some())
}

/// Gives each user his token (a new one restarts its lifetime); returns the ids of the users
/// whose token was created or replaced. Only the rows that change are locked: the API
/// refreshes a token's lifetime in place, and must not wait for the import to commit.
pub async fn save_tokens(conn: &mut PgConnection, tokens: &[TokenWrite<'_>]) -> sqlx::Result<Vec<i64>> {
    let (user_ids, hashes) = hashed(tokens);
    let mut changed: Vec<i64> = sqlx::query_scalar(
        "UPDATE api_tokens SET key_sha256 = d.key_sha256, created = now() \
         FROM unnest($1::bigint[], $2::bytea[]) AS d(user_id, key_sha256) \
         WHERE api_tokens.user_id = d.user_id AND api_tokens.key_sha256 <> d.key_sha256 RETURNING api_tokens.user_id",
    )
    .bind(&user_ids)
    .bind(&hashes)
    .fetch_all(&mut *conn)
    .await?;
    changed.extend(
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO api_tokens (user_id, key_sha256) SELECT * FROM unnest($1::bigint[], $2::bytea[]) \
             ON CONFLICT (user_id) DO NOTHING RETURNING user_id",
        )
        .bind(&user_ids)
        .bind(&hashes)
        .fetch_all(conn)
        .await?,
    );
    Ok(changed)
}

/// Deletes the tokens of these users; returns the ids of those who had one.
pub async fn revoke_tokens(conn: &mut PgConnection, user_ids: &[i64]) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("DELETE FROM api_tokens WHERE user_id = ANY($1) RETURNING user_id")
        .bind(user_ids)
        .fetch_all(conn)
        .await
}

/// Holds off other writers of `users` until the transaction ends (readers go on). The mode
/// conflicts with itself, so two holders queue instead of deadlocking.
pub async fn lock_users(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").execute(conn).await?;
    Ok(())
}

/// How many users the database holds besides these.
pub async fn count_users_except(conn: &mut PgConnection, uuids: &[Uuid]) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM users WHERE uuid <> ALL($1)").bind(uuids).fetch_one(conn).await
}
