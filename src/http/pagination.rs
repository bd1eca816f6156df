//! Page-number pagination with upstream's `Link` and `X-Result-Count` headers
//! (docs/spec/offering-users.md §6.2): links keep every other parameter, re-encoded with keys sorted
//! as Python's `urlencode(sorted(…))` does, except the `x-auth-token` credential.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::domain::listing::{PageRequest, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::error::ApiError;

/// The `page` and `page_size` of a query, read as the offering-user list reads them: a page
/// that is not a positive number is page 0 (a 404), a bad size the default, a large one
/// clamped to [`MAX_PAGE_SIZE`].
pub fn page_params(pairs: &[(String, String)]) -> (PageRequest, i64) {
    let last = |key: &str| pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let page = match last("page") {
        None | Some("") => PageRequest::First,
        Some("last") => PageRequest::Last,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 1 => PageRequest::Number(n),
            _ => PageRequest::Number(0),
        },
    };
    let size = match last("page_size").and_then(|v| v.parse::<i64>().ok()) {
        Some(n) if n > 0 => n.min(MAX_PAGE_SIZE),
        _ => DEFAULT_PAGE_SIZE,
    };
    (page, size)
}

/// The page a request resolves to, given the total count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: i64,
    pub count: i64,
    pub size: i64,
}

impl Page {
    /// Resolves the requested page; a page past the end (or not a number) is the 404
    /// "Invalid page." Page 1 of an empty result is valid.
    pub fn resolve(request: PageRequest, count: i64, size: i64) -> Result<Page, ApiError> {
        let pages = Page { number: 1, count, size }.pages();
        let number = match request {
            PageRequest::First => 1,
            PageRequest::Last => pages,
            PageRequest::Number(n) => n,
        };
        if number < 1 || number > pages {
            return Err(ApiError::NotFound("Invalid page."));
        }
        Ok(Page { number, count, size })
    }

    /// The row offset of the requested page when it is known without the count: `None` for
    /// `last`, for a number [`Page::resolve`] rejects whatever the count, and for one whose
    /// offset does not fit (it is past the end of any result).
    pub fn requested_offset(request: PageRequest, size: i64) -> Option<i64> {
        let number = match request {
            PageRequest::First => 1,
            PageRequest::Number(n) if n >= 1 => n,
            PageRequest::Number(_) | PageRequest::Last => return None,
        };
        (number - 1).checked_mul(size)
    }

    /// The number of pages, at least one.
    pub fn pages(&self) -> i64 {
        ((self.count + self.size - 1) / self.size).max(1)
    }

    /// The row offset of this page.
    pub fn offset(&self) -> i64 {
        (self.number - 1) * self.size
    }

    /// A list's answer: the JSON `body` (empty for `HEAD`), `X-Result-Count` and `Link`, as
    /// every paginated list of the API sends them.
    pub fn response(&self, body: Vec<u8>, base: &str, path: &str, query: &[(String, String)]) -> Response {
        let link = self.link_header(base, path, query);
        let mut response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
        let headers = response.headers_mut();
        headers.insert("x-result-count", HeaderValue::from(self.count));
        if let Ok(value) = HeaderValue::from_str(&link) {
            headers.insert(header::LINK, value);
        }
        response
    }

    /// The `Link` header: first, prev, next, last, each where it applies.
    pub fn link_header(&self, base: &str, path: &str, query: &[(String, String)]) -> String {
        let url = |page: Option<i64>| page_url(base, path, query, page);
        let mut links = vec![format!("<{}>; rel=\"first\"", url(None))];
        if self.number > 1 {
            let prev = (self.number > 2).then_some(self.number - 1);
            links.push(format!("<{}>; rel=\"prev\"", url(prev)));
        }
        let pages = self.pages();
        if self.number < pages {
            links.push(format!("<{}>; rel=\"next\"", url(Some(self.number + 1))));
        }
        links.push(format!("<{}>; rel=\"last\"", url((pages > 1).then_some(pages))));
        links.join(", ")
    }
}

/// The query parameter that carries a token (docs/spec/offering-users.md §7).
const TOKEN_PARAMETER: &str = "x-auth-token";

/// `base + path` with the query re-encoded: `page` replaced (or removed for `None`), keys
/// sorted, repeated values kept in order. The token parameter is left out: upstream copies
/// it into every link, where proxies, browsers and client logs keep it.
fn page_url(base: &str, path: &str, query: &[(String, String)], page: Option<i64>) -> String {
    let mut pairs: Vec<(&str, String)> = query
        .iter()
        .filter(|(k, _)| k != "page" && k != TOKEN_PARAMETER)
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    if let Some(page) = page {
        pairs.push(("page", page.to_string()));
    }
    // A stable sort keeps repeated keys in their original order, like Python's sorted().
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let mut url = format!("{base}{path}");
    for (i, (key, value)) in pairs.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(&quote_plus(key));
        url.push('=');
        url.push_str(&quote_plus(value));
    }
    url
}

/// Python's `urllib.parse.quote_plus`: letters, digits and `_.-~` stay, space becomes `+`.
fn quote_plus(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const BASE: &str = "http://127.0.0.1:8801";
    const PATH: &str = "/api/marketplace-offering-users/";

    #[test]
    fn first_page_links_match_upstream_sample() {
        let page = Page::resolve(PageRequest::First, 1000, 3).unwrap();
        assert_eq!(
            page.link_header(BASE, PATH, &q(&[("page_size", "3")])),
            "<http://127.0.0.1:8801/api/marketplace-offering-users/?page_size=3>; rel=\"first\", \
             <http://127.0.0.1:8801/api/marketplace-offering-users/?page=2&page_size=3>; rel=\"next\", \
             <http://127.0.0.1:8801/api/marketplace-offering-users/?page=334&page_size=3>; rel=\"last\""
        );
    }

    #[test]
    fn second_page_points_prev_to_the_url_without_page() {
        let page = Page::resolve(PageRequest::Number(2), 1000, 3).unwrap();
        assert_eq!(
            page.link_header(BASE, PATH, &q(&[("page", "2"), ("page_size", "3")])),
            "<http://127.0.0.1:8801/api/marketplace-offering-users/?page_size=3>; rel=\"first\", \
             <http://127.0.0.1:8801/api/marketplace-offering-users/?page_size=3>; rel=\"prev\", \
             <http://127.0.0.1:8801/api/marketplace-offering-users/?page=3&page_size=3>; rel=\"next\", \
             <http://127.0.0.1:8801/api/marketplace-offering-users/?page=334&page_size=3>; rel=\"last\""
        );
    }

    #[test]
    fn empty_result_has_first_and_last_only() {
        let page = Page::resolve(PageRequest::First, 0, 10).unwrap();
        assert_eq!(
            page.link_header(BASE, PATH, &[]),
            "<http://127.0.0.1:8801/api/marketplace-offering-users/>; rel=\"first\", \
             <http://127.0.0.1:8801/api/marketplace-offering-users/>; rel=\"last\""
        );
    }

    #[test]
    fn pages_past_the_end_are_invalid() {
        assert!(Page::resolve(PageRequest::Number(9999), 1000, 10).is_err());
        assert!(Page::resolve(PageRequest::Number(0), 1000, 10).is_err());
        assert_eq!(Page::resolve(PageRequest::Last, 1000, 10).unwrap().number, 100);
    }

    #[test]
    fn requested_offset_is_known_before_the_count_except_for_last() {
        assert_eq!(Page::requested_offset(PageRequest::First, 10), Some(0));
        assert_eq!(Page::requested_offset(PageRequest::Number(3), 10), Some(20));
        assert_eq!(Page::requested_offset(PageRequest::Last, 10), None);
        assert_eq!(Page::requested_offset(PageRequest::Number(0), 10), None);
        assert_eq!(Page::requested_offset(PageRequest::Number(i64::MAX), 10), None);
        // Once resolved, the page has the offset that was read.
        assert_eq!(Page::resolve(PageRequest::Number(3), 25, 10).unwrap().offset(), 20);
    }

    #[test]
    fn links_leave_the_token_out() {
        let page = Page::resolve(PageRequest::First, 3, 1).unwrap();
        let link = page.link_header(BASE, PATH, &q(&[("x-auth-token", "secret"), ("page_size", "1")]));
        assert!(!link.contains("secret") && !link.contains("x-auth-token"), "{link}");
        assert!(link.contains("?page=2&page_size=1>; rel=\"next\""), "{link}");
    }

    #[test]
    fn query_is_sorted_and_quoted_like_python() {
        let url =
            page_url(BASE, PATH, &q(&[("state", "Error creating"), ("offering_uuid", "b"), ("state", "OK")]), Some(2));
        assert_eq!(url, format!("{BASE}{PATH}?offering_uuid=b&page=2&state=Error+creating&state=OK"));
        assert_eq!(quote_plus("a@b/c:d"), "a%40b%2Fc%3Ad");
    }
}
