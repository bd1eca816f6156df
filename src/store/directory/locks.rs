//! The one lock order of the import: before it writes anything, it locks every existing
//! offering user it is going to write, in id order.
//!
//! The API's writes lock one offering-user row first (`FOR UPDATE` in
//! `store::offering_users::lock_for_action`, or the transition's own `UPDATE`) and then, through
//! foreign-key checks, a share lock on the rows it refers to: the acting user (the audit event)
//! and the offering (the count deltas of migration 0007). An import that updated users and
//! offerings first and offering users later took the same two kinds of lock in the opposite
//! order, and PostgreSQL broke the cycle by failing one of the two transactions. Taking the
//! offering users first makes the import's order the API's: offering user, then what it refers
//! to. Among offering users the import goes by id and the API takes one row, so no cycle is
//! left. Locking first rather than skipping locked rows (`SKIP LOCKED`) keeps the import's
//! contract: one transaction that writes every entry or nothing.
//!
//! The rows are those the import changes (docs/spec/decisions.md item 32): offering users
//! whose offering, user or provider account changes, and with `overwrite` those whose fields that the API changes
//! differ; those whose consent flag a changed consent rewrites (migration 0005's trigger);
//! those that get a new checklist completion because their offering's checklist changes; and
//! those whose search document or customer a renamed user or offering, or an offering moved to
//! another customer, rewrites (the triggers of migrations 0011 and 0016).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::offering_users::ApiOwned;

/// An offering user of the document, with its references as uuids (nothing is resolved yet).
#[derive(Debug, Clone)]
pub struct PlannedOfferingUser<'a> {
    pub uuid: Uuid,
    pub user: Uuid,
    pub offering: Uuid,
    pub api: ApiOwned<'a>,
    /// The uuid of the provider account backing it, if any.
    pub service_provider_account: Option<Uuid>,
}

/// A consent of the document, with its references as uuids.
#[derive(Debug, Clone)]
pub struct PlannedConsent<'a> {
    pub uuid: Uuid,
    pub user: Uuid,
    pub offering: Uuid,
    pub version: &'a str,
    pub agreement_date: Option<DateTime<Utc>>,
    pub revocation_date: Option<DateTime<Utc>>,
}

/// An offering of the document with its name, its customer and the uuid of its compliance
/// checklist: a new name or customer rewrites its offering users (their search document and
/// customer, migrations 0011 and 0016).
#[derive(Debug, Clone, Copy)]
pub struct PlannedOffering<'a> {
    pub uuid: Uuid,
    pub name: &'a str,
    pub customer: Uuid,
    pub checklist: Option<Uuid>,
}

/// A user of the document, with the fields the search document of his offering users holds.
#[derive(Debug, Clone, Copy)]
pub struct PlannedUser<'a> {
    pub uuid: Uuid,
    pub username: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
}

/// Locks, in id order and for the rest of the transaction, every existing offering user the
/// import of these entries is going to write; returns how many.
pub async fn lock_offering_users_to_write(
    conn: &mut PgConnection,
    offering_users: &[PlannedOfferingUser<'_>],
    consents: &[PlannedConsent<'_>],
    offerings: &[PlannedOffering<'_>],
    users: &[PlannedUser<'_>],
    overwrite: bool,
) -> sqlx::Result<u64> {
    let locked = sqlx::query(
        "SELECT id FROM offering_users WHERE id IN ( \
             SELECT ou.id \
             FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::smallint[], $6::bool[], $7::text[], \
                         $8::text[], $18::text[], $19::uuid[]) \
                  AS d(uuid, user_uuid, offering_uuid, username, state, is_restricted, comment, comment_url, \
                       runtime_state, account_uuid) \
             JOIN offering_users ou ON ou.uuid = d.uuid \
             JOIN users u ON u.id = ou.user_id JOIN offerings o ON o.id = ou.offering_id \
             LEFT JOIN service_provider_accounts a ON a.id = ou.service_provider_account_id \
             WHERE (u.uuid, o.uuid, a.uuid) IS DISTINCT FROM (d.user_uuid, d.offering_uuid, d.account_uuid) \
                OR ($9 AND (ou.username, ou.state, ou.is_restricted, ou.service_provider_comment, \
                            ou.service_provider_comment_url, ou.runtime_state) \
                           IS DISTINCT FROM (d.username, d.state, d.is_restricted, d.comment, d.comment_url, \
                                             d.runtime_state)) \
             UNION \
             SELECT ou.id \
             FROM unnest($10::uuid[], $11::uuid[], $12::uuid[], $13::text[], $14::timestamptz[], $15::timestamptz[]) \
                  AS c(uuid, user_uuid, offering_uuid, version, agreed, revoked) \
             LEFT JOIN consents s ON s.uuid = c.uuid \
             LEFT JOIN users u ON u.uuid = c.user_uuid LEFT JOIN offerings o ON o.uuid = c.offering_uuid \
             CROSS JOIN LATERAL (VALUES (u.id, o.id), (s.user_id, s.offering_id)) AS pair(user_id, offering_id) \
             JOIN offering_users ou ON ou.user_id = pair.user_id AND ou.offering_id = pair.offering_id \
             WHERE s.id IS NULL \
                OR (s.user_id, s.offering_id, s.version, s.revocation_date) \
                   IS DISTINCT FROM (u.id, o.id, c.version, c.revoked) \
                OR (c.agreed IS NOT NULL AND s.agreement_date <> c.agreed) \
             UNION \
             SELECT ou.id \
             FROM unnest($16::uuid[], $17::uuid[], $20::text[], $25::uuid[]) AS f(uuid, checklist_uuid, name, \
                                                                                 customer_uuid) \
             JOIN offerings o ON o.uuid = f.uuid \
             LEFT JOIN checklists k ON k.uuid = f.checklist_uuid \
             LEFT JOIN customers c ON c.uuid = f.customer_uuid \
             JOIN offering_users ou ON ou.offering_id = o.id \
             WHERE o.compliance_checklist_id IS DISTINCT FROM k.id \
                OR (f.checklist_uuid IS NOT NULL AND k.id IS NULL) \
                OR o.name <> f.name \
                OR o.customer_id IS DISTINCT FROM c.id \
             UNION \
             SELECT ou.id \
             FROM unnest($21::uuid[], $22::text[], $23::text[], $24::text[]) \
                  AS n(uuid, username, first_name, last_name) \
             JOIN users u ON u.uuid = n.uuid \
             JOIN offering_users ou ON ou.user_id = u.id \
             WHERE (u.username, u.first_name, u.last_name) <> (n.username, n.first_name, n.last_name) \
         ) ORDER BY id FOR UPDATE",
    )
    .bind(offering_users.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(offering_users.iter().map(|e| e.user).collect::<Vec<_>>())
    .bind(offering_users.iter().map(|e| e.offering).collect::<Vec<_>>())
    .bind(offering_users.iter().map(|e| e.api.username).collect::<Vec<_>>())
    .bind(offering_users.iter().map(|e| e.api.state.db()).collect::<Vec<_>>())
    .bind(offering_users.iter().map(|e| e.api.is_restricted).collect::<Vec<_>>())
    .bind(offering_users.iter().map(|e| e.api.service_provider_comment).collect::<Vec<_>>())
    .bind(offering_users.iter().map(|e| e.api.service_provider_comment_url).collect::<Vec<_>>())
    .bind(overwrite)
    .bind(consents.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(consents.iter().map(|e| e.user).collect::<Vec<_>>())
    .bind(consents.iter().map(|e| e.offering).collect::<Vec<_>>())
    .bind(consents.iter().map(|e| e.version).collect::<Vec<_>>())
    .bind(consents.iter().map(|e| e.agreement_date).collect::<Vec<_>>())
    .bind(consents.iter().map(|e| e.revocation_date).collect::<Vec<_>>())
    .bind(offerings.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(offerings.iter().map(|e| e.checklist).collect::<Vec<_>>())
    .bind(offering_users.iter().map(|e| e.api.runtime_state).collect::<Vec<_>>())
    .bind(offering_users.iter().map(|e| e.service_provider_account).collect::<Vec<_>>())
    .bind(offerings.iter().map(|e| e.name).collect::<Vec<_>>())
    .bind(users.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(users.iter().map(|e| e.username).collect::<Vec<_>>())
    .bind(users.iter().map(|e| e.first_name).collect::<Vec<_>>())
    .bind(users.iter().map(|e| e.last_name).collect::<Vec<_>>())
    .bind(offerings.iter().map(|e| e.customer).collect::<Vec<_>>())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(locked)
}
