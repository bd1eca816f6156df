//! The import's writes for the 2026 contract (docs/spec/offering-users-2026.md §9): users'
//! profile attributes, offerings' exposure configs and service-provider accounts. Like the
//! other kinds, one batched statement each, writing only the rows whose values differ.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{position, Written};

/// A user's profile attributes as the import writes them (lists as JSON text).
#[derive(Debug, Clone)]
pub struct ProfileWrite<'a> {
    pub uuid: Uuid,
    /// The 14 free strings, in [`PROFILE_STRINGS`]' order.
    pub strings: [&'a str; 14],
    /// The 4 lists, in [`PROFILE_LISTS`]' order, each a JSON array of strings as text.
    pub lists: [String; 4],
    pub gender: Option<&'a str>,
    pub civil_number: Option<&'a str>,
    pub birth_date: Option<NaiveDate>,
    pub registration_method: &'a str,
    pub uid_number: Option<i64>,
    pub primary_gid: Option<i64>,
}

/// The columns of [`ProfileWrite::strings`], in order.
pub const PROFILE_STRINGS: [&str; 14] = [
    "phone_number",
    "organization",
    "job_title",
    "personal_title",
    "place_of_birth",
    "address",
    "country_of_residence",
    "nationality",
    "organization_country",
    "organization_type",
    "organization_registry_code",
    "organization_vat_code",
    "organization_address",
    "identity_source",
];

/// The columns of [`ProfileWrite::lists`], in order.
pub const PROFILE_LISTS: [&str; 4] = ["affiliations", "nationalities", "eduperson_assurance", "active_isds"];

/// Sets the users' profile attributes where they differ; returns the ids of the users changed.
/// Runs after the users' upsert, so new users are there (with the unset values) too.
pub async fn save_user_profiles(conn: &mut PgConnection, profiles: &[ProfileWrite<'_>]) -> sqlx::Result<Vec<i64>> {
    let mut qb = sqlx::QueryBuilder::new("UPDATE users SET ");
    let columns: Vec<&str> = PROFILE_STRINGS
        .iter()
        .chain(PROFILE_LISTS.iter())
        .chain(["gender", "civil_number", "birth_date", "registration_method", "uid_number", "primary_gid"].iter())
        .copied()
        .collect();
    let lists = |name: &str| PROFILE_LISTS.contains(&name);
    let assignments: Vec<String> =
        columns.iter().map(|c| if lists(c) { format!("{c} = d.{c}::jsonb") } else { format!("{c} = d.{c}") }).collect();
    qb.push(assignments.join(", "));
    qb.push(" FROM unnest(");
    let mut separated = qb.separated(", ");
    separated.push_bind(profiles.iter().map(|p| p.uuid).collect::<Vec<_>>());
    for i in 0..PROFILE_STRINGS.len() {
        separated.push_bind(profiles.iter().map(|p| p.strings[i].to_owned()).collect::<Vec<_>>());
        separated.push_unseparated("::text[]");
    }
    for i in 0..PROFILE_LISTS.len() {
        separated.push_bind(profiles.iter().map(|p| p.lists[i].clone()).collect::<Vec<_>>());
        separated.push_unseparated("::text[]");
    }
    separated.push_bind(profiles.iter().map(|p| p.gender.map(str::to_owned)).collect::<Vec<_>>());
    separated.push_unseparated("::text[]");
    separated.push_bind(profiles.iter().map(|p| p.civil_number.map(str::to_owned)).collect::<Vec<_>>());
    separated.push_unseparated("::text[]");
    separated.push_bind(profiles.iter().map(|p| p.birth_date).collect::<Vec<_>>());
    separated.push_unseparated("::date[]");
    separated.push_bind(profiles.iter().map(|p| p.registration_method.to_owned()).collect::<Vec<_>>());
    separated.push_unseparated("::text[]");
    separated.push_bind(profiles.iter().map(|p| p.uid_number).collect::<Vec<_>>());
    separated.push_unseparated("::bigint[]");
    separated.push_bind(profiles.iter().map(|p| p.primary_gid).collect::<Vec<_>>());
    separated.push_unseparated("::bigint[]");
    qb.push(format_args!(") AS d(uuid, {}) WHERE users.uuid = d.uuid AND (", columns.join(", ")));
    let stored: Vec<String> = columns.iter().map(|c| format!("users.{c}")).collect();
    let given: Vec<String> =
        columns.iter().map(|c| if lists(c) { format!("d.{c}::jsonb") } else { format!("d.{c}") }).collect();
    qb.push(format_args!("{}) IS DISTINCT FROM ({}) RETURNING users.id", stored.join(", "), given.join(", ")));
    qb.build_query_scalar().fetch_all(conn).await
}

/// Sets each offering's exposure config where it differs (`None`: no explicit config; the
/// names already checked and in canonical order); returns the uuids of the offerings changed.
pub async fn set_exposures(conn: &mut PgConnection, exposures: &[(Uuid, Option<String>)]) -> sqlx::Result<Vec<Uuid>> {
    // Each config travels as one comma-joined text (the names hold no comma), so that a NULL
    // config and an empty one stay apart in a one-dimensional array.
    sqlx::query_scalar(
        "UPDATE offerings SET exposed_user_attributes = d.attributes \
         FROM (SELECT e.uuid, CASE WHEN e.joined IS NULL THEN NULL \
                                   WHEN e.joined = '' THEN '{}'::text[] \
                                   ELSE string_to_array(e.joined, ',') END AS attributes \
               FROM unnest($1::uuid[], $2::text[]) AS e(uuid, joined)) d \
         WHERE offerings.uuid = d.uuid AND offerings.exposed_user_attributes IS DISTINCT FROM d.attributes \
         RETURNING offerings.uuid",
    )
    .bind(exposures.iter().map(|e| e.0).collect::<Vec<_>>())
    .bind(exposures.iter().map(|e| e.1.clone()).collect::<Vec<_>>())
    .fetch_all(conn)
    .await
}

/// A service-provider account as the import writes it.
#[derive(Debug, Clone)]
pub struct AccountWrite<'a> {
    pub uuid: Uuid,
    pub user_id: i64,
    pub customer_id: i64,
    pub username: Option<&'a str>,
}

/// The position in `accounts` of the first one whose (user, customer) pair already belongs to
/// another account (another uuid) in the database.
pub async fn first_clashing_account(
    conn: &mut PgConnection,
    accounts: &[AccountWrite<'_>],
) -> sqlx::Result<Option<usize>> {
    let ordinal: Option<i64> = sqlx::query_scalar(
        "SELECT d.ord FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS d(uuid, user_id, customer_id, ord) \
         JOIN service_provider_accounts a ON a.user_id = d.user_id AND a.customer_id = d.customer_id AND a.uuid <> d.uuid \
         ORDER BY d.ord LIMIT 1",
    )
    .bind(accounts.iter().map(|a| a.uuid).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.user_id).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.customer_id).collect::<Vec<_>>())
    .fetch_optional(conn)
    .await?;
    Ok(ordinal.map(position))
}

/// Inserts the accounts, or updates those whose values differ.
pub async fn upsert_accounts(conn: &mut PgConnection, accounts: &[AccountWrite<'_>]) -> sqlx::Result<Written> {
    let flags: Vec<bool> = sqlx::query_scalar(
        "INSERT INTO service_provider_accounts (uuid, user_id, customer_id, username) \
         SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[]) \
         ON CONFLICT (uuid) DO UPDATE SET user_id = EXCLUDED.user_id, customer_id = EXCLUDED.customer_id, \
             username = EXCLUDED.username \
         WHERE (service_provider_accounts.user_id, service_provider_accounts.customer_id, \
                service_provider_accounts.username) \
               IS DISTINCT FROM (EXCLUDED.user_id, EXCLUDED.customer_id, EXCLUDED.username) \
         RETURNING (xmax = 0)",
    )
    .bind(accounts.iter().map(|a| a.uuid).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.user_id).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.customer_id).collect::<Vec<_>>())
    .bind(accounts.iter().map(|a| a.username).collect::<Vec<_>>())
    .fetch_all(conn)
    .await?;
    Ok(Written::from_inserted_flags(&flags))
}

/// A stored service-provider account: whose, and at which customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredAccount {
    pub id: i64,
    pub user_id: i64,
    pub customer_id: i64,
}

/// The accounts with these uuids; uuids without a row are left out.
pub async fn accounts_by_uuid(conn: &mut PgConnection, uuids: &[Uuid]) -> sqlx::Result<HashMap<Uuid, StoredAccount>> {
    let rows: Vec<(Uuid, i64, i64, i64)> =
        sqlx::query_as("SELECT uuid, id, user_id, customer_id FROM service_provider_accounts WHERE uuid = ANY($1)")
            .bind(uuids)
            .fetch_all(conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(uuid, id, user_id, customer_id)| (uuid, StoredAccount { id, user_id, customer_id }))
        .collect())
}

/// The customer of each of these offerings.
pub async fn offering_customers(conn: &mut PgConnection, offering_ids: &[i64]) -> sqlx::Result<HashMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as("SELECT id, customer_id FROM offerings WHERE id = ANY($1)")
        .bind(offering_ids)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}
