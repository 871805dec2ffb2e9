//! The app feed card family: cards (create, batch update, batch delete; seed 003), chat-button
//! updates (seeds 000/001) and the time-sensitive (pinned) state of feed entries.
//! Per-user problems do not fail the call: they come back in `failed_cards` /
//! `failed_user_reasons`, and every other user is served.

use super::{checked, new_p2p_chat};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{FeedCardEdit, MemberKind, NewFeedCards};
use crate::world::{App, User};
use larkfeed_model::feed_card::{
    reason, AppFeedCardBatchResponse, BotTimeSentiveRequest, CreateAppFeedCardRequest,
    CreateAppFeedCardResponse, DeleteAppFeedCardBatchRequest, FailedCard, FailedUserReason,
    OpenAppFeedCard, PatchFeedCardRequest, TimeSensitiveResponse, UpdateAppFeedCardBatchRequest,
    UpdateChatButtonRequest, UpdateChatButtonResponse, UpdateEffects,
};
use larkfeed_model::{ErrorCode, FieldError, UserIdType};

const INVALID: ErrorCode = ErrorCode::ImInvalidParam;

/// Unique ids in the order given: a user named twice gets one card.
fn unique(ids: &[String]) -> Vec<&String> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().filter(|id| seen.insert(id.as_str())).collect()
}

/// The user an id names, if the app may reach them.
fn reachable<'w>(
    state: &'w AppState,
    app: &App,
    id_type: UserIdType,
    id: &str,
) -> Option<&'w User> {
    state
        .world
        .resolve(app, id_type, id)
        .filter(|u| state.world.is_available(app, u))
}

fn failed_card(biz_id: &str, user_id: &str, why: &str) -> FailedCard {
    FailedCard {
        biz_id: biz_id.to_string(),
        user_id: user_id.to_string(),
        reason: why.to_string(),
    }
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
    let mut failed = Vec::new();
    let mut user_ids = Vec::new();
    let mut asked = Vec::new();
    for id in unique(req.user_ids.as_deref().unwrap_or_default()) {
        match reachable(state, app, id_type, id) {
            Some(user) if !user_ids.contains(&user.user_id) => {
                user_ids.push(user.user_id.clone());
                asked.push(id);
            }
            // The same user named twice (by two kinds of id) gets one card.
            Some(_) => failed.push(failed_card(&biz_id, id, reason::DUPLICATED)),
            None => failed.push(failed_card(&biz_id, id, reason::NO_PERMISSION)),
        }
    }
    let users = user_ids.len();
    if users > 0 {
        let unread = i64::from(card.notifies());
        let created = state
            .store
            .create_feed_cards(NewFeedCards {
                app_id: app.app_id.clone(),
                biz_id: biz_id.clone(),
                card,
                user_ids,
                now_ms: state.clock.now_ms(),
                unread,
            })
            .await?;
        for (id, new) in asked.into_iter().zip(created) {
            if !new {
                failed.push(failed_card(&biz_id, id, reason::DUPLICATED));
            }
        }
    }
    tracing::info!(app_id = %app.app_id, %biz_id, users, failed = failed.len(), "created app feed cards");
    Ok(CreateAppFeedCardResponse {
        biz_id,
        failed_cards: failed,
    })
}

/// The platform's update rule, applied by the store to each stored card inside its transaction.
fn merge(stored: &mut OpenAppFeedCard, edit: &FeedCardEdit) -> UpdateEffects {
    stored.apply_update(&edit.patch, &edit.fields)
}

/// `PUT app_feed_card/batch`: only the fields each card's `update_fields` names change.
pub async fn update_batch(
    state: &AppState,
    app: &App,
    id_type: UserIdType,
    req: &UpdateAppFeedCardBatchRequest,
) -> Result<AppFeedCardBatchResponse, ApiError> {
    checked(INVALID, req.validate())?;
    let mut failed = Vec::new();
    let mut edits = Vec::new();
    let mut asked = Vec::new();
    for item in req.feed_cards.iter().flatten() {
        let (Some(card), Some(id), Some(fields)) =
            (&item.app_feed_card, &item.user_id, &item.update_fields)
        else {
            continue; // validate() has required all three
        };
        let biz_id = card.biz_id.clone().unwrap_or_default();
        match reachable(state, app, id_type, id) {
            Some(user) => {
                edits.push(FeedCardEdit {
                    user_id: user.user_id.clone(),
                    biz_id: biz_id.clone(),
                    patch: card.clone(),
                    fields: fields.clone(),
                });
                asked.push((biz_id, id));
            }
            None => failed.push(failed_card(&biz_id, id, reason::NO_PERMISSION)),
        }
    }
    if !edits.is_empty() {
        let now = state.clock.now_ms();
        let found = state
            .store
            .update_feed_cards(&app.app_id, edits, merge, now)
            .await?;
        for ((biz_id, id), found) in asked.into_iter().zip(found) {
            if !found {
                failed.push(failed_card(&biz_id, id, reason::NOT_CREATED));
            }
        }
    }
    tracing::info!(app_id = %app.app_id, failed = failed.len(), "updated app feed cards");
    Ok(AppFeedCardBatchResponse {
        failed_cards: failed,
    })
}

/// `DELETE app_feed_card/batch`.
pub async fn delete_batch(
    state: &AppState,
    app: &App,
    id_type: UserIdType,
    req: &DeleteAppFeedCardBatchRequest,
) -> Result<AppFeedCardBatchResponse, ApiError> {
    checked(INVALID, req.validate())?;
    let mut failed = Vec::new();
    let mut keys = Vec::new();
    let mut asked = Vec::new();
    for item in req.feed_cards.iter().flatten() {
        let biz_id = item.biz_id.clone().unwrap_or_default();
        let id = item.user_id.as_deref().unwrap_or_default();
        match reachable(state, app, id_type, id) {
            Some(user) => {
                keys.push((user.user_id.clone(), biz_id.clone()));
                asked.push((biz_id, id));
            }
            None => failed.push(failed_card(&biz_id, id, reason::NO_PERMISSION)),
        }
    }
    let cards = keys.len();
    if !keys.is_empty() {
        let found = state.store.delete_feed_cards(&app.app_id, keys).await?;
        for ((biz_id, id), found) in asked.into_iter().zip(found) {
            if !found {
                failed.push(failed_card(&biz_id, id, reason::NOT_CREATED));
            }
        }
    }
    tracing::info!(app_id = %app.app_id, cards, failed = failed.len(), "deleted app feed cards");
    Ok(AppFeedCardBatchResponse {
        failed_cards: failed,
    })
}

pub const NOT_IN_CHAT: &str = "The user is not in the chat";
pub const NO_SUCH_USER: &str = "The user does not exist";
pub const NOT_AVAILABLE: &str = "The user is outside the app's availability";

fn failed_user(id: &str, why: &str) -> FailedUserReason {
    FailedUserReason {
        error_code: 0,
        error_message: why.to_string(),
        user_id: id.to_string(),
    }
}

/// A chat the app's bot is in: 230001 naming `field` if there is no such chat, 232009 if it is
/// dissolved, 230027 if the bot is not a member.
async fn chat_with_bot(
    state: &AppState,
    app: &App,
    field: &str,
    chat_id: &str,
) -> Result<(), ApiError> {
    let unknown = || ApiError::field(INVALID, FieldError::new(field, "no chat has this chat_id"));
    super::chat_with_bot(state, app, chat_id, unknown, ErrorCode::NoPermission).await?;
    Ok(())
}

/// The tenant user_ids of the named users who are in the chat, and a reason for each other.
async fn members_among(
    state: &AppState,
    app: &App,
    id_type: UserIdType,
    chat_id: &str,
    ids: &[String],
) -> Result<(Vec<String>, Vec<FailedUserReason>), ApiError> {
    let named: Vec<(&String, Option<String>)> = unique(ids)
        .into_iter()
        .map(|id| {
            let user = state.world.resolve(app, id_type, id);
            (id, user.map(|u| u.user_id.clone()))
        })
        .collect();
    let user_ids: Vec<String> = named.iter().filter_map(|(_, u)| u.clone()).collect();
    let mut present = state
        .store
        .are_members(chat_id, MemberKind::User, &user_ids)
        .await?
        .into_iter();
    let (mut members, mut failed) = (Vec::new(), Vec::new());
    // Failures keep the order the users were named in.
    for (id, user_id) in named {
        match user_id {
            None => failed.push(failed_user(id, NO_SUCH_USER)),
            Some(u) if present.next().unwrap_or(false) => members.push(u),
            Some(_) => failed.push(failed_user(id, NOT_IN_CHAT)),
        }
    }
    Ok((members, failed))
}

pub async fn update_chat_buttons(
    state: &AppState,
    app: &App,
    id_type: UserIdType,
    req: &UpdateChatButtonRequest,
) -> Result<UpdateChatButtonResponse, ApiError> {
    checked(INVALID, req.validate())?;
    let chat_id = req.chat_id.as_deref().unwrap_or_default();
    chat_with_bot(state, app, "chat_id", chat_id).await?;
    let (targets, failed) = match &req.user_ids {
        Some(ids) => members_among(state, app, id_type, chat_id, ids).await?,
        None => {
            let all = state
                .store
                .list_members(chat_id, MemberKind::User, 0, u32::MAX)
                .await?
                .0;
            (all, Vec::new())
        }
    };
    let buttons = req
        .buttons
        .as_ref()
        .and_then(|b| b.buttons.clone())
        .unwrap_or_default();
    state
        .store
        .set_chat_buttons(
            &app.app_id,
            chat_id,
            &targets,
            &buttons,
            state.clock.now_ms(),
        )
        .await?;
    tracing::info!(app_id = %app.app_id, %chat_id, users = targets.len(), buttons = buttons.len(), "replaced chat buttons");
    Ok(UpdateChatButtonResponse {
        failed_user_reasons: failed,
    })
}

/// `PATCH feed_cards/:feed_card_id`: pins (or unpins) a group's feed entry for some of its members.
pub async fn set_chat_time_sensitive(
    state: &AppState,
    app: &App,
    id_type: UserIdType,
    chat_id: &str,
    req: &PatchFeedCardRequest,
) -> Result<TimeSensitiveResponse, ApiError> {
    checked(INVALID, req.validate())?;
    chat_with_bot(state, app, "feed_card_id", chat_id).await?;
    let ids = req.user_ids.as_deref().unwrap_or_default();
    let (members, failed) = members_among(state, app, id_type, chat_id, ids).await?;
    let pinned = req.time_sensitive.unwrap_or_default();
    let now = state.clock.now_ms();
    state
        .store
        .set_pins(&app.app_id, chat_id, &members, pinned, now)
        .await?;
    tracing::info!(app_id = %app.app_id, %chat_id, users = members.len(), pinned, "set a chat's time-sensitive state");
    Ok(TimeSensitiveResponse {
        failed_user_reasons: failed,
    })
}

/// `PATCH feed_cards/bot_time_sentive`: pins (or unpins) the bot's one-to-one chat with each user,
/// opening the chat if it did not exist yet.
pub async fn set_bot_time_sensitive(
    state: &AppState,
    app: &App,
    id_type: UserIdType,
    req: &BotTimeSentiveRequest,
) -> Result<TimeSensitiveResponse, ApiError> {
    checked(INVALID, req.validate())?;
    if !app.bot {
        return Err(ApiError::new(ErrorCode::BotAbilityOff));
    }
    let pinned = req.time_sensitive.unwrap_or_default();
    let now = state.clock.now_ms();
    let mut failed = Vec::new();
    let mut chats = Vec::new();
    for id in unique(req.user_ids.as_deref().unwrap_or_default()) {
        let Some(user) = state.world.resolve(app, id_type, id) else {
            failed.push(failed_user(id, NO_SUCH_USER));
            continue;
        };
        if !state.world.is_available(app, user) {
            failed.push(failed_user(id, NOT_AVAILABLE));
            continue;
        }
        chats.push(new_p2p_chat(&app.app_id, &user.user_id, now));
    }
    let served = chats.len();
    if served > 0 {
        state
            .store
            .pin_p2p_chats(&app.app_id, chats, pinned, now)
            .await?;
    }
    tracing::info!(app_id = %app.app_id, users = served, pinned, "set the bot chat's time-sensitive state");
    Ok(TimeSensitiveResponse {
        failed_user_reasons: failed,
    })
}
