//! A request as the simulated exchange received it: what it answers, and what a test asserts
//! on (see `FakeBackpack::received_requests`).

use url::Url;

/// One HTTP request to the simulated exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    /// A request for `method` on `url` (the path and query are read from it; the host is
    /// ignored). Header names are matched case-insensitively.
    pub fn new(
        method: &str,
        url: &Url,
        headers: impl IntoIterator<Item = (String, String)>,
        body: Vec<u8>,
    ) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            path: url.path().to_owned(),
            query: url.query_pairs().into_owned().collect(),
            headers: headers
                .into_iter()
                .map(|(name, value)| (name.to_ascii_lowercase(), value))
                .collect(),
            body,
        }
    }

    /// `GET`, `POST`, `DELETE`, `PATCH`, ...
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path, e.g. `/api/v1/order`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query pairs, percent-decoded, in the order sent.
    pub fn query(&self) -> &[(String, String)] {
        &self.query
    }

    /// The last value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// A header's value (`name` in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The raw body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as JSON (`None` when empty or not JSON).
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The instruction this request needs a signature for (`None` for public endpoints),
    /// e.g. `orderExecute` for `POST /api/v1/order`.
    pub fn instruction(&self) -> Option<&'static str> {
        super::router::route(&self.method, &self.path)
    }
}
