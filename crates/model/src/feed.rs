//! What one user's message feed holds, as larkfeed's admin API shows it
//! (`GET /_larkfeed/users/:id/feed`): app feed cards and chat entries, time-sensitive entries
//! first, then the most recent first.

use crate::feed_card::{Button, OpenAppFeedCard};
use crate::ids::{AppId, BizId, ChatId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserFeed {
    pub user: FeedUser,
    /// One page of the feed, in feed order.
    pub entries: Vec<FeedEntry>,
    /// Whether entries follow this page; ask again with `page_token` for them.
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub page_token: String,
}

/// Entries a page holds unless `page_size` says otherwise, and at most.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedUser {
    pub user_id: String,
    pub name: String,
}

/// One entry of the feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeedEntry {
    /// A card an app put in the feed (`POST /open-apis/im/v2/app_feed_card`).
    AppFeedCard(CardEntry),
    /// A chat the user is in: a group, or an app's one-to-one chat with the user.
    Chat(ChatEntry),
}

impl FeedEntry {
    pub fn time_sensitive(&self) -> bool {
        match self {
            FeedEntry::AppFeedCard(c) => c.time_sensitive,
            FeedEntry::Chat(c) => c.time_sensitive,
        }
    }

    pub fn sort_time(&self) -> i64 {
        match self {
            FeedEntry::AppFeedCard(c) => c.sort_time,
            FeedEntry::Chat(c) => c.sort_time,
        }
    }

    fn key(&self) -> &str {
        match self {
            FeedEntry::AppFeedCard(c) => &c.biz_id,
            FeedEntry::Chat(c) => &c.chat_id,
        }
    }

    /// Where the entry sits in the feed: entries are ordered by this, time-sensitive first, then
    /// the latest sort time, then by id (biz_id or chat_id) and app, so the order is total.
    pub fn position(&self) -> Position {
        Position {
            time_sensitive: self.time_sensitive(),
            sort_time: self.sort_time(),
            key: self.key().to_string(),
            app_id: match self {
                FeedEntry::AppFeedCard(c) => c.app_id.to_string(),
                FeedEntry::Chat(_) => String::new(),
            },
        }
    }
}

/// An entry's place in feed order; `a < b` means `a` is shown above `b`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub time_sensitive: bool,
    pub sort_time: i64,
    pub key: String,
    pub app_id: String,
}

impl Ord for Position {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other
            .time_sensitive
            .cmp(&self.time_sensitive)
            .then(other.sort_time.cmp(&self.sort_time))
            .then_with(|| self.key.cmp(&other.key))
            .then_with(|| self.app_id.cmp(&other.app_id))
    }
}

impl PartialOrd for Position {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardEntry {
    pub app_id: AppId,
    pub app_name: String,
    pub biz_id: BizId,
    pub card: OpenAppFeedCard,
    pub time_sensitive: bool,
    /// Unix milliseconds of the server clock.
    pub display_time: i64,
    pub sort_time: i64,
    /// Notifications (on create, and each update with `"103"`) the user has not seen.
    pub unread_notifications: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatEntry {
    pub chat_id: ChatId,
    /// `group`, or `p2p` for an app's one-to-one chat with the user.
    pub chat_type: String,
    pub name: String,
    /// For a `p2p` entry: the app on the other side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<AppId>,
    pub time_sensitive: bool,
    /// The app that pinned the entry, if it is pinned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_by: Option<AppId>,
    /// The last message, or when the user joined.
    pub sort_time: i64,
    /// The quick-action buttons each app shows this user on the entry.
    pub buttons: Vec<AppButtons>,
    /// The last message, for the entry's second line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<MessagePreview>,
    /// Messages of others since the user last read the chat.
    #[serde(default)]
    pub unread: i64,
}

/// A message as a feed entry shows it: who sent it and one line of what it says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagePreview {
    pub sender_name: String,
    pub text: String,
}

/// One line of a message's content, as the client's feed shows it: a text's text, a post's title
/// or first words, a card's header title, else the kind in brackets.
pub fn preview(msg_type: &str, content: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(content).unwrap_or_default();
    let text = match msg_type {
        "text" => value["text"].as_str().map(str::to_string),
        "post" => {
            let post = if value.get("content").is_some() {
                &value
            } else {
                value
                    .as_object()
                    .and_then(|m| m.values().next())
                    .unwrap_or(&serde_json::Value::Null)
            };
            post["title"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .or_else(|| {
                    let words: Vec<&str> = post["content"]
                        .as_array()?
                        .iter()
                        .flat_map(|p| p.as_array().into_iter().flatten())
                        .filter_map(|x| x["text"].as_str())
                        .collect();
                    (!words.is_empty()).then(|| words.join(""))
                })
        }
        "interactive" => {
            let title = &value["header"]["title"];
            title["content"]
                .as_str()
                .or_else(|| title["i18n"].as_object()?.values().next()?.as_str())
                .map(|t| format!("[Card] {t}"))
                .or(Some("[Card]".to_string()))
        }
        _ => None,
    };
    let text = text.unwrap_or_else(|| format!("[{msg_type}]"));
    // One line, not too long.
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppButtons {
    pub app_id: AppId,
    pub buttons: Vec<Button>,
}

/// Orders entries as the feed shows them (see [`FeedEntry::position`]).
pub fn sort(entries: &mut [FeedEntry]) {
    entries.sort_by_cached_key(FeedEntry::position);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(id: &str, pinned: bool, at: i64) -> FeedEntry {
        FeedEntry::Chat(ChatEntry {
            chat_id: ChatId::with_suffix(id),
            chat_type: "group".into(),
            name: id.into(),
            app_id: None,
            time_sensitive: pinned,
            pinned_by: None,
            sort_time: at,
            buttons: vec![],
            last_message: None,
            unread: 0,
        })
    }

    #[test]
    fn a_preview_is_one_line_of_what_a_message_says() {
        assert_eq!(preview("text", r#"{"text":"hello\nthere"}"#), "hello there");
        assert_eq!(
            preview(
                "post",
                r#"{"zh_cn":{"title":"","content":[[{"tag":"text","text":"Hi "},{"tag":"a","text":"link"}]]}}"#
            ),
            "Hi link"
        );
        assert_eq!(
            preview(
                "interactive",
                r#"{"header":{"title":{"tag":"plain_text","content":"Approve?"}}}"#
            ),
            "[Card] Approve?"
        );
        assert_eq!(preview("interactive", r#"{"elements":[]}"#), "[Card]");
        assert_eq!(preview("image", r#"{"image_key":"img_1"}"#), "[image]");
        assert_eq!(
            preview("text", &format!(r#"{{"text":"{}"}}"#, "x".repeat(100)))
                .chars()
                .count(),
            81
        );
    }

    #[test]
    fn time_sensitive_entries_come_first_then_the_latest() {
        let mut e = vec![
            chat("a", false, 30),
            chat("b", true, 10),
            chat("c", false, 20),
            chat("d", true, 5),
        ];
        sort(&mut e);
        let order: Vec<_> = e.iter().map(|x| x.key().to_string()).collect();
        assert_eq!(order, ["oc_b", "oc_d", "oc_a", "oc_c"]);
    }
}
