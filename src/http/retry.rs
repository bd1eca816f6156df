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
//! A request can be replayed when its body is held whole: none, or at most
//! `Settings::max_body_size` bytes. A larger body (`submit_answers`, read within its own budget
//! by its handler) is passed on once as it streams in; were it to meet a conflict, its client
//! gets the 503 of [`Unavailable::Conflict`], which says to try again, never a 500.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::Frame;

use super::body::declared_length;
use super::AppState;
use crate::error::{ApiError, Unavailable};

/// Runs of a request, the first included, before its conflict is answered.
pub const ATTEMPTS: u32 = 5;

/// Middleware: replays a request answered with [`Unavailable::Conflict`], up to [`ATTEMPTS`]
/// runs, after a short randomised pause that grows with each run (so that the two sides of a
/// deadlock do not meet again in step).
pub async fn replay_conflicts(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let body = match hold(&parts.headers, body, state.settings.max_body_size).await {
        Held::Whole(bytes) => bytes,
        Held::Streaming(body) => return next.run(Request::from_parts(parts, body)).await,
        Held::Unreadable => {
            return ApiError::Detail("The request body could not be read.".to_owned()).into_response();
        }
    };
    let mut attempt = 1;
    loop {
        let response = next.clone().run(Request::from_parts(parts.clone(), Body::from(body.clone()))).await;
        if response.extensions().get::<Unavailable>() != Some(&Unavailable::Conflict) || attempt == ATTEMPTS {
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

/// A request body, held for replays or passed on.
enum Held {
    /// The whole body.
    Whole(Bytes),
    /// Larger than the replay limit: what was read so far followed by the rest, read by the
    /// handler as it arrives.
    Streaming(Body),
    /// The connection failed while the body was read.
    Unreadable,
}

/// Reads `body` whole if it is at most `limit` bytes. A body that declares a larger length
/// is left unread; one without a length (chunked) is read until it passes the limit.
async fn hold(headers: &HeaderMap, body: Body, limit: usize) -> Held {
    if body.is_end_stream() {
        return Held::Whole(Bytes::new());
    }
    if declared_length(headers).is_some_and(|length| length > limit as u64) {
        return Held::Streaming(body);
    }
    let mut body = body;
    let mut chunks: VecDeque<Bytes> = VecDeque::new();
    let mut held = 0usize;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let Ok(frame) = frame else { return Held::Unreadable };
        let Ok(chunk) = frame.into_data() else { continue };
        held += chunk.len();
        chunks.push_back(chunk);
        if held > limit {
            return Held::Streaming(Body::new(Prefixed { prefix: chunks, rest: body }));
        }
    }
    Held::Whole(chunks.into_iter().flatten().collect())
}

/// A body that yields `prefix` (already read) and then `rest`.
struct Prefixed {
    prefix: VecDeque<Bytes>,
    rest: Body,
}

impl HttpBody for Prefixed {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(chunk) = self.prefix.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
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

    #[tokio::test]
    async fn a_small_body_is_held_whole_and_a_large_one_streams_on_intact() {
        let headers = HeaderMap::new();
        let Held::Whole(small) = hold(&headers, Body::from("abc"), 10).await else { panic!("not held") };
        assert_eq!(&small[..], b"abc");

        let chunks: Vec<Result<Bytes, std::io::Error>> =
            (0..5).map(|i| Ok(Bytes::from(format!("chunk{i}-")))).collect();
        let large = Body::from_stream(futures::stream::iter(chunks));
        let Held::Streaming(body) = hold(&headers, large, 10).await else { panic!("held") };
        let all = body.collect().await.unwrap().to_bytes();
        assert_eq!(&all[..], b"chunk0-chunk1-chunk2-chunk3-chunk4-");
    }
}
