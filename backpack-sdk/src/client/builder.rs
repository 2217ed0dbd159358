//! Building a [`Client`]: from code or from the environment.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::time::Duration;

use super::clock::{Clock, SystemClock};
use super::retry::RetryPolicy;
use super::{Client, Inner, LocalTransport, Transport};
use crate::credentials::Credentials;
use crate::error::Error;
use crate::signing::Window;

/// Production REST endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.backpack.exchange";
/// Environment variable overriding the base URL.
pub const ENV_BASE_URL: &str = "BACKPACK_BASE_URL";
/// Default whole-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Configures a [`Client`]. Every part is injectable: base URL, credentials, clock, window,
/// retry policy, timeouts, and the `reqwest::Client` itself.
#[derive(Debug, Clone)]
#[must_use = "call .build() to get a client"]
pub struct ClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    window: Window,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    timeout: Duration,
    connect_timeout: Duration,
    http: Option<reqwest::Client>,
    local: Option<Arc<dyn LocalTransport>>,
    /// Whether requests the local handler declines go over the network.
    split: bool,
    auto_client_id: bool,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            credentials: None,
            window: Window::default(),
            clock: Arc::new(SystemClock),
            retry: RetryPolicy::default(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: Duration::from_secs(5),
            http: None,
            local: None,
            split: false,
            auto_client_id: true,
        }
    }
}

impl ClientBuilder {
    /// Defaults: production URL, no credentials, 5 s window, system clock, 3 retries for
    /// reads, 10 s timeout, automatic client ids on orders.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads [`ENV_BASE_URL`] and the credentials variables (see
    /// [`Credentials::from_env`]). Without credentials only public endpoints work.
    ///
    /// # Errors
    /// [`Error::Credentials`] for malformed or mismatching keys.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup`.
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let mut builder = Self::new();
        if let Some(url) = lookup(ENV_BASE_URL).filter(|url| !url.trim().is_empty()) {
            builder.base_url = url.trim().to_owned();
        }
        builder.credentials = Credentials::from_lookup(lookup)?;
        Ok(builder)
    }

    /// Base URL, e.g. a testkit fake server's.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Credentials for signed endpoints.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Signature validity window (default 5000 ms, max 60000 ms).
    pub fn window(mut self, window: Window) -> Self {
        self.window = window;
        self
    }

    /// Time source for `X-Timestamp`.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Retry policy.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Whole-request timeout (default 10 s). A write that times out is reported as an
    /// unknown outcome.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connection timeout (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Uses this `reqwest::Client` (its own timeouts then apply; [`timeout`](Self::timeout)
    /// and [`connect_timeout`](Self::connect_timeout) are ignored).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Sends every request to `transport`, a handler in this process (a simulator),
    /// instead of the network: requests are still built, signed, retried and decoded as for
    /// the exchange. The base URL then only names the endpoint. Timeouts do not apply.
    pub fn local_transport(mut self, transport: Arc<dyn LocalTransport>) -> Self {
        self.local = Some(transport);
        self.split = false;
        self
    }

    /// Requests the handler [`handles`](LocalTransport::handles) are answered in this
    /// process; the others go over the network to the base URL. Paper trading uses it:
    /// signed requests (account, orders) to the engine, public market data to the exchange.
    pub fn split_transport(mut self, transport: Arc<dyn LocalTransport>) -> Self {
        self.local = Some(transport);
        self.split = true;
        self
    }

    /// Whether orders without a client id get a random one (default `true`), so that an
    /// order whose outcome is unknown can always be found again.
    pub fn auto_client_id(mut self, enabled: bool) -> Self {
        self.auto_client_id = enabled;
        self
    }

    /// Builds the client.
    ///
    /// The base URL must be `https://host[:port]`; plain `http://` is accepted only for a
    /// loopback host (`127.0.0.0/8`, `::1`, `localhost`: a local simulator), so signed
    /// requests never cross a network unencrypted. The built-in HTTP client follows no
    /// redirects: a redirect would carry the signing headers to another address. (A client
    /// given with [`http_client`](Self::http_client) keeps its own redirect policy: build it
    /// with `redirect(reqwest::redirect::Policy::none())`.)
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a base URL that is not `https://host[:port]` (or
    /// `http://` on loopback), or when the HTTP client cannot be built.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        let parsed = url::Url::parse(&base_url)
            .map_err(|e| Error::InvalidRequest(format!("base URL `{base_url}`: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(Error::InvalidRequest(format!(
                "base URL `{base_url}` must be https://host[:port]"
            )));
        }
        // A local transport never touches the network: its base URL is only a label.
        if (self.local.is_none() || self.split)
            && parsed.scheme() == "http"
            && !is_loopback(&parsed)
        {
            return Err(Error::InvalidRequest(format!(
                "base URL `{base_url}` is plain http to a host that is not this machine: signed \
                 requests must use https:// (http:// is accepted only for 127.0.0.1, ::1 and localhost)"
            )));
        }
        let http = |given: Option<reqwest::Client>| -> Result<reqwest::Client, Error> {
            match given {
                Some(http) => Ok(http),
                None => reqwest::Client::builder()
                    .timeout(self.timeout)
                    .connect_timeout(self.connect_timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!("backpack-sdk/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| Error::InvalidRequest(format!("HTTP client: {e}"))),
            }
        };
        let transport = match (self.local, self.split) {
            (Some(local), true) => Transport::Split(local, http(self.http)?),
            (Some(local), false) => Transport::Local(local),
            (None, _) => Transport::Http(http(self.http)?),
        };
        let mut seed = [0u8; 8];
        // Seeds jitter and automatic client ids. If the OS has no randomness, fall back to
        // the clock: ids still differ between runs, and nothing panics.
        if getrandom::fill(&mut seed).is_err() {
            seed = self.clock.now_ms().to_le_bytes();
        }
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                base_url,
                credentials: self.credentials,
                window: self.window,
                clock: self.clock,
                clock_offset_ms: AtomicI64::new(0),
                retry: self.retry,
                timeout: self.timeout,
                auto_client_id: self.auto_client_id,
                random_state: AtomicU64::new(u64::from_le_bytes(seed)),
            }),
        })
    }
}

/// Whether the URL's host is this machine.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn build(url: &str) -> Result<Client, Error> {
        ClientBuilder::new().base_url(url).build()
    }

    #[test]
    fn plain_http_only_to_this_machine() {
        for ok in [
            "https://api.backpack.exchange",
            "http://127.0.0.1:9100",
            "http://127.8.0.1",
            "http://[::1]:80",
            "http://LOCALHOST:9100/",
        ] {
            assert!(build(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://api.backpack.exchange",
            "http://10.0.0.5:9100",
            "http://localhost.evil.example",
            "ftp://127.0.0.1",
        ] {
            let error = build(refused).unwrap_err().to_string();
            assert!(error.contains("https://"), "{refused}: {error}");
        }
        assert!(build("not a url").is_err());
    }
}
