//! The transaction around an import: its options, a dry run rolled back, and a run again when
//! PostgreSQL fails the transaction for a deadlock or a serialization failure
//! (docs/spec/decisions.md item 32).

use sqlx::PgPool;

use super::document::Document;
use super::error::ImportError;
use super::import::{import_in, Progress};
use super::summary::ImportSummary;
use crate::db::is_conflict;

/// How an import treats what it finds (the flags of the `import` command).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Run the whole import, report what it would do, and roll it back.
    pub dry_run: bool,
    /// Replace what the API made of existing offering users by the document's values
    /// (docs/spec/decisions.md item 32); each change is audited.
    pub overwrite_offering_users: bool,
}

/// How many times an import runs when PostgreSQL fails its transaction for a deadlock or a
/// serialization failure: the transaction rolled back whole, so it can be run again.
const IMPORT_ATTEMPTS: u32 = 3;

/// The key of the advisory lock that makes imports wait for one another: two imports at once
/// would update the same users and offerings in their own orders.
const IMPORT_LOCK_KEY: i64 = 0x5741_4c44_5552_494d; // "WALDURIM"

/// Validates `doc` and upserts it in one transaction; on any error nothing is written.
pub async fn import(pool: &PgPool, doc: &Document) -> Result<ImportSummary, ImportError> {
    import_with(pool, doc, ImportOptions::default(), &mut |_| {}).await
}

/// [`import`], telling `progress` how far it has come.
pub async fn import_with_progress(
    pool: &PgPool,
    doc: &Document,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ImportSummary, ImportError> {
    import_with(pool, doc, ImportOptions::default(), progress).await
}

/// [`import_with_progress`] with `options`. A transaction that PostgreSQL fails for a
/// deadlock or a serialization failure is run again from the start (the progress too).
pub async fn import_with(
    pool: &PgPool,
    doc: &Document,
    options: ImportOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ImportSummary, ImportError> {
    let mut attempt = 1;
    loop {
        match import_once(pool, doc, options, progress).await {
            Err(ImportError::Database(e)) if is_conflict(&e) && attempt < IMPORT_ATTEMPTS => {
                tracing::warn!(error = %e, attempt, "the import's transaction was rolled back by a conflict; running it again");
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// One run of the import in its transaction: committed, or rolled back for a dry run.
async fn import_once(
    pool: &PgPool,
    doc: &Document,
    options: ImportOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ImportSummary, ImportError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(IMPORT_LOCK_KEY).execute(&mut *tx).await?;
    // The import's statements join whole arrays, and their estimates make PostgreSQL compile
    // them to machine code (JIT) on every run: seconds of compiling for statements that then
    // run in milliseconds.
    sqlx::query("SET LOCAL jit = off").execute(&mut *tx).await?;
    let mut summary = import_in(&mut tx, doc, options, progress).await?;
    if options.dry_run {
        tx.rollback().await?;
        summary.dry_run = true;
        return Ok(summary);
    }
    progress(Progress::Committing);
    tx.commit().await?;
    Ok(summary)
}
