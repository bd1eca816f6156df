//! Answers on the way in: MIME sniffing for validation, and the writes a validated
//! submission makes, each new upload replaced by the stored-file object it will be saved
//! under and each processed entry rebuilt from its stored row (docs/spec/checklists.md §3.3, §3.5,
//! docs/spec/decisions.md 22).

use std::collections::HashMap;

use serde_json::Value;
use uuid::Uuid;

use crate::domain::checklist::{
    classify_file, decode_base64_strict, should_trigger_review, stored_file_id, stored_file_json, Base64Files,
    FileEntry, QuestionType, StoredFile, ValidAnswer,
};
use crate::store::checklists::{AnswerWrite, NewFile, QuestionRecord};

/// How many leading bytes the sniffer looks at, as upstream's `magic.from_buffer(f.read(1024))`.
const SNIFF_BYTES: usize = 1024;

/// libmagic's answer for data it does not recognise.
const UNKNOWN_MIME: &str = "application/octet-stream";

/// The MIME type of content from its first bytes: the `infer` crate's magic numbers, and
/// `text/plain` for text (which has no magic number; libmagic says `text/plain` for it, and
/// questions allow `text/*`). `None` when nothing matched.
pub(super) fn sniff_mime(head: &[u8]) -> Option<String> {
    if let Some(kind) = infer::get(head) {
        return Some(kind.mime_type().to_owned());
    }
    looks_like_text(head).then(|| "text/plain".to_owned())
}

/// Valid UTF-8 (a multi-byte character cut at the end of the sniffed window is fine)
/// without the control characters that only binary data contains.
fn looks_like_text(head: &[u8]) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // Cut inside the last character: judge what came before it.
        Err(e) if e.error_len().is_none() => match std::str::from_utf8(&head[..e.valid_up_to()]) {
            Ok(text) => text,
            Err(_) => return false,
        },
        Err(_) => return false,
    };
    !text.is_empty() && !text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}' | '\u{1b}'))
}

/// A MIME sniffer as [`Base64Files`] takes it.
pub(super) type Sniffer = fn(&[u8]) -> Option<String>;

/// The inspector validation uses: strict base64, then [`sniff_mime`] on the first 1024
/// bytes; and the completion's stored files that processed entries may name.
pub(super) fn inspector(stored: HashMap<Uuid, StoredFile>) -> Base64Files<Sniffer> {
    Base64Files::new(sniff_mime as Sniffer).with_stored(stored)
}

/// What a validated submission writes, one statement per kind.
#[derive(Debug, Default)]
pub(super) struct Writes {
    /// Questions whose answer of the caller is deleted (`answer_data: null`).
    pub deletes: Vec<i64>,
    /// The answers to create or replace, uploads replaced by their references.
    pub upserts: Vec<AnswerWrite>,
    /// The new uploads to store.
    pub new_files: Vec<NewFile>,
}

impl Writes {
    /// Bytes of the new uploads.
    pub(super) fn new_bytes(&self) -> u64 {
        self.new_files.iter().map(|f| u64::try_from(f.content.len()).unwrap_or(u64::MAX)).sum()
    }
}

/// Turns validated answers into the writes: `null` deletes; a new upload is decoded,
/// sniffed and given the id it will be stored under; a processed entry is rebuilt from the
/// stored file it names (validation made sure it is one of this question's), so that its
/// name, size and MIME type are the stored ones and other keys are dropped.
pub(super) fn plan_writes(
    valid: Vec<ValidAnswer>,
    questions: &HashMap<Uuid, &QuestionRecord>,
    stored: &HashMap<Uuid, StoredFile>,
) -> Writes {
    let mut writes = Writes::default();
    for answer in valid {
        let Some(record) = questions.get(&answer.question) else {
            continue; // validation resolved every element to a question of this checklist
        };
        if answer.answer_data.is_null() {
            writes.deletes.push(record.id);
            continue;
        }
        let mut rebuild = |entry: Value| file_entry(entry, record.id, stored, &mut writes.new_files);
        let answer_data = match (record.question.question_type, answer.answer_data) {
            (QuestionType::File, entry @ Value::Object(_)) => rebuild(entry),
            (QuestionType::MultipleFiles, Value::Array(items)) => {
                Value::Array(items.into_iter().map(&mut rebuild).collect())
            }
            (_, other) => other,
        };
        let requires_review = should_trigger_review(&record.question, &answer_data);
        writes.upserts.push(AnswerWrite { question_id: record.id, answer_data, requires_review });
    }
    writes
}

/// One file object of a validated answer, as it is saved.
fn file_entry(
    entry: Value,
    question_id: i64,
    stored: &HashMap<Uuid, StoredFile>,
    new_files: &mut Vec<NewFile>,
) -> Value {
    match classify_file(&entry) {
        FileEntry::Processed(_) => match stored_file_id(&entry).and_then(|id| stored.get(&id).map(|f| (id, f))) {
            Some((id, file)) => stored_file_json(&Value::String(file.name.clone()), file.size, &file.mime_type, id),
            None => entry, // unreachable: validation accepted only stored files of this question
        },
        FileEntry::New { name, content } => match upload(name, content) {
            Some(file) => {
                let id = Uuid::new_v4();
                let size = u64::try_from(file.content.len()).unwrap_or(u64::MAX);
                let saved = stored_file_json(name, size, &file.mime_type, id);
                new_files.push(NewFile {
                    uuid: id,
                    question_id,
                    name: file.name,
                    mime_type: file.mime_type,
                    content: file.content,
                });
                saved
            }
            None => entry, // unreachable: validation decoded this content
        },
        FileEntry::Invalid => entry,
    }
}

/// An upload to store: its name, sniffed type and bytes.
struct Upload {
    name: String,
    mime_type: String,
    content: Vec<u8>,
}

/// Decodes a validated new upload.
fn upload(name: &Value, content: &str) -> Option<Upload> {
    let bytes = decode_base64_strict(content)?;
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let mime_type = sniff_mime(head).unwrap_or_else(|| UNKNOWN_MIME.to_owned());
    let name = match name {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Some(Upload { name, mime_type, content: bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_recognises_magic_numbers_text_and_binary() {
        let table: [(&[u8], Option<&str>); 6] = [
            (b"%PDF-1.4\n%\xc7\xec\x8f\xa2\n", Some("application/pdf")),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", Some("image/png")),
            (b"plain words\nand lines\n", Some("text/plain")),
            ("na\u{ef}ve caf\u{e9}".as_bytes(), Some("text/plain")),
            (b"\x00\x01\x02\x03binary", None),
            (b"", None),
        ];
        for (bytes, expected) in table {
            assert_eq!(sniff_mime(bytes).as_deref(), expected, "{bytes:?}");
        }
    }

    #[test]
    fn text_cut_inside_a_multibyte_character_is_still_text() {
        let text = "é".repeat(600);
        let head = &text.as_bytes()[..SNIFF_BYTES - 1];
        assert_eq!(sniff_mime(head).as_deref(), Some("text/plain"));
    }
}
