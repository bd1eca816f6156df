//! Offering users preloaded by the import, stored with the state the document gives
//! (docs/spec/directory.md, "The document").

use sqlx::PgConnection;
use uuid::Uuid;

use super::{position, Written};
use crate::domain::state::State;

/// An offering user as the import writes it.
#[derive(Debug, Clone)]
pub struct OfferingUserWrite<'a> {
    pub uuid: Uuid,
    pub offering_id: i64,
    pub user_id: i64,
    pub username: Option<&'a str>,
    pub state: State,
    pub is_restricted: bool,
    pub service_provider_comment: &'a str,
    pub service_provider_comment_url: &'a str,
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

/// Inserts the offering users, or updates those whose values differ.
pub async fn upsert_offering_users(conn: &mut PgConnection, rows: &[OfferingUserWrite<'_>]) -> sqlx::Result<Written> {
    let flags: Vec<bool> = sqlx::query_scalar(
        "INSERT INTO offering_users (uuid, offering_id, user_id, username, state, is_restricted, \
                                     service_provider_comment, service_provider_comment_url) \
         SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[], $5::smallint[], $6::bool[], \
                              $7::text[], $8::text[]) \
         ON CONFLICT (uuid) DO UPDATE SET offering_id = EXCLUDED.offering_id, user_id = EXCLUDED.user_id, \
             username = EXCLUDED.username, state = EXCLUDED.state, is_restricted = EXCLUDED.is_restricted, \
             service_provider_comment = EXCLUDED.service_provider_comment, \
             service_provider_comment_url = EXCLUDED.service_provider_comment_url, modified = now() \
         WHERE (offering_users.offering_id, offering_users.user_id, offering_users.username, offering_users.state, \
                offering_users.is_restricted, offering_users.service_provider_comment, \
                offering_users.service_provider_comment_url) \
               IS DISTINCT FROM (EXCLUDED.offering_id, EXCLUDED.user_id, EXCLUDED.username, EXCLUDED.state, \
                EXCLUDED.is_restricted, EXCLUDED.service_provider_comment, EXCLUDED.service_provider_comment_url) \
         RETURNING (xmax = 0)",
    )
    .bind(rows.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| e.offering_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| e.user_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| e.username).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| e.state.db()).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| e.is_restricted).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| e.service_provider_comment).collect::<Vec<_>>())
    .bind(rows.iter().map(|e| e.service_provider_comment_url).collect::<Vec<_>>())
    .fetch_all(conn)
    .await?;
    Ok(Written::from_inserted_flags(&flags))
}
