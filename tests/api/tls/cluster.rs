//! A throwaway PostgreSQL cluster that takes TLS connections only, with a server certificate
//! signed by a certificate authority the test made, so that the TLS tests never depend on the
//! shared server's certificate. It is created in a temporary directory (with `initdb`, found
//! as the embedded cluster finds it), listens on 127.0.0.1 and 127.0.0.2 on a free port, and
//! is stopped and removed when dropped, also when the test fails.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};

/// A certificate authority: its PEM certificate, and what signs with it.
pub(super) struct Authority {
    pub pem: String,
    certificate: rcgen::Certificate,
    key: KeyPair,
}

impl Authority {
    pub(super) fn new(name: &str) -> Authority {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let certificate = params.self_signed(&key).unwrap();
        Authority { pem: certificate.pem(), certificate, key }
    }

    /// A server certificate for these names (`127.0.0.1` becomes an IP address entry) and its
    /// key, both PEM.
    pub(super) fn issue(&self, names: &[&str]) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
        params.distinguished_name.push(DnType::CommonName, names[0]);
        let certificate = params.signed_by(&key, &self.certificate, &self.key).unwrap();
        (certificate.pem(), key.serialize_pem())
    }
}

/// The running cluster; dropping it stops it and removes its directory.
pub(super) struct TlsCluster {
    /// Holds the data directory and the test's own files (CA certificates, a home directory).
    pub dir: PathBuf,
    pub port: u16,
    data: PathBuf,
    bin: PathBuf,
    run_as: Option<(u32, u32)>,
}

/// The names in the server's certificate; 127.0.0.2 is not among them.
pub(super) const CERTIFIED_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

impl TlsCluster {
    /// Creates and starts a cluster whose certificate `authority` signed.
    pub(super) fn start(authority: &Authority) -> TlsCluster {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let bin = waldur_offering_users::embedded::find_bin_dir().expect("PostgreSQL's initdb and pg_ctl");
        let dir = std::env::temp_dir().join(format!(
            "wou-tls-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let data = dir.join("data");
        std::fs::create_dir(&data).unwrap();
        let port = free_port();
        // From here on, dropping the guard cleans up whatever was made.
        let cluster = TlsCluster { dir, port, data, bin, run_as: unprivileged_owner() };
        cluster.own(&cluster.dir, 0o755);
        cluster.own(&cluster.data, 0o700);
        cluster.run("initdb", &["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions"]);

        let (certificate, key) = authority.issue(&CERTIFIED_NAMES);
        cluster.write_owned("server.crt", &certificate, 0o644);
        // PostgreSQL refuses a key that others may read.
        cluster.write_owned("server.key", &key, 0o600);
        append(
            &cluster.data.join("postgresql.conf"),
            &format!(
                "\nlisten_addresses = '127.0.0.1,127.0.0.2'\nport = {port}\nunix_socket_directories = '{}'\n\
                 ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n\
                 fsync = off\nsynchronous_commit = off\nmax_connections = 50\n",
                cluster.data.display()
            ),
        );
        // TLS connections only: a plaintext one matches no line and is refused.
        std::fs::write(cluster.data.join("pg_hba.conf"), "local all all trust\nhostssl all all 127.0.0.0/8 trust\n")
            .unwrap();
        let log = cluster.data.join("server.log");
        let log = log.to_str().unwrap().to_owned();
        cluster.run("pg_ctl", &["-l", &log, "-w", "-t", "30", "start"]);
        cluster
    }

    /// `postgres://postgres@<host>:<port>/postgres?<query>`.
    pub(super) fn url(&self, host: &str, query: &str) -> String {
        format!("postgres://postgres@{host}:{}/postgres?{query}", self.port)
    }

    /// Writes `content` to a file of the test's own (not the cluster's), returning its path.
    pub(super) fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, content).unwrap();
        path
    }

    /// Runs `initdb` or `pg_ctl` on the data directory as the cluster's owner; panics with
    /// its output (and the server's log) when it fails.
    fn run(&self, program: &str, args: &[&str]) {
        let out = self.command(program).args(args).stdin(Stdio::null()).output().unwrap();
        if !out.status.success() {
            let log = std::fs::read_to_string(self.data.join("server.log")).unwrap_or_default();
            panic!(
                "{program} failed: {}{}\n{log}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        command.arg("-D").arg(&self.data).current_dir("/").env_remove("HOME");
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid);
        }
        command
    }

    /// Gives `path` to the cluster's owner with these permissions.
    fn own(&self, path: &Path, mode: u32) {
        if let Some((uid, gid)) = self.run_as {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn write_owned(&self, name: &str, content: &str, mode: u32) {
        let path = self.data.join(name);
        std::fs::write(&path, content).unwrap();
        self.own(&path, mode);
    }
}

impl Drop for TlsCluster {
    fn drop(&mut self) {
        if self.data.join("postmaster.pid").exists() {
            let _ = self.command("pg_ctl").args(["-m", "immediate", "-w", "stop"]).output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port nothing listens on now (the kernel's choice, released at once).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(text.as_bytes()).unwrap();
}

/// `initdb` refuses to run as root: then the cluster runs as `postgres` (else `nobody`), as
/// the embedded cluster does.
fn unprivileged_owner() -> Option<(u32, u32)> {
    if !nix::unistd::geteuid().is_root() {
        return None;
    }
    ["postgres", "nobody"]
        .iter()
        .find_map(|name| nix::unistd::User::from_name(name).ok().flatten())
        .map(|user| (user.uid.as_raw(), user.gid.as_raw()))
}
