//! TLS to PostgreSQL as libpq reads it: `sslmode`, `sslrootcert`, `sslcert` and `sslkey` in a
//! connection URL (or `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`), settled once at
//! start into the [`PgConnectOptions`] every connection of the process is made from.
//!
//! sqlx (built with rustls, ring and the webpki roots) reads these settings itself, but not
//! quite as libpq does; this module closes the gaps that matter to an operator who wrote a
//! libpq connection string (the README's "TLS to PostgreSQL" lists what remains):
//! - `sslrootcert=system` means the public roots (libpq 16+), and then `verify-full` is the
//!   default mode and a weaker one is refused; sqlx would read a file named `system`.
//! - `verify-ca`/`verify-full` without `sslrootcert` read `~/.postgresql/root.crt`, and are
//!   refused at start when it does not exist; sqlx would check against the public roots.
//! - `require` with a root certificate checks the chain, as `verify-ca` does.
//! - `allow`, which sqlx reads as `disable` (it never retries with TLS), is read as `prefer`:
//!   both mean "encryption if it takes it", and only `prefer` still reaches a server that
//!   accepts TLS connections only.
//! - Over a Unix socket no TLS is asked for, whatever the mode (sqlx would ask, and fail).
//! - The files named are read at start, so that a wrong path or a file that holds no
//!   certificate stops the server with a message naming the setting, rather than failing
//!   every connection later with an I/O error that names nothing. No message holds a
//!   file's content (a key is a secret), nor the URL (it may hold a password).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sqlx::postgres::{PgConnectOptions, PgSslMode};

/// Why a connection URL or its TLS settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    #[error("invalid {name}: {error}")]
    Invalid { name: &'static str, error: sqlx::Error },
    #[error("{0}")]
    Tls(#[from] TlsError),
}

/// Why the TLS settings cannot be used. Each names where the setting came from.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{origin}: unknown sslmode {value:?} (one of disable, allow, prefer, require, verify-ca, verify-full)")]
    UnknownMode { origin: String, value: String },
    #[error("{origin}: sslrootcert=system (the public roots) takes sslmode=verify-full, not {mode}, as libpq")]
    SystemRootsNeedVerifyFull { origin: String, mode: &'static str },
    #[error(
        "{origin}: sslmode={mode} checks the server's certificate, and no root certificate was given to check it \
         against: set sslrootcert to a file of the certificate authority's PEM certificate, or sslrootcert=system \
         for the public roots (the default, {default}, does not exist)"
    )]
    NoRootCertificate { origin: String, mode: &'static str, default: String },
    #[error("{origin}: {what}")]
    Unusable { origin: String, what: String },
    #[error("{given} is set but {missing} is not: a client certificate and its key go together")]
    HalfClientIdentity { given: String, missing: String },
}

/// A setting and where it came from ("sslrootcert in DATABASE_URL", "PGSSLROOTCERT").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub value: String,
    pub origin: String,
    /// From the environment, where sqlx reads a value that looks like PEM as the PEM itself;
    /// a URL's value is always a path.
    pub from_env: bool,
}

/// The TLS settings asked for: a URL's own, else the environment's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requested {
    pub mode: Option<Setting>,
    pub root_cert: Option<Setting>,
    pub client_cert: Option<Setting>,
    pub client_key: Option<Setting>,
}

impl Requested {
    /// Reads the URL's query (the names and aliases sqlx reads; the last of a name wins, as in
    /// sqlx) and, for what it does not set, `env`. `name` is the URL's variable, for messages.
    pub fn read(name: &str, url: &str, env: impl Fn(&str) -> Option<String>) -> Requested {
        let mut requested = Requested::default();
        let query: Vec<(String, String)> =
            url::Url::parse(url).map(|u| u.query_pairs().into_owned().collect()).unwrap_or_default();
        for (key, value) in query {
            let slot = match key.as_str() {
                "sslmode" | "ssl-mode" => &mut requested.mode,
                "sslrootcert" | "ssl-root-cert" | "ssl-ca" => &mut requested.root_cert,
                "sslcert" | "ssl-cert" => &mut requested.client_cert,
                "sslkey" | "ssl-key" => &mut requested.client_key,
                _ => continue,
            };
            *slot = Some(Setting { value, origin: format!("{key} in {name}"), from_env: false });
        }
        let from_env =
            |variable: &str| env(variable).map(|value| Setting { value, origin: variable.to_owned(), from_env: true });
        requested.mode = requested.mode.or_else(|| from_env("PGSSLMODE"));
        requested.root_cert = requested.root_cert.or_else(|| from_env("PGSSLROOTCERT"));
        requested.client_cert = requested.client_cert.or_else(|| from_env("PGSSLCERT"));
        requested.client_key = requested.client_key.or_else(|| from_env("PGSSLKEY"));
        requested
    }
}

/// `url` (the value of the variable `name`) as connection options with its TLS settings
/// settled (see the module's header), reading the process's environment and home directory.
pub fn options_from_url(name: &'static str, url: &str) -> Result<PgConnectOptions, UrlError> {
    let options = PgConnectOptions::from_str(url).map_err(|error| UrlError::Invalid { name, error })?;
    let requested = Requested::read(name, url, |variable| std::env::var(variable).ok());
    let options = settle(options, &requested, home_dir().as_deref(), name)?;
    if matches!(options.get_ssl_mode(), PgSslMode::VerifyCa) {
        // sqlx means verify-ca to skip the host name, as libpq does, but with rustls 0.23.24
        // and later it checks it: a connection by an address the certificate does not name
        // fails, and this says why before it does.
        tracing::warn!(
            "{name}: sslmode=verify-ca (or require with a root certificate) also checks that the server's \
             certificate names the host connected to, as verify-full does (README: TLS to PostgreSQL)"
        );
    }
    Ok(options)
}

/// Options for a Unix socket: libpq ignores `sslmode` there, and so do we (a `PGSSLMODE` in
/// the environment must not make the embedded cluster unreachable).
pub fn without_tls(options: PgConnectOptions) -> PgConnectOptions {
    options.ssl_mode(PgSslMode::Disable)
}

/// Where the root certificate comes from.
enum Root {
    /// `sslrootcert=system`: the public roots built into the server.
    System,
    /// A file (or, from the environment, PEM) the operator named.
    Given(Setting),
    /// `~/.postgresql/root.crt`, libpq's default, which exists.
    Default(PathBuf),
    None,
}

/// The options with `requested` applied as libpq would (see the module's header); the files it
/// names are read to check them. `home` holds libpq's `.postgresql` directory; `name` is the
/// URL's variable, for messages.
pub fn settle(
    options: PgConnectOptions,
    requested: &Requested,
    home: Option<&Path>,
    name: &str,
) -> Result<PgConnectOptions, TlsError> {
    if options.get_socket().is_some() || options.get_host().starts_with('/') {
        return Ok(without_tls(options));
    }
    let default_root = home.map(|home| home.join(".postgresql").join("root.crt"));
    let root = match &requested.root_cert {
        Some(setting) if setting.value == "system" => Root::System,
        Some(setting) => Root::Given(setting.clone()),
        None => match &default_root {
            Some(path) if path.exists() => Root::Default(path.clone()),
            _ => Root::None,
        },
    };
    let explicit = match &requested.mode {
        Some(setting) => Some(
            PgSslMode::from_str(&setting.value)
                .map_err(|_| TlsError::UnknownMode { origin: setting.origin.clone(), value: setting.value.clone() })?,
        ),
        None => None,
    };
    let mode_origin = || requested.mode.as_ref().map_or(name.to_owned(), |s| s.origin.clone());
    let mode = match (&root, explicit) {
        (Root::System, None | Some(PgSslMode::VerifyFull)) => PgSslMode::VerifyFull,
        (Root::System, Some(weaker)) => {
            return Err(TlsError::SystemRootsNeedVerifyFull { origin: mode_origin(), mode: mode_name(weaker) })
        }
        (_, None) => PgSslMode::Prefer,
        (_, Some(PgSslMode::Allow)) => PgSslMode::Prefer,
        (Root::Given(_) | Root::Default(_), Some(PgSslMode::Require)) => PgSslMode::VerifyCa,
        (_, Some(mode)) => mode,
    };
    if matches!(mode, PgSslMode::Disable) {
        return Ok(options.ssl_mode(mode));
    }
    let verifies = matches!(mode, PgSslMode::VerifyCa | PgSslMode::VerifyFull);
    let mut options = options.ssl_mode(mode);
    options = match root {
        // No file added: the built-in roots alone.
        Root::System => options.ssl_root_cert_from_pem(Vec::new()),
        Root::Given(setting) => match checked(&setting, check_certificates)? {
            Source::Inline(pem) => options.ssl_root_cert_from_pem(pem.into_bytes()),
            Source::File(path) => options.ssl_root_cert(path),
        },
        Root::Default(path) if verifies => {
            let origin = format!("{name} (sslmode={}, root certificate by default)", mode_name(mode));
            check_certificates(&read(&path, &origin)?, &origin, &named(&path))?;
            options.ssl_root_cert(path)
        }
        Root::Default(_) => options,
        Root::None if verifies => {
            return Err(TlsError::NoRootCertificate {
                origin: mode_origin(),
                mode: mode_name(mode),
                default: default_root
                    .map_or("~/.postgresql/root.crt (no home directory)".into(), |p| p.display().to_string()),
            })
        }
        Root::None => options,
    };
    client_identity(options, requested)
}

/// `sslcert` and `sslkey`: both or neither; each read and parsed.
fn client_identity(options: PgConnectOptions, requested: &Requested) -> Result<PgConnectOptions, TlsError> {
    let (cert, key) = match (&requested.client_cert, &requested.client_key) {
        (None, None) => return Ok(options),
        (Some(cert), Some(key)) => (cert, key),
        (Some(given), None) => {
            return Err(TlsError::HalfClientIdentity { given: given.origin.clone(), missing: "sslkey".into() })
        }
        (None, Some(given)) => {
            return Err(TlsError::HalfClientIdentity { given: given.origin.clone(), missing: "sslcert".into() })
        }
    };
    let options = match checked(cert, check_certificates)? {
        Source::Inline(pem) => options.ssl_client_cert_from_pem(pem),
        Source::File(path) => options.ssl_client_cert(path),
    };
    Ok(match checked(key, check_key)? {
        Source::Inline(pem) => options.ssl_client_key_from_pem(pem),
        Source::File(path) => options.ssl_client_key(path),
    })
}

/// Where `setting`'s PEM is, once read and found usable by `check` (given the PEM, the
/// setting's origin, and how to say what holds it).
fn checked(setting: &Setting, check: fn(&str, &str, &str) -> Result<(), TlsError>) -> Result<Source, TlsError> {
    let source = source_of(setting);
    match &source {
        Source::Inline(pem) => check(pem, &setting.origin, "holds")?,
        Source::File(path) => check(&read(path, &setting.origin)?, &setting.origin, &named(path))?,
    }
    Ok(source)
}

enum Source {
    File(PathBuf),
    Inline(String),
}

/// A file, or, from the environment, PEM itself (the test sqlx applies to an environment value).
fn source_of(setting: &Setting) -> Source {
    let trimmed = setting.value.trim();
    if setting.from_env && trimmed.starts_with("-----BEGIN") && trimmed.ends_with("-----") {
        Source::Inline(setting.value.clone())
    } else {
        Source::File(PathBuf::from(&setting.value))
    }
}

fn named(path: &Path) -> String {
    format!("names {}, which holds", path.display())
}

fn read(path: &Path, origin: &str) -> Result<String, TlsError> {
    let bytes = std::fs::read(path).map_err(|e| TlsError::Unusable {
        origin: origin.to_owned(),
        what: format!("cannot read {}: {e}", path.display()),
    })?;
    // PEM is ASCII; a file that is not text holds no PEM (DER must be converted first).
    String::from_utf8(bytes).map_err(|_| TlsError::Unusable {
        origin: origin.to_owned(),
        what: format!("{} is not a PEM file (DER? convert it with `openssl x509 -inform der`)", path.display()),
    })
}

/// At least one certificate, each of which a root store takes (what sqlx does with it later).
fn check_certificates(pem: &str, origin: &str, holds: &str) -> Result<(), TlsError> {
    let unusable = |what: String| TlsError::Unusable { origin: origin.to_owned(), what };
    let mut store = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let certificate =
            certificate.map_err(|e| unusable(format!("{holds} a PEM section that cannot be read: {e}")))?;
        store.add(certificate).map_err(|e| unusable(format!("{holds} a certificate that cannot be used: {e}")))?;
    }
    if store.is_empty() {
        return Err(unusable(format!("{holds} no PEM certificate (-----BEGIN CERTIFICATE-----)")));
    }
    Ok(())
}

/// One private key (PKCS#1, PKCS#8 or SEC1 PEM), as sqlx reads it.
fn check_key(pem: &str, origin: &str, holds: &str) -> Result<(), TlsError> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes()).map(drop).map_err(|e| TlsError::Unusable {
        origin: origin.to_owned(),
        what: match e {
            rustls::pki_types::pem::Error::NoItemsFound => format!("{holds} no PEM private key"),
            e => format!("{holds} a private key that cannot be read: {e}"),
        },
    })
}

/// The mode as written in a URL.
pub fn mode_name(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

/// libpq's home directory: `HOME`, else the user's entry in the password database.
fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten().map(|user| user.dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mode `url` settles to, with `env` for the variables and `home` for libpq's.
    fn mode(url: &str, env: &[(&str, &str)], home: &Path) -> Result<&'static str, TlsError> {
        let requested = Requested::read("DATABASE_URL", url, |v| {
            env.iter().find(|(k, _)| *k == v).map(|(_, value)| value.to_string())
        });
        let options = PgConnectOptions::from_str(url).unwrap();
        settle(options, &requested, Some(home), "DATABASE_URL").map(|o| mode_name(o.get_ssl_mode()))
    }

    fn empty_home(name: &str) -> PathBuf {
        let home = std::env::temp_dir().join(format!("wou-tls-unit-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&home).unwrap();
        home
    }

    #[test]
    fn the_url_wins_over_the_environment_and_its_last_alias_wins() {
        let env = |v: &str| (v == "PGSSLMODE" || v == "PGSSLKEY").then(|| format!("{v} value"));
        let requested =
            Requested::read("DATABASE_URL", "postgres://h/db?sslmode=require&ssl-mode=verify-ca&ssl-ca=/ca", env);
        let mode = requested.mode.unwrap();
        assert_eq!(
            (mode.value.as_str(), mode.origin.as_str(), mode.from_env),
            ("verify-ca", "ssl-mode in DATABASE_URL", false)
        );
        assert_eq!(requested.root_cert.unwrap().origin, "ssl-ca in DATABASE_URL");
        let key = requested.client_key.unwrap();
        assert_eq!((key.value.as_str(), key.origin.as_str(), key.from_env), ("PGSSLKEY value", "PGSSLKEY", true));
        assert_eq!(requested.client_cert, None);
    }

    #[test]
    fn modes_settle_as_libpq_reads_them() {
        let home = empty_home("modes");
        let url = "postgres://postgres@db.example/app";
        assert_eq!(mode(url, &[], &home).unwrap(), "prefer");
        assert_eq!(mode(&format!("{url}?sslmode=allow"), &[], &home).unwrap(), "prefer");
        assert_eq!(mode(&format!("{url}?sslmode=require"), &[], &home).unwrap(), "require");
        assert_eq!(mode(url, &[("PGSSLMODE", "disable")], &home).unwrap(), "disable");
        assert_eq!(mode(&format!("{url}?sslmode=require"), &[("PGSSLMODE", "disable")], &home).unwrap(), "require");
        assert_eq!(mode(&format!("{url}?sslrootcert=system"), &[], &home).unwrap(), "verify-full");
        // disable reads no file, however wrong.
        assert_eq!(mode(&format!("{url}?sslmode=disable&sslrootcert=/nonexistent"), &[], &home).unwrap(), "disable");
        // Over a Unix socket, never TLS: libpq ignores sslmode there.
        let socket = "postgres://postgres@localhost/app?host=/var/run/postgresql&sslmode=verify-full";
        assert_eq!(mode(socket, &[("PGSSLMODE", "require")], &home).unwrap(), "disable");
        assert!(matches!(mode(url, &[("PGSSLMODE", "on")], &home), Err(TlsError::UnknownMode { .. })));
        assert!(matches!(
            mode(&format!("{url}?sslmode=verify-ca"), &[], &home),
            Err(TlsError::NoRootCertificate { mode: "verify-ca", .. })
        ));
        std::fs::remove_dir_all(home).ok();
    }

    #[test]
    fn require_with_libpqs_default_root_certificate_checks_the_chain() {
        let home = empty_home("root");
        let key = rcgen::KeyPair::generate().unwrap();
        let ca = rcgen::CertificateParams::new(vec!["ca.example".to_owned()]).unwrap().self_signed(&key).unwrap();
        std::fs::create_dir_all(home.join(".postgresql")).unwrap();
        std::fs::write(home.join(".postgresql/root.crt"), ca.pem()).unwrap();
        let url = "postgres://postgres@db.example/app";
        assert_eq!(mode(&format!("{url}?sslmode=require"), &[], &home).unwrap(), "verify-ca");
        assert_eq!(mode(&format!("{url}?sslmode=verify-full"), &[], &home).unwrap(), "verify-full");
        // prefer never verifies here (libpq's would, and fall back to plaintext on a failure).
        assert_eq!(mode(url, &[], &home).unwrap(), "prefer");
        std::fs::write(home.join(".postgresql/root.crt"), "garbage").unwrap();
        let error = mode(&format!("{url}?sslmode=require"), &[], &home).unwrap_err().to_string();
        assert!(error.contains("root.crt, which holds no PEM certificate"), "{error}");
        std::fs::remove_dir_all(home).ok();
    }
}
