//! What one user's feed holds, assembled from the store: every app's cards for the user and the
//! chats the user is in, with pins and quick-action buttons, in the order the feed shows them.

use crate::error::ApiError;
use crate::state::AppState;
use crate::world::User;
use larkfeed_model::feed::{self, AppButtons, CardEntry, ChatEntry, FeedEntry, FeedUser, UserFeed};
use larkfeed_model::feed_card::{Button, OpenAppFeedCard};
use std::collections::HashMap;

pub async fn of_user(state: &AppState, user: &User) -> Result<UserFeed, ApiError> {
    let rows = state.store.feed_of_user(&user.user_id).await?;
    let mut buttons: HashMap<String, Vec<AppButtons>> = HashMap::new();
    for (app_id, chat_id, json) in rows.buttons {
        let list: Vec<Button> = serde_json::from_str(&json).map_err(ApiError::internal)?;
        buttons.entry(chat_id).or_default().push(AppButtons {
            app_id,
            buttons: list,
        });
    }
    let mut entries = Vec::with_capacity(rows.cards.len() + rows.chats.len());
    for row in rows.cards {
        let card: OpenAppFeedCard = serde_json::from_str(&row.card).map_err(ApiError::internal)?;
        let app_name = state
            .world
            .app(&row.app_id)
            .map(|a| a.name.clone())
            .unwrap_or_default();
        entries.push(FeedEntry::AppFeedCard(CardEntry {
            app_id: row.app_id,
            app_name,
            biz_id: row.biz_id,
            time_sensitive: card.time_sensitive.unwrap_or(false),
            card,
            display_time: row.display_time_ms,
            sort_time: row.sort_time_ms,
            unread_notifications: row.unread,
        }));
    }
    for row in rows.chats {
        let p2p = row.chat.chat_type == "p2p";
        let name = match p2p {
            true => state
                .world
                .app(&row.chat.creator_app)
                .map(|a| a.name.clone())
                .unwrap_or_default(),
            false => row.chat.name.clone(),
        };
        let mut shown = buttons.remove(&row.chat.chat_id).unwrap_or_default();
        shown.sort_by(|a, b| a.app_id.cmp(&b.app_id));
        entries.push(FeedEntry::Chat(ChatEntry {
            chat_type: if p2p { "p2p" } else { "group" }.into(),
            name,
            app_id: p2p.then(|| row.chat.creator_app.clone()),
            time_sensitive: row.pinned_by.is_some(),
            pinned_by: row.pinned_by,
            sort_time: row.last_message_ms.unwrap_or(0).max(row.joined_at_ms),
            buttons: shown,
            chat_id: row.chat.chat_id,
        }));
    }
    feed::sort(&mut entries);
    Ok(UserFeed {
        user: FeedUser {
            user_id: user.user_id.clone(),
            name: user.name.clone(),
        },
        entries,
    })
}
