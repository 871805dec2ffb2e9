//! An app's endpoints: `event_url`, `callback_url` (card actions; `event_url` when absent),
//! `encrypt_key` and `verification_token`. The world file gives them; `PUT /_larkfeed/apps/{id}`
//! changes them at run time (kept in the store, so a restart keeps them and a reset forgets
//! them). A new URL must first answer the platform's `url_verification` challenge.

use super::delivery;
use super::PlatformState;
use crate::error::ApiError;
use crate::store::secret as tokens;
use crate::world::App;
use larkfeed_model::{AppId, ErrorCode, FieldError};
use serde::{Deserialize, Serialize};

pub const KEYS: [&str; 4] = [
    "event_url",
    "callback_url",
    "encrypt_key",
    "verification_token",
];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    pub event_url: Option<String>,
    pub callback_url: Option<String>,
    pub encrypt_key: Option<String>,
    pub verification_token: Option<String>,
}

impl Endpoints {
    /// Where card actions go.
    pub fn callback_target(&self) -> Option<&str> {
        self.callback_url.as_deref().or(self.event_url.as_deref())
    }

    fn get(&self, key: &str) -> &Option<String> {
        match key {
            "event_url" => &self.event_url,
            "callback_url" => &self.callback_url,
            "encrypt_key" => &self.encrypt_key,
            _ => &self.verification_token,
        }
    }

    fn set(&mut self, key: &str, value: Option<String>) {
        match key {
            "event_url" => self.event_url = value,
            "callback_url" => self.callback_url = value,
            "encrypt_key" => self.encrypt_key = value,
            _ => self.verification_token = value,
        }
    }
}

fn invalid(field: &str, rule: impl Into<String>) -> ApiError {
    ApiError::field(
        ErrorCode::ImInvalidParam,
        FieldError::new(field, rule.into()),
    )
}

/// The keys kept sealed in the store (with the app's secret, as tenant tokens are): the
/// database alone does not give them.
const SEALED: [&str; 2] = ["encrypt_key", "verification_token"];

/// The run-time changes stored for the app: each key present overrides the world file. A sealed
/// key is opened here; one stored plain (by an older larkfeed) is taken as it is.
async fn overrides(
    state: &PlatformState,
    app: &App,
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    let mut stored = stored_settings(state, &app.app_id).await?;
    for key in SEALED {
        if let Some(sealed) = stored
            .get(key)
            .and_then(|v| v.get("sealed"))
            .and_then(|v| v.as_str())
        {
            let opened = tokens::open_secret(&app.app_secret, sealed);
            if opened.is_none() {
                tracing::warn!(app_id = %app.app_id, key, "a stored key does not open with this app's secret (a state from another world?): taken as unset");
            }
            stored.insert(
                key.to_string(),
                opened.map_or(serde_json::Value::Null, Into::into),
            );
        }
    }
    Ok(stored)
}

async fn stored_settings(
    state: &PlatformState,
    app_id: &AppId,
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    Ok(match state.store.app_settings(app_id).await? {
        Some(json) => serde_json::from_str(&json).map_err(ApiError::internal)?,
        None => serde_json::Map::new(),
    })
}

/// Writes the app's run-time changes, each secret key sealed.
async fn store_settings(
    state: &PlatformState,
    app: &App,
    mut settings: serde_json::Map<String, serde_json::Value>,
) -> Result<(), ApiError> {
    for key in SEALED {
        if let Some(value) = settings.get(key).and_then(|v| v.as_str()) {
            let sealed = tokens::seal_secret(&app.app_secret, value);
            settings.insert(key.to_string(), serde_json::json!({ "sealed": sealed }));
        }
    }
    state
        .store
        .set_app_settings(
            &app.app_id,
            &serde_json::Value::Object(settings).to_string(),
        )
        .await?;
    Ok(())
}

/// Seals the keys an older larkfeed stored plain (at start-up).
pub async fn seal_plain_keys(state: &PlatformState) -> Result<(), ApiError> {
    for app in &state.world.apps {
        let stored = stored_settings(state, &app.app_id).await?;
        if SEALED
            .iter()
            .any(|k| stored.get(*k).is_some_and(|v| v.is_string()))
        {
            let opened = overrides(state, app).await?;
            store_settings(state, app, opened).await?;
            tracing::info!(app_id = %app.app_id, "sealed the app's stored keys");
        }
    }
    Ok(())
}

fn apply(mut ends: Endpoints, changes: &serde_json::Map<String, serde_json::Value>) -> Endpoints {
    for (key, value) in changes {
        ends.set(key, value.as_str().map(str::to_string));
    }
    ends
}

/// The app's endpoints now: the world file's, with run-time changes applied.
pub async fn of_app(state: &PlatformState, app: &App) -> Result<Endpoints, ApiError> {
    let base = Endpoints {
        event_url: app.event_url.clone(),
        callback_url: app.callback_url.clone(),
        encrypt_key: app.encrypt_key.clone(),
        verification_token: app.verification_token.clone(),
    };
    Ok(apply(base, &overrides(state, app).await?))
}

/// Applies a change (any of the four keys; `null` clears one). Each URL that is new is sent the
/// `url_verification` challenge under the new keys first; if the app does not echo it, nothing
/// is stored and the answer says why.
pub async fn change(
    state: &PlatformState,
    app: &App,
    change: serde_json::Map<String, serde_json::Value>,
) -> Result<Endpoints, ApiError> {
    for (key, value) in &change {
        if !KEYS.contains(&key.as_str()) {
            return Err(invalid(
                key,
                format!("unknown setting; the settings are {}", KEYS.join(", ")),
            ));
        }
        match value {
            serde_json::Value::Null => {}
            serde_json::Value::String(s) if key.ends_with("_url") => {
                let url =
                    reqwest::Url::parse(s).map_err(|e| invalid(key, format!("not a URL ({e})")))?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(invalid(key, "must be an http:// or https:// URL"));
                }
            }
            serde_json::Value::String(s) if s.len() > 256 => {
                return Err(invalid(key, "at most 256 characters"));
            }
            serde_json::Value::String(_) => {}
            _ => return Err(invalid(key, "must be a string, or null to clear it")),
        }
    }
    let before = of_app(state, app).await?;
    let after = apply(before.clone(), &change);
    for key in ["event_url", "callback_url"] {
        let url = after.get(key);
        if let Some(url) = url.as_deref().filter(|_| after.get(key) != before.get(key)) {
            verify(state, app, &after, key, url).await?;
        }
    }
    let mut stored = overrides(state, app).await?;
    stored.extend(change);
    store_settings(state, app, stored).await?;
    tracing::debug!(app_id = %app.app_id, "app endpoints changed");
    Ok(after)
}

/// The platform's URL check: `{"challenge", "token", "type": "url_verification"}`, which the
/// app must answer with `{"challenge": …}` (1 s on the platform; larkfeed allows 3 s).
async fn verify(
    state: &PlatformState,
    app: &App,
    ends: &Endpoints,
    key: &str,
    url: &str,
) -> Result<(), ApiError> {
    let challenge = uuid::Uuid::new_v4().to_string();
    let body = serde_json::json!({
        "challenge": challenge,
        "token": ends.verification_token.clone().unwrap_or_default(),
        "type": "url_verification",
    });
    let outcome = delivery::post(state, &app.app_id, ends, url, "url_verification", &body, 1).await;
    let echoed = outcome
        .response
        .as_ref()
        .and_then(|r| r.get("challenge"))
        .and_then(|c| c.as_str())
        == Some(challenge.as_str());
    if outcome.delivered && echoed {
        return Ok(());
    }
    let why = match (&outcome.error, echoed) {
        (Some(e), _) => e.clone(),
        (None, false) => format!(
            "the app answered {} instead of echoing the challenge",
            outcome
                .response
                .map(|r| r.to_string())
                .unwrap_or_else(|| "nothing".into())
        ),
        _ => "the check failed".into(),
    };
    Err(invalid(
        key,
        format!("{url} failed the URL check (url_verification): {why}; nothing was changed"),
    ))
}
