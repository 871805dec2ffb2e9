//! Hyper answers some requests before they reach the router: a malformed request line (400), a
//! path too long (414), too many or too large headers (431). Its answers have no body, so a
//! client would get no envelope and no log id. [`EnvelopeIo`] wraps a connection and rewrites
//! exactly those answers (a 4xx status line with an empty body and no `X-Tt-Logid`; every answer
//! of the router has both) into the envelope, keeping their status.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub struct EnvelopeIo<T> {
    inner: T,
    /// A rewritten answer not yet fully written.
    pending: Vec<u8>,
}

impl<T> EnvelopeIo<T> {
    pub fn new(inner: T) -> Self {
        EnvelopeIo {
            inner,
            pending: Vec::new(),
        }
    }
}

/// The envelope for one of hyper's own answers, or None if `out` is not one.
fn rewrite(out: &[u8]) -> Option<Vec<u8>> {
    // Most writes are the router's answers: rule them out without parsing.
    if !out.starts_with(b"HTTP/1.1 4") || !out.ends_with(b"\r\n\r\n") || out.len() > 1024 {
        return None;
    }
    let text = std::str::from_utf8(out).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status_line = head.lines().next()?;
    let status: u16 = status_line
        .strip_prefix("HTTP/1.1 ")?
        .get(..3)?
        .parse()
        .ok()?;
    let lower = head.to_ascii_lowercase();
    if !(400..500).contains(&status) || !body.is_empty() || lower.contains("x-tt-logid") {
        return None;
    }
    let rule = match status {
        414 => "the request's path and query are too long (at most 65,534 bytes)",
        431 => "the request has too many headers (at most 100) or too large ones",
        _ => "the request could not be read as HTTP/1.1",
    };
    let log_id = crate::error::LogId::now();
    let code = larkfeed_model::ErrorCode::ImInvalidParam;
    let body = serde_json::json!({
        "code": code.code(),
        "msg": format!("{}: request: {rule}", code.message()),
        "error": {
            "log_id": log_id,
            "field_violations": [{"field": "request", "description": rule}],
        },
    })
    .to_string();
    Some(
        format!(
            "{status_line}\r\nContent-Type: application/json; charset=utf-8\r\nX-Tt-Logid: {log_id}\r\n\
             Connection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

impl<T: AsyncWrite + Unpin> EnvelopeIo<T> {
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let n = std::task::ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending.drain(..n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for EnvelopeIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for EnvelopeIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.poll_pending(cx))?;
        if let Some(replacement) = rewrite(buf) {
            self.pending = replacement;
            // The caller's bytes count as written; the envelope goes out in their place.
            let _ = self.poll_pending(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // Hyper's own answers are a head alone, in one slice.
        if let [only] = bufs {
            return self.poll_write(cx, only);
        }
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_bodiless_4xx_answers_are_rewritten() {
        let hyper =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let out = String::from_utf8(rewrite(hyper).unwrap()).unwrap();
        assert!(out.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(out.contains("X-Tt-Logid: "));
        let body: serde_json::Value =
            serde_json::from_str(out.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["code"], 230001);
        assert_eq!(body["error"]["field_violations"][0]["field"], "request");
        let ours = b"HTTP/1.1 400 Bad Request\r\nX-Tt-Logid: 1\r\ncontent-length: 2\r\n\r\n{}";
        assert!(rewrite(ours).is_none());
        assert!(rewrite(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(rewrite(b"{\"code\":0}").is_none());
    }
}
