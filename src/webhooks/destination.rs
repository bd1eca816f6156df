//! Where a hook may send: an `http` or `https` URL of at most 200 characters (upstream's
//! `URLField`) whose host is not on a private, loopback or otherwise internal address, unless
//! the operator allows those (`--webhook-allow-private-destinations`). Checked when a hook is
//! written (a literal address, or what the name resolves to then) and again at every delivery,
//! by the resolver the client connects with ([`GuardedResolver`]), so a name that resolves to
//! a private address later (DNS rebinding) is refused too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use url::{Host, Url};

/// Upstream's `URLField` length.
pub const MAX_URL_CHARS: usize = 200;

/// How long a hook write waits for the destination's name to resolve.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(3);

/// DRF's message for a value that is no URL.
pub const INVALID_URL: &str = "Enter a valid URL.";
/// Ours, for a private destination.
pub const PRIVATE_DESTINATION: &str = "Destinations on private, loopback or link-local addresses are not allowed.";

/// The URL `value` names, or the message of a `destination_url` error.
pub fn parse_destination(value: &str) -> Result<Url, String> {
    if value.chars().count() > MAX_URL_CHARS {
        return Err(format!("Ensure this field has no more than {MAX_URL_CHARS} characters."));
    }
    let url = Url::parse(value.trim()).map_err(|_| INVALID_URL.to_owned())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || !url.username().is_empty() {
        return Err(INVALID_URL.to_owned());
    }
    Ok(url)
}

/// Whether connecting to `ip` would reach this host, its network or another internal range.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
                || nat64_private(v6)
        }
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking 198.18/15
        || a >= 240 // reserved
}

/// The well-known NAT64 prefix 64:ff9b::/96 wraps an IPv4 address.
fn nat64_private(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|x| *x == 0) && {
        let o = v6.octets();
        is_private_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]))
    }
}

/// Checks a hook's destination when it is written: its literal address, or the addresses its
/// name resolves to now. A name that does not resolve now is accepted (it is checked again
/// at every delivery).
pub async fn check_destination(url: &Url, allow_private: bool) -> Result<(), String> {
    if allow_private {
        return Ok(());
    }
    match url.host() {
        Some(Host::Ipv4(ip)) if is_private(IpAddr::V4(ip)) => Err(PRIVATE_DESTINATION.to_owned()),
        Some(Host::Ipv6(ip)) if is_private(IpAddr::V6(ip)) => Err(PRIVATE_DESTINATION.to_owned()),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                return Err(PRIVATE_DESTINATION.to_owned());
            }
            let port = url.port_or_known_default().unwrap_or(80);
            let lookup = tokio::net::lookup_host(format!("{name}:{port}"));
            match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
                Ok(Ok(addrs)) => {
                    let addrs: Vec<SocketAddr> = addrs.collect();
                    if addrs.iter().any(|a| is_private(a.ip())) {
                        Err(PRIVATE_DESTINATION.to_owned())
                    } else {
                        Ok(())
                    }
                }
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// The literal address of a URL's host, if it has one (the client does not resolve those).
pub fn literal_address(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        Host::Domain(_) => None,
    }
}

/// The error of a delivery whose destination resolved to a private address.
#[derive(Debug, thiserror::Error)]
#[error("the destination resolves to a private address ({0})")]
pub struct PrivateAddress(pub IpAddr);

/// The resolver the delivery client connects with: the system's, refusing a name any of whose
/// addresses is private (unless allowed). The client connects to the addresses it returns, so
/// what was checked is what is reached.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host(format!("{host}:0")).await?.collect();
            if !allow_private {
                if let Some(private) = addrs.iter().find(|a| is_private(a.ip())) {
                    return Err(Box::new(PrivateAddress(private.ip())) as Box<dyn std::error::Error + Send + Sync>);
                }
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_ranges_are_private_and_public_ones_are_not() {
        let private = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
        ];
        for ip in private {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "::ffff:8.8.8.8", "172.32.0.1"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn only_http_urls_of_bounded_length_are_destinations() {
        assert!(parse_destination("https://example.com/hook").is_ok());
        assert!(parse_destination("http://93.184.216.34:8080/x").is_ok());
        for bad in ["ftp://example.com/", "example.com", "http://", "http://user:pw@example.com/", "not a url"] {
            assert_eq!(parse_destination(bad).unwrap_err(), INVALID_URL, "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(200));
        assert!(parse_destination(&long).unwrap_err().contains("no more than 200"));
    }

    #[tokio::test]
    async fn private_literals_and_localhost_are_refused_unless_allowed() {
        for url in ["http://127.0.0.1:9/", "http://[::1]/", "http://localhost/", "http://a.localhost/"] {
            let url = Url::parse(url).unwrap();
            assert_eq!(check_destination(&url, false).await.unwrap_err(), PRIVATE_DESTINATION);
            assert!(check_destination(&url, true).await.is_ok());
        }
        assert!(check_destination(&Url::parse("http://93.184.216.34/").unwrap(), false).await.is_ok());
    }
}
