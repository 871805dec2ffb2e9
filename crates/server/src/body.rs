//! A request body that cannot be held open: [`Timed`] ends a body that sends no byte for the
//! header timeout, or that is not whole by the request timeout, with [`Stalled`]. Hyper's own
//! header timeout stops at the end of the headers, and a handler reading a body waits as long as
//! the client likes; without this, a client that sends `Content-Length: 3000` and 1,000 bytes
//! holds its connection (and a graceful shutdown) for ever.
//!
//! [`problem`] says in words why a body could not be read: it stalled, it was larger than the
//! limit, the client hung up, or its chunked framing was malformed.

use axum::body::{Body, Bytes, HttpBody};
use http_body::{Frame, SizeHint};
use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// Why a body was cut off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stalled {
    /// No byte came for this long.
    Idle(Duration),
    /// The body was not whole after this long in all.
    Slow(Duration),
}

impl std::fmt::Display for Stalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stalled::Idle(d) => write!(
                f,
                "the body stopped coming: no byte for {} ms (the header timeout)",
                d.as_millis()
            ),
            Stalled::Slow(d) => write!(
                f,
                "the body came too slowly: not whole within {} ms (the request timeout)",
                d.as_millis()
            ),
        }
    }
}

impl std::error::Error for Stalled {}

/// A body with a limit on the silence between its pieces and on its time in all.
pub struct Timed {
    inner: Body,
    idle: Duration,
    total: Duration,
    deadline: Instant,
    /// Fires at the sooner of `deadline` and the last piece plus `idle`.
    timer: Pin<Box<Sleep>>,
}

impl Timed {
    pub fn new(inner: Body, idle: Duration, total: Duration) -> Timed {
        let now = Instant::now();
        let deadline = now + total;
        Timed {
            inner,
            idle,
            total,
            deadline,
            timer: Box::pin(tokio::time::sleep_until(deadline.min(now + idle))),
        }
    }
}

/// `body` cut off after `idle` without a byte or `total` in all; a body known to be empty is
/// left as it is (nothing can stall, and a GET pays for no timer).
pub fn timed(body: Body, idle: Duration, total: Duration) -> Body {
    if body.is_end_stream() {
        body
    } else {
        Body::new(Timed::new(body, idle, total))
    }
}

impl HttpBody for Timed {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            if frame.is_some() {
                let next = Instant::now() + this.idle;
                this.timer.as_mut().reset(next.min(this.deadline));
            }
            return Poll::Ready(frame);
        }
        match this.timer.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                let why = if Instant::now() >= this.deadline {
                    Stalled::Slow(this.total)
                } else {
                    Stalled::Idle(this.idle)
                };
                Poll::Ready(Some(Err(axum::Error::new(why))))
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

/// What went wrong reading a body, in words a client can act on (`limit` is the size that was
/// exceeded, when that is what happened).
pub fn problem(error: &(dyn std::error::Error + 'static), limit: usize) -> String {
    let chain = std::iter::successors(Some(error), |e| e.source());
    let mut hyper_error = None;
    for e in chain {
        if let Some(stalled) = e.downcast_ref::<Stalled>() {
            return stalled.to_string();
        }
        if e.is::<http_body_util::LengthLimitError>() {
            return format!("larger than {limit} bytes");
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe
            ) {
                return "the client closed the connection before the body was whole".into();
            }
            if matches!(io.kind(), InvalidData | InvalidInput) {
                // Hyper's chunked decoder says so in an io::Error of these kinds.
                return format!("the body's chunked framing is malformed ({io})");
            }
        }
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message() {
                return "the client closed the connection before the body was whole".into();
            }
            if h.is_parse() {
                return format!("the body's chunked framing is malformed ({h})");
            }
            hyper_error.get_or_insert(h);
        }
    }
    match hyper_error {
        Some(h) => format!("the body could not be read: {h}"),
        None => format!("the body could not be read: {error}"),
    }
}

/// What a handler's body extractor could not read, in the words of [`problem`] (axum's default
/// limit, 2 MiB, is the one such a read has).
pub fn rejection(e: &axum::extract::rejection::BytesRejection) -> String {
    problem(e, 2 * 1024 * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stalling(first: &'static str) -> Body {
        let pieces = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(
            first.as_bytes(),
        ))])
        .chain(futures_util::stream::pending());
        Body::from_stream(pieces)
    }

    use futures_util::StreamExt;

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stops_is_cut_off_after_the_idle_time() {
        let body = timed(
            stalling("{\"a\":"),
            Duration::from_secs(2),
            Duration::from_secs(30),
        );
        let started = Instant::now();
        let err = axum::body::to_bytes(body, 1000).await.unwrap_err();
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        let text = problem(&err, 1000);
        assert!(text.contains("stopped coming"), "{text}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_trickles_is_cut_off_at_the_request_timeout() {
        // A byte every second never trips the 2 s silence, but the whole may take only 5 s.
        let trickle = futures_util::stream::unfold(0u32, |n| async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Some((Ok::<_, std::io::Error>(Bytes::from_static(b" ")), n + 1))
        });
        let body = timed(
            Body::from_stream(trickle),
            Duration::from_secs(2),
            Duration::from_secs(5),
        );
        let started = Instant::now();
        let err = axum::body::to_bytes(body, 1000).await.unwrap_err();
        assert_eq!(started.elapsed(), Duration::from_secs(5));
        assert!(problem(&err, 1000).contains("too slowly"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_whole_body_passes_and_a_large_one_says_so() {
        let body = timed(
            Body::from("hello"),
            Duration::from_secs(2),
            Duration::from_secs(5),
        );
        assert_eq!(axum::body::to_bytes(body, 10).await.unwrap(), "hello");
        let big = timed(
            Body::from("hello world"),
            Duration::from_secs(2),
            Duration::from_secs(5),
        );
        let err = axum::body::to_bytes(big, 10).await.unwrap_err();
        assert_eq!(problem(&err, 10), "larger than 10 bytes");
    }
}
