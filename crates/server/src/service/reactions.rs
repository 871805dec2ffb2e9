//! Reactions on messages (the reference pages im-v1/message-reaction/create, delete, list): the
//! app's bot reacts with an emoji the platform knows (231001 otherwise) to a message in a chat it
//! is in (231002 otherwise), removes only its own reactions (231007), and lists a message's
//! reactions oldest first. A user's reaction (an act) is stored here too.

use super::bot_in_chat;
use super::call::{Call, Reply, Serve};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{Actor, MessageRow, ReactionRow, ReactionSlice};
use crate::world::App;
use larkfeed_model::endpoint::{self as ep, PathParam, ReactionPage, ReactionPath};
use larkfeed_model::reaction::{
    is_emoji_type, Emoji, Operator, Reaction, ReactionList, DEFAULT_PAGE_SIZE,
};
use larkfeed_model::{ErrorCode, MessageId, UserIdType};

/// The message a reaction call names: it exists and was not recalled (231003), is not deleted
/// (230110), its chat is not dissolved (232009); `in_chat` says whether the reactor may reach it
/// (231002 otherwise).
pub(crate) async fn reactable(state: &AppState, message_id: &str) -> Result<MessageRow, ApiError> {
    let not_found = || ApiError::new(ErrorCode::ReactionMessageNotFound);
    let id = MessageId::parse(message_id).map_err(|_| not_found())?;
    let row = state.store.get_message(&id).await?.ok_or_else(not_found)?;
    if row.recalled {
        return Err(not_found());
    }
    if row.deleted {
        return Err(ApiError::new(ErrorCode::MessageDeleted));
    }
    let chat = state
        .store
        .get_chat(&row.chat_id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::ReactionChatNotFound))?;
    if chat.dissolved {
        return Err(ApiError::new(ErrorCode::ChatDissolved));
    }
    Ok(row)
}

/// [`reactable`] for the app's bot, which must be in the message's chat.
async fn reactable_by(
    state: &AppState,
    app: &App,
    message_id: &str,
) -> Result<MessageRow, ApiError> {
    let row = reactable(state, message_id).await?;
    if !bot_in_chat(state, &row.chat_id, &app.app_id).await? {
        return Err(ApiError::new(ErrorCode::ReactionNoPermission));
    }
    Ok(row)
}

/// 231001 unless the platform knows the emoji type.
pub(crate) fn known_emoji(emoji_type: &str) -> Result<(), ApiError> {
    if is_emoji_type(emoji_type) {
        Ok(())
    } else {
        Err(ApiError::with_detail(
            ErrorCode::ReactionTypeInvalid,
            format!("{emoji_type:?} is no emoji_type the platform knows"),
        ))
    }
}

/// A new reaction's id: 22 characters of URL-safe base64, as the platform's look.
fn new_reaction_id() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
}

/// The reaction as `viewer` sees it: a user under their id of `id_type`, an app by its app_id.
pub(crate) fn present(
    state: &AppState,
    viewer: &App,
    row: &ReactionRow,
    id_type: UserIdType,
) -> Reaction {
    let operator = match &row.operator {
        Actor::App(app_id) => Operator {
            operator_id: app_id.to_string(),
            operator_type: "app".into(),
        },
        Actor::User(user_id) => Operator {
            operator_id: state
                .world
                .user(user_id)
                .map(|u| state.world.id_of(viewer, u, id_type))
                .unwrap_or_default(),
            operator_type: "user".into(),
        },
    };
    Reaction {
        reaction_id: row.reaction_id.clone(),
        operator,
        action_time: row.action_time_ms.to_string(),
        reaction_type: Emoji {
            emoji_type: row.emoji_type.clone(),
        },
    }
}

/// `who` reacts to the message with `emoji_type`: one reaction per reactor, emoji and message
/// (reacting again gives the one there is). The row, and whether it is new.
pub(crate) async fn react(
    state: &AppState,
    message: &MessageRow,
    who: Actor,
    emoji_type: &str,
) -> Result<(ReactionRow, bool), ApiError> {
    if let Some(existing) = find(state, message, &who, emoji_type).await? {
        return Ok((existing, false));
    }
    let row = ReactionRow {
        reaction_id: new_reaction_id(),
        message_id: message.message_id.clone(),
        emoji_type: emoji_type.to_string(),
        operator: who,
        action_time_ms: state.clock.now_ms(),
    };
    state.store.add_reaction(row.clone()).await?;
    Ok((row, true))
}

/// The reaction of `who` with `emoji_type` on the message, if there is one.
pub(crate) async fn find(
    state: &AppState,
    message: &MessageRow,
    who: &Actor,
    emoji_type: &str,
) -> Result<Option<ReactionRow>, ApiError> {
    let mut after: Option<(i64, String)> = None;
    loop {
        let slice = ReactionSlice {
            message_id: &message.message_id,
            emoji_type: Some(emoji_type),
            after: after.as_ref().map(|(t, id)| (*t, id.as_str())),
            limit: 200,
        };
        let page = state.store.list_reactions(slice).await?;
        let full = page.len() == 200;
        if let Some(found) = page.iter().find(|r| &r.operator == who) {
            return Ok(Some(found.clone()));
        }
        match page.last() {
            Some(last) if full => after = Some((last.action_time_ms, last.reaction_id.clone())),
            _ => return Ok(None),
        }
    }
}

impl Serve for ep::CreateReaction {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(message_id) = call.path;
        let emoji_type = call.body;
        known_emoji(&emoji_type)?;
        let message = reactable_by(state, app, &message_id).await?;
        let who = Actor::App(app.app_id.clone());
        let (row, _) = react(state, &message, who, &emoji_type).await?;
        Ok(present(state, app, &row, UserIdType::OpenId))
    }
}

impl Serve for ep::DeleteReaction {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let ReactionPath {
            message_id,
            reaction_id,
        } = call.path;
        let message = reactable_by(state, app, &message_id).await?;
        let invalid = || ApiError::new(ErrorCode::ReactionIdInvalid);
        let row = state
            .store
            .reaction(&reaction_id)
            .await?
            .ok_or_else(invalid)?;
        if row.message_id != message.message_id {
            return Err(ApiError::new(ErrorCode::ReactionNotOfMessage));
        }
        if row.operator != Actor::App(app.app_id.clone()) {
            return Err(ApiError::new(ErrorCode::ReactionNotYours));
        }
        if !state.store.remove_reaction(&reaction_id).await? {
            return Err(invalid());
        }
        Ok(present(state, app, &row, UserIdType::OpenId))
    }
}

/// Where the next page starts: the last reaction's time and id.
fn page_token(row: &ReactionRow) -> String {
    format!("{}_{}", row.action_time_ms, row.reaction_id)
}

fn read_page_token(token: &str) -> Result<(i64, &str), ApiError> {
    let invalid = || ApiError::new(ErrorCode::ReactionPageTokenInvalid);
    let (time, id) = token.split_once('_').ok_or_else(invalid)?;
    let time = time.parse().map_err(|_| invalid())?;
    if id.is_empty() {
        return Err(invalid());
    }
    Ok((time, id))
}

impl Serve for ep::ListReactions {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(message_id) = call.path;
        let ReactionPage {
            reaction_type,
            page_size,
            page_token: token,
            id_type,
        } = call.query;
        if let Some(kind) = &reaction_type {
            known_emoji(kind)?;
        }
        let message = reactable_by(state, app, &message_id).await?;
        let after = token.as_deref().map(read_page_token).transpose()?;
        let size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        let slice = ReactionSlice {
            message_id: &message.message_id,
            emoji_type: reaction_type.as_deref(),
            after,
            limit: size + 1,
        };
        let mut rows = state.store.list_reactions(slice).await?;
        let has_more = rows.len() > size as usize;
        rows.truncate(size as usize);
        Ok(ReactionList {
            page_token: has_more.then(|| rows.last().map(page_token)).flatten(),
            has_more,
            items: rows
                .iter()
                .map(|r| present(state, app, r, id_type))
                .collect(),
        })
    }
}
