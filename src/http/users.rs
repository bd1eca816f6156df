//! `GET /api/users/{uuid}/` and `/api/users/me/`: the targets of the `user` hyperlink.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::offering_users::full_name;
use super::path_uuid::{PathRecord, PathUuid, UserRecord, UserUuid};
use super::request::BaseUrl;
use super::routes::{allow, both};
use super::wire::hex;
use super::AppState;
use crate::domain::principal::Caller;
use crate::error::{ApiError, ApiResult};
use crate::store::directory_reads::{user_by_id, visible_user, UserRow};

pub fn router() -> Router<AppState> {
    let r = both(Router::new(), "/api/users/me/", allow("GET, HEAD, OPTIONS", get(me)));
    both(r, "/api/users/{uuid}/", allow("GET, HEAD, OPTIONS", get(retrieve)))
}

async fn me(State(state): State<AppState>, caller: Caller, BaseUrl(base): BaseUrl) -> ApiResult<Json<Value>> {
    let user = user_by_id(&mut *state.connection().await?, caller.id).await?;
    Ok(Json(user_json(&user, &base)))
}

async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    PathUuid(uuid, _): UserUuid,
    BaseUrl(base): BaseUrl,
) -> ApiResult<Json<Value>> {
    let not_found = ApiError::NotFound(UserRecord::NOT_FOUND);
    let user = visible_user(&mut *state.connection().await?, &caller, uuid).await?.ok_or(not_found)?;
    Ok(Json(user_json(&user, &base)))
}

fn user_json(user: &UserRow, base: &str) -> Value {
    json!({
        "url": format!("{base}/api/users/{}/", hex(&user.uuid)),
        "uuid": hex(&user.uuid),
        "username": user.username,
        "full_name": full_name(&user.first_name, &user.last_name),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_staff": user.is_staff,
        "is_support": user.is_support,
        "is_active": user.is_active,
    })
}
