//! The POSIX writes of an import, after the offering users (docs/spec/offering-users-2026.md §9;
//! docs/spec/decisions.md item 32): pools, project groups, the offering users' POSIX attributes,
//! then the ledger derived from what is now stored. Every clash with stored rows is an error
//! naming the entry's JSON path.

use std::collections::HashMap;

use serde_json::{Map, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use super::validate::ranges;
use super::PosixValue;
use crate::directory::document::{Document, OfferingUserEntry};
use crate::directory::error::{invalid, ImportError};
use crate::directory::import::Progress;
use crate::directory::run::ImportOptions;
use crate::directory::summary::{ImportSummary, Kind};
use crate::domain::posix::{check_range, metadata_id, pool_sourced, Namespace, HOME_DIRECTORY_KEY, LOGIN_SHELL_KEY};
use crate::store::directory::posix::{
    first_clashing_group_name, first_clashing_pool, first_held_value, first_overlapping_pool, ledger_accounts,
    ledger_groups, lock_pools, save_identities, upsert_groups, upsert_pools, write_posix_metadata, GroupWrite, Holder,
    IdentityWrite, MetadataWrite, PoolWrite,
};
use crate::store::directory::{ids_by_uuid, Table};

/// Writes the POSIX parts of the document.
pub(in crate::directory) async fn import_posix(
    conn: &mut PgConnection,
    doc: &Document,
    options: ImportOptions,
    summary: &mut ImportSummary,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), ImportError> {
    let mut step = |kind: Kind, rows: usize, summary: &ImportSummary| {
        progress(Progress::Started { kind, rows: Some(rows as u64) });
        let (created, updated) = summary.of(kind);
        progress(Progress::Done { kind, created, updated });
    };
    if !doc.posix_id_pools.is_empty() {
        import_pools(conn, doc, summary).await?;
        step(Kind::PosixIdPools, doc.posix_id_pools.len(), summary);
    }
    if !doc.posix_groups.is_empty() {
        import_groups(conn, doc, summary).await?;
        step(Kind::PosixGroups, doc.posix_groups.len(), summary);
    }
    import_attributes(conn, doc, options, summary).await?;
    derive_ledger(conn, doc).await
}

/// The ids of the rows of `table` named by `references` (path, uuid); the error names the
/// first whose row does not exist.
async fn resolve(
    conn: &mut PgConnection,
    table: Table,
    noun: &str,
    references: Vec<(String, Uuid)>,
) -> Result<HashMap<Uuid, i64>, ImportError> {
    let uuids: Vec<Uuid> = references.iter().map(|(_, u)| *u).collect();
    let ids = ids_by_uuid(conn, table, &uuids).await?;
    match references.iter().find(|(_, uuid)| !ids.contains_key(uuid)) {
        Some((path, uuid)) => Err(invalid(path.clone(), format!("no {noun} with uuid {}", uuid.simple()))),
        None => Ok(ids),
    }
}

async fn import_pools(conn: &mut PgConnection, doc: &Document, summary: &mut ImportSummary) -> Result<(), ImportError> {
    let pools = &doc.posix_id_pools;
    let customer_refs = pools
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.scope.customer.map(|u| (format!("posix_id_pools[{i}].scope.customer"), u)))
        .collect();
    let customers = resolve(conn, Table::Customers, "customer", customer_refs).await?;
    let offering_refs = pools
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.scope.offering.map(|u| (format!("posix_id_pools[{i}].scope.offering"), u)))
        .collect();
    let offerings = resolve(conn, Table::Offerings, "offering", offering_refs).await?;
    let rows: Vec<PoolWrite<'_>> = pools
        .iter()
        .map(|p| PoolWrite {
            uuid: p.uuid,
            customer_id: p.scope.customer.map(|u| customers[&u]),
            offering_id: p.scope.offering.map(|u| offerings[&u]),
            description: &p.description,
            ranges: ranges(p).map(|(_, min, max, next)| (min, max, next)),
        })
        .collect();
    if let Some(i) = first_clashing_pool(conn, &rows).await? {
        return Err(invalid(format!("posix_id_pools[{i}].scope"), "another pool already has this scope"));
    }
    let written = upsert_pools(conn, &rows).await?;
    let uuids: Vec<Uuid> = pools.iter().map(|p| p.uuid).collect();
    if let Some((i, other)) = first_overlapping_pool(conn, &uuids).await? {
        return Err(invalid(
            format!("posix_id_pools[{i}]"),
            format!("a range overlaps a range of the same namespace of pool {} of the same provider", other.simple()),
        ));
    }
    summary.add(Kind::PosixIdPools, pools.len() as u64, written.created, written.updated);
    Ok(())
}

async fn import_groups(
    conn: &mut PgConnection,
    doc: &Document,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let groups = &doc.posix_groups;
    let at = |i: usize, key: &str| format!("posix_groups[{i}].{key}");
    let offering_refs =
        groups.iter().enumerate().filter_map(|(i, g)| g.offering.map(|u| (at(i, "offering"), u))).collect();
    let offerings = resolve(conn, Table::Offerings, "offering", offering_refs).await?;
    let customer_refs =
        groups.iter().enumerate().filter_map(|(i, g)| g.customer.map(|u| (at(i, "customer"), u))).collect();
    let customers = resolve(conn, Table::Customers, "customer", customer_refs).await?;
    let mut project_refs: Vec<(String, Uuid)> =
        groups.iter().enumerate().filter_map(|(i, g)| g.project.map(|u| (at(i, "project"), u))).collect();
    for (i, g) in groups.iter().enumerate() {
        for (j, project) in g.projects.iter().flatten().enumerate() {
            project_refs.push((format!("posix_groups[{i}].projects[{j}]"), *project));
        }
    }
    let projects = resolve(conn, Table::Projects, "project", project_refs).await?;
    let rows: Vec<GroupWrite<'_>> = groups
        .iter()
        .map(|g| GroupWrite {
            uuid: g.uuid,
            kind: &g.kind,
            offering_id: g.offering.map(|u| offerings[&u]),
            customer_id: g.customer.map(|u| customers[&u]),
            project_id: g.project.map(|u| projects[&u]),
            name: g.name.as_deref(),
            gid: g.gid,
            projects: g.projects.iter().flatten().map(|u| projects[u]).collect(),
        })
        .collect();
    if let Some(i) = first_clashing_group_name(conn, &rows).await? {
        return Err(invalid(at(i, "name"), "another group of the customer has this name"));
    }
    let written = upsert_groups(conn, &rows).await?;
    summary.add(Kind::PosixGroups, groups.len() as u64, written.created, written.updated);
    Ok(())
}

/// What an offering-user entry writes into `backend_metadata`, or `None` when it names no
/// POSIX key.
fn metadata_write(entry: &OfferingUserEntry) -> Option<MetadataWrite> {
    let mut set = Map::new();
    let mut remove = Vec::new();
    let mut apply = |key: &str, value: Option<Value>, removed: bool| {
        if let Some(value) = value {
            set.insert(key.to_owned(), value);
        } else if removed {
            remove.push(key.to_owned());
        }
    };
    apply("uidnumber", entry.uidnumber.value().map(|v| Value::from(*v)), entry.uidnumber == PosixValue::Removed);
    apply(
        "primarygroup",
        entry.primarygroup.value().map(|v| Value::from(*v)),
        entry.primarygroup == PosixValue::Removed,
    );
    apply(
        LOGIN_SHELL_KEY,
        entry.login_shell.value().map(|v| Value::from(v.clone())),
        entry.login_shell == PosixValue::Removed,
    );
    apply(
        HOME_DIRECTORY_KEY,
        entry.home_directory.value().map(|v| Value::from(v.clone())),
        entry.home_directory == PosixValue::Removed,
    );
    (!set.is_empty() || !remove.is_empty()).then(|| MetadataWrite { uuid: entry.uuid, set: Value::Object(set), remove })
}

async fn import_attributes(
    conn: &mut PgConnection,
    doc: &Document,
    options: ImportOptions,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let rows: Vec<MetadataWrite> = doc.offering_users.iter().filter_map(metadata_write).collect();
    if rows.is_empty() {
        return Ok(());
    }
    let written = write_posix_metadata(conn, &rows, options.overwrite_offering_users).await?;
    summary.add_derived(Kind::PosixAttributes, 0, written.updated);
    summary.posix_left_alone = written.left_alone;
    Ok(())
}

/// Where a wanted identity's values come from, for the error that names them: the JSON path
/// of each value (`offering_users[3].uidnumber`, `posix_groups[1].gid`) and the pool.
#[derive(Debug, Clone)]
struct Origin {
    pool: Uuid,
    /// `user <uuid>` or `group <uuid>`: how an error names the holder.
    holder: String,
    uid: Option<(i64, String)>,
    gid: Option<(i64, String)>,
}

/// The ledger (§9): every offering user's stored UID and primary GID, when its offering's pool
/// manages the namespace, the value is inside the range and the offering takes the namespace
/// from the pool, becomes the user's active identity in that pool; every group's GID inside
/// its pool's GID or project-group range becomes the group's. Another holder of a value, or
/// one user with two values in one pool, is an error naming the entry.
async fn derive_ledger(conn: &mut PgConnection, doc: &Document) -> Result<(), ImportError> {
    if doc.offering_users.is_empty() && doc.posix_groups.is_empty() {
        return Ok(());
    }
    let mut wanted: Vec<IdentityWrite> = Vec::new();
    let mut origins: Vec<Origin> = Vec::new();
    let mut by_user: HashMap<(i64, i64), usize> = HashMap::new();
    // (pool, is a gid, value) → the wanted identity that holds it: one holder per value.
    let mut by_value: HashMap<(i64, bool, i64), usize> = HashMap::new();

    let uuids: Vec<Uuid> = doc.offering_users.iter().map(|e| e.uuid).collect();
    for account in ledger_accounts(conn, &uuids).await? {
        let (Some(pool_id), Some(pool_uuid)) = (account.pool_id, account.pool_uuid) else { continue };
        let path = format!("offering_users[{}]", account.ord - 1);
        for namespace in Namespace::ALL {
            let Some(value) = metadata_id(&account.backend_metadata, namespace.field()) else { continue };
            let range = match namespace {
                Namespace::Uid => account.min_uid.zip(account.max_uid),
                Namespace::Gid => account.min_gid.zip(account.max_gid),
            };
            // Untracked: stored, but no identity ("Not from a pool").
            if !pool_sourced(&account.plugin_options, namespace) || check_range(namespace, value, range).is_err() {
                continue;
            }
            let slot = *by_user.entry((pool_id, account.user_id)).or_insert_with(|| {
                wanted.push(IdentityWrite {
                    pool_id,
                    user_id: Some(account.user_id),
                    group_id: None,
                    offering_id: Some(account.offering_id),
                    uid: None,
                    gid: None,
                });
                let holder = format!("user {}", account.user_uuid.simple());
                origins.push(Origin { pool: pool_uuid, holder, uid: None, gid: None });
                wanted.len() - 1
            });
            let (held, origin) = match namespace {
                Namespace::Uid => (&mut wanted[slot].uid, &mut origins[slot].uid),
                Namespace::Gid => (&mut wanted[slot].gid, &mut origins[slot].gid),
            };
            match *held {
                Some(other) if other != value => {
                    return Err(invalid(
                        format!("{path}.{}", namespace.field()),
                        format!(
                            "user {} has two different values in pool {}: {other} and {value}",
                            account.user_uuid.simple(),
                            pool_uuid.simple()
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    *held = Some(value);
                    *origin = Some((value, format!("{path}.{}", namespace.field())));
                    let key = (pool_id, namespace == Namespace::Gid, value);
                    if let Some(&other) = by_value.get(&key) {
                        return Err(held_twice(&origins, other, slot, namespace == Namespace::Gid));
                    }
                    by_value.insert(key, slot);
                }
            }
        }
    }

    let group_uuids: Vec<Uuid> = doc.posix_groups.iter().map(|g| g.uuid).collect();
    let groups = ledger_groups(conn, &group_uuids).await?;
    for group in &groups {
        let (Some(gid), Some(pool_id), Some(pool_uuid)) = (group.gid, group.pool_id, group.pool_uuid) else { continue };
        let inside = |range: Option<(i64, i64)>| range.is_some_and(|(min, max)| (min..=max).contains(&gid));
        if !inside(group.min_gid.zip(group.max_gid)) && !inside(group.min_group_gid.zip(group.max_group_gid)) {
            continue;
        }
        let path = format!("posix_groups[{}].gid", group.ord - 1);
        wanted.push(IdentityWrite {
            pool_id,
            user_id: None,
            group_id: Some(group.group_id),
            offering_id: None,
            uid: None,
            gid: Some(gid),
        });
        let holder = format!("group {}", group.uuid.simple());
        origins.push(Origin { pool: pool_uuid, holder, uid: None, gid: Some((gid, path)) });
        let slot = wanted.len() - 1;
        if let Some(&other) = by_value.get(&(pool_id, true, gid)) {
            return Err(held_twice(&origins, other, slot, true));
        }
        by_value.insert((pool_id, true, gid), slot);
    }

    let mut pools: Vec<i64> = wanted.iter().map(|w| w.pool_id).collect();
    pools.sort_unstable();
    pools.dedup();
    lock_pools(conn, &pools).await?;
    if let Some((i, on_gid, holder)) = first_held_value(conn, &wanted).await? {
        let origin = &origins[i];
        let Some((value, path)) = (if on_gid { &origin.gid } else { &origin.uid }) else {
            return Err(invalid("offering_users", "a POSIX value is already held in its pool"));
        };
        let holder = match holder {
            Holder::User(uuid) => format!("user {}", uuid.simple()),
            Holder::Group(uuid) => format!("group {}", uuid.simple()),
        };
        return Err(invalid(
            path.clone(),
            format!("{value} is already held by {holder} in pool {}", origin.pool.simple()),
        ));
    }
    let group_ids: Vec<i64> = groups.iter().map(|g| g.group_id).collect();
    save_identities(conn, &group_ids, &wanted).await?;
    Ok(())
}

/// The error of a value that two entries of the document want in one pool: the later one
/// (`slot`) names the holder of the earlier (`other`).
fn held_twice(origins: &[Origin], other: usize, slot: usize, gid: bool) -> ImportError {
    let pick = |o: &Origin| if gid { o.gid.clone() } else { o.uid.clone() };
    let (value, path) = pick(&origins[slot]).unwrap_or_default();
    let (earlier, later) = (&origins[other], &origins[slot]);
    invalid(path, format!("{value} is already held by {} in pool {}", earlier.holder, later.pool.simple()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::document::parse;

    #[test]
    fn absent_keys_are_not_written_and_null_removes() {
        let doc = parse(
            &serde_json::json!({"offering_users": [
                {"uuid": "00000000000000000000000000000001", "user": "00000000000000000000000000000002",
                 "offering": "00000000000000000000000000000003", "uidnumber": 5, "login_shell": null},
                {"uuid": "00000000000000000000000000000004", "user": "00000000000000000000000000000002",
                 "offering": "00000000000000000000000000000003"}]})
            .to_string(),
        )
        .unwrap();
        let first = metadata_write(&doc.offering_users[0]).unwrap();
        assert_eq!(first.set, serde_json::json!({"uidnumber": 5}));
        assert_eq!(first.remove, vec!["loginShell".to_owned()]);
        assert!(metadata_write(&doc.offering_users[1]).is_none());
    }
}
