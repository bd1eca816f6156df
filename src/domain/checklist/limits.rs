//! How much one `submit_answers` request may carry: the body size its checklist can need,
//! and the length of a text answer. Upstream has neither bound; both are set far above what
//! a person types or a checklist asks for, and only keep one request's work finite.

use super::model::{Question, QuestionType};

/// Most characters in a string answer (text, phone, email, …) and in a file's name.
/// Upstream's text answers are unbounded; ten thousand characters is some five pages.
pub const MAX_TEXT_ANSWER_CHARS: usize = 10_000;

/// Bytes of a body a submission gets whatever its checklist: the JSON around the answers.
pub const BODY_ALLOWANCE: u64 = 256 * 1024;

/// Bytes more per question: room for one answer of [`MAX_TEXT_ANSWER_CHARS`] characters of
/// up to 4 bytes each in UTF-8, so that the text cap (a 400) always comes before the body
/// limit (a 413).
pub const PER_QUESTION_ALLOWANCE: u64 = 4 * MAX_TEXT_ANSWER_CHARS as u64;

const MIB: u64 = 1024 * 1024;

/// The part of a question that decides how large an answer to it can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerAllowance {
    /// The question's type: only `file` and `multiple_files` carry file content.
    pub question_type: QuestionType,
    /// Largest file in MiB; `None` or 0 is "no limit", as in validation.
    pub max_file_size_mb: Option<i32>,
    /// Most files of a `multiple_files` answer; `None` or 0 is "no limit".
    pub max_files_count: Option<i32>,
}

impl From<&Question> for AnswerAllowance {
    fn from(question: &Question) -> Self {
        AnswerAllowance {
            question_type: question.question_type,
            max_file_size_mb: question.max_file_size_mb,
            max_files_count: question.max_files_count,
        }
    }
}

/// A positive limit as validation reads it (`if self.max_file_size_mb:`); 0 and `None` are none.
fn positive(limit: Option<i32>) -> Option<u64> {
    limit.and_then(|n| u64::try_from(n).ok()).filter(|n| *n > 0)
}

/// The base64 text of `bytes` bytes: 4 characters for each started group of 3.
fn base64_len(bytes: u64) -> u64 {
    bytes.div_ceil(3).saturating_mul(4)
}

/// The largest `submit_answers` body a checklist with these questions can need, at most
/// `ceiling`: [`BODY_ALLOWANCE`], [`PER_QUESTION_ALLOWANCE`] per question, and for each file
/// question its largest file times its most files, as base64. A file question without a size
/// limit (or a `multiple_files` one without a count limit) can need any size: the ceiling.
pub fn submit_body_limit(questions: &[AnswerAllowance], ceiling: usize) -> usize {
    let ceiling_bytes = u64::try_from(ceiling).unwrap_or(u64::MAX);
    let mut total = BODY_ALLOWANCE;
    for question in questions {
        total = total.saturating_add(PER_QUESTION_ALLOWANCE);
        let files = match question.question_type {
            QuestionType::File => Some(1),
            QuestionType::MultipleFiles => positive(question.max_files_count),
            _ => continue,
        };
        let (Some(files), Some(size_mb)) = (files, positive(question.max_file_size_mb)) else {
            return ceiling;
        };
        total = total.saturating_add(base64_len(files.saturating_mul(size_mb).saturating_mul(MIB)));
    }
    usize::try_from(total.min(ceiling_bytes)).unwrap_or(ceiling)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CEILING: usize = 32 * 1024 * 1024;

    fn q(question_type: QuestionType, size_mb: Option<i32>, count: Option<i32>) -> AnswerAllowance {
        AnswerAllowance { question_type, max_file_size_mb: size_mb, max_files_count: count }
    }

    #[test]
    fn the_body_limit_follows_the_file_questions() {
        use QuestionType::*;
        let base = BODY_ALLOWANCE as usize;
        let per = PER_QUESTION_ALLOWANCE as usize;
        // 1 MiB of content is 1,398,104 characters of base64 (4 per started 3 bytes).
        let one_mib_b64 = 1_398_104;
        let table: Vec<(&str, Vec<AnswerAllowance>, usize, usize)> = vec![
            ("no questions", vec![], CEILING, base),
            (
                "two text questions",
                vec![q(TextArea, None, None), q(Boolean, Some(5), Some(5))],
                CEILING,
                base + 2 * per,
            ),
            ("one 1 MiB file", vec![q(File, Some(1), None)], CEILING, base + per + one_mib_b64),
            ("file ignores max_files_count", vec![q(File, Some(1), Some(9))], CEILING, base + per + one_mib_b64),
            (
                "3 files of 2 MiB",
                vec![q(MultipleFiles, Some(2), Some(3)), q(Number, None, None)],
                CEILING,
                base + 2 * per + base64_len(6 * MIB) as usize,
            ),
            (
                "sum over file questions",
                vec![q(File, Some(1), None), q(MultipleFiles, Some(1), Some(2))],
                CEILING,
                base + 2 * per + one_mib_b64 + base64_len(2 * MIB) as usize,
            ),
            ("file without a size limit", vec![q(File, None, None)], CEILING, CEILING),
            ("a size of 0 is no limit", vec![q(File, Some(0), None)], CEILING, CEILING),
            ("multiple files without a count", vec![q(MultipleFiles, Some(1), None)], CEILING, CEILING),
            ("a count of 0 is no limit", vec![q(MultipleFiles, Some(1), Some(0))], CEILING, CEILING),
            ("capped by the ceiling", vec![q(MultipleFiles, Some(100), Some(10))], CEILING, CEILING),
            (
                "largest limits do not overflow",
                vec![q(MultipleFiles, Some(i32::MAX), Some(i32::MAX))],
                CEILING,
                CEILING,
            ),
            ("a small ceiling caps even text", vec![q(TextInput, None, None)], 1000, 1000),
        ];
        for (case, questions, ceiling, expected) in table {
            assert_eq!(submit_body_limit(&questions, ceiling), expected, "{case}");
        }
    }
}
