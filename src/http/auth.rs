//! Token authentication (docs/spec/offering-users.md §7): `Authorization: Token <key>` (scheme in any
//! case) or the `x-auth-token` query parameter. Each failure has its own 401 body.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::observe::AuthenticatedUser;
use super::AppState;
use crate::domain::auth_failure::AuthFailure;
use crate::domain::principal::Caller;
use crate::error::ApiError;
use crate::store::auth::{hash_key, refresh_token, token_by_hash};

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let key = presented_key(parts)?.ok_or(ApiError::Unauthenticated(AuthFailure::Missing))?;
        let hash = hash_key(&key);
        let mut conn = state.connection().await?;
        let token = token_by_hash(&mut conn, &hash).await?.ok_or(ApiError::Unauthenticated(AuthFailure::UnknownKey))?;
        if !token.is_active {
            return Err(ApiError::Unauthenticated(AuthFailure::Inactive));
        }
        if token.expired {
            return Err(ApiError::Unauthenticated(AuthFailure::Expired));
        }
        if token.refresh_due {
            refresh_token(&mut conn, token.user_id).await;
        }
        let caller = token.caller();
        if let Some(user) = parts.extensions.get::<AuthenticatedUser>() {
            user.set(caller.uuid);
        }
        Ok(caller)
    }
}

/// The key the request presents, `None` when it presents none (or another scheme, such as
/// `Bearer`, which this server does not accept).
fn presented_key(parts: &Parts) -> Result<Option<String>, ApiError> {
    if let Some(value) = parts.headers.get(AUTHORIZATION) {
        let text = String::from_utf8_lossy(value.as_bytes());
        let words: Vec<&str> = text.split_whitespace().collect();
        if words.first().is_some_and(|scheme| scheme.eq_ignore_ascii_case("token")) {
            return match words.len() {
                1 => Err(ApiError::Unauthenticated(AuthFailure::NoKey)),
                2 => Ok(Some(words[1].to_owned())),
                _ => Err(ApiError::Unauthenticated(AuthFailure::SpacesInKey)),
            };
        }
    }
    let query = parts.uri.query().unwrap_or("");
    Ok(url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "x-auth-token")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty()))
}
