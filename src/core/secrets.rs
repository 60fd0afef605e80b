//! Secrets at rest: keyed hashing of session tokens and AES-256-GCM encryption of OAuth tokens.
//!
//! - Session tokens are stored only as `HMAC-SHA-256(secret, token)` (or `SHA-256(token)` when
//!   no secret is configured), hex-encoded. Lookups hash the caller's token; the plain token is
//!   never written to the file.
//! - With `encryptionKey` set, `access_token`, `refresh_token` and `id_token` of accounts are
//!   stored as `enc:v1:<key id>:<base64(nonce ‖ ciphertext)>`. The key id is the first 8 bytes
//!   of SHA-256 of the key, in hex. The first configured key encrypts; every configured key
//!   decrypts, so keys can be rotated by putting the new key first. The ciphertext is bound to
//!   its column and account (associated data), so it cannot be moved to another row.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::core::error::{AdapterError, ErrorCode, Result};
use crate::core::model::Account;

const ENCRYPTED_PREFIX: &str = "enc:v1:";
const NONCE_LEN: usize = 12;

/// One AES-256 key and its id.
#[derive(Clone)]
struct EncryptionKey {
    id: String,
    cipher: Aes256Gcm,
}

/// The secrets configured for one adapter.
#[derive(Clone, Default)]
pub struct Secrets {
    hmac_secret: Option<Vec<u8>>,
    /// Newest first: `keys[0]` encrypts.
    keys: Vec<EncryptionKey>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("hmac_secret", &self.hmac_secret.as_ref().map(|_| "<set>"))
            .field(
                "keys",
                &self.keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Decodes a 32-byte key given as base64 (standard or URL-safe) or 64 hex digits.
fn decode_key(text: &str, field: &str) -> Result<[u8; 32]> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
        hex::decode(text).ok()
    } else {
        B64.decode(text).ok().or_else(|| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(text.trim_end_matches('='))
                .ok()
        })
    };
    bytes
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| {
            AdapterError::invalid(
                field,
                "must be a 32-byte key in base64 or 64 hex digits (generate one with `openssl rand -base64 32`)",
            )
        })
}

/// Lower-case hex of a 32-byte digest, without the per-character iterator of `hex::encode`
/// (this runs on every session read).
fn hex64(digest: &[u8]) -> String {
    let mut out = [0u8; 64];
    hex::encode_to_slice(digest, &mut out).expect("a SHA-256 digest is 32 bytes");
    String::from_utf8(out.to_vec()).expect("hex is ASCII")
}

impl Secrets {
    /// Builds the secrets from the config values (`secret`, and `encryptionKey` newest first).
    pub fn new(secret: Option<&str>, encryption_keys: &[String]) -> Result<Self> {
        if let Some(s) = secret {
            if s.is_empty() {
                return Err(AdapterError::invalid("config.secret", "must not be empty"));
            }
        }
        let keys = encryption_keys
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let field = if encryption_keys.len() == 1 {
                    "config.encryptionKey".to_string()
                } else {
                    format!("config.encryptionKey[{i}]")
                };
                let raw = decode_key(text, &field)?;
                let id = hex::encode(&Sha256::digest(raw)[..8]);
                Ok(EncryptionKey {
                    id,
                    cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&raw)),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Secrets {
            hmac_secret: secret.map(|s| s.as_bytes().to_vec()),
            keys,
        })
    }

    /// The stored form of a session token: hex HMAC-SHA-256 with the secret, else hex SHA-256.
    pub fn session_token_hash(&self, token: &str) -> String {
        match &self.hmac_secret {
            Some(secret) => {
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
                    .expect("HMAC takes keys of any length");
                mac.update(token.as_bytes());
                hex64(&mac.finalize().into_bytes())
            }
            None => hex64(&Sha256::digest(token.as_bytes())),
        }
    }

    /// True when OAuth tokens are encrypted on write.
    pub fn encrypts(&self) -> bool {
        !self.keys.is_empty()
    }

    /// The stored form of an OAuth token (`aad` names the column and row it belongs to).
    pub fn seal(&self, plain: Option<&str>, aad: &str) -> Result<Option<String>> {
        let (Some(plain), Some(key)) = (plain, self.keys.first()) else {
            return Ok(plain.map(str::to_owned));
        };
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = key
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| {
                AdapterError::new(ErrorCode::DbError, format!("{aad}: encryption failed"))
            })?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Ok(Some(format!(
            "{ENCRYPTED_PREFIX}{}:{}",
            key.id,
            B64.encode(blob)
        )))
    }

    /// Reads a stored OAuth token back: decrypts sealed values, passes plain ones through.
    /// `field` names the value in errors.
    pub fn open(&self, stored: Option<String>, aad: &str, field: &str) -> Result<Option<String>> {
        let Some(stored) = stored else {
            return Ok(None);
        };
        let Some(rest) = stored.strip_prefix(ENCRYPTED_PREFIX) else {
            return Ok(Some(stored));
        };
        let fail =
            |why: &str| AdapterError::new(ErrorCode::DecryptFailed, format!("{field}: {why}"));
        let (key_id, body) = rest
            .split_once(':')
            .ok_or_else(|| fail("the stored value is malformed"))?;
        let key = self.keys.iter().find(|k| k.id == key_id).ok_or_else(|| {
            if self.keys.is_empty() {
                fail(&format!(
                    "the value is encrypted (key id {key_id}) but no encryptionKey is configured"
                ))
            } else {
                fail(&format!(
                    "the value was encrypted with key id {key_id}, which is not among the configured encryptionKey values"
                ))
            }
        })?;
        let blob = B64
            .decode(body)
            .map_err(|_| fail("the stored value is malformed"))?;
        if blob.len() < NONCE_LEN {
            return Err(fail("the stored value is malformed"));
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let plain = key
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: aad.as_bytes() })
            .map_err(|_| fail("decryption failed: wrong key, or the value was altered or moved from another row"))?;
        String::from_utf8(plain)
            .map(Some)
            .map_err(|_| fail("the decrypted value is not UTF-8"))
    }
}

/// A new random token (32 bytes, base64url without padding).
pub fn random_token() -> String {
    use aes_gcm::aead::rand_core::RngCore;
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A session's public id: 128 random bits in hex. It is unrelated to the session token (not
/// derived from it, nor it from the id), so showing it in a page lets nobody sign in.
pub fn public_id() -> String {
    use aes_gcm::aead::rand_core::RngCore;
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// SHA-256 of `text`, in hex.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The account columns that are encrypted at rest when an encryption key is configured.
const SEALED_ACCOUNT_COLUMNS: [&str; 3] = ["access_token", "refresh_token", "id_token"];

/// Associated data binding an encrypted value to its column and account.
fn account_aad(column: &str, provider: &str, provider_account_id: &str) -> String {
    format!("{column}\n{provider}\n{provider_account_id}")
}

impl Secrets {
    /// The stored form of an account's `[access_token, refresh_token, id_token]` (sealed when
    /// an encryption key is configured, else as given).
    pub fn seal_account_tokens(&self, account: &Account) -> Result<[Option<String>; 3]> {
        let (p, id) = (&account.provider, &account.provider_account_id);
        let [a, r, i] = SEALED_ACCOUNT_COLUMNS;
        Ok([
            self.seal(account.access_token.as_deref(), &account_aad(a, p, id))?,
            self.seal(account.refresh_token.as_deref(), &account_aad(r, p, id))?,
            self.seal(account.id_token.as_deref(), &account_aad(i, p, id))?,
        ])
    }

    /// `rotate-key`: the stored `[access_token, refresh_token, id_token]` of account
    /// (`provider`, `provider_account_id`) re-sealed under the newest key, or `None` when each
    /// is already sealed under it (or absent). Plain values get sealed too.
    pub fn reseal_account_tokens(
        &self,
        provider: &str,
        provider_account_id: &str,
        stored: [Option<String>; 3],
    ) -> Result<Option<[Option<String>; 3]>> {
        let Some(newest) = self.keys.first() else {
            return Err(AdapterError::invalid(
                "encryptionKey",
                "is required to re-seal OAuth tokens (give the new key first, then the old ones)",
            ));
        };
        let current = format!("{ENCRYPTED_PREFIX}{}:", newest.id);
        if stored
            .iter()
            .all(|v| v.as_deref().is_none_or(|v| v.starts_with(&current)))
        {
            return Ok(None);
        }
        let mut out: [Option<String>; 3] = [None, None, None];
        for (i, (value, column)) in stored.into_iter().zip(SEALED_ACCOUNT_COLUMNS).enumerate() {
            let aad = account_aad(column, provider, provider_account_id);
            let plain = self.open(value, &aad, &format!("account.{column}"))?;
            out[i] = self.seal(plain.as_deref(), &aad)?;
        }
        Ok(Some(out))
    }

    /// Opens the token columns of an account read from the database.
    pub fn open_account_tokens(&self, mut account: Account) -> Result<Account> {
        let (p, id) = (
            account.provider.clone(),
            account.provider_account_id.clone(),
        );
        let [a, r, i] = SEALED_ACCOUNT_COLUMNS;
        account.access_token = self.open(
            account.access_token.take(),
            &account_aad(a, &p, &id),
            "account.access_token",
        )?;
        account.refresh_token = self.open(
            account.refresh_token.take(),
            &account_aad(r, &p, &id),
            "account.refresh_token",
        )?;
        account.id_token = self.open(
            account.id_token.take(),
            &account_aad(i, &p, &id),
            "account.id_token",
        )?;
        Ok(account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    const KEY_B: &str = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=";

    #[test]
    fn session_hashes_depend_on_the_secret() {
        let plain = Secrets::new(None, &[]).unwrap();
        let keyed = Secrets::new(Some("s3cret"), &[]).unwrap();
        assert_eq!(plain.session_token_hash("t").len(), 64);
        assert_ne!(plain.session_token_hash("t"), keyed.session_token_hash("t"));
        assert_eq!(keyed.session_token_hash("t"), keyed.session_token_hash("t"));
    }

    #[test]
    fn sealed_tokens_open_with_the_same_key() {
        let s = Secrets::new(None, &[KEY_A.into()]).unwrap();
        let sealed = s.seal(Some("gho_secret"), "access_token").unwrap().unwrap();
        assert!(sealed.starts_with(ENCRYPTED_PREFIX));
        assert!(!sealed.contains("gho_secret"));
        assert_eq!(
            s.open(Some(sealed), "access_token", "f")
                .unwrap()
                .as_deref(),
            Some("gho_secret")
        );
    }

    #[test]
    fn rotation_keeps_old_values_readable() {
        let old = Secrets::new(None, &[KEY_A.into()]).unwrap();
        let sealed = old.seal(Some("v"), "id_token").unwrap();
        let rotated = Secrets::new(None, &[KEY_B.into(), KEY_A.into()]).unwrap();
        assert_eq!(
            rotated.open(sealed, "id_token", "f").unwrap().as_deref(),
            Some("v")
        );
    }

    #[test]
    fn a_wrong_or_missing_key_is_a_clear_error() {
        let sealed = Secrets::new(None, &[KEY_A.into()])
            .unwrap()
            .seal(Some("v"), "x")
            .unwrap();
        let other = Secrets::new(None, &[KEY_B.into()]).unwrap();
        assert_eq!(
            other.open(sealed.clone(), "x", "f").unwrap_err().code,
            ErrorCode::DecryptFailed
        );
        let none = Secrets::new(None, &[]).unwrap();
        assert_eq!(
            none.open(sealed, "x", "f").unwrap_err().code,
            ErrorCode::DecryptFailed
        );
    }

    #[test]
    fn a_value_moved_to_another_row_does_not_decrypt() {
        let s = Secrets::new(None, &[KEY_A.into()]).unwrap();
        let sealed = s.seal(Some("v"), "access_token github 1").unwrap();
        assert!(s.open(sealed, "access_token github 2", "f").is_err());
    }

    #[test]
    fn keys_must_be_32_bytes() {
        assert!(Secrets::new(None, &["short".into()]).is_err());
        assert!(Secrets::new(None, &["00".repeat(32)]).is_ok());
    }
}
