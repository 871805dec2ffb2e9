//! `GET /open-apis/contact/v3/users/:user_id` (the reference page contact-v3/user/get): one user of
//! the tenant as an app may see them, within its contact range (41050 otherwise); and
//! `GET …/users/batch`: up to [`MAX_BATCH`] at once.

use serde::{Deserialize, Serialize};

/// A user's avatar links (larkfeed serves none: they are empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Avatar {
    pub avatar_72: String,
    pub avatar_240: String,
    pub avatar_640: String,
    pub avatar_origin: String,
}

/// A user, as the contact API answers: ids as the calling app sees them, `user_id` only with
/// its field scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ContactUser {
    pub union_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub open_id: String,
    pub name: String,
    pub en_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub avatar: Avatar,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GetUserResponse {
    pub user: ContactUser,
}

/// The most users one batch names.
pub const MAX_BATCH: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BatchUsersResponse {
    pub items: Vec<ContactUser>,
}
