//! Verifying signed requests the way the exchange does (`backpack-api.md` §2), with the
//! simulator's own code: rebuild the signing string from the parameters actually received,
//! check the ED25519 signature against `X-API-Key`, and enforce the window.
//!
//! The string: the instruction first, then the parameters sorted by key as `key=value`
//! (query pairs for reads, the JSON body's fields for writes; booleans lower-case, numbers
//! and strings as sent, `null` fields left out), then `timestamp` and `window`. A batch body
//! signs each item as its own `instruction=orderExecute&...` string, joined by `&`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde_json::Value;

use super::request::Request;
use super::wire::{ErrorBody, ErrorCode};

/// Largest clock skew tolerated for a timestamp in the future, ms.
pub(crate) const FUTURE_SKEW_MS: u64 = 2_000;
/// The window when `X-Window` is absent, ms.
const DEFAULT_WINDOW_MS: u64 = 5_000;
/// The largest window the exchange accepts, ms.
const MAX_WINDOW_MS: u64 = 60_000;

/// A 401 as the exchange answers bad signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unauthorized(pub(crate) ErrorBody);

fn unauthorized(message: &str) -> Unauthorized {
    Unauthorized(ErrorBody {
        code: ErrorCode::InvalidClientRequest,
        message: message.to_owned(),
    })
}

/// The parameters a request was signed over.
pub(crate) enum Signed<'a> {
    /// Query pairs of a read.
    Query(&'a [(String, String)]),
    /// The fields of a JSON object body.
    Object(&'a serde_json::Map<String, Value>),
    /// A JSON array body (batch orders): one object per item.
    Batch(&'a [Value]),
}

/// A JSON value as it appears in the signing string (`None`: left out).
fn rendered(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        Value::String(text) => Some(text.clone()),
        Value::Array(_) | Value::Object(_) => Some(value.to_string()),
    }
}

fn sorted_object(object: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = object
        .iter()
        .filter_map(|(key, value)| Some((key.clone(), rendered(value)?)))
        .collect();
    pairs.sort();
    pairs
}

fn with_instruction(instruction: &str, pairs: &[(String, String)]) -> String {
    let mut text = format!("instruction={instruction}");
    for (key, value) in pairs {
        text.push('&');
        text.push_str(key);
        text.push('=');
        text.push_str(value);
    }
    text
}

impl Signed<'_> {
    /// The signing string, `None` when a batch item is not an object.
    fn signing_string(&self, instruction: &str, timestamp: u64, window: u64) -> Option<String> {
        let body = match self {
            Signed::Query(pairs) => {
                // Repeated keys: the last value counts, as the exchange's parser keeps it.
                let mut sorted: Vec<(String, String)> = Vec::new();
                for (key, value) in pairs.iter() {
                    sorted.retain(|(k, _)| k != key);
                    sorted.push((key.clone(), value.clone()));
                }
                sorted.sort();
                with_instruction(instruction, &sorted)
            }
            Signed::Object(object) => with_instruction(instruction, &sorted_object(object)),
            Signed::Batch(items) => {
                let parts: Option<Vec<String>> = items
                    .iter()
                    .map(|item| {
                        item.as_object()
                            .map(|object| with_instruction(instruction, &sorted_object(object)))
                    })
                    .collect();
                parts?.join("&")
            }
        };
        Some(format!("{body}&timestamp={timestamp}&window={window}"))
    }
}

fn verifying_key(api_key: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = STANDARD.decode(api_key.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// Checks a signed request and returns the caller's API key.
///
/// # Errors
/// The exchange's 401 answers: missing headers, bad key or signature encoding, a signature
/// that does not verify, an expired or future timestamp, a window over 60 s.
pub(crate) fn verify_request(
    request: &Request,
    instruction: &str,
    signed: &Signed<'_>,
    now_ms: u64,
) -> Result<String, Unauthorized> {
    let api_key = request
        .header("x-api-key")
        .ok_or_else(|| unauthorized("Missing X-API-Key header"))?;
    let signature = request
        .header("x-signature")
        .ok_or_else(|| unauthorized("Missing X-Signature header"))?;
    let timestamp: u64 = request
        .header("x-timestamp")
        .ok_or_else(|| unauthorized("Missing X-Timestamp header"))?
        .trim()
        .parse()
        .map_err(|_| unauthorized("Invalid X-Timestamp header"))?;
    let window = match request.header("x-window") {
        None => DEFAULT_WINDOW_MS,
        Some(text) => text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|millis| *millis <= MAX_WINDOW_MS)
            .ok_or_else(|| unauthorized("Invalid X-Window header: must be at most 60000"))?,
    };
    let message = signed
        .signing_string(instruction, timestamp, window)
        .ok_or_else(|| unauthorized("Invalid signature"))?;
    let key = verifying_key(api_key).ok_or_else(|| unauthorized("Invalid X-API-Key header"))?;
    let signature: [u8; 64] = STANDARD
        .decode(signature.trim())
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| unauthorized("Invalid X-Signature header"))?;
    key.verify(message.as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| unauthorized("Invalid signature"))?;
    if now_ms > timestamp.saturating_add(window) {
        return Err(unauthorized("Request has expired"));
    }
    if timestamp > now_ms.saturating_add(FUTURE_SKEW_MS) {
        return Err(unauthorized("Request timestamp is in the future"));
    }
    Ok(api_key.to_owned())
}

/// Why a WebSocket subscription's signature was refused: the fake's error code and message.
#[cfg(feature = "streams")]
pub(crate) type SubscribeRefusal = (i64, &'static str);

/// Checks the `signature` array of a private WebSocket `SUBSCRIBE` — `[key, signature,
/// timestamp, window]`, all strings, signed over
/// `instruction=subscribe&timestamp=..&window=..` — and returns the API key.
///
/// # Errors
/// 4001 for a missing or malformed array, 4002 for a signature that does not verify, 4003
/// for an expired or future timestamp or a window over 60 s (the fake's codes; the
/// exchange's are not documented).
#[cfg(feature = "streams")]
pub(crate) fn verify_subscribe(
    signature: Option<&[Value]>,
    now_ms: u64,
) -> Result<String, SubscribeRefusal> {
    const MALFORMED: SubscribeRefusal = (4001, "Missing or malformed signature");
    let parts: Vec<&str> = signature
        .ok_or(MALFORMED)?
        .iter()
        .map(Value::as_str)
        .collect::<Option<_>>()
        .ok_or(MALFORMED)?;
    let [api_key, signature, timestamp, window] = parts[..] else {
        return Err(MALFORMED);
    };
    let timestamp: u64 = timestamp.trim().parse().map_err(|_| MALFORMED)?;
    let window: u64 = window.trim().parse().map_err(|_| MALFORMED)?;
    if window > MAX_WINDOW_MS {
        return Err((4003, "Invalid window: must be at most 60000"));
    }
    let key = verifying_key(api_key).ok_or((4002, "Invalid signature"))?;
    let signature: [u8; 64] = STANDARD
        .decode(signature.trim())
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or((4002, "Invalid signature"))?;
    let message = format!("instruction=subscribe&timestamp={timestamp}&window={window}");
    key.verify(message.as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| (4002, "Invalid signature"))?;
    if now_ms > timestamp.saturating_add(window) {
        return Err((4003, "Request has expired"));
    }
    if timestamp > now_ms.saturating_add(FUTURE_SKEW_MS) {
        return Err((4003, "Request timestamp is in the future"));
    }
    Ok(api_key.trim().to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The reference's worked example (§2): an order cancel, sorted, instruction first.
    #[test]
    fn the_signing_string_follows_the_reference() {
        let body = serde_json::json!({"symbol": "SOL_USDC", "orderId": "28"});
        let signed = Signed::Object(body.as_object().unwrap());
        assert_eq!(
            signed
                .signing_string("orderCancel", 1_614_550_000_000, 5_000)
                .unwrap(),
            "instruction=orderCancel&orderId=28&symbol=SOL_USDC&timestamp=1614550000000&window=5000"
        );
        let query = vec![
            ("b".to_owned(), "2".to_owned()),
            ("a".to_owned(), "1".to_owned()),
        ];
        assert_eq!(
            Signed::Query(&query)
                .signing_string("balanceQuery", 1, 5_000)
                .unwrap(),
            "instruction=balanceQuery&a=1&b=2&timestamp=1&window=5000"
        );
        let none: Vec<(String, String)> = Vec::new();
        assert_eq!(
            Signed::Query(&none)
                .signing_string("balanceQuery", 1, 5_000)
                .unwrap(),
            "instruction=balanceQuery&timestamp=1&window=5000"
        );
    }

    #[test]
    fn booleans_are_lower_case_and_nulls_left_out() {
        let body = serde_json::json!({"postOnly": true, "price": null, "clientId": 7});
        let signed = Signed::Object(body.as_object().unwrap());
        assert_eq!(
            signed.signing_string("orderExecute", 1, 5_000).unwrap(),
            "instruction=orderExecute&clientId=7&postOnly=true&timestamp=1&window=5000"
        );
    }

    #[test]
    fn a_batch_signs_each_item_then_the_time_once() {
        let body = serde_json::json!([{"symbol": "A", "side": "Bid"}, {"symbol": "B"}]);
        let signed = Signed::Batch(body.as_array().unwrap());
        assert_eq!(
            signed.signing_string("orderExecute", 1, 5_000).unwrap(),
            "instruction=orderExecute&side=Bid&symbol=A&instruction=orderExecute&symbol=B&timestamp=1&window=5000"
        );
    }
}
