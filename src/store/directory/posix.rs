//! The POSIX writes of the import (docs/spec/offering-users-2026.md §9; docs/spec/decisions.md
//! item 32): pools and project groups (the directory's: upserted by uuid), the POSIX attributes
//! of offering users (the API's once the record exists), and the ledger derived from both.

use serde_json::Value;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::{position, Written};
use crate::store::audit::Action;
use crate::store::fragments::RESOLVED_POOL_OF_O;

/// A pool as the import writes it; its scope already an id.
#[derive(Debug, Clone)]
pub struct PoolWrite<'a> {
    pub uuid: Uuid,
    pub customer_id: Option<i64>,
    pub offering_id: Option<i64>,
    pub description: &'a str,
    /// (min, max, next) of the UID, GID and project-group GID ranges.
    pub ranges: [(Option<i64>, Option<i64>, Option<i64>); 3],
}

/// The position of the first pool whose customer or offering already has another pool (by uuid).
pub async fn first_clashing_pool(conn: &mut PgConnection, rows: &[PoolWrite<'_>]) -> sqlx::Result<Option<usize>> {
    let ordinal: Option<i64> = sqlx::query_scalar(
        "SELECT d.ord FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS d(uuid, customer_id, offering_id, ord) \
         JOIN posix_id_pools p ON p.uuid <> d.uuid AND (p.customer_id = d.customer_id OR p.offering_id = d.offering_id) \
         ORDER BY d.ord LIMIT 1",
    )
    .bind(rows.iter().map(|r| r.uuid).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.customer_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.offering_id).collect::<Vec<_>>())
    .fetch_optional(conn)
    .await?;
    Ok(ordinal.map(position))
}

/// Inserts the pools, or updates those whose values differ; a missing `next_*` is its `min_*`.
pub async fn upsert_pools(conn: &mut PgConnection, rows: &[PoolWrite<'_>]) -> sqlx::Result<Written> {
    let column = |range: usize, part: usize| -> Vec<Option<i64>> {
        rows.iter()
            .map(|r| {
                let (min, max, next) = r.ranges[range];
                [min, max, next.or(min)][part]
            })
            .collect()
    };
    let flags: Vec<bool> = sqlx::query_scalar(
        "INSERT INTO posix_id_pools (uuid, customer_id, offering_id, description, min_uid, max_uid, next_uid, \
             min_gid, max_gid, next_gid, min_group_gid, max_group_gid, next_group_gid) \
         SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], \
             $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[]) \
         ON CONFLICT (uuid) DO UPDATE SET customer_id = EXCLUDED.customer_id, offering_id = EXCLUDED.offering_id, \
             description = EXCLUDED.description, min_uid = EXCLUDED.min_uid, max_uid = EXCLUDED.max_uid, \
             next_uid = EXCLUDED.next_uid, min_gid = EXCLUDED.min_gid, max_gid = EXCLUDED.max_gid, \
             next_gid = EXCLUDED.next_gid, min_group_gid = EXCLUDED.min_group_gid, \
             max_group_gid = EXCLUDED.max_group_gid, next_group_gid = EXCLUDED.next_group_gid \
         WHERE (posix_id_pools.customer_id, posix_id_pools.offering_id, posix_id_pools.description, \
                posix_id_pools.min_uid, posix_id_pools.max_uid, posix_id_pools.next_uid, posix_id_pools.min_gid, \
                posix_id_pools.max_gid, posix_id_pools.next_gid, posix_id_pools.min_group_gid, \
                posix_id_pools.max_group_gid, posix_id_pools.next_group_gid) \
               IS DISTINCT FROM (EXCLUDED.customer_id, EXCLUDED.offering_id, EXCLUDED.description, \
                EXCLUDED.min_uid, EXCLUDED.max_uid, EXCLUDED.next_uid, EXCLUDED.min_gid, EXCLUDED.max_gid, \
                EXCLUDED.next_gid, EXCLUDED.min_group_gid, EXCLUDED.max_group_gid, EXCLUDED.next_group_gid) \
         RETURNING (xmax = 0)",
    )
    .bind(rows.iter().map(|r| r.uuid).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.customer_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.offering_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.description).collect::<Vec<_>>())
    .bind(column(0, 0))
    .bind(column(0, 1))
    .bind(column(0, 2))
    .bind(column(1, 0))
    .bind(column(1, 1))
    .bind(column(1, 2))
    .bind(column(2, 0))
    .bind(column(2, 1))
    .bind(column(2, 2))
    .fetch_all(conn)
    .await?;
    Ok(Written::from_inserted_flags(&flags))
}

/// A pool of `uuids` whose range overlaps a range of the same namespace (UIDs; GIDs, primary and
/// project-group alike) of another pool of the same provider (the customer's pool and the pools
/// of its offerings): (position in `uuids`, the other pool's uuid).
pub async fn first_overlapping_pool(conn: &mut PgConnection, uuids: &[Uuid]) -> sqlx::Result<Option<(usize, Uuid)>> {
    let row = sqlx::query(
        "WITH pools AS ( \
             SELECT p.id, p.uuid, coalesce(p.customer_id, o.customer_id) AS provider_id, \
                 p.min_uid, p.max_uid, p.min_gid, p.max_gid, p.min_group_gid, p.max_group_gid \
             FROM posix_id_pools p LEFT JOIN offerings o ON o.id = p.offering_id), \
         ranges AS ( \
             SELECT id, uuid, provider_id, 'uid' AS ns, min_uid AS lo, max_uid AS hi FROM pools WHERE min_uid IS NOT NULL \
             UNION ALL SELECT id, uuid, provider_id, 'gid', min_gid, max_gid FROM pools WHERE min_gid IS NOT NULL \
             UNION ALL SELECT id, uuid, provider_id, 'gid', min_group_gid, max_group_gid FROM pools \
                 WHERE min_group_gid IS NOT NULL) \
         SELECT d.ord, b.uuid AS other FROM unnest($1::uuid[]) WITH ORDINALITY AS d(uuid, ord) \
         JOIN ranges a ON a.uuid = d.uuid \
         JOIN ranges b ON b.provider_id = a.provider_id AND b.ns = a.ns AND b.id <> a.id \
             AND a.lo <= b.hi AND b.lo <= a.hi \
         ORDER BY d.ord LIMIT 1",
    )
    .bind(uuids)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok((position(r.try_get("ord")?), r.try_get("other")?))).transpose()
}

/// A project group as the import writes it; its references already ids.
#[derive(Debug, Clone)]
pub struct GroupWrite<'a> {
    pub uuid: Uuid,
    pub kind: &'a str,
    pub offering_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// A provider group's project.
    pub project_id: Option<i64>,
    pub name: Option<&'a str>,
    pub gid: Option<i64>,
    /// A project group's projects.
    pub projects: Vec<i64>,
}

/// The position of the first provider group whose name (ignoring case) another group of the
/// same customer already has.
pub async fn first_clashing_group_name(
    conn: &mut PgConnection,
    rows: &[GroupWrite<'_>],
) -> sqlx::Result<Option<usize>> {
    let ordinal: Option<i64> = sqlx::query_scalar(
        "SELECT d.ord FROM unnest($1::uuid[], $2::bigint[], $3::text[]) WITH ORDINALITY AS d(uuid, customer_id, name, ord) \
         JOIN posix_groups g ON g.kind = 'provider_project_group' AND g.uuid <> d.uuid \
             AND g.customer_id = d.customer_id AND lower(g.name) = lower(d.name) \
         ORDER BY d.ord LIMIT 1",
    )
    .bind(rows.iter().map(|r| r.uuid).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.customer_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.name).collect::<Vec<_>>())
    .fetch_optional(conn)
    .await?;
    Ok(ordinal.map(position))
}

/// Inserts the groups, or updates those whose values differ, and sets each project group's
/// projects to those given.
pub async fn upsert_groups(conn: &mut PgConnection, rows: &[GroupWrite<'_>]) -> sqlx::Result<Written> {
    let upserted: Vec<(Uuid, bool)> = sqlx::query_as(
        "INSERT INTO posix_groups (uuid, kind, offering_id, customer_id, project_id, name, gid) \
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[]) \
         ON CONFLICT (uuid) DO UPDATE SET kind = EXCLUDED.kind, offering_id = EXCLUDED.offering_id, \
             customer_id = EXCLUDED.customer_id, project_id = EXCLUDED.project_id, name = EXCLUDED.name, \
             gid = EXCLUDED.gid \
         WHERE (posix_groups.kind, posix_groups.offering_id, posix_groups.customer_id, posix_groups.project_id, \
                posix_groups.name, posix_groups.gid) \
               IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.offering_id, EXCLUDED.customer_id, EXCLUDED.project_id, \
                EXCLUDED.name, EXCLUDED.gid) \
         RETURNING uuid, (xmax = 0)",
    )
    .bind(rows.iter().map(|r| r.uuid).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.kind).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.offering_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.customer_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.project_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.name).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.gid).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    let flags: Vec<bool> = upserted.iter().map(|(_, inserted)| *inserted).collect();
    let mut written = Written::from_inserted_flags(&flags);

    let (groups, projects): (Vec<Uuid>, Vec<i64>) =
        rows.iter().flat_map(|r| r.projects.iter().map(move |p| (r.uuid, *p))).unzip();
    let changed: Vec<Uuid> = sqlx::query_scalar(
        "WITH d AS (SELECT g.id AS group_id, d.project_id FROM unnest($2::uuid[], $3::bigint[]) AS d(uuid, project_id) \
                    JOIN posix_groups g ON g.uuid = d.uuid), \
         gone AS (DELETE FROM posix_group_projects gp USING posix_groups g \
                  WHERE g.id = gp.group_id AND g.uuid = ANY($1) \
                    AND NOT EXISTS (SELECT 1 FROM d WHERE d.group_id = gp.group_id AND d.project_id = gp.project_id) \
                  RETURNING gp.group_id), \
         added AS (INSERT INTO posix_group_projects (group_id, project_id) SELECT DISTINCT group_id, project_id FROM d \
                   ON CONFLICT DO NOTHING RETURNING group_id) \
         SELECT DISTINCT g.uuid FROM posix_groups g WHERE g.id IN (SELECT group_id FROM gone UNION SELECT group_id FROM added)",
    )
    .bind(rows.iter().map(|r| r.uuid).collect::<Vec<_>>())
    .bind(groups)
    .bind(projects)
    .fetch_all(conn)
    .await?;
    // A group whose projects alone changed is an updated group (a new or updated one is
    // counted once).
    written.updated += changed.iter().filter(|uuid| !upserted.iter().any(|(u, _)| u == *uuid)).count() as u64;
    Ok(written)
}

/// The POSIX keys of one offering-user entry: what to set and what to remove in its
/// `backend_metadata`.
#[derive(Debug, Clone)]
pub struct MetadataWrite {
    pub uuid: Uuid,
    /// An object of the keys to set.
    pub set: Value,
    /// The keys to remove.
    pub remove: Vec<String>,
}

/// What writing the POSIX keys did to offering users that existed before the import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetadataWritten {
    /// Existing rows changed (with `overwrite`), each with its audit event.
    pub updated: u64,
    /// Existing rows whose POSIX keys differ from the document, left as they are.
    pub left_alone: u64,
}

/// Writes the POSIX keys into `backend_metadata`: always for the rows this transaction created
/// (`created = now()`: `now()` is the transaction's start), for older rows only with
/// `overwrite`, each changed older row with an [`Action::Imported`] event of the keys that
/// changed (docs/spec/decisions.md item 32).
pub async fn write_posix_metadata(
    conn: &mut PgConnection,
    rows: &[MetadataWrite],
    overwrite: bool,
) -> sqlx::Result<MetadataWritten> {
    let row = sqlx::query(
        "WITH d AS (SELECT * FROM unnest($1::uuid[], $2::jsonb[], $3::text[]) AS d(uuid, set_keys, remove_keys)), \
         compared AS ( \
             SELECT ou.id, ou.uuid, ou.offering_id, ou.user_id, ou.created = now() AS created_now, \
                 ou.backend_metadata AS old, \
                 (ou.backend_metadata - (SELECT coalesce(array_agg(k), '{}') FROM jsonb_array_elements_text(d.remove_keys::jsonb) k)) \
                     || d.set_keys AS new \
             FROM d JOIN offering_users ou ON ou.uuid = d.uuid), \
         changed AS (SELECT * FROM compared WHERE old IS DISTINCT FROM new AND (created_now OR $4)), \
         updated AS (UPDATE offering_users ou SET backend_metadata = c.new, \
                         modified = CASE WHEN c.created_now THEN ou.modified ELSE now() END \
                     FROM changed c WHERE ou.id = c.id RETURNING ou.id), \
         events AS ( \
             INSERT INTO audit_events (actor_id, offering_user_uuid, action, old_values, new_values, offering_id, user_id) \
             SELECT NULL, c.uuid, $5, \
                 (SELECT coalesce(jsonb_object_agg(k, c.old -> k), '{}') FROM jsonb_object_keys(c.old || c.new) k \
                  WHERE c.old -> k IS DISTINCT FROM c.new -> k), \
                 (SELECT coalesce(jsonb_object_agg(k, c.new -> k), '{}') FROM jsonb_object_keys(c.old || c.new) k \
                  WHERE c.old -> k IS DISTINCT FROM c.new -> k), \
                 c.offering_id, c.user_id \
             FROM changed c JOIN updated USING (id) WHERE NOT c.created_now) \
         SELECT (SELECT count(*) FROM changed WHERE NOT created_now), \
                (SELECT count(*) FROM compared WHERE old IS DISTINCT FROM new AND NOT created_now AND NOT $4)",
    )
    .bind(rows.iter().map(|r| r.uuid).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.set.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| Value::from(r.remove.clone()).to_string()).collect::<Vec<_>>())
    .bind(overwrite)
    .bind(Action::Imported.stored())
    .fetch_one(conn)
    .await?;
    let (updated, left_alone): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    Ok(MetadataWritten { updated: updated as u64, left_alone: left_alone as u64 })
}

/// An offering user of the document as the ledger sees it: its values now stored, and the
/// pool its offering resolves to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LedgerAccount {
    /// The entry's position in the document's `offering_users`.
    pub ord: i64,
    pub user_id: i64,
    pub user_uuid: Uuid,
    pub offering_id: i64,
    pub plugin_options: Value,
    pub backend_metadata: Value,
    pub pool_id: Option<i64>,
    pub pool_uuid: Option<Uuid>,
    pub min_uid: Option<i64>,
    pub max_uid: Option<i64>,
    pub min_gid: Option<i64>,
    pub max_gid: Option<i64>,
}

/// The offering users `uuids` (one-based `ord` in that order), as [`LedgerAccount`]s.
pub async fn ledger_accounts(conn: &mut PgConnection, uuids: &[Uuid]) -> sqlx::Result<Vec<LedgerAccount>> {
    sqlx::query_as(&format!(
        "SELECT d.ord, ou.user_id, u.uuid AS user_uuid, ou.offering_id, o.plugin_options, ou.backend_metadata, \
             pl.id AS pool_id, pl.uuid AS pool_uuid, pl.min_uid, pl.max_uid, pl.min_gid, pl.max_gid \
         FROM unnest($1::uuid[]) WITH ORDINALITY AS d(uuid, ord) \
         JOIN offering_users ou ON ou.uuid = d.uuid JOIN users u ON u.id = ou.user_id \
         JOIN offerings o ON o.id = ou.offering_id \
         LEFT JOIN posix_id_pools pl ON pl.id = {RESOLVED_POOL_OF_O} \
         ORDER BY d.ord"
    ))
    .bind(uuids)
    .fetch_all(conn)
    .await
}

/// A group of the document as the ledger sees it: its GID and the pool that may track it
/// (a project group's offering's pool; a provider group's customer's pool).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LedgerGroup {
    pub ord: i64,
    pub group_id: i64,
    pub uuid: Uuid,
    pub gid: Option<i64>,
    pub pool_id: Option<i64>,
    pub pool_uuid: Option<Uuid>,
    pub min_gid: Option<i64>,
    pub max_gid: Option<i64>,
    pub min_group_gid: Option<i64>,
    pub max_group_gid: Option<i64>,
}

/// The groups `uuids` (one-based `ord` in that order), as [`LedgerGroup`]s.
pub async fn ledger_groups(conn: &mut PgConnection, uuids: &[Uuid]) -> sqlx::Result<Vec<LedgerGroup>> {
    sqlx::query_as(&format!(
        "SELECT d.ord, g.id AS group_id, g.uuid, g.gid, pl.id AS pool_id, pl.uuid AS pool_uuid, pl.min_gid, pl.max_gid, \
             pl.min_group_gid, pl.max_group_gid \
         FROM unnest($1::uuid[]) WITH ORDINALITY AS d(uuid, ord) JOIN posix_groups g ON g.uuid = d.uuid \
         LEFT JOIN offerings o ON o.id = g.offering_id \
         LEFT JOIN posix_id_pools pl ON pl.id = CASE WHEN g.kind = 'project_group' THEN {RESOLVED_POOL_OF_O} \
             ELSE (SELECT rp.id FROM posix_id_pools rp WHERE rp.customer_id = g.customer_id) END \
         ORDER BY d.ord"
    ))
    .bind(uuids)
    .fetch_all(conn)
    .await
}

/// An identity the ledger wants: a user's (uid and/or gid) or a group's (gid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityWrite {
    pub pool_id: i64,
    pub user_id: Option<i64>,
    pub group_id: Option<i64>,
    pub offering_id: Option<i64>,
    pub uid: Option<i64>,
    pub gid: Option<i64>,
}

/// Locks the pools `ids` in id order (as a pin through the API does: `FOR NO KEY UPDATE`), so
/// that no pin commits a value between the ledger's check and its write.
pub async fn lock_pools(conn: &mut PgConnection, ids: &[i64]) -> sqlx::Result<()> {
    sqlx::query("SELECT id FROM posix_id_pools WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE")
        .bind(ids)
        .execute(conn)
        .await?;
    Ok(())
}

/// Who holds a value, when it is not the identity that wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    User(Uuid),
    Group(Uuid),
}

/// The first wanted identity (its position) whose uid or gid an active identity of another
/// holder already holds in the pool, with that holder and whether the gid (else the uid) clashed.
pub async fn first_held_value(
    conn: &mut PgConnection,
    wanted: &[IdentityWrite],
) -> sqlx::Result<Option<(usize, bool, Holder)>> {
    let row = sqlx::query(
        "SELECT d.ord, d.gid IS NOT NULL AND i.gid = d.gid AS on_gid, u.uuid AS user_uuid, g.uuid AS group_uuid \
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) WITH ORDINALITY \
             AS d(pool_id, user_id, group_id, uid, gid, ord) \
         JOIN posix_identities i ON i.pool_id = d.pool_id AND i.released_at IS NULL \
             AND (i.uid = d.uid OR i.gid = d.gid) \
             AND (i.user_id IS DISTINCT FROM d.user_id OR i.group_id IS DISTINCT FROM d.group_id) \
         LEFT JOIN users u ON u.id = i.user_id LEFT JOIN posix_groups g ON g.id = i.group_id \
         ORDER BY d.ord LIMIT 1",
    )
    .bind(wanted.iter().map(|w| w.pool_id).collect::<Vec<_>>())
    .bind(wanted.iter().map(|w| w.user_id).collect::<Vec<_>>())
    .bind(wanted.iter().map(|w| w.group_id).collect::<Vec<_>>())
    .bind(wanted.iter().map(|w| w.uid).collect::<Vec<_>>())
    .bind(wanted.iter().map(|w| w.gid).collect::<Vec<_>>())
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let holder = match (row.try_get::<Option<Uuid>, _>("user_uuid")?, row.try_get::<Option<Uuid>, _>("group_uuid")?) {
        (Some(user), _) => Holder::User(user),
        (None, Some(group)) => Holder::Group(group),
        (None, None) => return Ok(None),
    };
    Ok(Some((position(row.try_get("ord")?), row.try_get("on_gid")?, holder)))
}

/// Releases the active identities of `groups` that the ledger no longer wants (another pool
/// or gid, or none), then sets every wanted identity: the holder's active identity in the pool
/// takes the wanted values (a user's `None` keeps what it holds), or one is created.
pub async fn save_identities(conn: &mut PgConnection, groups: &[i64], wanted: &[IdentityWrite]) -> sqlx::Result<()> {
    let pools: Vec<i64> = wanted.iter().map(|w| w.pool_id).collect();
    let users: Vec<Option<i64>> = wanted.iter().map(|w| w.user_id).collect();
    let group_ids: Vec<Option<i64>> = wanted.iter().map(|w| w.group_id).collect();
    let offerings: Vec<Option<i64>> = wanted.iter().map(|w| w.offering_id).collect();
    let uids: Vec<Option<i64>> = wanted.iter().map(|w| w.uid).collect();
    let gids: Vec<Option<i64>> = wanted.iter().map(|w| w.gid).collect();
    sqlx::query(
        "UPDATE posix_identities i SET released_at = now() WHERE i.group_id = ANY($1) AND i.released_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS d(pool_id, group_id, gid) \
                         WHERE d.group_id = i.group_id AND d.pool_id = i.pool_id AND d.gid = i.gid)",
    )
    .bind(groups)
    .bind(&pools)
    .bind(&group_ids)
    .bind(&gids)
    .execute(&mut *conn)
    .await?;
    // The INSERT sees the rows as they were before the UPDATE: a holder with an active
    // identity gets no new one.
    sqlx::query(
        "WITH d AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) \
                    AS d(pool_id, user_id, group_id, offering_id, uid, gid)), \
         updated AS ( \
             UPDATE posix_identities i SET uid = coalesce(d.uid, i.uid), gid = coalesce(d.gid, i.gid) FROM d \
             WHERE i.pool_id = d.pool_id AND i.released_at IS NULL \
               AND (i.user_id = d.user_id OR i.group_id = d.group_id) \
               AND (i.uid, i.gid) IS DISTINCT FROM (coalesce(d.uid, i.uid), coalesce(d.gid, i.gid)) \
             RETURNING i.id) \
         INSERT INTO posix_identities (uuid, pool_id, user_id, group_id, offering_id, uid, gid) \
         SELECT gen_random_uuid(), d.pool_id, d.user_id, d.group_id, d.offering_id, d.uid, d.gid FROM d \
         WHERE NOT EXISTS (SELECT 1 FROM posix_identities i WHERE i.pool_id = d.pool_id AND i.released_at IS NULL \
                           AND (i.user_id = d.user_id OR i.group_id = d.group_id))",
    )
    .bind(&pools)
    .bind(&users)
    .bind(&group_ids)
    .bind(&offerings)
    .bind(&uids)
    .bind(&gids)
    .execute(conn)
    .await?;
    Ok(())
}
