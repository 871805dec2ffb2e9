//! Tenant and app access tokens of self-built apps. A token lives two hours; asked again with 30
//! minutes or more left, the same token comes back, otherwise a new one (the old stays valid).
//! A token never changes once issued, so the ones in use are kept in memory.
//!
//! The store never holds a token as it is: see [`crate::store::secret`].

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::secret::{digest, open_token, seal_token};
use crate::store::TokenRow;
use crate::world::App;
use larkfeed_model::token::{Credentials, RENEW_WITHIN_SECS, TOKEN_TTL_SECS};
use larkfeed_model::ErrorCode;
use rand::Rng;
use std::sync::Arc;

/// A token and the seconds it has left.
pub struct Issued {
    pub token: String,
    pub expire_secs: i64,
}

pub async fn issue(state: &AppState, req: Credentials) -> Result<Issued, ApiError> {
    let app_id = req.app_id.as_str();
    let app = state
        .world
        .app(app_id)
        .ok_or_else(|| ApiError::new(ErrorCode::AppUnusable))?;
    if req.app_secret != app.app_secret {
        return Err(ApiError::new(ErrorCode::AppSecretInvalid));
    }
    let now = state.clock.now_ms();
    let random = hex::encode(rand::thread_rng().gen::<[u8; 20]>());
    // A tenant made at run time names itself in its tokens: the server routes calls by it.
    let token = if state.world.tenant.made_at_run_time {
        format!("t-{}_{random}", state.world.tenant.tenant_key)
    } else {
        format!("t-g{random}")
    };
    let hash = digest(&token);
    let fresh = TokenRow {
        sealed: seal_token(&app.app_secret, &hash, &token),
        token_hash: hash.clone(),
        app_id: app.app_id.clone(),
        issued_at_ms: now,
        expires_at_ms: now + TOKEN_TTL_SECS * 1000,
    };
    let mut row = state
        .store
        .issue_token(fresh.clone(), RENEW_WITHIN_SECS * 1000)
        .await?;
    let mut issued = (row.token_hash == hash).then(|| token.clone());
    if issued.is_none() {
        issued = open_token(&app.app_secret, &row.token_hash, &row.sealed);
    }
    let token = match issued {
        Some(t) => t,
        // The live token cannot be handed out again (made before tokens were sealed, or under
        // another secret): a new one, which stays valid beside it.
        None => {
            row = state.store.issue_token(fresh, i64::MAX).await?;
            token
        }
    };
    if row.token_hash == hash {
        tracing::debug!(app_id = %app.app_id, "issued a tenant access token");
    }
    state.caches.tokens.insert(
        token.clone(),
        (Arc::from(row.app_id.as_str()), row.expires_at_ms),
    );
    Ok(Issued {
        expire_secs: (row.expires_at_ms - now) / 1000,
        token,
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
        None => match state.store.find_token(&digest(token)).await? {
            Some(row) => {
                let found = (Arc::<str>::from(row.app_id.as_str()), row.expires_at_ms);
                if row.expires_at_ms > now {
                    state.caches.tokens.insert(token.to_string(), found.clone());
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
