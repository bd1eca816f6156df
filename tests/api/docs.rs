//! `GET /api/docs/`: Swagger UI over `/api/schema/`, public, every asset served by
//! the binary itself with its content type and cache header, and no URL of another host.

use axum::http::{Method, StatusCode};

use waldur_offering_users::http::Settings;

use crate::support::*;

/// What the page's `src` and `href` attributes point at.
fn references(page: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for (at, _) in page.match_indices(attribute) {
            let rest = &page[at + attribute.len()..];
            found.push(rest[..rest.find('"').unwrap()].to_owned());
        }
    }
    found
}

fn vendored(file: &str) -> Vec<u8> {
    std::fs::read(format!("{}/assets/swagger-ui/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[tokio::test]
async fn page_is_public_html_with_and_without_the_slash() {
    let app = TestApp::new().await;
    for path in ["/api/docs/", "/api/docs"] {
        let reply = app.request(Method::GET, path, None, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.header("content-type").as_deref(), Some("text/html; charset=utf-8"));
        assert_eq!(reply.header("cache-control").as_deref(), Some("no-cache"));
        assert_eq!(reply.header("content-security-policy").as_deref(), Some("frame-ancestors 'none'"));
        let page = String::from_utf8(reply.bytes).unwrap();
        assert!(page.contains(r#"<div id="swagger-ui"></div>"#));
    }
}

#[tokio::test]
async fn every_asset_of_the_page_is_served_here() {
    let app = TestApp::new().await;
    let page = String::from_utf8(app.request(Method::GET, "/api/docs/", None, None).await.bytes).unwrap();
    let references = references(&page);
    let local: Vec<&String> = references.iter().filter(|r| r.starts_with("/api/docs/")).collect();
    assert_eq!(local.len(), 3, "{references:?}");
    // Nothing from another host: the favicon is an empty data URL.
    assert_eq!(references.len(), local.len() + 1);
    assert!(references.contains(&"data:,".to_owned()));

    for path in local {
        let reply = app.request(Method::GET, path, None, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.header("x-content-type-options").as_deref(), Some("nosniff"));
        let content_type = reply.header("content-type").unwrap();
        let cache = reply.header("cache-control").unwrap();
        let file = path.rsplit('/').next().unwrap();
        match file {
            "swagger-ui-bundle.js" | "swagger-ui.css" => {
                // The version is in the path, so the file may be cached for good.
                assert!(path.contains("/swagger-ui-5."), "{path}");
                assert_eq!(cache, "public, max-age=31536000, immutable");
                assert_eq!(reply.bytes, vendored(file), "{path} is not the vendored file");
                let expected = if file.ends_with(".js") { "text/javascript" } else { "text/css" };
                assert_eq!(content_type, format!("{expected}; charset=utf-8"));
            }
            "init.js" => {
                assert_eq!(cache, "no-cache");
                assert_eq!(content_type, "text/javascript; charset=utf-8");
                let script = String::from_utf8(reply.bytes).unwrap();
                assert!(script.contains(r#"url: "/api/schema/""#));
                assert!(script.contains("validatorUrl: null"), "no request to the public validator");
            }
            other => panic!("unexpected asset {other}"),
        }
        let head = app.request(Method::HEAD, path, None, None).await;
        assert_eq!(head.status, StatusCode::OK);
        assert!(head.bytes.is_empty());
    }
}

/// Outside the request guard, like the schema: the docs load while every API request is shed.
#[tokio::test]
async fn page_answers_while_requests_are_shed() {
    let app = TestApp::with_settings(Settings { max_in_flight: 0, ..Settings::default() }).await;
    app.import(&world()).await;
    assert_eq!(app.get(LIST, "staff-token").await.status, StatusCode::SERVICE_UNAVAILABLE);
    for path in ["/api/docs/", "/api/docs/init.js", "/api/schema/"] {
        assert_eq!(app.request(Method::GET, path, None, None).await.status, StatusCode::OK, "{path}");
    }
}

/// The page and its assets are left out of the OpenAPI document on purpose: they are no API
/// operation, and the page would list itself. They are routed all the same.
#[tokio::test]
async fn docs_are_served_but_not_in_the_schema() {
    let app = TestApp::with(&world()).await;
    let doc = app.request(Method::GET, "/api/schema/", None, None).await.json();
    let page = String::from_utf8(app.request(Method::GET, "/api/docs/", None, None).await.bytes).unwrap();
    let mut paths = vec!["/api/docs/".to_owned()];
    paths.extend(references(&page).into_iter().filter(|r| r.starts_with("/api/docs/")));
    for path in &paths {
        assert!(doc["paths"].get(path).is_none(), "{path} is documented");
        let options = app.request(Method::OPTIONS, path, Some("staff-token"), None).await;
        assert_eq!(options.header("allow").as_deref(), Some("GET, HEAD, OPTIONS"), "{path}");
        let post = app.request(Method::POST, path, None, None).await;
        assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED, "{path}: public, so 405 without a token");
    }
    assert!(doc["paths"].as_object().unwrap().keys().all(|p| !p.starts_with("/api/docs")));
}
