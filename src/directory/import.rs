//! The import (docs/spec/directory.md): validate the whole document, then write it kind by
//! kind through `store::directory` in one transaction, references before what refers to
//! them. What needs the database is checked on the way: references to rows already stored,
//! and entries that clash with stored rows; the error names the entry's JSON path, and
//! nothing is written.

use std::collections::{HashMap, HashSet};

use sqlx::PgConnection;
use uuid::Uuid;

use super::document::{Document, OfferingUserEntry, TokenEntry};
use super::error::{invalid, ImportError};
use super::posix::{import_posix, validate_posix};
use super::run::ImportOptions;
use super::summary::{ImportSummary, Kind};
use super::validate::{numeric_bound, validate};
use crate::domain::checklist::Operator;
use crate::domain::user_attributes::explicit_attributes;
use crate::store::directory::checklists::{
    first_question_of_another_checklist, save_checklists, ChecklistWrite, DependencyWrite, OptionWrite, QuestionWrite,
};
use crate::store::directory::completions::realign_completions;
use crate::store::directory::consents::{
    first_clashing_active_terms, first_clashing_consent, upsert_consents, upsert_terms, ConsentWrite, TermsWrite,
};
use crate::store::directory::locks::{
    lock_offering_users_to_write, PlannedConsent, PlannedOffering, PlannedOfferingUser, PlannedUser,
};
use crate::store::directory::offering_users::{
    first_clashing_offering_user, write_offering_users, ApiOwned, OfferingUserWrite, OfferingUsersWritten,
};
use crate::store::directory::organisations::{
    set_offering_parents, upsert_customers, upsert_offerings, upsert_projects, CustomerWrite, OfferingWrite,
    ProjectWrite,
};
use crate::store::directory::profiles::{
    accounts_by_uuid, first_clashing_account, offering_customers, save_user_profiles, set_exposures, upsert_accounts,
    AccountWrite, ProfileWrite,
};
use crate::store::directory::roles::{replace_role_permissions, role_permissions, upsert_roles, RoleWrite};
use crate::store::directory::users::{
    first_taken_username, revoke_tokens, save_tokens, token_of_another_user, upsert_users, TokenWrite, UserWrite,
};
use crate::store::directory::{ids_by_uuid, Table};

/// How far an import has come, for a caller that shows it (the `import` command on a
/// terminal). Reported between kinds (and between the batches of the offering users), never
/// from inside a statement: nothing here waits on the caller beyond the call itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The whole document passed validation; the upserts begin.
    Validated,
    /// A kind begins: its entries in the document (`None` for the checklist completions,
    /// which follow from offerings and offering users).
    Started { kind: Kind, rows: Option<u64> },
    /// Entries of a kind written so far, of `rows` (the offering users, batch by batch).
    Rows { kind: Kind, done: u64, rows: u64 },
    /// A kind is done; the same figures as its line of the [`ImportSummary`]. A kind the
    /// document leaves empty starts but has no line, so it is not reported done.
    Done { kind: Kind, created: u64, updated: u64 },
    /// Every kind is written; the transaction commits.
    Committing,
}

/// Validates `doc` and upserts it over `conn`, inside the caller's transaction.
pub(super) async fn import_in(
    conn: &mut PgConnection,
    doc: &Document,
    options: ImportOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ImportSummary, ImportError> {
    validate(doc)?;
    validate_posix(doc)?;
    progress(Progress::Validated);
    lock_offering_users_first(conn, doc, options).await?;
    let mut summary = ImportSummary::default();
    let rows = |n: usize| Some(n as u64);

    progress(Progress::Started { kind: Kind::RolePermissions, rows: rows(doc.role_permissions.len()) });
    import_role_permissions(conn, doc, &mut summary).await?;
    report_done(progress, &summary, Kind::RolePermissions);
    progress(Progress::Started { kind: Kind::Users, rows: rows(doc.users.len()) });
    import_users(conn, doc, &mut summary).await?;
    report_done(progress, &summary, Kind::Users);
    progress(Progress::Started { kind: Kind::Customers, rows: rows(doc.customers.len()) });
    import_customers(conn, doc, &mut summary).await?;
    report_done(progress, &summary, Kind::Customers);
    progress(Progress::Started { kind: Kind::Projects, rows: rows(doc.projects.len()) });
    import_projects(conn, doc, &mut summary).await?;
    report_done(progress, &summary, Kind::Projects);
    progress(Progress::Started { kind: Kind::Checklists, rows: rows(doc.checklists.len()) });
    import_checklists(conn, doc, &mut summary).await?;
    report_done(progress, &summary, Kind::Checklists);
    progress(Progress::Started { kind: Kind::Offerings, rows: rows(doc.offerings.len()) });
    import_offerings(conn, doc, &mut summary).await?;
    report_done(progress, &summary, Kind::Offerings);
    progress(Progress::Started { kind: Kind::Roles, rows: rows(doc.roles.len()) });
    import_roles(conn, doc, &mut summary).await?;
    report_done(progress, &summary, Kind::Roles);
    progress(Progress::Started { kind: Kind::TermsOfService, rows: rows(doc.terms_of_service.len()) });
    import_terms(conn, doc, &mut summary).await?;
    report_done(progress, &summary, Kind::TermsOfService);
    progress(Progress::Started { kind: Kind::Consents, rows: rows(doc.consents.len()) });
    import_consents(conn, doc, &mut summary).await?;
    report_done(progress, &summary, Kind::Consents);
    // A kind of the 2026 contract: reported only when the document has it, so that the
    // progress of older documents reads as before.
    if !doc.service_provider_accounts.is_empty() {
        let kind = Kind::ServiceProviderAccounts;
        progress(Progress::Started { kind, rows: rows(doc.service_provider_accounts.len()) });
        import_service_provider_accounts(conn, doc, &mut summary).await?;
        report_done(progress, &summary, kind);
    }
    progress(Progress::Started { kind: Kind::OfferingUsers, rows: rows(doc.offering_users.len()) });
    import_offering_users(conn, doc, options, &mut summary, progress).await?;
    report_done(progress, &summary, Kind::OfferingUsers);
    // Pools, groups, the offering users' POSIX attributes and the ledger (directory::posix).
    import_posix(conn, doc, options, &mut summary, progress).await?;
    progress(Progress::Started { kind: Kind::ChecklistCompletions, rows: None });
    import_completions(conn, doc, &mut summary).await?;
    report_done(progress, &summary, Kind::ChecklistCompletions);
    Ok(summary)
}

/// Reports `kind` done with the figures of its summary line, if it wrote one.
fn report_done(progress: &mut (dyn FnMut(Progress) + Send), summary: &ImportSummary, kind: Kind) {
    if let Some(&(kind, created, updated)) = summary.kinds.iter().find(|(k, _, _)| *k == kind) {
        progress(Progress::Done { kind, created, updated });
    }
}

/// Takes the import's row locks in the API's order before anything is written
/// (`store::directory::locks`).
async fn lock_offering_users_first(
    conn: &mut PgConnection,
    doc: &Document,
    options: ImportOptions,
) -> Result<(), ImportError> {
    let offering_users: Vec<PlannedOfferingUser<'_>> = doc
        .offering_users
        .iter()
        .map(|e| PlannedOfferingUser {
            uuid: e.uuid,
            user: e.user,
            offering: e.offering,
            api: api_owned(e),
            service_provider_account: e.service_provider_account,
        })
        .collect();
    let consents: Vec<PlannedConsent<'_>> = doc
        .consents
        .iter()
        .map(|e| PlannedConsent {
            uuid: e.uuid,
            user: e.user,
            offering: e.offering,
            version: &e.version,
            agreement_date: e.agreement_date,
            revocation_date: e.revocation_date,
        })
        .collect();
    let offerings: Vec<PlannedOffering<'_>> = doc
        .offerings
        .iter()
        .map(|e| PlannedOffering {
            uuid: e.uuid,
            name: &e.name,
            customer: e.customer,
            checklist: e.compliance_checklist,
        })
        .collect();
    let users: Vec<PlannedUser<'_>> = doc
        .users
        .iter()
        .map(|e| PlannedUser {
            uuid: e.uuid,
            username: &e.username,
            first_name: &e.first_name,
            last_name: &e.last_name,
        })
        .collect();
    lock_offering_users_to_write(
        conn,
        &offering_users,
        &consents,
        &offerings,
        &users,
        options.overwrite_offering_users,
    )
    .await?;
    Ok(())
}

/// What an offering-user entry gives for the fields the API changes.
fn api_owned(entry: &OfferingUserEntry) -> ApiOwned<'_> {
    ApiOwned {
        username: entry.username.as_deref(),
        state: entry.state,
        is_restricted: entry.is_restricted,
        service_provider_comment: &entry.service_provider_comment,
        service_provider_comment_url: &entry.service_provider_comment_url,
        runtime_state: &entry.runtime_state,
    }
}

// ---------------------------------------------------------------------------------------
// References

/// Resolves every reference of one kind; the error names the first entry whose reference
/// is neither in the database nor in the document (written before it).
async fn resolve(
    conn: &mut PgConnection,
    table: Table,
    noun: &str,
    references: impl Iterator<Item = (String, Uuid)>,
) -> Result<(Vec<i64>, HashMap<Uuid, i64>), ImportError> {
    let references: Vec<(String, Uuid)> = references.collect();
    let uuids: Vec<Uuid> = references.iter().map(|(_, u)| *u).collect();
    let ids = ids_by_uuid(conn, table, &uuids).await?;
    let mut resolved = Vec::with_capacity(references.len());
    for (path, uuid) in &references {
        match ids.get(uuid) {
            Some(id) => resolved.push(*id),
            None => return Err(invalid(path.clone(), format!("no {noun} with uuid {}", uuid.simple()))),
        }
    }
    Ok((resolved, ids))
}

// ---------------------------------------------------------------------------------------
// The kinds, in the order they are written

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
        if role_permissions(conn, role).await? == wanted {
            continue;
        }
        replace_role_permissions(conn, role, &wanted).await?;
        changed += 1;
    }
    summary.add(Kind::RolePermissions, doc.role_permissions.len() as u64, 0, changed);
    Ok(())
}

async fn import_users(conn: &mut PgConnection, doc: &Document, summary: &mut ImportSummary) -> Result<(), ImportError> {
    let users = &doc.users;
    if users.is_empty() {
        return Ok(());
    }
    let rows: Vec<UserWrite<'_>> = users
        .iter()
        .map(|u| UserWrite {
            uuid: u.uuid,
            username: &u.username,
            first_name: &u.first_name,
            last_name: &u.last_name,
            email: &u.email,
            is_staff: u.is_staff,
            is_support: u.is_support,
            is_active: u.is_active,
            token_lifetime: u.token_lifetime,
        })
        .collect();
    if let Some(i) = first_taken_username(conn, &rows).await? {
        return Err(invalid(format!("users[{i}].username"), "username is taken by another user"));
    }
    let written = upsert_users(conn, &rows).await?;
    let mut profiled: HashSet<i64> = save_user_profiles(conn, &profiles(doc)).await?.into_iter().collect();

    let uuids: Vec<Uuid> = users.iter().map(|u| u.uuid).collect();
    let ids = ids_by_uuid(conn, Table::Users, &uuids).await?;
    // A user entry without `token` leaves the token as it is; `null` revokes it
    // (docs/spec/decisions.md item 32).
    let tokens: Vec<TokenWrite<'_>> =
        users.iter().filter_map(|u| u.token.key().map(|key| TokenWrite { user_id: ids[&u.uuid], key })).collect();
    if token_of_another_user(conn, &tokens).await? {
        return Err(invalid("users", "a token is already used by another user"));
    }
    let revoked: Vec<i64> = users.iter().filter(|u| u.token == TokenEntry::Revoked).map(|u| ids[&u.uuid]).collect();
    // A changed token is a change of the user; count it once with the other updates.
    let mut updated = written.updated;
    updated.extend(profiled.drain());
    updated.extend(save_tokens(conn, &tokens).await?);
    updated.extend(revoke_tokens(conn, &revoked).await?);
    let updated = updated.difference(&written.created).count() as u64;
    summary.add(Kind::Users, users.len() as u64, written.created.len() as u64, updated);
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
    let rows: Vec<CustomerWrite<'_>> =
        c.iter().map(|e| CustomerWrite { uuid: e.uuid, name: &e.name, abbreviation: &e.abbreviation }).collect();
    let written = upsert_customers(conn, &rows).await?;
    summary.add(Kind::Customers, c.len() as u64, written.created, written.updated);
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
    let (customer_ids, _) = resolve(conn, Table::Customers, "customer", refs).await?;
    let rows: Vec<ProjectWrite<'_>> = p
        .iter()
        .zip(customer_ids)
        .map(|(e, customer_id)| ProjectWrite { uuid: e.uuid, name: &e.name, customer_id })
        .collect();
    let written = upsert_projects(conn, &rows).await?;
    summary.add(Kind::Projects, p.len() as u64, written.created, written.updated);
    Ok(())
}

/// The checklists with their questions, options and dependencies. Written before the
/// offerings, which refer to checklists.
async fn import_checklists(
    conn: &mut PgConnection,
    doc: &Document,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    if doc.checklists.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(doc.checklists.len());
    for (i, c) in doc.checklists.iter().enumerate() {
        let mut questions = Vec::with_capacity(c.questions.len());
        for (j, q) in c.questions.iter().enumerate() {
            let path = format!("checklists[{i}].questions[{j}]");
            questions.push(QuestionWrite {
                uuid: q.uuid,
                description: &q.description,
                order: q.order,
                required: q.required,
                question_type: q.question_type.as_str(),
                user_guidance: &q.user_guidance,
                guidance_answer_value: &q.guidance_answer_value,
                guidance_operator: Operator::wire(q.guidance_operator),
                always_show_guidance: q.always_show_guidance,
                review_answer_value: &q.review_answer_value,
                operator: Operator::wire(q.operator),
                always_requires_review: q.always_requires_review,
                min_value: numeric_bound(format!("{path}.min_value"), &q.min_value)?,
                max_value: numeric_bound(format!("{path}.max_value"), &q.max_value)?,
                dependency_logic_operator: q.dependency_logic_operator.as_str(),
                allowed_file_types: &q.allowed_file_types,
                allowed_mime_types: &q.allowed_mime_types,
                max_file_size_mb: q.max_file_size_mb,
                max_files_count: q.max_files_count,
                options: q
                    .options
                    .iter()
                    .map(|o| OptionWrite { uuid: o.uuid, label: &o.label, order: o.order })
                    .collect(),
                dependencies: q
                    .dependencies
                    .iter()
                    .map(|d| DependencyWrite {
                        uuid: d.uuid,
                        depends_on: d.depends_on,
                        required_answer_value: &d.required_answer_value,
                        operator: Operator::wire(d.operator),
                    })
                    .collect(),
            });
        }
        rows.push(ChecklistWrite {
            uuid: c.uuid,
            name: &c.name,
            description: &c.description,
            checklist_type: c.checklist_type.as_str(),
            questions,
        });
    }
    if let Some((i, j)) = first_question_of_another_checklist(conn, &rows).await? {
        return Err(invalid(
            format!("checklists[{i}].questions[{j}].uuid"),
            "the question belongs to another checklist",
        ));
    }
    let written = save_checklists(conn, &rows).await?;
    summary.add(Kind::Checklists, doc.checklists.len() as u64, written.created, written.updated);
    Ok(())
}

/// The checklist id of every offering entry (`None` without one); the error names the
/// entry whose checklist is neither in the database nor in the document.
async fn offering_checklists(conn: &mut PgConnection, doc: &Document) -> Result<Vec<Option<i64>>, ImportError> {
    let refs = doc
        .offerings
        .iter()
        .enumerate()
        .filter_map(|(i, o)| o.compliance_checklist.map(|c| (format!("offerings[{i}].compliance_checklist"), c)));
    let (_, ids) = resolve(conn, Table::Checklists, "checklist", refs).await?;
    Ok(doc.offerings.iter().map(|o| o.compliance_checklist.and_then(|c| ids.get(&c).copied())).collect())
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
    let (customer_ids, _) = resolve(conn, Table::Customers, "customer", refs).await?;
    let checklist_ids = offering_checklists(conn, doc).await?;
    let rows: Vec<OfferingWrite<'_>> = o
        .iter()
        .zip(customer_ids)
        .zip(checklist_ids)
        .map(|((e, customer_id), compliance_checklist_id)| OfferingWrite {
            uuid: e.uuid,
            name: &e.name,
            slug: &e.slug,
            offering_type: &e.offering_type,
            customer_id,
            plugin_options: match &e.plugin_options {
                Some(v) if v.is_object() => v.to_string(),
                _ => "{}".to_owned(),
            },
            compliance_checklist_id,
        })
        .collect();
    // Changing the checklist here is followed by `import_completions` in the same
    // transaction, once the offering users are in.
    let written = upsert_offerings(conn, &rows).await?;
    let mut updated = written.updated;
    updated.extend(set_exposures(conn, &exposures(doc)).await?.into_iter().filter(|u| !written.created.contains(u)));

    // Parents second: a parent may be another offering of the same document.
    let parent_refs = o.iter().enumerate().filter_map(|(i, e)| e.parent.map(|p| (format!("offerings[{i}].parent"), p)));
    let (_, parent_ids) = resolve(conn, Table::Offerings, "offering", parent_refs).await?;
    let parents: Vec<(Uuid, Option<i64>)> = o.iter().map(|e| (e.uuid, e.parent.map(|p| parent_ids[&p]))).collect();
    let reparented = set_offering_parents(conn, &parents).await?;
    updated.extend(reparented.into_iter().filter(|u| !written.created.contains(u)));
    summary.add(Kind::Offerings, o.len() as u64, written.created.len() as u64, updated.len() as u64);
    Ok(())
}

async fn import_roles(conn: &mut PgConnection, doc: &Document, summary: &mut ImportSummary) -> Result<(), ImportError> {
    let r = &doc.roles;
    if r.is_empty() {
        return Ok(());
    }
    let user_refs = r.iter().enumerate().map(|(i, e)| (format!("roles[{i}].user"), e.user));
    let (user_ids, _) = resolve(conn, Table::Users, "user", user_refs).await?;
    let customer_refs =
        r.iter().enumerate().filter_map(|(i, e)| e.scope.customer.map(|u| (format!("roles[{i}].scope.customer"), u)));
    let (_, customers) = resolve(conn, Table::Customers, "customer", customer_refs).await?;
    let project_refs =
        r.iter().enumerate().filter_map(|(i, e)| e.scope.project.map(|u| (format!("roles[{i}].scope.project"), u)));
    let (_, projects) = resolve(conn, Table::Projects, "project", project_refs).await?;
    let offering_refs =
        r.iter().enumerate().filter_map(|(i, e)| e.scope.offering.map(|u| (format!("roles[{i}].scope.offering"), u)));
    let (_, offerings) = resolve(conn, Table::Offerings, "offering", offering_refs).await?;

    let rows: Vec<RoleWrite<'_>> = r
        .iter()
        .zip(user_ids)
        .map(|(e, user_id)| RoleWrite {
            user_id,
            role: e.role.name(),
            customer_id: e.scope.customer.map(|u| customers[&u]),
            project_id: e.scope.project.map(|u| projects[&u]),
            offering_id: e.scope.offering.map(|u| offerings[&u]),
            is_active: e.is_active,
            expiration_time: e.expiration_time,
        })
        .collect();
    // Needs no database, but runs after the references resolve, so that a role on an unknown
    // scope is reported as such before any repeat.
    let mut identities = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        if !identities.insert((row.user_id, row.role, row.customer_id, row.project_id, row.offering_id)) {
            return Err(invalid(format!("roles[{i}]"), "the same role on the same scope appears twice"));
        }
    }
    let written = upsert_roles(conn, &rows).await?;
    summary.add(Kind::Roles, r.len() as u64, written.created, written.updated);
    Ok(())
}

async fn import_terms(conn: &mut PgConnection, doc: &Document, summary: &mut ImportSummary) -> Result<(), ImportError> {
    let t = &doc.terms_of_service;
    if t.is_empty() {
        return Ok(());
    }
    let refs = t.iter().enumerate().map(|(i, e)| (format!("terms_of_service[{i}].offering"), e.offering));
    let (offering_ids, _) = resolve(conn, Table::Offerings, "offering", refs).await?;
    let rows: Vec<TermsWrite<'_>> = t
        .iter()
        .zip(offering_ids)
        .map(|(e, offering_id)| TermsWrite {
            uuid: e.uuid,
            offering_id,
            version: &e.version,
            is_active: e.is_active,
            requires_reconsent: e.requires_reconsent,
            terms_of_service: &e.terms_of_service,
            terms_of_service_link: &e.terms_of_service_link,
            grace_period_days: e.grace_period_days,
        })
        .collect();
    if let Some(i) = first_clashing_active_terms(conn, &rows).await? {
        return Err(invalid(
            format!("terms_of_service[{i}].is_active"),
            "the offering already has another active terms of service",
        ));
    }
    let written = upsert_terms(conn, &rows).await?;
    summary.add(Kind::TermsOfService, t.len() as u64, written.created, written.updated);
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
    let (user_ids, _) = resolve(conn, Table::Users, "user", user_refs).await?;
    let offering_refs = c.iter().enumerate().map(|(i, e)| (format!("consents[{i}].offering"), e.offering));
    let (offering_ids, _) = resolve(conn, Table::Offerings, "offering", offering_refs).await?;
    let rows: Vec<ConsentWrite<'_>> = c
        .iter()
        .zip(user_ids.into_iter().zip(offering_ids))
        .map(|(e, (user_id, offering_id))| ConsentWrite {
            uuid: e.uuid,
            user_id,
            offering_id,
            version: &e.version,
            agreement_date: e.agreement_date,
            revocation_date: e.revocation_date,
        })
        .collect();
    if let Some(i) = first_clashing_consent(conn, &rows).await? {
        return Err(invalid(format!("consents[{i}]"), "the user already has another consent for this offering"));
    }
    let written = upsert_consents(conn, &rows).await?;
    summary.add(Kind::Consents, c.len() as u64, written.created, written.updated);
    Ok(())
}

/// Rows per statement: large enough to amortise round trips, small enough to keep the
/// bind arrays modest.
const OFFERING_USER_BATCH: usize = 20_000;

async fn import_offering_users(
    conn: &mut PgConnection,
    doc: &Document,
    options: ImportOptions,
    summary: &mut ImportSummary,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), ImportError> {
    let entries = &doc.offering_users;
    if entries.is_empty() {
        return Ok(());
    }
    let user_refs = entries.iter().enumerate().map(|(i, e)| (format!("offering_users[{i}].user"), e.user));
    let (user_ids, _) = resolve(conn, Table::Users, "user", user_refs).await?;
    let offering_refs = entries.iter().enumerate().map(|(i, e)| (format!("offering_users[{i}].offering"), e.offering));
    let (offering_ids, _) = resolve(conn, Table::Offerings, "offering", offering_refs).await?;
    let account_ids = offering_user_accounts(conn, doc, &user_ids, &offering_ids).await?;
    let rows: Vec<OfferingUserWrite<'_>> = entries
        .iter()
        .zip(user_ids.into_iter().zip(offering_ids))
        .zip(account_ids)
        .map(|((e, (user_id, offering_id)), service_provider_account_id)| OfferingUserWrite {
            uuid: e.uuid,
            offering_id,
            user_id,
            api: api_owned(e),
            service_provider_account_id,
        })
        .collect();
    let mut total = OfferingUsersWritten::default();
    for (n, batch) in rows.chunks(OFFERING_USER_BATCH).enumerate() {
        let start = n * OFFERING_USER_BATCH;
        if let Some(i) = first_clashing_offering_user(conn, batch).await? {
            return Err(invalid(
                format!("offering_users[{}]", start + i),
                "the fields offering, user must make a unique set (another offering user exists)",
            ));
        }
        let written = write_offering_users(conn, batch, options.overwrite_offering_users).await?;
        total.created += written.created;
        total.updated += written.updated;
        total.left_alone += written.left_alone;
        let done = (start + batch.len()) as u64;
        progress(Progress::Rows { kind: Kind::OfferingUsers, done, rows: rows.len() as u64 });
    }
    summary.add(Kind::OfferingUsers, rows.len() as u64, total.created, total.updated);
    summary.left_alone = total.left_alone;
    Ok(())
}

/// After offerings and offering users: every offering user of an offering of the document
/// (and every offering user of the document) gets the completion of its offering's current
/// checklist; completions of a previous checklist are removed with their answers
/// (docs/spec/checklists.md §9).
async fn import_completions(
    conn: &mut PgConnection,
    doc: &Document,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    if doc.offerings.is_empty() && doc.offering_users.is_empty() {
        return Ok(());
    }
    let offerings: Vec<Uuid> = doc.offerings.iter().map(|o| o.uuid).collect();
    let offering_users: Vec<Uuid> = doc.offering_users.iter().map(|o| o.uuid).collect();
    let (created, _removed) = realign_completions(conn, &offerings, &offering_users).await?;
    // Removals only follow a change of an offering's checklist, counted with the offerings.
    summary.add_derived(Kind::ChecklistCompletions, created, 0);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The 2026 contract's keys (docs/spec/offering-users-2026.md §9)

/// The profile attributes of every user entry.
fn profiles(doc: &Document) -> Vec<ProfileWrite<'_>> {
    let list = |items: &Vec<String>| serde_json::Value::from(items.clone()).to_string();
    doc.users
        .iter()
        .map(|u| ProfileWrite {
            uuid: u.uuid,
            strings: [
                &u.phone_number,
                &u.organization,
                &u.job_title,
                &u.personal_title,
                &u.place_of_birth,
                &u.address,
                &u.country_of_residence,
                &u.nationality,
                &u.organization_country,
                &u.organization_type,
                &u.organization_registry_code,
                &u.organization_vat_code,
                &u.organization_address,
                &u.identity_source,
            ],
            lists: [list(&u.affiliations), list(&u.nationalities), list(&u.eduperson_assurance), list(&u.active_isds)],
            gender: u.gender.as_deref(),
            civil_number: u.civil_number.as_deref(),
            birth_date: u.birth_date,
            registration_method: &u.registration_method,
            uid_number: u.uid_number,
            primary_gid: u.primary_gid,
        })
        .collect()
}

/// Every offering entry's exposure config: `None` without one, else its names (checked by
/// `validate`) in canonical order, comma-joined.
fn exposures(doc: &Document) -> Vec<(Uuid, Option<String>)> {
    doc.offerings
        .iter()
        .map(|o| {
            let config = o.exposed_user_attributes.as_ref().map(|names| {
                let canonical = explicit_attributes(names).unwrap_or_default();
                canonical.iter().map(|a| a.name()).collect::<Vec<_>>().join(",")
            });
            (o.uuid, config)
        })
        .collect()
}

async fn import_service_provider_accounts(
    conn: &mut PgConnection,
    doc: &Document,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let a = &doc.service_provider_accounts;
    if a.is_empty() {
        return Ok(());
    }
    let user_refs = a.iter().enumerate().map(|(i, e)| (format!("service_provider_accounts[{i}].user"), e.user));
    let (user_ids, _) = resolve(conn, Table::Users, "user", user_refs).await?;
    let customer_refs =
        a.iter().enumerate().map(|(i, e)| (format!("service_provider_accounts[{i}].customer"), e.customer));
    let (customer_ids, _) = resolve(conn, Table::Customers, "customer", customer_refs).await?;
    let rows: Vec<AccountWrite<'_>> = a
        .iter()
        .zip(user_ids.into_iter().zip(customer_ids))
        .map(|(e, (user_id, customer_id))| AccountWrite {
            uuid: e.uuid,
            user_id,
            customer_id,
            username: e.username.as_deref(),
        })
        .collect();
    if let Some(i) = first_clashing_account(conn, &rows).await? {
        return Err(invalid(
            format!("service_provider_accounts[{i}]"),
            "the user already has another account at this customer",
        ));
    }
    let written = upsert_accounts(conn, &rows).await?;
    summary.add(Kind::ServiceProviderAccounts, a.len() as u64, written.created, written.updated);
    Ok(())
}

/// The provider account id of every offering-user entry (`None` without one). The account
/// must exist (in the database or written from the document before), belong to the entry's
/// user, and be at its offering's customer (§9); else an error naming the entry's key.
async fn offering_user_accounts(
    conn: &mut PgConnection,
    doc: &Document,
    user_ids: &[i64],
    offering_ids: &[i64],
) -> Result<Vec<Option<i64>>, ImportError> {
    let uuids: Vec<Uuid> = doc.offering_users.iter().filter_map(|e| e.service_provider_account).collect();
    if uuids.is_empty() {
        return Ok(vec![None; doc.offering_users.len()]);
    }
    let accounts = accounts_by_uuid(conn, &uuids).await?;
    let customers = offering_customers(conn, offering_ids).await?;
    let mut ids = Vec::with_capacity(doc.offering_users.len());
    for (i, e) in doc.offering_users.iter().enumerate() {
        let Some(uuid) = e.service_provider_account else {
            ids.push(None);
            continue;
        };
        let path = format!("offering_users[{i}].service_provider_account");
        let account = accounts
            .get(&uuid)
            .ok_or_else(|| invalid(&path, format!("no service provider account with uuid {}", uuid.simple())))?;
        if account.user_id != user_ids[i] {
            return Err(invalid(path, "the account belongs to another user"));
        }
        if customers.get(&offering_ids[i]) != Some(&account.customer_id) {
            return Err(invalid(path, "the account is at another customer than the offering's"));
        }
        ids.push(Some(account.id));
    }
    Ok(ids)
}
