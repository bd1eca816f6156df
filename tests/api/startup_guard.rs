//! Safe by default outside loopback: `serve` on a non-loopback address refuses to start
//! without `PUBLIC_URL` or `ALLOWED_HOSTS` (exit 2), `--allowed-hosts '*'` opts out and then
//! serves any host; and the management listener's optional bearer token for `/metrics`.

use std::process::Stdio;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tower::ServiceExt;

use crate::import::database_url;
use crate::support::served::raw_request;
use crate::support::*;
use waldur_offering_users::http::{admin_app, Settings};

/// `serve` with these arguments, none of the host settings inherited from the environment.
fn serve(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_waldur-offering-users"));
    command
        .arg("serve")
        .args(args)
        .args(["--admin-bind", "off"])
        .env_remove("PUBLIC_URL")
        .env_remove("ALLOWED_HOSTS")
        .env_remove("BIND_ADDR")
        .env_remove("METRICS_TOKEN")
        .kill_on_drop(true);
    command
}

#[tokio::test]
async fn serve_beyond_loopback_without_host_settings_exits_2_before_touching_any_database() {
    let data_dir = std::env::temp_dir().join(format!("wou-startup-guard-{}", std::process::id()));
    let out = serve(&["--bind", "0.0.0.0:0"])
        .env_remove("DATABASE_URL")
        .env("WALDUR_DATA_DIR", &data_dir)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for named in ["PUBLIC_URL", "ALLOWED_HOSTS", "--allowed-hosts '*'", "0.0.0.0:0"] {
        assert!(stderr.contains(named), "{named} missing from: {stderr}");
    }
    assert!(!data_dir.exists(), "no embedded cluster was started");
    // An empty ALLOWED_HOSTS is no setting either.
    let out = serve(&["--bind", "[::]:0"]).env("ALLOWED_HOSTS", "").env_remove("DATABASE_URL").output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Starts the server and waits for the address it prints; the child is killed when dropped.
async fn started(mut command: Command) -> (Child, String) {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.strip_prefix("serving http://") {
                return rest.split('/').next().unwrap().to_owned();
            }
        }
        panic!("the server exited without serving")
    })
    .await
    .expect("the server starts in time");
    (child, address)
}

#[tokio::test]
async fn serve_starts_on_loopback_without_settings_and_anywhere_with_the_explicit_opt_out() {
    let app = TestApp::with(&world()).await;
    let url = database_url(&app);
    let (mut child, _) = started({
        let mut command = serve(&["--bind", "127.0.0.1:0"]);
        command.env("DATABASE_URL", &url);
        command
    })
    .await;
    child.kill().await.unwrap();

    let (mut child, address) = started({
        let mut command = serve(&["--bind", "0.0.0.0:0", "--allowed-hosts", "*"]);
        command.env("DATABASE_URL", &url);
        command
    })
    .await;
    let port: u16 = address.rsplit_once(':').unwrap().1.parse().unwrap();
    let local = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    // The listener answers before the database is ready (it waits, then migrates): ready first.
    let waiting = std::time::Instant::now();
    while raw_request(local, "GET", "/health/ready", None, None).await.status != 200 {
        assert!(waiting.elapsed() < Duration::from_secs(30), "the server never became ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // `*` serves any well-formed host (the raw client sends `Host: testserver`).
    let reply = raw_request(local, "GET", LIST, Some("staff-token"), None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn the_metrics_token_is_hidden_from_help() {
    let out = Command::new(env!("CARGO_BIN_EXE_waldur-offering-users"))
        .args(["serve", "--help"])
        .env("METRICS_TOKEN", "very-secret-scrape-token")
        .output()
        .await
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--metrics-token") && help.contains("METRICS_TOKEN"), "{help}");
    assert!(!help.contains("very-secret-scrape-token"), "{help}");
}

/// `path` on the management router, with `authorization` when given.
async fn admin_get(app: &TestApp, path: &str, authorization: Option<&str>) -> StatusCode {
    let mut request = Request::get(path);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = admin_app(app.state.clone()).oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    if response.status() == StatusCode::UNAUTHORIZED {
        assert_eq!(response.headers()["www-authenticate"], "Bearer realm=\"metrics\"");
    }
    response.status()
}

#[tokio::test]
async fn with_a_metrics_token_metrics_need_it_and_health_stays_open() {
    let token = "scrape-me-0123456789".parse().unwrap();
    let app = TestApp::with_settings(Settings { metrics_token: Some(token), ..Settings::default() }).await;
    assert!(!format!("{:?}", app.state.settings).contains("scrape-me"), "the token in Debug");
    assert_eq!(admin_get(&app, "/metrics", None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(admin_get(&app, "/metrics", Some("Bearer wrong")).await, StatusCode::UNAUTHORIZED);
    assert_eq!(admin_get(&app, "/metrics", Some("Token scrape-me-0123456789")).await, StatusCode::UNAUTHORIZED);
    assert_eq!(admin_get(&app, "/metrics", Some("Bearer scrape-me-0123456789")).await, StatusCode::OK);
    assert_eq!(admin_get(&app, "/health/live", None).await, StatusCode::OK);
    // Without a running outage monitor readiness is unknown: answered 503, not refused 401.
    assert_eq!(admin_get(&app, "/health/ready", None).await, StatusCode::SERVICE_UNAVAILABLE);

    let open = TestApp::new().await;
    assert_eq!(admin_get(&open, "/metrics", None).await, StatusCode::OK, "no token set: open");
}
