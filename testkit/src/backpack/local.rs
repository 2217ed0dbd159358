//! The fake exchange served in this process: a [`LocalTransport`] hands each signed request
//! to the same router the HTTP fake uses (signature verified, engine run, the exchange's
//! answer shapes), without a socket. What the MCP server's simulator and fast tests use.

use std::sync::Arc;

use backpack_sdk::Credentials;
use backpack_sdk::client::{ClientBuilder, LocalRequest, LocalResponse, LocalTransport};
use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

use super::router::{Reply, Shared};
use crate::exchange::{AccountId, Exchange};

/// The base URL a local client reports: it is never contacted.
pub const LOCAL_BASE_URL: &str = "http://backpack.simulator.invalid";

#[derive(Debug)]
struct InProcess(Arc<Shared>);

impl LocalTransport for InProcess {
    fn send(&self, request: LocalRequest) -> LocalResponse {
        let request = wiremock::Request {
            url: request.url,
            method: request.method,
            headers: request.headers,
            body: request.body.map(|b| b.to_vec()).unwrap_or_default(),
        };
        let (status, content_type, body) = match self.0.handle(&request) {
            Reply::Json(status, body) => {
                (status, "application/json; charset=utf-8", Bytes::from(body))
            }
            Reply::Text(status, body) => (status, "text/plain; charset=utf-8", Bytes::from(body)),
        };
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        LocalResponse {
            status,
            headers,
            body,
        }
    }
}

pub(super) fn transport(shared: &Arc<Shared>) -> Arc<dyn LocalTransport> {
    Arc::new(InProcess(Arc::clone(shared)))
}

/// The simulated exchange in this process (see
/// [`FakeBackpackBuilder::build_local`](super::FakeBackpackBuilder::build_local)).
#[derive(Debug, Clone)]
pub struct LocalBackpack {
    pub(super) shared: Arc<Shared>,
    pub(super) credentials: Credentials,
    pub(super) account: AccountId,
}

impl LocalBackpack {
    /// The default account's key pair.
    pub fn credentials(&self) -> Credentials {
        self.credentials.clone()
    }

    /// The default account.
    pub fn account(&self) -> AccountId {
        self.account
    }

    /// Runs `f` on the engine (advanced to the current simulated time).
    pub fn with_exchange<R>(&self, f: impl FnOnce(&mut Exchange) -> R) -> R {
        f(&mut self.shared.exchange())
    }

    /// The transport to give a client.
    pub fn transport(&self) -> Arc<dyn LocalTransport> {
        transport(&self.shared)
    }

    /// A client builder already pointed at this exchange with the default account's keys.
    pub fn client_builder(&self) -> ClientBuilder {
        backpack_sdk::Client::builder()
            .base_url(LOCAL_BASE_URL)
            .credentials(self.credentials.clone())
            .local_transport(self.transport())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::FakeBackpack;

    #[tokio::test]
    async fn the_same_exchange_without_a_socket() {
        let local = FakeBackpack::builder().build_local().unwrap();
        let client = local.client_builder().build().unwrap();
        let balances = client.account().balances().await.unwrap();
        assert_eq!(balances.get("USDC").available.value(), 100_000.into());
        let markets = client.markets().list(None).await.unwrap();
        assert!(markets.iter().any(|m| m.symbol == "SOL_USDC"));
        // Signatures are still checked.
        let stranger = backpack_sdk::Client::builder()
            .base_url(super::LOCAL_BASE_URL)
            .credentials(backpack_sdk::Credentials::from_seed(&[9; 32]))
            .local_transport(local.transport())
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
