//! What the server may do, decided at start from the environment and the command line,
//! never by a tool call.
//!
//! Each venue runs on the built-in simulator unless it is configured: Backpack when
//! `BACKPACK_API_SECRET` is set, IBKR when `IBKR_GATEWAY_HOST` or `IBKR_GATEWAY_PORT` is.
//! Each venue has three tiers: `market` (quotes, no keys), `account` (balances, orders,
//! positions) and `trading` (preview, place, cancel). A tier that is off is not registered.
//! The simulators have all three; a real venue has `market,account` unless
//! `TRADING_MCP_<VENUE>_TIERS` says otherwise, and trading on a real venue needs a per-order
//! notional cap.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `TRADING_MCP_BACKPACK_TIERS`, `TRADING_MCP_IBKR_TIERS` | `market,account,trading` or a subset; `none` turns the venue off | all on a simulator; `market,account` on a real venue |
//! | `TRADING_MCP_<VENUE>_MAX_ORDER_NOTIONAL` | largest order value (quote currency) | none (required to trade on a real venue) |
//! | `TRADING_MCP_<VENUE>_MAX_DAILY_NOTIONAL` | largest value ordered in any rolling 24 hours | none |
//! | `TRADING_MCP_<VENUE>_ALLOWED_SYMBOLS` | symbols that may be traded (and cancelled), comma separated | all |
//! | `TRADING_MCP_<VENUE>_CAP_CURRENCY` | the currency of the caps | `USDC` (Backpack), `USD` (IBKR) |
//! | `TRADING_MCP_<VENUE>_FX_RATES` | rates into the cap currency for orders in other currencies, `EUR=1.08,GBP=1.27` | none: such orders are refused while capped |
//! | `TRADING_MCP_CONFIRM`, `TRADING_MCP_<VENUE>_CONFIRM` | `ask`: the person is asked through the client (a client that cannot ask is refused); `token`: the preview's token alone confirms | `ask` on paper and live venues, `token` on the simulators |
//! | `TRADING_MCP_CONFIRM_TIMEOUT_SECS` | how long the server waits for the person's answer | 120 |
//! | `ORDERS_ENABLED` | `false` refuses every new order on both venues (previews and cancels still work) | `true` |
//! | `BACKPACK_LIVE_ACK_FILE` | live Backpack trading needs this file, containing exactly the sentence of `IBKR_LIVE_ACK_FILE` | none |
//! | `TRADING_MCP_JOURNAL` | the SQLite journal every process shares (a `.jsonl` journal of an earlier version is imported into `journal.db` beside it) | `$XDG_STATE_HOME/trading-mcp/journal.db` |
//! | `TRADING_MCP_KILL_SWITCH` | while this file exists (or cannot be checked), no new order is sent; cancels still work | `$XDG_STATE_HOME/trading-mcp/KILL` |
//! | `TRADING_MCP_CONFIRM_TTL_SECS` | how long a preview's confirmation token lives | 120 |
//! | `TRADING_MCP_MAX_ITEMS` | most items a list returns | 50 |
//! | `TRADING_MCP_SIMULATOR_SPEED` | simulated seconds per real second in the Backpack simulator | 1 |
//! | `TRADING_MCP_SIMULATOR_SEED` | the seed of the simulators' prices (Backpack's market, the IBKR gateway's walk) | 42 |
//! | `TRADING_MCP_HTTP_TOKEN` | bearer token HTTP clients must send | none (required for HTTP) |
//! | `TRADING_MCP_OBSERVE` | `false`: no per-call events or call metrics (the journal is kept either way) | `true` |

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use trading_core::clock::SharedClock;

/// A venue the server serves.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Venue {
    /// Backpack Exchange.
    Backpack,
    /// Interactive Brokers.
    Ibkr,
}

impl Venue {
    /// `backpack` or `ibkr`.
    pub fn as_str(self) -> &'static str {
        match self {
            Venue::Backpack => "backpack",
            Venue::Ibkr => "ibkr",
        }
    }

    /// The currency the caps are in unless configured.
    pub fn default_cap_currency(self) -> &'static str {
        match self {
            Venue::Backpack => "USDC",
            Venue::Ibkr => "USD",
        }
    }

    fn env_prefix(self) -> &'static str {
        match self {
            Venue::Backpack => "TRADING_MCP_BACKPACK",
            Venue::Ibkr => "TRADING_MCP_IBKR",
        }
    }
}

/// Where a venue's orders go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The built-in simulator: nothing leaves this process.
    Simulated,
    /// A paper account (IBKR).
    Paper,
    /// Backpack paper trading: the exchange's live prices, orders matched in this process.
    #[serde(rename = "paper, live prices")]
    PaperLivePrices,
    /// Real money.
    Live,
}

impl Mode {
    /// `simulated`, `paper` or `live`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Simulated => "simulated",
            Mode::Paper => "paper",
            Mode::PaperLivePrices => "paper, live prices",
            Mode::Live => "live",
        }
    }

    /// Whether orders stay in this process (simulated, or paper on live prices): no venue
    /// ever receives one, so the real-venue rules (caps required, the person asked) do not
    /// apply by default.
    pub fn is_local(self) -> bool {
        matches!(self, Mode::Simulated | Mode::PaperLivePrices)
    }
}

/// The tool groups of a venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, schemars::JsonSchema)]
pub struct Tiers {
    /// Quotes, markets, bars: no account needed.
    pub market: bool,
    /// Balances, positions, orders, history.
    pub account: bool,
    /// Preview, place and cancel orders.
    pub trading: bool,
}

impl Tiers {
    /// Every tier.
    pub const ALL: Tiers = Tiers {
        market: true,
        account: true,
        trading: true,
    };

    /// Reading only.
    pub const READ: Tiers = Tiers {
        market: true,
        account: true,
        trading: false,
    };

    /// Whether any tier is on.
    pub fn any(self) -> bool {
        self.market || self.account || self.trading
    }

    fn parse(text: &str) -> Result<Tiers, String> {
        let mut tiers = Tiers::default();
        for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word.to_ascii_lowercase().as_str() {
                "market" => tiers.market = true,
                "account" => tiers.account = true,
                "trading" => tiers.trading = true,
                "none" => {}
                other => {
                    return Err(format!(
                        "`{other}` is not a tier; use market, account, trading or none"
                    ));
                }
            }
        }
        Ok(tiers)
    }
}

/// Limits the server enforces on orders, whatever the conversation says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caps {
    /// Largest exposure of one order (the most it can execute for), in `currency`.
    pub max_order_notional: Option<Decimal>,
    /// Largest exposure ordered in any rolling 24 hours.
    pub max_daily_notional: Option<Decimal>,
    /// Symbols that may be traded (upper case); absent: all.
    pub allowed_symbols: Option<BTreeSet<String>>,
    /// The currency of the caps.
    pub currency: String,
    /// Value of one unit of another currency in `currency` (upper-case codes).
    pub fx_rates: BTreeMap<String, Decimal>,
}

impl Caps {
    /// No limits, in `currency`.
    pub fn unlimited(currency: &str) -> Self {
        Self {
            max_order_notional: None,
            max_daily_notional: None,
            allowed_symbols: None,
            currency: currency.to_owned(),
            fx_rates: BTreeMap::new(),
        }
    }

    /// Whether a notional cap is set.
    pub fn capped(&self) -> bool {
        self.max_order_notional.is_some() || self.max_daily_notional.is_some()
    }
}

/// Who confirms an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConfirmPolicy {
    /// The server asks the person through the client; a client that cannot ask is refused.
    Ask,
    /// The preview's single-use token confirms (the assistant relays the person's yes).
    Token,
}

impl ConfirmPolicy {
    fn parse(name: &str, text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "ask" => Ok(ConfirmPolicy::Ask),
            "token" => Ok(ConfirmPolicy::Token),
            _ => Err(format!("{name}={text:?} is not `ask` or `token`")),
        }
    }
}

/// Where Backpack's calls go. The exchange has no paper accounts: a connection to it is
/// live, so "live" without a connection cannot be written down.
#[derive(Debug, Clone, Default)]
pub enum BackpackConnection {
    /// The built-in simulator.
    #[default]
    Simulated,
    /// Paper trading on the exchange's live prices: market data from it, orders matched
    /// in this process, no keys.
    Paper(Box<PaperSource>),
    /// The exchange, real money: the client that reaches it (keys, base URL).
    Exchange(Box<backpack_sdk::ClientBuilder>),
}

/// Where paper trading reads its prices, and what it trades.
#[derive(Debug, Clone)]
pub struct PaperSource {
    /// A client for the exchange's public REST API (no keys).
    pub rest: backpack_sdk::ClientBuilder,
    /// The exchange's WebSocket URL.
    pub ws_url: String,
    /// Markets and starting balances.
    pub settings: testkit::backpack::PaperSettings,
}

impl BackpackConnection {
    /// `Simulated`, `PaperLivePrices` or `Live`.
    pub fn mode(&self) -> Mode {
        match self {
            BackpackConnection::Simulated => Mode::Simulated,
            BackpackConnection::Paper(_) => Mode::PaperLivePrices,
            BackpackConnection::Exchange(_) => Mode::Live,
        }
    }
}

/// Where IBKR's calls go: the mode of a gateway is the one its configuration names (and
/// the SDK checks against the account), so it cannot disagree with the connection.
#[derive(Debug, Clone, Default)]
pub enum IbkrConnection {
    /// The built-in fake gateway.
    #[default]
    Simulated,
    /// A TWS / IB Gateway.
    Gateway(ibkr_sdk::Config),
}

impl IbkrConnection {
    /// `Simulated`, `Paper` or `Live`.
    pub fn mode(&self) -> Mode {
        match self {
            IbkrConnection::Simulated => Mode::Simulated,
            IbkrConnection::Gateway(config) => match config.trading_mode {
                ibkr_sdk::TradingMode::Paper => Mode::Paper,
                ibkr_sdk::TradingMode::Live => Mode::Live,
            },
        }
    }
}

/// One venue's policy: what may be called and how orders are limited and confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueConfig {
    /// Tool groups.
    pub tiers: Tiers,
    /// Order limits.
    pub caps: Caps,
    /// Who confirms orders.
    pub confirm: ConfirmPolicy,
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Backpack.
    pub backpack: VenueConfig,
    /// Interactive Brokers.
    pub ibkr: VenueConfig,
    /// Where Backpack's calls go (its mode follows from it).
    pub backpack_connection: BackpackConnection,
    /// Where IBKR's calls go (its mode follows from it).
    pub ibkr_connection: IbkrConnection,
    /// Where "now" comes from: token and question expiries, the caps' 24-hour window, the
    /// journal's time stamps (the system clock; tests inject one).
    pub clock: SharedClock,
    /// The journal file (`None`: no private state folder could be found; trading refuses).
    pub journal_path: Option<PathBuf>,
    /// The kill-switch file (`None`: as for the journal; the switch counts as engaged).
    pub kill_switch_path: Option<PathBuf>,
    /// How long a confirmation token lives.
    pub confirm_ttl: Duration,
    /// How long the server waits for the person's answer.
    pub confirm_timeout: Duration,
    /// `ORDERS_ENABLED`: `false` refuses every new order.
    pub orders_enabled: bool,
    /// Most items a list returns.
    pub max_items: usize,
    /// Simulated milliseconds per real one in the Backpack simulator.
    pub simulator_speed: u64,
    /// The seed of the simulators' markets (Backpack's price path, the IBKR gateway's walk).
    pub simulator_seed: u64,
    /// `TRADING_MCP_OBSERVE`: one event and the metrics per tool call.
    pub observe_calls: bool,
}

/// `BACKPACK_MODE` (`simulated`, `paper` or `live`; by default live when keys are set,
/// simulated otherwise) and what it needs.
fn backpack_connection(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<BackpackConnection, String> {
    let set = |name: &str| lookup(name).is_some_and(|v| !v.trim().is_empty());
    let keys = set("BACKPACK_API_SECRET") || set("BACKPACK_PRIVATE_KEY");
    let mode = lookup("BACKPACK_MODE")
        .map(|m| m.trim().to_ascii_lowercase())
        .filter(|m| !m.is_empty());
    match (mode.as_deref(), keys) {
        (None | Some("live"), true) => {
            let client = backpack_sdk::ClientBuilder::from_lookup(lookup)
                .map_err(|e| format!("Backpack configuration: {e}"))?;
            Ok(BackpackConnection::Exchange(Box::new(client)))
        }
        (Some("live"), false) => Err(
            "BACKPACK_MODE=live needs keys: set BACKPACK_API_SECRET (or use BACKPACK_MODE=paper \
             to trade on live prices without money)"
                .into(),
        ),
        (Some("paper"), true) => Err(
            "BACKPACK_MODE=paper never uses keys, and keys are set: unset BACKPACK_API_SECRET \
             (and BACKPACK_API_KEY), or choose BACKPACK_MODE=live"
                .into(),
        ),
        (Some("paper"), false) => {
            paper_source(lookup).map(|p| BackpackConnection::Paper(Box::new(p)))
        }
        (None | Some("simulated"), false) => Ok(BackpackConnection::Simulated),
        (Some("simulated"), true) => Err(
            "BACKPACK_MODE=simulated with keys set: unset BACKPACK_API_SECRET, or choose \
             BACKPACK_MODE=live"
                .into(),
        ),
        (Some(other), _) => Err(format!(
            "BACKPACK_MODE={other:?} is not `simulated`, `paper` or `live`"
        )),
    }
}

/// The paper source: `BACKPACK_BASE_URL`, `BACKPACK_WS_URL`, `BACKPACK_PAPER_SYMBOLS`
/// (comma separated), `BACKPACK_PAPER_BALANCES` (`ASSET=AMOUNT,...`).
fn paper_source(lookup: &impl Fn(&str) -> Option<String>) -> Result<PaperSource, String> {
    let get = |name: &str| {
        lookup(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut rest = backpack_sdk::ClientBuilder::new();
    if let Some(url) = get("BACKPACK_BASE_URL") {
        rest = rest.base_url(url);
    }
    let mut settings = testkit::backpack::PaperSettings::default();
    if let Some(symbols) = get("BACKPACK_PAPER_SYMBOLS") {
        settings.symbols = symbols
            .split(',')
            .map(|s| s.trim().to_ascii_uppercase())
            .filter(|s| !s.is_empty())
            .collect();
        if settings.symbols.is_empty() {
            return Err("BACKPACK_PAPER_SYMBOLS names no market".into());
        }
    }
    if let Some(balances) = get("BACKPACK_PAPER_BALANCES") {
        settings.balances = balances
            .split(',')
            .filter(|part| !part.trim().is_empty())
            .map(|part| {
                let (asset, amount) = part.split_once('=').ok_or_else(|| {
                    format!("BACKPACK_PAPER_BALANCES: `{part}` is not ASSET=AMOUNT")
                })?;
                let amount = amount.trim();
                amount
                    .parse::<Decimal>()
                    .ok()
                    .filter(|a| !a.is_sign_negative())
                    .ok_or_else(|| {
                        format!("BACKPACK_PAPER_BALANCES: `{amount}` is not an amount")
                    })?;
                Ok((asset.trim().to_ascii_uppercase(), amount.to_owned()))
            })
            .collect::<Result<_, String>>()?;
    }
    Ok(PaperSource {
        rest,
        ws_url: get("BACKPACK_WS_URL")
            .unwrap_or_else(|| backpack_sdk::ws::DEFAULT_WS_URL.to_owned()),
        settings,
    })
}

/// The Backpack simulator's seed when none is configured.
pub const DEFAULT_SIMULATOR_SEED: u64 = 42;

/// The private state folder; never a shared temporary folder.
fn state_dir(lookup: &impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(dir) = lookup("XDG_STATE_HOME").filter(|d| !d.trim().is_empty()) {
        return Some(PathBuf::from(dir).join("trading-mcp"));
    }
    lookup("HOME")
        .filter(|h| !h.trim().is_empty())
        .map(|home| PathBuf::from(home).join(".local/state/trading-mcp"))
}

/// A whole number in `min..=max`, when set.
///
/// # Errors
/// A value that is not such a number, naming the variable.
pub(crate) fn number(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    min: u64,
    max: u64,
) -> Result<Option<u64>, String> {
    lookup(name)
        .filter(|v| !v.trim().is_empty())
        .map(|text| {
            text.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| format!("{name}={text:?} is not a whole number from {min} to {max}"))
        })
        .transpose()
}

/// A yes/no setting.
fn switch(name: &str, value: Option<String>) -> Result<Option<bool>, String> {
    let Some(text) = value.filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(Some(true)),
        "false" | "0" | "no" | "off" => Ok(Some(false)),
        _ => Err(format!("{name}={text:?} is not true or false")),
    }
}

/// `EUR=1.08,GBP=1.27`.
fn fx_rates(name: &str, text: &str) -> Result<BTreeMap<String, Decimal>, String> {
    let mut rates = BTreeMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (code, rate) = pair
            .split_once('=')
            .ok_or_else(|| format!("{name}: `{pair}` is not CODE=RATE"))?;
        let code = code.trim().to_ascii_uppercase();
        if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!("{name}: `{code}` is not a currency code"));
        }
        rates.insert(code, decimal(name, rate)?);
    }
    Ok(rates)
}

/// Live Backpack trading needs a file holding the same sentence as IBKR's live
/// acknowledgement.
fn backpack_live_ack(lookup: &impl Fn(&str) -> Option<String>) -> Result<(), String> {
    let phrase = ibkr_sdk::LIVE_ACK_PHRASE;
    let Some(path) = lookup("BACKPACK_LIVE_ACK_FILE").filter(|p| !p.trim().is_empty()) else {
        return Err(format!(
            "live Backpack trading needs an acknowledgement: write {phrase:?} into a file and set BACKPACK_LIVE_ACK_FILE to its path"
        ));
    };
    let text = std::fs::read_to_string(path.trim())
        .map_err(|e| format!("BACKPACK_LIVE_ACK_FILE {path:?} cannot be read: {e}"))?;
    if text.trim() == phrase {
        Ok(())
    } else {
        Err(format!(
            "BACKPACK_LIVE_ACK_FILE {path:?} must contain exactly {phrase:?}"
        ))
    }
}

fn decimal(name: &str, value: &str) -> Result<Decimal, String> {
    value
        .trim()
        .parse::<Decimal>()
        .ok()
        .filter(|d| *d > Decimal::ZERO)
        .ok_or_else(|| format!("{name}={value:?} is not a positive number"))
}

fn venue_config(
    venue: Venue,
    mode: Mode,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<VenueConfig, String> {
    let prefix = venue.env_prefix();
    let get = |suffix: &str| lookup(&format!("{prefix}_{suffix}")).filter(|v| !v.trim().is_empty());
    let tiers = match get("TIERS") {
        Some(text) => Tiers::parse(&text).map_err(|e| format!("{prefix}_TIERS: {e}"))?,
        None if mode.is_local() => Tiers::ALL,
        None => Tiers::READ,
    };
    let currency = get("CAP_CURRENCY")
        .map(|c| c.trim().to_ascii_uppercase())
        .unwrap_or_else(|| venue.default_cap_currency().to_owned());
    let fx = match get("FX_RATES") {
        Some(text) => fx_rates(&format!("{prefix}_FX_RATES"), &text)?,
        None => BTreeMap::new(),
    };
    let confirm = match get("CONFIRM")
        .or_else(|| lookup("TRADING_MCP_CONFIRM").filter(|v| !v.trim().is_empty()))
    {
        Some(text) => ConfirmPolicy::parse(&format!("{prefix}_CONFIRM"), &text)?,
        None if mode.is_local() => ConfirmPolicy::Token,
        None => ConfirmPolicy::Ask,
    };
    let caps = Caps {
        currency,
        fx_rates: fx,
        max_order_notional: get("MAX_ORDER_NOTIONAL")
            .map(|v| decimal(&format!("{prefix}_MAX_ORDER_NOTIONAL"), &v))
            .transpose()?,
        max_daily_notional: get("MAX_DAILY_NOTIONAL")
            .map(|v| decimal(&format!("{prefix}_MAX_DAILY_NOTIONAL"), &v))
            .transpose()?,
        allowed_symbols: get("ALLOWED_SYMBOLS").map(|text| {
            text.split(',')
                .map(|s| s.trim().to_ascii_uppercase())
                .filter(|s| !s.is_empty())
                .collect()
        }),
    };
    if tiers.trading && !mode.is_local() && caps.max_order_notional.is_none() {
        return Err(format!(
            "trading on a real {} venue needs a per-order cap: set {prefix}_MAX_ORDER_NOTIONAL \
             (and optionally {prefix}_MAX_DAILY_NOTIONAL, {prefix}_ALLOWED_SYMBOLS)",
            venue.as_str()
        ));
    }
    if tiers.trading && venue == Venue::Backpack && mode == Mode::Live {
        backpack_live_ack(lookup)?;
    }
    Ok(VenueConfig {
        tiers,
        caps,
        confirm,
    })
}

impl ServerConfig {
    /// From the process environment.
    ///
    /// # Errors
    /// A message naming the variable for any invalid or unsafe value.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup`.
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let set = |name: &str| lookup(name).is_some_and(|v| !v.trim().is_empty());
        // Keys are checked now, so a bad one stops the start instead of the first call.
        let backpack_connection = backpack_connection(&lookup)?;
        let backpack = venue_config(Venue::Backpack, backpack_connection.mode(), &lookup)?;

        let ibkr_connection = if set("IBKR_GATEWAY_HOST") || set("IBKR_GATEWAY_PORT") {
            let gateway = ibkr_sdk::Config::from_lookup(&lookup).map_err(|e| e.to_string())?;
            IbkrConnection::Gateway(gateway)
        } else {
            IbkrConnection::Simulated
        };
        let ibkr = venue_config(Venue::Ibkr, ibkr_connection.mode(), &lookup)?;
        let ibkr_connection = match ibkr_connection {
            IbkrConnection::Gateway(mut gateway) => {
                // The trading tier is the one switch: it enables the SDK's orders, whose own
                // rules (the live acknowledgement) then apply.
                gateway.orders_enabled = ibkr.tiers.trading;
                gateway.validate().map_err(|e| e.to_string())?;
                IbkrConnection::Gateway(gateway)
            }
            simulated => simulated,
        };

        let dir = state_dir(&lookup);
        let path = |name: &str, default: &str| {
            lookup(name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| PathBuf::from(v.trim()))
                .or_else(|| dir.as_ref().map(|d| d.join(default)))
        };
        // A journal of an earlier version (JSON lines) is imported into a database beside it.
        let journal_path = path("TRADING_MCP_JOURNAL", "journal.db").map(|p| {
            if p.extension().is_some_and(|e| e == "jsonl") {
                p.with_extension("db")
            } else {
                p
            }
        });
        let seconds = |name: &str| {
            number(&lookup, name, 1, 3_600).map(|n| Duration::from_secs(n.unwrap_or(120)))
        };
        let confirm_timeout = seconds("TRADING_MCP_CONFIRM_TIMEOUT_SECS")?;
        let orders_enabled = switch("ORDERS_ENABLED", lookup("ORDERS_ENABLED"))?.unwrap_or(true);
        let confirm_ttl = seconds("TRADING_MCP_CONFIRM_TTL_SECS")?;
        let observe_calls =
            switch("TRADING_MCP_OBSERVE", lookup("TRADING_MCP_OBSERVE"))?.unwrap_or(true);
        let max_items = number(&lookup, "TRADING_MCP_MAX_ITEMS", 1, 1_000)?
            .map_or(50, |n| usize::try_from(n).unwrap_or(50));
        let simulator_speed =
            number(&lookup, "TRADING_MCP_SIMULATOR_SPEED", 1, 100_000)?.unwrap_or(1);
        let simulator_seed =
            match lookup("TRADING_MCP_SIMULATOR_SEED").filter(|v| !v.trim().is_empty()) {
                Some(text) => text.trim().parse::<u64>().map_err(|_| {
                    format!("TRADING_MCP_SIMULATOR_SEED={text:?} is not a whole number")
                })?,
                None => DEFAULT_SIMULATOR_SEED,
            };
        Ok(Self {
            simulator_speed,
            simulator_seed,
            backpack,
            ibkr,
            backpack_connection,
            ibkr_connection,
            clock: SharedClock::system(),
            journal_path,
            kill_switch_path: path("TRADING_MCP_KILL_SWITCH", "KILL"),
            confirm_ttl,
            confirm_timeout,
            orders_enabled,
            max_items,
            observe_calls,
        })
    }

    /// Both venues simulated, every tier on, state files under `dir` (tests, the demo).
    pub fn simulated(dir: &std::path::Path) -> Self {
        let simulated = |venue: Venue| VenueConfig {
            tiers: Tiers::ALL,
            caps: Caps::unlimited(venue.default_cap_currency()),
            confirm: ConfirmPolicy::Token,
        };
        Self {
            backpack: simulated(Venue::Backpack),
            ibkr: simulated(Venue::Ibkr),
            backpack_connection: BackpackConnection::Simulated,
            ibkr_connection: IbkrConnection::Simulated,
            clock: SharedClock::system(),
            journal_path: Some(dir.join("journal.db")),
            kill_switch_path: Some(dir.join("KILL")),
            confirm_ttl: Duration::from_secs(120),
            confirm_timeout: Duration::from_secs(120),
            orders_enabled: true,
            max_items: 50,
            simulator_speed: 1,
            simulator_seed: DEFAULT_SIMULATOR_SEED,
            observe_calls: true,
        }
    }

    /// The configuration of one venue.
    /// Where a venue's orders go, as its connection says.
    pub fn mode(&self, venue: Venue) -> Mode {
        match venue {
            Venue::Backpack => self.backpack_connection.mode(),
            Venue::Ibkr => self.ibkr_connection.mode(),
        }
    }

    /// A venue's policy.
    pub fn venue(&self, venue: Venue) -> &VenueConfig {
        match venue {
            Venue::Backpack => &self.backpack,
            Venue::Ibkr => &self.ibkr,
        }
    }

    /// Keeps only the toolsets named (`--tools backpack,ibkr,market,account,trading`):
    /// venue names keep a venue, tier names keep a tier on every venue.
    ///
    /// # Errors
    /// For a name that is not a venue or a tier.
    pub fn restrict_tools(&mut self, names: &str) -> Result<(), String> {
        let mut venues = BTreeSet::new();
        let mut tiers = Tiers::default();
        let mut any_tier = false;
        for word in names.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word.to_ascii_lowercase().as_str() {
                "backpack" => {
                    venues.insert(Venue::Backpack);
                }
                "ibkr" => {
                    venues.insert(Venue::Ibkr);
                }
                "market" => (tiers.market, any_tier) = (true, true),
                "account" => (tiers.account, any_tier) = (true, true),
                "trading" => (tiers.trading, any_tier) = (true, true),
                other => {
                    return Err(format!(
                        "--tools: `{other}` is not a toolset; use backpack, ibkr, market, account, trading"
                    ));
                }
            }
        }
        for venue in [Venue::Backpack, Venue::Ibkr] {
            let config = match venue {
                Venue::Backpack => &mut self.backpack,
                Venue::Ibkr => &mut self.ibkr,
            };
            if !venues.is_empty() && !venues.contains(&venue) {
                config.tiers = Tiers::default();
            }
            if any_tier {
                config.tiers.market &= tiers.market;
                config.tiers.account &= tiers.account;
                config.tiers.trading &= tiers.trading;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
