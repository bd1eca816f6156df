//! A connection whose writes give up once they have waited longer than the write timeout:
//! how long a client that stopped reading its response may hold the connection (and the
//! response in memory).
//!
//! Only writes are timed. A write that cannot go on (the client's receive window and the
//! socket's send buffer are full) starts the clock; any progress stops it. Reads are not:
//! hyper keeps a read pending on a connection while a handler runs, and an idle kept-alive
//! connection is hyper's header-read timeout's to close.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// `inner`, whose writes fail with `TimedOut` after waiting `limit` without progress.
pub struct WriteTimeout<S> {
    inner: S,
    limit: Duration,
    /// When the write now waiting gives up; `None` while writes make progress.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<S> WriteTimeout<S> {
    pub fn new(inner: S, limit: Duration) -> Self {
        WriteTimeout { inner, limit, stalled: None }
    }

    /// What a write that returned `poll` becomes: progress stops the clock, waiting starts
    /// it (or finds it run out).
    fn timed<T>(&mut self, poll: Poll<io::Result<T>>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let limit = self.limit;
        let stalled = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client read nothing of the response within the write timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteTimeout<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteTimeout<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.timed(poll, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.timed(poll, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.timed(poll, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.timed(poll, cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_write_nobody_reads_fails_after_the_limit_and_one_that_is_read_goes_through() {
        let (near, mut far) = tokio::io::duplex(1024);
        let mut near = WriteTimeout::new(near, Duration::from_millis(100));
        let stuck = near.write_all(&[7u8; 4096]).await.unwrap_err();
        assert_eq!(stuck.kind(), io::ErrorKind::TimedOut);

        let (near, mut far_reader) = tokio::io::duplex(1024);
        let mut near = WriteTimeout::new(near, Duration::from_millis(100));
        let reader = tokio::spawn(async move {
            let mut received = Vec::new();
            // Slower than the limit in all, but never stalled for as long.
            let mut chunk = [0u8; 512];
            while let Ok(n) = far_reader.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                received.extend_from_slice(&chunk[..n]);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            received.len()
        });
        near.write_all(&[7u8; 8192]).await.unwrap();
        near.shutdown().await.unwrap();
        drop(near);
        assert_eq!(reader.await.unwrap(), 8192);
        far.shutdown().await.ok();
    }
}
