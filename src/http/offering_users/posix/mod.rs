//! The POSIX routes of offering users (docs/spec/offering-users-2026.md §7):
//! `set_posix_attributes`, `posix_groups`, `posix_allocations` and the collection route
//! `posix_identities` (GET and HEAD), which is matched before `{uuid}/` (§2.2).
//!
//! - `body.rs`: the request body of `set_posix_attributes`, with DRF's messages;
//! - `set_attributes.rs`: the pin, its checks and the projection to the user's other accounts;
//! - `reads.rs`: the three lists, which see the records un-gated (§2.1) and are never paginated;
//! - `wire.rs`: the shapes of their items.

mod body;
mod reads;
mod set_attributes;
mod wire;

use axum::routing::{get, post};
use axum::Router;

use super::super::routes::{allow, both};
use super::super::AppState;

const BASE: &str = "/api/marketplace-offering-users";

/// The four routes; `posix_identities/` is a static segment, which axum's router prefers to
/// `{uuid}/` whatever the order they are added in.
pub(super) fn routes() -> Router<AppState> {
    let r = Router::new();
    let r =
        both(r, &format!("{BASE}/{{uuid}}/set_posix_attributes/"), allow("POST, OPTIONS", post(set_attributes::run)));
    let r = both(r, &format!("{BASE}/{{uuid}}/posix_groups/"), allow("GET, HEAD, OPTIONS", get(reads::posix_groups)));
    let r = both(
        r,
        &format!("{BASE}/{{uuid}}/posix_allocations/"),
        allow("GET, HEAD, OPTIONS", get(reads::posix_allocations)),
    );
    both(r, &format!("{BASE}/posix_identities/"), allow("GET, HEAD, OPTIONS", get(reads::posix_identities)))
}
