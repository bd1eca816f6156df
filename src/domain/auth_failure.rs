//! Why a request is not authenticated: the message DRF answers with and the label the metrics
//! count it under (a fixed set, never the client's text).

/// Why a request's credentials were refused (401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No `Authorization: Token …` header and no `?token=`.
    Missing,
    /// `Authorization: Token` with no key after it.
    NoKey,
    /// `Authorization: Token a b`.
    SpacesInKey,
    /// A key no user holds.
    UnknownKey,
    /// The key's user is inactive.
    Inactive,
    /// The key's lifetime is over.
    Expired,
}

impl AuthFailure {
    /// The `detail` of the 401, as DRF words it.
    pub fn message(self) -> &'static str {
        match self {
            AuthFailure::Missing => "Authentication credentials were not provided.",
            AuthFailure::NoKey => "Invalid token. No credentials provided.",
            AuthFailure::SpacesInKey => "Invalid token. Token string should not contain spaces.",
            AuthFailure::UnknownKey => "Invalid token.",
            AuthFailure::Inactive => "User inactive or deleted.",
            AuthFailure::Expired => "Token has expired.",
        }
    }

    /// The metrics label.
    pub fn label(self) -> &'static str {
        match self {
            AuthFailure::Missing => "missing",
            AuthFailure::NoKey | AuthFailure::SpacesInKey => "malformed",
            AuthFailure::UnknownKey => "invalid",
            AuthFailure::Inactive => "inactive",
            AuthFailure::Expired => "expired",
        }
    }
}

impl std::fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::AuthFailure::*;

    #[test]
    fn each_failure_has_drfs_message_and_its_metrics_label() {
        let table = [
            (Missing, "Authentication credentials were not provided.", "missing"),
            (NoKey, "Invalid token. No credentials provided.", "malformed"),
            (SpacesInKey, "Invalid token. Token string should not contain spaces.", "malformed"),
            (UnknownKey, "Invalid token.", "invalid"),
            (Inactive, "User inactive or deleted.", "inactive"),
            (Expired, "Token has expired.", "expired"),
        ];
        for (failure, message, label) in table {
            assert_eq!((failure.message(), failure.label()), (message, label), "{failure:?}");
        }
    }
}
