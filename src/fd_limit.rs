//! The process's open-file limit, raised at start to what the system allows.
//!
//! Every client connection, every database connection and every listener is a file
//! descriptor. The usual soft limit (1024) is below `--max-connections` (1000) plus the pool
//! and the rest: past it `accept` fails and connections pile up in the kernel's backlog. The
//! hard limit is the ceiling an unprivileged process may raise itself to; a container
//! runtime usually sets it far higher.

use nix::sys::resource::{getrlimit, setrlimit, Resource};

/// Raises the soft open-file limit to the hard one; warns when even that is below `needed`.
pub fn raise_open_file_limit(needed: u64) {
    let (soft, hard) = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok(limits) => limits,
        Err(e) => {
            tracing::debug!(error = %e, "cannot read the open-file limit");
            return;
        }
    };
    let raised = if soft < hard {
        match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            Ok(()) => hard,
            Err(e) => {
                tracing::debug!(error = %e, soft, hard, "cannot raise the open-file limit");
                soft
            }
        }
    } else {
        soft
    };
    tracing::debug!(before = soft, now = raised, hard, "open-file limit");
    if raised < needed {
        tracing::warn!(
            limit = raised,
            needed,
            "the open-file limit is below what --max-connections and the pool may need; raise it (ulimit -n, \
             the container's nofile) or lower --max-connections"
        );
    }
}
