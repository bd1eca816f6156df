//! An import's progress on standard error, when it is a terminal (`import`).

use std::io::{IsTerminal, Write};
use std::time::Instant;

use crate::directory::Progress;
use crate::lifecycle::stdio;

/// An import's progress on standard error, when it is a terminal: the time since the command
/// started, each kind on a line of its own once done, the step in progress on one line
/// rewritten in place. Off a terminal (a pipe, a file, a CI log) it shows nothing, so the
/// output that scripts read is the summary on standard output alone, as before; nor with
/// `--log-format json`, whose every line is a JSON object.
pub struct ProgressView {
    shown: bool,
    started: Instant,
    /// A status line is on screen, to be rewritten or cleared.
    pending: bool,
    /// The document's entries of the kind in progress.
    rows: Option<u64>,
}

impl ProgressView {
    pub fn new() -> Self {
        ProgressView {
            shown: std::io::stderr().is_terminal() && !stdio::json_lines(),
            started: Instant::now(),
            pending: false,
            rows: None,
        }
    }

    /// Replaces the status line with `text` on a line of its own.
    pub fn line(&mut self, text: std::fmt::Arguments<'_>) {
        self.write(text, true);
    }

    /// Shows `text` on the status line, in place of what it showed.
    pub fn status(&mut self, text: std::fmt::Arguments<'_>) {
        self.write(text, false);
    }

    /// Clears the status line (before an error message).
    pub fn clear(&mut self) {
        if self.shown && self.pending {
            eprint!("\r\x1b[K");
            self.pending = false;
        }
    }

    fn write(&mut self, text: std::fmt::Arguments<'_>, done: bool) {
        if !self.shown {
            return;
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        let mut err = std::io::stderr().lock();
        // `\r\x1b[K`: back to the start of the line and erase it.
        let _ = write!(err, "\r\x1b[K[{elapsed:7.1} s] {text}{}", if done { "\n" } else { "" });
        let _ = err.flush();
        self.pending = !done;
    }

    pub fn show(&mut self, event: Progress) {
        match event {
            Progress::Validated => self.line(format_args!("validated")),
            Progress::Started { kind, rows } => {
                self.rows = rows;
                match rows {
                    Some(rows) => self.status(format_args!("{kind}: {}…", plural(rows, "row"))),
                    None => self.status(format_args!("{kind}…")),
                }
            }
            Progress::Rows { kind, done, rows } => {
                self.status(format_args!("{kind}: {done} of {}…", plural(rows, "row")))
            }
            Progress::Done { kind, created, updated } => match self.rows {
                Some(rows) => {
                    self.line(format_args!("{kind}: {}, {created} created, {updated} updated", plural(rows, "row")))
                }
                None => self.line(format_args!("{kind}: {created} created, {updated} updated")),
            },
            Progress::Committing => self.status(format_args!("committing…")),
        }
    }
}

impl Default for ProgressView {
    fn default() -> Self {
        Self::new()
    }
}

/// `1 row`, `2 rows`.
fn plural(count: u64, noun: &str) -> String {
    format!("{count} {noun}{}", if count == 1 { "" } else { "s" })
}
