//! Load over HTTP with `wrk` (a separate process): one Lua script per scenario, and the
//! parsing of `wrk --latency`'s report.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

pub(crate) const WRK_MISSING: &str = "wrk not found: the benchmark drives the server with wrk. Install it with \
    `apt-get install -y wrk` (Debian/Ubuntu), `brew install wrk` (macOS) or from https://github.com/wg/wrk.";

/// Whether `wrk` can be run.
pub(crate) fn wrk_available() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}

/// wrk's numbers for one run.
#[derive(Debug, Clone, Default)]
pub(crate) struct WrkResult {
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests: u64,
    /// Non-2xx/3xx responses plus socket errors.
    pub errors: u64,
}

/// A Lua script for a fixed request.
pub(crate) fn fixed_request_script(method: &str, path: &str, token: &str) -> String {
    format!("wrk.method = \"{method}\"\nwrk.path = \"{path}\"\nwrk.headers[\"Authorization\"] = \"Token {token}\"\n")
}

/// The S6 agents: each wrk thread walks its own slice of the pool; request 2k is
/// `begin_creating` on record k of the slice and request 2k+1 the username PATCH of record
/// k − lag (the lag, twice the connections of a thread, lets the begin_creating of that
/// record finish first: wrk gives a connection its next request without saying which
/// connection it is). The first `lag` odd requests begin records from the slice's end.
pub(crate) fn transitions_script(token: &str) -> String {
    format!(
        r#"local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
local base, per, lag
local step = 0
local headers = {{ ["Authorization"] = "Token {token}", ["Content-Type"] = "application/json" }}
function init(args)
  per = tonumber(args[2])
  lag = tonumber(args[3])
  base = tonumber(args[1]) + tid * per
end
local function path(id, suffix)
  return string.format("/api/marketplace-offering-users/b0000000-0000-4000-8000-%012d/%s", id, suffix)
end
function request()
  local k = math.floor(step / 2)
  local even = step % 2 == 0
  step = step + 1
  if even then
    return wrk.format("POST", path(base + k, "begin_creating/"), headers, "")
  elseif k >= lag then
    local id = base + k - lag
    return wrk.format("PATCH", path(id, ""), headers, '{{"username": "agent' .. id .. '"}}')
  else
    return wrk.format("POST", path(base + per - 1 - k, "begin_creating/"), headers, "")
  end
end
"#
    )
}

/// Runs wrk with 2 threads (fewer if fewer connections).
pub(crate) fn run_wrk(
    addr: SocketAddr,
    script: &str,
    dir: &Path,
    name: &str,
    connections: u32,
    seconds: u64,
    args: &[String],
) -> Result<WrkResult, String> {
    let file = dir.join(format!("{name}.lua"));
    std::fs::write(&file, script).map_err(|e| e.to_string())?;
    let threads = connections.clamp(1, 2);
    let out = Command::new("wrk")
        .args(["-t", &threads.to_string(), "-c", &connections.to_string(), "-d", &format!("{seconds}s")])
        .args(["--latency", "--timeout", "10s", "-s"])
        .arg(&file)
        .arg(format!("http://{addr}"))
        .arg("--")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run wrk: {e}. {WRK_MISSING}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("wrk failed: {}{}", text, String::from_utf8_lossy(&out.stderr)));
    }
    parse_wrk(&text).ok_or_else(|| format!("cannot read wrk's report:\n{text}"))
}

/// Milliseconds from wrk's `1.23ms`, `456.00us`, `1.02s`, `1.5m`.
fn duration_ms(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => number / 1000.0,
        "ms" => number,
        "s" => number * 1000.0,
        "m" => number * 60_000.0,
        "h" => number * 3_600_000.0,
        _ => return None,
    })
}

pub(crate) fn parse_wrk(text: &str) -> Option<WrkResult> {
    let mut result = WrkResult::default();
    let mut seen_rate = false;
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", value] => result.p50_ms = duration_ms(value)?,
            ["99%", value] => result.p99_ms = duration_ms(value)?,
            ["Requests/sec:", value] => {
                result.requests_per_sec = value.parse().ok()?;
                seen_rate = true;
            }
            [count, "requests", "in", ..] => result.requests = count.parse().ok()?,
            ["Non-2xx", "or", "3xx", "responses:", count] => result.errors += count.parse::<u64>().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                // "connect 0, read 0, write 0, timeout 0"
                result.errors += rest.iter().filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok()).sum::<u64>();
            }
            _ => {}
        }
    }
    seen_rate.then_some(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_latency_report() {
        let report = "Running 10s test @ http://127.0.0.1:8000\n  2 threads and 16 connections\n\
            Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency     1.23ms  400.00us  12.00ms   90.00%\n\
            Latency Distribution\n     50%  850.00us\n     75%    1.20ms\n     90%    2.00ms\n     99%    1.05s\n\
            12345 requests in 10.00s, 12.30MB read\n  Socket errors: connect 0, read 2, write 0, timeout 1\n\
            Non-2xx or 3xx responses: 4\nRequests/sec:   1234.50\nTransfer/sec:      1.23MB\n";
        let r = parse_wrk(report).expect("parsed");
        assert_eq!(r.requests, 12345);
        assert!((r.p50_ms - 0.85).abs() < 1e-9);
        assert!((r.p99_ms - 1050.0).abs() < 1e-9);
        assert!((r.requests_per_sec - 1234.5).abs() < 1e-9);
        assert_eq!(r.errors, 7);
    }
}
