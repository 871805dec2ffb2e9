//! `ApiError`: every failure the server answers, rendered as the Feishu envelope
//! `{code, msg, data, error: {log_id, field_violations, permission_violations}}` with the code's
//! HTTP status. Internal faults are logged in full and answered without their details.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use larkfeed_model::error::{ErrorDetail, FieldViolation, PermissionViolation};
use larkfeed_model::{Empty, Envelope, ErrorCode, FieldError};

tokio::task_local! {
    /// The log id of the request being answered (set by the log-id middleware).
    pub static LOG_ID: LogId;
}

pub fn current_log_id() -> Option<LogId> {
    LOG_ID.try_with(|id| *id).ok()
}

/// A log id like the platform's: 13 digits of milliseconds since the epoch and 16 of random
/// upper-case hex. A plain value (no allocation), since every call makes one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LogId([u8; 29]);

impl LogId {
    /// A new id, made now.
    pub fn now() -> LogId {
        use rand::Rng;
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        // In u64: u128 division is a call per digit.
        let mut millis = u64::try_from(millis).unwrap_or(u64::MAX);
        let mut id = [b'0'; 29];
        for d in id[..13].iter_mut().rev() {
            *d = b'0' + (millis % 10) as u8;
            millis /= 10;
        }
        let random: [u8; 8] = rand::thread_rng().gen();
        hex::encode_to_slice(random, &mut id[13..]).expect("16 hex digits fit 16 bytes");
        id[13..].make_ascii_uppercase();
        LogId(id)
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("digits and hex are ASCII")
    }
}

impl std::fmt::Display for LogId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for LogId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl serde::Serialize for LogId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub msg: String,
    pub field: Option<Box<FieldError>>,
    pub missing_scopes: Box<[String]>,
    /// For 99991400: (limit, seconds until a retry can succeed).
    pub rate_limit: Option<(u32, u32)>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError::with_msg(code, code.message())
    }

    /// The code's message followed by a detail: `param is invalid: user_ids: at most 20 items`.
    pub fn with_detail(code: ErrorCode, detail: impl std::fmt::Display) -> Self {
        ApiError::with_msg(code, format!("{}: {detail}", code.message()))
    }

    /// A code with a message of its own, for codes whose wording differs between endpoints.
    pub fn with_msg(code: ErrorCode, msg: impl Into<String>) -> Self {
        ApiError {
            code,
            msg: msg.into(),
            field: None,
            missing_scopes: Box::default(),
            rate_limit: None,
        }
    }

    /// An invalid-parameter error naming the field.
    pub fn field(code: ErrorCode, field: FieldError) -> Self {
        let mut error = ApiError::with_detail(code, &field);
        error.field = Some(Box::new(field));
        error
    }

    pub fn scopes(scopes: &[&str]) -> Self {
        let list = scopes.join(", ");
        ApiError {
            missing_scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..ApiError::with_detail(ErrorCode::MissingScope, format!("[{list}]"))
        }
    }

    pub fn rate_limited(code: ErrorCode, limit: u32, reset_secs: u64) -> Self {
        ApiError {
            rate_limit: Some((limit, u32::try_from(reset_secs).unwrap_or(u32::MAX))),
            ..ApiError::new(code)
        }
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error");
        ApiError::new(ErrorCode::InternalError)
    }
}

/// What cannot fail (the `()` path of a route without parameters).
impl From<std::convert::Infallible> for ApiError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        ApiError::internal(err)
    }
}

/// A JSON answer written straight into a `Vec`. axum's `Json` writes through `BytesMut`'s
/// `io::Write`, one `put_slice` call per token: callgrind counted about 5,000 instructions more
/// per `GET` of a message that way.
pub struct JsonAnswer<T>(pub T);

impl<T: serde::Serialize> IntoResponse for JsonAnswer<T> {
    fn into_response(self) -> Response {
        let mut bytes = Vec::with_capacity(512);
        if let Err(e) = serde_json::to_writer(&mut bytes, &self.0) {
            return ApiError::internal(e).into_response();
        }
        let mut response = Response::new(axum::body::Body::from(bytes));
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let detail = ErrorDetail {
            log_id: current_log_id().map(|id| id.to_string()),
            field_violations: self
                .field
                .map(|f| FieldViolation {
                    field: f.field,
                    value: None,
                    description: f.rule,
                })
                .into_iter()
                .collect(),
            permission_violations: self
                .missing_scopes
                .iter()
                .map(|s| PermissionViolation {
                    kind: "action_scope_required".into(),
                    subject: s.clone(),
                    description: "The app needs one of these scopes.".into(),
                })
                .collect(),
        };
        let body = Envelope {
            code: self.code.code(),
            msg: self.msg,
            data: Some(Empty {}),
            error: Some(detail),
        };
        let status =
            StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, JsonAnswer(body)).into_response();
        if let Some((limit, reset)) = self.rate_limit {
            let headers = response.headers_mut();
            headers.insert("x-ogw-ratelimit-limit", HeaderValue::from(limit));
            headers.insert("x-ogw-ratelimit-reset", HeaderValue::from(reset));
        }
        response
    }
}
