//! CORS: `--cors-allowed-origins` lets the listed origins' pages call the API from a
//! browser; other origins, and every origin by default, get no `Access-Control-Allow-Origin`.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};

use waldur_offering_users::config::parse_origin;
use waldur_offering_users::http::Settings;

use crate::support::*;

const ALLOWED: &str = "https://waldur.example.org";
const OTHER: &str = "https://elsewhere.example.org";

async fn app_allowing(origins: &[&str]) -> TestApp {
    let settings =
        Settings { cors_allowed_origins: origins.iter().map(|o| o.to_string()).collect(), ..Settings::default() };
    let app = TestApp::with_settings(settings).await;
    app.import(&world()).await;
    app
}

/// A browser's preflight before a GET with `Authorization`.
fn preflight(origin: &str) -> Request<Body> {
    Request::builder()
        .method(Method::OPTIONS)
        .uri(LIST)
        .header("host", "testserver")
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .body(Body::empty())
        .unwrap()
}

fn list_from(origin: &str) -> Request<Body> {
    Request::builder()
        .uri(LIST)
        .header("host", "testserver")
        .header("origin", origin)
        .header("authorization", "Token staff-token")
        .body(Body::empty())
        .unwrap()
}

/// The comma-separated names of a header, lowercase.
fn names(reply: &Reply, header: &str) -> Vec<String> {
    let value = reply.header(header).unwrap_or_else(|| panic!("no {header}"));
    value.split(',').map(|n| n.trim().to_ascii_lowercase()).collect()
}

#[tokio::test]
async fn preflight_from_an_allowed_origin_is_answered_with_the_policy() {
    let app = app_allowing(&[OTHER, ALLOWED]).await;
    let reply = app.send(preflight(ALLOWED)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("access-control-allow-origin").as_deref(), Some(ALLOWED));
    assert!(names(&reply, "access-control-allow-headers").contains(&"authorization".to_owned()));
    let methods = names(&reply, "access-control-allow-methods");
    for method in ["get", "head", "post", "put", "patch", "delete", "options"] {
        assert!(methods.contains(&method.to_owned()), "{method} not in {methods:?}");
    }
    assert!(reply.header("access-control-allow-credentials").is_none());
    assert!(names(&reply, "vary").contains(&"origin".to_owned()));
}

#[tokio::test]
async fn preflight_from_another_origin_gets_no_allow_origin() {
    let app = app_allowing(&[ALLOWED]).await;
    for origin in [OTHER, "https://waldur.example.org.evil.example", "http://waldur.example.org"] {
        let reply = app.send(preflight(origin)).await;
        assert!(reply.header("access-control-allow-origin").is_none(), "{origin}");
    }
}

#[tokio::test]
async fn get_from_an_allowed_origin_exposes_the_paging_headers() {
    let app = app_allowing(&[ALLOWED]).await;
    let reply = app.send(list_from(ALLOWED)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("access-control-allow-origin").as_deref(), Some(ALLOWED));
    let exposed = names(&reply, "access-control-expose-headers");
    for header in ["link", "x-result-count", "x-request-id"] {
        assert!(exposed.contains(&header.to_owned()), "{header} not in {exposed:?}");
    }
    assert!(reply.header("x-result-count").is_some());

    // From another origin the answer is the same, but the browser keeps it from the page.
    let other = app.send(list_from(OTHER)).await;
    assert_eq!(other.status, StatusCode::OK);
    assert!(other.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn errors_are_readable_by_an_allowed_origin() {
    let app = app_allowing(&[ALLOWED]).await;
    let mut request = list_from(ALLOWED);
    request.headers_mut().remove("authorization");
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.header("access-control-allow-origin").as_deref(), Some(ALLOWED));
}

/// A plain `OPTIONS` (no `Access-Control-Request-Method`) is no preflight: the route answers it
/// with `Allow` as before, after authentication.
#[tokio::test]
async fn plain_options_keeps_its_allow_answer() {
    let app = app_allowing(&[ALLOWED]).await;
    let reply = app.request(Method::OPTIONS, LIST, Some("staff-token"), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("allow").as_deref(), Some("GET, POST, HEAD, OPTIONS"));
    let anonymous = app.request(Method::OPTIONS, LIST, None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn default_settings_send_no_cors_headers() {
    let app = TestApp::with(&world()).await;
    for request in [preflight(ALLOWED), list_from(ALLOWED)] {
        let reply = app.send(request).await;
        let cors: Vec<&str> = reply
            .headers
            .keys()
            .map(|name| name.as_str())
            .filter(|name| name.starts_with("access-control-") || *name == "vary")
            .collect();
        assert!(cors.is_empty(), "{cors:?}");
    }
}

#[test]
fn origins_are_read_as_browsers_send_them() {
    assert_eq!(parse_origin("https://Waldur.Example.org:443/").unwrap(), "https://waldur.example.org");
    assert_eq!(parse_origin(" http://127.0.0.1:8080 ").unwrap(), "http://127.0.0.1:8080");
    for bad in ["waldur.example.org", "ftp://example.org", "https://example.org/app", "https://u@example.org", "*"] {
        assert!(parse_origin(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_flag_takes_a_comma_separated_list() {
    use clap::Parser;
    use waldur_offering_users::config::{Cli, Command};
    let cli = Cli::try_parse_from([
        "waldur-offering-users",
        "serve",
        "--cors-allowed-origins",
        "https://waldur.example.org/,http://localhost:8080",
    ])
    .unwrap();
    let Command::Serve(args) = cli.command else { panic!("not serve") };
    let settings = Settings::from_args(&args);
    assert_eq!(settings.cors_allowed_origins, ["https://waldur.example.org", "http://localhost:8080"]);
    assert!(Cli::try_parse_from(["waldur-offering-users", "serve", "--cors-allowed-origins", "https://x.example/app"])
        .is_err());
    // Empty, as `CORS_ALLOWED_ORIGINS=` gives it: no origin.
    let cli = Cli::try_parse_from(["waldur-offering-users", "serve", "--cors-allowed-origins", ""]).unwrap();
    let Command::Serve(args) = cli.command else { panic!("not serve") };
    assert!(Settings::from_args(&args).cors_allowed_origins.is_empty());
}
