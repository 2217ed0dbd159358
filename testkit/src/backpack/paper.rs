//! Paper trading on live prices (feature `backpack-sdk`): the simulator's books mirror a
//! real exchange's, fed from its REST snapshots and WebSocket depth and trades, and the
//! account's orders are matched in the engine against them. Nothing is ever sent to the
//! exchange: the paper client's signed requests (account, orders, history) are answered by
//! the engine, under a key made for the session; only public market data goes to the
//! exchange. No keys are needed.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use testkit::backpack::{PaperExchange, PaperSettings};
//! let source = backpack_sdk::Client::public()?; // https://api.backpack.exchange
//! let paper = PaperExchange::start(source, "wss://ws.backpack.exchange", PaperSettings::default()).await?;
//! let client = paper.client_builder().build()?;
//! // Market data from the exchange; this order is matched by the engine against the real book.
//! # Ok(()) }
//! ```
//!
//! What is simulated: fills (against the mirrored book at the moment the order arrives, or
//! when the real book reaches a resting order's price), fees, balances, margin and funding
//! (the simulator's model, not the exchange's). A paper fill does not consume the real
//! book: the next real update of a level sets it back to what the exchange holds.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use backpack_sdk::client::{ClientBuilder, LocalRequest, LocalResponse, LocalTransport};
use backpack_sdk::model::{Market, MarketType};
use backpack_sdk::ws::{
    BookChange, DepthInterval, Event, OrderBook, StreamItem, StreamName, Streams,
};
use rust_decimal::Decimal;

use super::{KeyPair, Simulator, StartError};
use crate::engine::{ExchangeConfig, MarketConfig, MarketId, Side, exact_units};

/// What to paper-trade.
#[derive(Debug, Clone)]
pub struct PaperSettings {
    /// Markets to mirror (default: SOL, BTC and ETH spot, SOL and BTC perpetuals).
    pub symbols: Vec<String>,
    /// Starting balances of the paper account.
    pub balances: Vec<(String, String)>,
}

impl Default for PaperSettings {
    fn default() -> Self {
        Self {
            symbols: [
                "SOL_USDC",
                "BTC_USDC",
                "ETH_USDC",
                "SOL_USDC_PERP",
                "BTC_USDC_PERP",
            ]
            .map(str::to_owned)
            .to_vec(),
            balances: vec![("USDC".to_owned(), "100000".to_owned())],
        }
    }
}

/// How each mirrored market is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaperMarketStatus {
    /// The market.
    pub symbol: String,
    /// Whether its book is in sync with the exchange (orders see no liquidity otherwise).
    pub synced: bool,
    /// Times it was rebuilt after losing sync.
    pub resyncs: u64,
    /// Why it last changed state.
    pub last_reason: Option<String>,
}

/// A running paper exchange. Stops feeding when dropped.
#[derive(Debug)]
pub struct PaperExchange {
    simulator: Simulator,
    source: backpack_sdk::Client,
    books: Vec<(String, OrderBook)>,
    trades: tokio::task::JoinHandle<()>,
    synced: Synced,
    _streams: Streams,
}

/// The markets whose mirrored book is in sync with the exchange now.
type Synced = Arc<Mutex<HashSet<String>>>;

/// Signed requests and writes to the engine; public reads to the exchange. An order on a
/// market whose book is not in sync is refused (it would meet no liquidity, or stale
/// prices) with the exchange's 400 shape, so the client knows it was never placed.
#[derive(Debug)]
struct PaperTransport {
    engine: Arc<dyn LocalTransport>,
    synced: Synced,
}

impl PaperTransport {
    /// The first market of an order request whose book is not in sync.
    fn unsynced_market(&self, request: &LocalRequest) -> Option<String> {
        if request.method != reqwest::Method::POST
            || !matches!(request.url.path(), "/api/v1/order" | "/api/v1/orders")
        {
            return None;
        }
        let body: serde_json::Value = serde_json::from_slice(request.body.as_deref()?).ok()?;
        let orders = match &body {
            serde_json::Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        let synced = self.synced.lock().unwrap_or_else(PoisonError::into_inner);
        orders
            .iter()
            .filter_map(|order| order.get("symbol")?.as_str())
            .find(|symbol| !synced.contains(*symbol))
            .map(str::to_owned)
    }
}

impl LocalTransport for PaperTransport {
    fn send(&self, request: LocalRequest) -> LocalResponse {
        if let Some(symbol) = self.unsynced_market(&request) {
            let body = serde_json::json!({
                "code": "INVALID_ORDER",
                "message": format!(
                    "paper trading: the {symbol} book is not in sync with the exchange yet, \
                     so there is nothing to match against; the order was not placed, try again \
                     in a moment"
                ),
            });
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(
                reqwest::header::CONTENT_TYPE,
                reqwest::header::HeaderValue::from_static("application/json"),
            );
            return LocalResponse {
                status: 400,
                headers,
                body: body.to_string().into(),
            };
        }
        self.engine.send(request)
    }

    fn handles(&self, request: &LocalRequest) -> bool {
        request.method != reqwest::Method::GET || request.headers.contains_key("x-signature")
    }
}

fn market_config(market: &Market, reference: Decimal) -> MarketConfig {
    let tick = market.filters.price.tick_size.value();
    let step = market.filters.quantity.step_size.value();
    // A tick of zero is refused by the engine's configuration check; never divide by it.
    let reference = reference
        .checked_div(tick)
        .map_or(reference, |ticks| ticks.round() * tick);
    let mut config = match market.market_type {
        MarketType::Perp => MarketConfig::perp(
            market.base_symbol.as_str(),
            market.quote_symbol.as_str(),
            tick,
            step,
            reference,
        ),
        _ => MarketConfig::spot(
            market.base_symbol.as_str(),
            market.quote_symbol.as_str(),
            tick,
            step,
            reference,
        ),
    };
    config.symbol = market.symbol.as_str().to_owned();
    config.min_quantity = market.filters.quantity.min_quantity.value();
    config.max_quantity = market.filters.quantity.max_quantity.map(|q| q.value());
    config.volatility_bps = 0;
    config.maker = None;
    config
}

impl PaperExchange {
    /// Reads the markets from `source` (the exchange's REST API, or a fake), builds a
    /// simulator with them, and starts mirroring their books and trades from `ws_url`.
    ///
    /// # Errors
    /// [`StartError`] if the markets cannot be read, a symbol is unknown, or the streams
    /// cannot be set up.
    pub async fn start(
        source: backpack_sdk::Client,
        ws_url: &str,
        settings: PaperSettings,
    ) -> Result<Self, StartError> {
        let markets = source.markets().list(None).await.map_err(|e| {
            StartError(format!(
                "reading the markets from {}: {e}",
                source.base_url()
            ))
        })?;
        let mut configs = Vec::new();
        for symbol in &settings.symbols {
            let market = markets
                .iter()
                .find(|m| m.symbol.as_str() == symbol)
                .ok_or_else(|| {
                    StartError(format!("{symbol} is not a market of {}", source.base_url()))
                })?;
            let ticker = source
                .markets()
                .ticker(symbol.as_str(), None)
                .await
                .map_err(|e| StartError(format!("reading the {symbol} ticker: {e}")))?;
            configs.push(market_config(market, ticker.last_price.value()));
        }
        let keys = session_keys();
        let simulator = Simulator::builder()
            .exchange(ExchangeConfig {
                markets: configs,
                ..ExchangeConfig::default()
            })
            .keys(keys)
            .balances(
                settings
                    .balances
                    .iter()
                    .map(|(a, d)| (a.as_str(), d.as_str())),
            )
            .build()?;
        let streams = source
            .streams()
            .url(ws_url)
            .build()
            .map_err(|e| StartError(format!("streams from {ws_url}: {e}")))?;
        let mut books = Vec::new();
        let synced = Synced::default();
        for symbol in &settings.symbols {
            let mirror = Mirror::new(&simulator, symbol, Arc::clone(&synced))?;
            let book = OrderBook::start_observed(
                &streams,
                &source,
                symbol.as_str(),
                DepthInterval::Realtime,
                move |change| mirror.apply(change),
            )
            .map_err(|e| StartError(format!("{symbol} depth stream: {e}")))?;
            books.push((symbol.clone(), book));
        }
        let trades = streams
            .subscribe(settings.symbols.iter().map(StreamName::trades))
            .map_err(|e| StartError(format!("trade streams: {e}")))?;
        let trades = tokio::spawn(record_trades(simulator.clone(), trades));
        Ok(Self {
            simulator,
            source,
            books,
            trades,
            synced,
            _streams: streams,
        })
    }

    /// A client for the paper account: its signed calls go to the engine, public market
    /// data to the exchange.
    pub fn client_builder(&self) -> ClientBuilder {
        backpack_sdk::Client::builder()
            .base_url(self.source.base_url())
            .credentials(self.simulator.credentials())
            .split_transport(Arc::new(PaperTransport {
                engine: self.simulator.transport(),
                synced: Arc::clone(&self.synced),
            }))
    }

    /// The simulator behind the paper account.
    pub fn simulator(&self) -> &Simulator {
        &self.simulator
    }

    /// Each mirrored market's state.
    pub fn status(&self) -> Vec<PaperMarketStatus> {
        self.books
            .iter()
            .map(|(symbol, book)| {
                let status = book.status();
                PaperMarketStatus {
                    symbol: symbol.clone(),
                    synced: status.synced,
                    resyncs: status.resyncs,
                    last_reason: status.last_reason,
                }
            })
            .collect()
    }

    /// Waits until every book is in sync, at most `timeout`; returns whether they are.
    pub async fn wait_synced(&mut self, timeout: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        for (_, book) in &mut self.books {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if !book.wait_synced(left).await {
                return false;
            }
        }
        true
    }
}

impl Drop for PaperExchange {
    fn drop(&mut self) {
        self.trades.abort();
    }
}

/// A key made for this session: the paper account is reachable only from this process.
fn session_keys() -> KeyPair {
    use rand_core::{Rng, SeedableRng};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(
        (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32),
    );
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    KeyPair::from_seed(&seed)
}

/// Mirrors one market's kept book into the engine.
struct Mirror {
    simulator: Simulator,
    symbol: String,
    market: MarketId,
    tick: Decimal,
    step: Decimal,
    synced: Synced,
}

impl Mirror {
    fn new(simulator: &Simulator, symbol: &str, synced: Synced) -> Result<Self, StartError> {
        simulator.with_exchange(|ex| {
            let market = ex
                .market_id(symbol)
                .ok_or_else(|| StartError(format!("{symbol} missing from the paper exchange")))?;
            let config = ex
                .market_config(market)
                .ok_or_else(|| StartError(format!("{symbol} has no configuration")))?;
            Ok(Self {
                simulator: simulator.clone(),
                symbol: symbol.to_owned(),
                market,
                tick: config.tick_size,
                step: config.step_size,
                synced,
            })
        })
    }

    fn apply(&self, change: BookChange<'_>) {
        let now_synced = matches!(change, BookChange::Synced(_) | BookChange::Applied { .. });
        let mut synced = self.synced.lock().unwrap_or_else(PoisonError::into_inner);
        if !now_synced {
            synced.remove(&self.symbol);
        } else if !synced.contains(&self.symbol) {
            synced.insert(self.symbol.clone());
        }
        drop(synced);
        self.simulator.with_exchange(|ex| match change {
            BookChange::Synced(book) => {
                ex.clear_external_levels(self.market);
                for (side, levels) in [
                    (Side::Bid, book.bids(usize::MAX)),
                    (Side::Ask, book.asks(usize::MAX)),
                ] {
                    for level in levels {
                        self.set(ex, side, level.price().value(), level.quantity().value());
                    }
                }
                self.reference(ex, book);
            }
            BookChange::Applied { delta, book } => {
                for (side, levels) in [(Side::Bid, &delta.bids), (Side::Ask, &delta.asks)] {
                    for level in levels {
                        self.set(ex, side, level.price().value(), level.quantity().value());
                    }
                }
                self.reference(ex, book);
            }
            // No stale prices: without a synced book there is nothing to trade against.
            BookChange::Lost => ex.clear_external_levels(self.market),
            _ => {}
        });
    }

    fn set(&self, ex: &mut crate::engine::Exchange, side: Side, price: Decimal, quantity: Decimal) {
        let (Some(ticks), Some(steps)) = (
            exact_units(price, self.tick),
            exact_units(quantity, self.step),
        ) else {
            // Off the market's grid: the exchange would not hold such a level.
            return;
        };
        let _ = ex.set_external_level(self.market, side, ticks, steps);
    }

    fn reference(&self, ex: &mut crate::engine::Exchange, book: &backpack_sdk::ws::LocalBook) {
        if let (Some(bid), Some(ask)) = (book.best_bid(), book.best_ask()) {
            let mid = (bid.price().value() + ask.price().value()) / Decimal::TWO;
            let floored = mid.checked_div(self.tick).map(|t| t.floor() * self.tick);
            if let Some(ticks) = floored.and_then(|price| exact_units(price, self.tick)) {
                ex.set_reference_price(self.market, ticks);
            }
        }
    }
}

/// Records the exchange's trades in the engine (last price, trade history, triggers).
async fn record_trades(simulator: Simulator, mut trades: backpack_sdk::ws::Subscription) {
    while let Some(item) = trades.next().await {
        let StreamItem::Event {
            event: Event::Trade(trade),
            ..
        } = item
        else {
            continue;
        };
        simulator.with_exchange(|ex| {
            let Some(market) = ex.market_id(trade.symbol.as_str()) else {
                return;
            };
            let Some(config) = ex.market_config(market) else {
                return;
            };
            let (Some(price), Some(steps)) = (
                exact_units(trade.price.value(), config.tick_size),
                exact_units(trade.quantity.value(), config.step_size),
            ) else {
                return;
            };
            let at = u64::try_from(trade.event_time.as_millis()).unwrap_or(0);
            ex.record_external_trade(
                market,
                trade.trade_id,
                price,
                steps,
                trade.buyer_is_maker,
                at,
            );
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use backpack_sdk::model::Side;
    use backpack_sdk::spec::OrderSpec;

    use super::*;

    #[tokio::test]
    async fn an_order_on_a_book_out_of_sync_is_refused_before_the_engine_sees_it() {
        let simulator = Simulator::builder().build().unwrap();
        let synced = Synced::default();
        let client = backpack_sdk::Client::builder()
            .base_url("http://127.0.0.1:9")
            .credentials(simulator.credentials())
            .split_transport(Arc::new(PaperTransport {
                engine: simulator.transport(),
                synced: Arc::clone(&synced),
            }))
            .build()
            .unwrap();
        let order = OrderSpec::market("SOL_USDC", Side::Bid, "1".parse().unwrap())
            .build()
            .unwrap();
        let error = client.orders().place(&order).await.unwrap_err();
        assert_eq!(error.outcome(), backpack_sdk::Outcome::Rejected, "{error}");
        assert!(error.to_string().contains("not in sync"), "{error}");
        assert!(simulator.order_history(simulator.account()).is_empty());

        synced.lock().unwrap().insert("SOL_USDC".into());
        client.orders().place(&order).await.unwrap();
        // Reads signed by the paper key are the engine's too, never the network's.
        client.account().balances().await.unwrap();
    }
}
