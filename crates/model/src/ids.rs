//! Ids, and the id-type query parameters that name which kind of user id a request uses.
//!
//! Each id the platform mints is a newtype that checks its prefix once, where it is parsed, and
//! then derefs to `&str` wherever the text is wanted: [`ChatId`] (`oc_`), [`MessageId`] (`om_`),
//! [`AppId`] (`cli_`), [`OpenId`] (`ou_`), [`UnionId`] (`on_`). [`UserId`] (a tenant's own id for
//! a person) and [`BizId`] (the app's own key for a feed card) are chosen by others, so any
//! non-empty text is one.

use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

/// Why a text is not an id of the kind asked for; the message completes "`field`: …".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdError(String);

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident = $prefix:literal, $what:literal;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The text's prefix every id of this kind starts with (empty: any non-empty text).
            pub const PREFIX: &'static str = $prefix;

            /// Checks `text` once: non-empty, and starting with [`Self::PREFIX`] followed by more.
            pub fn parse(text: impl Into<String>) -> Result<Self, IdError> {
                let text = text.into();
                match text.strip_prefix($prefix) {
                    Some(rest) if !rest.is_empty() => Ok(Self(text)),
                    _ if $prefix.is_empty() => Err(IdError(format!("must be a non-empty {}", $what))),
                    _ => Err(IdError(format!(
                        "must be {} ({}…), got {text:?}", $what, $prefix
                    ))),
                }
            }

            /// A fresh id: the prefix followed by `suffix` (which must not be empty).
            pub fn with_suffix(suffix: &str) -> Self {
                debug_assert!(!suffix.is_empty());
                Self(format!("{}{suffix}", $prefix))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl From<&$name> for String {
            fn from(id: &$name) -> String {
                id.0.clone()
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Self::parse(String::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).into()
            }
            fn json_schema(g: &mut SchemaGenerator) -> Schema {
                String::json_schema(g)
            }
            fn is_referenceable() -> bool {
                false
            }
        }
    )*};
}

ids! {
    /// A chat's id, `oc_…` (groups and one-to-one chats alike).
    ChatId = "oc_", "a chat_id";
    /// A message's id, `om_…`.
    MessageId = "om_", "a message_id";
    /// A thread's id, `omt_…`: the replies under one root message.
    ThreadId = "omt_", "a thread_id";
    /// An app's id, `cli_…`.
    AppId = "cli_", "an app_id";
    /// A user's id as one app sees them, `ou_…`.
    OpenId = "ou_", "an open_id";
    /// A user's id as one app developer sees them, `on_…`.
    UnionId = "on_", "a union_id";
    /// A user's id inside the tenant, the same in every app.
    UserId = "", "user_id";
    /// The app's own key of a feed card, unique per (app, user).
    BizId = "", "biz_id";
    /// A CardKit card entity's id: digits, as the platform mints them (at most 20 characters).
    CardId = "", "card_id";
}

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
    fn ids_check_their_prefix_once() {
        let chat: ChatId = "oc_1".parse().unwrap();
        assert_eq!(&*chat, "oc_1");
        assert_eq!(chat, "oc_1");
        assert_eq!(
            "om_1".parse::<ChatId>().unwrap_err().to_string(),
            r#"must be a chat_id (oc_…), got "om_1""#
        );
        assert!("oc_".parse::<ChatId>().is_err(), "nothing after the prefix");
        assert!("".parse::<MessageId>().is_err());
        assert!("om_x".parse::<MessageId>().is_ok());
        assert!("cli_a".parse::<AppId>().is_ok() && "a".parse::<AppId>().is_err());
        assert!("ou_a".parse::<OpenId>().is_ok() && "on_a".parse::<OpenId>().is_err());
        assert!("on_a".parse::<UnionId>().is_ok());
        assert!("anything".parse::<BizId>().is_ok());
        assert_eq!(
            "".parse::<BizId>().unwrap_err().to_string(),
            "must be a non-empty biz_id"
        );
        assert!("".parse::<UserId>().is_err());
        assert_eq!(ChatId::with_suffix("ab").as_str(), "oc_ab");
    }

    #[test]
    fn ids_serialise_as_their_text_and_refuse_the_wrong_kind() {
        let id: MessageId = serde_json::from_str(r#""om_1""#).unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""om_1""#);
        let err = serde_json::from_str::<MessageId>(r#""oc_1""#).unwrap_err();
        assert!(err.to_string().contains("must be a message_id"), "{err}");
        let mut set = std::collections::HashSet::new();
        set.insert(id);
        assert!(set.contains("om_1"), "looked up by its text");
    }

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
