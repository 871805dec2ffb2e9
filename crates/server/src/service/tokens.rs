//! Tenant and app access tokens of self-built apps. A token lives two hours; asked again with 30
//! minutes or more left, the same token comes back, otherwise a new one (the old stays valid).
//! A token never changes once issued, so the ones in use are kept in memory.
//!
//! The store never holds a token as it is: it holds the token's SHA-256 digest (what a request's
//! token is looked up by) and the token sealed with the app's secret, which lives in the world
//! file, not in the database. Sealing XORs the token with a SHA-256 keystream of the secret and
//! the digest (unique per token). So the database file alone gives nobody a token that works.

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::TokenRow;
use crate::world::App;
use larkfeed_model::token::{Credentials, RENEW_WITHIN_SECS, TOKEN_TTL_SECS};
use larkfeed_model::ErrorCode;
use rand::Rng;
use sha2::{Digest, Sha256};
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
    let token = format!("t-g{}", hex::encode(rand::thread_rng().gen::<[u8; 20]>()));
    let hash = digest(&token);
    let fresh = TokenRow {
        sealed: seal(&app.app_secret, &hash, &token),
        token_hash: hash.clone(),
        app_id: app.app_id.to_string(),
        issued_at_ms: now,
        expires_at_ms: now + TOKEN_TTL_SECS * 1000,
    };
    let mut row = state
        .store
        .issue_token(fresh.clone(), RENEW_WITHIN_SECS * 1000)
        .await?;
    let mut issued = (row.token_hash == hash).then(|| token.clone());
    if issued.is_none() {
        issued = unseal(&app.app_secret, &row.token_hash, &row.sealed);
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

/// The hex SHA-256 of a token: how the store knows it.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// `len` bytes of keystream from the app's secret and the token's digest.
fn keystream(secret: &str, hash: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut block = 0u32;
    while out.len() < len {
        let mut h = Sha256::new();
        h.update(b"larkfeed token seal\0");
        h.update(secret.as_bytes());
        h.update([0]);
        h.update(hash.as_bytes());
        h.update(block.to_be_bytes());
        out.extend_from_slice(&h.finalize());
        block += 1;
    }
    out.truncate(len);
    out
}

/// `bytes` under the keystream of (secret, nonce): sealing and opening are the same step.
fn xor(secret: &str, nonce: &str, bytes: &[u8]) -> Vec<u8> {
    let stream = keystream(secret, nonce, bytes.len());
    bytes.iter().zip(stream).map(|(b, k)| b ^ k).collect()
}

fn seal(secret: &str, hash: &str, token: &str) -> String {
    hex::encode(xor(secret, hash, token.as_bytes()))
}

/// The token a sealed value holds, if it opens with this secret to the token of this digest.
fn unseal(secret: &str, hash: &str, sealed: &str) -> Option<String> {
    let bytes = hex::decode(sealed).ok().filter(|b| !b.is_empty())?;
    let token = String::from_utf8(xor(secret, hash, &bytes)).ok()?;
    (digest(&token) == hash).then_some(token)
}

/// A secret that is not a token (an app's `encrypt_key` or `verification_token`) sealed with the
/// app's secret, which lives in the world file and not in the database: a random nonce, the value
/// under the keystream of (app secret, nonce), and a tag that says whether it opened right.
pub fn seal_secret(app_secret: &str, value: &str) -> String {
    let nonce = hex::encode(rand::random::<[u8; 16]>());
    let body = xor(app_secret, &nonce, value.as_bytes());
    let tag = secret_tag(app_secret, &nonce, &body);
    format!("{nonce}.{}.{tag}", hex::encode(body))
}

/// The value [`seal_secret`] sealed, if it opens with this app secret.
pub fn open_secret(app_secret: &str, sealed: &str) -> Option<String> {
    let mut parts = sealed.split('.');
    let (nonce, body, tag) = (parts.next()?, parts.next()?, parts.next()?);
    let body = hex::decode(body).ok()?;
    if parts.next().is_some() || secret_tag(app_secret, nonce, &body) != tag {
        return None;
    }
    String::from_utf8(xor(app_secret, nonce, &body)).ok()
}

fn secret_tag(app_secret: &str, nonce: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"larkfeed secret tag\0");
    h.update(app_secret.as_bytes());
    h.update([0]);
    h.update(nonce.as_bytes());
    h.update(body);
    hex::encode(&h.finalize()[..16])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_app_secret() {
        let sealed = seal_secret("app secret", "encrypt-key-123");
        assert!(!sealed.contains("encrypt-key-123"));
        assert_ne!(
            sealed,
            seal_secret("app secret", "encrypt-key-123"),
            "a nonce each time"
        );
        assert_eq!(
            open_secret("app secret", &sealed).as_deref(),
            Some("encrypt-key-123")
        );
        assert_eq!(open_secret("other secret", &sealed), None);
        assert_eq!(open_secret("app secret", "encrypt-key-123"), None);
    }

    #[test]
    fn a_sealed_token_opens_only_with_its_secret() {
        let token = "t-g0123456789abcdef0123456789abcdef01234567";
        let hash = digest(token);
        let sealed = seal("secret", &hash, token);
        assert!(!sealed.contains(&token[3..]));
        assert_eq!(unseal("secret", &hash, &sealed).as_deref(), Some(token));
        assert_eq!(unseal("other secret", &hash, &sealed), None);
        assert_eq!(unseal("secret", &hash, ""), None);
        assert_eq!(unseal("secret", &digest("t-other"), &sealed), None);
    }
}
