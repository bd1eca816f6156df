//! Offering users preloaded by the import, stored with the state the document gives when they
//! are new; existing ones keep what the API made of them unless the import is told to
//! overwrite it (docs/spec/directory.md, "The document"; docs/spec/decisions.md item 32).

use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{PgConnection, Postgres, Row};
use uuid::Uuid;

use super::position;
use crate::domain::state::{State, ALL_STATES};
use crate::store::audit::Action;

/// The fields of an offering user that the API changes: a re-import leaves them as they are
/// unless told to overwrite them (docs/spec/decisions.md item 32).
#[derive(Debug, Clone, Copy)]
pub struct ApiOwned<'a> {
    pub username: Option<&'a str>,
    pub state: State,
    pub is_restricted: bool,
    pub service_provider_comment: &'a str,
    pub service_provider_comment_url: &'a str,
    /// The runtime state's label (docs/spec/offering-users-2026.md §3.1).
    pub runtime_state: &'a str,
}

/// An offering user as the import writes it.
#[derive(Debug, Clone)]
pub struct OfferingUserWrite<'a> {
    pub uuid: Uuid,
    pub offering_id: i64,
    pub user_id: i64,
    pub api: ApiOwned<'a>,
    /// The provider account backing it (docs/spec/offering-users-2026.md §4.7): the
    /// directory's, not the API's, so every import sets it.
    pub service_provider_account_id: Option<i64>,
}

/// The position in `rows` of the first one whose (offering, user) pair already belongs to
/// another offering user (another uuid) in the database.
pub async fn first_clashing_offering_user(
    conn: &mut PgConnection,
    rows: &[OfferingUserWrite<'_>],
) -> sqlx::Result<Option<usize>> {
    let ordinal: Option<i64> = sqlx::query_scalar(
        "SELECT d.ord FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS d(uuid, offering_id, user_id, ord) \
         JOIN offering_users ou ON ou.offering_id = d.offering_id AND ou.user_id = d.user_id AND ou.uuid <> d.uuid \
         ORDER BY d.ord LIMIT 1",
    )
    .bind(rows.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| e.offering_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| e.user_id).collect::<Vec<_>>())
    .fetch_optional(conn)
    .await?;
    Ok(ordinal.map(position))
}

/// What writing a batch of offering users did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OfferingUsersWritten {
    /// New rows.
    pub created: u64,
    /// Existing rows changed (each with its audit event).
    pub updated: u64,
    /// Existing rows whose fields that the API changes differ from the document, kept as
    /// they are (without `overwrite`).
    pub left_alone: u64,
}

/// Writes a batch of offering users (docs/spec/decisions.md item 32): creates those whose uuid
/// is new; of those that exist, re-points the ones whose offering or user changed and, only
/// with `overwrite`, replaces the fields that the API changes (state, username, restriction,
/// both comments, runtime state). The provider-account link is the directory's: it is always
/// set. Every existing row it changes gets an audit event [`Action::Imported`] with the
/// fields it changed, in the same statement. Rows that need no change are neither written
/// nor locked, so the API's writes beside the import do not wait for it.
pub async fn write_offering_users(
    conn: &mut PgConnection,
    rows: &[OfferingUserWrite<'_>],
    overwrite: bool,
) -> sqlx::Result<OfferingUsersWritten> {
    let columns = Columns::of(rows);
    let labels: Vec<&str> = ALL_STATES.iter().map(|s| s.label()).collect();

    let counted = columns.bind(sqlx::query(
        "WITH d AS ( \
             SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[], $5::smallint[], $6::bool[], \
                                  $7::text[], $8::text[], $12::text[], $13::bigint[]) \
                 AS d(uuid, offering_id, user_id, username, state, is_restricted, comment, comment_url, \
                      runtime_state, account_id) \
         ), compared AS ( \
             SELECT ou.id, ou.uuid, \
                    ou.offering_id AS old_offering_id, ou.user_id AS old_user_id, ou.username AS old_username, \
                    ou.state AS old_state, ou.is_restricted AS old_restricted, \
                    ou.service_provider_comment AS old_comment, ou.service_provider_comment_url AS old_comment_url, \
                    ou.runtime_state AS old_runtime_state, ou.service_provider_account_id AS old_account_id, \
                    d.offering_id, d.user_id, d.account_id, \
                    CASE WHEN $10 THEN d.runtime_state ELSE ou.runtime_state END AS runtime_state, \
                    CASE WHEN $10 THEN d.username ELSE ou.username END AS username, \
                    CASE WHEN $10 THEN d.state ELSE ou.state END AS state, \
                    CASE WHEN $10 THEN d.is_restricted ELSE ou.is_restricted END AS is_restricted, \
                    CASE WHEN $10 THEN d.comment ELSE ou.service_provider_comment END AS comment, \
                    CASE WHEN $10 THEN d.comment_url ELSE ou.service_provider_comment_url END AS comment_url, \
                    (ou.offering_id, ou.user_id, ou.service_provider_account_id) \
                    IS DISTINCT FROM (d.offering_id, d.user_id, d.account_id) AS relinked, \
                    (ou.username, ou.state, ou.is_restricted, ou.service_provider_comment, \
                     ou.service_provider_comment_url, ou.runtime_state) \
                    IS DISTINCT FROM (d.username, d.state, d.is_restricted, d.comment, d.comment_url, d.runtime_state) \
                    AS api_differs \
             FROM d JOIN offering_users ou ON ou.uuid = d.uuid \
         ), changed AS ( \
             SELECT * FROM compared WHERE relinked OR ($10 AND api_differs) \
         ), updated AS ( \
             UPDATE offering_users ou SET offering_id = c.offering_id, user_id = c.user_id, username = c.username, \
                 state = c.state, is_restricted = c.is_restricted, service_provider_comment = c.comment, \
                 service_provider_comment_url = c.comment_url, runtime_state = c.runtime_state, \
                 service_provider_account_id = c.account_id, modified = now() \
             FROM changed c WHERE ou.id = c.id \
             RETURNING ou.id \
         ), valued AS ( \
             SELECT c.uuid, c.offering_id, c.user_id, \
                 jsonb_build_object('offering', replace(old_o.uuid::text, '-', ''), 'user', replace(old_u.uuid::text, '-', ''), 'username', c.old_username, \
                     'state', ($9::text[])[c.old_state], 'is_restricted', c.old_restricted, \
                     'service_provider_comment', c.old_comment, \
                     'service_provider_comment_url', c.old_comment_url, 'runtime_state', c.old_runtime_state, \
                     'service_provider_account', (SELECT replace(a.uuid::text, '-', '') \
                         FROM service_provider_accounts a WHERE a.id = c.old_account_id)) AS old_values, \
                 jsonb_build_object('offering', replace(new_o.uuid::text, '-', ''), 'user', replace(new_u.uuid::text, '-', ''), 'username', c.username, \
                     'state', ($9::text[])[c.state], 'is_restricted', c.is_restricted, \
                     'service_provider_comment', c.comment, 'service_provider_comment_url', c.comment_url, \
                     'runtime_state', c.runtime_state, \
                     'service_provider_account', (SELECT replace(a.uuid::text, '-', '') \
                         FROM service_provider_accounts a WHERE a.id = c.account_id)) \
                     AS new_values \
             FROM changed c JOIN updated USING (id) \
             JOIN offerings old_o ON old_o.id = c.old_offering_id JOIN users old_u ON old_u.id = c.old_user_id \
             JOIN offerings new_o ON new_o.id = c.offering_id JOIN users new_u ON new_u.id = c.user_id \
         ), events AS ( \
             INSERT INTO audit_events (actor_id, offering_user_uuid, action, old_values, new_values, offering_id, user_id) \
             SELECT NULL, v.uuid, $11, \
                 (SELECT jsonb_object_agg(k, v.old_values -> k) FROM jsonb_object_keys(v.old_values) k \
                  WHERE v.old_values -> k IS DISTINCT FROM v.new_values -> k), \
                 (SELECT jsonb_object_agg(k, v.new_values -> k) FROM jsonb_object_keys(v.new_values) k \
                  WHERE v.old_values -> k IS DISTINCT FROM v.new_values -> k), \
                 v.offering_id, v.user_id \
             FROM valued v \
         ) \
         SELECT (SELECT count(*) FROM updated), \
                (SELECT count(*) FROM compared WHERE api_differs AND NOT $10)",
    ))
    .bind(&labels)
    .bind(overwrite)
    .bind(Action::Imported.stored())
    .bind(&columns.runtime_states)
    .bind(&columns.account_ids)
    .fetch_one(&mut *conn)
    .await?;
    let (updated, left_alone): (i64, i64) = (counted.try_get(0)?, counted.try_get(1)?);

    let created = columns
        .bind(sqlx::query(
            "INSERT INTO offering_users (uuid, offering_id, user_id, username, state, is_restricted, \
                                     service_provider_comment, service_provider_comment_url, runtime_state, \
                                     service_provider_account_id) \
         SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[], $5::smallint[], $6::bool[], \
                              $7::text[], $8::text[], $9::text[], $10::bigint[]) \
         ON CONFLICT (uuid) DO NOTHING",
        ))
        .bind(&columns.runtime_states)
        .bind(&columns.account_ids)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(OfferingUsersWritten { created, updated: updated as u64, left_alone: left_alone as u64 })
}

/// The rows as the eight arrays that both statements of [`write_offering_users`] take first
/// (`$1`–`$8`), and the two of the 2026 contract that each binds after its own.
struct Columns<'a> {
    uuids: Vec<Uuid>,
    offering_ids: Vec<i64>,
    user_ids: Vec<i64>,
    usernames: Vec<Option<&'a str>>,
    states: Vec<i16>,
    restricted: Vec<bool>,
    comments: Vec<&'a str>,
    comment_urls: Vec<&'a str>,
    runtime_states: Vec<&'a str>,
    account_ids: Vec<Option<i64>>,
}

impl<'a> Columns<'a> {
    fn of(rows: &[OfferingUserWrite<'a>]) -> Self {
        Columns {
            uuids: rows.iter().map(|e| e.uuid).collect(),
            offering_ids: rows.iter().map(|e| e.offering_id).collect(),
            user_ids: rows.iter().map(|e| e.user_id).collect(),
            usernames: rows.iter().map(|e| e.api.username).collect(),
            states: rows.iter().map(|e| e.api.state.db()).collect(),
            restricted: rows.iter().map(|e| e.api.is_restricted).collect(),
            comments: rows.iter().map(|e| e.api.service_provider_comment).collect(),
            comment_urls: rows.iter().map(|e| e.api.service_provider_comment_url).collect(),
            runtime_states: rows.iter().map(|e| e.api.runtime_state).collect(),
            account_ids: rows.iter().map(|e| e.service_provider_account_id).collect(),
        }
    }

    fn bind<'q>(&'q self, query: Query<'q, Postgres, PgArguments>) -> Query<'q, Postgres, PgArguments> {
        query
            .bind(&self.uuids)
            .bind(&self.offering_ids)
            .bind(&self.user_ids)
            .bind(&self.usernames)
            .bind(&self.states)
            .bind(&self.restricted)
            .bind(&self.comments)
            .bind(&self.comment_urls)
    }
}
