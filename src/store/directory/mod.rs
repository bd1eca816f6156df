//! The writes of the directory import (docs/spec/directory.md): one batched statement per kind
//! (`UNNEST` arrays) whatever the number of rows, not one per row. Each upsert writes only the
//! rows whose values differ, so importing the same file twice changes nothing the second time;
//! the kinds the API's writes lock (users, tokens, offering users) also lock only the rows that
//! change (`locks` says in which order).
//!
//! The functions take rows whose references are already ids; what a reference or a clash
//! means for the document (its JSON path, its message) is the importer's business.

pub mod checklists;
pub mod completions;
pub mod consents;
pub mod locks;
pub mod offering_users;
pub mod organisations;
pub mod posix;
pub mod profiles;
pub mod roles;
pub mod users;

use std::collections::HashMap;

use sqlx::PgConnection;
use uuid::Uuid;

/// The tables whose rows the document names by uuid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Users,
    Customers,
    Projects,
    Offerings,
    Checklists,
    ChecklistQuestions,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Users => "users",
            Table::Customers => "customers",
            Table::Projects => "projects",
            Table::Offerings => "offerings",
            Table::Checklists => "checklists",
            Table::ChecklistQuestions => "checklist_questions",
        }
    }
}

/// The ids of the rows of `table` with these uuids; uuids without a row are left out.
pub async fn ids_by_uuid(conn: &mut PgConnection, table: Table, uuids: &[Uuid]) -> sqlx::Result<HashMap<Uuid, i64>> {
    // The table name comes from the closed list above, never from input.
    let rows: Vec<(Uuid, i64)> = sqlx::query_as(&format!("SELECT uuid, id FROM {} WHERE uuid = ANY($1)", table.name()))
        .bind(uuids)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// How many rows an upsert created, and how many existing ones it changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// New rows.
    pub created: u64,
    /// Existing rows whose values changed.
    pub updated: u64,
}

impl Written {
    /// Counts the `RETURNING (xmax = 0)` flags of an upsert: `true` for an inserted row,
    /// `false` for an updated one (unchanged rows return nothing).
    fn from_inserted_flags(flags: &[bool]) -> Written {
        let created = flags.iter().filter(|f| **f).count() as u64;
        Written { created, updated: flags.len() as u64 - created }
    }
}

/// The position in `rows` of a one-based `WITH ORDINALITY` number.
fn position(ordinal: i64) -> usize {
    usize::try_from(ordinal - 1).unwrap_or_default()
}
