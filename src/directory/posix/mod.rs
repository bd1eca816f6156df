//! The POSIX keys of the directory document (docs/spec/offering-users-2026.md §9): pools, project
//! groups, the POSIX attributes of offering users, and the ledger the import derives from them.
//!
//! - this file: the entries' shapes;
//! - `validate.rs`: the checks that need no database;
//! - `import.rs`: the writes, the checks against stored rows, and the ledger.

mod import;
mod validate;

pub(super) use import::import_posix;
pub(super) use validate::validate_posix;

use serde::{Deserialize, Deserializer};
use uuid::Uuid;

/// A POSIX ID pool: a UID and/or GID range (and, for a provider's pool, a range of project-group
/// GIDs) of one customer (the default of its offerings) or of one offering (an override).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PosixPoolEntry {
    pub uuid: Uuid,
    pub scope: PoolScopeEntry,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub min_uid: Option<i64>,
    #[serde(default)]
    pub max_uid: Option<i64>,
    #[serde(default)]
    pub next_uid: Option<i64>,
    #[serde(default)]
    pub min_gid: Option<i64>,
    #[serde(default)]
    pub max_gid: Option<i64>,
    #[serde(default)]
    pub next_gid: Option<i64>,
    #[serde(default)]
    pub min_group_gid: Option<i64>,
    #[serde(default)]
    pub max_group_gid: Option<i64>,
    #[serde(default)]
    pub next_group_gid: Option<i64>,
}

/// Exactly one of the two.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolScopeEntry {
    #[serde(default)]
    pub customer: Option<Uuid>,
    #[serde(default)]
    pub offering: Option<Uuid>,
}

/// A project group: an offering's group mapped to projects (`project_group`), or a provider's
/// named group of one project (`provider_project_group`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PosixGroupEntry {
    pub uuid: Uuid,
    pub kind: String,
    #[serde(default)]
    pub offering: Option<Uuid>,
    #[serde(default)]
    pub projects: Option<Vec<Uuid>>,
    #[serde(default)]
    pub customer: Option<Uuid>,
    #[serde(default)]
    pub project: Option<Uuid>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub gid: Option<i64>,
}

/// What an offering-user entry says of one POSIX attribute: the key absent, `null` (the
/// `backend_metadata` key is removed) or a value. serde cannot tell an absent key from `null`
/// through `Option`, so a present key goes through [`posix_given`] and absence takes the
/// `Default`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PosixValue<T> {
    /// No key: nothing is written.
    #[default]
    Absent,
    /// `null`: the key is removed.
    Removed,
    /// A value.
    Set(T),
}

impl<T> PosixValue<T> {
    /// The value, when one is given.
    pub fn value(&self) -> Option<&T> {
        match self {
            PosixValue::Set(value) => Some(value),
            PosixValue::Absent | PosixValue::Removed => None,
        }
    }
}

/// A present key: `null` removes, a value sets.
pub(in crate::directory) fn posix_given<'de, D, T>(deserializer: D) -> Result<PosixValue<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(match Option::<T>::deserialize(deserializer)? {
        Some(value) => PosixValue::Set(value),
        None => PosixValue::Removed,
    })
}
