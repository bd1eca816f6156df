//! Which `Host` a request is for, and whether we serve it (`--allowed-hosts`, Django's
//! `ALLOWED_HOSTS`).
//!
//! The host a request names is the root of the hyperlinks we answer with (unless
//! `--public-url` is set), so a forged `Host` would put an attacker's address into `url`
//! fields and `Link` headers. With `--allowed-hosts` set, a request for any other host gets
//! 400 before it reaches a handler; a `Host` that is not a host name at all (it holds `/`,
//! `@`, spaces, …) is refused even without the setting.
//!
//! Paths under `/health/` are exempt: load balancers probe them by IP address.

use axum::extract::{Request, State};
use axum::http::header::HOST;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::error::ApiError;

/// The `detail` of the 400 answered for a host we do not serve.
pub(super) const INVALID_HOST: &str = "Invalid host header.";

/// Middleware: answers 400 `{"detail": "Invalid host header."}` for a request whose host is
/// malformed, or, when `--allowed-hosts` is set, missing or not listed.
pub(super) async fn require_allowed_host(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/health/") {
        return next.run(request).await;
    }
    let settings = &state.settings;
    let authority = request.uri().authority().map(|a| a.as_str());
    let host = effective_host(request.headers(), authority, settings.trust_forwarded_headers);
    let served = match host {
        Some(host) => {
            split_host(host).is_some()
                && (settings.allowed_hosts.is_empty() || is_allowed(host, &settings.allowed_hosts))
        }
        None => settings.allowed_hosts.is_empty(),
    };
    if served {
        next.run(request).await
    } else {
        log_refused(host);
        ApiError::Detail(INVALID_HOST.into()).into_response()
    }
}

/// Logs a refused host. The host goes into the line only when it is well-formed and of a
/// host name's length: then its characters are a closed set (letters, digits, `.`, `-`, `_`,
/// `:`, brackets) and it is bounded; anything else a client sent is only named as malformed.
fn log_refused(host: Option<&str>) {
    /// A DNS name's 253 characters, a port and brackets.
    const LONGEST_LOGGED: usize = 253 + 8;
    match host {
        Some(host) if host.len() <= LONGEST_LOGGED && split_host(host).is_some() => {
            tracing::info!(host, "request for a host that is not served")
        }
        Some(_) => tracing::info!(host_status = "malformed", "request for a host that is not served"),
        None => tracing::info!(host_status = "missing", "request for a host that is not served"),
    }
}

/// The host the client asked for: the first `X-Forwarded-Host` when forwarded headers are
/// trusted and one is present, else `Host`, else the authority of an absolute request URI
/// (HTTP/2). Not yet checked for syntax.
pub(super) fn effective_host<'a>(
    headers: &'a HeaderMap,
    authority: Option<&'a str>,
    trust_forwarded: bool,
) -> Option<&'a str> {
    let forwarded = trust_forwarded.then(|| first_value(headers, "x-forwarded-host")).flatten();
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).map(str::trim).filter(|h| !h.is_empty());
    forwarded.or(host).or(authority)
}

/// The first of a header's comma-separated values, trimmed; `None` when absent or empty.
/// Proxies append, so the first value is what the client itself sent to the outermost one.
pub(super) fn first_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let value = headers.get(name)?.to_str().ok()?;
    Some(value.split(',').next()?.trim()).filter(|v| !v.is_empty())
}

/// A host as `(domain, port)`: the domain lower-cased without a trailing dot, an IPv6
/// address kept in its brackets. `None` when it is not a host name, an IP address, or one of
/// these with a port (Django's `split_domain_port`, underscores also allowed for container
/// names).
pub(super) fn split_host(host: &str) -> Option<(String, Option<u16>)> {
    let host = host.to_ascii_lowercase();
    let (domain, port) = if host.starts_with('[') {
        let end = host.find(']')?;
        let (domain, rest) = host.split_at(end + 1);
        let inner = &domain[1..domain.len() - 1];
        if !inner.contains(':') || !inner.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
            return None;
        }
        match rest {
            "" => (domain.to_owned(), None),
            _ => (domain.to_owned(), Some(rest.strip_prefix(':')?)),
        }
    } else {
        match host.rsplit_once(':') {
            Some((domain, port)) => (domain.to_owned(), Some(port)),
            None => (host.clone(), None),
        }
    };
    let domain = domain.strip_suffix('.').map(str::to_owned).unwrap_or(domain);
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    if domain.is_empty() || !(domain.starts_with('[') || domain.chars().all(plain)) {
        return None;
    }
    let port = match port {
        None => None,
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => Some(digits.parse().ok()?),
        Some(_) => return None,
    };
    Some((domain, port))
}

/// Whether `host` matches one of the `allowed` entries:
/// * `*` matches any well-formed host;
/// * `.example.org` matches `example.org` and every subdomain of it;
/// * `example.org` matches that domain exactly;
/// * an entry without a port matches the host on any port; an entry with a port
///   (`example.org:8443`) only a host that names that very port.
///
/// Domains compare case-insensitively, and a trailing dot on the host is ignored.
pub(super) fn is_allowed(host: &str, allowed: &[String]) -> bool {
    let Some((domain, port)) = split_host(host) else { return false };
    allowed.iter().any(|entry| entry_matches(entry.trim(), &domain, port))
}

fn entry_matches(entry: &str, domain: &str, port: Option<u16>) -> bool {
    if entry == "*" {
        return true;
    }
    let (subdomains, entry) = match entry.strip_prefix('.') {
        Some(rest) => (true, rest),
        None => (false, entry),
    };
    let Some((pattern, entry_port)) = split_host(entry) else { return false };
    if entry_port.is_some() && entry_port != port {
        return false;
    }
    domain == pattern || (subdomains && domain.strip_suffix(pattern.as_str()).is_some_and(|head| head.ends_with('.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn hosts_match_like_djangos_allowed_hosts() {
        let cases: [(&[&str], &str, bool); 22] = [
            (&["example.org"], "example.org", true),
            (&["example.org"], "EXAMPLE.org", true),
            (&["Example.ORG"], "example.org", true),
            (&["example.org"], "example.org.", true),
            (&["example.org"], "example.org:8000", true),
            (&["example.org"], "www.example.org", false),
            (&["example.org"], "example.org.evil.com", false),
            (&["example.org"], "evil-example.org", false),
            (&[".example.org"], "example.org", true),
            (&[".example.org"], "api.example.org", true),
            (&[".example.org"], "a.b.example.org:443", true),
            (&[".example.org"], "badexample.org", false),
            (&["example.org:8443"], "example.org:8443", true),
            (&["example.org:8443"], "example.org:8000", false),
            (&["example.org:8443"], "example.org", false),
            (&[".example.org:8443"], "api.example.org:8443", true),
            (&["*"], "anything.example", true),
            (&["*"], "bad/host", false),
            (&["127.0.0.1"], "127.0.0.1:8000", true),
            (&["[::1]"], "[::1]:8000", true),
            (&["[::1]:8000"], "[::1]", false),
            (&["a.org", "b.org"], "b.org", true),
        ];
        for (entries, host, expected) in cases {
            assert_eq!(is_allowed(host, &allowed(entries)), expected, "{entries:?} {host}");
        }
    }

    #[test]
    fn malformed_hosts_are_not_hosts() {
        for host in
            ["", "a b", "evil.com/path", "user@evil.com", "evil.com:port", "evil.com:99999", "[::1", "[zz]", ":80"]
        {
            assert_eq!(split_host(host), None, "{host:?}");
        }
        assert_eq!(split_host("Server_1:8000"), Some(("server_1".into(), Some(8000))));
        assert_eq!(split_host("[::1]:8000"), Some(("[::1]".into(), Some(8000))));
    }

    #[test]
    fn forwarded_host_counts_only_when_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, "internal:8000".parse().unwrap());
        headers.insert("x-forwarded-host", "public.example.org, proxy.local".parse().unwrap());
        assert_eq!(effective_host(&headers, None, false), Some("internal:8000"));
        assert_eq!(effective_host(&headers, None, true), Some("public.example.org"));
        assert_eq!(effective_host(&HeaderMap::new(), Some("h2.example.org"), false), Some("h2.example.org"));
    }
}
