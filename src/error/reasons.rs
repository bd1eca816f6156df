//! The closed sets a failed response carries as extensions, for the metrics and the outage
//! monitor: why a request was answered 503, what a database error was, why a token failed.

/// Why a request is answered 503; each has its own message and `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// PostgreSQL cannot be reached (or refused the connection).
    Database,
    /// More requests are in progress than the server takes on.
    Overloaded,
    /// The request took longer than the request timeout.
    Timeout,
    /// PostgreSQL cancelled a statement past `statement_timeout`, or ended a transaction left
    /// idle too long: to the client, the same as [`Unavailable::Timeout`].
    DatabaseTimeout,
    /// The node refuses writes (25006: a standby or demoted primary): to the client, the same
    /// as [`Unavailable::Database`].
    DatabaseReadOnly,
    /// No pool connection came free within the acquire timeout: to the client, the same as
    /// [`Unavailable::Overloaded`]; the database is not suspected.
    PoolBusy,
    /// PostgreSQL had no connection slot left (53300): overloaded too, not an outage.
    TooManyConnections,
    /// PostgreSQL rolled the transaction back to break a deadlock or for a serialization
    /// failure. The request is replayed (`http::retry`); a client sees this only when the
    /// replays failed too, or the request could not be replayed.
    Conflict,
}

impl Unavailable {
    /// The `detail` of the 503 body.
    pub fn message(self) -> &'static str {
        match self {
            Unavailable::Database | Unavailable::DatabaseReadOnly => "The database is unavailable. Try again later.",
            Unavailable::Overloaded | Unavailable::PoolBusy | Unavailable::TooManyConnections => {
                "The server is busy. Try again later."
            }
            Unavailable::Timeout | Unavailable::DatabaseTimeout => {
                "The request took too long and was cancelled; nothing was saved. Try again later."
            }
            Unavailable::Conflict => {
                "The request met a concurrent change and was rolled back; nothing was saved. Try again."
            }
        }
    }

    /// Seconds a client should wait before trying again.
    pub fn retry_after(self) -> u32 {
        match self {
            Unavailable::Database | Unavailable::DatabaseReadOnly => 5,
            Unavailable::Overloaded
            | Unavailable::PoolBusy
            | Unavailable::TooManyConnections
            | Unavailable::Timeout
            | Unavailable::DatabaseTimeout
            | Unavailable::Conflict => 1,
        }
    }

    /// The label of the 503 in metrics.
    pub fn label(self) -> &'static str {
        match self {
            Unavailable::Database | Unavailable::DatabaseReadOnly => "database",
            Unavailable::Overloaded | Unavailable::PoolBusy | Unavailable::TooManyConnections => "overloaded",
            Unavailable::Timeout | Unavailable::DatabaseTimeout => "timeout",
            Unavailable::Conflict => "conflict",
        }
    }
}

/// What a response says about the database error behind it (a response extension), for the
/// outage monitor (`Unreachable` makes it look at once instead of at its next tick) and the
/// metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseErrorKind {
    Unreachable,
    Timeout,
    Other,
    /// 25006: the node refuses writes.
    ReadOnly,
    /// The pool had no free connection in time.
    PoolTimeout,
    /// 53300: PostgreSQL had no connection slot left.
    TooManyConnections,
}

impl DatabaseErrorKind {
    /// The label in metrics.
    pub fn label(self) -> &'static str {
        match self {
            DatabaseErrorKind::Unreachable => "unreachable",
            DatabaseErrorKind::Timeout => "timeout",
            DatabaseErrorKind::Other => "other",
            DatabaseErrorKind::ReadOnly => "read_only",
            DatabaseErrorKind::PoolTimeout => "pool_timeout",
            DatabaseErrorKind::TooManyConnections => "too_many_connections",
        }
    }

    /// Whether the monitor should probe at once: the database may be gone or read-only.
    /// A busy pool or a full server is load, not an outage.
    pub fn suspects_the_database(self) -> bool {
        matches!(self, DatabaseErrorKind::Unreachable | DatabaseErrorKind::ReadOnly)
    }
}

/// Why authentication failed (a response extension), for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthFailure(pub &'static str);
