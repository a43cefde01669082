//! Passwords and tokens.
//!
//! Passwords are hashed with Argon2id on the blocking thread pool, because one hash takes tens
//! of milliseconds of CPU and would stall the async workers. Tokens are 256 random bits in
//! URL-safe base64; only their SHA-256 reaches the database.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// A hash used when the e-mail address has no account, so an unknown address takes as long to
/// refuse as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FmZWd1YXJkLWR1bW15$yG5ucWqXXeZpC4ruOlAMZz8N5qWc0jyTUqxgJ6fUIGo";

/// Hashes a password with Argon2id and a random salt, off the async threads.
pub async fn hash_password(password: SecretString) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|error| AppError::Internal(format!("password hashing failed: {error}")))
    })
    .await
    .map_err(|error| AppError::Internal(format!("password hashing task failed: {error}")))?
}

/// Checks a password against a stored hash, off the async threads. `None` checks against a
/// dummy hash and always fails.
pub async fn verify_password(password: SecretString, stored_hash: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let hash_text = stored_hash.as_deref().unwrap_or(DUMMY_HASH);
        let Ok(hash) = PasswordHash::new(hash_text) else {
            return false;
        };
        let matches = Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &hash)
            .is_ok();
        matches && stored_hash.is_some()
    })
    .await
    .map_err(|error| AppError::Internal(format!("password check task failed: {error}")))
}

/// Creates a random token: 256 bits in URL-safe base64.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Returns the SHA-256 of a token as lowercase hex, the form stored in the database.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two strings in time that does not depend on where they differ.
pub fn constant_time_eq(left: &str, right: &str) -> bool {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    left.len() == right.len() && left.iter().zip(right).fold(0u8, |difference, (a, b)| difference | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn password_round_trip() {
        let hash = hash_password(SecretString::from("correct horse battery")).await.unwrap();

        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify_password(SecretString::from("correct horse battery"), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify_password(SecretString::from("wrong horse battery"), Some(hash))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn unknown_account_never_verifies() {
        assert!(!verify_password(SecretString::from("anything"), None).await.unwrap());
    }

    #[test]
    fn tokens_are_unique_and_hashed() {
        let first = new_token();

        assert_eq!(first.len(), 43);
        assert_ne!(first, new_token());
        assert_eq!(token_hash(&first).len(), 64);
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
