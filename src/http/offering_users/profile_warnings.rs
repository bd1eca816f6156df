//! `GET`/`HEAD /api/marketplace-offering-users/profile_field_warnings/`
//! (docs/spec/offering-users-2026.md §6): which of the caller's profile fields offerings he
//! has an account on expose, so that clearing one may hide him from their providers while
//! `ENFORCE_OFFERING_USER_PROFILE_COMPLETENESS` is on.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::principal::Caller;
use crate::domain::user_attributes::UserAttribute;
use crate::error::{ApiError, ApiResult};
use crate::http::wire::Hex;
use crate::http::AppState;
use crate::store::offering_users::{self as store, ExposingOffering};

/// One offering that exposes a field.
#[derive(Debug, Serialize)]
struct Exposer<'a> {
    offering_uuid: Hex,
    offering_name: &'a str,
}

/// The answer: always about the caller (any authenticated user; no 403 or 404), `{}` when the
/// setting is off. `X-Result-Count` is the number of keys, on `GET` and `HEAD` (§2.2: the SDK's
/// `_count` needs it); no `Link`: the answer is never paginated.
pub(super) async fn profile_field_warnings(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
) -> ApiResult<Response> {
    let offerings = if state.settings.enforce_profile_completeness {
        let exposure = &state.settings.default_user_attributes;
        store::exposing_offerings(&mut *state.connection().await?, caller.id, exposure).await?
    } else {
        Vec::new()
    };
    let warnings = warnings(&offerings);
    let body = if method == Method::HEAD {
        Vec::new()
    } else {
        serde_json::to_vec(&warnings).map_err(|e| ApiError::internal("serializing profile field warnings", e))?
    };
    let mut response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    response.headers_mut().insert("x-result-count", HeaderValue::from(warnings.len()));
    Ok(response)
}

/// Field name → the offerings exposing it (§6 step 4–5): `full_name` counts for `first_name`
/// and `last_name`, every other attribute for the field of its name. Keys in alphabetical
/// order; each key's offerings in the order given (by name, then uuid), each once.
fn warnings(offerings: &[ExposingOffering]) -> BTreeMap<&'static str, Vec<Exposer<'_>>> {
    let mut warnings: BTreeMap<&'static str, Vec<Exposer<'_>>> = BTreeMap::new();
    for offering in offerings {
        let mut fields: Vec<&'static str> = offering
            .attributes
            .iter()
            .filter_map(|name| UserAttribute::from_name(name))
            .flat_map(|attribute| attribute.profile_fields().iter().copied())
            .collect();
        fields.sort_unstable();
        fields.dedup();
        for field in fields {
            warnings
                .entry(field)
                .or_default()
                .push(Exposer { offering_uuid: Hex(offering.uuid), offering_name: &offering.name });
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use uuid::Uuid;

    use super::*;

    fn offering(n: u128, name: &str, attributes: &[&str]) -> ExposingOffering {
        ExposingOffering {
            uuid: Uuid::from_u128(n),
            name: name.into(),
            attributes: attributes.iter().map(|a| a.to_string()).collect(),
        }
    }

    #[test]
    fn fields_aggregate_over_offerings_and_full_name_splits() {
        let offerings = [
            offering(1, "A", &["full_name", "job_title"]),
            offering(2, "B", &["job_title", "username", "registration_method"]),
        ];
        let got = serde_json::to_value(warnings(&offerings)).unwrap();
        let a = json!({"offering_uuid": "00000000000000000000000000000001", "offering_name": "A"});
        let b = json!({"offering_uuid": "00000000000000000000000000000002", "offering_name": "B"});
        assert_eq!(
            got,
            json!({"first_name": [a], "job_title": [a, b], "last_name": [a],
                   "registration_method": [b], "username": [b]})
        );
        let keys: Vec<String> = got.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["first_name", "job_title", "last_name", "registration_method", "username"]);
        assert_eq!(serde_json::to_value(warnings(&[])).unwrap(), json!({}));
    }
}
