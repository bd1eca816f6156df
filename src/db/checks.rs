//! The checks the API pool runs on a connection it hands out or takes back (`pool`), and the
//! replacement of one that does not answer.
//!
//! A connection that does not answer is never left to sqlx to close. sqlx closes a connection
//! its pool discards (a check's error or `Ok(false)`, its own failed ping, its idle reaper)
//! with an awaited shutdown of its stream, and over TLS (rustls) that shutdown first flushes,
//! which, with nothing left to send, waits until the socket has something to read: a frozen
//! connection never has, so the close never ends, and the connection's pool slot stays taken
//! meanwhile. So a connection that did not answer is taken away from sqlx here, replaced in
//! place by a new one, and dropped, which closes its socket without waiting on the peer.
//!
//! Connections freeze together (a vanished host, a moved virtual IP): once one did not
//! answer, those idle since before are replaced when next handed out, without a ping that
//! would keep a request waiting on each of them in turn.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

/// A live connection answers a ping in well under a millisecond; this leaves room for a
/// loaded machine's scheduling delay, and no more.
pub(super) const PING_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a replacement may take to open. A new connection (TCP, TLS, startup) takes a few
/// milliseconds; the rest is room for a loaded machine, and a request waiting on it still has
/// most of its acquire timeout left.
pub(super) const REPLACE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the checks share: how to make a replacement, and when a connection last did not answer.
#[derive(Debug)]
pub(super) struct Checks {
    connect: PgConnectOptions,
    /// When the last ping that got no answer was sent.
    last_unanswered: Mutex<Option<Instant>>,
}

/// Why a connection could not be kept.
#[derive(Debug)]
pub(super) enum Unanswered {
    /// The ping failed: the peer closed or reset the connection, or answered with an error.
    /// sqlx's close of it ends at once, the socket having something to read.
    Broken(sqlx::Error),
    /// It did not answer (or was idle alongside one that did not), and no replacement opened
    /// in time. sqlx's close of it may wait for ever.
    Frozen(sqlx::Error),
}

impl Unanswered {
    pub(super) fn into_error(self) -> sqlx::Error {
        match self {
            Unanswered::Broken(e) | Unanswered::Frozen(e) => e,
        }
    }
}

impl Checks {
    /// Checks whose replacements are made with `connect`, the options of the pool's own
    /// connections.
    pub(super) fn new(connect: PgConnectOptions) -> Checks {
        Checks { connect, last_unanswered: Mutex::new(None) }
    }

    /// The connection has been idle `idle_for`, since before a connection last did not answer.
    pub(super) fn idle_since_a_freeze(&self, idle_for: Duration) -> bool {
        let last = *self.last_unanswered.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        last.is_some_and(|sent| sent.elapsed() < idle_for)
    }

    /// Keeps `conn` if it answers a ping within [`PING_TIMEOUT`]; otherwise [`Checks::replace`]s it.
    pub(super) async fn live_or_replaced(&self, conn: &mut PgConnection) -> Result<(), Unanswered> {
        let sent = Instant::now();
        match tokio::time::timeout(PING_TIMEOUT, conn.ping()).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => return Err(Unanswered::Broken(e)),
            Err(_) => {}
        }
        self.unanswered(sent);
        tracing::debug!("a pooled connection did not answer a ping in time; replacing it");
        self.replace(conn).await
    }

    /// Notes that a ping sent at `sent` got no answer.
    fn unanswered(&self, sent: Instant) {
        let mut last = self.last_unanswered.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *last = Some(last.map_or(sent, |earlier| earlier.max(sent)));
    }

    /// Puts a new connection in the place of `conn`, within [`REPLACE_TIMEOUT`], and drops the
    /// old one without a word to its peer (see the module's header).
    pub(super) async fn replace(&self, conn: &mut PgConnection) -> Result<(), Unanswered> {
        let fresh = match tokio::time::timeout(REPLACE_TIMEOUT, PgConnection::connect_with(&self.connect)).await {
            Ok(Ok(fresh)) => fresh,
            Ok(Err(e)) => return Err(Unanswered::Frozen(e)),
            Err(_) => {
                return Err(Unanswered::Frozen(sqlx::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "a pooled connection did not answer, and no replacement opened in time",
                ))))
            }
        };
        drop(std::mem::replace(conn, fresh));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_connections_idle_since_before_the_last_unanswered_ping_are_suspect() {
        let checks = Checks::new(PgConnectOptions::new());
        assert!(!checks.idle_since_a_freeze(Duration::from_secs(3600)), "nothing froze yet");

        checks.unanswered(Instant::now() - Duration::from_secs(2));
        assert!(checks.idle_since_a_freeze(Duration::from_secs(3)), "idle before the ping was sent");
        assert!(!checks.idle_since_a_freeze(Duration::from_secs(1)), "came back after it");

        // An older report does not move the mark back.
        checks.unanswered(Instant::now() - Duration::from_secs(10));
        assert!(!checks.idle_since_a_freeze(Duration::from_secs(1)));
        assert!(checks.idle_since_a_freeze(Duration::from_secs(3)));
    }
}
