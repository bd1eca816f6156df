//! The process around the server: how it starts (listeners first, then the database, then
//! the migrations), how it stops (one deadline for everything), what signals do, and what
//! its exit code says (README, "Exit codes").

pub mod exit;
pub mod signals;
pub mod startup;
pub mod stdio;
