//! What the commands show a person at a terminal, apart from the server itself: an import's
//! progress, the demo's tokens.

pub mod demo_tokens;
pub mod progress;
