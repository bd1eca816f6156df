//! Where hyperlinks point and what they never carry: `--public-url`, forwarded headers only
//! when trusted, `--allowed-hosts`, and the `x-auth-token` credential kept out of `Link`
//! headers and logs.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{json, Value};

use waldur_offering_users::config::parse_public_url;
use waldur_offering_users::http::Settings;

use crate::support::capture::Captured;
use crate::support::*;

const FIRST: &str = "00000000000000000000000000000f01";
const SECOND: &str = "00000000000000000000000000000f02";

fn two_records() -> Value {
    world_with(vec![
        offering_user(FIRST, ids::ADMIN, ids::OFFERING, Some("a"), "OK"),
        offering_user(SECOND, ids::MEMBER, ids::OFFERING, Some("b"), "OK"),
    ])
}

async fn app_with(settings: Settings) -> TestApp {
    let app = TestApp::with_settings(settings).await;
    app.import(&two_records()).await;
    app
}

/// A GET with the given headers (a `host` among them replaces the default) and the staff token.
fn get(path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::builder().method(Method::GET).uri(path);
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("host")) {
        builder = builder.header("host", "testserver");
    }
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.header("authorization", "Token staff-token").body(Body::empty()).unwrap()
}

#[tokio::test]
async fn token_in_the_query_stays_out_of_link_headers() {
    let app = app_with(Settings::default()).await;
    let reply = app.request(Method::GET, &format!("{LIST}?x-auth-token=staff-token&page_size=1"), None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.uuids(), vec![FIRST]);
    let link = reply.header("link").unwrap();
    assert!(!link.contains("staff-token") && !link.contains("x-auth-token"), "{link}");
    assert!(link.contains(&format!("<http://testserver{LIST}?page=2&page_size=1>; rel=\"next\"")), "{link}");
}

#[tokio::test]
async fn token_in_the_query_appears_in_no_log_line_at_any_level() {
    let app = app_with(Settings::default()).await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let token = "staff-token";
    {
        // The test runtime has one thread: the guard's task and the handler log here too.
        let _scope = tracing::subscriber::set_default(subscriber);
        for query in [format!("x-auth-token={token}&page_size=1"), format!("page=9&x-auth-token={token}")] {
            app.request(Method::GET, &format!("{LIST}?{query}"), None, None).await;
        }
        let bad = app.request(Method::GET, &format!("{LIST}?x-auth-token={token}-wrong"), None, None).await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    }
    let output = captured.text();
    // The capture works: the request spans are in it, with their route.
    assert!(output.contains(&format!("route={LIST}")), "{output}");
    assert!(!output.contains(token), "{output}");
}

#[tokio::test]
async fn public_url_roots_every_hyperlink_and_keeps_its_path_prefix() {
    let public = parse_public_url("https://waldur.example.org/portal/").unwrap();
    let app = app_with(Settings { public_url: Some(public), ..Settings::default() }).await;
    let root = "https://waldur.example.org/portal";
    let reply = app.send(get(&format!("{LIST}?page_size=1"), &[("x-forwarded-host", "evil.example")])).await;
    assert_eq!(reply.status, StatusCode::OK);
    let first = &reply.json()[0];
    assert_eq!(first["url"], format!("{root}/api/marketplace-offering-users/{FIRST}/"));
    assert_eq!(first["user"], format!("{root}/api/users/{}/", ids::ADMIN));
    assert_eq!(first["offering"], format!("{root}/api/marketplace-provider-offerings/{}/", ids::OFFERING));
    let link = reply.header("link").unwrap();
    assert!(link.starts_with(&format!("<{root}{LIST}?page_size=1>; rel=\"first\"")), "{link}");
    assert!(link.contains(&format!("<{root}{LIST}?page=2&page_size=1>; rel=\"next\"")), "{link}");

    let offering = app.get(&format!("/api/marketplace-provider-offerings/{}/", ids::OFFERING), "staff-token").await;
    assert_eq!(offering.json()["url"], format!("{root}/api/marketplace-provider-offerings/{}/", ids::OFFERING));
    assert_eq!(offering.json()["customer"], format!("{root}/api/customers/{}/", ids::PROVIDER));
    let me = app.get("/api/users/me/", "staff-token").await;
    assert_eq!(me.json()["url"], format!("{root}/api/users/{}/", ids::STAFF));

    // The links we hand out work when clients send them back: as a filter, and in a create.
    let offering_link = first["offering"].as_str().unwrap();
    let filtered = app.get(&format!("{LIST}?offering={offering_link}"), "staff-token").await;
    assert_eq!(filtered.status, StatusCode::OK);
    assert_eq!(filtered.uuids().len(), 2);
    let body = json!({"offering": offering_link, "user": format!("{root}/api/users/{}/", ids::USER)});
    let created = app.post(LIST, "staff-token", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&created.bytes));
    assert!(created.json()["url"].as_str().unwrap().starts_with(root));
}

#[tokio::test]
async fn forwarded_headers_are_ignored_unless_trusted() {
    let forwarded =
        [("host", "internal:8000"), ("x-forwarded-proto", "https"), ("x-forwarded-host", "waldur.example.org")];
    let path = format!("{LIST}?page_size=1");

    let untrusted = app_with(Settings::default()).await;
    let reply = untrusted.send(get(&path, &forwarded)).await;
    assert_eq!(reply.json()[0]["url"], format!("http://internal:8000{LIST}{FIRST}/"));
    assert!(reply.header("link").unwrap().starts_with(&format!("<http://internal:8000{LIST}")));

    let trusted = app_with(Settings { trust_forwarded_headers: true, ..Settings::default() }).await;
    let reply = trusted.send(get(&path, &forwarded)).await;
    assert_eq!(reply.json()[0]["url"], format!("https://waldur.example.org{LIST}{FIRST}/"));
    assert!(reply.header("link").unwrap().starts_with(&format!("<https://waldur.example.org{LIST}")));
    // Without the forwarded host, the request's own host with the forwarded scheme.
    let reply = trusted.send(get(&path, &forwarded[..2])).await;
    assert_eq!(reply.json()[0]["url"], format!("https://internal:8000{LIST}{FIRST}/"));
}

#[tokio::test]
async fn hosts_not_allowed_get_400_and_health_stays_open() {
    let allowed = vec!["waldur.example.org".to_owned(), ".example.net".to_owned(), "127.0.0.1:8000".to_owned()];
    let app = app_with(Settings { allowed_hosts: allowed, ..Settings::default() }).await;
    let status = |host: &'static str| {
        let app = &app;
        async move { app.send(get(LIST, &[("host", host)])).await.status }
    };
    for host in
        ["waldur.example.org", "WALDUR.example.org:443", "example.net", "api.example.net:8080", "127.0.0.1:8000"]
    {
        assert_eq!(status(host).await, StatusCode::OK, "{host}");
    }
    for host in ["evil.example", "waldur.example.org.evil.example", "notexample.net", "127.0.0.1:9000", "127.0.0.1"] {
        assert_eq!(status(host).await, StatusCode::BAD_REQUEST, "{host}");
    }
    let refused = app.send(get(LIST, &[("host", "evil.example")])).await;
    assert_eq!(refused.json(), json!({"detail": "Invalid host header."}));
    // The check comes before authentication: no token needed to be refused.
    let anonymous = Request::builder().uri(LIST).header("host", "evil.example").body(Body::empty()).unwrap();
    assert_eq!(app.send(anonymous).await.status, StatusCode::BAD_REQUEST);
    // Load balancers probe health by IP address.
    let probe = Request::builder().uri("/health/live").header("host", "10.0.0.7:8000").body(Body::empty()).unwrap();
    assert_eq!(app.send(probe).await.status, StatusCode::OK);
}

#[tokio::test]
async fn allowed_hosts_check_the_forwarded_host_when_it_is_trusted() {
    let settings = Settings {
        allowed_hosts: vec!["waldur.example.org".into()],
        trust_forwarded_headers: true,
        ..Settings::default()
    };
    let app = app_with(settings).await;
    let behind_proxy = get(LIST, &[("host", "internal:8000"), ("x-forwarded-host", "waldur.example.org")]);
    assert_eq!(app.send(behind_proxy).await.status, StatusCode::OK);
    let forged = get(LIST, &[("host", "waldur.example.org"), ("x-forwarded-host", "evil.example")]);
    assert_eq!(app.send(forged).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_malformed_host_is_refused_even_when_any_host_is_served() {
    let app = app_with(Settings::default()).await;
    let reply = app.send(get(LIST, &[("host", "evil.example/x?")])).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json(), json!({"detail": "Invalid host header."}));
    assert_eq!(app.send(get(LIST, &[("host", "any.example:8000")])).await.status, StatusCode::OK);
}
