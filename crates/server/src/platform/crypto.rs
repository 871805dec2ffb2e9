//! How the platform protects what it sends to an app (`FACTS.md` §5): the body encrypted with
//! AES-256-CBC under SHA-256 of the app's encrypt key (a random IV in front, PKCS#7 padding,
//! base64), and the `X-Lark-Signature` header, SHA-256 over timestamp, nonce, key and body.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

type Encryptor = cbc::Encryptor<aes::Aes256>;
type Decryptor = cbc::Decryptor<aes::Aes256>;

fn key_of(encrypt_key: &str) -> [u8; 32] {
    Sha256::digest(encrypt_key.as_bytes()).into()
}

/// `base64(iv ‖ AES-256-CBC(plaintext))` with a fresh random IV.
pub fn encrypt(encrypt_key: &str, plaintext: &[u8]) -> String {
    let mut iv = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut iv);
    let sealed = Encryptor::new(&key_of(encrypt_key).into(), &iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let mut out = iv.to_vec();
    out.extend_from_slice(&sealed);
    base64::engine::general_purpose::STANDARD.encode(out)
}

/// The inverse of [`encrypt`]; `None` if the text was not sealed with this key.
pub fn decrypt(encrypt_key: &str, sealed: &str) -> Option<Vec<u8>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(sealed)
        .ok()?;
    if bytes.len() < 32 || bytes.len() % 16 != 0 {
        return None;
    }
    let (iv, body) = bytes.split_at(16);
    Decryptor::new(&key_of(encrypt_key).into(), iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(body)
        .ok()
}

/// `hex(sha256(timestamp + nonce + encrypt_key + body))`.
pub fn signature(timestamp: &str, nonce: &str, encrypt_key: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(timestamp.as_bytes());
    h.update(nonce.as_bytes());
    h.update(encrypt_key.as_bytes());
    h.update(body);
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_sealed_opens_with_the_same_key_only() {
        let sealed = encrypt("key-1", b"{\"challenge\":\"abc\"}");
        assert_eq!(
            decrypt("key-1", &sealed).unwrap(),
            b"{\"challenge\":\"abc\"}"
        );
        assert_ne!(
            decrypt("key-2", &sealed).as_deref(),
            Some(&b"{\"challenge\":\"abc\"}"[..])
        );
        assert_ne!(
            encrypt("key-1", b"x"),
            encrypt("key-1", b"x"),
            "a fresh IV each time"
        );
    }

    #[test]
    fn the_signature_is_sha256_hex_over_the_parts_in_order() {
        // sha256("1" "2" "k" "{}") computed independently: `printf '12k{}' | sha256sum`.
        assert_eq!(
            signature("1", "2", "k", b"{}"),
            "a2c08cfc1732e85c101a8e8b6dfeddbe44d732caedfb06a1dd08711e6398a656"
        );
    }
}
