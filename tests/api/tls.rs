//! TLS to PostgreSQL (README "TLS to PostgreSQL"): what each `sslmode` connects to and
//! refuses, against a throwaway cluster that takes TLS connections only and presents a
//! certificate of a test CA; the server binary migrating, importing and serving through it; and
//! settings that cannot work stopping the server at start with a message that names them.

mod cluster;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use tokio::io::{AsyncBufReadExt, BufReader};

use waldur_offering_users::db::tls::{self, Requested, TlsError};

use crate::support::served::raw_request;
use crate::support::*;
use cluster::{Authority, TlsCluster};

/// `url` settled as the server settles `DATABASE_URL`, with libpq's home directory `home` and
/// no `PGSSL*` variables.
fn options(url: &str, home: &Path) -> Result<PgConnectOptions, TlsError> {
    let requested = Requested::read("DATABASE_URL", url, |_| None);
    tls::settle(PgConnectOptions::from_str(url).unwrap(), &requested, Some(home), "DATABASE_URL")
}

async fn connect(options: &PgConnectOptions) -> Result<PgConnection, sqlx::Error> {
    tokio::time::timeout(Duration::from_secs(20), PgConnection::connect_with(options)).await.expect("no answer in time")
}

/// Whether the session is encrypted, as the server sees it.
async fn encrypted(conn: &mut PgConnection) -> bool {
    sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetch_one(conn).await.unwrap()
}

/// Connects with `url` and reports whether the session is encrypted; panics when refused.
async fn encrypted_session(url: &str, home: &Path) -> bool {
    let mut conn = connect(&options(url, home).unwrap()).await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let ssl = encrypted(&mut conn).await;
    conn.close().await.unwrap();
    ssl
}

/// The error of a connection that must be refused.
async fn refusal(url: &str, home: &Path) -> String {
    match connect(&options(url, home).unwrap()).await {
        Ok(_) => panic!("{url}: connected"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn each_sslmode_connects_or_refuses_as_documented_against_a_tls_only_cluster() {
    let authority = Authority::new("wou test CA");
    let stranger = Authority::new("another CA");
    let cluster = TlsCluster::start(&authority);
    let ca = cluster.file("ca.pem", &authority.pem);
    let other_ca = cluster.file("other-ca.pem", &stranger.pem);
    let (ca, other_ca) = (ca.display(), other_ca.display());
    let home = cluster.dir.join("empty-home");
    std::fs::create_dir_all(&home).unwrap();
    let ok = |host: &str, query: &str| cluster.url(host, query);

    // Encryption without verification: require, prefer (the default) and allow (read as
    // prefer) all end up encrypted; the cluster would refuse anything else.
    for query in ["sslmode=require", "", "sslmode=prefer", "sslmode=allow"] {
        assert!(encrypted_session(&ok("127.0.0.1", query), &home).await, "{query}");
    }
    // disable sends no TLS request, and the cluster's pg_hba.conf has no line for that.
    let refused = refusal(&ok("127.0.0.1", "sslmode=disable"), &home).await;
    assert!(refused.contains("no encryption"), "{refused}");

    // verify-full: the CA signed it and the host is in the certificate, by name or address.
    for host in cluster::CERTIFIED_NAMES {
        let url = ok(host, &format!("sslmode=verify-full&sslrootcert={ca}"));
        assert!(encrypted_session(&url, &home).await, "{url}");
    }
    // Another CA, the public roots, or a host name the certificate does not hold: refused.
    let refused = refusal(&ok("127.0.0.1", &format!("sslmode=verify-full&sslrootcert={other_ca}")), &home).await;
    assert!(refused.contains("invalid peer certificate"), "{refused}");
    let refused = refusal(&ok("127.0.0.1", "sslmode=verify-full&sslrootcert=system"), &home).await;
    assert!(refused.contains("UnknownIssuer"), "{refused}");
    let refused = refusal(&ok("127.0.0.2", &format!("sslmode=verify-full&sslrootcert={ca}")), &home).await;
    assert!(refused.contains("not valid for name \"127.0.0.2\""), "{refused}");

    // verify-ca checks the chain. libpq skips the host name there; sqlx 0.8.6 means to, but
    // with the rustls it builds with (0.23.24 and later) checks it as verify-full does (the
    // README's "TLS to PostgreSQL" says so; this fails, to be rewritten, once sqlx stops).
    assert!(encrypted_session(&ok("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}")), &home).await);
    let refused = refusal(&ok("127.0.0.2", &format!("sslmode=verify-ca&sslrootcert={ca}")), &home).await;
    assert!(refused.contains("not valid for name \"127.0.0.2\""), "{refused}");
    let refused = refusal(&ok("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={other_ca}")), &home).await;
    assert!(refused.contains("invalid peer certificate"), "{refused}");
    // require with a root certificate checks the chain, as verify-ca (libpq's rule).
    let refused = refusal(&ok("127.0.0.1", &format!("sslmode=require&sslrootcert={other_ca}")), &home).await;
    assert!(refused.contains("invalid peer certificate"), "{refused}");

    // Without sslrootcert, libpq's default ~/.postgresql/root.crt is the CA; without that
    // either, a verifying mode is refused before any connection is tried.
    let verify_full = ok("localhost", "sslmode=verify-full");
    let error = options(&verify_full, &home).unwrap_err().to_string();
    assert!(error.contains("sslmode=verify-full") && error.contains("sslrootcert=system"), "{error}");
    let with_root = cluster.dir.join("home");
    cluster.file("home/.postgresql/root.crt", &authority.pem);
    assert!(encrypted_session(&verify_full, &with_root).await);
    cluster.file("home/.postgresql/root.crt", &stranger.pem);
    let refused = refusal(&ok("127.0.0.1", "sslmode=require"), &with_root).await;
    assert!(refused.contains("invalid peer certificate"), "{refused}");
}

/// Runs the binary with `args` and `env` (and no other database settings; HOME as given);
/// (exit code, stdout, stderr).
async fn command(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let out = binary(args, env).output().await.unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn binary(args: &[&str], env: &[(&str, &str)]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_waldur-offering-users"));
    command.args(args).env_remove("DATABASE_URL").env_remove("DATABASE_MIGRATION_URL");
    for variable in ["PGSSLMODE", "PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY"] {
        command.env_remove(variable);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

#[tokio::test]
async fn the_server_migrates_imports_and_serves_through_verify_full_tls() {
    let authority = Authority::new("wou test CA");
    let cluster = TlsCluster::start(&authority);
    let ca = cluster.file("ca.pem", &authority.pem);
    let home = cluster.dir.join("empty-home");
    std::fs::create_dir_all(&home).unwrap();
    let home = home.to_str().unwrap();
    let verified = cluster.url("localhost", &format!("sslmode=verify-full&sslrootcert={}", ca.display()));
    let plaintext = cluster.url("127.0.0.1", "sslmode=disable");

    // The migrations go through DATABASE_MIGRATION_URL's TLS settings.
    let (code, stdout, stderr) =
        command(&["migrate"], &[("DATABASE_URL", &plaintext), ("DATABASE_MIGRATION_URL", &verified), ("HOME", home)])
            .await;
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("migrations applied"), "{stdout}");

    // The import goes through DATABASE_URL's: refused in plaintext, done over TLS.
    let document = world_with(vec![offering_user(OFFERING_USER, ids::USER, ids::OFFERING, Some("user_a"), "OK")]);
    let file = cluster.file("document.json", &document.to_string());
    let file = file.to_str().unwrap();
    let (code, stdout, stderr) = command(
        &["import", file],
        &[("DATABASE_URL", &plaintext), ("DATABASE_MIGRATION_URL", &verified), ("HOME", home)],
    )
    .await;
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("no encryption"), "{stderr}");
    let (code, stdout, stderr) = command(&["import", file], &[("DATABASE_URL", &verified), ("HOME", home)]).await;
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("offering_users: 1 created"), "{stdout}");

    // `serve`: its pool, outage monitor and count fold all reach the TLS-only cluster (the
    // readiness check answers 200 only once the monitor has read the migrations).
    let mut serve = binary(
        &["serve", "--bind", "127.0.0.1:0", "--admin-bind", "off"],
        &[("DATABASE_URL", &verified), ("HOME", home)],
    )
    .stdout(std::process::Stdio::piped())
    .kill_on_drop(true)
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(serve.stdout.take().unwrap()).lines();
    let address = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.strip_prefix("serving http://") {
                return rest.split('/').next().unwrap().parse::<std::net::SocketAddr>().unwrap();
            }
        }
        panic!("the server ended without serving");
    })
    .await
    .expect("the server did not start in time");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let reply = raw_request(address, "GET", "/health/ready", None, None).await;
        if reply.status == 200 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not ready in time: {} {}", reply.status, reply.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let reply = raw_request(address, "GET", LIST, Some(&token("staff")), None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("x-result-count"), Some("1"));
    assert_eq!(reply.json()[0]["uuid"], OFFERING_USER);
    assert_eq!(reply.json()[0]["username"], "user_a");

    nix::sys::signal::kill(nix::unistd::Pid::from_raw(serve.id().unwrap() as i32), nix::sys::signal::SIGTERM).unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), serve.wait()).await.expect("stopped in time").unwrap();
    assert!(status.success(), "{status}");
}

/// Runs `migrate` with `env`: it must exit 2, before any connection, with a message that
/// holds each of `says` and none of `secrets`.
async fn stops_at_start(env: Vec<(&'static str, String)>, says: Vec<&'static str>, secrets: [&str; 2]) {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, stdout, stderr) = command(&["migrate"], &env).await;
    assert_eq!(code, Some(2), "{env:?}: {stdout}{stderr}");
    assert!(says.iter().all(|s| stderr.contains(s)), "{env:?}: {stderr}");
    assert!(!secrets.iter().any(|s| stderr.contains(s)), "{env:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

const OFFERING_USER: &str = "00000000000000000000000000000f01";

#[tokio::test]
async fn tls_settings_that_cannot_work_stop_the_server_at_start_naming_the_setting() {
    let authority = Authority::new("wou test CA");
    let dir = std::env::temp_dir().join(format!("wou-tls-settings-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("home")).unwrap();
    let home = dir.join("home");
    let home = home.to_str().unwrap();
    let (certificate, key) = authority.issue(&["client"]);
    let write = |name: &str, content: &str| {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let ca = write("ca.pem", &authority.pem);
    let key_file = write("client.key", &key);
    let certificate_file = write("client.crt", &certificate);
    let text = write("notes.txt", "not a certificate\n");
    // Nothing listens there: each must fail before connecting.
    let url = |query: &str| format!("postgres://postgres:Secret-Pw@127.0.0.1:1/postgres?{query}");

    let secrets = ["Secret-Pw", key.lines().nth(1).unwrap()];
    let refused = |env: Vec<(&'static str, String)>, says: Vec<&'static str>| {
        let mut env = env;
        env.push(("HOME", home.to_owned()));
        stops_at_start(env, says, secrets)
    };

    refused(
        vec![("DATABASE_URL", url("sslmode=verify-full&sslrootcert=/nonexistent/ca.pem"))],
        vec!["sslrootcert in DATABASE_URL: cannot read /nonexistent/ca.pem", "No such file"],
    )
    .await;
    refused(
        vec![("DATABASE_URL", url(&format!("sslmode=require&sslrootcert={text}")))],
        vec!["sslrootcert in DATABASE_URL", "no PEM certificate"],
    )
    .await;
    // A key where the CA belongs: named, its content never shown.
    refused(
        vec![("DATABASE_URL", url(&format!("sslmode=verify-ca&sslrootcert={key_file}")))],
        vec!["sslrootcert in DATABASE_URL", "no PEM certificate"],
    )
    .await;
    refused(vec![("DATABASE_URL", url("sslmode=verify-full"))], vec!["sslmode=verify-full", "/.postgresql/root.crt"])
        .await;
    refused(
        vec![("DATABASE_URL", url("sslmode=require&sslrootcert=system"))],
        vec!["sslrootcert=system", "verify-full"],
    )
    .await;
    refused(
        vec![("DATABASE_URL", url(&format!("sslmode=require&sslcert={certificate_file}")))],
        vec!["sslcert in DATABASE_URL is set but sslkey is not"],
    )
    .await;
    refused(
        vec![("DATABASE_URL", url(&format!("sslmode=require&sslcert={certificate_file}&sslkey={text}")))],
        vec!["sslkey in DATABASE_URL", "no PEM private key"],
    )
    .await;
    refused(
        vec![("DATABASE_URL", url("")), ("PGSSLMODE", "verify-everything".into())],
        vec!["PGSSLMODE: unknown sslmode \"verify-everything\""],
    )
    .await;
    refused(
        vec![("DATABASE_URL", url("sslmode=verify-ca")), ("PGSSLROOTCERT", text.clone())],
        vec!["PGSSLROOTCERT", "no PEM certificate"],
    )
    .await;
    // The migrations' URL is held to the same rules.
    refused(
        vec![
            ("DATABASE_URL", url(&format!("sslmode=verify-full&sslrootcert={ca}"))),
            ("DATABASE_MIGRATION_URL", url("sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")),
        ],
        vec!["sslrootcert in DATABASE_MIGRATION_URL: cannot read"],
    )
    .await;
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn the_shared_test_server_is_reached_encrypted_and_its_self_signed_certificate_is_not_trusted() {
    let Some(url) = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("\n*** SKIPPED: DATABASE_URL is not set, so there is no shared TLS server to test against ***\n");
        return;
    };
    let with = |query: &str| {
        let mut url = url::Url::parse(&url).unwrap();
        url.query_pairs_mut().append_pair("sslmode", query);
        url.to_string()
    };
    let home = std::env::temp_dir().join(format!("wou-tls-shared-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let require = options(&with("require"), &home).unwrap();
    if require.get_socket().is_some() || require.get_host().starts_with('/') {
        eprintln!("\n*** SKIPPED: DATABASE_URL is a Unix socket, over which no TLS is used ***\n");
        return;
    }
    let mut conn = connect(&require).await.unwrap();
    assert!(encrypted(&mut conn).await, "sslmode=require left the session unencrypted");
    conn.close().await.unwrap();
    let mut system = url::Url::parse(&with("verify-full")).unwrap();
    system.query_pairs_mut().append_pair("sslrootcert", "system");
    let refused = connect(&options(system.as_str(), &home).unwrap()).await.map(drop).unwrap_err().to_string();
    assert!(refused.contains("invalid peer certificate"), "{refused}");
    std::fs::remove_dir(home).ok();
}
