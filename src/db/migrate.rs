//! Applying the migrations without holding up the replicas that keep serving meanwhile
//! (README, "Rolling upgrades").
//!
//! - **One migrator at a time.** The runner takes sqlx's advisory lock itself (the same lock
//!   id, so releases that let sqlx take it still wait for this one and the other way round),
//!   waiting without a time limit: a replica that starts while another migrates waits for it,
//!   then finds nothing to do.
//! - **Short lock waits.** A migration in a transaction runs with `lock_timeout`
//!   ([`LOCK_TIMEOUT`]): waiting behind a long transaction for a table lock would queue every
//!   request of the old replicas behind it. On the timeout (55P03) the migration is rolled
//!   back and tried again after a pause, a few times. A `-- no-transaction` migration (a
//!   `CREATE INDEX CONCURRENTLY`) runs without it: it takes no lock that stops reads or writes,
//!   and interrupted it would leave an invalid index behind.
//! - **`pg_trgm` where it is.** A migration names `gin_trgm_ops` unqualified (0004). Where
//!   `pg_trgm` was installed before, in a schema off the search path (an `extensions` schema,
//!   as some hosted PostgreSQL services do), that name would not resolve: the migration
//!   session appends that schema to its search path.

use std::borrow::Cow;
use std::time::Duration;

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use super::DatabaseError;

/// How long a transactional migration waits for a lock before it is rolled back and retried.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts of one migration that meets the lock timeout.
pub const ATTEMPTS: u32 = 5;
/// Pause after the first lock timeout; it doubles after each further one.
const FIRST_PAUSE: Duration = Duration::from_secs(1);

/// Applies the pending migrations of `migrator` on a connection of its own (no statement
/// timeout: a migration of a large table may take long); `report` hears what it is doing
/// (for the readiness check). A database migrated further by a newer release is accepted.
pub async fn run(
    migrator: &Migrator,
    options: &PgConnectOptions,
    connect_timeout: Duration,
    report: impl FnMut(&str),
) -> Result<(), DatabaseError> {
    let conn = super::wait::connect(options, connect_timeout).await.map_err(DatabaseError::Unreachable)?;
    run_on(migrator, conn, report).await
}

/// [`run`] on a connection already made; closes it.
pub async fn run_on(
    migrator: &Migrator,
    mut conn: PgConnection,
    mut report: impl FnMut(&str),
) -> Result<(), DatabaseError> {
    let result = run_locked(migrator, &mut conn, &mut report).await;
    let _ = conn.close().await;
    result
}

async fn run_locked(
    migrator: &Migrator,
    conn: &mut PgConnection,
    report: &mut impl FnMut(&str),
) -> Result<(), DatabaseError> {
    let fail = |e: sqlx::Error| DatabaseError::Migrate(MigrateError::Execute(e));
    // sqlx logs PostgreSQL's notices, such as each step's "_sqlx_migrations already exists".
    sqlx::query("SET client_min_messages = warning").execute(&mut *conn).await.map_err(fail)?;
    sqlx::query("SET lock_timeout = 0").execute(&mut *conn).await.map_err(fail)?;
    find_pg_trgm(conn).await.map_err(fail)?;
    let lock_id = lock_id(&current_database(conn).await.map_err(fail)?);
    let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(lock_id)
        .fetch_one(&mut *conn)
        .await
        .map_err(fail)?;
    if !taken {
        report("waiting for another server's migrations");
        tracing::info!("another server is applying migrations; waiting for it");
        sqlx::query("SELECT pg_advisory_lock($1)").bind(lock_id).execute(&mut *conn).await.map_err(fail)?;
    }
    report("running");
    let result = apply_each(migrator, conn, report).await;
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)").bind(lock_id).execute(&mut *conn).await;
    result
}

/// Applies the migrations one at a time, each with the lock timeout its kind needs.
async fn apply_each(
    migrator: &Migrator,
    conn: &mut PgConnection,
    report: &mut impl FnMut(&str),
) -> Result<(), DatabaseError> {
    let all: Vec<_> = migrator.iter().cloned().collect();
    for (index, migration) in all.iter().enumerate() {
        // Everything up to this one: sqlx applies what of it is pending (this one, at most)
        // and checks the checksums of the rest.
        let step = Migrator {
            migrations: Cow::Owned(all[..=index].to_vec()),
            ignore_missing: true,
            locking: false,
            ..Migrator::DEFAULT
        };
        let lock_timeout_ms = if migration.no_tx { 0 } else { LOCK_TIMEOUT.as_millis() };
        sqlx::query(&format!("SET lock_timeout = {lock_timeout_ms}"))
            .execute(&mut *conn)
            .await
            .map_err(|e| DatabaseError::Migrate(MigrateError::Execute(e)))?;
        let mut pause = FIRST_PAUSE;
        for attempt in 1..=ATTEMPTS {
            match step.run_direct(&mut *conn).await {
                Ok(()) => break,
                Err(e) if is_lock_timeout(&e) && attempt < ATTEMPTS => {
                    tracing::warn!(
                        version = migration.version,
                        attempt,
                        "migration waited longer than lock_timeout for a lock; rolled back, trying again"
                    );
                    report(&format!(
                        "migration {} waits for a lock (attempt {attempt} of {ATTEMPTS})",
                        migration.version
                    ));
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Err(e) => return Err(DatabaseError::Migrate(e)),
            }
        }
    }
    Ok(())
}

/// PostgreSQL's 55P03 (`lock_not_available`): the statement waited past `lock_timeout`.
fn is_lock_timeout(error: &MigrateError) -> bool {
    let sql = match error {
        MigrateError::Execute(e) | MigrateError::ExecuteMigration(e, _) => e,
        _ => return false,
    };
    matches!(sql, sqlx::Error::Database(e) if e.code().as_deref() == Some("55P03"))
}

/// Puts the schema holding `pg_trgm`, when it is installed and off the search path, at the end
/// of this session's search path (the tables are still created in the first schema).
async fn find_pg_trgm(conn: &mut PgConnection) -> sqlx::Result<()> {
    let schema: Option<String> = sqlx::query_scalar(
        "SELECT n.nspname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace \
         WHERE e.extname = 'pg_trgm' AND NOT n.nspname = ANY (current_schemas(false))",
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(schema) = schema {
        tracing::info!(%schema, "pg_trgm is installed off the search path; migrations find it there");
        sqlx::query(
            "SELECT set_config('search_path', current_setting('search_path') || ', ' || quote_ident($1), false)",
        )
        .bind(schema)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn current_database(conn: &mut PgConnection) -> sqlx::Result<String> {
    sqlx::query_scalar("SELECT current_database()::text").fetch_one(conn).await
}

/// sqlx's migration lock id for a database (`sqlx-postgres`' `generate_lock_id`).
pub fn lock_id(database: &str) -> i64 {
    0x3d32_ad9e * i64::from(crc32(database.as_bytes()))
}

/// CRC-32 (ISO-HDLC, as zlib), bit by bit: it hashes one database name per start.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_id_is_sqlx_s() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        // sqlx-postgres 0.8: 0x3d32ad9e * crc32("postgres").
        assert_eq!(lock_id("postgres"), 0x3d32_ad9e * 0x156a_8775_i64);
    }
}
