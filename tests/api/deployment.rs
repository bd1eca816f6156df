//! What deployments rely on: `waldur-offering-users health`, the container's health check
//! (exit 0 when the server answers its readiness check with 200 in time, 1 otherwise), and
//! `DATABASE_MIGRATION_URL`, which sends the migrations past a transaction pooler.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use waldur_offering_users::http::Settings;

use crate::import::database_url;
use crate::support::served::{transport, Served};
use crate::support::*;

/// Runs `health` with these arguments and environment; (exit code, stdout, stderr).
async fn health(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_waldur-offering-users"));
    command.arg("health").args(args).env_remove("HEALTHCHECK_URL").env_remove("BIND_ADDR");
    // No database is needed: a DATABASE_URL that points nowhere must not matter.
    command.env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none");
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().await.unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// A listener that answers every connection with `reply` (or nothing, when `None`).
async fn fake_server(reply: Option<&'static str>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut request = [0u8; 1024];
                let _ = stream.read(&mut request).await;
                match reply {
                    Some(reply) => {
                        let _ = stream.write_all(reply.as_bytes()).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    address
}

#[tokio::test]
async fn health_exits_0_against_a_ready_server_on_its_url_or_its_listen_address() {
    let app = TestApp::new().await;
    let mut served = Served::start(app.db.options(), Settings::default(), transport()).await;
    let url = format!("http://{}/health/ready", served.address);
    let (code, stdout, stderr) = health(&["--url", &url], &[]).await;
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains(&format!("ready: {url} answered 200")), "{stdout}");

    // As in the image: HEALTHCHECK_URL unset, BIND_ADDR=0.0.0.0:<port> probed on loopback.
    let any = format!("0.0.0.0:{}", served.address.port());
    let (code, stdout, stderr) = health(&[], &[("BIND_ADDR", &any)]).await;
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains(&format!("http://127.0.0.1:{}/health/ready", served.address.port())), "{stdout}");
    let (code, _, _) = health(&[], &[("HEALTHCHECK_URL", &url)]).await;
    assert_eq!(code, Some(0));
    served.stop().await;

    // Stopped: nothing listens there any more.
    let (code, _, stderr) = health(&["--url", &url], &[]).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("not ready") && stderr.contains("cannot connect"), "{stderr}");
}

#[tokio::test]
async fn health_exits_1_on_a_503_a_silent_server_or_a_url_it_cannot_probe() {
    let unavailable = fake_server(Some("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")).await;
    let (code, _, stderr) = health(&["--url", &format!("http://{unavailable}/health/ready")], &[]).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("answered 503"), "{stderr}");

    let silent = fake_server(None).await;
    let started = std::time::Instant::now();
    let (code, _, stderr) =
        health(&["--url", &format!("http://{silent}/health/ready"), "--timeout", "300ms"], &[]).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("no answer within"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(10));

    let (code, _, stderr) = health(&["--url", "https://example.org/health/ready"], &[]).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("plain http://"), "{stderr}");
}

/// Runs the binary with these arguments and environment (DATABASE_URL and
/// DATABASE_MIGRATION_URL unset unless given); (exit code, stdout, stderr).
async fn command(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_waldur-offering-users"));
    command.args(args).env_remove("DATABASE_URL").env_remove("DATABASE_MIGRATION_URL");
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().await.unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// Nothing listens there.
const NOWHERE: &str = "postgres://postgres@127.0.0.1:1/nowhere";

#[tokio::test]
async fn migrations_go_to_the_migration_url_when_it_is_set() {
    let app = TestApp::new().await;
    let direct = database_url(&app);
    // `migrate` uses only the migration URL: DATABASE_URL may point at a pooler that is down.
    let (code, stdout, stderr) =
        command(&["migrate"], &[("DATABASE_URL", NOWHERE), ("DATABASE_MIGRATION_URL", &direct)]).await;
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("migrations applied"), "{stdout}");
    // `import` migrates there first, then imports through DATABASE_URL.
    let dir = std::env::temp_dir().join(format!("wou-migration-url-{}", app.db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("doc.json");
    std::fs::write(&file, world().to_string()).unwrap();
    let file = file.to_str().unwrap();
    let nowhere = [("DATABASE_URL", direct.as_str()), ("DATABASE_MIGRATION_URL", NOWHERE), ("DATABASE_WAIT", "1s")];
    let (code, stdout, stderr) = command(&["import", file], &nowhere).await;
    assert_eq!(code, Some(3), "{stdout}{stderr}");
    assert!(stderr.contains("did not answer") && stderr.contains("--database-wait"), "{stderr}");
    let (code, stdout, stderr) =
        command(&["import", file], &[("DATABASE_URL", &direct), ("DATABASE_MIGRATION_URL", &direct)]).await;
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("users: 12 created"), "{stdout}");
    // An empty value is unset: DATABASE_URL takes the migrations as before.
    let (code, _, stderr) = command(&["migrate"], &[("DATABASE_URL", &direct), ("DATABASE_MIGRATION_URL", "")]).await;
    assert_eq!(code, Some(0), "{stderr}");
    let (code, _, stderr) =
        command(&["migrate"], &[("DATABASE_URL", &direct), ("DATABASE_MIGRATION_URL", "postgres://[not-a-host")]).await;
    assert_eq!(code, Some(2));
    assert!(stderr.contains("invalid DATABASE_MIGRATION_URL"), "{stderr}");
    std::fs::remove_dir_all(dir).ok();
}
