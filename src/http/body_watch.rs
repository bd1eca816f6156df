//! The request body as the guard hands it to a handler: every read bounded in time, and a
//! record of whether it was read to its end.
//!
//! - **Idle timeout.** Like nginx's `client_body_timeout`, the limit is on the pause between
//!   two reads, not on the whole body: a large upload that keeps arriving is never cut off,
//!   one that stops for longer than `Settings::body_read_timeout` while a handler waits for
//!   it fails with [`BodyReadTimeout`] (answered 408 by `body`). The clock runs only while
//!   someone waits for the body, never while a handler is busy elsewhere.
//! - **End.** A request answered before its body was read to the end (408, 413, a 503 that
//!   cancelled it) leaves bytes on the connection that are not a next request; the guard
//!   closes such a connection ([`BodyEnd::reached`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::BoxError;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::Sleep;

/// The error of a body read that waited longer than the body-read timeout.
#[derive(Debug, thiserror::Error)]
#[error("no part of the request body arrived within the body-read timeout")]
pub(super) struct BodyReadTimeout;

/// Whether a request's body has been read to its end (or had none).
#[derive(Debug, Clone, Default)]
pub(super) struct BodyEnd(Arc<AtomicBool>);

impl BodyEnd {
    /// `true` once the body's last frame was read.
    pub(super) fn reached(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    fn mark(&self) {
        self.0.store(true, Ordering::Release);
    }
}

/// `body`, watched: see the module documentation.
pub(super) fn watch(body: Body, idle_timeout: Duration) -> (Body, BodyEnd) {
    let end = BodyEnd::default();
    if body.is_end_stream() {
        end.mark();
    }
    let watched = Watched { inner: body, idle_timeout, stalled: None, end: end.clone() };
    (Body::new(watched), end)
}

struct Watched {
    inner: Body,
    idle_timeout: Duration,
    /// When the current wait for a frame times out; `None` until a read finds nothing.
    stalled: Option<Pin<Box<Sleep>>>,
    end: BodyEnd,
}

impl HttpBody for Watched {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(None) => {
                this.end.mark();
                Poll::Ready(None)
            }
            Poll::Ready(Some(frame)) => {
                this.stalled = None;
                if this.inner.is_end_stream() {
                    this.end.mark();
                }
                Poll::Ready(Some(frame.map_err(BoxError::from)))
            }
            Poll::Pending => {
                let idle_timeout = this.idle_timeout;
                let stalled = this.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(idle_timeout)));
                match stalled.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(BodyReadTimeout.into()))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Whether a body read failed on the body-read timeout (wherever in the error's chain).
pub(super) fn is_read_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<BodyReadTimeout>() {
            return true;
        }
        cause = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::SinkExt;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn a_body_that_pauses_past_the_timeout_fails_and_one_that_ends_is_marked() {
        let (mut sender, receiver) = futures::channel::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
        let (mut body, end) = watch(Body::from_stream(receiver), Duration::from_millis(50));
        sender.send(Ok(Bytes::from_static(b"ab"))).await.unwrap();
        assert_eq!(body.frame().await.unwrap().unwrap().into_data().unwrap(), "ab");
        let error = body.frame().await.unwrap().unwrap_err();
        assert!(is_read_timeout(&error), "{error}");
        assert!(!end.reached());

        let (mut body, end) = watch(Body::from("whole"), Duration::from_millis(50));
        while body.frame().await.is_some() {}
        assert!(end.reached());
        let (_, end) = watch(Body::empty(), Duration::from_millis(50));
        assert!(end.reached(), "an empty body is read from the start");
    }
}
