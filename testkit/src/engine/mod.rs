//! The venue-neutral matching engine: order books with price-time priority, accounts with
//! balances and perp positions, fees, conditional orders, funding, and a simulated market
//! that moves. It knows no venue's wire format: a refusal is a [`RejectKind`] and a message,
//! and each venue simulator gives it its own clothes.
//!
//! The engine is synchronous and has no hidden clock: time moves only through
//! [`Exchange::advance_to`], and randomness comes from the configured seed, so the same
//! seed and the same calls give the same results. Each market walks on its own random stream,
//! so its price path depends only on the seed and the number of steps taken, not on how time
//! was advanced (one long advance or many short ones give the same prices). The Backpack
//! simulator ([`crate::backpack`]) puts the exchange's REST semantics over it.
//!
//! Orders go in in engine units ([`NewOrder`] with prices in ticks and sizes in steps), for
//! speed and for property tests.
//!
//! Simplifications, on purpose: no liquidations (losses beyond the balance are borrowed),
//! margin is checked per order against the free quote balance, and histories are capped
//! (see [`ExchangeConfig::history_limit`]).
//!
//! ```
//! use testkit::engine::{Exchange, ExchangeConfig, NewOrder, Side};
//! use rust_decimal::Decimal;
//!
//! let mut exchange = Exchange::new(ExchangeConfig::default()).unwrap();
//! let alice = exchange.add_account("alice-key", &[("USDC", Decimal::from(10_000))]).unwrap();
//! let sol = exchange.market_id("SOL_USDC").unwrap();
//! // Buy 1 SOL (100 steps of 0.01) at 150.00 (15000 ticks of 0.01): rests below the market.
//! let id = exchange.submit(alice, NewOrder::limit(sol, Side::Bid, 15_000, 100)).unwrap();
//! assert!(exchange.order(id).unwrap().is_open());
//! ```

mod account;
mod book;
mod conditional;
// Streamed only by the WebSocket server (feature `streams`).
#[cfg_attr(not(feature = "streams"), allow(dead_code))]
mod events;
mod external;
mod invariants;
mod market;
mod matching;
mod order;
mod sim;
mod types;

use std::collections::VecDeque;

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

pub use account::{AssetBalance, Position};
pub use external::FEED_KEY;
pub use market::{MakerConfig, MarketConfig, MarketKind};
pub use order::{Exit, Exits, Kind, NewOrder, Size, Trigger};
pub use types::{
    AccountId, AssetId, Expiry, MarketId, OrderId, Reject, RejectKind, Side, Status, Stp,
    TimeInForce, TriggerSize, TriggerSource,
};

pub(crate) use account::{Account, FillRecord, FundingRecord};
#[cfg(feature = "streams")]
pub(crate) use events::{EngineEvent, OrderChange};
pub(crate) use market::{MarketState, TradeRecord, exact_units, floor_units};
pub(crate) use order::OrderRecord;

/// How the exchange is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeConfig {
    /// Markets, in order ([`MarketId`] is the index).
    pub markets: Vec<MarketConfig>,
    /// Seed of the simulated price walk.
    pub seed: u64,
    /// Start time, milliseconds since the epoch.
    pub start_ms: u64,
    /// Simulated time between two price moves.
    pub step_ms: u64,
    /// Time between perp funding payments.
    pub funding_interval_ms: u64,
    /// How many finished orders, fills and funding payments each account keeps.
    pub history_limit: usize,
}

impl Default for ExchangeConfig {
    /// The default markets with simulated liquidity, seed 42, starting 2025-01-01.
    fn default() -> Self {
        Self {
            markets: MarketConfig::defaults(),
            seed: 42,
            start_ms: 1_735_689_600_000,
            step_ms: 1_000,
            funding_interval_ms: 3_600_000,
            history_limit: 10_000,
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid exchange configuration: {0}")]
pub struct ConfigError(String);

/// Name of the simulated market maker's account.
pub const MARKET_MAKER_KEY: &str = "testkit-market-maker";

/// The matching engine: every market, account and order of one simulated venue.
#[derive(Debug)]
pub struct Exchange {
    pub(crate) config: ExchangeConfig,
    pub(crate) now_ms: u64,
    last_step_ms: u64,
    pub(crate) assets: Vec<String>,
    asset_index: FxHashMap<String, AssetId>,
    pub(crate) markets: Vec<MarketState>,
    pub(crate) market_index: FxHashMap<String, MarketId>,
    pub(crate) accounts: Vec<Account>,
    account_index: FxHashMap<String, AccountId>,
    pub(crate) orders: FxHashMap<OrderId, OrderRecord>,
    next_order_id: u64,
    next_trade_id: u64,
    /// Fees collected (and funding rounding), per asset.
    fees: Vec<Decimal>,
    /// Everything deposited, per asset: what the books must always add up to.
    deposited: Vec<Decimal>,
    maker: Option<AccountId>,
    maker_orders: Vec<Vec<OrderId>>,
    /// Recorded events, when a venue streams them.
    events: Option<events::EventLog>,
    /// The paper feed's account and mirrored levels.
    feed_id: Option<AccountId>,
    feed: external::Feed,
}

impl Exchange {
    /// An exchange with `config`'s markets. Markets with a [`MakerConfig`] start with
    /// resting liquidity from the simulated market maker.
    ///
    /// # Errors
    /// [`ConfigError`] for a market whose sizes are not positive or whose reference price
    /// is not on its tick grid, or for duplicate symbols.
    pub fn new(config: ExchangeConfig) -> Result<Self, ConfigError> {
        let mut exchange = Self {
            now_ms: config.start_ms,
            last_step_ms: config.start_ms,
            assets: Vec::new(),
            asset_index: FxHashMap::default(),
            markets: Vec::new(),
            market_index: FxHashMap::default(),
            accounts: Vec::new(),
            account_index: FxHashMap::default(),
            orders: FxHashMap::default(),
            next_order_id: 4_200_000_001,
            next_trade_id: 1_000_001,
            fees: Vec::new(),
            deposited: Vec::new(),
            maker: None,
            maker_orders: Vec::new(),
            events: None,
            feed_id: None,
            feed: external::Feed::default(),
            config,
        };
        for market in exchange.config.markets.clone() {
            exchange.add_market(market)?;
        }
        if exchange.markets.iter().any(|m| m.config.maker.is_some()) {
            exchange.start_market_maker();
        }
        Ok(exchange)
    }

    fn asset(&mut self, name: &str) -> AssetId {
        if let Some(id) = self.asset_index.get(name) {
            return *id;
        }
        let id = AssetId(u16::try_from(self.assets.len()).unwrap_or(u16::MAX));
        self.assets.push(name.to_owned());
        self.asset_index.insert(name.to_owned(), id);
        self.fees.push(Decimal::ZERO);
        self.deposited.push(Decimal::ZERO);
        for account in &mut self.accounts {
            account.balances.push(AssetBalance::default());
        }
        id
    }

    fn add_market(&mut self, config: MarketConfig) -> Result<MarketId, ConfigError> {
        let positive = [config.tick_size, config.step_size, config.min_quantity];
        if positive.iter().any(|value| *value <= Decimal::ZERO) {
            return Err(ConfigError(format!(
                "{}: tick size, step size and minimum quantity must be positive",
                config.symbol
            )));
        }
        if self.market_index.contains_key(&config.symbol) {
            return Err(ConfigError(format!("duplicate market {}", config.symbol)));
        }
        let reference = exact_units(config.reference_price, config.tick_size)
            .filter(|ticks| *ticks > 0)
            .ok_or_else(|| {
                ConfigError(format!(
                    "{}: reference price {} is not a positive multiple of the tick size {}",
                    config.symbol, config.reference_price, config.tick_size
                ))
            })?;
        let base = self.asset(&config.base.clone());
        let quote = self.asset(&config.quote.clone());
        let id = MarketId(u16::try_from(self.markets.len()).unwrap_or(u16::MAX));
        self.market_index.insert(config.symbol.clone(), id);
        self.markets.push(MarketState {
            id,
            config,
            base,
            quote,
            book: book::Book::default(),
            reference,
            last: None,
            trades: VecDeque::new(),
            pending_triggers: Vec::new(),
            funding_rate: Decimal::new(125, 7),
            next_funding_ms: self.now_ms + self.config.funding_interval_ms,
            funding_history: VecDeque::new(),
            walk: Self::walk_rng(self.config.seed, id),
        });
        self.maker_orders.push(Vec::new());
        Ok(id)
    }

    /// Adds an account identified by `api_key` (for the fake server: the base64 public key)
    /// with starting balances. Unknown assets are added.
    ///
    /// # Errors
    /// [`ConfigError`] if the key is taken or a balance is negative.
    pub fn add_account(
        &mut self,
        api_key: &str,
        balances: &[(&str, Decimal)],
    ) -> Result<AccountId, ConfigError> {
        if self.account_index.contains_key(api_key) {
            return Err(ConfigError(format!("account key {api_key} already exists")));
        }
        let id = AccountId(u32::try_from(self.accounts.len()).unwrap_or(u32::MAX));
        self.accounts.push(Account::new(self.assets.len()));
        self.account_index.insert(api_key.to_owned(), id);
        for (asset, amount) in balances {
            self.deposit(id, asset, *amount, Decimal::ZERO)?;
        }
        Ok(id)
    }

    /// Adds to an account's available (and lent) balance of `asset`.
    ///
    /// # Errors
    /// [`ConfigError`] for an unknown account or a negative amount.
    pub fn deposit(
        &mut self,
        account: AccountId,
        asset: &str,
        available: Decimal,
        lent: Decimal,
    ) -> Result<(), ConfigError> {
        if available < Decimal::ZERO || lent < Decimal::ZERO {
            return Err(ConfigError(format!("negative balance for {asset}")));
        }
        let asset = self.asset(asset);
        let account = self
            .accounts
            .get_mut(account.0 as usize)
            .ok_or_else(|| ConfigError(format!("no account {}", account.0)))?;
        account.deposit(asset, available, lent);
        self.deposited[usize::from(asset.0)] += available;
        Ok(())
    }

    /// The account with `api_key`.
    pub fn account_id(&self, api_key: &str) -> Option<AccountId> {
        self.account_index.get(api_key).copied()
    }

    /// The simulated market maker's account, if any market has one.
    pub fn market_maker(&self) -> Option<AccountId> {
        self.maker
    }

    /// The market named `symbol`.
    pub fn market_id(&self, symbol: &str) -> Option<MarketId> {
        self.market_index.get(symbol).copied()
    }

    /// A market's configuration.
    pub fn market_config(&self, market: MarketId) -> Option<&MarketConfig> {
        self.markets.get(usize::from(market.0)).map(|m| &m.config)
    }

    /// Current simulated time, ms.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// Balance of `asset` (`None` for an unknown account or asset).
    pub fn balance(&self, account: AccountId, asset: &str) -> Option<AssetBalance> {
        let asset = *self.asset_index.get(asset)?;
        Some(self.accounts.get(account.0 as usize)?.balance(asset))
    }

    /// Perp position of an account on a market (zero when flat).
    pub fn position(&self, account: AccountId, market: MarketId) -> Position {
        self.accounts
            .get(account.0 as usize)
            .and_then(|a| a.positions.get(&market).copied())
            .unwrap_or_default()
    }

    /// Status of an open or recently finished order.
    pub fn order(&self, id: OrderId) -> Option<Status> {
        if let Some(record) = self.orders.get(&id) {
            return Some(record.status);
        }
        self.accounts
            .iter()
            .flat_map(|account| account.finished.iter())
            .find(|record| record.id == id)
            .map(|record| record.status)
    }

    /// Best bid and best ask of a market, as prices.
    pub fn top_of_book(&self, market: MarketId) -> (Option<Decimal>, Option<Decimal>) {
        match self.markets.get(usize::from(market.0)) {
            Some(state) => {
                let (bid, ask) = state.book.top();
                (bid.map(|t| state.price(t)), ask.map(|t| state.price(t)))
            }
            None => (None, None),
        }
    }

    /// The reference (mark and index) price of a market.
    pub fn reference_price(&self, market: MarketId) -> Option<Decimal> {
        let state = self.markets.get(usize::from(market.0))?;
        Some(state.price(state.reference))
    }

    /// Number of orders resting in a market's book.
    pub fn resting_orders(&self, market: MarketId) -> usize {
        self.markets
            .get(usize::from(market.0))
            .map_or(0, |m| m.book.len())
    }

    /// Names of every asset, in the order they were added.
    pub fn asset_names(&self) -> &[String] {
        &self.assets
    }

    /// The name of an asset (empty for an unknown one).
    pub fn asset_name(&self, asset: AssetId) -> &str {
        self.assets
            .get(usize::from(asset.0))
            .map_or("", String::as_str)
    }

    /// Value of one unit of `asset` in USDC: 1 for USDC, else the reference price of
    /// `ASSET_USDC` (spot) or `ASSET_USDC_PERP`, else zero.
    pub fn usd_price(&self, asset: AssetId) -> Decimal {
        let name = self.asset_name(asset);
        if name == "USDC" {
            return Decimal::ONE;
        }
        [format!("{name}_USDC"), format!("{name}_USDC_PERP")]
            .iter()
            .find_map(|symbol| self.market_index.get(symbol))
            .map_or(Decimal::ZERO, |id| {
                let market = &self.markets[usize::from(id.0)];
                market.price(market.reference)
            })
    }

    /// An order of `account`, open or finished (recent ones are found first).
    pub(crate) fn record(&self, account: AccountId, id: OrderId) -> Option<&OrderRecord> {
        self.orders.get(&id).or_else(|| {
            self.accounts
                .get(account.0 as usize)?
                .finished
                .iter()
                .rev()
                .find(|r| r.id == id)
        })
    }

    /// The market an order is on.
    pub(crate) fn market_of(&self, record: &OrderRecord) -> &MarketState {
        &self.markets[usize::from(record.order.market.0)]
    }

    fn next_order_id(&mut self) -> OrderId {
        let id = OrderId(self.next_order_id);
        self.next_order_id += 1;
        id
    }
}

#[cfg(test)]
mod tests;
