//! The offering user's field limits, shared by the API's input checks, its OpenAPI document
//! and the import (docs/spec/offering-users.md; the column is `varchar(100)`).

/// The longest username an offering user may have, in characters (upstream's `max_length`).
pub const MAX_USERNAME_CHARS: usize = 100;
