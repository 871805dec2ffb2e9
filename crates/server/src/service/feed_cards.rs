//! App feed cards (seed 003) and chat-button updates (seeds 000/001).
//! Per-user problems do not fail the call: they come back in `failed_cards` /
//! `failed_user_reasons`, and every other user is served.

use super::checked;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{FeedCardRow, MemberKind};
use crate::world::App;
use larkfeed_model::feed_card::{
    reason, CreateAppFeedCardRequest, CreateAppFeedCardResponse, FailedCard, FailedUserReason,
    UpdateChatButtonRequest, UpdateChatButtonResponse,
};
use larkfeed_model::{ErrorCode, FieldError, UserIdType};

const INVALID: ErrorCode = ErrorCode::ImInvalidParam;

/// Unique ids in the order given: a user named twice gets one card.
fn unique(ids: &[String]) -> Vec<&String> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().filter(|id| seen.insert(id.as_str())).collect()
}

pub async fn create(
    state: &AppState,
    app: &App,
    id_type: UserIdType,
    req: &CreateAppFeedCardRequest,
) -> Result<CreateAppFeedCardResponse, ApiError> {
    checked(INVALID, req.validate())?;
    let mut card = req.app_feed_card.clone().unwrap_or_default();
    let biz_id = match card.biz_id.as_deref().filter(|b| !b.is_empty()) {
        Some(b) => b.to_string(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    card.biz_id = Some(biz_id.clone());
    let card_json = serde_json::to_string(&card).map_err(ApiError::internal)?;
    let now = state.clock.now_ms();
    let mut failed = Vec::new();
    let mut rows = Vec::new();
    let mut asked = Vec::new();
    for id in unique(req.user_ids.as_deref().unwrap_or_default()) {
        match state
            .world
            .resolve(app, id_type, id)
            .filter(|u| state.world.is_available(app, u))
        {
            Some(user) => {
                rows.push(FeedCardRow {
                    app_id: app.app_id.clone(),
                    user_id: user.user_id.clone(),
                    biz_id: biz_id.clone(),
                    card: card_json.clone(),
                    created_at_ms: now,
                    updated_at_ms: now,
                });
                asked.push(id);
            }
            None => failed.push(FailedCard {
                biz_id: biz_id.clone(),
                user_id: id.clone(),
                reason: reason::NO_PERMISSION.into(),
            }),
        }
    }
    if !rows.is_empty() {
        let created = state.store.create_feed_cards(&rows).await?;
        for (id, new) in asked.into_iter().zip(created) {
            if !new {
                failed.push(FailedCard {
                    biz_id: biz_id.clone(),
                    user_id: id.clone(),
                    reason: reason::DUPLICATED.into(),
                });
            }
        }
    }
    tracing::info!(app_id = %app.app_id, %biz_id, users = rows.len(), failed = failed.len(), "created app feed cards");
    Ok(CreateAppFeedCardResponse {
        biz_id,
        failed_cards: failed,
    })
}

pub const NOT_IN_CHAT: &str = "The user is not in the chat";
pub const NO_SUCH_USER: &str = "The user does not exist";

pub async fn update_chat_buttons(
    state: &AppState,
    app: &App,
    id_type: UserIdType,
    req: &UpdateChatButtonRequest,
) -> Result<UpdateChatButtonResponse, ApiError> {
    checked(INVALID, req.validate())?;
    let chat_id = req.chat_id.as_deref().unwrap_or_default();
    let chat = state.store.get_chat(chat_id).await?.ok_or_else(|| {
        ApiError::field(
            INVALID,
            FieldError::new("chat_id", "no chat has this chat_id"),
        )
    })?;
    if chat.dissolved {
        return Err(ApiError::new(ErrorCode::ChatDissolved));
    }
    if !state
        .store
        .is_member(chat_id, MemberKind::Bot, &app.app_id)
        .await?
    {
        return Err(ApiError::new(ErrorCode::NoPermission));
    }
    let mut failed = Vec::new();
    let targets: Vec<String> = match &req.user_ids {
        Some(ids) => {
            let mut targets = Vec::new();
            for id in unique(ids) {
                let Some(user) = state.world.resolve(app, id_type, id) else {
                    failed.push(FailedUserReason {
                        error_code: 0,
                        error_message: NO_SUCH_USER.into(),
                        user_id: id.clone(),
                    });
                    continue;
                };
                if state
                    .store
                    .is_member(chat_id, MemberKind::User, &user.user_id)
                    .await?
                {
                    targets.push(user.user_id.clone());
                } else {
                    failed.push(FailedUserReason {
                        error_code: 0,
                        error_message: NOT_IN_CHAT.into(),
                        user_id: id.clone(),
                    });
                }
            }
            targets
        }
        None => {
            state
                .store
                .list_members(chat_id, MemberKind::User, 0, u32::MAX)
                .await?
                .0
        }
    };
    let buttons = req
        .buttons
        .as_ref()
        .and_then(|b| b.buttons.clone())
        .unwrap_or_default();
    let buttons_json = serde_json::to_string(&buttons).map_err(ApiError::internal)?;
    state
        .store
        .set_chat_buttons(
            &app.app_id,
            chat_id,
            &targets,
            &buttons_json,
            state.clock.now_ms(),
        )
        .await?;
    tracing::info!(app_id = %app.app_id, %chat_id, users = targets.len(), buttons = buttons.len(), "replaced chat buttons");
    Ok(UpdateChatButtonResponse {
        failed_user_reasons: failed,
    })
}
