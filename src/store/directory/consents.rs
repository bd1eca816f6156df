//! Terms of service of offerings and the consents of users to them.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{position, Written};

/// A terms-of-service version as the import writes it.
#[derive(Debug, Clone)]
pub struct TermsWrite<'a> {
    pub uuid: Uuid,
    pub offering_id: i64,
    pub version: &'a str,
    pub is_active: bool,
    pub requires_reconsent: bool,
    pub terms_of_service: &'a str,
    pub terms_of_service_link: &'a str,
    pub grace_period_days: i32,
}

/// The position in `terms` of the first active one whose offering already has another
/// active row in the database, one that `terms` does not name.
pub async fn first_clashing_active_terms(
    conn: &mut PgConnection,
    terms: &[TermsWrite<'_>],
) -> sqlx::Result<Option<usize>> {
    let ordinal: Option<i64> = sqlx::query_scalar(
        "SELECT d.ord FROM unnest($1::uuid[], $2::bigint[], $3::bool[]) WITH ORDINALITY AS d(uuid, offering_id, active, ord) \
         JOIN terms_of_service t ON t.offering_id = d.offering_id AND t.is_active AND t.uuid <> d.uuid \
         WHERE d.active AND t.uuid <> ALL($1::uuid[]) ORDER BY d.ord LIMIT 1",
    )
    .bind(terms.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(terms.iter().map(|e| e.offering_id).collect::<Vec<_>>())
    .bind(terms.iter().map(|e| e.is_active).collect::<Vec<_>>())
    .fetch_optional(conn)
    .await?;
    Ok(ordinal.map(position))
}

/// Inserts the terms of service, or updates those whose values differ.
pub async fn upsert_terms(conn: &mut PgConnection, terms: &[TermsWrite<'_>]) -> sqlx::Result<Written> {
    let uuids: Vec<Uuid> = terms.iter().map(|e| e.uuid).collect();
    let active: Vec<bool> = terms.iter().map(|e| e.is_active).collect();
    // Deactivate first, so that moving "active" between two rows of one offering never
    // trips the one-active-row constraint halfway.
    sqlx::query(
        "UPDATE terms_of_service SET is_active = false, modified = now() \
         FROM unnest($1::uuid[], $2::bool[]) AS d(uuid, active) \
         WHERE terms_of_service.uuid = d.uuid AND terms_of_service.is_active AND NOT d.active",
    )
    .bind(&uuids)
    .bind(&active)
    .execute(&mut *conn)
    .await?;
    let flags: Vec<bool> = sqlx::query_scalar(
        "INSERT INTO terms_of_service (uuid, offering_id, version, is_active, requires_reconsent, terms_of_service, \
                                      terms_of_service_link, grace_period_days) \
         SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bool[], $5::bool[], $6::text[], $7::text[], \
                              $8::int[]) \
         ON CONFLICT (uuid) DO UPDATE SET offering_id = EXCLUDED.offering_id, version = EXCLUDED.version, \
             is_active = EXCLUDED.is_active, requires_reconsent = EXCLUDED.requires_reconsent, \
             terms_of_service = EXCLUDED.terms_of_service, terms_of_service_link = EXCLUDED.terms_of_service_link, \
             grace_period_days = EXCLUDED.grace_period_days, modified = now() \
         WHERE (terms_of_service.offering_id, terms_of_service.version, terms_of_service.is_active, \
                terms_of_service.requires_reconsent, terms_of_service.terms_of_service, \
                terms_of_service.terms_of_service_link, terms_of_service.grace_period_days) \
               IS DISTINCT FROM (EXCLUDED.offering_id, EXCLUDED.version, EXCLUDED.is_active, \
                EXCLUDED.requires_reconsent, EXCLUDED.terms_of_service, EXCLUDED.terms_of_service_link, \
                EXCLUDED.grace_period_days) \
         RETURNING (xmax = 0)",
    )
    .bind(&uuids)
    .bind(terms.iter().map(|e| e.offering_id).collect::<Vec<_>>())
    .bind(terms.iter().map(|e| e.version).collect::<Vec<_>>())
    .bind(&active)
    .bind(terms.iter().map(|e| e.requires_reconsent).collect::<Vec<_>>())
    .bind(terms.iter().map(|e| e.terms_of_service).collect::<Vec<_>>())
    .bind(terms.iter().map(|e| e.terms_of_service_link).collect::<Vec<_>>())
    .bind(terms.iter().map(|e| e.grace_period_days).collect::<Vec<_>>())
    .fetch_all(conn)
    .await?;
    Ok(Written::from_inserted_flags(&flags))
}

/// A user's consent to an offering's terms, as the import writes it.
#[derive(Debug, Clone)]
pub struct ConsentWrite<'a> {
    pub uuid: Uuid,
    pub user_id: i64,
    pub offering_id: i64,
    pub version: &'a str,
    /// `None`: now, for a new consent; an existing one keeps its date.
    pub agreement_date: Option<DateTime<Utc>>,
    pub revocation_date: Option<DateTime<Utc>>,
}

/// The position in `consents` of the first one whose user already has another consent
/// (another uuid) for the same offering in the database.
pub async fn first_clashing_consent(
    conn: &mut PgConnection,
    consents: &[ConsentWrite<'_>],
) -> sqlx::Result<Option<usize>> {
    let ordinal: Option<i64> = sqlx::query_scalar(
        "SELECT d.ord FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS d(uuid, user_id, offering_id, ord) \
         JOIN consents c ON c.user_id = d.user_id AND c.offering_id = d.offering_id AND c.uuid <> d.uuid \
         ORDER BY d.ord LIMIT 1",
    )
    .bind(consents.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(consents.iter().map(|e| e.user_id).collect::<Vec<_>>())
    .bind(consents.iter().map(|e| e.offering_id).collect::<Vec<_>>())
    .fetch_optional(conn)
    .await?;
    Ok(ordinal.map(position))
}

/// Inserts the consents, or updates those whose values differ; an agreement date that is
/// given and differs is applied too (and counts as an update).
pub async fn upsert_consents(conn: &mut PgConnection, consents: &[ConsentWrite<'_>]) -> sqlx::Result<Written> {
    let uuids: Vec<Uuid> = consents.iter().map(|e| e.uuid).collect();
    let agreed: Vec<Option<DateTime<Utc>>> = consents.iter().map(|e| e.agreement_date).collect();
    let flags: Vec<bool> = sqlx::query_scalar(
        "INSERT INTO consents (uuid, user_id, offering_id, version, agreement_date, revocation_date) \
         SELECT d.uuid, d.user_id, d.offering_id, d.version, coalesce(d.agreed, now()), d.revoked \
         FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[], $6::timestamptz[]) \
              AS d(uuid, user_id, offering_id, version, agreed, revoked) \
         ON CONFLICT (uuid) DO UPDATE SET user_id = EXCLUDED.user_id, offering_id = EXCLUDED.offering_id, \
             version = EXCLUDED.version, revocation_date = EXCLUDED.revocation_date \
         WHERE (consents.user_id, consents.offering_id, consents.version, consents.revocation_date) \
               IS DISTINCT FROM (EXCLUDED.user_id, EXCLUDED.offering_id, EXCLUDED.version, EXCLUDED.revocation_date) \
         RETURNING (xmax = 0)",
    )
    .bind(&uuids)
    .bind(consents.iter().map(|e| e.user_id).collect::<Vec<_>>())
    .bind(consents.iter().map(|e| e.offering_id).collect::<Vec<_>>())
    .bind(consents.iter().map(|e| e.version).collect::<Vec<_>>())
    .bind(&agreed)
    .bind(consents.iter().map(|e| e.revocation_date).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    let redated = sqlx::query(
        "UPDATE consents SET agreement_date = d.agreed FROM unnest($1::uuid[], $2::timestamptz[]) AS d(uuid, agreed) \
         WHERE consents.uuid = d.uuid AND d.agreed IS NOT NULL AND consents.agreement_date <> d.agreed",
    )
    .bind(&uuids)
    .bind(&agreed)
    .execute(conn)
    .await?
    .rows_affected();
    let written = Written::from_inserted_flags(&flags);
    Ok(Written { updated: written.updated.max(redated), ..written })
}
