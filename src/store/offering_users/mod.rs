//! Offering users: the rows behind the representation, reads and writes.
//!
//! This file only names the parts; each part imports its siblings, never this file, so the
//! modules of `store/offering_users/` form no cycle (`tests/architecture.rs`).

mod counting;
mod read;
mod row;
mod scope;
mod search;
mod transition;
mod write;

pub use counting::countable_from_counters;
pub use read::{count, find_visible, page, page_with_total};
pub use row::OfferingUserRow;
pub use scope::ReadScope;
pub use transition::{run_transition, TransitionOutcome, TransitionWrite};
pub use write::{
    delete, insert, lock_for_action, offering_for_create, pair_exists, row_by_id, set_comments, set_restricted,
    set_username, user_id, ActionTarget, CreateTarget,
};
