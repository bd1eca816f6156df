//! Standard error for log lines, as a writer that never fails.
//!
//! tracing-subscriber's fmt layer reports a failed write with `eprintln!`, which panics when
//! standard error is a broken pipe: every request would then panic in its log line. Here a
//! write that fails (EPIPE, a full disk behind a redirect) drops the line and reports success;
//! the subscriber is also told not to report write errors itself.

use std::io::{self, Write};

use tracing_subscriber::fmt::MakeWriter;

/// Makes [`QuietStderr`] writers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stderr;

/// Standard error, whose failed writes are dropped.
#[derive(Debug)]
pub struct QuietStderr;

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = QuietStderr;

    fn make_writer(&'a self) -> Self::Writer {
        QuietStderr
    }
}

impl Write for QuietStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // One line is one write_all under the lock, so lines of several threads never mix.
        let _ = io::stderr().lock().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().flush();
        Ok(())
    }
}
