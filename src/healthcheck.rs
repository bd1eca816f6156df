//! `waldur-offering-users health`: one GET of the readiness check, for a container's
//! `HEALTHCHECK` or an orchestrator's exec probe, so the image needs no curl. Exit status 0
//! when the server answers 200 within the timeout, 1 otherwise.
//!
//! Plain HTTP/1.1 over TCP: the probe runs beside the server (in its container or its
//! network), never through a TLS proxy.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The path probed when no URL is given.
pub const READY_PATH: &str = "/health/ready";

/// Where to send the probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host to connect to: a name, an IPv4 address, or an IPv6 address without brackets.
    pub host: String,
    pub port: u16,
    /// The `Host` header: host and port, an IPv6 address in brackets.
    pub authority: String,
    /// Path and query of the request.
    pub path: String,
}

impl Target {
    /// The probe's URL, as messages show it.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.authority, self.path)
    }
}

/// The target of the probe: `url` when given (an `http://` URL), else [`READY_PATH`] on the
/// API's listen address `bind`, where an unspecified address (`0.0.0.0`, `[::]`, or none, as in
/// `:8000`) means the loopback address of the same family.
pub fn target(url: Option<&str>, bind: &str) -> Result<Target, String> {
    match url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) => from_url(url),
        None => from_bind(bind),
    }
}

fn from_url(value: &str) -> Result<Target, String> {
    let url = url::Url::parse(value).map_err(|e| format!("{value:?}: {e}"))?;
    if url.scheme() != "http" {
        return Err(format!("{value:?}: the probe speaks plain http:// only"));
    }
    let host = match url.host() {
        Some(url::Host::Domain(name)) => name.to_owned(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(format!("{value:?}: no host")),
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let mut path = url.path().to_owned();
    if let Some(query) = url.query() {
        path.push('?');
        path.push_str(query);
    }
    Ok(Target { authority: authority(&host, port), host, port, path })
}

fn from_bind(bind: &str) -> Result<Target, String> {
    let bad = || format!("{bind:?}: expected host:port (the serve command's --bind / BIND_ADDR)");
    let (host, port) = bind.trim().rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let host = match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) if ip.is_unspecified() => Ipv4Addr::LOCALHOST.to_string(),
        Ok(IpAddr::V6(ip)) if ip.is_unspecified() => Ipv6Addr::LOCALHOST.to_string(),
        _ if host.is_empty() => Ipv4Addr::LOCALHOST.to_string(),
        _ => host.to_owned(),
    };
    Ok(Target { authority: authority(&host, port), host, port, path: READY_PATH.to_owned() })
}

fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The status code of an HTTP/1.x status line (`HTTP/1.1 200 OK`).
pub fn status_code(head: &[u8]) -> Option<u16> {
    let line = head.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end();
    let mut parts = line.split(' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok()
}

/// Sends the GET and reads the status line, all within `timeout`.
pub async fn probe(target: &Target, timeout: Duration) -> Result<u16, String> {
    let exchange = async {
        let mut stream = TcpStream::connect((target.host.as_str(), target.port))
            .await
            .map_err(|e| format!("cannot connect to {}: {e}", target.authority))?;
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: waldur-offering-users-health\r\nConnection: close\r\n\r\n",
            target.path, target.authority
        );
        stream.write_all(request.as_bytes()).await.map_err(|e| format!("cannot send the request: {e}"))?;
        // The status line is all we need; it comes first.
        let mut head = Vec::with_capacity(256);
        let mut buffer = [0u8; 256];
        while !head.contains(&b'\n') && head.len() < 4096 {
            let read = stream.read(&mut buffer).await.map_err(|e| format!("cannot read the answer: {e}"))?;
            if read == 0 {
                break;
            }
            head.extend_from_slice(&buffer[..read]);
        }
        status_code(&head).ok_or_else(|| "the answer is not HTTP/1.x".to_owned())
    };
    tokio::time::timeout(timeout, exchange).await.map_err(|_| format!("no answer within {timeout:?}"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_of(url: Option<&str>, bind: &str) -> Result<String, ()> {
        target(url, bind).map(|t| t.url()).map_err(|_| ())
    }

    #[test]
    fn without_a_url_the_readiness_path_on_the_listen_address_with_loopback_for_any() {
        let table = [
            ("0.0.0.0:8000", Ok("http://127.0.0.1:8000/health/ready")),
            ("127.0.0.1:8000", Ok("http://127.0.0.1:8000/health/ready")),
            ("[::]:8000", Ok("http://[::1]:8000/health/ready")),
            ("[::1]:9000", Ok("http://[::1]:9000/health/ready")),
            ("10.0.0.5:8080", Ok("http://10.0.0.5:8080/health/ready")),
            ("localhost:8000", Ok("http://localhost:8000/health/ready")),
            (":8000", Ok("http://127.0.0.1:8000/health/ready")),
            ("8000", Err(())),
            ("0.0.0.0:http", Err(())),
            ("0.0.0.0:70000", Err(())),
        ];
        for (bind, expected) in table {
            assert_eq!(url_of(None, bind), expected.map(str::to_owned), "{bind}");
        }
    }

    #[test]
    fn a_url_is_taken_as_given_and_only_plain_http() {
        let table = [
            ("http://127.0.0.1:9000/health/ready", Ok("http://127.0.0.1:9000/health/ready")),
            ("http://server:8000/health/live", Ok("http://server:8000/health/live")),
            ("http://server/health/ready?x=1", Ok("http://server:80/health/ready?x=1")),
            ("http://[::1]:8000/health/ready", Ok("http://[::1]:8000/health/ready")),
            ("  http://127.0.0.1:8000/  ", Ok("http://127.0.0.1:8000/")),
            ("https://example.org/health/ready", Err(())),
            ("127.0.0.1:8000/health/ready", Err(())),
            ("not a url", Err(())),
        ];
        for (url, expected) in table {
            assert_eq!(url_of(Some(url), "0.0.0.0:1"), expected.map(str::to_owned), "{url}");
        }
        // An empty URL (an empty environment variable) falls back to the listen address.
        assert_eq!(url_of(Some(""), "0.0.0.0:8000"), Ok("http://127.0.0.1:8000/health/ready".to_owned()));
    }

    #[test]
    fn the_host_header_and_the_connection_use_the_same_host() {
        let t = target(Some("http://[::1]:8000/health/ready"), "").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.authority.as_str()), ("::1", 8000, "[::1]:8000"));
    }

    #[test]
    fn the_status_comes_from_an_http_1_status_line() {
        assert_eq!(status_code(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n"), Some(200));
        assert_eq!(status_code(b"HTTP/1.1 503 Service Unavailable\r\n"), Some(503));
        assert_eq!(status_code(b"HTTP/1.0 404\r\n"), Some(404));
        assert_eq!(status_code(b"HTTP/1.1 20"), None);
        assert_eq!(status_code(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(status_code(b""), None);
    }
}
