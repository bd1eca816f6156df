//! Resolving the `offering` filter's URL without Waldur's URL configuration.

use uuid::Uuid;

use crate::http::request::strip_script_prefix;

/// What the `offering` filter's URL names, resolved as upstream's `URLFilter` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OfferingUrl {
    /// The provider-offering detail route with this uuid.
    Offering(Uuid),
    /// A value without a path (a bare uuid), another route, or a lookup that is not a uuid:
    /// the filter matches nothing.
    NoOffering,
    /// A path that resolves to no route: upstream's resolver answers 404.
    NoRoute,
}

/// Resolves an `offering` value (an absolute URL or a path). `script_prefix` in front of the
/// path is dropped first, as DRF drops it from hyperlinks.
///
/// We do not hold Waldur's URL configuration, so a path "resolves" when it has the shape of
/// its DRF router's routes: `/api/`, `/api/<resource>/`, `/api/<resource>/<lookup>/` or
/// `/api/<resource>/<lookup>/<action>/`, the trailing slash optional (docs/spec/decisions.md 3).
/// Everything else (`/`, `/admin/x/`, `/api/a/b/c/d/`, `/api//x/`) resolves to nothing.
pub(super) fn resolve_offering_url(value: &str, script_prefix: &str) -> OfferingUrl {
    // urlparse: after `scheme://` the network location runs to the first `/`, `?` or `#`.
    let path = match value.find("://") {
        Some(i) => {
            let rest = &value[i + 3..];
            match rest.find(['/', '?', '#']) {
                Some(p) if rest[p..].starts_with('/') => &rest[p..],
                _ => return OfferingUrl::NoOffering,
            }
        }
        None => value,
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    if !path.starts_with('/') {
        return OfferingUrl::NoOffering;
    }
    let path = strip_script_prefix(path, script_prefix);
    let Some(segments) = api_route_segments(path) else { return OfferingUrl::NoRoute };
    match segments.as_slice() {
        ["marketplace-provider-offerings", lookup] => {
            Uuid::parse_str(lookup).map(OfferingUrl::Offering).unwrap_or(OfferingUrl::NoOffering)
        }
        _ => OfferingUrl::NoOffering,
    }
}

/// The segments after `/api/` of a path shaped like a DRF router route (at most three, none
/// empty), or `None`.
fn api_route_segments(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix("/api")?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let rest = rest.strip_prefix('/')?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let segments: Vec<&str> = rest.split('/').collect();
    (segments.len() <= 3 && segments.iter().all(|s| !s.is_empty())).then_some(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offering_url_must_be_a_provider_offering_route() {
        let uuid = "9c08033f78464e06a273ed0d98ccac1e";
        let offering = OfferingUrl::Offering(Uuid::parse_str(uuid).unwrap());
        let cases = [
            (format!("http://host:8000/api/marketplace-provider-offerings/{uuid}/"), offering),
            (format!("http://host/api/marketplace-provider-offerings/{uuid}"), offering),
            (format!("/api/marketplace-provider-offerings/{uuid}/?x=1#f"), offering),
            // Another route, a lookup that is not a uuid, no path at all: nothing matches.
            (format!("http://host/api/marketplace-public-offerings/{uuid}/"), OfferingUrl::NoOffering),
            ("http://host/api/marketplace-provider-offerings/xyz/".into(), OfferingUrl::NoOffering),
            (format!("http://host/api/marketplace-provider-offerings/{uuid}/update_users/"), OfferingUrl::NoOffering),
            ("http://host/api/".into(), OfferingUrl::NoOffering),
            (uuid.into(), OfferingUrl::NoOffering),
            ("http://host".into(), OfferingUrl::NoOffering),
            ("http://host?x=/api/".into(), OfferingUrl::NoOffering),
            // Paths no route has: upstream's 404.
            ("http://host/".into(), OfferingUrl::NoRoute),
            ("/nowhere/".into(), OfferingUrl::NoRoute),
            (format!("http://host/apix/marketplace-provider-offerings/{uuid}/"), OfferingUrl::NoRoute),
            ("http://host/api/a/b/c/d/".into(), OfferingUrl::NoRoute),
            ("http://host/api//b/".into(), OfferingUrl::NoRoute),
        ];
        for (value, expected) in cases {
            assert_eq!(resolve_offering_url(&value, ""), expected, "{value}");
        }
    }

    #[test]
    fn offering_url_under_a_script_prefix() {
        let uuid = "9c08033f78464e06a273ed0d98ccac1e";
        let offering = OfferingUrl::Offering(Uuid::parse_str(uuid).unwrap());
        let prefixed = format!("https://x.org/waldur/api/marketplace-provider-offerings/{uuid}/");
        assert_eq!(resolve_offering_url(&prefixed, "/waldur"), offering);
        assert_eq!(resolve_offering_url(&prefixed, ""), OfferingUrl::NoRoute);
        let bare = format!("https://x.org/api/marketplace-provider-offerings/{uuid}/");
        assert_eq!(resolve_offering_url(&bare, "/waldur"), offering);
    }
}
