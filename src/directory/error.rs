//! Why an import wrote nothing: a bad entry named by its JSON path, or the database.

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A bad entry, named by its JSON path.
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// The error for a bad entry at `path` (`offerings[3].customer`).
pub(super) fn invalid(path: impl Into<String>, message: impl Into<String>) -> ImportError {
    ImportError::Invalid { path: path.into(), message: message.into() }
}
