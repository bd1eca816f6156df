//! All SQL: one module per aggregate, functions named after what they return.
//! Nothing here knows HTTP.

pub mod audit;
pub mod auth;
pub mod checklists;
pub mod counters;
pub mod directory;
pub mod directory_reads;
pub mod fragments;
pub mod offering_users;
pub mod visibility;
