//! Pure rules, no I/O: the account state machine, permissions, listing parameters and the
//! checklist logic. Nothing here knows axum or sqlx.

pub mod checklist;
pub mod listing;
pub mod permissions;
pub mod plugin_options;
pub mod state;
