//! What a database error means for the server: an outage, a lack of capacity, a timeout, or
//! a failed statement. The answer decides the response (`error::ApiError`), whether the
//! outage monitor looks at once, and the `db_errors_total` kind.

/// The meaning of a database error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// PostgreSQL cannot be reached, or cannot serve: the connection broke or was refused,
    /// the server is shutting down or starting up (57P01, 57P02, 57P03).
    Unreachable,
    /// The node refuses writes (25006): a standby, a demoted primary still behind the same
    /// name, or `default_transaction_read_only`. To the client, the database is unavailable.
    ReadOnly,
    /// The pool had no connection to give within its acquire timeout: every one is busy.
    /// The database may be perfectly well; the server is loaded.
    PoolBusy,
    /// PostgreSQL refused a new connection for want of slots (53300): loaded, not gone.
    TooManyConnections,
    /// PostgreSQL cancelled a statement past `statement_timeout` (57014) or ended a session
    /// left idle in a transaction (25P03).
    Timeout,
    /// PostgreSQL rolled the transaction back to break a deadlock (40P01) or for a
    /// serialization failure (40001): nothing of it was written, and running it again from
    /// the start may well succeed.
    Conflict,
    /// A statement failed for a reason of its own.
    Other,
}

/// The class of `error`.
pub fn classify(error: &sqlx::Error) -> ErrorClass {
    match error {
        sqlx::Error::PoolTimedOut => ErrorClass::PoolBusy,
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => ErrorClass::Unreachable,
        sqlx::Error::Database(e) => match e.code().as_deref() {
            // Class 08: connection exception.
            Some(code) if code.starts_with("08") => ErrorClass::Unreachable,
            Some("57P01" | "57P02" | "57P03") => ErrorClass::Unreachable,
            Some("25006") => ErrorClass::ReadOnly,
            Some("53300") => ErrorClass::TooManyConnections,
            Some("57014" | "25P03") => ErrorClass::Timeout,
            Some("40P01" | "40001") => ErrorClass::Conflict,
            _ => ErrorClass::Other,
        },
        _ => ErrorClass::Other,
    }
}

/// Whether an error means PostgreSQL cannot serve us (gone, shutting down, starting, or
/// read-only); a busy pool and a full server are not outages.
pub fn is_unreachable(error: &sqlx::Error) -> bool {
    matches!(classify(error), ErrorClass::Unreachable | ErrorClass::ReadOnly)
}

/// Whether PostgreSQL rolled a transaction back for a deadlock or a serialization failure
/// ([`ErrorClass::Conflict`]).
pub fn is_conflict(error: &sqlx::Error) -> bool {
    classify(error) == ErrorClass::Conflict
}

/// Whether an error is PostgreSQL cancelling a statement that ran past `statement_timeout`
/// (57014) or a session left idle in a transaction (25P03): the request took too long.
pub fn is_timeout(error: &sqlx::Error) -> bool {
    classify(error) == ErrorClass::Timeout
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_pool_is_not_an_outage_and_a_broken_connection_is() {
        assert_eq!(classify(&sqlx::Error::PoolTimedOut), ErrorClass::PoolBusy);
        assert!(!is_unreachable(&sqlx::Error::PoolTimedOut));
        let reset = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert_eq!(classify(&reset), ErrorClass::Unreachable);
        assert!(is_unreachable(&sqlx::Error::PoolClosed));
        assert_eq!(classify(&sqlx::Error::RowNotFound), ErrorClass::Other);
    }
}
