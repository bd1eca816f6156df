//! The offering-user account state machine (docs/spec/offering-users.md §2, docs/spec/decisions.md 12a–14, 25).

/// The ten states; the discriminant is the integer stored in the database and shown in the
/// "Cannot transition" message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i16)]
pub enum State {
    Requested = 1,
    Creating = 2,
    PendingAccountLinking = 3,
    PendingAdditionalValidation = 4,
    Ok = 5,
    RequestedDeletion = 6,
    Deleting = 7,
    Deleted = 8,
    ErrorCreating = 9,
    ErrorDeleting = 10,
}

/// Every state, in database order.
pub const ALL_STATES: [State; 10] = [
    State::Requested,
    State::Creating,
    State::PendingAccountLinking,
    State::PendingAdditionalValidation,
    State::Ok,
    State::RequestedDeletion,
    State::Deleting,
    State::Deleted,
    State::ErrorCreating,
    State::ErrorDeleting,
];

impl State {
    /// The label the API emits and accepts (case-sensitive).
    pub fn label(self) -> &'static str {
        match self {
            State::Requested => "Requested",
            State::Creating => "Creating",
            State::PendingAccountLinking => "Pending account linking",
            State::PendingAdditionalValidation => "Pending additional validation",
            State::Ok => "OK",
            State::RequestedDeletion => "Requested deletion",
            State::Deleting => "Deleting",
            State::Deleted => "Deleted",
            State::ErrorCreating => "Error creating",
            State::ErrorDeleting => "Error deleting",
        }
    }

    /// The state with this exact label.
    pub fn from_label(label: &str) -> Option<State> {
        ALL_STATES.into_iter().find(|s| s.label() == label)
    }

    /// The integer stored in the database (for binding; rows decode it with
    /// [`State::try_from`]).
    pub fn db(self) -> i16 {
        self as i16
    }

    /// Whether setting a new non-empty username moves a record in this state to OK
    /// (docs/spec/offering-users.md §2.3; the only way the site agent finishes a creation).
    pub fn username_completes_creation(self) -> bool {
        matches!(
            self,
            State::Requested
                | State::Creating
                | State::PendingAccountLinking
                | State::PendingAdditionalValidation
                | State::ErrorCreating
        )
    }
}

/// A stored state integer that names no state. The column's CHECK constraint keeps it
/// from happening; if it does, reading the row fails (the store's decode error, a 500)
/// rather than showing the record in some state it is not in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownState(pub i16);

impl std::fmt::Display for UnknownState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown offering-user state {}", self.0)
    }
}

impl std::error::Error for UnknownState {}

impl TryFrom<i16> for State {
    type Error = UnknownState;

    /// The state stored as this integer; the store's row structs decode the column with it.
    fn try_from(value: i16) -> Result<State, UnknownState> {
        ALL_STATES.into_iter().find(|s| s.db() == value).ok_or(UnknownState(value))
    }
}

/// The ten state actions of the API (`POST /{uuid}/<action>/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    BeginCreating,
    SetPendingAccountLinking,
    SetPendingAdditionalValidation,
    SetValidationComplete,
    SetOk,
    SetErrorCreating,
    SetErrorDeleting,
    RequestDeletion,
    SetDeleting,
    SetDeleted,
}

/// Every transition, in the order of the API reference.
pub const ALL_TRANSITIONS: [Transition; 10] = [
    Transition::BeginCreating,
    Transition::SetPendingAccountLinking,
    Transition::SetPendingAdditionalValidation,
    Transition::SetValidationComplete,
    Transition::SetOk,
    Transition::SetErrorCreating,
    Transition::SetErrorDeleting,
    Transition::RequestDeletion,
    Transition::SetDeleting,
    Transition::SetDeleted,
];

/// What a transition does to the two service-provider comment fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentEffect {
    /// Comments are left alone.
    Keep,
    /// `comment` / `comment_url` from the body replace the stored values when given.
    FromBody,
    /// Both fields are cleared.
    Clear,
}

impl Transition {
    /// The action name in the path, also the audit action.
    pub fn action(self) -> &'static str {
        match self {
            Transition::BeginCreating => "begin_creating",
            Transition::SetPendingAccountLinking => "set_pending_account_linking",
            Transition::SetPendingAdditionalValidation => "set_pending_additional_validation",
            Transition::SetValidationComplete => "set_validation_complete",
            Transition::SetOk => "set_ok",
            Transition::SetErrorCreating => "set_error_creating",
            Transition::SetErrorDeleting => "set_error_deleting",
            Transition::RequestDeletion => "request_deletion",
            Transition::SetDeleting => "set_deleting",
            Transition::SetDeleted => "set_deleted",
        }
    }

    /// The states the API accepts as a source, in the order upstream lists them in its error
    /// message (docs/spec/offering-users.md §2.2: the view validators, stricter than the model).
    pub fn sources(self) -> &'static [State] {
        use State::{
            Creating, Deleting, ErrorCreating, ErrorDeleting, Ok, PendingAccountLinking, PendingAdditionalValidation,
            Requested, RequestedDeletion,
        };
        match self {
            Transition::BeginCreating => &[Requested, ErrorCreating],
            Transition::SetPendingAdditionalValidation => &[Creating, ErrorCreating, PendingAccountLinking],
            Transition::SetPendingAccountLinking => &[Creating, ErrorCreating, PendingAdditionalValidation],
            Transition::SetValidationComplete => &[PendingAccountLinking, PendingAdditionalValidation],
            Transition::SetOk => {
                &[Requested, Creating, PendingAdditionalValidation, PendingAccountLinking, ErrorCreating, ErrorDeleting]
            }
            Transition::SetErrorCreating => &[Requested, Creating, PendingAccountLinking, PendingAdditionalValidation],
            Transition::SetErrorDeleting => &[RequestedDeletion, Deleting],
            Transition::RequestDeletion => &[Ok],
            Transition::SetDeleting => &[RequestedDeletion, ErrorDeleting],
            Transition::SetDeleted => &[Deleting],
        }
    }

    /// The state the record ends in.
    pub fn target(self) -> State {
        match self {
            Transition::BeginCreating => State::Creating,
            Transition::SetPendingAccountLinking => State::PendingAccountLinking,
            Transition::SetPendingAdditionalValidation => State::PendingAdditionalValidation,
            Transition::SetValidationComplete | Transition::SetOk => State::Ok,
            Transition::SetErrorCreating => State::ErrorCreating,
            Transition::SetErrorDeleting => State::ErrorDeleting,
            Transition::RequestDeletion => State::RequestedDeletion,
            Transition::SetDeleting => State::Deleting,
            Transition::SetDeleted => State::Deleted,
        }
    }

    /// The name upstream puts in "Cannot transition to <NAME> …".
    pub fn error_name(self) -> &'static str {
        match self {
            Transition::BeginCreating => "CREATING",
            Transition::SetPendingAccountLinking => "PENDING_ACCOUNT_LINKING",
            Transition::SetPendingAdditionalValidation => "PENDING_ADDITIONAL_VALIDATION",
            Transition::SetValidationComplete => "VALIDATION_COMPLETE",
            Transition::SetOk => "OK",
            Transition::SetErrorCreating => "ERROR_CREATING",
            Transition::SetErrorDeleting => "ERROR_DELETING",
            Transition::RequestDeletion => "DELETION_REQUESTED",
            Transition::SetDeleting => "DELETING",
            Transition::SetDeleted => "DELETED",
        }
    }

    /// The side effect on the comment fields; `set_ok` and `set_validation_complete` clear
    /// them from every source state (docs/spec/decisions.md 13, 25).
    pub fn comment_effect(self) -> CommentEffect {
        match self {
            Transition::SetPendingAccountLinking | Transition::SetPendingAdditionalValidation => {
                CommentEffect::FromBody
            }
            Transition::SetValidationComplete | Transition::SetOk => CommentEffect::Clear,
            _ => CommentEffect::Keep,
        }
    }

    /// Whether `from` is a valid source state.
    pub fn allowed_from(self, from: State) -> bool {
        self.sources().contains(&from)
    }

    /// The 400 `detail` for a transition attempted from the wrong state.
    pub fn rejection(self, found: State) -> String {
        let valid: Vec<&str> = self.sources().iter().map(|s| s.label()).collect();
        format!(
            "Cannot transition to {} from current state: {}. Valid states for operation: {}.",
            self.error_name(),
            found.db(),
            valid.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_db_values_are_upstreams() {
        for (i, state) in ALL_STATES.into_iter().enumerate() {
            assert_eq!(state.db(), i as i16 + 1);
            assert_eq!(State::from_label(state.label()), Some(state));
            assert_eq!(State::try_from(state.db()), Ok(state));
        }
        assert_eq!(State::from_label("ok"), None);
        for unknown in [0, 11, -1] {
            assert_eq!(State::try_from(unknown), Err(UnknownState(unknown)));
        }
    }

    #[test]
    fn source_states_follow_the_api_table() {
        use State::*;
        let cases: &[(Transition, State, bool)] = &[
            (Transition::BeginCreating, Requested, true),
            (Transition::BeginCreating, ErrorCreating, true),
            (Transition::BeginCreating, Creating, false),
            (Transition::SetOk, ErrorDeleting, true),
            (Transition::SetOk, Ok, false),
            (Transition::SetOk, RequestedDeletion, false),
            (Transition::RequestDeletion, Ok, true),
            (Transition::RequestDeletion, Creating, false),
            (Transition::SetDeleted, Deleting, true),
            (Transition::SetDeleted, Requested, false),
            (Transition::SetErrorDeleting, PendingAdditionalValidation, false),
            (Transition::SetPendingAccountLinking, PendingAdditionalValidation, true),
            (Transition::SetPendingAdditionalValidation, PendingAccountLinking, true),
            (Transition::SetValidationComplete, Creating, false),
        ];
        for &(t, from, allowed) in cases {
            assert_eq!(t.allowed_from(from), allowed, "{t:?} from {from:?}");
        }
    }

    #[test]
    fn rejection_names_the_numeric_state_and_the_valid_labels() {
        assert_eq!(
            Transition::SetErrorDeleting.rejection(State::PendingAdditionalValidation),
            "Cannot transition to ERROR_DELETING from current state: 4. \
             Valid states for operation: Requested deletion, Deleting."
        );
        assert_eq!(
            Transition::SetOk.rejection(State::Ok),
            "Cannot transition to OK from current state: 5. Valid states for operation: Requested, \
             Creating, Pending additional validation, Pending account linking, Error creating, Error deleting."
        );
    }

    #[test]
    fn only_creation_states_complete_on_a_new_username() {
        let completing: Vec<State> = ALL_STATES.into_iter().filter(|s| s.username_completes_creation()).collect();
        assert_eq!(
            completing,
            vec![
                State::Requested,
                State::Creating,
                State::PendingAccountLinking,
                State::PendingAdditionalValidation,
                State::ErrorCreating
            ]
        );
    }
}
