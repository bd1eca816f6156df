//! File answers (spec §3.3): recognising processed and new file objects, strict base64,
//! and the extension / MIME / size / count limits of a question.
//!
//! MIME sniffing is not pure (upstream uses libmagic; we use whatever the HTTP layer
//! plugs in), and the files stored earlier live in the database, so both come in through
//! [`FileInspector`]; everything else is here.

use std::collections::HashMap;

use serde_json::{json, Value};
use uuid::Uuid;

use super::model::{Question, QuestionType};
use crate::domain::python::parse_py_uuid;

/// What validation needs to know about one new upload, once decoded and sniffed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    /// The client's file name (`""` if it sent a non-string name).
    pub name: String,
    /// Decoded size in bytes.
    pub size: u64,
    /// MIME type sniffed from the first 1024 bytes; `None` when nothing matched, which
    /// is compared as `application/octet-stream` (libmagic's answer for unknown data).
    pub sniffed_mime: Option<String>,
}

/// A file stored earlier for the completion being answered, as its row describes it. A
/// processed entry (`stored_file_id` without `content`) must name one of these stored for
/// the same question, and is saved with these values, whatever else the client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The question the file was uploaded for.
    pub question: Uuid,
    /// The name it was uploaded with.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// The MIME type sniffed when it was uploaded.
    pub mime_type: String,
}

impl StoredFile {
    /// The file as the question's limits see it.
    fn as_uploaded(&self) -> UploadedFile {
        UploadedFile { name: self.name.clone(), size: self.size, sniffed_mime: Some(self.mime_type.clone()) }
    }
}

/// Turns the `content` of a new upload into an [`UploadedFile`], and finds the files
/// stored earlier that processed entries name.
pub trait FileInspector {
    /// `None` when the content is not strict base64 or decodes to no bytes (upstream
    /// rejects both); otherwise its size and sniffed MIME type.
    fn inspect(&self, name: &str, content_base64: &str) -> Option<UploadedFile>;

    /// The file stored for the completion under this id, if there is one.
    fn stored(&self, id: Uuid) -> Option<&StoredFile>;
}

/// A [`FileInspector`] that decodes with [`decode_base64_strict`], sniffs with the given
/// function, which receives at most the first 1024 bytes, and knows the completion's stored
/// files it was given. For parity with libmagic the sniffer should answer `text/plain` for
/// plain text.
pub struct Base64Files<F> {
    sniff: F,
    stored: HashMap<Uuid, StoredFile>,
}

impl<F> Base64Files<F> {
    /// An inspector that knows no stored files.
    pub fn new(sniff: F) -> Self {
        Base64Files { sniff, stored: HashMap::new() }
    }

    /// The same inspector, knowing these stored files by id.
    pub fn with_stored(self, stored: HashMap<Uuid, StoredFile>) -> Self {
        Base64Files { stored, ..self }
    }

    /// The stored files it knows, by id.
    pub fn stored_files(&self) -> &HashMap<Uuid, StoredFile> {
        &self.stored
    }
}

impl<F> FileInspector for Base64Files<F>
where
    F: Fn(&[u8]) -> Option<String>,
{
    fn inspect(&self, name: &str, content_base64: &str) -> Option<UploadedFile> {
        let bytes = decode_base64_strict(content_base64)?;
        if bytes.is_empty() {
            return None;
        }
        let head = &bytes[..bytes.len().min(1024)];
        Some(UploadedFile {
            name: name.to_string(),
            size: u64::try_from(bytes.len()).ok()?,
            sniffed_mime: (self.sniff)(head),
        })
    }

    fn stored(&self, id: Uuid) -> Option<&StoredFile> {
        self.stored.get(&id)
    }
}

/// One element of a file answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FileEntry<'a> {
    /// Something the server returned earlier (`stored_file_id` and no `content`): saved
    /// as the stored file it names, if that is a file of this question.
    Processed(&'a Value),
    /// A new upload `{"name": …, "content": "<base64>"}`: to decode, sniff and store.
    New {
        /// The `name` value as sent (normally a string).
        name: &'a Value,
        /// The base64 content.
        content: &'a str,
    },
    /// Not a valid file object (not an object, a missing key, empty or non-string content).
    Invalid,
}

/// Classifies one file object.
pub fn classify_file(value: &Value) -> FileEntry<'_> {
    let Value::Object(map) = value else {
        return FileEntry::Invalid;
    };
    if map.contains_key("stored_file_id") && !map.contains_key("content") {
        return FileEntry::Processed(value);
    }
    match (map.get("name"), map.get("content")) {
        (Some(name), Some(Value::String(content))) if !content.is_empty() => FileEntry::New { name, content },
        _ => FileEntry::Invalid,
    }
}

/// The file objects of a `file` (one object) or `multiple_files` (a list) answer, in
/// order; `None` for other question types or a value of the wrong shape.
pub fn file_entries(question_type: QuestionType, answer_data: &Value) -> Option<Vec<FileEntry<'_>>> {
    match (question_type, answer_data) {
        (QuestionType::File, Value::Object(_)) => Some(vec![classify_file(answer_data)]),
        (QuestionType::MultipleFiles, Value::Array(items)) => Some(items.iter().map(classify_file).collect()),
        _ => None,
    }
}

/// The object stored in place of a new upload once saved (spec §3.3):
/// `{"name", "size", "mime_type", "stored_file_id"}`, the id as 32 hex digits.
pub fn stored_file_json(name: &Value, size: u64, mime_type: &str, stored_file_id: Uuid) -> Value {
    json!({
        "name": name,
        "size": size,
        "mime_type": mime_type,
        "stored_file_id": stored_file_id.simple().to_string(),
    })
}

/// The extension as upstream computes it: from the last `.`, lowercased, dot included;
/// `""` when the name has no dot.
fn extension(name: &str) -> String {
    match name.rfind('.') {
        Some(i) => name[i..].to_lowercase(),
        None => String::new(),
    }
}

/// Whether a decoded upload passes the question's extension, MIME and size limits.
pub fn check_uploaded_file(question: &Question, file: &UploadedFile) -> bool {
    if !question.allowed_file_types.is_empty() {
        let ext = extension(&file.name);
        if !question.allowed_file_types.iter().any(|allowed| allowed.to_lowercase() == ext) {
            return false;
        }
    }
    if !question.allowed_mime_types.is_empty() {
        let mime = file.sniffed_mime.as_deref().unwrap_or("application/octet-stream");
        let category = mime.split('/').next().unwrap_or(mime);
        let allowed = question.allowed_mime_types.iter().any(|allowed| {
            allowed == mime || (allowed.ends_with("/*") && allowed.starts_with(&format!("{category}/")))
        });
        if !allowed {
            return false;
        }
    }
    // Python `if self.max_file_size_mb:` — 0 means no limit.
    if let Some(limit_mb) = question.max_file_size_mb.filter(|mb| *mb != 0) {
        let limit = i128::from(limit_mb) * 1024 * 1024;
        if i128::from(file.size) > limit {
            return false;
        }
    }
    true
}

/// The id a processed entry names: its `stored_file_id` as a string in any form Python's
/// `uuid.UUID` reads (we send 32 hex digits).
pub fn stored_file_id(entry: &Value) -> Option<Uuid> {
    entry.get("stored_file_id").and_then(Value::as_str).and_then(parse_py_uuid)
}

/// The stored file a processed entry names, if it was stored for this completion (the
/// inspector knows only those) and for this question.
pub fn processed_file<'a>(
    question: &Question,
    entry: &Value,
    inspector: &'a dyn FileInspector,
) -> Option<&'a StoredFile> {
    stored_file_id(entry).and_then(|id| inspector.stored(id)).filter(|file| file.question == question.uuid)
}

/// The `stored_file_id` of the first processed entry of a file answer that does not name a
/// file stored for this completion and this question (another completion's, another
/// question's, or none at all); `None` when every processed entry is one of its files.
pub fn foreign_stored_file<'v>(
    question: &Question,
    answer_data: &'v Value,
    inspector: &dyn FileInspector,
) -> Option<&'v Value> {
    let entries = file_entries(question.question_type, answer_data)?;
    entries.into_iter().find_map(|entry| match entry {
        FileEntry::Processed(value) if processed_file(question, value, inspector).is_none() => {
            value.get("stored_file_id")
        }
        _ => None,
    })
}

/// Validates a `file` / `multiple_files` answer: shape, file count (new and processed
/// entries together), and each file's limits: a new upload's content as decoded and
/// sniffed, a processed entry's as its stored row says (it must be a file of this question).
pub fn is_valid_file_answer(question: &Question, answer_data: &Value, inspector: &dyn FileInspector) -> bool {
    let Some(entries) = file_entries(question.question_type, answer_data) else {
        return false;
    };
    // Python `if self.max_files_count and len(files) > …` — 0 means no limit.
    if question.question_type == QuestionType::MultipleFiles {
        if let Some(limit) = question.max_files_count.filter(|n| *n != 0) {
            if i128::try_from(entries.len()).unwrap_or(i128::MAX) > i128::from(limit) {
                return false;
            }
        }
    }
    entries.iter().all(|entry| match entry {
        FileEntry::Processed(entry) => processed_file(question, entry, inspector)
            .is_some_and(|file| check_uploaded_file(question, &file.as_uploaded())),
        FileEntry::Invalid => false,
        FileEntry::New { name, content } => {
            let name_str = match name {
                Value::String(s) => s.as_str(),
                // A non-string name only fails when extensions are restricted
                // (upstream's `"." in name` raises then).
                _ if !question.allowed_file_types.is_empty() => return false,
                _ => "",
            };
            inspector.inspect(name_str, content).is_some_and(|file| check_uploaded_file(question, &file))
        }
    })
}

fn base64_value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Python 3.11's `base64.b64decode(s, validate=True)` (binascii strict mode): only the
/// standard alphabet; no leading `=`; once padding has started only `=` may follow,
/// and nothing after the padding that completes a group; the data must not end in a
/// partial group (`"QQ=="` is fine, `"QQ"`, `"QQ="` and `"Q"` are not). Padding after a
/// complete group is ignored (`"QUJD==="` decodes), as Python does. `None` where
/// Python raises `binascii.Error`.
pub fn decode_base64_strict(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    if bytes.first() == Some(&b'=') {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 2);
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut quad_pos = 0;
    let mut pads = 0;
    let mut padding_started = false;
    for (i, &c) in bytes.iter().enumerate() {
        if c == b'=' {
            padding_started = true;
            if quad_pos >= 2 {
                pads += 1;
                if quad_pos + pads >= 4 {
                    // The group is complete: anything after it is an error.
                    return (i + 1 == bytes.len()).then_some(out);
                }
            }
            continue;
        }
        let value = base64_value(c)?;
        if padding_started {
            return None;
        }
        pads = 0;
        acc = (acc << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
        quad_pos = (quad_pos + 1) % 4;
    }
    (quad_pos == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF_B64: &str = "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK";
    const TEXT_B64: &str = "SGVsbG8sIHRoaXMgaXMgcGxhaW4gdGV4dC4K";

    /// A tiny stand-in for libmagic: PDF magic, ZIP (docx), otherwise UTF-8 text.
    fn sniff(head: &[u8]) -> Option<String> {
        if head.starts_with(b"%PDF-") {
            Some("application/pdf".into())
        } else if head.starts_with(b"PK\x03\x04") {
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document".into())
        } else if std::str::from_utf8(head).is_ok() {
            Some("text/plain".into())
        } else {
            None
        }
    }

    /// The file stored for question 7 (`file_question`) that `processed` names.
    const STORED: u128 = 0x0123456789abcdef0123456789abcdef;
    /// A 3 MiB PDF stored for question 7, and one stored for question 8.
    const STORED_BIG: u128 = 0xb16;
    const STORED_ELSEWHERE: u128 = 0xe15e;

    fn stored(question: u128, name: &str, size: u64, mime_type: &str) -> StoredFile {
        StoredFile { question: Uuid::from_u128(question), name: name.into(), size, mime_type: mime_type.into() }
    }

    fn inspector() -> impl FileInspector {
        Base64Files::new(sniff).with_stored(HashMap::from([
            (Uuid::from_u128(STORED), stored(7, "old.pdf", 10, "application/pdf")),
            (Uuid::from_u128(STORED_BIG), stored(7, "big.pdf", 3 * 1024 * 1024, "application/pdf")),
            (Uuid::from_u128(STORED_ELSEWHERE), stored(8, "other.pdf", 10, "application/pdf")),
        ]))
    }

    fn processed(id: u128) -> Value {
        json!({"name": "x.pdf", "size": 1, "mime_type": "application/pdf", "stored_file_id": Uuid::from_u128(id).simple().to_string()})
    }

    fn file_question(ty: QuestionType) -> Question {
        let mut q = Question::new(Uuid::from_u128(7), "Upload", ty);
        q.allowed_file_types = vec![".pdf".into(), ".DOCX".into()];
        q.allowed_mime_types = vec![
            "application/pdf".into(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document".into(),
        ];
        q.max_file_size_mb = Some(10);
        q
    }

    fn upload(name: &str, content: &str) -> Value {
        json!({"name": name, "content": content})
    }

    #[test]
    fn strict_base64_matches_python_validate_true() {
        let table: Vec<(&str, Option<&[u8]>)> = vec![
            ("QUJD", Some(b"ABC")),
            ("QUI=", Some(b"AB")),
            ("QQ==", Some(b"A")),
            ("QUJD=", Some(b"ABC")),
            ("", Some(b"")),
            ("QQ", None),
            ("QQ=", None),
            ("Q", None),
            ("QUJD===", Some(b"ABC")),
            ("QUJD==", Some(b"ABC")),
            ("=", None),
            ("==", None),
            ("QQ===", None),
            ("QQ==Q", None),
            ("QUJD=QQ==", None),
            ("Q===", None),
            ("QR==", Some(b"A")),
            ("QU JD", None),
            ("QUJD\n", None),
            ("QU=JD", None),
            ("QU-_", None),
            ("not base64!", None),
        ];
        for (s, expected) in table {
            assert_eq!(decode_base64_strict(s).as_deref(), expected, "{s:?}");
        }
    }

    #[test]
    fn file_objects_are_classified() {
        let processed = json!({"name": "a.pdf", "size": 3, "mime_type": "application/pdf", "stored_file_id": "ab"});
        let with_both = json!({"stored_file_id": "ab", "name": "a.pdf", "content": TEXT_B64});
        assert_eq!(classify_file(&processed), FileEntry::Processed(&processed));
        assert!(matches!(classify_file(&with_both), FileEntry::New { .. }));
        let invalid = vec![
            json!({"name": "a.pdf"}),
            json!({"content": PDF_B64}),
            json!({"name": "a.pdf", "content": ""}),
            json!({"name": "a.pdf", "content": 5}),
            json!("a.pdf"),
        ];
        for v in invalid {
            assert_eq!(classify_file(&v), FileEntry::Invalid, "{v}");
        }
    }

    #[test]
    fn file_answers_are_checked_against_the_question_limits() {
        // §11.5 #47
        let single = file_question(QuestionType::File);
        let mut multi = file_question(QuestionType::MultipleFiles);
        multi.max_files_count = Some(2);
        let mut tiny = file_question(QuestionType::File);
        tiny.max_file_size_mb = Some(1);
        tiny.allowed_file_types.clear();
        tiny.allowed_mime_types.clear();
        let mut text_wildcard = Question::new(Uuid::from_u128(8), "Notes", QuestionType::File);
        text_wildcard.allowed_mime_types = vec!["text/*".into()];
        let big = {
            // 2 MiB of 'A' bytes, base64 of 3 bytes "AAA" is "QUFB".
            "QUFB".repeat(2 * 1024 * 1024 / 3 + 1)
        };
        let processed = json!({"name": "old.pdf", "size": 10, "mime_type": "application/pdf", "stored_file_id": "0123456789abcdef0123456789abcdef"});
        let table: Vec<(&str, &Question, Value, bool)> = vec![
            ("pdf upload", &single, upload("report.pdf", PDF_B64), true),
            ("upper-case extension", &single, upload("REPORT.PDF", PDF_B64), true),
            ("text renamed to .pdf", &single, upload("fake.pdf", TEXT_B64), false),
            ("wrong extension", &single, upload("report.txt", PDF_B64), false),
            ("no extension", &single, upload("report", PDF_B64), false),
            ("invalid base64", &single, upload("report.pdf", "not base64!"), false),
            ("missing content", &single, json!({"name": "report.pdf"}), false),
            ("missing name", &single, json!({"content": PDF_B64}), false),
            ("list for a single file", &single, json!([upload("report.pdf", PDF_B64)]), false),
            ("processed file", &single, processed.clone(), true),
            ("two files within count", &multi, json!([upload("a.pdf", PDF_B64), upload("b.pdf", PDF_B64)]), true),
            (
                "three files over count 2",
                &multi,
                json!([upload("a.pdf", PDF_B64), upload("b.pdf", PDF_B64), upload("c.pdf", PDF_B64)]),
                false,
            ),
            ("mix of processed and new", &multi, json!([processed.clone(), upload("b.pdf", PDF_B64)]), true),
            ("all processed", &multi, json!([processed.clone(), processed.clone()]), true),
            ("empty list", &multi, json!([]), true),
            ("object for multiple files", &multi, upload("a.pdf", PDF_B64), false),
            ("non-object element", &multi, json!(["a.pdf"]), false),
            ("2 MiB over a 1 MiB limit", &tiny, upload("big.bin", &big), false),
            ("small under a 1 MiB limit", &tiny, upload("small.bin", TEXT_B64), true),
            ("text/* wildcard with text", &text_wildcard, upload("notes.txt", TEXT_B64), true),
            ("text/* wildcard with pdf", &text_wildcard, upload("notes.pdf", PDF_B64), false),
            ("content that decodes to nothing", &text_wildcard, upload("e.txt", "=="), false),
        ];
        for (case, question, answer, expected) in table {
            assert_eq!(is_valid_file_answer(question, &answer, &inspector()), expected, "{case}");
        }
    }

    #[test]
    fn processed_entries_must_name_a_stored_file_of_the_question_within_its_limits() {
        let single = file_question(QuestionType::File);
        let mut small = file_question(QuestionType::File);
        small.max_file_size_mb = Some(2);
        let mut txt_only = file_question(QuestionType::File);
        txt_only.allowed_file_types = vec![".txt".into()];
        txt_only.allowed_mime_types.clear();
        let mut two = file_question(QuestionType::MultipleFiles);
        two.max_files_count = Some(2);
        let table: Vec<(&str, &Question, Value, bool)> = vec![
            ("a file of this question", &single, processed(STORED), true),
            ("hyphenated id", &single, json!({"stored_file_id": Uuid::from_u128(STORED).to_string()}), true),
            ("another question's file", &single, processed(STORED_ELSEWHERE), false),
            ("an unknown id", &single, processed(0xdead), false),
            ("an id that is no uuid", &single, json!({"stored_file_id": "x"}), false),
            ("an id that is no string", &single, json!({"stored_file_id": 5}), false),
            ("stored size over the limit", &small, processed(STORED_BIG), false),
            ("stored name of a type no longer allowed", &txt_only, processed(STORED), false),
            ("two processed within count", &two, json!([processed(STORED), processed(STORED_BIG)]), true),
            (
                "processed and new over count",
                &two,
                json!([processed(STORED), processed(STORED_BIG), upload("c.pdf", PDF_B64)]),
                false,
            ),
        ];
        for (case, question, answer, expected) in table {
            assert_eq!(is_valid_file_answer(question, &answer, &inspector()), expected, "{case}");
        }
    }

    #[test]
    fn the_first_foreign_stored_file_is_named() {
        let multi = file_question(QuestionType::MultipleFiles);
        let inspector = inspector();
        let elsewhere = processed(STORED_ELSEWHERE);
        let answer = json!([processed(STORED), upload("a.pdf", PDF_B64), elsewhere, processed(0xdead)]);
        assert_eq!(foreign_stored_file(&multi, &answer, &inspector), Some(&elsewhere["stored_file_id"]));
        let mine = json!([processed(STORED), upload("a.pdf", PDF_B64)]);
        assert_eq!(foreign_stored_file(&multi, &mine, &inspector), None);
        // Not a file answer at all: nothing to name (the type check rejects it).
        assert_eq!(foreign_stored_file(&multi, &json!("x"), &inspector), None);
    }

    #[test]
    fn non_string_name_only_fails_when_extensions_are_restricted() {
        let restricted = file_question(QuestionType::File);
        let open = Question::new(Uuid::from_u128(9), "Any", QuestionType::File);
        let answer = json!({"name": 5, "content": TEXT_B64});
        assert!(!is_valid_file_answer(&restricted, &answer, &inspector()));
        assert!(is_valid_file_answer(&open, &answer, &inspector()));
    }

    #[test]
    fn zero_limits_mean_no_limit() {
        let mut q = Question::new(Uuid::from_u128(10), "Files", QuestionType::MultipleFiles);
        q.max_files_count = Some(0);
        q.max_file_size_mb = Some(0);
        let answer = json!([upload("a", TEXT_B64), upload("b", TEXT_B64), upload("c", TEXT_B64)]);
        assert!(is_valid_file_answer(&q, &answer, &inspector()));
    }

    #[test]
    fn stored_file_object_has_the_spec_keys() {
        let id = Uuid::from_u128(0xabc);
        let v = stored_file_json(&json!("a.pdf"), 12, "application/pdf", id);
        assert_eq!(
            v,
            json!({"name": "a.pdf", "size": 12, "mime_type": "application/pdf", "stored_file_id": "00000000000000000000000000000abc"})
        );
    }
}
