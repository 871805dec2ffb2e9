//! Tenant and app access tokens of self-built apps. A token lives two hours; asked again with 30
//! minutes or more left, the same token comes back, otherwise a new one (the old stays valid).
//! A token never changes once issued, so the ones in use are kept in memory.

use super::checked;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::TokenRow;
use crate::world::App;
use larkfeed_model::token::{TokenRequest, RENEW_WITHIN_SECS, TOKEN_TTL_SECS};
use larkfeed_model::ErrorCode;
use rand::Rng;
use std::sync::Arc;

/// A token and the seconds it has left.
pub struct Issued {
    pub token: String,
    pub expire_secs: i64,
}

pub async fn issue(state: &AppState, req: &TokenRequest) -> Result<Issued, ApiError> {
    checked(ErrorCode::AuthInvalidParam, req.validate())?;
    let app_id = req.app_id.as_deref().unwrap_or_default();
    let app = state
        .world
        .app(app_id)
        .ok_or_else(|| ApiError::new(ErrorCode::AppUnusable))?;
    if req.app_secret.as_deref() != Some(app.app_secret.as_str()) {
        return Err(ApiError::new(ErrorCode::AppSecretInvalid));
    }
    let now = state.clock.now_ms();
    let fresh = TokenRow {
        token: format!("t-g{}", hex::encode(rand::thread_rng().gen::<[u8; 20]>())),
        app_id: app.app_id.clone(),
        issued_at_ms: now,
        expires_at_ms: now + TOKEN_TTL_SECS * 1000,
    };
    let fresh_token = fresh.token.clone();
    let row = state
        .store
        .issue_token(fresh, now, RENEW_WITHIN_SECS * 1000)
        .await?;
    if row.token == fresh_token {
        tracing::info!(app_id = %app.app_id, "issued a tenant access token");
    }
    state.caches.tokens.insert(
        row.token.clone(),
        (Arc::from(row.app_id.as_str()), row.expires_at_ms),
    );
    Ok(Issued {
        expire_secs: (row.expires_at_ms - now) / 1000,
        token: row.token,
    })
}

/// The app a tenant access token belongs to, if the token is known and has not expired.
pub async fn app_of(state: &AppState, token: &str) -> Result<Option<Arc<App>>, ApiError> {
    let now = state.clock.now_ms();
    let cached = state
        .caches
        .tokens
        .get(token)
        .map(|entry| entry.value().clone());
    let (app_id, expires) = match cached {
        Some(found) => found,
        None => match state.store.find_token(token).await? {
            Some(row) => {
                let found = (Arc::<str>::from(row.app_id.as_str()), row.expires_at_ms);
                if row.expires_at_ms > now {
                    state.caches.tokens.insert(row.token, found.clone());
                }
                found
            }
            None => return Ok(None),
        },
    };
    if expires <= now {
        return Ok(None);
    }
    Ok(state.world.app(&app_id).cloned())
}
