//! Id-type query parameters. Each names the kind of user id used in the request *and* the response.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// `user_id_type`: which of a user's three ids the request and response use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserIdType {
    /// `ou_…`: one per (user, app). The default.
    #[default]
    OpenId,
    /// `on_…`: one per (user, app developer).
    UnionId,
    /// One per user in a tenant, the same in every app; needs `contact:user.employee_id:readonly`.
    UserId,
}

impl UserIdType {
    pub fn as_str(self) -> &'static str {
        match self {
            UserIdType::OpenId => "open_id",
            UserIdType::UnionId => "union_id",
            UserIdType::UserId => "user_id",
        }
    }
}

impl fmt::Display for UserIdType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UserIdType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "open_id" => Ok(UserIdType::OpenId),
            "union_id" => Ok(UserIdType::UnionId),
            "user_id" => Ok(UserIdType::UserId),
            other => Err(format!(
                "must be one of open_id, union_id, user_id, got {other:?}"
            )),
        }
    }
}

/// `receive_id_type` of a message send: a user id type, an email, or a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiveIdType {
    User(UserIdType),
    Email,
    ChatId,
}

impl FromStr for ReceiveIdType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "email" => Ok(ReceiveIdType::Email),
            "chat_id" => Ok(ReceiveIdType::ChatId),
            other => other.parse().map(ReceiveIdType::User).map_err(|_| {
                format!("must be one of open_id, union_id, user_id, email, chat_id, got {other:?}")
            }),
        }
    }
}

impl ReceiveIdType {
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiveIdType::User(t) => t.as_str(),
            ReceiveIdType::Email => "email",
            ReceiveIdType::ChatId => "chat_id",
        }
    }
}

/// `member_id_type` of the chat member endpoints: a user id type or `app_id` (bots).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberIdType {
    User(UserIdType),
    AppId,
}

impl FromStr for MemberIdType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "app_id" => Ok(MemberIdType::AppId),
            other => other.parse().map(MemberIdType::User).map_err(|_| {
                format!("must be one of open_id, union_id, user_id, app_id, got {other:?}")
            }),
        }
    }
}

impl MemberIdType {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberIdType::User(t) => t.as_str(),
            MemberIdType::AppId => "app_id",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_types_parse_and_print() {
        for t in [UserIdType::OpenId, UserIdType::UnionId, UserIdType::UserId] {
            assert_eq!(t.as_str().parse::<UserIdType>().unwrap(), t);
        }
        assert!("email".parse::<UserIdType>().is_err());
        assert_eq!(
            "chat_id".parse::<ReceiveIdType>().unwrap(),
            ReceiveIdType::ChatId
        );
        assert_eq!(
            "app_id".parse::<MemberIdType>().unwrap(),
            MemberIdType::AppId
        );
        assert!("openid".parse::<ReceiveIdType>().is_err());
    }
}
