//! Messages (`/open-apis/im/v1/messages`): send, get, recall and the card update of seed 002.

use crate::card::{self, CardError, CardInfo};
use crate::ids::{ChatId, MessageId, ThreadId};
use crate::validate::{self, Checked, FieldError};
use serde::{Deserialize, Serialize};

pub const MSG_TYPES: &[&str] = &[
    "text",
    "post",
    "image",
    "file",
    "audio",
    "media",
    "sticker",
    "interactive",
    "share_chat",
    "share_user",
    "system",
];
/// Text content may be 150 KB; cards and rich text 30 KB. Measured on the content string's UTF-8 bytes.
pub const TEXT_LIMIT_BYTES: usize = 150 * 1024;
pub const CARD_LIMIT_BYTES: usize = 30 * 1024;
pub const UUID_MAX_CHARS: usize = 50;
/// A card may be updated for 14 days after it was sent.
pub const PATCH_WINDOW_MS: i64 = 14 * 24 * 3600 * 1000;

/// Body of `POST /open-apis/im/v1/messages`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SendMessageRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub receive_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub msg_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}

/// A send that passed every rule (the content's own rules are checked by [`check_content`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub receive_id: String,
    pub msg_type: String,
    pub content: String,
    /// Not empty when given.
    pub uuid: Option<String>,
}

impl SendMessageRequest {
    pub fn parse(self) -> Result<Outgoing, FieldError> {
        let receive_id = validate::required("receive_id", &self.receive_id)?;
        if receive_id.trim().is_empty() {
            return Err(FieldError::new("receive_id", "must not be empty"));
        }
        let msg_type = validate::required("msg_type", &self.msg_type)?;
        validate::one_of("msg_type", msg_type, MSG_TYPES)?;
        validate::required("content", &self.content)?;
        if let Some(uuid) = &self.uuid {
            validate::max_chars("uuid", uuid, UUID_MAX_CHARS)?;
        }
        Ok(Outgoing {
            receive_id: self.receive_id.unwrap_or_default(),
            msg_type: self.msg_type.unwrap_or_default(),
            content: self.content.unwrap_or_default(),
            uuid: self.uuid.filter(|u| !u.is_empty()),
        })
    }

    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

/// Body of `POST /open-apis/im/v1/messages/:message_id/reply`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReplyMessageRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub msg_type: Option<String>,
    /// Reply in a thread under the message (a reply to a message already in a thread stays in
    /// it whatever this says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_in_thread: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}

/// A reply that passed every rule (the content's own rules are checked by [`check_content`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub msg_type: String,
    pub content: String,
    pub in_thread: bool,
    /// Not empty when given.
    pub uuid: Option<String>,
}

impl ReplyMessageRequest {
    pub fn parse(self) -> Result<Reply, FieldError> {
        let msg_type = validate::required("msg_type", &self.msg_type)?;
        validate::one_of("msg_type", msg_type, MSG_TYPES)?;
        validate::required("content", &self.content)?;
        if let Some(uuid) = &self.uuid {
            validate::max_chars("uuid", uuid, UUID_MAX_CHARS)?;
        }
        Ok(Reply {
            msg_type: self.msg_type.unwrap_or_default(),
            content: self.content.unwrap_or_default(),
            in_thread: self.reply_in_thread.unwrap_or(false),
            uuid: self.uuid.filter(|u| !u.is_empty()),
        })
    }

    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

/// Body of `PATCH /open-apis/im/v1/messages/:message_id` (seed 002).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PatchMessageRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub content: Option<String>,
}

impl PatchMessageRequest {
    /// The new content (its card rules are checked by [`check_content`]).
    pub fn parse(self) -> Result<String, FieldError> {
        let content = validate::required("content", &self.content)?;
        if content.is_empty() {
            return Err(FieldError::new("content", "must not be empty"));
        }
        Ok(self.content.unwrap_or_default())
    }

    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

/// Why message content was refused, in the order the platform checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentError {
    /// 230025: longer than the type allows.
    TooLong { limit: usize, got: usize },
    /// 230001: not the JSON the type needs.
    Invalid(FieldError),
    /// 230099: a card the platform cannot build.
    Card(CardError),
}

/// Checks a message's `content` for its `msg_type`; returns what was learned of a card.
pub fn check_content(msg_type: &str, content: &str) -> Result<Option<CardInfo>, ContentError> {
    let limit = if msg_type == "text" {
        TEXT_LIMIT_BYTES
    } else {
        CARD_LIMIT_BYTES
    };
    if content.len() > limit {
        return Err(ContentError::TooLong {
            limit,
            got: content.len(),
        });
    }
    if msg_type == "interactive" {
        return card::check(content).map(Some).map_err(ContentError::Card);
    }
    let value: serde_json::Value = serde_json::from_str(content).map_err(|_| {
        ContentError::Invalid(FieldError::new(
            "content",
            "must be a JSON string of an object",
        ))
    })?;
    if !value.is_object() {
        return Err(ContentError::Invalid(FieldError::new(
            "content",
            "must be a JSON string of an object",
        )));
    }
    let needs = match msg_type {
        "text" => Some("text"),
        "image" => Some("image_key"),
        "file" | "audio" | "media" => Some("file_key"),
        "sticker" => Some("file_key"),
        "share_chat" => Some("chat_id"),
        "share_user" => Some("user_id"),
        _ => None,
    };
    if let Some(key) = needs {
        if !value.get(key).is_some_and(serde_json::Value::is_string) {
            return Err(ContentError::Invalid(FieldError::new(
                format!("content.{key}"),
                format!("a {msg_type} message needs {key}"),
            )));
        }
    }
    Ok(None)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Sender {
    pub id: String,
    pub id_type: String,
    pub sender_type: String,
    pub tenant_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MessageBody {
    pub content: String,
}

/// The message object of the IM v1 API. Times are milliseconds, as strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Message {
    pub message_id: MessageId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_id: Option<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<ThreadId>,
    pub msg_type: String,
    pub create_time: String,
    pub update_time: String,
    pub deleted: bool,
    pub updated: bool,
    pub chat_id: ChatId,
    pub sender: Sender,
    pub body: MessageBody,
    /// Whom the message @-mentions (messages users send; the app's own carry none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions: Option<Vec<Mention>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper_message_id: Option<MessageId>,
}

/// One @-mention: the placeholder in the content (`@_user_1`) and whom it names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Mention {
    pub key: String,
    pub id: String,
    pub id_type: String,
    pub name: String,
    pub tenant_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GetMessageResponse {
    pub items: Vec<Message>,
}

/// A page of a chat's or a thread's messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MessageList {
    pub has_more: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
    pub items: Vec<Message>,
}

/// What a recalled message's content reads in a list (the reference page im-v1/message/list).
pub const RECALLED_CONTENT: &str = "This message was recalled";
/// A message can be edited this many times (230072 beyond; im-v1/message/update).
pub const EDIT_LIMIT: i64 = 20;
/// A page of messages: 1 to 50, 20 when not given.
pub const LIST_MAX_PAGE_SIZE: u32 = 50;
pub const LIST_DEFAULT_PAGE_SIZE: u32 = 20;

/// Body of `PUT /open-apis/im/v1/messages/:message_id`: a text's or a post's new content.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UpdateMessageRequest {
    /// `text` or `post`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub msg_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub content: Option<String>,
}

/// An edit that passed the field rules: its type and content (whose own rules
/// [`check_content`] checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub msg_type: String,
    pub content: String,
}

impl UpdateMessageRequest {
    pub fn parse(self) -> Result<Edit, FieldError> {
        let msg_type = validate::required("msg_type", &self.msg_type)?;
        validate::one_of("msg_type", msg_type, &["text", "post"])?;
        let content = validate::required("content", &self.content)?;
        if content.is_empty() {
            return Err(FieldError::new("content", "must not be empty"));
        }
        Ok(Edit {
            msg_type: self.msg_type.unwrap_or_default(),
            content: self.content.unwrap_or_default(),
        })
    }

    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_rules_name_fields() {
        let base = SendMessageRequest {
            receive_id: Some("ou_1".into()),
            msg_type: Some("text".into()),
            content: Some(r#"{"text":"hi"}"#.into()),
            uuid: None,
        };
        base.validate().unwrap();
        let cases = [
            (
                SendMessageRequest {
                    receive_id: None,
                    ..base.clone()
                },
                "receive_id",
            ),
            (
                SendMessageRequest {
                    msg_type: Some("video".into()),
                    ..base.clone()
                },
                "msg_type",
            ),
            (
                SendMessageRequest {
                    content: None,
                    ..base.clone()
                },
                "content",
            ),
            (
                SendMessageRequest {
                    uuid: Some("u".repeat(51)),
                    ..base.clone()
                },
                "uuid",
            ),
        ];
        for (req, field) in cases {
            assert_eq!(req.validate().unwrap_err().field, field);
        }
    }

    #[test]
    fn content_limits_are_measured_in_bytes_per_type() {
        let big_text = format!(r#"{{"text":"{}"}}"#, "a".repeat(TEXT_LIMIT_BYTES));
        assert!(matches!(
            check_content("text", &big_text),
            Err(ContentError::TooLong { .. })
        ));
        let card = format!(
            r#"{{"elements":[{{"tag":"markdown","content":"{}"}}]}}"#,
            "文".repeat(10_300)
        );
        assert!(matches!(
            check_content("interactive", &card),
            Err(ContentError::TooLong { .. })
        ));
        assert!(matches!(
            check_content("text", r#"{"txt":"x"}"#),
            Err(ContentError::Invalid(_))
        ));
        assert!(matches!(
            check_content("interactive", r#"{"text":"x"}"#),
            Err(ContentError::Card(_))
        ));
        assert_eq!(check_content("text", r#"{"text":"x"}"#), Ok(None));
    }
}

/// One reader of a message (`GET /open-apis/im/v1/messages/:message_id/read_users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReadUser {
    pub user_id_type: String,
    pub user_id: String,
    /// When they read it: milliseconds, as a string.
    pub timestamp: String,
    pub tenant_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReadUsers {
    pub items: Vec<ReadUser>,
    pub has_more: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
}

/// Body of `POST /open-apis/im/v1/messages/:message_id/forward`: where the copy goes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ForwardMessageRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub receive_id: Option<String>,
}

impl ForwardMessageRequest {
    pub fn parse(self) -> Result<String, FieldError> {
        let id = validate::required("receive_id", &self.receive_id)?;
        if id.trim().is_empty() {
            return Err(FieldError::new("receive_id", "must not be empty"));
        }
        Ok(id.clone())
    }
    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

/// Body of `PATCH /open-apis/im/v1/messages/:message_id/urgent_app`: the users to alert.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UrgentRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub user_id_list: Option<Vec<String>>,
}

impl UrgentRequest {
    /// 1 to 200 ids.
    pub fn parse(self) -> Result<Vec<String>, FieldError> {
        let ids = validate::required("user_id_list", &self.user_id_list)?;
        validate::list_len("user_id_list", ids, 1, 200)?;
        Ok(ids.clone())
    }
    pub fn validate(&self) -> Checked {
        self.clone().parse().map(drop)
    }
}

/// Answer of an urgent alert: the ids that name no user of the chat.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UrgentResponse {
    pub invalid_user_id_list: Vec<String>,
}
