//! The async HTTP client (feature `client`).
//!
//! [`Client::execute`] sends any [`Request`]: it serializes the request once, signs it
//! afresh on every attempt (new timestamp, new signature), retries as the request's
//! [`Effect`](crate::api::Effect) allows, classifies failures into [`Error`] and decodes the answer. The handler
//! groups ([`Client::markets`], [`Client::account`], [`Client::orders`],
//! [`Client::history`]) are thin sugar over it.

mod account;
mod builder;
mod clock;
mod history;
mod local;
mod markets;
mod orders;
mod retry;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};

use crate::api::public::GetTime;
use crate::api::{Method, Payload, Request};
use crate::credentials::Credentials;
use crate::error::{ApiError, Error, snippet};
use crate::model::ApiErrorCode;
use crate::signing::{Window, sign_message};

pub use account::Account;
pub use builder::{ClientBuilder, DEFAULT_BASE_URL, DEFAULT_TIMEOUT, ENV_BASE_URL};
pub use clock::{Clock, ClockOffset, ManualClock, SystemClock};
pub use history::History;
pub use local::{LocalRequest, LocalResponse, LocalTransport};
pub use markets::Markets;
pub use orders::{Orders, Reconciled};
pub use retry::RetryPolicy;

/// A Backpack REST client. Cheap to clone (shared connection pool and state).
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    transport: Transport,
    base_url: String,
    credentials: Option<Credentials>,
    window: Window,
    clock: Arc<dyn Clock>,
    clock_offset_ms: AtomicI64,
    retry: RetryPolicy,
    timeout: Duration,
    auto_client_id: bool,
    random_state: AtomicU64,
}

/// Where requests go.
#[derive(Debug)]
enum Transport {
    /// The network.
    Http(reqwest::Client),
    /// A handler in this process.
    Local(Arc<dyn LocalTransport>),
    /// A handler in this process for what it handles, the network for the rest.
    Split(Arc<dyn LocalTransport>, reqwest::Client),
}

/// A request ready to go out: what is the same on every attempt.
struct Prepared<'a> {
    method: reqwest::Method,
    url: reqwest::Url,
    instruction: Option<&'static str>,
    payload: Payload,
    body: Option<Bytes>,
    credentials: Option<&'a Credentials>,
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from the environment (`BACKPACK_BASE_URL`,
    /// `BACKPACK_API_SECRET`/`BACKPACK_API_KEY` or the older `BACKPACK_PRIVATE_KEY`/
    /// `BACKPACK_PUBLIC_KEY`). Without keys, public endpoints still work.
    ///
    /// # Errors
    /// [`Error::Credentials`] for malformed or mismatching keys; [`Error::InvalidRequest`]
    /// for a bad base URL.
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// A client for public endpoints only, against the production URL.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] if the HTTP client cannot be built.
    pub fn public() -> Result<Self, Error> {
        ClientBuilder::new().build()
    }

    /// Public market data.
    pub fn markets(&self) -> Markets<'_> {
        Markets::new(self)
    }

    /// Account settings, balances and positions (signed).
    pub fn account(&self) -> Account<'_> {
        Account::new(self)
    }

    /// Orders: query, place, cancel, reconcile (signed).
    pub fn orders(&self) -> Orders<'_> {
        Orders::new(self)
    }

    /// Order, fill and funding history (signed).
    pub fn history(&self) -> History<'_> {
        History::new(self)
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Whether the client has credentials for signed endpoints.
    pub fn has_credentials(&self) -> bool {
        self.inner.credentials.is_some()
    }

    /// The base64 public key (`X-API-Key`), if configured.
    pub fn api_key(&self) -> Option<&str> {
        self.inner.credentials.as_ref().map(Credentials::api_key)
    }

    /// The clock offset applied to signed requests (server minus local, ms).
    pub fn clock_offset_ms(&self) -> i64 {
        self.inner.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// Sets the clock offset by hand (server minus local, ms).
    pub fn set_clock_offset_ms(&self, offset_ms: i64) {
        self.inner
            .clock_offset_ms
            .store(offset_ms, Ordering::Relaxed);
    }

    /// Measures the server's clock against the local one with `GET /api/v1/time` and applies
    /// the offset to every later signed request. Use it when requests fail with "Request has
    /// expired".
    ///
    /// # Errors
    /// As [`execute`](Self::execute).
    pub async fn sync_clock(&self) -> Result<ClockOffset, Error> {
        let before = self.inner.clock.now_ms();
        let server = self.execute(&GetTime {}).await?;
        let after = self.inner.clock.now_ms();
        let midpoint = i128::from(before) + (i128::from(after) - i128::from(before)) / 2;
        let offset = i128::from(server.as_millis()) - midpoint;
        let offset_ms = i64::try_from(offset).map_err(|_| {
            Error::InvalidRequest(format!("server clock offset out of range: {offset} ms"))
        })?;
        self.set_clock_offset_ms(offset_ms);
        Ok(ClockOffset {
            offset_ms,
            round_trip_ms: after.saturating_sub(before),
        })
    }

    /// The timestamp for a request sent now: local clock plus the measured offset.
    fn now_ms(&self) -> u64 {
        let local = self.inner.clock.now_ms();
        local.saturating_add_signed(self.clock_offset_ms())
    }

    /// The `signature` array of a private WebSocket subscription sent now (clock offset
    /// applied), or `None` without credentials.
    #[cfg(feature = "ws")]
    pub(crate) fn subscribe_signature(&self) -> Option<[String; 4]> {
        let credentials = self.inner.credentials.as_ref()?;
        Some(crate::signing::subscribe_signature(
            credentials,
            self.now_ms(),
            self.inner.window,
        ))
    }

    /// A pseudo-random `u64` (splitmix64 over a seeded counter): jitter and client ids.
    fn next_random(&self) -> u64 {
        let mut z = self
            .inner
            .random_state
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Sends a request: signs (if it is signed), sends, retries as its [`Effect`](crate::api::Effect) allows,
    /// and decodes the answer.
    ///
    /// # Errors
    /// See [`Error`]; [`Error::outcome`] says whether the request took effect. A write whose
    /// outcome is unknown is reported as [`Error::OutcomeUnknown`] and is never re-sent.
    ///
    /// # Cancel safety
    /// Dropping the future of a write after it started sending leaves its outcome unknown,
    /// exactly like a timeout: reconcile before re-sending.
    pub async fn execute<R: Request>(&self, request: &R) -> Result<R::Response, Error> {
        let prepared = self.prepare(request)?;
        let mut attempt = 0;
        loop {
            let started = Instant::now();
            let result = self.send_once::<R>(&prepared).await;
            tracing::debug!(
                target: "backpack_sdk::request",
                method = R::METHOD.as_str(),
                path = R::PATH,
                attempt,
                elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                ok = result.is_ok(),
                "backpack request"
            );
            match result {
                Ok(response) => return Ok(response),
                Err(error) if self.inner.retry.should_retry(R::EFFECT, &error, attempt) => {
                    let wait =
                        self.inner
                            .retry
                            .backoff(attempt, error.retry_after(), self.next_random());
                    tracing::debug!(path = R::PATH, attempt, ?wait, %error, "retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(error) => return Err(self.finish_error(request, error)),
            }
        }
    }

    fn prepare<'a, R: Request>(&'a self, request: &R) -> Result<Prepared<'a>, Error> {
        let payload = Payload::of(request).map_err(|e| Error::InvalidRequest(e.to_string()))?;
        let credentials = match R::INSTRUCTION {
            None => None,
            Some(instruction) => Some(self.inner.credentials.as_ref().ok_or_else(|| {
                Error::InvalidRequest(format!(
                    "{instruction} is a signed endpoint and the client has no credentials \
                     (set BACKPACK_API_SECRET)"
                ))
            })?),
        };
        let mut url = reqwest::Url::parse(&format!("{}{}", self.inner.base_url, R::PATH))
            .map_err(|e| Error::InvalidRequest(format!("URL for {}: {e}", R::PATH)))?;
        if !payload.query().is_empty() {
            url.query_pairs_mut().extend_pairs(
                payload
                    .query()
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            );
        }
        let method = match R::METHOD {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
            Method::Patch => reqwest::Method::PATCH,
        };
        let body = payload.body().map(Bytes::copy_from_slice);
        Ok(Prepared {
            method,
            url,
            instruction: R::INSTRUCTION,
            payload,
            body,
            credentials,
        })
    }

    async fn send_once<R: Request>(&self, prepared: &Prepared<'_>) -> Result<R::Response, Error> {
        let mut headers = HeaderMap::with_capacity(5);
        if let (Some(instruction), Some(credentials)) = (prepared.instruction, prepared.credentials)
        {
            let window = self.inner.window;
            let timestamp = self.now_ms();
            let message = prepared
                .payload
                .signing_string(instruction, timestamp, window);
            let signed = sign_message(credentials, &message, timestamp, window);
            headers.insert("x-api-key", sensitive(&signed.api_key)?);
            headers.insert("x-signature", sensitive(&signed.signature)?);
            headers.insert("x-timestamp", HeaderValue::from(timestamp));
            headers.insert("x-window", HeaderValue::from(window.millis()));
        }
        if prepared.body.is_some() {
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
        }
        let local = match &self.inner.transport {
            Transport::Http(http) => Err(http),
            Transport::Local(local) => Ok(local),
            Transport::Split(local, http) => {
                let probe = LocalRequest {
                    method: prepared.method.clone(),
                    url: prepared.url.clone(),
                    headers: headers.clone(),
                    body: prepared.body.clone(),
                };
                if local.handles(&probe) {
                    Ok(local)
                } else {
                    Err(http)
                }
            }
        };
        let (status, response_headers, body) = match local {
            Err(http) => {
                let mut builder = http.request(prepared.method.clone(), prepared.url.clone());
                if let Some(body) = &prepared.body {
                    builder = builder.body(body.clone());
                }
                let response = builder
                    .headers(headers)
                    .send()
                    .await
                    .map_err(|e| self.transport_error(e))?;
                let status = response.status().as_u16();
                let response_headers = response.headers().clone();
                let body = response
                    .bytes()
                    .await
                    .map_err(|e| self.transport_error(e))?;
                (status, response_headers, body)
            }
            Ok(local) => {
                let response = local.send(LocalRequest {
                    method: prepared.method.clone(),
                    url: prepared.url.clone(),
                    headers,
                    body: prepared.body.clone(),
                });
                (response.status, response.headers, response.body)
            }
        };
        let retry_after = response_headers
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| text.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        if (200..300).contains(&status) {
            return R::decode(status, &body).map_err(|source| Error::Decode {
                status,
                source,
                body: snippet(&body, 256),
            });
        }
        if (300..400).contains(&status) {
            let target = response_headers
                .get(reqwest::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .map(|location| snippet(location.as_bytes(), 128))
                .unwrap_or_default();
            return Err(ApiError {
                status,
                code: None,
                message: format!(
                    "redirected to `{target}`; the client follows no redirects (they would carry \
                     the signature elsewhere): check BACKPACK_BASE_URL"
                ),
            }
            .into());
        }
        let api = ApiError::from_body(status, &body);
        if status == 429 || api.code == Some(ApiErrorCode::TooManyRequests) {
            return Err(Error::RateLimited {
                retry_after,
                message: api.message,
            });
        }
        Err(api.into())
    }

    fn transport_error(&self, error: reqwest::Error) -> Error {
        let error = error.without_url();
        if error.is_connect() {
            Error::Connect {
                source: Box::new(error),
            }
        } else if error.is_timeout() {
            Error::Timeout {
                after: self.inner.timeout,
                source: Box::new(error),
            }
        } else {
            Error::Transport {
                source: Box::new(error),
            }
        }
    }

    /// For writes, turns failures that leave the effect unknown into
    /// [`Error::OutcomeUnknown`]: timeouts, broken connections, 5xx answers (except a
    /// maintenance refusal, which is a clear rejection) and answers that are neither success
    /// nor a client error (a redirect: whoever answered may have acted on it).
    fn finish_error<R: Request>(&self, request: &R, error: Error) -> Error {
        if !R::EFFECT.is_write() {
            return error;
        }
        let ambiguous = match &error {
            Error::Timeout { .. } | Error::Transport { .. } => true,
            Error::Api(api) => {
                !(400..500).contains(&api.status) && api.code != Some(ApiErrorCode::Maintenance)
            }
            _ => false,
        };
        if !ambiguous {
            return error;
        }
        Error::OutcomeUnknown {
            instruction: R::INSTRUCTION.unwrap_or(R::PATH),
            client_id: request.client_id(),
            cause: Box::new(error),
        }
    }
}

/// A header value hidden from `Debug` output and HTTP/2 header compression tables.
fn sensitive(text: &str) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(text)
        .map_err(|_| Error::InvalidRequest("header value is not visible ASCII".into()))?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_headers_are_marked_sensitive() {
        let value = sensitive("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=").unwrap();
        assert!(value.is_sensitive());
        assert_eq!(format!("{value:?}"), "Sensitive");
        assert!(sensitive("line\nbreak").is_err());
    }
}
