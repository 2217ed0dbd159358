//! Endpoints as data: one struct per endpoint, each implementing [`Request`].
//!
//! A request struct is inert: it only describes the call (method, path, instruction,
//! parameters, how to decode the answer). The client's `execute` signs, sends, retries as
//! the request's [`Effect`] allows, and decodes. Requests are usable without the `client`
//! feature, e.g. to build signing strings or drive another HTTP stack.

pub mod account;
pub mod history;
pub mod orders;
pub mod public;

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::model::ClientOrderId;
use crate::signing::Params;

/// HTTP method of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`: parameters in the query string.
    Get,
    /// `POST`: JSON body.
    Post,
    /// `DELETE`: JSON body.
    Delete,
    /// `PATCH`: JSON body.
    Patch,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
        }
    }
}

/// What sending a request does, which decides how failures may be retried and reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Reads only: retried on rate limits, 5xx and connection failures.
    Read,
    /// Cancels: retried only when the request provably did not reach the exchange.
    Cancel,
    /// Places orders or changes settings: never re-sent once it may have reached the
    /// exchange; an ambiguous failure is reported as an unknown outcome.
    Write,
}

impl Effect {
    /// Whether the request changes state on the exchange.
    pub fn is_write(self) -> bool {
        !matches!(self, Effect::Read)
    }
}

/// Why a response body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at `{path}`: {message}")]
pub struct DecodeError {
    /// Path of the field that failed (`[3].executedQuantity`), `.` for the root.
    pub path: String,
    /// What was wrong.
    pub message: String,
}

impl DecodeError {
    /// A decode error at the root of the body.
    pub fn root(message: impl fmt::Display) -> Self {
        Self {
            path: ".".to_owned(),
            message: message.to_string(),
        }
    }
}

/// Decodes a JSON body, naming the failing field on error.
///
/// The fast path is a plain `serde_json` decode; only when it fails is the body decoded a
/// second time with path tracking, so correct bodies pay nothing for good error messages.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    // Validating UTF-8 once for the whole body and parsing from `&str` is faster than
    // `from_slice`, which validates every string on its own (a quarter of decode time).
    let text = std::str::from_utf8(body).map_err(DecodeError::root)?;
    match serde_json::from_str(text) {
        Ok(value) => Ok(value),
        Err(first) => {
            let mut deserializer = serde_json::Deserializer::from_str(text);
            match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
                Err(error) => {
                    let path = error.path().to_string();
                    Err(DecodeError {
                        path: if path.is_empty() {
                            ".".to_owned()
                        } else {
                            path
                        },
                        message: error.into_inner().to_string(),
                    })
                }
                Ok(_) => Err(DecodeError::root(first)),
            }
        }
    }
}

/// One endpoint.
///
/// The struct's `Serialize` output (a JSON object, or an array of objects for a batch) is
/// both what is sent — as the query string for `GET`, as the JSON body otherwise — and what
/// is signed, so the two cannot drift apart.
pub trait Request: Serialize {
    /// The decoded answer.
    type Response;

    /// HTTP method.
    const METHOD: Method;

    /// Path, e.g. `/api/v1/order`.
    const PATH: &'static str;

    /// Signing instruction (`orderExecute`); `None` for public endpoints.
    const INSTRUCTION: Option<&'static str>;

    /// What sending does; decides retries and failure reporting.
    const EFFECT: Effect = Effect::Read;

    /// Decodes a successful (2xx) answer.
    ///
    /// # Errors
    /// [`DecodeError`] naming the failing field.
    fn decode(status: u16, body: &[u8]) -> Result<Self::Response, DecodeError>;

    /// The client id the request carries, if any (reported with unknown outcomes so the
    /// order can be reconciled).
    fn client_id(&self) -> Option<ClientOrderId> {
        None
    }
}

/// What is signed and sent for a request, derived from its `Serialize` output.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// One parameter set (query or JSON object body).
    Single {
        /// The parameters as signed, sorted by key.
        params: Params,
        /// The JSON body, for methods that send one.
        body: Option<Vec<u8>>,
    },
    /// A JSON array body; each element signs as its own group.
    Batch {
        /// Each element's parameters.
        items: Vec<Params>,
        /// The JSON array body.
        body: Vec<u8>,
    },
}

/// Why a request's parameters could not be prepared (a bug in the request type, or a value
/// that does not serialize). Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("request parameters could not be prepared: {0}")]
pub struct PayloadError(String);

impl Payload {
    /// Serializes a request into what is signed and sent.
    ///
    /// # Errors
    /// [`PayloadError`] if the request does not serialize to an object (or array of objects).
    pub fn of<R: Request>(request: &R) -> Result<Self, PayloadError> {
        let value = serde_json::to_value(request).map_err(|e| PayloadError(e.to_string()))?;
        match &value {
            serde_json::Value::Array(elements) => {
                let items = elements
                    .iter()
                    .map(|element| {
                        Params::from_json_object(element)
                            .ok_or_else(|| PayloadError("batch element is not an object".into()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let body = serde_json::to_vec(&value).map_err(|e| PayloadError(e.to_string()))?;
                Ok(Payload::Batch { items, body })
            }
            serde_json::Value::Null => Ok(Payload::Single {
                params: Params::default(),
                body: None,
            }),
            _ => {
                let params = Params::from_json_object(&value)
                    .ok_or_else(|| PayloadError("request is not a JSON object".into()))?;
                let body = match R::METHOD {
                    Method::Get => None,
                    _ => Some(serde_json::to_vec(&value).map_err(|e| PayloadError(e.to_string()))?),
                };
                Ok(Payload::Single { params, body })
            }
        }
    }

    /// The text to sign under `instruction`.
    pub fn signing_string(
        &self,
        instruction: &str,
        timestamp_ms: u64,
        window: crate::signing::Window,
    ) -> String {
        match self {
            Payload::Single { params, .. } => {
                crate::signing::signing_string(instruction, params, timestamp_ms, window)
            }
            Payload::Batch { items, .. } => {
                crate::signing::batch_signing_string(instruction, items, timestamp_ms, window)
            }
        }
    }

    /// The query pairs for a `GET` (empty for other payloads).
    pub fn query(&self) -> &[(String, String)] {
        match self {
            Payload::Single { params, body: None } => params.pairs(),
            _ => &[],
        }
    }

    /// The JSON body, if any.
    pub fn body(&self) -> Option<&[u8]> {
        match self {
            Payload::Single { body, .. } => body.as_deref(),
            Payload::Batch { body, .. } => Some(body),
        }
    }
}

/// Implements [`Request`] for a type, decoding a JSON body.
macro_rules! json_request {
    (
        $request:ty => $response:ty,
        $method:ident $path:literal,
        instruction: $instruction:expr
        $(, effect: $effect:ident)?
        $(,)?
    ) => {
        impl $crate::api::Request for $request {
            type Response = $response;
            const METHOD: $crate::api::Method = $crate::api::Method::$method;
            const PATH: &'static str = $path;
            const INSTRUCTION: Option<&'static str> = $instruction;
            $(const EFFECT: $crate::api::Effect = $crate::api::Effect::$effect;)?

            fn decode(_status: u16, body: &[u8]) -> Result<$response, $crate::api::DecodeError> {
                $crate::api::decode_json(body)
            }
        }
    };
}

pub(crate) use json_request;
