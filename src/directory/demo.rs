//! `serve --demo`: the bundled demo directory, imported only into a database that holds no
//! users but the demo's. The demo publishes well-known tokens (a staff one among them), so
//! a `--demo` left on by mistake must not add them to a database with real users.

use sqlx::PgPool;

use super::import::import_in;
use super::{parse, ImportError, ImportSummary, DEMO};

/// Why `serve --demo` imported nothing.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The database holds users the demo does not define.
    #[error(
        "--demo refused: the database holds {0} user(s) besides the demo's, and the demo would add \
         well-known tokens to it; serve without --demo, or point DATABASE_URL (or --data-dir) at a \
         database of its own"
    )]
    ForeignUsers(i64),
    #[error(transparent)]
    Import(#[from] ImportError),
}

impl From<sqlx::Error> for DemoError {
    fn from(e: sqlx::Error) -> Self {
        DemoError::Import(ImportError::Database(e))
    }
}

/// Imports the demo directory in one transaction, unless the database holds users other than
/// the demo's (told apart by uuid). On a database that holds only the demo it is the same
/// idempotent upsert as `import`.
pub async fn import_demo(pool: &PgPool) -> Result<ImportSummary, DemoError> {
    let doc = parse(DEMO)?;
    let demo_users: Vec<uuid::Uuid> = doc.users.iter().map(|u| u.uuid).collect();
    let mut tx = pool.begin().await?;
    // Holds off other writers of `users` (another import) until this transaction ends, so no
    // user can arrive between the count and the import. The mode conflicts with itself: two
    // demo imports queue instead of deadlocking.
    sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
    let foreign: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE uuid <> ALL($1)")
        .bind(&demo_users)
        .fetch_one(&mut *tx)
        .await?;
    if foreign > 0 {
        return Err(DemoError::ForeignUsers(foreign));
    }
    let summary = import_in(&mut tx, &doc, &mut |_| {}).await?;
    tx.commit().await?;
    Ok(summary)
}
