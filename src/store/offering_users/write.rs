//! Writing offering users: the record an action targets, create, update, delete,
//! restriction, comments and the state transitions. Every write runs in one transaction
//! together with its audit event.

use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use super::row::{push_row_from, OfferingUserRow, RowSource, ROW_COLUMNS};
use crate::domain::posix::DEFAULT_HOMEDIR_PREFIX;
use crate::domain::principal::Caller;
use crate::domain::state::State;
use crate::store::audit;
use crate::store::visibility::{push_has_permission, push_visible};

/// The record a detail action targets, with what the caller may do to it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActionTarget {
    pub id: i64,
    pub uuid: Uuid,
    pub user_id: i64,
    pub offering_id: i64,
    /// The uuids of the record's offering and user (a PATCH naming them must name these).
    pub offering_uuid: Uuid,
    pub user_uuid: Uuid,
    /// Decoded from the column; an unknown value fails the read.
    #[sqlx(try_from = "i16")]
    pub state: State,
    pub username: Option<String>,
    pub is_restricted: bool,
    pub service_provider_comment: String,
    pub service_provider_comment_url: String,
    /// The caller holds the permission asked for (staff always do).
    pub permitted: bool,
    /// The caller holds the alternative permission, when one was asked for.
    pub permitted_alternative: bool,
}

/// Looks up a record for a detail action inside the caller's visible set (no consent gate:
/// docs/spec/decisions.md 8) and locks it for the rest of the transaction, so that concurrent actions
/// on one record are serialized and each sees the state the previous one left.
/// `permission` (and optionally `alternative`) are evaluated on the record's offering.
pub async fn lock_for_action(
    conn: &mut PgConnection,
    caller: &Caller,
    uuid: Uuid,
    permission: &'static str,
    alternative: Option<&'static str>,
) -> sqlx::Result<Option<ActionTarget>> {
    let mut qb = QueryBuilder::new("");
    qb.push(
        "SELECT ou.id, ou.uuid, ou.user_id, ou.offering_id, o.uuid AS offering_uuid, \
         (SELECT u.uuid FROM users u WHERE u.id = ou.user_id) AS user_uuid, ou.state, ou.username, ou.is_restricted, ou.service_provider_comment, ou.service_provider_comment_url, ",
    );
    push_has_permission(&mut qb, caller, permission);
    qb.push(" AS permitted, ");
    match alternative {
        Some(p) => push_has_permission(&mut qb, caller, p),
        None => {
            qb.push("false");
        }
    }
    qb.push(" AS permitted_alternative");
    push_locked_target(&mut qb, caller, uuid);
    qb.build_query_as().fetch_optional(conn).await
}

/// Pushes the ` FROM … FOR UPDATE` of a detail action's record: `uuid` among the records the
/// caller sees (no consent gate: docs/spec/decisions.md 8), as `ou` joined to its offering `o`, locked
/// for the rest of the transaction. Every action finds its record through this.
pub(super) fn push_locked_target(qb: &mut QueryBuilder<'_, Postgres>, caller: &Caller, uuid: Uuid) {
    qb.push(" FROM offering_users ou JOIN offerings o ON o.id = ou.offering_id WHERE ou.uuid = ");
    qb.push_bind(uuid);
    push_visible(qb, caller);
    qb.push(" FOR UPDATE OF ou");
}

/// The full row of a record, read on the writing connection (so it sees the write), without
/// visibility: the caller was authorized for the write already.
/// `default_exposure`: `DEFAULT_OFFERING_USER_ATTRIBUTES` (docs/spec/offering-users-2026.md §4.3).
pub async fn row_by_id(
    conn: &mut PgConnection,
    id: i64,
    default_exposure: &[&'static str],
) -> sqlx::Result<OfferingUserRow> {
    let mut qb = QueryBuilder::new("SELECT ");
    qb.push(ROW_COLUMNS);
    push_row_from(&mut qb, RowSource::Table, default_exposure);
    qb.push(" WHERE ou.id = ").push_bind(id);
    qb.build_query_as().fetch_one(conn).await
}

/// An offering as create needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CreateTarget {
    pub id: i64,
    /// The switch `service_provider_can_create_offering_user`.
    pub users_enabled: bool,
    /// The caller holds `OFFERING.CREATE_USER` on it or its customer.
    pub permitted: bool,
}

/// The offering with this uuid, with the caller's create permission on it.
pub async fn offering_for_create(
    conn: &mut PgConnection,
    caller: &Caller,
    uuid: Uuid,
) -> sqlx::Result<Option<CreateTarget>> {
    let mut qb = QueryBuilder::new("SELECT o.id, o.users_enabled, ");
    push_has_permission(&mut qb, caller, crate::domain::permissions::CREATE_USER);
    qb.push(" AS permitted FROM offerings o WHERE o.uuid = ").push_bind(uuid);
    qb.build_query_as().fetch_optional(conn).await
}

/// The internal id of the user with this uuid.
pub async fn user_id(conn: &mut PgConnection, uuid: Uuid) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM users WHERE uuid = $1").bind(uuid).fetch_optional(conn).await
}

/// Whether the offering already has a record for the user.
pub async fn pair_exists(conn: &mut PgConnection, offering_id: i64, user_id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM offering_users WHERE offering_id = $1 AND user_id = $2)")
        .bind(offering_id)
        .bind(user_id)
        .fetch_one(conn)
        .await
}

/// Inserts a record; a non-empty username creates it in OK, otherwise Requested
/// (docs/spec/offering-users.md §2.3). Returns its id and uuid.
pub async fn insert(
    conn: &mut PgConnection,
    offering_id: i64,
    user_id: i64,
    username: Option<&str>,
    state: State,
) -> sqlx::Result<(i64, Uuid)> {
    sqlx::query_as(
        "INSERT INTO offering_users (uuid, offering_id, user_id, username, state) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id, uuid",
    )
    .bind(Uuid::new_v4())
    .bind(offering_id)
    .bind(user_id)
    .bind(username)
    .bind(state.db())
    .fetch_one(conn)
    .await
}

/// Sets the username and, when given, the state (clearing both comments, as the implicit
/// move to OK does), writes `event` and returns the updated row: one statement, whose
/// representation is read from the `UPDATE`'s own result (a later part of the statement
/// would still see the old row).
pub async fn set_username(
    conn: &mut PgConnection,
    id: i64,
    username: Option<&str>,
    completes_as: Option<State>,
    event: audit::Event<'_>,
    default_exposure: &[&'static str],
) -> sqlx::Result<OfferingUserRow> {
    let mut qb = QueryBuilder::new("WITH updated AS (UPDATE offering_users SET username = ");
    qb.push_bind(username);
    qb.push(", modified = now(), state = coalesce(");
    qb.push_bind(completes_as.map(State::db));
    qb.push("::smallint, state), service_provider_comment = CASE WHEN ");
    qb.push_bind(completes_as.is_some());
    qb.push(" THEN '' ELSE service_provider_comment END, service_provider_comment_url = CASE WHEN ");
    qb.push_bind(completes_as.is_some());
    qb.push(" THEN '' ELSE service_provider_comment_url END");
    push_home_rederivation(&mut qb, username);
    qb.push(" WHERE id = ");
    qb.push_bind(id);
    qb.push(" RETURNING *), event AS (");
    event.push_insert(&mut qb, "updated");
    qb.push(") SELECT ").push(ROW_COLUMNS);
    push_row_from(&mut qb, RowSource::Updated, default_exposure);
    qb.build_query_as().fetch_one(conn).await
}

/// Pushes `, backend_metadata = …` of a username change (docs/spec/offering-users-2026.md
/// §7.1): a home directory derived from the old username (`homedir_prefix` + old username,
/// the prefix from the offering's `plugin_options`, `/home/` by default) follows the new one;
/// an explicit override, or a cleared username, leaves it as it is. In the `UPDATE`'s `SET`,
/// `offering_users.username` is still the old value.
fn push_home_rederivation(qb: &mut QueryBuilder<'_, Postgres>, new_username: Option<&str>) {
    let Some(new_username) = new_username else { return };
    let prefix = "(SELECT coalesce(o.plugin_options ->> 'homedir_prefix', ";
    let prefix_end = ") FROM offerings o WHERE o.id = offering_users.offering_id)";
    qb.push(", backend_metadata = CASE WHEN backend_metadata ->> 'homeDir' = ").push(prefix);
    qb.push_bind(DEFAULT_HOMEDIR_PREFIX).push(prefix_end).push(" || offering_users.username");
    qb.push(" THEN jsonb_set(backend_metadata, '{homeDir}', to_jsonb(").push(prefix);
    qb.push_bind(DEFAULT_HOMEDIR_PREFIX).push(prefix_end).push(" || ").push_bind(new_username.to_owned());
    qb.push("::text)) ELSE backend_metadata END");
}

/// Deletes a record; its checklist completion and answers go with it (foreign keys cascade).
pub async fn delete(conn: &mut PgConnection, id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM offering_users WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

/// Sets `is_restricted`.
pub async fn set_restricted(conn: &mut PgConnection, id: i64, restricted: bool) -> sqlx::Result<()> {
    sqlx::query("UPDATE offering_users SET is_restricted = $2, modified = now() WHERE id = $1")
        .bind(id)
        .bind(restricted)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets the two service-provider comment fields (`None` leaves a field unchanged).
pub async fn set_comments(
    conn: &mut PgConnection,
    id: i64,
    comment: Option<&str>,
    comment_url: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE offering_users SET modified = now(), \
             service_provider_comment = coalesce($2, service_provider_comment), \
             service_provider_comment_url = coalesce($3, service_provider_comment_url) \
         WHERE id = $1",
    )
    .bind(id)
    .bind(comment)
    .bind(comment_url)
    .execute(conn)
    .await?;
    Ok(())
}
