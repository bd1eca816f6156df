//! Replaying a request whose transaction PostgreSQL rolled back for a deadlock (40P01) or a
//! serialization failure (40001).
//!
//! Such a failure is nobody's fault: two transactions wanted each other's rows (an import and an
//! agent's PATCH, say) and PostgreSQL cancelled one of them, whole, before it committed. Every
//! write handler runs one transaction (or one statement) and answers from it, so running the
//! request again from the start is exactly what the client would do, and answers what it should
//! have answered. This middleware does it, inside the guard (`guard`): the replays share the
//! request's timeout and its commit gate, so a request answered 503 still never commits.
//!
//! A request can be replayed when its body is at hand again: the body is recorded as the
//! handler reads it (copied into one buffer: a chunk kept as it came would pin the whole read
//! buffer it was cut from, and a body sent a byte at a time would cost kilobytes per byte), so
//! a replay reads the same bytes, and
//! whatever the first run had not read yet is still read from the client. Nothing is read ahead
//! of the handler: the order of the answers (401, 404, 403, 413 before a body is read) stays as
//! it is. A body over `Settings::max_body_size` (`submit_answers` uploads, read within their own
//! budget) is not recorded past that size; were it to meet a conflict, its client gets the 503
//! of [`Unavailable::Conflict`], which says to try again, never a 500.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::Frame;

use super::AppState;
use crate::error::Unavailable;

/// Runs of a request, the first included, before its conflict is answered.
pub(super) const ATTEMPTS: u32 = 5;

/// Middleware: replays a request answered with [`Unavailable::Conflict`], up to [`ATTEMPTS`]
/// runs, after a short randomised pause that grows with each run (so that the two sides of a
/// deadlock do not meet again in step).
pub(super) async fn replay_conflicts(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // A read writes nothing a conflict could roll back (a token's sliding refresh that fails is
    // let go, `store::auth`), so it goes straight on: no copy of its parts, no recorded body.
    if request.method().is_safe() {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let tape = Tape::new(body, state.settings.max_body_size);
    let mut attempt = 1;
    loop {
        let response = next.clone().run(Request::from_parts(parts.clone(), tape.play())).await;
        let conflict = response.extensions().get::<Unavailable>() == Some(&Unavailable::Conflict);
        if !conflict || attempt == ATTEMPTS || !tape.replayable() {
            return response;
        }
        tracing::info!(attempt, "a deadlock or serialization failure rolled the request back; running it again");
        tokio::time::sleep(pause(attempt)).await;
        attempt += 1;
    }
}

/// The pause before run `attempt + 1`: between 1 and 2 times 5 ms · 2^(attempt − 1).
fn pause(attempt: u32) -> Duration {
    let base = 5u64 << attempt.saturating_sub(1).min(6);
    let jitter = (uuid::Uuid::new_v4().as_u128() % u128::from(base)) as u64;
    Duration::from_millis(base + jitter)
}

/// A request body and what of it has been read so far, shared by every run of the request.
#[derive(Clone)]
struct Tape(Arc<Mutex<Recorded>>);

struct Recorded {
    /// The client's body, read on as the runs need more of it.
    rest: Body,
    /// Its data read so far (while `replayable`).
    data: Vec<u8>,
    /// Recorded bytes at most; past them the body cannot be replayed.
    limit: usize,
    /// `rest` has ended.
    ended: bool,
    /// Everything read so far is in `data`: no error, nothing past `limit`.
    replayable: bool,
}

impl Tape {
    fn new(body: Body, limit: usize) -> Tape {
        let recorded = Recorded { rest: body, data: Vec::new(), limit, ended: false, replayable: true };
        Tape(Arc::new(Mutex::new(recorded)))
    }

    /// The body for one run: what was read so far, then the rest as it arrives.
    fn play(&self) -> Body {
        Body::new(Playing { tape: self.clone(), given: 0, live: false })
    }

    /// Whether another run would read the same body.
    fn replayable(&self) -> bool {
        self.0.lock().map(|r| r.replayable).unwrap_or(false)
    }
}

/// One run's reading of a [`Tape`].
struct Playing {
    tape: Tape,
    /// Bytes of the recording this run has been given.
    given: usize,
    /// This run has read from the client's body itself.
    live: bool,
}

impl HttpBody for Playing {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let tape = self.tape.clone();
        let Ok(mut recorded) = tape.0.lock() else {
            return Poll::Ready(Some(Err(axum::Error::new("the request body's recording is unusable"))));
        };
        if self.given < recorded.data.len() {
            let chunk = Bytes::copy_from_slice(&recorded.data[self.given..]);
            self.given = recorded.data.len();
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        if recorded.ended {
            return Poll::Ready(None);
        }
        // Past the recording, only the run that went past it may read on (a replay would miss
        // the chunks that were not recorded; the middleware starts none).
        if !recorded.replayable && !self.live {
            return Poll::Ready(Some(Err(axum::Error::new("the request body cannot be read again"))));
        }
        self.live = true;
        let polled = Pin::new(&mut recorded.rest).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(chunk) = frame.data_ref() {
                    if recorded.replayable && recorded.data.len() + chunk.len() <= recorded.limit {
                        recorded.data.extend_from_slice(chunk);
                        self.given = recorded.data.len();
                    } else {
                        recorded.replayable = false;
                        recorded.data = Vec::new();
                    }
                }
            }
            Poll::Ready(Some(Err(_))) => recorded.replayable = false,
            Poll::Ready(None) => recorded.ended = true,
            Poll::Pending => {}
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    #[test]
    fn pauses_grow_and_stay_within_twice_their_base() {
        for attempt in 1..ATTEMPTS {
            let base = 5u64 << (attempt - 1);
            let pause = pause(attempt).as_millis() as u64;
            assert!((base..2 * base).contains(&pause), "attempt {attempt}: {pause} ms");
        }
    }

    fn chunked(n: usize) -> Body {
        let chunks: Vec<Result<Bytes, std::io::Error>> =
            (0..n).map(|i| Ok(Bytes::from(format!("chunk{i}-")))).collect();
        Body::from_stream(futures::stream::iter(chunks))
    }

    #[tokio::test]
    async fn every_run_reads_the_whole_body_whatever_the_first_one_read() {
        let tape = Tape::new(chunked(3), 1024);
        // The first run reads one chunk only, then gives up (as a handler that failed early).
        let mut first = tape.play();
        let frame = first.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap(), "chunk0-");
        drop(first);
        assert!(tape.replayable());
        let all = tape.play().collect().await.unwrap().to_bytes();
        assert_eq!(&all[..], b"chunk0-chunk1-chunk2-");
        let again = tape.play().collect().await.unwrap().to_bytes();
        assert_eq!(&again[..], b"chunk0-chunk1-chunk2-");
    }

    #[tokio::test]
    async fn a_body_past_the_limit_is_read_once_intact_and_not_replayed() {
        let tape = Tape::new(chunked(5), 10);
        let all = tape.play().collect().await.unwrap().to_bytes();
        assert_eq!(&all[..], b"chunk0-chunk1-chunk2-chunk3-chunk4-");
        assert!(!tape.replayable());
    }
}
