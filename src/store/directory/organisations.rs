//! Customers (organisations), their projects and their offerings.

use std::collections::HashSet;

use sqlx::PgConnection;
use uuid::Uuid;

use super::Written;

/// A customer as the import writes it.
#[derive(Debug, Clone)]
pub struct CustomerWrite<'a> {
    pub uuid: Uuid,
    pub name: &'a str,
    pub abbreviation: &'a str,
}

/// Inserts the customers, or updates those whose values differ.
pub async fn upsert_customers(conn: &mut PgConnection, customers: &[CustomerWrite<'_>]) -> sqlx::Result<Written> {
    let flags: Vec<bool> = sqlx::query_scalar(
        "INSERT INTO customers (uuid, name, abbreviation) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) \
         ON CONFLICT (uuid) DO UPDATE SET name = EXCLUDED.name, abbreviation = EXCLUDED.abbreviation \
         WHERE (customers.name, customers.abbreviation) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.abbreviation) \
         RETURNING (xmax = 0)",
    )
    .bind(customers.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(customers.iter().map(|e| e.name).collect::<Vec<_>>())
    .bind(customers.iter().map(|e| e.abbreviation).collect::<Vec<_>>())
    .fetch_all(conn)
    .await?;
    Ok(Written::from_inserted_flags(&flags))
}

/// A project as the import writes it.
#[derive(Debug, Clone)]
pub struct ProjectWrite<'a> {
    pub uuid: Uuid,
    pub name: &'a str,
    pub customer_id: i64,
}

/// Inserts the projects, or updates those whose values differ.
pub async fn upsert_projects(conn: &mut PgConnection, projects: &[ProjectWrite<'_>]) -> sqlx::Result<Written> {
    let flags: Vec<bool> = sqlx::query_scalar(
        "INSERT INTO projects (uuid, name, customer_id) SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[]) \
         ON CONFLICT (uuid) DO UPDATE SET name = EXCLUDED.name, customer_id = EXCLUDED.customer_id \
         WHERE (projects.name, projects.customer_id) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.customer_id) \
         RETURNING (xmax = 0)",
    )
    .bind(projects.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(projects.iter().map(|e| e.name).collect::<Vec<_>>())
    .bind(projects.iter().map(|e| e.customer_id).collect::<Vec<_>>())
    .fetch_all(conn)
    .await?;
    Ok(Written::from_inserted_flags(&flags))
}

/// An offering as the import writes it, without its parent (see [`set_offering_parents`]).
#[derive(Debug, Clone)]
pub struct OfferingWrite<'a> {
    pub uuid: Uuid,
    pub name: &'a str,
    pub slug: &'a str,
    pub offering_type: &'a str,
    pub customer_id: i64,
    /// A JSON object, as text.
    pub plugin_options: String,
    pub compliance_checklist_id: Option<i64>,
}

/// The uuids of the offerings an upsert created and of those it changed.
#[derive(Debug, Clone, Default)]
pub struct OfferingsWritten {
    pub created: HashSet<Uuid>,
    pub updated: HashSet<Uuid>,
}

/// Inserts the offerings, or updates those whose values differ. A changed checklist leaves
/// the completions of the offering's users to the caller (docs/spec/checklists.md §9).
pub async fn upsert_offerings(
    conn: &mut PgConnection,
    offerings: &[OfferingWrite<'_>],
) -> sqlx::Result<OfferingsWritten> {
    let rows: Vec<(Uuid, bool)> = sqlx::query_as(
        "INSERT INTO offerings (uuid, name, slug, type, customer_id, plugin_options, compliance_checklist_id) \
         SELECT d.uuid, d.name, d.slug, d.type, d.customer_id, d.options::jsonb, d.checklist_id \
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::bigint[]) \
              AS d(uuid, name, slug, type, customer_id, options, checklist_id) \
         ON CONFLICT (uuid) DO UPDATE SET name = EXCLUDED.name, slug = EXCLUDED.slug, type = EXCLUDED.type, \
             customer_id = EXCLUDED.customer_id, plugin_options = EXCLUDED.plugin_options, \
             compliance_checklist_id = EXCLUDED.compliance_checklist_id \
         WHERE (offerings.name, offerings.slug, offerings.type, offerings.customer_id, offerings.plugin_options, \
                offerings.compliance_checklist_id) \
               IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.slug, EXCLUDED.type, EXCLUDED.customer_id, \
                EXCLUDED.plugin_options, EXCLUDED.compliance_checklist_id) \
         RETURNING uuid, (xmax = 0)",
    )
    .bind(offerings.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(offerings.iter().map(|e| e.name).collect::<Vec<_>>())
    .bind(offerings.iter().map(|e| e.slug).collect::<Vec<_>>())
    .bind(offerings.iter().map(|e| e.offering_type).collect::<Vec<_>>())
    .bind(offerings.iter().map(|e| e.customer_id).collect::<Vec<_>>())
    .bind(offerings.iter().map(|e| e.plugin_options.as_str()).collect::<Vec<_>>())
    .bind(offerings.iter().map(|e| e.compliance_checklist_id).collect::<Vec<_>>())
    .fetch_all(conn)
    .await?;
    Ok(OfferingsWritten {
        created: rows.iter().filter(|r| r.1).map(|r| r.0).collect(),
        updated: rows.iter().filter(|r| !r.1).map(|r| r.0).collect(),
    })
}

/// Sets the parent (an offering id, or none) of each offering uuid where it differs;
/// returns the uuids of the offerings it changed.
pub async fn set_offering_parents(conn: &mut PgConnection, parents: &[(Uuid, Option<i64>)]) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "UPDATE offerings SET parent_id = d.parent_id FROM unnest($1::uuid[], $2::bigint[]) AS d(uuid, parent_id) \
         WHERE offerings.uuid = d.uuid AND offerings.parent_id IS DISTINCT FROM d.parent_id RETURNING offerings.uuid",
    )
    .bind(parents.iter().map(|p| p.0).collect::<Vec<_>>())
    .bind(parents.iter().map(|p| p.1).collect::<Vec<_>>())
    .fetch_all(conn)
    .await
}
