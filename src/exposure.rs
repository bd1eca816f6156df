//! Safe by default outside loopback: `serve` refuses to listen beyond this machine with
//! neither `PUBLIC_URL` nor `ALLOWED_HOSTS` set.
//!
//! Without them every hyperlink the API answers with (`url` fields, `Link` headers) is built
//! from the request's `Host`, which any client may forge; on loopback only local clients can
//! send one, so development keeps working without settings. Beyond it, the operator names the
//! public address or the hosts served, or opts out explicitly with `--allowed-hosts '*'`
//! (Django's `'*'`: any well-formed host). The refusal is a usage error: exit code 2.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

/// Why `serve` must not start, or `None` when it may: `bind` is a loopback address (or a name
/// that resolves to loopback addresses only), or `PUBLIC_URL` or `ALLOWED_HOSTS` is set.
/// An address that cannot be resolved is left to the bind to report.
pub fn refusal(bind: &str, public_url: Option<&url::Url>, allowed_hosts: &[String]) -> Option<String> {
    let hosts_set = allowed_hosts.iter().any(|h| !h.trim().is_empty());
    if public_url.is_some() || hosts_set || is_loopback(bind) != Some(false) {
        return None;
    }
    Some(format!(
        "error: --bind {bind} (BIND_ADDR) listens beyond this machine, but neither PUBLIC_URL \
         (--public-url) nor ALLOWED_HOSTS (--allowed-hosts) is set: hyperlinks would be built \
         from whatever Host header a client sends.\n\
         Set PUBLIC_URL=https://<public address> or ALLOWED_HOSTS=<host>[,<host>…], or pass \
         --allowed-hosts '*' (ALLOWED_HOSTS='*') to serve any host explicitly."
    ))
}

/// Whether every address `bind` names is a loopback one (127.0.0.0/8, `::1`, `localhost`);
/// `None` when it cannot be resolved.
fn is_loopback(bind: &str) -> Option<bool> {
    let bind = bind.trim();
    if let Ok(address) = bind.parse::<SocketAddr>() {
        return Some(loopback_ip(address.ip()));
    }
    let (host, _port) = bind.rsplit_once(':')?;
    if host.trim_end_matches('.').eq_ignore_ascii_case("localhost") {
        return Some(true);
    }
    let addresses: Vec<SocketAddr> = bind.to_socket_addrs().ok()?.collect();
    if addresses.is_empty() {
        return None;
    }
    Some(addresses.iter().all(|a| loopback_ip(a.ip())))
}

fn loopback_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn loopback_binds_need_no_host_settings() {
        for bind in
            ["127.0.0.1:8000", "127.1.2.3:0", "[::1]:8000", "localhost:8000", "LOCALHOST.:1", "[::ffff:127.0.0.1]:80"]
        {
            assert_eq!(refusal(bind, None, &[]), None, "{bind}");
        }
    }

    #[test]
    fn other_binds_need_public_url_or_allowed_hosts() {
        let public = url::Url::parse("https://waldur.example.org").unwrap();
        for bind in ["0.0.0.0:8000", "[::]:8000", "192.0.2.10:8000", "[2001:db8::1]:80"] {
            let message = refusal(bind, None, &[]).expect(bind);
            for named in ["PUBLIC_URL", "ALLOWED_HOSTS", "--allowed-hosts '*'"] {
                assert!(message.contains(named), "{message}");
            }
            // An empty ALLOWED_HOSTS is no setting.
            assert!(refusal(bind, None, &hosts(&[""])).is_some(), "{bind}");
            assert_eq!(refusal(bind, Some(&public), &[]), None);
            assert_eq!(refusal(bind, None, &hosts(&["api.example.org"])), None);
            assert_eq!(refusal(bind, None, &hosts(&["*"])), None);
        }
    }

    #[test]
    fn an_address_without_a_port_is_left_to_the_bind() {
        assert_eq!(refusal("no-port-here", None, &[]), None);
    }
}
