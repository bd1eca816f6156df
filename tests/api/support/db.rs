//! One database per test, copied from a migrated template so tests run in parallel.
//!
//! The server is `DATABASE_URL` if set, else an embedded cluster in `.data/test-postgres`
//! (started on first use and left running for the next run; `pg_ctl -D .data/test-postgres
//! stop` stops it).

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::OnceCell;

use waldur_offering_users::embedded::{Durability, EmbeddedCluster};

/// Connection options of the server that hosts the test databases.
pub(crate) fn server_options() -> PgConnectOptions {
    static OPTIONS: OnceLock<PgConnectOptions> = OnceLock::new();
    OPTIONS
        .get_or_init(|| match std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(url) => PgConnectOptions::from_str(&url).expect("DATABASE_URL is not a valid URL"),
            None => {
                let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".data/test-postgres");
                let cluster = EmbeddedCluster::start_shared(&dir, Durability::Fast).unwrap_or_else(|e| {
                    panic!(
                        "no DATABASE_URL and the embedded cluster failed: {e}\n{}",
                        waldur_offering_users::embedded::NO_DATABASE_HELP
                    )
                });
                cluster.connect_options()
            }
        })
        .clone()
}

fn admin_options() -> PgConnectOptions {
    server_options().database("postgres")
}

/// The name of the migrated template; made once per process (and once per migration set).
async fn template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let mut admin = PgConnection::connect_with(&admin_options()).await.expect("connect to PostgreSQL");
            let checksum: u64 = waldur_offering_users::MIGRATOR
                .iter()
                .flat_map(|m| m.checksum.iter().copied())
                .fold(0xcbf29ce484222325, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3));
            let name = format!("wou_template_{:012x}", checksum & 0xffff_ffff_ffff);
            // Several test processes may start at once: one builds the template.
            sqlx::query("SELECT pg_advisory_lock(4242)").execute(&mut admin).await.unwrap();
            let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&name)
                .fetch_one(&mut admin)
                .await
                .unwrap();
            if !exists {
                let building = format!("{name}_building");
                sqlx::query(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                sqlx::query(&format!("CREATE DATABASE {building}")).execute(&mut admin).await.unwrap();
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(server_options().database(&building))
                    .await
                    .unwrap();
                waldur_offering_users::MIGRATOR.run(&pool).await.expect("migrations");
                pool.close().await;
                sqlx::query(&format!("ALTER DATABASE {building} RENAME TO {name}")).execute(&mut admin).await.unwrap();
            }
            drop_orphans(&mut admin).await;
            sqlx::query("SELECT pg_advisory_unlock(4242)").execute(&mut admin).await.unwrap();
            name
        })
        .await
}

/// Drops test databases left behind by test processes that are gone.
async fn drop_orphans(admin: &mut PgConnection) {
    let names: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'wou_test_%'")
        .fetch_all(&mut *admin)
        .await
        .unwrap_or_default();
    for name in names {
        let pid = name.trim_start_matches("wou_test_").split('_').next().unwrap_or("");
        if !pid.is_empty() && !PathBuf::from(format!("/proc/{pid}")).exists() {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut *admin).await;
        }
    }
}

/// A fresh database for one test; dropped when the value is dropped.
pub(crate) struct TestDatabase {
    pub name: String,
    pub pool: PgPool,
    /// Only the handle that created the database drops it.
    owner: bool,
}

impl TestDatabase {
    pub(crate) async fn new() -> TestDatabase {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let template = template().await;
        let name = format!("wou_test_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        let mut admin = PgConnection::connect_with(&admin_options()).await.expect("connect");
        sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut admin)
            .await
            .expect("create test db");
        admin.close().await.ok();
        // The same session settings as the server's pool, so tests run the production plans.
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect_with(waldur_offering_users::db::tune_for_api(server_options().database(&name)))
            .await
            .expect("connect to test db");
        TestDatabase { name, pool, owner: true }
    }

    /// A second handle on the same database that does not drop it.
    pub(crate) fn attach(other: &TestDatabase) -> TestDatabase {
        TestDatabase { name: other.name.clone(), pool: other.pool.clone(), owner: false }
    }

    /// Options for another connection (or a server process) on this database.
    pub(crate) fn options(&self) -> PgConnectOptions {
        server_options().database(&self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if !self.owner {
            return;
        }
        let name = self.name.clone();
        // Drop runs inside the test's runtime; do the async cleanup on a thread of its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                if let Ok(mut admin) = PgConnection::connect_with(&admin_options()).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
                }
            });
        })
        .join();
    }
}
