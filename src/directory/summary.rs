//! What an import wrote: created and updated rows per kind, in the order of the kinds.

use std::fmt;

/// How many rows of each kind were created and updated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub kinds: Vec<(&'static str, u64, u64)>,
}

impl ImportSummary {
    pub(super) fn add(&mut self, kind: &'static str, created: u64, updated: u64) {
        self.kinds.push((kind, created, updated));
    }

    /// (created, updated) of one kind.
    pub fn of(&self, kind: &str) -> (u64, u64) {
        self.kinds.iter().find(|(k, _, _)| *k == kind).map(|(_, c, u)| (*c, *u)).unwrap_or((0, 0))
    }
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (kind, created, updated) in &self.kinds {
            writeln!(f, "{kind}: {created} created, {updated} updated")?;
        }
        Ok(())
    }
}
