//! `backpack-sdk` wired to the simulator in this process: a [`LocalTransport`] hands each
//! signed request to the simulator (signature verified, engine run, the exchange's answer
//! shapes) without a socket. What the MCP server embeds and what fast tests use.
//!
//! This is the only place the testkit touches the SDK, and only its transport seam: the
//! simulator parses what the SDK sends as it would parse any client's request.

use std::sync::Arc;

use backpack_sdk::client::{ClientBuilder, LocalRequest, LocalResponse, LocalTransport};
use backpack_sdk::{Client, Credentials};
use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

use super::{KeyPair, Request, Simulator};

/// The base URL a local client reports: it is never contacted.
pub const LOCAL_BASE_URL: &str = "http://backpack.simulator.invalid";

#[derive(Debug)]
struct InProcess(Simulator);

impl LocalTransport for InProcess {
    fn send(&self, request: LocalRequest) -> LocalResponse {
        let headers = request.headers.iter().filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        });
        let request = Request::new(
            request.method.as_str(),
            &request.url,
            headers,
            request.body.map(|b| b.to_vec()).unwrap_or_default(),
        );
        let answer = self.0.handle(&request);
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static(answer.content_type()),
        );
        LocalResponse {
            status: answer.status(),
            headers,
            body: Bytes::from(answer.body.clone()),
        }
    }
}

impl KeyPair {
    /// The same key pair as SDK credentials.
    pub fn credentials(&self) -> Credentials {
        Credentials::from_seed(&self.key.to_bytes())
    }
}

impl Simulator {
    /// A transport that reaches this simulator directly.
    pub fn transport(&self) -> Arc<dyn LocalTransport> {
        Arc::new(InProcess(self.clone()))
    }

    /// The default account's key pair as SDK credentials.
    pub fn credentials(&self) -> Credentials {
        self.keys.credentials()
    }

    /// An SDK client builder already wired to this simulator with the default account's
    /// keys.
    pub fn client_builder(&self) -> ClientBuilder {
        Client::builder()
            .base_url(LOCAL_BASE_URL)
            .credentials(self.credentials())
            .local_transport(self.transport())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::{KeyPair, Simulator};

    #[tokio::test]
    async fn the_same_exchange_without_a_socket() {
        let simulator = Simulator::builder().build().unwrap();
        let client = simulator.client_builder().build().unwrap();
        let balances = client.account().balances().await.unwrap();
        assert_eq!(balances.get("USDC").available.value(), 100_000.into());
        let markets = client.markets().list(None).await.unwrap();
        assert!(markets.iter().any(|m| m.symbol == "SOL_USDC"));
        // Signatures are still checked.
        let stranger = backpack_sdk::Client::builder()
            .base_url(super::LOCAL_BASE_URL)
            .credentials(KeyPair::from_seed(&[9; 32]).credentials())
            .local_transport(simulator.transport())
            .build()
            .unwrap();
        let error = stranger.account().balances().await.unwrap_err();
        assert!(
            error.to_string().contains("401")
                || error.to_string().to_lowercase().contains("api key"),
            "{error}"
        );
    }
}
