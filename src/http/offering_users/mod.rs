//! `/api/marketplace-offering-users/`: every path written out, so this file reads like the
//! operations table of the API reference.

mod checklist;
mod read;
mod representation;

pub use representation::full_name;

use axum::routing::get;
use axum::Router;

use super::routes::{allow, both};
use super::AppState;

/// The routes of the offering-users resource.
pub fn router() -> Router<AppState> {
    let r = Router::new();
    let r = both(r, "/api/marketplace-offering-users/", allow("GET, POST, HEAD, OPTIONS", get(read::list)));
    let r = both(
        r,
        "/api/marketplace-offering-users/{uuid}/",
        allow("GET, PUT, PATCH, DELETE, HEAD, OPTIONS", get(read::retrieve)),
    );
    r.merge(checklist::routes())
}
