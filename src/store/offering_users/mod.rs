//! Offering users: the rows behind the representation, reads and writes.
//!
//! This file only names the parts; each part imports its siblings, never this file, so the
//! modules of `store/offering_users/` form no cycle (`tests/architecture.rs`).

mod counting;
mod posix_read;
mod posix_write;
mod profile;
mod read;
mod row;
mod runtime_state;
mod scope;
mod search;
mod transition;
mod write;

pub use counting::countable_from_counters;
pub use posix_read::{
    offerings_sharing_pool, posix_account, posix_accounts_of_user, posix_groups_of, PosixAccountRow, PosixGroupRow,
};
pub use posix_write::{
    held_by_another, is_pin_conflict, lock_accounts, lock_resolved_pool, pin, posix_target, set_backend_metadata,
    PosixAccount, PosixPool, PosixTarget,
};
pub use profile::{exposing_offerings, ExposingOffering};
pub use read::{count, find_visible, page, page_with_total};
pub use row::OfferingUserRow;
pub use runtime_state::{set_runtime_state, RuntimeStateWrite};
pub use scope::ReadScope;
pub use transition::{run_transition, TransitionOutcome, TransitionWrite};
pub use write::{
    delete, insert, lock_for_action, offering_for_create, pair_exists, row_by_id, set_comments, set_restricted,
    set_username, user_id, ActionTarget, CreateTarget,
};
