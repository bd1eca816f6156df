//! Pure rules, no I/O: the account state machine, permissions, the caller and his reach, the
//! list's filter model and the checklist logic. Nothing here knows axum or sqlx.

pub mod auth_failure;
pub mod checklist;
pub mod events;
pub mod listing;
pub mod offering_user;
pub mod permissions;
pub mod plugin_options;
pub mod posix;
pub mod principal;
pub mod python;
pub mod runtime_state;
pub mod state;
pub mod user_attributes;
