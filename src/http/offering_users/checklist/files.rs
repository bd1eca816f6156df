//! File answers on the way in: MIME sniffing for validation, and replacing each new upload
//! by the stored-file object once its bytes are in PostgreSQL (checklists.md §3.3,
//! decisions.md 22).

use serde_json::Value;
use sqlx::PgConnection;

use crate::domain::checklist::{
    classify_file, decode_base64_strict, stored_file_json, Base64Files, FileEntry, QuestionType,
};

/// How many leading bytes the sniffer looks at, as upstream's `magic.from_buffer(f.read(1024))`.
const SNIFF_BYTES: usize = 1024;

/// libmagic's answer for data it does not recognise.
const UNKNOWN_MIME: &str = "application/octet-stream";

/// The MIME type of content from its first bytes: the `infer` crate's magic numbers, and
/// `text/plain` for text (which has no magic number; libmagic says `text/plain` for it, and
/// questions allow `text/*`). `None` when nothing matched.
pub fn sniff_mime(head: &[u8]) -> Option<String> {
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
pub type Sniffer = fn(&[u8]) -> Option<String>;

/// The inspector validation uses: strict base64, then [`sniff_mime`] on the first 1024 bytes.
pub fn inspector() -> Base64Files<Sniffer> {
    Base64Files(sniff_mime as Sniffer)
}

/// An upload to store: its name, sniffed type and bytes.
pub struct Upload {
    pub name: String,
    pub mime_type: String,
    pub content: Vec<u8>,
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

/// Stores every new upload of a validated `file` / `multiple_files` answer and returns the
/// answer to save: each upload replaced by `{"name", "size", "mime_type", "stored_file_id"}`,
/// processed entries kept unchanged. Other question types pass through.
pub async fn store_uploads(
    conn: &mut PgConnection,
    completion_id: i64,
    user_id: i64,
    question_type: QuestionType,
    answer_data: Value,
) -> sqlx::Result<Value> {
    match (question_type, answer_data) {
        (QuestionType::File, data @ Value::Object(_)) => store_one(conn, completion_id, user_id, data).await,
        (QuestionType::MultipleFiles, Value::Array(items)) => {
            let mut stored = Vec::with_capacity(items.len());
            for item in items {
                stored.push(store_one(conn, completion_id, user_id, item).await?);
            }
            Ok(Value::Array(stored))
        }
        (_, other) => Ok(other),
    }
}

async fn store_one(conn: &mut PgConnection, completion_id: i64, user_id: i64, entry: Value) -> sqlx::Result<Value> {
    let FileEntry::New { name, content } = classify_file(&entry) else {
        return Ok(entry);
    };
    // Validation has accepted this entry, so the content decodes.
    let Some(file) = upload(name, content) else {
        return Ok(entry);
    };
    let stored_id =
        crate::store::checklists::store_file(conn, completion_id, user_id, &file.name, &file.mime_type, &file.content)
            .await?;
    let size = u64::try_from(file.content.len()).unwrap_or(u64::MAX);
    Ok(stored_file_json(name, size, &file.mime_type, stored_id))
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
