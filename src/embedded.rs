//! The embedded default: a PostgreSQL cluster this process creates and runs itself from the
//! PostgreSQL binaries on the machine, so that one command starts a working server (and the
//! tests run) on a machine without a database server.
//!
//! The cluster lives in a data directory and listens only on a Unix socket inside it, so it
//! never competes for a TCP port. `initdb` refuses to run as root; when we are root the
//! cluster's processes run as an unprivileged system user (`postgres` if it exists, else
//! `nobody`) that owns the data directory.
//!
//! What it is for: trying the server, development, the demo. Not production: one process,
//! no backups, no replication. It is durable all the same (`fsync` and `synchronous_commit`
//! on: a commit the API acknowledged survives a crash of the machine), and a server locks its
//! data directory for as long as it runs, so two servers never share one cluster.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use nix::fcntl::{Flock, FlockArg};
use sqlx::postgres::PgConnectOptions;

/// The port number only names the socket file (`.s.PGSQL.<port>`); no TCP port is opened.
const SOCKET_PORT: u16 = 5432;

/// Why the embedded cluster could not be used.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error("no PostgreSQL binaries found")]
    NoBinaries,
    #[error(
        "the data directory {0} is in use by another waldur-offering-users process: stop it, or give this \
         one another --data-dir (or a DATABASE_URL)"
    )]
    Locked(PathBuf),
    #[error("{0}")]
    Failed(String),
}

/// Explains both ways out when neither a server nor the binaries are available.
pub const NO_DATABASE_HELP: &str = "No database: DATABASE_URL is not set, and no PostgreSQL binaries \
(initdb, pg_ctl, postgres) were found on PATH or under /usr/lib/postgresql/*/bin. Either point \
DATABASE_URL at a PostgreSQL server (for example postgres://postgres@127.0.0.1:5432/postgres), or \
install PostgreSQL's server binaries (Debian: apt-get install postgresql) and the server will create \
and run its own cluster in --data-dir (default ./.data/postgres).";

/// Whether commits reach the disk before they are acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// PostgreSQL's defaults (`fsync`, `synchronous_commit` on): what `serve` runs.
    Durable,
    /// `fsync=off`, `synchronous_commit=off`: a crash of the machine may lose or corrupt data.
    /// For throwaway clusters only (the tests, the benchmark).
    Fast,
}

/// A cluster in a data directory. `stop_within()` shuts it down if this process started it.
#[derive(Debug)]
pub struct EmbeddedCluster {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    run_as: Option<(u32, u32)>,
    durability: Durability,
    started_here: AtomicBool,
    /// The lock on the data directory, held as long as the process lives (the kernel lets go
    /// of it when the process ends, however it ends); `None` for a shared test cluster.
    lock: Option<Flock<File>>,
}

impl EmbeddedCluster {
    /// The cluster in `data_dir`, made this process's own: the directory is created if need
    /// be and locked, so that a second server on the same directory is refused instead of
    /// sharing a cluster the first one would stop under it. Nothing is started yet: see
    /// [`EmbeddedCluster::start`].
    pub fn open(data_dir: &Path) -> Result<Self, EmbeddedError> {
        let mut cluster = Self::prepare(data_dir, Durability::Durable)?;
        // A directory can be locked like a file, and needs nothing written in it (initdb
        // wants it empty).
        let dir = File::open(&cluster.data_dir)
            .map_err(|e| fail(format!("cannot open {}: {e}", cluster.data_dir.display())))?;
        match Flock::lock(dir, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => cluster.lock = Some(lock),
            Err((_, nix::errno::Errno::EWOULDBLOCK)) => return Err(EmbeddedError::Locked(cluster.data_dir)),
            Err((_, e)) => return Err(fail(format!("cannot lock {}: {e}", cluster.data_dir.display()))),
        }
        Ok(cluster)
    }

    /// Creates the cluster in `data_dir` if it does not exist yet, starts it unless it is
    /// already running, and returns it, without locking the directory: for a cluster several
    /// processes share on purpose (the test harness's, left running between runs).
    pub fn start_shared(data_dir: &Path, durability: Durability) -> Result<Self, EmbeddedError> {
        let cluster = Self::prepare(data_dir, durability)?;
        cluster.start()?;
        Ok(cluster)
    }

    fn prepare(data_dir: &Path, durability: Durability) -> Result<Self, EmbeddedError> {
        let bin_dir = find_bin_dir().ok_or(EmbeddedError::NoBinaries)?;
        std::fs::create_dir_all(data_dir).map_err(|e| fail(format!("cannot create {}: {e}", data_dir.display())))?;
        let data_dir =
            data_dir.canonicalize().map_err(|e| fail(format!("cannot resolve {}: {e}", data_dir.display())))?;
        let run_as = unprivileged_owner()?;
        if let Some((uid, gid)) = run_as {
            chown_tree(&data_dir, uid, gid)?;
        }
        Ok(EmbeddedCluster { bin_dir, data_dir, run_as, durability, started_here: AtomicBool::new(false), lock: None })
    }

    /// Creates the cluster if its directory holds none yet and starts it. Data from earlier
    /// runs is found again. A cluster found running in a directory this process locked was
    /// left behind by an earlier server that died without stopping it: it is restarted, so
    /// that it runs with this server's settings and stops with it.
    pub fn start(&self) -> Result<(), EmbeddedError> {
        if !self.data_dir.join("PG_VERSION").exists() {
            self.initdb()?;
        }
        if self.is_running() {
            if self.lock.is_none() {
                return Ok(());
            }
            tracing::info!("embedded PostgreSQL left running by an earlier server; restarting it");
            self.pg_ctl_stop("fast", Some(Duration::from_secs(60)));
        }
        self.pg_ctl_start()?;
        self.started_here.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Connection options for the cluster's `postgres` database over its socket.
    pub fn connect_options(&self) -> PgConnectOptions {
        PgConnectOptions::new().socket(&self.data_dir).port(SOCKET_PORT).username("postgres").database("postgres")
    }

    /// The data directory, as an absolute path.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops the cluster if this process started it: a fast shutdown (open sessions are
    /// ended, everything committed is on disk) given `limit`, then an immediate one (crash
    /// recovery at the next start) if that was not enough.
    pub fn stop_within(&self, limit: Duration) {
        if !self.started_here.swap(false, Ordering::SeqCst) {
            return;
        }
        if limit >= Duration::from_secs(1) && self.pg_ctl_stop("fast", Some(limit)) {
            tracing::info!("embedded PostgreSQL stopped");
            return;
        }
        self.stop_now();
    }

    /// Tells the cluster to stop at once (immediate shutdown), without waiting for it: for a
    /// process that is about to exit anyway.
    pub fn stop_now(&self) {
        self.started_here.store(false, Ordering::SeqCst);
        if self.pg_ctl_stop("immediate", None) {
            tracing::warn!("embedded PostgreSQL told to stop immediately");
        }
    }

    /// `pg_ctl stop` in `mode`, waiting up to `wait` (whole seconds, at least 1) or not at all.
    fn pg_ctl_stop(&self, mode: &str, wait: Option<Duration>) -> bool {
        let mut command = self.command("pg_ctl");
        command.arg("-D").arg(&self.data_dir).args(["-m", mode]);
        match wait {
            Some(wait) => command.args(["-w", "-t", &wait.as_secs().max(1).to_string()]),
            None => command.arg("-W"),
        };
        match command.arg("stop").output() {
            Ok(out) if out.status.success() => true,
            Ok(out) => {
                tracing::warn!("pg_ctl stop -m {mode} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
                false
            }
            Err(e) => {
                tracing::warn!("pg_ctl stop -m {mode} failed: {e}");
                false
            }
        }
    }

    /// Creates the cluster, in UTF-8 with the `C.UTF-8` locale where the system has it: its
    /// character classes fold case beyond ASCII (`lower('Åsa')`, what the search compares),
    /// where plain `C` folds only ASCII. Sorting is the same code-point order in both.
    fn initdb(&self) -> Result<(), EmbeddedError> {
        tracing::info!("creating embedded PostgreSQL cluster in {}", self.data_dir.display());
        let mut refusals = Vec::new();
        for locale in ["--locale=C.UTF-8", "--locale=C"] {
            let out = self
                .command("initdb")
                .arg("-D")
                .arg(&self.data_dir)
                .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", locale, "--no-instructions"])
                .output()
                .map_err(|e| fail(format!("initdb: {e}")))?;
            if out.status.success() {
                return Ok(());
            }
            refusals.push(format!("{locale}: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        Err(fail(format!("initdb failed: {}", refusals.join("; "))))
    }

    fn is_running(&self) -> bool {
        self.command("pg_ctl")
            .arg("-D")
            .arg(&self.data_dir)
            .arg("status")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    fn pg_ctl_start(&self) -> Result<(), EmbeddedError> {
        let mut options =
            format!("-k {} -c listen_addresses='' -p {SOCKET_PORT} -c max_connections=200", self.data_dir.display());
        if self.durability == Durability::Fast {
            options.push_str(" -c fsync=off -c synchronous_commit=off");
        }
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(self.data_dir.join("server.log"))
            .args(["-o", &options, "-w", "-t", "60", "start"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| fail(format!("pg_ctl start: {e}")))?;
        if !out.status.success() {
            let log = std::fs::read_to_string(self.data_dir.join("server.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(10).collect();
            return Err(fail(format!(
                "pg_ctl start failed: {}{}",
                String::from_utf8_lossy(&out.stderr),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            )));
        }
        tracing::info!("embedded PostgreSQL running on socket in {}", self.data_dir.display());
        Ok(())
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(program));
        // The unprivileged user may not be able to enter our working directory.
        cmd.current_dir("/");
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid);
            cmd.env_remove("HOME");
        }
        cmd
    }
}

fn fail(message: String) -> EmbeddedError {
    EmbeddedError::Failed(message)
}

/// Finds a directory holding `initdb`, `pg_ctl` and `postgres`: first on PATH, then the newest
/// `/usr/lib/postgresql/<version>/bin` (Debian's layout, which is not on PATH; the
/// `WALDUR_POSTGRES_ROOT` environment variable names another root).
pub fn find_bin_dir() -> Option<PathBuf> {
    let has_all = |dir: &Path| ["initdb", "pg_ctl", "postgres"].iter().all(|b| dir.join(b).is_file());
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(dir) = std::env::split_paths(&path).find(|d| has_all(d)) {
            return Some(dir);
        }
    }
    let root = std::env::var_os("WALDUR_POSTGRES_ROOT").unwrap_or_else(|| "/usr/lib/postgresql".into());
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            has_all(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir)
}

/// When running as root, the user (uid, gid) that runs the cluster instead.
fn unprivileged_owner() -> Result<Option<(u32, u32)>, EmbeddedError> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        if let Ok(Some(user)) = nix::unistd::User::from_name(name) {
            return Ok(Some((user.uid.as_raw(), user.gid.as_raw())));
        }
    }
    Err(fail("running as root and no unprivileged user (postgres or nobody) exists to run PostgreSQL".into()))
}

fn chown_tree(dir: &Path, uid: u32, gid: u32) -> Result<(), EmbeddedError> {
    use std::os::unix::fs::PermissionsExt;
    std::os::unix::fs::chown(dir, Some(uid), Some(gid)).map_err(|e| fail(format!("chown {}: {e}", dir.display())))?;
    // PostgreSQL insists on a private data directory.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| fail(format!("chmod {}: {e}", dir.display())))?;
    Ok(())
}
