//! What an import wrote (or, in a dry run, would write): per kind, the rows created, those
//! updated and the entries that needed no change; and the offering users left as the API left
//! them (docs/spec/decisions.md item 32).

use std::fmt;

/// A kind of row an import writes; its name is the document's key (and the summary's word).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The permissions each role grants.
    RolePermissions,
    /// Users, with their tokens.
    Users,
    /// Customers.
    Customers,
    /// Projects.
    Projects,
    /// Checklists, with their questions.
    Checklists,
    /// Offerings.
    Offerings,
    /// Role assignments.
    Roles,
    /// Terms of service.
    TermsOfService,
    /// Users' consents to terms of service.
    Consents,
    /// Users' accounts at service providers (docs/spec/offering-users-2026.md §4.7).
    ServiceProviderAccounts,
    /// Offering users.
    OfferingUsers,
    /// Checklist completions: follow from offerings, offering users and checklists.
    ChecklistCompletions,
    /// The demo's checklist answers (`serve --demo` only).
    ChecklistAnswers,
    /// POSIX ID pools (docs/spec/offering-users-2026.md §9).
    PosixIdPools,
    /// Project groups and their GIDs.
    PosixGroups,
    /// The POSIX attributes of existing offering users (their `backend_metadata`).
    PosixAttributes,
}

impl Kind {
    /// The name in the document, the summary and the progress lines.
    pub fn name(self) -> &'static str {
        match self {
            Kind::RolePermissions => "role_permissions",
            Kind::Users => "users",
            Kind::Customers => "customers",
            Kind::Projects => "projects",
            Kind::Checklists => "checklists",
            Kind::Offerings => "offerings",
            Kind::Roles => "roles",
            Kind::TermsOfService => "terms_of_service",
            Kind::Consents => "consents",
            Kind::ServiceProviderAccounts => "service_provider_accounts",
            Kind::OfferingUsers => "offering_users",
            Kind::ChecklistCompletions => "checklist_completions",
            Kind::ChecklistAnswers => "checklist_answers",
            Kind::PosixIdPools => "posix_id_pools",
            Kind::PosixGroups => "posix_groups",
            Kind::PosixAttributes => "offering_user_posix_attributes",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many rows of each kind were created and updated, and how many entries were unchanged.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// (kind, created, updated), in the order the kinds were written.
    pub kinds: Vec<(Kind, u64, u64)>,
    /// (kind, entries of the document whose row needed no change), in the same order; the
    /// checklist completions, which no entry names, have none.
    pub unchanged: Vec<(Kind, u64)>,
    /// Existing offering users whose fields that the API changes differ from the document,
    /// kept as the API left them (without `--overwrite-offering-users`).
    pub left_alone: u64,
    /// Existing offering users whose POSIX attributes differ from the document, kept as the API
    /// left them (without `--overwrite-offering-users`).
    pub posix_left_alone: u64,
    /// A dry run: nothing was written.
    pub dry_run: bool,
}

impl ImportSummary {
    /// Records a kind: `entries` in the document, of which `created` were new rows and
    /// `updated` changed ones; the others needed no change.
    pub(super) fn add(&mut self, kind: Kind, entries: u64, created: u64, updated: u64) {
        self.kinds.push((kind, created, updated));
        self.unchanged.push((kind, entries.saturating_sub(created + updated)));
    }

    /// Records a kind that no entry of the document names (what follows from other kinds).
    pub(super) fn add_derived(&mut self, kind: Kind, created: u64, updated: u64) {
        self.kinds.push((kind, created, updated));
    }

    /// (created, updated) of one kind.
    pub fn of(&self, kind: Kind) -> (u64, u64) {
        self.kinds.iter().find(|(k, _, _)| *k == kind).map(|(_, c, u)| (*c, *u)).unwrap_or((0, 0))
    }

    /// The entries of one kind that needed no change.
    pub fn unchanged_of(&self, kind: Kind) -> u64 {
        self.unchanged.iter().find(|(k, _)| *k == kind).map_or(0, |(_, n)| *n)
    }
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dry_run {
            writeln!(f, "dry run: nothing was written; the import would make these changes")?;
        }
        for (kind, created, updated) in &self.kinds {
            write!(f, "{kind}: {created} created, {updated} updated")?;
            if let Some((_, unchanged)) = self.unchanged.iter().find(|(k, _)| k == kind) {
                write!(f, ", {unchanged} unchanged")?;
            }
            if *kind == Kind::OfferingUsers && self.left_alone > 0 {
                write!(
                    f,
                    ", {} left alone (fields the API changed; --overwrite-offering-users replaces them)",
                    self.left_alone
                )?;
            }
            if *kind == Kind::PosixAttributes && self.posix_left_alone > 0 {
                write!(
                    f,
                    ", {} left alone (set through the API; --overwrite-offering-users replaces them)",
                    self.posix_left_alone
                )?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
