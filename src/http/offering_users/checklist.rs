//! The six checklist operations on offering users (checklists.md §8).

use axum::Router;

use crate::http::AppState;

/// The checklist routes, merged into the offering-users router.
pub fn routes() -> Router<AppState> {
    Router::new()
}
