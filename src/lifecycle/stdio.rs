//! Standard output and error that can never take the server down.
//!
//! - A descriptor 0–2 that was closed when the process started (`2>&-`) gets `/dev/null`:
//!   otherwise the next file or socket opened takes its number, and log lines written "to
//!   standard error" would go into a client's connection or the database's.
//! - Output to a pipe nobody reads any more (EPIPE; SIGPIPE is ignored, as Rust sets it) is
//!   dropped: `println!` would panic on it. Log lines go through `telemetry::writer`, which
//!   drops them the same way.
//! - With `--log-format json` every line is a JSON object shaped as the log's (`timestamp`,
//!   `level`, `message`): a container's log collector reads standard output and error
//!   together, and a plain line among JSON ones is one it cannot parse.

use std::io::Write;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::fcntl::{fcntl, open, FcntlArg, OFlag};
use nix::sys::stat::Mode;

/// Opens `/dev/null` on each of the standard descriptors that is closed.
pub fn fill_closed_standard_descriptors() {
    for fd in 0..=2 as RawFd {
        if fcntl(fd, FcntlArg::F_GETFD).is_ok() {
            continue;
        }
        // `open` takes the lowest free number: this one, since those below it are open.
        // Kept open for the process's life on purpose.
        let _ = open("/dev/null", OFlag::O_RDWR, Mode::empty());
    }
}

/// Whether [`say`] and [`complain`] write JSON objects (`--log-format json`).
static JSON_LINES: AtomicBool = AtomicBool::new(false);

/// Makes [`say`] and [`complain`] write one JSON object per line from now on.
pub fn write_json_lines() {
    JSON_LINES.store(true, Ordering::Relaxed);
}

/// Whether the output is JSON lines (a terminal's progress view stays off then).
pub fn json_lines() -> bool {
    JSON_LINES.load(Ordering::Relaxed)
}

/// Writes a line to standard output; a closed or broken stdout loses it, nothing more.
pub fn say(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(&shaped("INFO", line)).and_then(|()| out.flush());
}

/// Writes a line to standard error, as [`say`] does to standard output.
pub fn complain(line: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(&shaped("ERROR", line));
}

/// `line` and its newline, as a JSON object at `level` in JSON mode.
fn shaped(level: &str, line: std::fmt::Arguments<'_>) -> Vec<u8> {
    let mut text = if json_lines() {
        let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        serde_json::json!({"timestamp": timestamp, "level": level, "message": line.to_string()}).to_string()
    } else {
        line.to_string()
    };
    text.push('\n');
    text.into_bytes()
}
