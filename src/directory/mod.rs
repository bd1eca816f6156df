//! The directory document (directory.md): parse, validate, upsert in one transaction.

mod checklists;
mod demo;
mod document;
mod import;

pub use demo::{import_demo, DemoError};
pub use document::Document;
pub use import::{import, import_with_progress, ImportError, ImportSummary, Progress};

/// The bundled demo directory that `serve --demo` imports ([`import_demo`]).
pub const DEMO: &str = include_str!("demo.json");

/// Parses a document; the error names the JSON path of the offending entry.
pub fn parse(text: &str) -> Result<Document, ImportError> {
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        ImportError::Invalid { path, message: e.into_inner().to_string() }
    })
}
