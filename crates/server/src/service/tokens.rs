//! Tenant and app access tokens of self-built apps. A token lives two hours; asked again with 30
//! minutes or more left, the same token comes back, otherwise a new one (the old stays valid).

use super::checked;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::TokenRow;
use larkfeed_model::token::{TokenRequest, RENEW_WITHIN_SECS, TOKEN_TTL_SECS};
use larkfeed_model::ErrorCode;
use rand::Rng;

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
    if let Some(current) = state.store.latest_token(&app.app_id, now).await? {
        let left_secs = (current.expires_at_ms - now) / 1000;
        if left_secs >= RENEW_WITHIN_SECS {
            return Ok(Issued {
                token: current.token,
                expire_secs: left_secs,
            });
        }
    }
    let token = format!("t-g{}", hex::encode(rand::thread_rng().gen::<[u8; 20]>()));
    let row = TokenRow {
        token: token.clone(),
        app_id: app.app_id.clone(),
        issued_at_ms: now,
        expires_at_ms: now + TOKEN_TTL_SECS * 1000,
    };
    state.store.insert_token(&row).await?;
    tracing::info!(app_id = %app.app_id, "issued a tenant access token");
    Ok(Issued {
        token,
        expire_secs: TOKEN_TTL_SECS,
    })
}
