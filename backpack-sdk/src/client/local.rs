//! Sending requests to a handler in this process instead of over the network: what a
//! simulator plugs in so the whole client path (building, signing, retries, decoding, error
//! classification) runs without a socket.

use bytes::Bytes;
use reqwest::header::HeaderMap;

/// A signed request as it would go on the wire.
#[derive(Debug, Clone)]
pub struct LocalRequest {
    /// HTTP method.
    pub method: reqwest::Method,
    /// Full URL (the base URL is only a label here), with the query string.
    pub url: reqwest::Url,
    /// Headers, signature included.
    pub headers: HeaderMap,
    /// JSON body, for writes.
    pub body: Option<Bytes>,
}

/// The handler's answer, as an HTTP response.
#[derive(Debug, Clone)]
pub struct LocalResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers (`Retry-After` is read).
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

/// A handler that answers requests in this process (see
/// [`ClientBuilder::local_transport`](super::ClientBuilder::local_transport)).
pub trait LocalTransport: Send + Sync + std::fmt::Debug {
    /// Answers one request.
    fn send(&self, request: LocalRequest) -> LocalResponse;

    /// Whether this handler answers `request` (default: every request). With
    /// [`ClientBuilder::split_transport`](super::ClientBuilder::split_transport), the
    /// requests it declines go over the network to the base URL.
    fn handles(&self, request: &LocalRequest) -> bool {
        let _ = request;
        true
    }
}
