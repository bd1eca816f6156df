//! The import: validate the whole document, then upsert every kind in one transaction with
//! one batched statement per kind (`UNNEST` arrays), so 100,000 offering users take seconds.
//! Upserts only write rows whose values differ, so importing the same file twice changes
//! nothing the second time.

use std::collections::{HashMap, HashSet};

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::checklists;
use super::document::*;
use super::error::{invalid, ImportError};
use super::summary::ImportSummary;
use super::validate::validate;
use crate::domain::state::State;
use crate::store::auth::hash_key;

/// How far an import has come, for a caller that shows it (the `import` command on a
/// terminal). Reported between kinds (and between the batches of the offering users), never
/// from inside a statement: nothing here waits on the caller beyond the call itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The whole document passed validation; the upserts begin.
    Validated,
    /// A kind begins: its entries in the document (`None` for the checklist completions,
    /// which follow from offerings and offering users).
    Started { kind: &'static str, rows: Option<u64> },
    /// Entries of a kind written so far, of `rows` (the offering users, batch by batch).
    Rows { kind: &'static str, done: u64, rows: u64 },
    /// A kind is done; the same figures as its line of the [`ImportSummary`]. A kind the
    /// document leaves empty starts but has no line, so it is not reported done.
    Done { kind: &'static str, created: u64, updated: u64 },
    /// Every kind is written; the transaction commits.
    Committing,
}

/// Validates `doc` and upserts it in one transaction; on any error nothing is written.
pub async fn import(pool: &PgPool, doc: &Document) -> Result<ImportSummary, ImportError> {
    import_with_progress(pool, doc, &mut |_| {}).await
}

/// [`import`], telling `progress` how far it has come.
pub async fn import_with_progress(
    pool: &PgPool,
    doc: &Document,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportSummary, ImportError> {
    let mut tx = pool.begin().await?;
    let summary = import_in(&mut tx, doc, progress).await?;
    progress(Progress::Committing);
    tx.commit().await?;
    Ok(summary)
}

/// Validates `doc` and upserts it over `conn`, inside the caller's transaction.
pub(super) async fn import_in(
    conn: &mut PgConnection,
    doc: &Document,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportSummary, ImportError> {
    validate(doc)?;
    progress(Progress::Validated);
    let mut summary = ImportSummary::default();
    let rows = |n: usize| Some(n as u64);

    progress(Progress::Started { kind: "role_permissions", rows: rows(doc.role_permissions.len()) });
    import_role_permissions(conn, doc, &mut summary).await?;
    report_done(progress, &summary, "role_permissions");
    progress(Progress::Started { kind: "users", rows: rows(doc.users.len()) });
    import_users(conn, doc, &mut summary).await?;
    report_done(progress, &summary, "users");
    progress(Progress::Started { kind: "customers", rows: rows(doc.customers.len()) });
    import_customers(conn, doc, &mut summary).await?;
    report_done(progress, &summary, "customers");
    progress(Progress::Started { kind: "projects", rows: rows(doc.projects.len()) });
    import_projects(conn, doc, &mut summary).await?;
    report_done(progress, &summary, "projects");
    progress(Progress::Started { kind: "checklists", rows: rows(doc.checklists.len()) });
    checklists::import_checklists(conn, doc, &mut summary).await?;
    report_done(progress, &summary, "checklists");
    progress(Progress::Started { kind: "offerings", rows: rows(doc.offerings.len()) });
    import_offerings(conn, doc, &mut summary).await?;
    report_done(progress, &summary, "offerings");
    progress(Progress::Started { kind: "roles", rows: rows(doc.roles.len()) });
    import_roles(conn, doc, &mut summary).await?;
    report_done(progress, &summary, "roles");
    progress(Progress::Started { kind: "terms_of_service", rows: rows(doc.terms_of_service.len()) });
    import_terms(conn, doc, &mut summary).await?;
    report_done(progress, &summary, "terms_of_service");
    progress(Progress::Started { kind: "consents", rows: rows(doc.consents.len()) });
    import_consents(conn, doc, &mut summary).await?;
    report_done(progress, &summary, "consents");
    progress(Progress::Started { kind: "offering_users", rows: rows(doc.offering_users.len()) });
    import_offering_users(conn, doc, &mut summary, progress).await?;
    report_done(progress, &summary, "offering_users");
    progress(Progress::Started { kind: "checklist_completions", rows: None });
    checklists::sync_completions(conn, doc, &mut summary).await?;
    report_done(progress, &summary, "checklist_completions");
    Ok(summary)
}

/// Reports `kind` done with the figures of its summary line, if it wrote one.
fn report_done(progress: &mut dyn FnMut(Progress), summary: &ImportSummary, kind: &'static str) {
    if let Some(&(kind, created, updated)) = summary.kinds.iter().find(|(k, _, _)| *k == kind) {
        progress(Progress::Done { kind, created, updated });
    }
}

// ---------------------------------------------------------------------------------------
// References

/// The ids of the rows of `table` with these uuids. `table` is one of ours, never input.
pub(super) async fn ids_of(
    conn: &mut PgConnection,
    table: &'static str,
    uuids: Vec<Uuid>,
) -> sqlx::Result<HashMap<Uuid, i64>> {
    let rows: Vec<(Uuid, i64)> = sqlx::query_as(&format!("SELECT uuid, id FROM {table} WHERE uuid = ANY($1)"))
        .bind(uuids)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Resolves every reference of one kind; the error names the first entry whose reference
/// is neither in the database nor in the document.
pub(super) async fn resolve(
    conn: &mut PgConnection,
    table: &'static str,
    noun: &str,
    references: impl Iterator<Item = (String, Uuid)>,
) -> Result<(Vec<i64>, HashMap<Uuid, i64>), ImportError> {
    let references: Vec<(String, Uuid)> = references.collect();
    let ids = ids_of(conn, table, references.iter().map(|(_, u)| *u).collect()).await?;
    let mut resolved = Vec::with_capacity(references.len());
    for (path, uuid) in &references {
        match ids.get(uuid) {
            Some(id) => resolved.push(*id),
            None => return Err(invalid(path.clone(), format!("no {noun} with uuid {}", uuid.simple()))),
        }
    }
    Ok((resolved, ids))
}

fn count_inserted(flags: &[bool]) -> (u64, u64) {
    let created = flags.iter().filter(|f| **f).count() as u64;
    (created, flags.len() as u64 - created)
}

// ---------------------------------------------------------------------------------------
// Upserts, one statement per kind

async fn import_role_permissions(
    conn: &mut PgConnection,
    doc: &Document,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let mut changed = 0;
    for (role, permissions) in &doc.role_permissions {
        let mut wanted: Vec<String> = permissions.clone();
        wanted.sort();
        wanted.dedup();
        let mut current: Vec<String> =
            sqlx::query_scalar("SELECT permission FROM role_permissions WHERE role = $1 ORDER BY permission")
                .bind(role)
                .fetch_all(&mut *conn)
                .await?;
        current.sort();
        if current == wanted {
            continue;
        }
        sqlx::query("DELETE FROM role_permissions WHERE role = $1").bind(role).execute(&mut *conn).await?;
        sqlx::query("INSERT INTO role_permissions (role, permission) SELECT $1, unnest($2::text[])")
            .bind(role)
            .bind(&wanted)
            .execute(&mut *conn)
            .await?;
        changed += 1;
    }
    summary.add("role_permissions", 0, changed);
    Ok(())
}

async fn import_users(conn: &mut PgConnection, doc: &Document, summary: &mut ImportSummary) -> Result<(), ImportError> {
    let users = &doc.users;
    if users.is_empty() {
        return Ok(());
    }
    // A username taken by another user already in the database.
    let clash: Option<i64> = sqlx::query_scalar(
        "SELECT d.ord FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS d(uuid, username, ord) \
         JOIN users u ON u.username = d.username AND u.uuid <> d.uuid ORDER BY d.ord LIMIT 1",
    )
    .bind(users.iter().map(|u| u.uuid).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.username.clone()).collect::<Vec<_>>())
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(ord) = clash {
        return Err(invalid(format!("users[{}].username", ord - 1), "username is taken by another user"));
    }
    let flags: Vec<bool> = sqlx::query_scalar(
        "INSERT INTO users (uuid, username, first_name, last_name, email, is_staff, is_support, is_active, token_lifetime) \
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::bool[], \
                              $8::bool[], $9::int[]) \
         ON CONFLICT (uuid) DO UPDATE SET username = EXCLUDED.username, first_name = EXCLUDED.first_name, \
             last_name = EXCLUDED.last_name, email = EXCLUDED.email, is_staff = EXCLUDED.is_staff, \
             is_support = EXCLUDED.is_support, is_active = EXCLUDED.is_active, token_lifetime = EXCLUDED.token_lifetime \
         WHERE (users.username, users.first_name, users.last_name, users.email, users.is_staff, users.is_support, \
                users.is_active, users.token_lifetime) IS DISTINCT FROM (EXCLUDED.username, EXCLUDED.first_name, \
                EXCLUDED.last_name, EXCLUDED.email, EXCLUDED.is_staff, EXCLUDED.is_support, EXCLUDED.is_active, \
                EXCLUDED.token_lifetime) \
         RETURNING (xmax = 0)",
    )
    .bind(users.iter().map(|u| u.uuid).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.username.clone()).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.first_name.clone()).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.last_name.clone()).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.email.clone()).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.is_staff).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.is_support).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.is_active).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.token_lifetime).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    let (created, mut updated) = count_inserted(&flags);

    let ids = ids_of(conn, "users", users.iter().map(|u| u.uuid).collect()).await?;
    let (with_token, without_token): (Vec<&UserEntry>, Vec<&UserEntry>) = users.iter().partition(|u| u.token.is_some());
    let token_ids: Vec<i64> = with_token.iter().map(|u| ids[&u.uuid]).collect();
    let hashes: Vec<Vec<u8>> =
        with_token.iter().map(|u| hash_key(u.token.as_deref().unwrap_or_default()).to_vec()).collect();
    let clash: Option<i64> = sqlx::query_scalar(
        "SELECT t.user_id FROM unnest($1::bigint[], $2::bytea[]) AS d(user_id, key_sha256) \
         JOIN api_tokens t ON t.key_sha256 = d.key_sha256 AND t.user_id <> d.user_id LIMIT 1",
    )
    .bind(&token_ids)
    .bind(&hashes)
    .fetch_optional(&mut *conn)
    .await?;
    if clash.is_some() {
        return Err(invalid("users", "a token is already used by another user"));
    }
    let tokens_changed = sqlx::query(
        "INSERT INTO api_tokens (user_id, key_sha256) SELECT * FROM unnest($1::bigint[], $2::bytea[]) \
         ON CONFLICT (user_id) DO UPDATE SET key_sha256 = EXCLUDED.key_sha256, created = now() \
         WHERE api_tokens.key_sha256 <> EXCLUDED.key_sha256",
    )
    .bind(&token_ids)
    .bind(&hashes)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let revoked = sqlx::query("DELETE FROM api_tokens WHERE user_id = ANY($1)")
        .bind(without_token.iter().map(|u| ids[&u.uuid]).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    // A changed token is a change of the user; count it once with the other updates.
    updated = updated.max(tokens_changed.saturating_sub(created) + revoked);
    summary.add("users", created, updated);
    Ok(())
}

async fn import_customers(
    conn: &mut PgConnection,
    doc: &Document,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let c = &doc.customers;
    if c.is_empty() {
        return Ok(());
    }
    let flags: Vec<bool> = sqlx::query_scalar(
        "INSERT INTO customers (uuid, name, abbreviation) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) \
         ON CONFLICT (uuid) DO UPDATE SET name = EXCLUDED.name, abbreviation = EXCLUDED.abbreviation \
         WHERE (customers.name, customers.abbreviation) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.abbreviation) \
         RETURNING (xmax = 0)",
    )
    .bind(c.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(c.iter().map(|e| e.name.clone()).collect::<Vec<_>>())
    .bind(c.iter().map(|e| e.abbreviation.clone()).collect::<Vec<_>>())
    .fetch_all(conn)
    .await?;
    let (created, updated) = count_inserted(&flags);
    summary.add("customers", created, updated);
    Ok(())
}

async fn import_projects(
    conn: &mut PgConnection,
    doc: &Document,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let p = &doc.projects;
    if p.is_empty() {
        return Ok(());
    }
    let refs = p.iter().enumerate().map(|(i, e)| (format!("projects[{i}].customer"), e.customer));
    let (customer_ids, _) = resolve(conn, "customers", "customer", refs).await?;
    let flags: Vec<bool> = sqlx::query_scalar(
        "INSERT INTO projects (uuid, name, customer_id) SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[]) \
         ON CONFLICT (uuid) DO UPDATE SET name = EXCLUDED.name, customer_id = EXCLUDED.customer_id \
         WHERE (projects.name, projects.customer_id) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.customer_id) \
         RETURNING (xmax = 0)",
    )
    .bind(p.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(p.iter().map(|e| e.name.clone()).collect::<Vec<_>>())
    .bind(customer_ids)
    .fetch_all(conn)
    .await?;
    let (created, updated) = count_inserted(&flags);
    summary.add("projects", created, updated);
    Ok(())
}

async fn import_offerings(
    conn: &mut PgConnection,
    doc: &Document,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let o = &doc.offerings;
    if o.is_empty() {
        return Ok(());
    }
    let refs = o.iter().enumerate().map(|(i, e)| (format!("offerings[{i}].customer"), e.customer));
    let (customer_ids, _) = resolve(conn, "customers", "customer", refs).await?;
    let options: Vec<String> = o
        .iter()
        .map(|e| match &e.plugin_options {
            Some(v) if v.is_object() => v.to_string(),
            _ => "{}".to_owned(),
        })
        .collect();
    let checklist_ids = checklists::offering_checklists(conn, doc).await?;
    // Changing the checklist here is followed by `checklists::sync_completions` in the same
    // transaction, once the offering users are in.
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
    .bind(o.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(o.iter().map(|e| e.name.clone()).collect::<Vec<_>>())
    .bind(o.iter().map(|e| e.slug.clone()).collect::<Vec<_>>())
    .bind(o.iter().map(|e| e.offering_type.clone()).collect::<Vec<_>>())
    .bind(customer_ids)
    .bind(options)
    .bind(checklist_ids)
    .fetch_all(&mut *conn)
    .await?;
    let created: HashSet<Uuid> = rows.iter().filter(|r| r.1).map(|r| r.0).collect();
    let mut updated: HashSet<Uuid> = rows.iter().filter(|r| !r.1).map(|r| r.0).collect();

    // Parents second: a parent may be another offering of the same document.
    let parent_refs = o.iter().enumerate().filter_map(|(i, e)| e.parent.map(|p| (format!("offerings[{i}].parent"), p)));
    let (_, parent_ids) = resolve(conn, "offerings", "offering", parent_refs).await?;
    let parent_of: Vec<Option<i64>> = o.iter().map(|e| e.parent.map(|p| parent_ids[&p])).collect();
    let reparented: Vec<Uuid> = sqlx::query_scalar(
        "UPDATE offerings SET parent_id = d.parent_id FROM unnest($1::uuid[], $2::bigint[]) AS d(uuid, parent_id) \
         WHERE offerings.uuid = d.uuid AND offerings.parent_id IS DISTINCT FROM d.parent_id RETURNING offerings.uuid",
    )
    .bind(o.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(parent_of)
    .fetch_all(&mut *conn)
    .await?;
    updated.extend(reparented.into_iter().filter(|u| !created.contains(u)));
    summary.add("offerings", created.len() as u64, updated.len() as u64);
    Ok(())
}

async fn import_roles(conn: &mut PgConnection, doc: &Document, summary: &mut ImportSummary) -> Result<(), ImportError> {
    let r = &doc.roles;
    if r.is_empty() {
        return Ok(());
    }
    let user_refs = r.iter().enumerate().map(|(i, e)| (format!("roles[{i}].user"), e.user));
    let (user_ids, _) = resolve(conn, "users", "user", user_refs).await?;
    let customer_refs =
        r.iter().enumerate().filter_map(|(i, e)| e.scope.customer.map(|u| (format!("roles[{i}].scope.customer"), u)));
    let (_, customers) = resolve(conn, "customers", "customer", customer_refs).await?;
    let project_refs =
        r.iter().enumerate().filter_map(|(i, e)| e.scope.project.map(|u| (format!("roles[{i}].scope.project"), u)));
    let (_, projects) = resolve(conn, "projects", "project", project_refs).await?;
    let offering_refs =
        r.iter().enumerate().filter_map(|(i, e)| e.scope.offering.map(|u| (format!("roles[{i}].scope.offering"), u)));
    let (_, offerings) = resolve(conn, "offerings", "offering", offering_refs).await?;

    let customer_ids: Vec<Option<i64>> = r.iter().map(|e| e.scope.customer.map(|u| customers[&u])).collect();
    let project_ids: Vec<Option<i64>> = r.iter().map(|e| e.scope.project.map(|u| projects[&u])).collect();
    let offering_ids: Vec<Option<i64>> = r.iter().map(|e| e.scope.offering.map(|u| offerings[&u])).collect();
    let mut identities = HashSet::new();
    for (i, entry) in r.iter().enumerate() {
        let identity = (user_ids[i], entry.role.as_str(), customer_ids[i], project_ids[i], offering_ids[i]);
        if !identities.insert(identity) {
            return Err(invalid(format!("roles[{i}]"), "the same role on the same scope appears twice"));
        }
    }
    let flags: Vec<bool> = sqlx::query_scalar(
        "INSERT INTO user_roles (user_id, role, customer_id, project_id, offering_id, is_active, expiration_time) \
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bool[], \
                              $7::timestamptz[]) \
         ON CONFLICT ON CONSTRAINT user_roles_identity_key DO UPDATE SET is_active = EXCLUDED.is_active, \
             expiration_time = EXCLUDED.expiration_time \
         WHERE (user_roles.is_active, user_roles.expiration_time) \
               IS DISTINCT FROM (EXCLUDED.is_active, EXCLUDED.expiration_time) \
         RETURNING (xmax = 0)",
    )
    .bind(user_ids)
    .bind(r.iter().map(|e| e.role.clone()).collect::<Vec<_>>())
    .bind(customer_ids)
    .bind(project_ids)
    .bind(offering_ids)
    .bind(r.iter().map(|e| e.is_active).collect::<Vec<_>>())
    .bind(r.iter().map(|e| e.expiration_time).collect::<Vec<_>>())
    .fetch_all(conn)
    .await?;
    let (created, updated) = count_inserted(&flags);
    summary.add("roles", created, updated);
    Ok(())
}

async fn import_terms(conn: &mut PgConnection, doc: &Document, summary: &mut ImportSummary) -> Result<(), ImportError> {
    let t = &doc.terms_of_service;
    if t.is_empty() {
        return Ok(());
    }
    let refs = t.iter().enumerate().map(|(i, e)| (format!("terms_of_service[{i}].offering"), e.offering));
    let (offering_ids, _) = resolve(conn, "offerings", "offering", refs).await?;
    // Another active row of the same offering already in the database.
    let clash: Option<i64> = sqlx::query_scalar(
        "SELECT d.ord FROM unnest($1::uuid[], $2::bigint[], $3::bool[]) WITH ORDINALITY AS d(uuid, offering_id, active, ord) \
         JOIN terms_of_service t ON t.offering_id = d.offering_id AND t.is_active AND t.uuid <> d.uuid \
         WHERE d.active AND t.uuid <> ALL($1::uuid[]) ORDER BY d.ord LIMIT 1",
    )
    .bind(t.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(&offering_ids)
    .bind(t.iter().map(|e| e.is_active).collect::<Vec<_>>())
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(ord) = clash {
        return Err(invalid(
            format!("terms_of_service[{}].is_active", ord - 1),
            "the offering already has another active terms of service",
        ));
    }
    // Deactivate first, so that moving "active" between two rows of one offering never
    // trips the one-active-row constraint halfway.
    sqlx::query(
        "UPDATE terms_of_service SET is_active = false, modified = now() \
         FROM unnest($1::uuid[], $2::bool[]) AS d(uuid, active) \
         WHERE terms_of_service.uuid = d.uuid AND terms_of_service.is_active AND NOT d.active",
    )
    .bind(t.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(t.iter().map(|e| e.is_active).collect::<Vec<_>>())
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
    .bind(t.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(offering_ids)
    .bind(t.iter().map(|e| e.version.clone()).collect::<Vec<_>>())
    .bind(t.iter().map(|e| e.is_active).collect::<Vec<_>>())
    .bind(t.iter().map(|e| e.requires_reconsent).collect::<Vec<_>>())
    .bind(t.iter().map(|e| e.terms_of_service.clone()).collect::<Vec<_>>())
    .bind(t.iter().map(|e| e.terms_of_service_link.clone()).collect::<Vec<_>>())
    .bind(t.iter().map(|e| e.grace_period_days).collect::<Vec<_>>())
    .fetch_all(conn)
    .await?;
    let (created, updated) = count_inserted(&flags);
    summary.add("terms_of_service", created, updated);
    Ok(())
}

async fn import_consents(
    conn: &mut PgConnection,
    doc: &Document,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let c = &doc.consents;
    if c.is_empty() {
        return Ok(());
    }
    let user_refs = c.iter().enumerate().map(|(i, e)| (format!("consents[{i}].user"), e.user));
    let (user_ids, _) = resolve(conn, "users", "user", user_refs).await?;
    let offering_refs = c.iter().enumerate().map(|(i, e)| (format!("consents[{i}].offering"), e.offering));
    let (offering_ids, _) = resolve(conn, "offerings", "offering", offering_refs).await?;
    let clash: Option<i64> = sqlx::query_scalar(
        "SELECT d.ord FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS d(uuid, user_id, offering_id, ord) \
         JOIN consents c ON c.user_id = d.user_id AND c.offering_id = d.offering_id AND c.uuid <> d.uuid \
         ORDER BY d.ord LIMIT 1",
    )
    .bind(c.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(&user_ids)
    .bind(&offering_ids)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(ord) = clash {
        return Err(invalid(
            format!("consents[{}]", ord - 1),
            "the user already has another consent for this offering",
        ));
    }
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
    .bind(c.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(user_ids)
    .bind(offering_ids)
    .bind(c.iter().map(|e| e.version.clone()).collect::<Vec<_>>())
    .bind(c.iter().map(|e| e.agreement_date).collect::<Vec<_>>())
    .bind(c.iter().map(|e| e.revocation_date).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    // Agreement dates given in the document are applied when they differ.
    let redated = sqlx::query(
        "UPDATE consents SET agreement_date = d.agreed FROM unnest($1::uuid[], $2::timestamptz[]) AS d(uuid, agreed) \
         WHERE consents.uuid = d.uuid AND d.agreed IS NOT NULL AND consents.agreement_date <> d.agreed",
    )
    .bind(c.iter().map(|e| e.uuid).collect::<Vec<_>>())
    .bind(c.iter().map(|e| e.agreement_date).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let (created, updated) = count_inserted(&flags);
    summary.add("consents", created, updated.max(redated));
    Ok(())
}

/// Rows per statement: large enough to amortise round trips, small enough to keep the
/// bind arrays modest.
const OFFERING_USER_BATCH: usize = 20_000;

async fn import_offering_users(
    conn: &mut PgConnection,
    doc: &Document,
    summary: &mut ImportSummary,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), ImportError> {
    let entries = &doc.offering_users;
    if entries.is_empty() {
        return Ok(());
    }
    let user_refs = entries.iter().enumerate().map(|(i, e)| (format!("offering_users[{i}].user"), e.user));
    let (user_ids, _) = resolve(conn, "users", "user", user_refs).await?;
    let offering_refs = entries.iter().enumerate().map(|(i, e)| (format!("offering_users[{i}].offering"), e.offering));
    let (offering_ids, _) = resolve(conn, "offerings", "offering", offering_refs).await?;
    let (mut created, mut updated) = (0, 0);
    for start in (0..entries.len()).step_by(OFFERING_USER_BATCH) {
        let end = (start + OFFERING_USER_BATCH).min(entries.len());
        let batch = &entries[start..end];
        let uuids: Vec<Uuid> = batch.iter().map(|e| e.uuid).collect();
        let clash: Option<i64> = sqlx::query_scalar(
            "SELECT d.ord FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS d(uuid, offering_id, user_id, ord) \
             JOIN offering_users ou ON ou.offering_id = d.offering_id AND ou.user_id = d.user_id AND ou.uuid <> d.uuid \
             ORDER BY d.ord LIMIT 1",
        )
        .bind(&uuids)
        .bind(&offering_ids[start..end])
        .bind(&user_ids[start..end])
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(ord) = clash {
            return Err(invalid(
                format!("offering_users[{}]", start as i64 + ord - 1),
                "the fields offering, user must make a unique set (another offering user exists)",
            ));
        }
        let states: Vec<i16> = batch
            .iter()
            .map(|e| e.state.as_deref().and_then(State::from_label).unwrap_or(State::Requested).db())
            .collect();
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
        .bind(&uuids)
        .bind(&offering_ids[start..end])
        .bind(&user_ids[start..end])
        .bind(batch.iter().map(|e| e.username.clone()).collect::<Vec<_>>())
        .bind(states)
        .bind(batch.iter().map(|e| e.is_restricted).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.service_provider_comment.clone()).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.service_provider_comment_url.clone()).collect::<Vec<_>>())
        .fetch_all(&mut *conn)
        .await?;
        let (c, u) = count_inserted(&flags);
        created += c;
        updated += u;
        progress(Progress::Rows { kind: "offering_users", done: end as u64, rows: entries.len() as u64 });
    }
    summary.add("offering_users", created, updated);
    Ok(())
}
