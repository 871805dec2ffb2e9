//! The Open API call log (`GET /_larkfeed/requests`) and the fault injection that sits in the
//! same place: one middleware around every `/open-apis/` call.

use super::PlatformState;
use crate::deadline::within;
use crate::error::{current_log_id, ApiError, LogId};
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::Request;
use axum::http::{Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use larkfeed_model::{ErrorCode, FieldError};
use serde::Serialize;
use std::time::{Duration, Instant};

/// A request body larger than this is refused before it reaches a handler.
pub const MAX_BODY: usize = 8 * 1024 * 1024;
/// On the upload paths: a 30 MB file and its form.
const UPLOAD_MAX_BODY: usize = 31 * 1024 * 1024;
/// Bodies are kept in the log up to this size; longer ones are cut and marked.
const KEPT_BODY: usize = 16 * 1024;
/// Keys whose values never reach the log.
const SECRET_KEYS: &[&str] = &[
    "app_secret",
    "tenant_access_token",
    "app_access_token",
    "user_access_token",
    "access_token",
    "token",
    "encrypt_key",
    "verification_token",
];
pub const REDACTED: &str = "<redacted>";

/// One Open API call, kept as it came (the method and URI are reference-counted, not copied):
/// shown with its `method`, `path` and `query` as text.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub at_ms: i64,
    pub log_id: Option<LogId>,
    pub app_id: Option<String>,
    pub method: Method,
    pub uri: Uri,
    pub http_status: u16,
    pub code: Option<i64>,
    pub latency_ms: u64,
    pub request: Kept,
    pub response: Kept,
}

impl RequestRecord {
    pub fn path(&self) -> &str {
        self.uri.path()
    }
}

impl Serialize for RequestRecord {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut r = s.serialize_struct("RequestRecord", 11)?;
        r.serialize_field("at_ms", &self.at_ms)?;
        r.serialize_field("log_id", &self.log_id)?;
        r.serialize_field("app_id", &self.app_id)?;
        r.serialize_field("method", self.method.as_str())?;
        r.serialize_field("path", self.uri.path())?;
        r.serialize_field("query", &self.uri.query())?;
        r.serialize_field("http_status", &self.http_status)?;
        r.serialize_field("code", &self.code)?;
        r.serialize_field("latency_ms", &self.latency_ms)?;
        r.serialize_field("request", &self.request)?;
        r.serialize_field("response", &self.response)?;
        r.end()
    }
}

/// A body as received or sent, rendered (parsed, redacted, shortened) only when the log is read,
/// so the request path pays for a reference count, not for JSON.
#[derive(Debug, Clone)]
pub enum Kept {
    Body(axum::body::Bytes),
    /// Too large to hold in the log: only its size.
    TooLarge(usize),
}

impl Kept {
    fn of(bytes: &axum::body::Bytes) -> Kept {
        if bytes.len() > KEPT_BODY * 4 {
            Kept::TooLarge(bytes.len())
        } else {
            Kept::Body(bytes.clone())
        }
    }

    pub fn value(&self) -> serde_json::Value {
        match self {
            Kept::Body(bytes) => kept(bytes),
            Kept::TooLarge(n) => format!("({n} bytes, too large to keep)").into(),
        }
    }
}

impl Serialize for Kept {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

/// The envelope's `code`, read from the front of the body when it is there (the server writes
/// its envelopes with `code` first), else by parsing.
fn code_of(bytes: &[u8]) -> Option<i64> {
    if let Some(rest) = bytes.strip_prefix(b"{\"code\":") {
        let end = rest
            .iter()
            .position(|b| !(b.is_ascii_digit() || *b == b'-'))
            .unwrap_or(rest.len());
        if let Some(code) = std::str::from_utf8(&rest[..end])
            .ok()
            .and_then(|t| t.parse().ok())
        {
            return Some(code);
        }
    }
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()?
        .get("code")?
        .as_i64()
}

/// Replaces the value of every secret-bearing key, at any depth.
pub fn redact(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if SECRET_KEYS.contains(&key.as_str()) && !v.is_null() {
                    *v = REDACTED.into();
                } else {
                    redact(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

fn kept(bytes: &[u8]) -> serde_json::Value {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return serde_json::Value::Null;
    }
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(mut v) => {
            redact(&mut v);
            let text = v.to_string();
            if text.len() > KEPT_BODY {
                format!(
                    "{}… ({} bytes in all)",
                    &text[..text.floor_char_boundary(KEPT_BODY)],
                    text.len()
                )
                .into()
            } else {
                v
            }
        }
        // Not JSON: kept only as its size, since it may hold anything.
        Err(_) => format!("({} bytes, not JSON)", bytes.len()).into(),
    }
}

/// The app a call came from: the bearer token as the token cache knows it, or the `app_id` of a
/// token request.
fn app_of(state: &PlatformState, auth: Option<&str>, path: &str, body: &[u8]) -> Option<String> {
    if let Some(token) = auth.and_then(|a| a.strip_prefix("Bearer ")) {
        if let Some(entry) = state.caches.tokens.get(token.trim()) {
            return Some(entry.0.to_string());
        }
    }
    if !path.starts_with("/open-apis/auth/") {
        return None;
    }
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()?
        .get("app_id")
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

/// Around each `/open-apis/` call (called by the router's front layer): an injected fault first,
/// then the call within its time limit, then its record.
pub async fn observe(state: &PlatformState, req: Request, next: Next) -> Response {
    // Kept for the record: both clone without copying (a standard method is a value, the URI's
    // text is shared).
    let (method, uri) = (req.method().clone(), req.uri().clone());
    let path = uri.path();
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    // The endpoint the call is for, as the description has it (none for a path it lacks): its
    // name counts the call in the metrics, and an upload's form may be larger than any JSON body.
    let described = larkfeed_model::endpoint::find(method.as_str(), path);
    let uploads = described.is_some_and(|e| e.multipart);
    let limit = if uploads { UPLOAD_MAX_BODY } else { MAX_BODY };
    let bytes = match whole(body, limit).await {
        Ok(b) => b,
        Err(e) => {
            let problem = crate::body::problem(&e, limit);
            tracing::debug!(%problem, "the request's body could not be read");
            return ApiError::field(
                larkfeed_model::endpoint::invalid_param_code(path),
                FieldError::new("body", problem),
            )
            .into_response();
        }
    };
    let auth = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    let request_body = Kept::of(&bytes);
    let app_id = app_of(state, auth, path, &bytes);
    // An injected fault may delay the call, answer in its place, or both.
    let hit = state.platform.faults.hit(method.as_str(), path);
    if let Some(delay) = hit.as_ref().map(|h| h.delay_ms).filter(|ms| *ms > 0) {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let response = match hit.and_then(|h| h.answer) {
        Some((code, status, msg)) => {
            tracing::debug!(code, status, "answered with an injected fault");
            injected(code, status, msg)
        }
        None => {
            within(
                state,
                next.run(Request::from_parts(parts, Body::from(bytes))),
            )
            .await
        }
    };
    let (parts, body) = response.into_parts();
    let bytes = whole(body, usize::MAX).await.unwrap_or_default();
    let response_body = Kept::of(&bytes);
    let code = code_of(&bytes);
    let endpoint = described.map_or("unknown", |e| e.name);
    // A download answers its bytes: its code is the status's.
    let counted = code.or_else(|| parts.status.is_success().then_some(0));
    state
        .platform
        .metrics
        .request(endpoint, counted, started.elapsed().as_secs_f64());
    // The change feed's detail is built only when someone listens.
    if code == Some(0) && state.platform.wants_changes() {
        if let Some(kind) = described.and_then(|e| e.change) {
            state.platform.publish(
                kind,
                state.clock.now_ms(),
                serde_json::json!({
                    "app_id": app_id, "path": path,
                    "request": request_body.value(), "data": response_body.value().get("data"),
                }),
            );
        }
    }
    state.platform.requests.push(RequestRecord {
        at_ms: state.clock.now_ms(),
        log_id: current_log_id(),
        app_id,
        method,
        uri,
        http_status: parts.status.as_u16(),
        code,
        latency_ms: started.elapsed().as_millis() as u64,
        request: request_body,
        response: response_body,
    });
    Response::from_parts(parts, Body::from(bytes))
}

/// A body's bytes. Most bodies here are of one piece (a request without one, the server's own
/// answers): those are taken as they are, without the gathering `to_bytes` does for many pieces.
async fn whole(mut body: Body, limit: usize) -> Result<Bytes, axum::Error> {
    use axum::body::HttpBody;
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    let first = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
    let first = match first {
        None => return Ok(Bytes::new()),
        Some(frame) => frame?.into_data().unwrap_or_default(),
    };
    if first.len() > limit {
        return Err(axum::Error::new("length limit exceeded"));
    }
    if body.is_end_stream() {
        return Ok(first);
    }
    let rest = to_bytes(body, limit - first.len()).await?;
    let mut all = Vec::with_capacity(first.len() + rest.len());
    all.extend_from_slice(&first);
    all.extend_from_slice(&rest);
    Ok(all.into())
}

fn injected(code: i64, status: u16, msg: String) -> Response {
    let body = serde_json::json!({
        "code": code, "msg": msg, "data": {},
        "error": {"log_id": current_log_id()},
    });
    let status =
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_REQUEST);
    let mut response = (status, axum::Json(body)).into_response();
    if code == ErrorCode::RateLimited.code() {
        let headers = response.headers_mut();
        headers.insert("x-ogw-ratelimit-limit", 50.into());
        headers.insert("x-ogw-ratelimit-reset", 1.into());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(parts: &[&'static str]) -> Body {
        let chunks: Vec<Result<Bytes, std::io::Error>> = parts
            .iter()
            .map(|p| Ok(Bytes::from_static(p.as_bytes())))
            .collect();
        Body::from_stream(futures_util::stream::iter(chunks))
    }

    #[tokio::test]
    async fn a_body_is_read_whole_in_one_piece_or_many_within_its_limit() {
        assert_eq!(whole(Body::empty(), 10).await.unwrap(), "");
        assert_eq!(
            whole(Body::from("one piece"), 10).await.unwrap(),
            "one piece"
        );
        assert!(whole(Body::from("eleven char"), 10).await.is_err());
        assert_eq!(
            whole(pieces(&["ab", "cd", "e"]), 10).await.unwrap(),
            "abcde"
        );
        assert!(whole(pieces(&["abcdef", "ghijk"]), 10).await.is_err());
        assert!(whole(pieces(&["abcdefghijk", "l"]), 10).await.is_err());
    }

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let mut v = serde_json::json!({
            "app_id": "cli_1", "app_secret": "s3cret",
            "nested": [{"tenant_access_token": "t-abc", "keep": "x"}],
            "token": null,
        });
        redact(&mut v);
        let text = v.to_string();
        assert!(
            !text.contains("s3cret") && !text.contains("t-abc"),
            "{text}"
        );
        assert!(text.contains("cli_1") && text.contains("\"keep\":\"x\""));
    }

    #[test]
    fn the_code_is_read_from_the_front_or_by_parsing() {
        assert_eq!(code_of(br#"{"code":230001,"data":{}}"#), Some(230001));
        assert_eq!(code_of(br#"{"code":0,"msg":"ok"}"#), Some(0));
        assert_eq!(code_of(br#"{"msg":"x","code":7}"#), Some(7));
        assert_eq!(code_of(b"not json"), None);
    }

    #[test]
    fn non_json_bodies_are_kept_as_their_size_only() {
        assert_eq!(
            kept(b"app_secret=x"),
            serde_json::json!("(12 bytes, not JSON)")
        );
        assert_eq!(kept(b"  "), serde_json::Value::Null);
    }
}
