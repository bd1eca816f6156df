//! The runtime state of an offering user (docs/spec/offering-users-2026.md §3.1): whether the
//! user can use the service now, independent of the account's lifecycle `state`. The label is
//! the stored value and the wire value alike (column `offering_users.runtime_state`).

/// The three runtime states (SDK `RuntimeStateEnum`), exact and case-sensitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuntimeState {
    /// The user can access the service (the default of every new record).
    Active,
    /// Access blocked until the user links an external account.
    PendingAccountLinking,
    /// Access blocked until the user completes an additional validation.
    PendingAdditionalValidation,
}

/// Every runtime state, in the SDK's order.
pub const ALL_RUNTIME_STATES: [RuntimeState; 3] =
    [RuntimeState::Active, RuntimeState::PendingAccountLinking, RuntimeState::PendingAdditionalValidation];

impl RuntimeState {
    /// The label: what the column stores and the API emits and accepts.
    pub fn label(self) -> &'static str {
        match self {
            RuntimeState::Active => "Active",
            RuntimeState::PendingAccountLinking => "Pending account linking",
            RuntimeState::PendingAdditionalValidation => "Pending additional validation",
        }
    }

    /// The runtime state with this exact label.
    pub fn from_label(label: &str) -> Option<RuntimeState> {
        ALL_RUNTIME_STATES.into_iter().find(|s| s.label() == label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_exact_and_case_sensitive() {
        for state in ALL_RUNTIME_STATES {
            assert_eq!(RuntimeState::from_label(state.label()), Some(state));
        }
        for other in ["active", "ACTIVE", " Active", "Pending account linking ", "OK", "", "999"] {
            assert_eq!(RuntimeState::from_label(other), None, "{other:?}");
        }
    }
}
