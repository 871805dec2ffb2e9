//! Self-built app tokens (`/open-apis/auth/v3/*_access_token/internal`).
//! These responses carry their fields at the top level, not under `data`.

use crate::validate::{self, Checked, FieldError};
use serde::{Deserialize, Serialize};

/// A token lives 2 hours.
pub const TOKEN_TTL_SECS: i64 = 7200;
/// Asked again with less than this left, a new token is issued (the old one stays valid).
pub const RENEW_WITHIN_SECS: i64 = 1800;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TokenRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub app_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub app_secret: Option<String>,
}

/// A self-built app's credentials, both present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub app_id: String,
    pub app_secret: String,
}

impl TokenRequest {
    pub fn parse(self) -> Result<Credentials, FieldError> {
        self.validate()?;
        Ok(Credentials {
            app_id: self.app_id.unwrap_or_default(),
            app_secret: self.app_secret.unwrap_or_default(),
        })
    }

    pub fn validate(&self) -> Checked {
        for (name, value) in [("app_id", &self.app_id), ("app_secret", &self.app_secret)] {
            let v = validate::required(name, value)?;
            if v.is_empty() {
                return Err(FieldError::new(name, "must not be empty"));
            }
        }
        Ok(())
    }
}

/// Answer of both token endpoints; `app_access_token` only on the app endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TokenResponse {
    pub code: i64,
    #[serde(default)]
    pub msg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_access_token: Option<String>,
    /// Seconds the token has left.
    #[serde(default)]
    pub expire: i64,
}
