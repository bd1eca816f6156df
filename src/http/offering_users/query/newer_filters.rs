//! The list filters of newer clients (docs/spec/offering-users-2026.md §5, F1–F7), read with
//! the parsing and error rules of the baseline filters they resemble.

use serde_json::{Map, Value};

use super::{boolean_widget, date_time, invalid_choice, push_error, single_uuid};
use crate::domain::listing::ListFilter;
use crate::domain::runtime_state::RuntimeState;

/// Reads `created_before`, `modified_before`, `runtime_state`, `has_complete_profile`,
/// `offering_has_active_tos`, `is_provider_backed` and `service_provider_account_uuid` into
/// `f`. `last` gives a parameter's last value, `all` every value (repeated keys).
pub(super) fn parse_newer_filters<'p>(
    last: impl Fn(&'static str) -> Option<&'p str>,
    all: impl Fn(&'static str) -> Vec<&'p str>,
    f: &mut ListFilter,
    errors: &mut Map<String, Value>,
) {
    // `created`/`modified` are the lower bounds; these are the upper ones, inclusive (§11 Q4).
    f.created_before = date_time(last("created_before"), "created_before", errors);
    f.modified_before = date_time(last("modified_before"), "modified_before", errors);
    // Repeated and comma-separated, like `state` (decisions 10); the labels hold no comma.
    for label in all("runtime_state").into_iter().flat_map(|v| v.split(',')).filter(|v| !v.is_empty()) {
        match RuntimeState::from_label(label) {
            Some(state) if !f.runtime_states.contains(&state) => f.runtime_states.push(state),
            Some(_) => {}
            None => push_error(errors, "runtime_state", invalid_choice(label)),
        }
    }
    // django-filter's BooleanWidget, like `has_consent`: any other value is no filter.
    f.has_complete_profile = last("has_complete_profile").and_then(boolean_widget);
    f.offering_has_active_tos = last("offering_has_active_tos").and_then(boolean_widget);
    f.is_provider_backed = last("is_provider_backed").and_then(boolean_widget);
    f.service_provider_account_uuid =
        single_uuid(last("service_provider_account_uuid"), "service_provider_account_uuid", errors);
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use serde_json::json;
    use uuid::Uuid;

    use super::super::{parse_list_params, ListParamsError};
    use crate::domain::runtime_state::RuntimeState;

    fn parse(query: &str) -> Result<crate::domain::listing::ListFilter, ListParamsError> {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        parse_list_params(&pairs, "").map(|p| p.filter)
    }

    fn invalid(query: &str) -> serde_json::Value {
        match parse(query) {
            Err(ListParamsError::Invalid(body)) => body,
            other => panic!("{query}: {other:?}"),
        }
    }

    #[test]
    fn upper_date_bounds_parse_like_the_lower_ones() {
        let f = parse("created_before=2025-01-02&modified_before=2025-01-02T03:04:05.123456%2B00:00").unwrap();
        assert_eq!(f.created_before, Some("2025-01-02T00:00:00Z".parse::<DateTime<Utc>>().unwrap()));
        assert_eq!(f.modified_before, Some("2025-01-02T03:04:05.123456Z".parse::<DateTime<Utc>>().unwrap()));
        assert_eq!(invalid("created_before=yesterday"), json!({"created_before": ["Enter a valid date/time."]}));
        assert_eq!(invalid("modified_before=02/01/2025"), json!({"modified_before": ["Enter a valid date/time."]}));
        assert_eq!(parse("created_before=&modified_before=").unwrap().created_before, None);
    }

    #[test]
    fn runtime_states_are_repeated_or_comma_separated_exact_labels() {
        let f = parse("runtime_state=Active,Pending+account+linking&runtime_state=Active").unwrap();
        assert_eq!(f.runtime_states, vec![RuntimeState::Active, RuntimeState::PendingAccountLinking]);
        for bad in ["active", "OK", "999"] {
            assert_eq!(
                invalid(&format!("runtime_state={bad}")),
                json!({"runtime_state": [format!("Select a valid choice. {bad} is not one of the available choices.")]}),
            );
        }
        assert!(parse("runtime_state=").unwrap().runtime_states.is_empty());
    }

    #[test]
    fn booleans_follow_the_boolean_widget() {
        let cases =
            [("true", Some(true)), ("1", Some(true)), ("FALSE", Some(false)), ("0", Some(false)), ("yes", None)];
        for (value, expected) in cases {
            let f = parse(&format!(
                "has_complete_profile={value}&offering_has_active_tos={value}&is_provider_backed={value}"
            ))
            .unwrap();
            assert_eq!(
                (f.has_complete_profile, f.offering_has_active_tos, f.is_provider_backed),
                (expected, expected, expected),
                "{value}"
            );
        }
    }

    #[test]
    fn service_provider_account_uuid_takes_any_uuid_form_or_a_url_ending_in_one() {
        let uuid = Uuid::parse_str("9c08033f78464e06a273ed0d98ccac1e").unwrap();
        for value in [
            "9c08033f78464e06a273ed0d98ccac1e",
            "9C08033F-7846-4E06-A273-ED0D98CCAC1E",
            "http://h/api/marketplace-service-provider-accounts/9c08033f78464e06a273ed0d98ccac1e/",
            "/api/x/9c08033f-7846-4e06-a273-ed0d98ccac1e",
        ] {
            assert_eq!(
                parse(&format!("service_provider_account_uuid={value}")).unwrap().service_provider_account_uuid,
                Some(uuid)
            );
        }
        assert_eq!(
            invalid("service_provider_account_uuid=nope"),
            json!({"service_provider_account_uuid": ["Enter a valid UUID."]})
        );
    }
}
