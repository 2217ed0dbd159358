//! Request signing, as pure functions.
//!
//! The exchange signs the text
//! `instruction=<i>&<k1>=<v1>&...&timestamp=<ms>&window=<ms>` with ED25519, where the
//! parameters (query for `GET`, JSON body otherwise) are sorted by key, rendered `k=v` without
//! URL-encoding, booleans lowercase, numbers and decimal strings exactly as sent, absent
//! fields left out. A batch (a JSON array body) signs each element as its own
//! `instruction=...&<sorted params>` group, joined with `&`, then the timestamp and window once.
//!
//! Nothing here reads a clock: the caller passes the timestamp, so the same inputs always give
//! the same bytes (the golden tests rely on it).

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::VerifyingKey;
use serde_json::Value;

use crate::credentials::Credentials;

/// The signature validity window the exchange applies when none is sent.
pub const DEFAULT_WINDOW: Window = Window(5_000);

/// How long, in milliseconds after its timestamp, the exchange accepts a signed request.
///
/// The exchange allows at most 60 000 ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window(u32);

impl Window {
    /// Largest window the exchange accepts.
    pub const MAX: Window = Window(60_000);

    /// A window of `millis` milliseconds.
    ///
    /// # Errors
    /// [`InvalidWindow`] when `millis` is 0 or above 60 000.
    pub const fn from_millis(millis: u32) -> Result<Self, InvalidWindow> {
        if millis == 0 || millis > Self::MAX.0 {
            Err(InvalidWindow { millis })
        } else {
            Ok(Window(millis))
        }
    }

    /// The window in milliseconds.
    pub const fn millis(self) -> u32 {
        self.0
    }
}

impl Default for Window {
    fn default() -> Self {
        DEFAULT_WINDOW
    }
}

/// A signing window outside 1..=60000 ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("signing window must be between 1 and 60000 ms, got {millis}")]
pub struct InvalidWindow {
    /// The rejected value.
    pub millis: u32,
}

/// The parameters of one request (or one batch element), as signed: `(key, value)` text pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parameters from `(key, value)` pairs, in any order.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let mut params = Params {
            pairs: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        };
        params.sort();
        params
    }

    /// The fields of a JSON object, rendered the way the exchange signs them. `null` fields
    /// are left out. Returns `None` if `value` is not an object.
    pub fn from_json_object(value: &Value) -> Option<Self> {
        let object = value.as_object()?;
        let mut pairs = Vec::with_capacity(object.len());
        for (key, value) in object {
            if let Some(text) = render_value(value) {
                pairs.push((key.clone(), text));
            }
        }
        let mut params = Params { pairs };
        params.sort();
        Some(params)
    }

    fn sort(&mut self) {
        self.pairs
            .sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    }

    /// The pairs, sorted by key.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    fn write_to(&self, out: &mut String) {
        for (key, value) in &self.pairs {
            out.push('&');
            out.push_str(key);
            out.push('=');
            out.push_str(value);
        }
    }
}

/// How a JSON value appears in the signing string.
fn render_value(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Bool(flag) => Some(if *flag { "true" } else { "false" }.to_owned()),
        Value::Number(number) => Some(number.to_string()),
        Value::String(text) => Some(text.clone()),
        // No documented endpoint sends nested values; sign their JSON text, as the official
        // client does.
        Value::Array(_) | Value::Object(_) => Some(value.to_string()),
    }
}

fn push_tail(out: &mut String, timestamp_ms: u64, window: Window) {
    // Writing to a String cannot fail.
    let _ = write!(out, "&timestamp={timestamp_ms}&window={}", window.millis());
}

/// The text to sign for one request.
///
/// ```
/// use backpack_sdk::signing::{signing_string, Params, DEFAULT_WINDOW};
/// let params = Params::from_pairs([("symbol", "BTC_USDT"), ("orderId", "28")]);
/// assert_eq!(
///     signing_string("orderCancel", &params, 1614550000000, DEFAULT_WINDOW),
///     "instruction=orderCancel&orderId=28&symbol=BTC_USDT&timestamp=1614550000000&window=5000"
/// );
/// ```
pub fn signing_string(
    instruction: &str,
    params: &Params,
    timestamp_ms: u64,
    window: Window,
) -> String {
    let mut out = String::with_capacity(64 + params.pairs.len() * 24);
    out.push_str("instruction=");
    out.push_str(instruction);
    params.write_to(&mut out);
    push_tail(&mut out, timestamp_ms, window);
    out
}

/// The text to sign for a batch: each element is its own `instruction=...` group.
pub fn batch_signing_string(
    instruction: &str,
    items: &[Params],
    timestamp_ms: u64,
    window: Window,
) -> String {
    let mut out = String::with_capacity(32 + items.len() * 160);
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        out.push_str("instruction=");
        out.push_str(instruction);
        item.write_to(&mut out);
    }
    if items.is_empty() {
        out.push_str("instruction=");
        out.push_str(instruction);
    }
    push_tail(&mut out, timestamp_ms, window);
    out
}

/// What a signed request carries in its headers.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `X-API-Key`: base64 public key.
    pub api_key: String,
    /// `X-Signature`: base64 ED25519 signature.
    pub signature: String,
    /// `X-Timestamp`, milliseconds.
    pub timestamp_ms: u64,
    /// `X-Window`, milliseconds.
    pub window: Window,
}

impl std::fmt::Debug for SignedHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedHeaders")
            .field("api_key", &"[REDACTED]")
            .field("signature", &"[REDACTED]")
            .field("timestamp_ms", &self.timestamp_ms)
            .field("window", &self.window)
            .finish()
    }
}

/// Signs a message and returns the headers. Pure: same inputs, same output.
pub fn sign_message(
    credentials: &Credentials,
    message: &str,
    timestamp_ms: u64,
    window: Window,
) -> SignedHeaders {
    SignedHeaders {
        api_key: credentials.api_key().to_owned(),
        signature: BASE64.encode(credentials.sign_bytes(message.as_bytes()).to_bytes()),
        timestamp_ms,
        window,
    }
}

/// Signs one request: [`signing_string`] then ED25519.
pub fn sign(
    credentials: &Credentials,
    instruction: &str,
    params: &Params,
    timestamp_ms: u64,
    window: Window,
) -> SignedHeaders {
    let message = signing_string(instruction, params, timestamp_ms, window);
    tracing::trace!(target: "backpack_sdk::signing", instruction, timestamp_ms, "signing");
    sign_message(credentials, &message, timestamp_ms, window)
}

/// The `signature` array of a private WebSocket `SUBSCRIBE`: `[key, signature, timestamp,
/// window]`, all strings, signed over `instruction=subscribe&timestamp=..&window=..` (the
/// stream names are not signed).
///
/// ```
/// use backpack_sdk::credentials::Credentials;
/// use backpack_sdk::signing::{subscribe_frame, subscribe_signature, DEFAULT_WINDOW};
/// # let credentials = Credentials::from_seed(&[7; 32]);
/// let signature = subscribe_signature(&credentials, 1614550000000, DEFAULT_WINDOW);
/// let frame = subscribe_frame("SUBSCRIBE", &["account.orderUpdate"], Some(&signature));
/// assert!(frame.starts_with(r#"{"method":"SUBSCRIBE","params":["account.orderUpdate"],"signature":["#));
/// ```
pub fn subscribe_signature(
    credentials: &Credentials,
    timestamp_ms: u64,
    window: Window,
) -> [String; 4] {
    let message = signing_string("subscribe", &Params::default(), timestamp_ms, window);
    let signed = sign_message(credentials, &message, timestamp_ms, window);
    [
        signed.api_key,
        signed.signature,
        timestamp_ms.to_string(),
        window.millis().to_string(),
    ]
}

/// A WebSocket control frame: `{"method":..,"params":[..]}`, with the `signature` array of
/// [`subscribe_signature`] for private streams.
pub fn subscribe_frame(method: &str, streams: &[&str], signature: Option<&[String; 4]>) -> String {
    let mut frame = serde_json::json!({ "method": method, "params": streams });
    if let (Some(signature), Some(object)) = (signature, frame.as_object_mut()) {
        object.insert("signature".to_owned(), serde_json::json!(signature));
    }
    frame.to_string()
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// `X-API-Key` is not base64 of a 32-byte ED25519 public key.
    #[error("X-API-Key is not a base64 ED25519 public key")]
    BadApiKey,
    /// `X-Signature` is not base64 of 64 bytes.
    #[error("X-Signature is not a base64 ED25519 signature")]
    BadSignatureEncoding,
    /// The signature does not match the message and key.
    #[error("signature does not verify")]
    Mismatch,
}

/// Verifies a base64 signature over `message` with a base64 public key — what the exchange
/// (and the testkit's fake server) does with `X-API-Key` and `X-Signature`.
///
/// # Errors
/// [`VerifyError`] says which part is wrong.
pub fn verify(api_key_b64: &str, message: &str, signature_b64: &str) -> Result<(), VerifyError> {
    let key_bytes: [u8; 32] = BASE64
        .decode(api_key_b64)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(VerifyError::BadApiKey)?;
    let key = VerifyingKey::from_bytes(&key_bytes).map_err(|_| VerifyError::BadApiKey)?;
    let signature_bytes: [u8; 64] = BASE64
        .decode(signature_b64)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(VerifyError::BadSignatureEncoding)?;
    if verify_bytes(&key, &key_bytes, message.as_bytes(), &signature_bytes) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

/// AWS-LC verifies about twice as fast as dalek (`key` was already checked to be a point).
#[cfg(feature = "aws-lc")]
fn verify_bytes(
    _key: &VerifyingKey,
    key_bytes: &[u8; 32],
    message: &[u8],
    signature: &[u8; 64],
) -> bool {
    aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ED25519, key_bytes)
        .verify(message, signature)
        .is_ok()
}

/// Portable verification.
#[cfg(not(feature = "aws-lc"))]
fn verify_bytes(
    key: &VerifyingKey,
    _key_bytes: &[u8; 32],
    message: &[u8],
    signature: &[u8; 64],
) -> bool {
    use ed25519_dalek::Verifier as _;
    key.verify(message, &ed25519_dalek::Signature::from_bytes(signature))
        .is_ok()
}

/// [`verify`] with ed25519-dalek only (to check the accelerated path against it).
#[cfg(all(test, feature = "aws-lc"))]
fn verify_portable(api_key_b64: &str, message: &str, signature_b64: &str) -> bool {
    let (Some(key), Some(signature)) = (
        BASE64
            .decode(api_key_b64)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok()),
        BASE64
            .decode(signature_b64)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok()),
    ) else {
        return false;
    };
    use ed25519_dalek::Verifier as _;
    VerifyingKey::from_bytes(&key).is_ok_and(|key| {
        key.verify(
            message.as_bytes(),
            &ed25519_dalek::Signature::from_bytes(&signature),
        )
        .is_ok()
    })
}

#[cfg(all(test, feature = "aws-lc"))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// AWS-LC and dalek accept the same signatures and reject the same forgeries.
        #[test]
        fn aws_lc_and_dalek_verify_identically(
            seed in any::<[u8; 32]>(),
            message in ".{0,200}",
            flip in any::<Option<(usize, u8)>>(),
        ) {
            let credentials = Credentials::from_seed(&seed);
            let signed = sign_message(&credentials, &message, 0, DEFAULT_WINDOW);
            let mut bytes = BASE64.decode(&signed.signature).unwrap();
            if let Some((index, mask)) = flip {
                bytes[index % 64] ^= mask;
            }
            let signature = BASE64.encode(&bytes);
            let fast = verify(credentials.api_key(), &message, &signature).is_ok();
            prop_assert_eq!(fast, verify_portable(credentials.api_key(), &message, &signature));
            prop_assert_eq!(fast, flip.is_none_or(|(_, mask)| mask == 0));
        }
    }
}
