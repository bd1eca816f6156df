//! The uuid of the record a path names (`…/{uuid}/…`), as every detail handler takes it:
//! parsed once, by one extractor, instead of a `Path<String>` parsed by hand in each handler.
//!
//! A segment that is no uuid (or not even UTF-8) names no record: it is answered with the same
//! 404 body as a uuid that names nothing, as upstream's lookup does, never the framework's
//! plain-text 400. Accepted forms are those of Python's `uuid.UUID` (hex, dashed, braces,
//! `urn:uuid:`).
//!
//! **Order.** axum runs a handler's extractors in argument order. `PathUuid` must come after
//! the `Caller` extractor, so that a request without valid credentials is answered 401 whatever
//! its path says (docs/spec/checklists.md §8.1: 401 before 404); `tests/api/typed_paths.rs`
//! holds every `{uuid}` route to it.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use uuid::Uuid;

use crate::error::{ApiError, NO_OFFERING_USER};

/// A kind of record that paths name by uuid, with the 404 `detail` of a uuid that names
/// none the caller can see.
pub trait PathRecord {
    const NOT_FOUND: &'static str;
}

/// `/api/marketplace-offering-users/{uuid}/…`
#[derive(Debug)]
pub enum OfferingUserRecord {}

impl PathRecord for OfferingUserRecord {
    const NOT_FOUND: &'static str = NO_OFFERING_USER;
}

/// `/api/users/{uuid}/`
#[derive(Debug)]
pub enum UserRecord {}

impl PathRecord for UserRecord {
    const NOT_FOUND: &'static str = "No User matches the given query.";
}

/// `/api/marketplace-provider-offerings/{uuid}/`
#[derive(Debug)]
pub enum OfferingRecord {}

impl PathRecord for OfferingRecord {
    const NOT_FOUND: &'static str = "No Offering matches the given query.";
}

/// `/api/events/{uuid}/`
#[derive(Debug)]
pub enum EventRecord {}

impl PathRecord for EventRecord {
    const NOT_FOUND: &'static str = "No Event matches the given query.";
}

/// `/api/hooks-web/{uuid}/`
#[derive(Debug)]
pub enum WebHookRecord {}

impl PathRecord for WebHookRecord {
    const NOT_FOUND: &'static str = "No WebHook matches the given query.";
}

/// The uuid of the path's `{uuid}` segment, naming a record of kind `R`.
#[derive(Debug)]
pub struct PathUuid<R>(pub Uuid, pub PhantomData<fn() -> R>);

/// The record of an offering-user route.
pub type OfferingUserUuid = PathUuid<OfferingUserRecord>;
/// The user of `/api/users/{uuid}/`.
pub type UserUuid = PathUuid<UserRecord>;
/// The offering of `/api/marketplace-provider-offerings/{uuid}/`.
pub type OfferingUuid = PathUuid<OfferingRecord>;
/// The event of `/api/events/{uuid}/`.
pub type EventUuid = PathUuid<EventRecord>;
/// The hook of `/api/hooks-web/{uuid}/`.
pub type WebHookUuid = PathUuid<WebHookRecord>;

impl<R: PathRecord> PathUuid<R> {
    /// The uuid a path segment holds; the record kind's 404 when it holds none.
    pub fn parse(segment: &str) -> Result<Self, ApiError> {
        Uuid::parse_str(segment).map(|uuid| PathUuid(uuid, PhantomData)).map_err(|_| ApiError::NotFound(R::NOT_FOUND))
    }
}

impl<S: Send + Sync, R: PathRecord> FromRequestParts<S> for PathUuid<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // Every route with a `{uuid}` has that one parameter; a segment axum cannot decode
        // (not UTF-8) names no record either.
        let Path(segment) =
            Path::<String>::from_request_parts(parts, state).await.map_err(|_| ApiError::NotFound(R::NOT_FOUND))?;
        Self::parse(&segment)
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::response::IntoResponse;
    use axum::routing::get;
    use axum::Router;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    #[test]
    fn every_form_python_accepts_is_the_same_uuid() {
        let want = Uuid::from_u128(0x0000d3e0_0000_0000_0000_000000000601);
        for form in [
            "0000d3e0000000000000000000000601",
            "0000D3E0000000000000000000000601",
            "0000d3e0-0000-0000-0000-000000000601",
            "{0000d3e0-0000-0000-0000-000000000601}",
            "urn:uuid:0000d3e0-0000-0000-0000-000000000601",
        ] {
            assert_eq!(OfferingUserUuid::parse(form).map(|p| p.0).ok(), Some(want), "{form}");
        }
    }

    #[test]
    fn a_segment_that_is_no_uuid_is_the_kinds_404() {
        let detail = |result: Result<UserUuid, ApiError>| match result {
            Err(ApiError::NotFound(detail)) => detail,
            other => panic!("not a 404: {other:?}"),
        };
        assert_eq!(detail(UserUuid::parse("not-a-uuid")), "No User matches the given query.");
        assert_eq!(detail(UserUuid::parse("")), "No User matches the given query.");
        assert!(matches!(OfferingUserUuid::parse("0000d3e0"), Err(ApiError::NotFound(NO_OFFERING_USER))));
        assert!(matches!(OfferingUuid::parse("xyz"), Err(ApiError::NotFound("No Offering matches the given query."))));
    }

    /// Through a router: the segment as axum decodes it, and one it cannot decode.
    #[tokio::test]
    async fn the_extractor_answers_the_404_body_for_any_bad_segment() {
        let router = Router::new().route(
            "/records/{uuid}/",
            get(|PathUuid(uuid, _): OfferingUserUuid| async move { uuid.simple().to_string().into_response() }),
        );
        let call = |path: &'static str| {
            let router = router.clone();
            async move {
                let response = router.oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
                let status = response.status();
                let body = response.into_body().collect().await.unwrap().to_bytes();
                (status, String::from_utf8_lossy(&body).into_owned())
            }
        };
        assert_eq!(
            call("/records/0000d3e0-0000-0000-0000-000000000601/").await,
            (StatusCode::OK, "0000d3e0000000000000000000000601".to_owned())
        );
        let not_found = (StatusCode::NOT_FOUND, r#"{"detail":"No OfferingUser matches the given query."}"#.to_owned());
        assert_eq!(call("/records/not-a-uuid/").await, not_found);
        assert_eq!(call("/records/%FF%FE/").await, not_found);
    }
}
