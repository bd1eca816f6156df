//! `/api/marketplace-offering-users/`: every path written out, so this file reads like the
//! operations table of the API reference.

mod blocking;
mod checklist;
mod crud;
mod fields;
mod input;
mod posix;
mod profile_warnings;
mod query;
mod read;
mod representation;
mod runtime_state;
mod transitions;

pub use fields::{Field, FieldSet, FIELDS};
pub use input::MAX_COMMENT_CHARS;
pub use query::{ListParameter, ParamKind, LIST_PARAMETERS, ORDERING};
pub use representation::full_name;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, patch, post};
use axum::Router;

use super::body::RawBody;
use super::path_uuid::{OfferingUserUuid, PathUuid};
use super::routes::{allow, both};
use super::AppState;
use crate::domain::principal::Caller;
use crate::domain::state::ALL_TRANSITIONS;

const LIST: &str = "/api/marketplace-offering-users/";
const DETAIL: &str = "/api/marketplace-offering-users/{uuid}/";

/// The routes of the offering-users resource.
pub fn router() -> Router<AppState> {
    let r = Router::new();
    let r = both(r, LIST, allow("GET, POST, HEAD, OPTIONS", get(read::list).post(crud::create)));
    // A collection route: matched before `{uuid}/` (a static segment wins in axum's router;
    // docs/spec/offering-users-2026.md §2.2).
    let r = both(
        r,
        "/api/marketplace-offering-users/profile_field_warnings/",
        allow("GET, HEAD, OPTIONS", get(profile_warnings::profile_field_warnings)),
    );
    let r = both(
        r,
        DETAIL,
        allow(
            "GET, PUT, PATCH, DELETE, HEAD, OPTIONS",
            get(read::retrieve).put(crud::update).patch(crud::update).delete(crud::destroy),
        ),
    );
    let r = both(
        r,
        "/api/marketplace-offering-users/{uuid}/update_restricted/",
        allow("POST, OPTIONS", post(crud::update_restricted)),
    );
    let r = both(
        r,
        "/api/marketplace-offering-users/{uuid}/update_comments/",
        allow("PATCH, OPTIONS", patch(crud::update_comments)),
    );
    let r = both(
        r,
        "/api/marketplace-offering-users/{uuid}/update_runtime_state/",
        allow("POST, OPTIONS", post(runtime_state::update_runtime_state)),
    );
    // begin_creating, set_pending_account_linking, … set_deleted: one route per transition.
    let r = ALL_TRANSITIONS.into_iter().fold(r, |r, transition| {
        let path = format!("/api/marketplace-offering-users/{{uuid}}/{}/", transition.action());
        let handler = move |State(state): State<AppState>,
                            caller: Caller,
                            PathUuid(uuid, _): OfferingUserUuid,
                            headers: HeaderMap,
                            RawBody(body): RawBody| {
            transitions::run(transition, state, caller, uuid, headers, body)
        };
        both(r, &path, allow("POST, OPTIONS", post(handler)))
    });
    r.merge(checklist::routes()).merge(posix::routes())
}
