//! The directory document (docs/spec/directory.md): parse, validate, upsert in one transaction.

mod demo;
mod document;
mod error;
mod import;
mod posix;
mod profiles;
mod run;
mod summary;
mod tags;
mod validate;

pub use demo::{import_demo, DemoError, DEMO};
pub use document::{parse, Document, UserEntry};
pub use error::ImportError;
pub use import::Progress;
pub use run::{import, import_with, import_with_progress, ImportOptions};
pub use summary::{ImportSummary, Kind};
