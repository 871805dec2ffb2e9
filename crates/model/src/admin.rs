//! larkfeed's own admin API (`/_larkfeed/`): what a user does (`act`), and the answer each act
//! gives. The server reads these; the SDK's `admin` feature sends them.

use crate::ids::{AppId, BizId, ChatId, MessageId};
use serde::{Deserialize, Serialize};

/// What every `/_larkfeed/act/…` call answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acted {
    /// Whether the app answered HTTP 200 in time.
    pub delivered: bool,
    /// The app's HTTP status, if it answered.
    pub status: Option<u16>,
    /// The app's answer, parsed (JSON when it was, else its text); null when empty.
    pub response: Option<serde_json::Value>,
    /// What changed because of it: a toast, a replaced card, a URL opened, a stored message.
    pub applied: serde_json::Value,
    /// Why nothing was delivered, in words.
    pub error: Option<String>,
}

/// `POST /_larkfeed/act/card_action`: a click on an interactive card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardAction {
    /// Any of the user's ids: user_id, an open_id or union_id of any app, or the email.
    pub user: String,
    pub message_id: MessageId,
    /// `tag`, `value`, `name`, `form_value`, `option`, …: sent as the callback's `action`.
    pub action: serde_json::Map<String, serde_json::Value>,
}

/// `POST /_larkfeed/act/feed_card_button`: a click on a feed card's button.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedCardButton {
    pub user: String,
    pub app_id: AppId,
    pub biz_id: BizId,
    /// The button's index, from 0.
    pub button: usize,
}

/// `POST /_larkfeed/act/chat_button`: a click on a chat's quick-action button.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatButton {
    pub user: String,
    pub chat_id: ChatId,
    pub button: usize,
    /// The app whose buttons are meant, when several apps show buttons on the chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<AppId>,
}

/// `POST /_larkfeed/act/send_message`: the user sends a message to a chat (`chat_id`) or to an
/// app's bot one-to-one (`to_app`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<ChatId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_app: Option<AppId>,
    pub msg_type: String,
    /// The content as the messages API takes it: a JSON string (an object is accepted too).
    /// In a text, `<at user_id="…">Name</at>` mentions a user (any id) or a bot (its app_id).
    pub content: serde_json::Value,
    /// A reply to this message of the same chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<MessageId>,
    /// With `reply_to`: in a thread under it (a message in a thread is answered in it anyway).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_thread: Option<bool>,
}

/// `POST /_larkfeed/act/react`: a user reacts to a message with an emoji, or (`remove`) takes
/// their reaction of that emoji back. The apps in the chat get
/// `im.message.reaction.created_v1` or `deleted_v1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct React {
    /// Any of the user's ids.
    pub user: String,
    pub message_id: MessageId,
    pub emoji_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove: Option<bool>,
}

/// `POST /_larkfeed/act/add_bot`: a user adds an app's bot to a group they are in. The app
/// gets `im.chat.member.bot.added_v1`. `POST /_larkfeed/act/remove_bot` takes the same body and
/// takes the bot out (`im.chat.member.bot.deleted_v1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddBot {
    /// Any of the user's ids.
    pub user: String,
    pub chat_id: ChatId,
    pub app_id: AppId,
}

/// `POST /_larkfeed/act/upload`: a user uploads an image or a file (to send it with
/// `act/send_message` as `image_key` or `file_key`). Answers `{"image_key"}` or `{"file_key"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upload {
    /// Any of the user's ids.
    pub user: String,
    /// `image` or `file`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub file_name: String,
    /// The bytes, base64.
    pub data: String,
}

/// `POST /_larkfeed/act/read`: a user reads a message (and the chat up to now). The app that
/// sent it gets `im.message.message_read_v1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Read {
    pub user: String,
    pub message_id: MessageId,
}

/// `POST /_larkfeed/act/recall`: a user recalls a message they sent. The apps whose bots are in
/// the chat get `im.message.recalled_v1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recall {
    pub user: String,
    pub message_id: MessageId,
}
