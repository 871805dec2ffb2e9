//! What one user's feed holds, a page at a time: every app's cards for the user and the chats the
//! user is in, with pins and quick-action buttons, in the order the feed shows them.
//!
//! Cards are paged by the store in feed order; a user's chats are few, so they are read whole and
//! merged in. The page token is the position of the last entry given (hex of its JSON), so a
//! page never repeats or skips an entry that was there when the first page was read.

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{FeedCursor, FeedSlice};
use crate::world::User;
use larkfeed_model::feed::{
    self, AppButtons, CardEntry, ChatEntry, FeedEntry, FeedUser, MessagePreview, Position, UserFeed,
};
use larkfeed_model::{ChatId, ErrorCode, FieldError};
use std::collections::HashMap;

/// Reads a page token given by [`of_user`].
pub fn parse_page_token(token: &str) -> Result<Position, ApiError> {
    let invalid = || {
        ApiError::field(
            ErrorCode::ImInvalidParam,
            FieldError::new("page_token", "is not a token this endpoint gave"),
        )
    };
    let bytes = hex::decode(token).map_err(|_| invalid())?;
    serde_json::from_slice(&bytes).map_err(|_| invalid())
}

fn page_token(position: &Position) -> String {
    // A position is a bool, a number and two strings: nothing in it can fail to serialise.
    hex::encode(serde_json::to_vec(position).expect("a feed position serialises"))
}

pub async fn of_user(
    state: &AppState,
    user: &User,
    page_size: u32,
    after: Option<Position>,
) -> Result<UserFeed, ApiError> {
    let cursor = after.as_ref().map(|p| FeedCursor {
        time_sensitive: p.time_sensitive,
        sort_time_ms: p.sort_time,
        key: p.key.clone(),
        app_id: p.app_id.clone(),
    });
    let rows = state
        .store
        .feed_page(FeedSlice {
            user_id: &user.user_id,
            after: cursor.as_ref(),
            limit: page_size + 1,
        })
        .await?;
    let mut buttons: HashMap<ChatId, Vec<AppButtons>> = HashMap::new();
    for (app_id, chat_id, list) in rows.buttons {
        buttons.entry(chat_id).or_default().push(AppButtons {
            app_id,
            buttons: list,
        });
    }
    let mut entries = Vec::with_capacity(rows.cards.len() + rows.chats.len());
    for row in rows.cards {
        let app_name = state.world.app_name(&row.app_id).to_owned();
        entries.push(FeedEntry::AppFeedCard(CardEntry {
            app_id: row.app_id,
            app_name,
            biz_id: row.biz_id,
            time_sensitive: row.card.time_sensitive.unwrap_or(false),
            card: row.card,
            display_time: row.display_time_ms,
            sort_time: row.sort_time_ms,
            unread_notifications: row.unread,
        }));
    }
    for row in rows.chats {
        let p2p = row.chat.p2p_user.is_some();
        let name = match p2p {
            true => state.world.app_name(&row.chat.creator_app).to_owned(),
            false => row.chat.name.clone(),
        };
        // The chat's buttons of every app that set some; a chat without any shows none.
        let mut shown: Vec<AppButtons> = buttons
            .remove(&row.chat.chat_id)
            .into_iter()
            .flatten()
            .collect();
        shown.sort_by(|a, b| a.app_id.cmp(&b.app_id));
        let entry = FeedEntry::Chat(ChatEntry {
            chat_type: row.chat.chat_type.mode().into(),
            name,
            app_id: p2p.then(|| row.chat.creator_app.clone()),
            time_sensitive: row.pinned_by.is_some(),
            pinned_by: row.pinned_by,
            sort_time: row.last_message_ms.unwrap_or(0).max(row.joined_at_ms),
            buttons: shown,
            last_message: row.last_message.map(|m| MessagePreview {
                sender_name: match &m.sender_user {
                    Some(user_id) => state.world.user_name(user_id),
                    None => m
                        .sender_app
                        .as_deref()
                        .map_or("", |a| state.world.app_name(a)),
                }
                .to_string(),
                text: feed::preview(&m.msg_type, &m.content),
            }),
            unread: row.unread,
            chat_id: row.chat.chat_id,
        });
        if after.as_ref().is_none_or(|p| entry.position() > *p) {
            entries.push(entry);
        }
    }
    feed::sort(&mut entries);
    let has_more = entries.len() > page_size as usize;
    entries.truncate(page_size as usize);
    let page_token = match (has_more, entries.last()) {
        (true, Some(last)) => page_token(&last.position()),
        _ => String::new(),
    };
    Ok(UserFeed {
        user: FeedUser {
            user_id: user.user_id.to_string(),
            name: user.name.clone(),
        },
        entries,
        has_more,
        page_token,
    })
}

/// One chat's latest messages as the inspector shows them: who sent each (an app or a user, by
/// name), its content (empty once recalled), and whom it mentions.
pub async fn chat_messages(
    state: &AppState,
    chat_id: &str,
    limit: u32,
) -> Result<serde_json::Value, ApiError> {
    let chat = super::chat(state, chat_id).await?.ok_or_else(|| {
        ApiError::with_msg(
            ErrorCode::NotFound,
            format!("no chat has the id {chat_id:?}"),
        )
    })?;
    let world = &state.world;
    let rows = state.store.chat_messages(&chat.chat_id, limit).await?;
    // A card sent as a CardKit entity: its id, and whether it is streaming now (the inspector
    // writes a streamed text in place as each write arrives).
    let now = state.clock.now_ms();
    let mut entities = std::collections::HashMap::new();
    for m in rows.iter().filter(|m| m.msg_type == "interactive") {
        if let Some(entity) = state.store.card_entity_of_message(&m.message_id).await? {
            let card: serde_json::Value = serde_json::from_str(&entity.card).unwrap_or_default();
            let streaming = super::cardkit::streaming_now(&entity, &card, now);
            entities.insert(m.message_id.clone(), (entity.card_id, streaming));
        }
    }
    // Each message's reactions, by emoji in the order first given, with who gave them.
    let ids: Vec<_> = rows.iter().map(|m| m.message_id.clone()).collect();
    let mut reactions: std::collections::HashMap<_, Vec<serde_json::Value>> =
        std::collections::HashMap::new();
    for r in state.store.reactions_of(&ids).await? {
        let who = match &r.operator {
            crate::store::Actor::User(user_id) => serde_json::json!({
                "kind": "user", "id": user_id, "name": world.user_name(user_id),
            }),
            crate::store::Actor::App(app_id) => serde_json::json!({
                "kind": "app", "id": app_id, "name": world.app_name(app_id),
            }),
        };
        let list = reactions.entry(r.message_id.clone()).or_default();
        match list
            .iter_mut()
            .find(|g| g["emoji_type"] == r.emoji_type.as_str())
        {
            Some(group) => {
                if let Some(by) = group["by"].as_array_mut() {
                    by.push(who);
                }
            }
            None => list.push(serde_json::json!({"emoji_type": r.emoji_type, "by": [who]})),
        }
    }
    let items: Vec<serde_json::Value> = rows
        .into_iter()
        .map(|m| {
            let entity = entities.remove(&m.message_id);
            let reacted = reactions.remove(&m.message_id).unwrap_or_default();
            let sender = match &m.sender_user {
                Some(user_id) => serde_json::json!({
                    "kind": "user", "id": user_id,
                    "name": world.user_name(user_id),
                }),
                None => {
                    let app_id = m.sender_app.as_deref().unwrap_or_default();
                    serde_json::json!({
                        "kind": "app", "id": app_id, "name": world.app_name(app_id),
                    })
                }
            };
            let gone = m.recalled || m.deleted;
            serde_json::json!({
                "message_id": m.message_id,
                "msg_type": m.msg_type,
                "content": if gone { String::new() } else { m.content },
                "recalled": gone,
                "updated": m.updated,
                "create_time": m.create_time_ms,
                "update_time": m.update_time_ms,
                "sender": sender,
                "mentions": m.mentions,
                "root_id": m.root_id,
                "parent_id": m.parent_id,
                "thread_id": m.thread_id,
                "reactions": reacted,
                "card_id": entity.as_ref().map(|(id, _)| id.as_str()),
                "streaming": entity.is_some_and(|(_, on)| on),
            })
        })
        .collect();
    Ok(serde_json::json!({
        "chat": {
            "chat_id": chat.chat_id,
            "name": chat.name,
            "chat_type": chat.chat_type.as_str(),
            "dissolved": chat.dissolved,
            "app_id": chat.p2p_key.as_ref().map(|_| chat.creator_app.clone()),
            "bots": super::bots_of(state, &chat.chat_id).await?,
        },
        "items": items,
    }))
}
