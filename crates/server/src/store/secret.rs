//! How secrets are kept at rest, a leaf under the store (it needs nothing else of the crate).
//!
//! The store never holds a token as it is: it holds the token's SHA-256 digest (what a request's
//! token is looked up by) and the token sealed with the app's secret, which lives in the world
//! file, not in the database. Sealing XORs the token with a SHA-256 keystream of the secret and
//! the digest (unique per token). So the database file alone gives nobody a token that works.
//! An app's `encrypt_key` and `verification_token` are sealed the same way under a random nonce,
//! with a tag; a card callback's token is kept as its digest only.

use sha2::{Digest, Sha256};

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

/// A token sealed with its app's secret, under the token's own digest as the nonce.
pub fn seal_token(secret: &str, hash: &str, token: &str) -> String {
    hex::encode(xor(secret, hash, token.as_bytes()))
}

/// The token a sealed value holds, if it opens with this secret to the token of this digest.
pub fn open_token(secret: &str, hash: &str, sealed: &str) -> Option<String> {
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
        let sealed = seal_token("secret", &hash, token);
        assert!(!sealed.contains(&token[3..]));
        assert_eq!(open_token("secret", &hash, &sealed).as_deref(), Some(token));
        assert_eq!(open_token("other secret", &hash, &sealed), None);
        assert_eq!(open_token("secret", &hash, ""), None);
        assert_eq!(open_token("secret", &digest("t-other"), &sealed), None);
    }
}
