//! Chats (`/open-apis/im/v1/chats`): create, add members, list members.

use crate::ids::ChatId;
use crate::validate::{self, Checked, FieldError};
use serde::{Deserialize, Serialize};

pub const MAX_USERS_ON_CREATE: usize = 50;
pub const MAX_BOTS_ON_CREATE: usize = 5;
pub const MAX_IDS_PER_ADD: usize = 50;
pub const MAX_PAGE_SIZE: u32 = 100;
pub const DEFAULT_PAGE_SIZE: u32 = 20;

/// Body of `POST /open-apis/im/v1/chats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CreateChatRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id_list: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_id_list: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_type: Option<String>,
}

/// Who may find and join a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupType {
    #[default]
    Private,
    Public,
}

/// A create request that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewChat {
    pub name: String,
    pub description: String,
    /// Not empty when given.
    pub owner_id: Option<String>,
    pub user_ids: Vec<String>,
    pub bot_ids: Vec<String>,
    pub group_type: GroupType,
}

impl CreateChatRequest {
    pub fn parse(self) -> Result<NewChat, FieldError> {
        self.validate()?;
        Ok(NewChat {
            name: self.name.unwrap_or_default(),
            description: self.description.unwrap_or_default(),
            owner_id: self.owner_id.filter(|s| !s.is_empty()),
            user_ids: self.user_id_list.unwrap_or_default(),
            bot_ids: self.bot_id_list.unwrap_or_default(),
            group_type: match self.chat_type.as_deref() {
                Some("public") => GroupType::Public,
                _ => GroupType::Private,
            },
        })
    }

    pub fn validate(&self) -> Checked {
        if let Some(users) = &self.user_id_list {
            validate::list_len("user_id_list", users, 0, MAX_USERS_ON_CREATE)?;
        }
        if let Some(bots) = &self.bot_id_list {
            validate::list_len("bot_id_list", bots, 0, MAX_BOTS_ON_CREATE)?;
        }
        if let Some(kind) = &self.chat_type {
            validate::one_of("chat_type", kind, &["private", "public"])?;
        }
        if let Some(name) = &self.name {
            validate::max_chars("name", name, 60)?;
        }
        if let Some(description) = &self.description {
            validate::max_chars("description", description, 100)?;
        }
        Ok(())
    }
}

/// Answer of `POST /open-apis/im/v1/chats`: the new chat's id and what it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Chat {
    pub chat_id: ChatId,
    #[serde(flatten)]
    pub about: AboutChat,
}

/// What a chat is, as the calling app sees it: the part both chat answers share.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AboutChat {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub owner_id: String,
    #[serde(default)]
    pub owner_id_type: String,
    /// `group`, or `p2p` for a bot's one-to-one chat.
    #[serde(default)]
    pub chat_mode: String,
    /// `private`, `public`, or `p2p`.
    #[serde(default)]
    pub chat_type: String,
    #[serde(default)]
    pub external: bool,
    #[serde(default)]
    pub tenant_key: String,
}

/// Answer of `GET /open-apis/im/v1/chats/:chat_id`: the chat as the calling app sees it (the
/// path names it, so its id is not repeated), with how many users and bots are in it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChatInfo {
    #[serde(flatten)]
    pub about: AboutChat,
    #[serde(default)]
    pub avatar: String,
    /// A count, as a string (the platform's type).
    #[serde(default)]
    pub user_count: String,
    #[serde(default)]
    pub bot_count: String,
}

/// Answer of `GET /open-apis/im/v1/chats/:chat_id/members/is_in_chat`: whether the caller (with
/// a tenant token, the app's bot) is in the chat.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct InChat {
    pub is_in_chat: bool,
}

/// Body of `POST /open-apis/im/v1/chats/:chat_id/members`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AddMembersRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub id_list: Option<Vec<String>>,
}

impl AddMembersRequest {
    /// The ids to add (1 to 50, none blank).
    pub fn parse(self) -> Result<Vec<String>, FieldError> {
        self.validate()?;
        Ok(self.id_list.unwrap_or_default())
    }

    pub fn validate(&self) -> Checked {
        let ids = validate::required("id_list", &self.id_list)?;
        validate::list_len("id_list", ids, 1, MAX_IDS_PER_ADD)?;
        if let Some(i) = ids.iter().position(|id| id.trim().is_empty()) {
            return Err(FieldError::new(
                format!("id_list[{i}]"),
                "must not be empty",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AddMembersResponse {
    #[serde(default)]
    pub invalid_id_list: Vec<String>,
    #[serde(default)]
    pub not_existed_id_list: Vec<String>,
    #[serde(default)]
    pub pending_approval_id_list: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChatMember {
    pub member_id_type: String,
    pub member_id: String,
    pub name: String,
    pub tenant_key: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ListMembersResponse {
    #[serde(default)]
    pub items: Vec<ChatMember>,
    #[serde(default)]
    pub page_token: String,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub member_total: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_chat_limits() {
        let too_many = CreateChatRequest {
            user_id_list: Some(vec!["ou".into(); 51]),
            ..Default::default()
        };
        assert_eq!(too_many.validate().unwrap_err().field, "user_id_list");
        let bots = CreateChatRequest {
            bot_id_list: Some(vec!["cli".into(); 6]),
            ..Default::default()
        };
        assert_eq!(bots.validate().unwrap_err().field, "bot_id_list");
        let kind = CreateChatRequest {
            chat_type: Some("secret".into()),
            ..Default::default()
        };
        assert_eq!(kind.validate().unwrap_err().field, "chat_type");
        CreateChatRequest::default().validate().unwrap();
    }

    #[test]
    fn add_members_needs_ids() {
        assert_eq!(
            AddMembersRequest::default().validate().unwrap_err().field,
            "id_list"
        );
        let empty = AddMembersRequest {
            id_list: Some(vec![]),
        };
        assert_eq!(empty.validate().unwrap_err().field, "id_list");
    }
}

/// One chat of `GET /open-apis/im/v1/chats`: a group the calling bot is in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ListedChat {
    pub chat_id: String,
    #[serde(default)]
    pub avatar: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub owner_id: String,
    #[serde(default)]
    pub owner_id_type: String,
    #[serde(default)]
    pub external: bool,
    #[serde(default)]
    pub tenant_key: String,
    /// `normal` (larkfeed lists no dissolved chat).
    #[serde(default)]
    pub chat_status: String,
}

/// A page of the calling bot's groups.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChatList {
    pub items: Vec<ListedChat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
    pub has_more: bool,
}

/// One bot of `GET /open-apis/im/v1/chats/:chat_id/members/bots`, as the Python bot framework
/// reads it: the bot's open_id as the caller sees it, and its name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChatBot {
    pub bot_id: String,
    pub bot_name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChatBots {
    pub items: Vec<ChatBot>,
}
