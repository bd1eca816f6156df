//! A response body of bytes built into the binary (or built once), sent in frames of
//! [`FRAME_SIZE`] rather than as one.
//!
//! hyper asks a body for its next frame only when its write buffer has room, so a client that
//! reads slowly keeps the body, and what it holds (the public routes' permit: `public`), until
//! the last frame is written; a single frame of the whole 1.7 MB would end the body at once,
//! however long the bytes then wait in hyper's buffer.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Bytes, HttpBody};
use http_body::{Frame, SizeHint};

/// Bytes per frame.
pub(super) const FRAME_SIZE: usize = 64 * 1024;

/// `bytes`, frame by frame.
pub(super) struct StaticBody {
    rest: Bytes,
}

impl StaticBody {
    pub(super) fn new(bytes: impl Into<Bytes>) -> Self {
        StaticBody { rest: bytes.into() }
    }
}

impl HttpBody for StaticBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.rest.is_empty() {
            return Poll::Ready(None);
        }
        let take = self.rest.len().min(FRAME_SIZE);
        Poll::Ready(Some(Ok(Frame::data(self.rest.split_to(take)))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }

    /// Exact, so that the response has a `Content-Length`.
    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.rest.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn the_bytes_come_whole_in_frames_of_at_most_frame_size() {
        let bytes: Vec<u8> = (0..(2 * FRAME_SIZE + 5)).map(|i| (i % 251) as u8).collect();
        let mut body = StaticBody::new(bytes.clone());
        assert_eq!(body.size_hint().exact(), Some(bytes.len() as u64));
        let mut frames = Vec::new();
        while let Some(frame) = body.frame().await {
            frames.push(frame.unwrap().into_data().unwrap());
        }
        assert_eq!(frames.iter().map(Bytes::len).collect::<Vec<_>>(), [FRAME_SIZE, FRAME_SIZE, 5]);
        assert_eq!(frames.concat(), bytes);
        assert!(StaticBody::new(Bytes::new()).is_end_stream());
    }
}
