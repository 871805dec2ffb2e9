//! The platform's rules, one module per API group. Services take the calling app and a request
//! that already parsed; they validate, decide, and talk to the store. No HTTP types here.

pub mod chats;
pub mod feed;
pub mod feed_cards;
pub mod messages;
pub mod tokens;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{ChatRow, MemberKind};
use crate::world::App;
use larkfeed_model::{ErrorCode, FieldError};

/// Maps a failed `validate()` to the endpoint's invalid-parameter code.
pub(crate) fn checked(code: ErrorCode, result: Result<(), FieldError>) -> Result<(), ApiError> {
    result.map_err(|f| ApiError::field(code, f))
}

/// A fresh platform-looking id: `prefix` + 32 hex digits.
pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

/// The chat, if it exists, is not dissolved (232009) and has the calling bot in it. The other two
/// failures answer in the calling API's own terms: `unknown()` and `not_member`.
pub(crate) async fn chat_with_bot(
    state: &AppState,
    app: &App,
    chat_id: &str,
    unknown: impl FnOnce() -> ApiError,
    not_member: ErrorCode,
) -> Result<ChatRow, ApiError> {
    let chat = state.store.get_chat(chat_id).await?.ok_or_else(unknown)?;
    if chat.dissolved {
        return Err(ApiError::new(ErrorCode::ChatDissolved));
    }
    if !state
        .store
        .is_member(chat_id, MemberKind::Bot, &app.app_id)
        .await?
    {
        return Err(ApiError::new(not_member));
    }
    Ok(chat)
}
