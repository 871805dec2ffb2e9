//! One error type for every call, and the rule for which errors are worth retrying.

use larkfeed_model::{ErrorCode, FieldError};
use std::time::Duration;

/// Everything that can go wrong with a call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The platform answered with a non-zero code.
    #[error("API error {code}: {msg} (log id {})", log_id.as_deref().unwrap_or("none"))]
    Api {
        code: i64,
        msg: String,
        /// The platform's `X-Tt-Logid`, to quote when asking for help.
        log_id: Option<String>,
        /// From `x-ogw-ratelimit-reset`: how long until a retry can succeed.
        retry_after: Option<Duration>,
    },
    /// The request broke a rule and was not sent.
    #[error("invalid request: {0}")]
    Validation(#[from] FieldError),
    /// The request could not be sent or its answer not read.
    #[error("HTTP error: {0}")]
    Http(#[from] reqwest::Error),
    /// The server answered with an HTTP error status and no envelope.
    #[error("HTTP status {status}: {body}")]
    Status { status: u16, body: String },
    /// The answer was not the JSON expected.
    #[error("cannot decode the answer: {0}")]
    Decode(String),
    /// The client was built without something it needs.
    #[error("client configuration: {0}")]
    Config(String),
}

impl Error {
    /// Whether the same call may succeed later: rate limits (99991400, 230020, 232019), server
    /// faults (5xx, 1500), time-outs and connection failures. Never a permanent error such as
    /// 230001, 230011 or 230031.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api { code, .. } => {
                ErrorCode::from_code(*code).is_some_and(ErrorCode::is_retryable)
            }
            Error::Http(e) => e.is_timeout() || e.is_connect(),
            Error::Status { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// The server could not be reached at all (refused, unreachable, timed out connecting).
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Http(e) if e.is_connect())
    }

    /// The URL a transport error happened on.
    pub fn url(&self) -> Option<&str> {
        match self {
            Error::Http(e) => e.url().map(|u| u.as_str()),
            _ => None,
        }
    }

    /// The platform's code, for API errors.
    pub fn code(&self) -> Option<i64> {
        match self {
            Error::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The cached token was refused (99991663, 99991664, 99991671): fetch a new one.
    pub(crate) fn is_token_rejected(&self) -> bool {
        matches!(self.code(), Some(99991663 | 99991664 | 99991671))
    }

    pub(crate) fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}
