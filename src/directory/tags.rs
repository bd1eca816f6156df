//! The document's tags read into their enums as the document is parsed: a state, a question
//! type, an operator, a dependency logic, a checklist type, a role. A bad value stops the
//! parse with the message the import has always given, at its JSON path
//! (docs/spec/directory.md, "The document"; docs/spec/checklists.md §1, §2).

use serde::{Deserialize, Deserializer};

use crate::domain::checklist::{ChecklistType, DependencyLogic, Operator, QuestionType};
use crate::domain::permissions::Role;
use crate::domain::state::State;

/// Starts the messages of this module among serde's own: serde_json appends the position to
/// every error, and [`message`] takes it off these, which never carried one.
const OURS: char = '\u{1}';

fn refuse<E: serde::de::Error>(message: String) -> E {
    E::custom(format!("{OURS}{message}"))
}

/// The message of a parse error: one of this module's as it was written, serde's own as
/// serde_json gives it (with its position).
pub(super) fn message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.strip_prefix(OURS) {
        Some(ours) => {
            let position = format!(" at line {} column {}", error.line(), error.column());
            ours.strip_suffix(&position).unwrap_or(ours).to_owned()
        }
        None => text,
    }
}

/// A state label; omitted or `null` = Requested.
pub(super) fn state<'de, D: Deserializer<'de>>(deserializer: D) -> Result<State, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(State::Requested),
        Some(label) => State::from_label(&label).ok_or_else(|| refuse(format!("unknown state {label:?}"))),
    }
}

/// One of the 16 question types (docs/spec/decisions.md 1: likert and rich_text are after
/// the baseline).
pub(super) fn question_type<'de, D: Deserializer<'de>>(deserializer: D) -> Result<QuestionType, D::Error> {
    let name = String::deserialize(deserializer)?;
    QuestionType::parse(&name).ok_or_else(|| refuse(format!("unknown or unsupported question type {name:?}")))
}

/// An operator, or `""` (`None`: never matches, docs/spec/checklists.md §4).
pub(super) fn operator<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Operator>, D::Error> {
    let name = String::deserialize(deserializer)?;
    if name.is_empty() {
        return Ok(None);
    }
    match Operator::parse(&name) {
        Some(operator) => Ok(Some(operator)),
        None => Err(refuse(format!("unknown operator {name:?} (equals, not_equals, contains, in, not_in or \"\")"))),
    }
}

/// `and` or `or`, nothing else (the stored value's reading is laxer: `DependencyLogic::parse`).
pub(super) fn dependency_logic<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DependencyLogic, D::Error> {
    match String::deserialize(deserializer)?.as_str() {
        "and" => Ok(DependencyLogic::And),
        "or" => Ok(DependencyLogic::Or),
        _ => Err(refuse("must be \"and\" or \"or\"".to_owned())),
    }
}

/// A checklist type of docs/spec/checklists.md §2.1.
pub(super) fn checklist_type<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ChecklistType, D::Error> {
    let name = String::deserialize(deserializer)?;
    ChecklistType::parse(&name).ok_or_else(|| refuse(format!("unknown type {name:?}")))
}

/// A role of the directory.
pub(super) fn role<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Role, D::Error> {
    let name = String::deserialize(deserializer)?;
    Role::from_name(&name).ok_or_else(|| refuse(format!("unknown role {name:?}")))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Tags {
        #[serde(default = "requested", deserialize_with = "state")]
        state: State,
        #[serde(default = "boolean", deserialize_with = "question_type")]
        question_type: QuestionType,
        #[serde(default, deserialize_with = "operator")]
        operator: Option<Operator>,
        #[serde(default, deserialize_with = "dependency_logic")]
        logic: DependencyLogic,
        #[serde(default, deserialize_with = "checklist_type")]
        checklist_type: ChecklistType,
        #[serde(default = "owner", deserialize_with = "role")]
        role: Role,
    }

    fn requested() -> State {
        State::Requested
    }

    fn boolean() -> QuestionType {
        QuestionType::Boolean
    }

    fn owner() -> Role {
        Role::CustomerOwner
    }

    /// The parsed tags, or the error's path and message as the import shows them.
    fn read(text: &str) -> Result<Tags, String> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(deserializer).map_err(|e| format!("{}: {}", e.path(), message(e.inner())))
    }

    #[test]
    fn good_values_read_into_their_variants() {
        let tags = read(
            r#"{"state": "Pending account linking", "question_type": "multiple_files", "operator": "not_in",
                "logic": "or", "checklist_type": "customer_onboarding", "role": "OFFERING.MANAGER"}"#,
        )
        .unwrap();
        assert_eq!(tags.state, State::PendingAccountLinking);
        assert_eq!(tags.question_type, QuestionType::MultipleFiles);
        assert_eq!(tags.operator, Some(Operator::NotIn));
        assert_eq!(tags.logic, DependencyLogic::Or);
        assert_eq!(tags.checklist_type, ChecklistType::CustomerOnboarding);
        assert_eq!(tags.role, Role::OfferingManager);
        let blank = read(r#"{"state": null, "operator": ""}"#).unwrap();
        assert_eq!((blank.state, blank.operator), (State::Requested, None));
    }

    #[test]
    fn a_bad_value_gives_the_message_of_the_import_without_a_position() {
        let table = [
            (r#"{"state": "Bogus"}"#, r#"state: unknown state "Bogus""#),
            (r#"{"state": "ok"}"#, r#"state: unknown state "ok""#),
            (r#"{"question_type": "likert"}"#, r#"question_type: unknown or unsupported question type "likert""#),
            (
                r#"{"operator": "like"}"#,
                r#"operator: unknown operator "like" (equals, not_equals, contains, in, not_in or "")"#,
            ),
            (r#"{"logic": "xor"}"#, r#"logic: must be "and" or "or""#),
            (r#"{"logic": "AND"}"#, r#"logic: must be "and" or "or""#),
            (r#"{"checklist_type": "bogus"}"#, r#"checklist_type: unknown type "bogus""#),
            (r#"{"role": "CUSTOMER.KING"}"#, r#"role: unknown role "CUSTOMER.KING""#),
        ];
        for (text, expected) in table {
            assert_eq!(read(text).unwrap_err(), expected, "{text}");
        }
    }

    #[test]
    fn serdes_own_errors_keep_their_position() {
        assert_eq!(
            read(r#"{"state": 5}"#).unwrap_err(),
            "state: invalid type: integer `5`, expected a string at line 1 column 11"
        );
    }
}
