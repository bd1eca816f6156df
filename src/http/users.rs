//! `GET /api/users/{uuid}/` and `/api/users/me/`: the targets of the `user` hyperlink.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::offering_users::full_name;
use super::path_uuid::{PathRecord, PathUuid, UserRecord, UserUuid};
use super::request::BaseUrl;
use super::routes::{allow, both};
use super::wire::{Hex, Hyperlink, USERS_ROUTE};
use super::AppState;
use crate::domain::principal::Caller;
use crate::error::{ApiError, ApiResult};
use crate::store::directory_reads::{user_by_id, visible_user, UserRow};

pub(super) fn router() -> Router<AppState> {
    let r = both(Router::new(), "/api/users/me/", allow("GET, HEAD, OPTIONS", get(me)));
    both(r, "/api/users/{uuid}/", allow("GET, HEAD, OPTIONS", get(retrieve)))
}

async fn me(State(state): State<AppState>, caller: Caller, BaseUrl(base): BaseUrl) -> ApiResult<Response> {
    let user = user_by_id(&mut *state.connection().await?, caller.id).await?;
    Ok(Json(user_json(&user, &base)).into_response())
}

async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): UserUuid,
    BaseUrl(base): BaseUrl,
) -> ApiResult<Response> {
    let not_found = ApiError::NotFound(UserRecord::NOT_FOUND);
    let user = visible_user(&mut *state.connection().await?, &caller, uuid).await?.ok_or(not_found)?;
    Ok(Json(user_json(&user, &base)).into_response())
}

/// A user as `/api/users/{uuid}/` shows it, keys in upstream's order.
#[derive(Serialize)]
struct UserJson<'a> {
    url: Hyperlink<'a>,
    uuid: Hex,
    username: &'a str,
    full_name: String,
    first_name: &'a str,
    last_name: &'a str,
    email: &'a str,
    is_staff: bool,
    is_support: bool,
    is_active: bool,
}

fn user_json<'a>(user: &'a UserRow, base: &'a str) -> UserJson<'a> {
    UserJson {
        url: Hyperlink::new(base, USERS_ROUTE, user.uuid),
        uuid: Hex(user.uuid),
        username: &user.username,
        full_name: full_name(&user.first_name, &user.last_name),
        first_name: &user.first_name,
        last_name: &user.last_name,
        email: &user.email,
        is_staff: user.is_staff,
        is_support: user.is_support,
        is_active: user.is_active,
    }
}
