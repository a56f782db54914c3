//! A connection whose writes give up when the client stops reading.
//!
//! hyper bounds the wait for request headers (which also bounds an idle kept-alive
//! connection) but not a response write: a client that pipelines requests and never
//! reads the answers would hold its connection, and a `max_connections` slot, for
//! ever. Each write or flush that makes no progress for `timeout` fails here instead,
//! and hyper closes the connection.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The message of the error a stalled write ends with; the server logs it by name.
pub(crate) const STALLED: &str = "the client did not read its responses in time";

pub(crate) struct WriteTimeout<T> {
    inner: T,
    timeout: Duration,
    /// Armed while a write waits, cleared as soon as one makes progress.
    stalled_since: Option<Pin<Box<Sleep>>>,
}

impl<T> WriteTimeout<T> {
    pub(crate) fn new(inner: T, timeout: Duration) -> WriteTimeout<T> {
        WriteTimeout {
            inner,
            timeout,
            stalled_since: None,
        }
    }

    /// Turns a pending write into an error once it has waited `timeout`.
    fn waiting<R>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        if polled.is_ready() {
            self.stalled_since = None;
            return polled;
        }
        let timeout = self.timeout;
        let sleep = self
            .stalled_since
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(Instant::now() + timeout)));
        ready!(sleep.as_mut().poll(cx));
        Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, STALLED)))
    }
}

/// Whether `error` (a hyper error, say) was caused by a stalled write.
pub(crate) fn is_stalled(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<io::Error>()
            && io.kind() == io::ErrorKind::TimedOut
            && io.to_string() == STALLED
        {
            return true;
        }
        current = e.source();
    }
    false
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteTimeout<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteTimeout<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.waiting(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.waiting(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        self.waiting(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.waiting(cx, polled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt as _;

    #[tokio::test(start_paused = true)]
    async fn a_write_nobody_reads_fails_after_the_timeout_and_progress_resets_it() {
        let (near, mut far) = tokio::io::duplex(64);
        let mut timed = WriteTimeout::new(near, Duration::from_secs(5));
        // Fills the pipe; the reader then takes some, so the wait starts over.
        timed.write_all(&[0u8; 64]).await.expect("fits");
        let mut sink = [0u8; 32];
        tokio::io::AsyncReadExt::read_exact(&mut far, &mut sink)
            .await
            .expect("read");
        timed.write_all(&[1u8; 32]).await.expect("room again");
        let started = Instant::now();
        let error = timed.write_all(&[2u8; 1]).await.expect_err("stalls");
        assert_eq!(started.elapsed(), Duration::from_secs(5));
        assert!(is_stalled(&error), "{error}");
    }
}
