//! API credentials: an ED25519 key pair, never printed.
//!
//! Backpack issues a base64 ED25519 **seed** (32 bytes) as the secret; the API key is the
//! base64 public key derived from it. Some tools export 64 bytes (seed followed by the public
//! key); both are accepted.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey};
use zeroize::Zeroizing;

/// Environment variable holding the base64 secret (seed).
pub const ENV_API_SECRET: &str = "BACKPACK_API_SECRET";
/// Environment variable holding the base64 public key (optional, checked against the secret).
pub const ENV_API_KEY: &str = "BACKPACK_API_KEY";
/// Older name for [`ENV_API_SECRET`].
pub const ENV_PRIVATE_KEY: &str = "BACKPACK_PRIVATE_KEY";
/// Older name for [`ENV_API_KEY`].
pub const ENV_PUBLIC_KEY: &str = "BACKPACK_PUBLIC_KEY";

/// Why credentials could not be built. Messages never contain key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The secret is not valid base64.
    #[error("the API secret is not valid base64")]
    SecretNotBase64,
    /// The secret decodes to the wrong number of bytes.
    #[error(
        "the API secret must decode to 32 bytes (an ED25519 seed) or 64 bytes (seed then public key), got {len} bytes"
    )]
    SecretWrongLength {
        /// Decoded length.
        len: usize,
    },
    /// A 64-byte secret whose second half is not the public key of its first half.
    #[error(
        "the 64-byte API secret is inconsistent: its last 32 bytes are not the public key of its first 32"
    )]
    SecretInconsistent,
    /// The public key given does not belong to the secret.
    #[error(
        "the API key (public key) does not match the API secret: check that {ENV_API_KEY}/{ENV_PUBLIC_KEY} and {ENV_API_SECRET}/{ENV_PRIVATE_KEY} come from the same key pair"
    )]
    KeyMismatch,
    /// A public key was configured without a secret.
    #[error("an API key is set ({variable}) but no API secret: set {ENV_API_SECRET}")]
    MissingSecret {
        /// The variable that held the public key.
        variable: &'static str,
    },
    /// The new and old variable names hold different values.
    #[error("{new} and {old} are both set and differ: set only one")]
    ConflictingVariables {
        /// New variable name.
        new: &'static str,
        /// Older variable name.
        old: &'static str,
    },
}

/// An ED25519 key pair for signing requests.
///
/// `Debug` shows only the first characters of the public key; the secret never leaves this
/// type except as signatures, and its memory is wiped on drop.
#[derive(Clone)]
pub struct Credentials {
    signing_key: SigningKey,
    /// The same key in AWS-LC, which signs about twice as fast (feature `aws-lc`). AWS-LC
    /// accepts every 32-byte seed; if it ever refused one, signing falls back to dalek.
    #[cfg(feature = "aws-lc")]
    fast: Option<std::sync::Arc<aws_lc_rs::signature::Ed25519KeyPair>>,
    api_key: String,
}

impl Credentials {
    /// From a base64 secret: a 32-byte seed, or 64 bytes (seed then public key).
    ///
    /// # Errors
    /// [`CredentialsError`] if the text is not base64 of a valid key.
    pub fn from_secret(secret_b64: &str) -> Result<Self, CredentialsError> {
        let bytes = Zeroizing::new(
            BASE64
                .decode(secret_b64.trim())
                .map_err(|_| CredentialsError::SecretNotBase64)?,
        );
        let seed: Zeroizing<[u8; 32]> = match bytes.len() {
            32 | 64 => {
                let mut seed = Zeroizing::new([0u8; 32]);
                seed.copy_from_slice(&bytes[..32]);
                seed
            }
            len => return Err(CredentialsError::SecretWrongLength { len }),
        };
        let credentials = Self::from_seed(&seed);
        let public = credentials.signing_key.verifying_key().to_bytes();
        if bytes.len() == 64 && bytes[32..] != public {
            return Err(CredentialsError::SecretInconsistent);
        }
        Ok(credentials)
    }

    /// From a base64 secret and the base64 public key, checking that they belong together.
    ///
    /// # Errors
    /// [`CredentialsError::KeyMismatch`] when the public key is not the secret's.
    pub fn from_secret_and_key(
        secret_b64: &str,
        api_key_b64: &str,
    ) -> Result<Self, CredentialsError> {
        let credentials = Self::from_secret(secret_b64)?;
        if credentials.api_key != api_key_b64.trim() {
            return Err(CredentialsError::KeyMismatch);
        }
        Ok(credentials)
    }

    /// From a 32-byte seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let signing_key = SigningKey::from_bytes(seed);
        Self {
            api_key: BASE64.encode(signing_key.verifying_key().to_bytes()),
            #[cfg(feature = "aws-lc")]
            fast: aws_lc_rs::signature::Ed25519KeyPair::from_seed_unchecked(seed)
                .ok()
                .map(std::sync::Arc::new),
            signing_key,
        }
    }

    /// From the process environment: [`ENV_API_SECRET`] (or [`ENV_PRIVATE_KEY`]) and,
    /// optionally, [`ENV_API_KEY`] (or [`ENV_PUBLIC_KEY`]), which must then match.
    ///
    /// Returns `Ok(None)` when no secret and no key are set (public endpoints only).
    ///
    /// # Errors
    /// [`CredentialsError`] for a malformed secret, a mismatching key, a key without a
    /// secret, or new and old variables that disagree.
    pub fn from_env() -> Result<Option<Self>, CredentialsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup` (for tests and
    /// for configuration sources other than the environment).
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, CredentialsError> {
        let read = |name: &str| {
            lookup(name)
                .map(Zeroizing::new)
                .filter(|value| !value.trim().is_empty())
        };
        let pick = |new: &'static str, old: &'static str| match (read(new), read(old)) {
            (Some(a), Some(b)) if a.trim() != b.trim() => {
                Err(CredentialsError::ConflictingVariables { new, old })
            }
            (Some(value), _) => Ok(Some((value, new))),
            (None, Some(value)) => Ok(Some((value, old))),
            (None, None) => Ok(None),
        };
        let secret = pick(ENV_API_SECRET, ENV_PRIVATE_KEY)?;
        let key = pick(ENV_API_KEY, ENV_PUBLIC_KEY)?;
        match (secret, key) {
            (None, None) => Ok(None),
            (None, Some((_, variable))) => Err(CredentialsError::MissingSecret { variable }),
            (Some((secret, _)), None) => Self::from_secret(&secret).map(Some),
            (Some((secret, _)), Some((key, _))) => {
                Self::from_secret_and_key(&secret, &key).map(Some)
            }
        }
    }

    /// The base64 public key, sent as `X-API-Key`.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The base64 secret (seed). Only for handing the key to another program that must sign
    /// with it (e.g. the testkit's standalone fake server); never log it.
    pub fn expose_secret(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE64.encode(self.signing_key.to_bytes()))
    }

    /// Signs with AWS-LC when available, else with ed25519-dalek (same signature: ED25519
    /// is deterministic).
    pub(crate) fn sign_bytes(&self, message: &[u8]) -> Signature {
        #[cfg(feature = "aws-lc")]
        if let Some(fast) = &self.fast
            && let Ok(bytes) = <[u8; 64]>::try_from(fast.sign(message).as_ref())
        {
            return Signature::from_bytes(&bytes);
        }
        self.signing_key.sign(message)
    }

    /// Signs with ed25519-dalek only (to check the accelerated path against it).
    #[cfg(test)]
    pub(crate) fn sign_portable(&self, message: &[u8]) -> Signature {
        self.signing_key.sign(message)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix: String = self.api_key.chars().take(6).collect();
        f.debug_struct("Credentials")
            .field("api_key", &format_args!("{prefix}…"))
            .field("secret", &format_args!("[REDACTED]"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const SECRET: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
    const API_KEY: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn derives_the_api_key_from_the_seed() {
        let credentials = Credentials::from_secret(SECRET).unwrap();
        assert_eq!(credentials.api_key(), API_KEY);
        assert_eq!(credentials.expose_secret().as_str(), SECRET);
    }

    #[test]
    fn accepts_a_64_byte_secret_and_checks_its_halves() {
        let mut bytes = BASE64.decode(SECRET).unwrap();
        bytes.extend(BASE64.decode(API_KEY).unwrap());
        let long = BASE64.encode(&bytes);
        assert_eq!(Credentials::from_secret(&long).unwrap().api_key(), API_KEY);
        *bytes.last_mut().unwrap() ^= 1;
        assert_eq!(
            Credentials::from_secret(&BASE64.encode(&bytes)).unwrap_err(),
            CredentialsError::SecretInconsistent
        );
    }

    #[test]
    fn rejects_bad_secrets_without_echoing_them() {
        let error = Credentials::from_secret("not base64 at all!").unwrap_err();
        assert_eq!(error, CredentialsError::SecretNotBase64);
        let error = Credentials::from_secret("AAAA").unwrap_err();
        assert_eq!(error, CredentialsError::SecretWrongLength { len: 3 });
        assert!(!error.to_string().contains("AAAA"));
    }

    #[test]
    fn environment_names_old_and_new() {
        assert!(Credentials::from_lookup(lookup(&[])).unwrap().is_none());
        let new = Credentials::from_lookup(lookup(&[(ENV_API_SECRET, SECRET)])).unwrap();
        assert_eq!(new.unwrap().api_key(), API_KEY);
        let old = Credentials::from_lookup(lookup(&[
            (ENV_PRIVATE_KEY, SECRET),
            (ENV_PUBLIC_KEY, API_KEY),
        ]))
        .unwrap();
        assert_eq!(old.unwrap().api_key(), API_KEY);
        let blank = Credentials::from_lookup(lookup(&[(ENV_API_SECRET, "  ")])).unwrap();
        assert!(blank.is_none());
    }

    #[test]
    fn environment_mismatches_are_clear_errors() {
        let other_key = "6kpsY+KcUgq+9VB7Ey7F+ZVHdq6+vnuSQh7qaRRG0iw=";
        let error = Credentials::from_lookup(lookup(&[
            (ENV_API_SECRET, SECRET),
            (ENV_API_KEY, other_key),
        ]))
        .unwrap_err();
        assert_eq!(error, CredentialsError::KeyMismatch);
        assert!(error.to_string().contains("does not match"));
        let error = Credentials::from_lookup(lookup(&[(ENV_PUBLIC_KEY, API_KEY)])).unwrap_err();
        assert_eq!(
            error,
            CredentialsError::MissingSecret {
                variable: ENV_PUBLIC_KEY
            }
        );
        let error = Credentials::from_lookup(lookup(&[
            (ENV_API_SECRET, SECRET),
            (
                ENV_PRIVATE_KEY,
                "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=",
            ),
        ]))
        .unwrap_err();
        assert!(matches!(
            error,
            CredentialsError::ConflictingVariables { .. }
        ));
    }

    #[cfg(feature = "aws-lc")]
    proptest::proptest! {
        /// The accelerated signer and the portable one agree on every key and message.
        #[test]
        fn aws_lc_and_dalek_sign_identically(seed in proptest::prelude::any::<[u8; 32]>(), message in ".{0,300}") {
            let credentials = Credentials::from_seed(&seed);
            proptest::prop_assert!(credentials.fast.is_some());
            proptest::prop_assert_eq!(
                credentials.sign_bytes(message.as_bytes()),
                credentials.sign_portable(message.as_bytes())
            );
        }
    }

    #[test]
    fn debug_never_shows_the_secret_or_the_full_key() {
        let credentials = Credentials::from_secret(SECRET).unwrap();
        let debug = format!("{credentials:?} {credentials:#?}");
        assert!(!debug.contains(SECRET));
        assert!(!debug.contains(API_KEY));
        assert!(!debug.contains(&SECRET[..12]));
        assert!(debug.contains("REDACTED"));
    }
}
