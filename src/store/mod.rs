//! All SQL: one module per aggregate, functions named after what they return.
//! Nothing here knows HTTP.

pub mod amqp_outbox;
pub mod audit;
pub mod auth;
pub mod checklists;
pub mod counters;
pub mod directory;
pub mod directory_reads;
pub mod events;
pub mod fragments;
pub mod offering_users;
pub mod visibility;
pub mod web_hook_deliveries;
pub mod web_hooks;
