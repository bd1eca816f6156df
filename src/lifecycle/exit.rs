//! One exit code per cause, so an orchestrator or a script can tell a database that never came
//! up from a bad flag (the table is in the README, "Exit codes").

use std::process::ExitCode;

use super::stdio::complain;

/// Why the process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The command did its work; `serve` stopped after SIGINT/SIGTERM.
    Success = 0,
    /// Anything else: a bad import document, the embedded cluster failing to start, …
    Failure = 1,
    /// A bad flag or setting: an unknown URL parameter, a listen address taken (clap's own
    /// usage errors exit 2 too).
    Usage = 2,
    /// PostgreSQL did not answer within `--database-wait`.
    DatabaseUnreachable = 3,
    /// A migration failed.
    MigrationFailed = 4,
    /// The embedded cluster's data directory is in use by another process.
    DataDirectoryLocked = 5,
    /// Stopped at once: a second SIGINT/SIGTERM during a shutdown, or one during `migrate` or
    /// `import`.
    Interrupted = 6,
}

impl Exit {
    /// The number the process exits with.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// This exit, once `why` is on standard error: every failing path of a command reports
    /// its cause the same way.
    pub fn after(self, why: std::fmt::Arguments<'_>) -> Exit {
        complain(why);
        self
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}
