//! The platform's rules, one module per API group. Services take the calling app and a request
//! that already parsed; they validate, decide, and talk to the store. No HTTP types here.

pub mod chats;
pub mod feed;
pub mod feed_cards;
pub mod messages;
pub mod tokens;

use crate::error::ApiError;
use larkfeed_model::{ErrorCode, FieldError};

/// Maps a failed `validate()` to the endpoint's invalid-parameter code.
pub(crate) fn checked(code: ErrorCode, result: Result<(), FieldError>) -> Result<(), ApiError> {
    result.map_err(|f| ApiError::field(code, f))
}

/// A fresh platform-looking id: `prefix` + 32 hex digits.
pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}
