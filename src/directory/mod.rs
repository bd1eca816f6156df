//! The directory document (docs/spec/directory.md): parse, validate, upsert in one transaction.

mod demo;
mod document;
mod error;
mod import;
mod summary;
mod validate;

pub use demo::{import_demo, DemoError, DEMO};
pub use document::{parse, Document};
pub use error::ImportError;
pub use import::{import, import_with_progress, Progress};
pub use summary::ImportSummary;
