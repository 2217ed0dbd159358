//! Verifying signed requests the way the exchange does: rebuild the signing string from the
//! parameters actually received, check the ED25519 signature against `X-API-Key`, and
//! enforce the window.

use backpack_sdk::model::ApiErrorCode;
use backpack_sdk::signing::{self, Params, VerifyError, Window};
use serde_json::Value;

use crate::exchange::Reject;

/// Largest clock skew tolerated for a timestamp in the future, ms.
pub(crate) const FUTURE_SKEW_MS: u64 = 2_000;

fn unauthorized(message: &str) -> Reject {
    Reject {
        status: 401,
        body: backpack_sdk::model::ApiErrorBody::new(ApiErrorCode::InvalidClientRequest, message),
    }
}

/// The parameters a request was signed over.
pub(crate) enum Signed<'a> {
    /// Query pairs (GET) or a JSON object body.
    Single(Params),
    /// A JSON array body (batch orders).
    Batch(&'a [Value]),
}

impl Signed<'_> {
    fn signing_string(&self, instruction: &str, timestamp: u64, window: Window) -> Option<String> {
        match self {
            Signed::Single(params) => Some(signing::signing_string(
                instruction,
                params,
                timestamp,
                window,
            )),
            Signed::Batch(items) => {
                let params: Option<Vec<Params>> =
                    items.iter().map(Params::from_json_object).collect();
                Some(signing::batch_signing_string(
                    instruction,
                    &params?,
                    timestamp,
                    window,
                ))
            }
        }
    }
}

/// Checks a signed request and returns the caller's API key.
///
/// # Errors
/// The exchange's 401 answers: missing headers, bad key or signature encoding, a signature
/// that does not verify, an expired or future timestamp, a window over 60 s.
pub(crate) fn verify_request(
    headers: &wiremock::http::HeaderMap,
    instruction: &str,
    signed: &Signed<'_>,
    now_ms: u64,
) -> Result<String, Reject> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let api_key = header("x-api-key").ok_or_else(|| unauthorized("Missing X-API-Key header"))?;
    let signature =
        header("x-signature").ok_or_else(|| unauthorized("Missing X-Signature header"))?;
    let timestamp: u64 = header("x-timestamp")
        .ok_or_else(|| unauthorized("Missing X-Timestamp header"))?
        .trim()
        .parse()
        .map_err(|_| unauthorized("Invalid X-Timestamp header"))?;
    let window = match header("x-window") {
        None => signing::DEFAULT_WINDOW,
        Some(text) => text
            .trim()
            .parse::<u32>()
            .ok()
            .and_then(|millis| Window::from_millis(millis).ok())
            .ok_or_else(|| unauthorized("Invalid X-Window header: must be at most 60000"))?,
    };
    let message = signed
        .signing_string(instruction, timestamp, window)
        .ok_or_else(|| unauthorized("Invalid signature"))?;
    match signing::verify(api_key, &message, signature) {
        Ok(()) => {}
        Err(VerifyError::BadApiKey) => return Err(unauthorized("Invalid X-API-Key header")),
        Err(VerifyError::BadSignatureEncoding) => {
            return Err(unauthorized("Invalid X-Signature header"));
        }
        Err(_) => return Err(unauthorized("Invalid signature")),
    }
    if now_ms > timestamp.saturating_add(u64::from(window.millis())) {
        return Err(unauthorized("Request has expired"));
    }
    if timestamp > now_ms.saturating_add(FUTURE_SKEW_MS) {
        return Err(unauthorized("Request timestamp is in the future"));
    }
    Ok(api_key.to_owned())
}
