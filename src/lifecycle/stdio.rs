//! Standard output and error that can never take the server down.
//!
//! - A descriptor 0–2 that was closed when the process started (`2>&-`) gets `/dev/null`:
//!   otherwise the next file or socket opened takes its number, and log lines written "to
//!   standard error" would go into a client's connection or the database's.
//! - Output to a pipe nobody reads any more (EPIPE; SIGPIPE is ignored, as Rust sets it) is
//!   dropped: `println!` would panic on it. Log lines go through `telemetry::writer`, which
//!   drops them the same way.

use std::io::Write;
use std::os::fd::RawFd;

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

/// Writes a line to standard output; a closed or broken stdout loses it, nothing more.
pub fn say(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_fmt(line).and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush());
}

/// Writes a line to standard error, as [`say`] does to standard output.
pub fn complain(line: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(line).and_then(|()| err.write_all(b"\n"));
}
