//! Compliance-checklist rules: answer validation, operators, review and guidance
//! triggers, visibility through dependencies and completion metrics.
//!
//! Everything here is pure (no I/O): the store layer loads questions and answer rows,
//! the HTTP layer shapes responses, and both call these functions in between.
//! The behaviour follows `shared/spec/checklists.md` with the choices of
//! `shared/spec/decisions.md` items 16-22 (R2 "latest answer" semantics).

pub mod completion;
pub mod dates;
pub mod files;
pub mod limits;
pub mod model;
pub mod operators;
pub mod review;
pub mod validation;
pub mod visibility;

pub use completion::{
    completion_metrics, completion_percentage, CompletionMetrics, Percentage, ReviewTrigger, UnansweredQuestion,
};
pub use dates::{is_valid_date, is_valid_datetime, parse_date, parse_iso_datetime};
pub use files::{
    check_uploaded_file, classify_file, decode_base64_strict, file_entries, foreign_stored_file, is_valid_file_answer,
    processed_file, stored_file_id, stored_file_json, Base64Files, FileEntry, FileInspector, StoredFile, UploadedFile,
};
pub use limits::{submit_body_limit, AnswerAllowance, MAX_TEXT_ANSWER_CHARS};
pub use model::{
    latest_answers, Answer, ChecklistType, Dependency, DependencyLogic, Operator, Question, QuestionOption,
    QuestionType,
};
pub use operators::{apply_operator, apply_optional_operator};
pub use review::{displayed_guidance, guidance_answer, should_show_guidance, should_trigger_review};
pub use validation::{
    invalid_answer_message, is_valid_answer, question_display, submission_question_uuids, submission_stored_file_ids,
    too_long_message, validate_submission, ElementError, QuestionLookup, SubmissionError, ValidAnswer,
};
pub use visibility::{dependency_satisfied, is_visible, visible_questions};
