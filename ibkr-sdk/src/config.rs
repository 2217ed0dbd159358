//! Configuration and the rules that make a live order impossible by accident.
//!
//! Defaults: paper trading (`TRADING_MODE=paper`), **orders disabled**
//! (`ORDERS_ENABLED=false`), gateway `127.0.0.1:4002` (IB Gateway paper). Live trading with
//! orders enabled additionally needs an acknowledgement a person creates on purpose: a file
//! named by `IBKR_LIVE_ACK_FILE` containing exactly [`LIVE_ACK_PHRASE`] (or
//! [`Config::acknowledge_live_trading`] in code). Without it the client refuses to start.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `IBKR_GATEWAY_HOST` | gateway host | `127.0.0.1` |
//! | `IBKR_GATEWAY_PORT` | gateway port | 4002 paper, 4001 live |
//! | `IBKR_CLIENT_ID` | API client id (0–32767) | 1 |
//! | `TRADING_MODE` | `paper` or `live` | `paper` |
//! | `ORDERS_ENABLED` | `true` or `false` | `false` |
//! | `IBKR_LIVE_ACK_FILE` | acknowledgement file for live orders | none |
//! | `IBKR_MAX_ORDER_NOTIONAL` | largest order value | none |
//! | `IBKR_MAX_QUANTITY` | largest order size: `100`, or per symbol `AAPL=100,ES=2,*=50` | none |
//! | `IBKR_ALLOWED_SYMBOLS` | symbols that may be traded, comma separated | all |
//! | `IBKR_DELAYED_DATA_FALLBACK` | use delayed quotes when live ones are not permitted | `true` |
//! | `IBKR_CONNECT_TIMEOUT_MS`, `IBKR_REQUEST_TIMEOUT_MS` | timeouts | 5000, 10000 |
//! | `IBKR_MAX_MESSAGES_PER_SECOND` | pace of messages to the gateway (`0`: unpaced) | 50 |

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use trading_core::clock::SharedClock;

use crate::error::Error;
use crate::money::{Money, Quantity, parse_decimal};

/// The text the live-trading acknowledgement must contain.
pub const LIVE_ACK_PHRASE: &str = "I understand that orders sent by this program trade real money";

/// Paper or live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum TradingMode {
    /// A paper account (`DU…`).
    #[default]
    Paper,
    /// A live account.
    Live,
}

impl TradingMode {
    /// `paper` or `live`.
    pub fn as_str(self) -> &'static str {
        match self {
            TradingMode::Paper => "paper",
            TradingMode::Live => "live",
        }
    }
}

/// Optional limits checked before an order is sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Limits {
    /// Largest value of one order (price × quantity × multiplier).
    pub max_order_notional: Option<Money>,
    /// Largest quantity of one order, for symbols without their own limit.
    pub max_order_quantity: Option<Quantity>,
    /// Largest quantity of one order, per symbol (upper case).
    pub max_quantity_by_symbol: BTreeMap<String, Quantity>,
    /// Symbols that may be traded (upper case); `None` allows all.
    pub allowed_symbols: Option<BTreeSet<String>>,
}

impl Limits {
    /// The quantity limit for `symbol`.
    pub fn max_quantity(&self, symbol: &str) -> Option<Quantity> {
        self.max_quantity_by_symbol
            .get(&symbol.to_ascii_uppercase())
            .copied()
            .or(self.max_order_quantity)
    }
}

/// How to reach the gateway and what the client may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Gateway host.
    pub host: String,
    /// Gateway port.
    pub port: u16,
    /// API client id.
    pub client_id: i32,
    /// Paper or live; checked against the account at connect.
    pub trading_mode: TradingMode,
    /// Whether orders may be sent at all.
    pub orders_enabled: bool,
    live_acknowledged: bool,
    /// Time allowed for connecting.
    pub connect_timeout: Duration,
    /// Time allowed for each request.
    pub request_timeout: Duration,
    /// Order limits.
    pub limits: Limits,
    /// Whether quotes fall back to delayed data when live data is not permitted.
    pub delayed_data_fallback: bool,
    /// Messages per second sent to the gateway at most (IBKR documents 50 and may
    /// disconnect a client that keeps exceeding it); `None` sends without pacing.
    pub max_messages_per_second: Option<u32>,
    /// Contracts whose quotes are kept live after a first snapshot, so asking again costs
    /// no round trip (each takes one of the account's market-data lines; the least recently
    /// asked is dropped to make room). 0, the default, asks for a snapshot every time.
    pub live_quotes: usize,
    /// Where "now" comes from (the front month of a future is the nearest expiry from
    /// today); the system clock unless a test or simulation injects one.
    pub clock: SharedClock,
}

impl Default for Config {
    /// Paper, orders disabled, `127.0.0.1:4002`, client id 1.
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 4002,
            client_id: 1,
            trading_mode: TradingMode::Paper,
            orders_enabled: false,
            live_acknowledged: false,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            limits: Limits::default(),
            delayed_data_fallback: true,
            max_messages_per_second: Some(50),
            live_quotes: 0,
            clock: SharedClock::system(),
        }
    }
}

fn invalid(variable: &str, value: &str, expected: &str) -> Error {
    Error::Config(format!(
        "{variable}={:?} is not valid: expected {expected}",
        value.chars().take(80).collect::<String>()
    ))
}

fn parse_bool(variable: &str, value: &str) -> Result<bool, Error> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(invalid(variable, value, "true or false")),
    }
}

fn parse_millis(variable: &str, value: &str) -> Result<Duration, Error> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis)
        .ok_or_else(|| invalid(variable, value, "a positive number of milliseconds"))
}

fn parse_positive(variable: &str, value: &str) -> Result<rust_decimal::Decimal, Error> {
    parse_decimal(value)
        .ok()
        .filter(|d| d.is_sign_positive() && !d.is_zero())
        .ok_or_else(|| invalid(variable, value, "a positive number"))
}

impl Config {
    /// A paper configuration for a gateway at `host:port` (orders disabled).
    pub fn paper(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            ..Self::default()
        }
    }

    /// From the environment (see the module docs).
    ///
    /// # Errors
    /// [`Error::Config`] naming the variable for any invalid value, or for live trading
    /// with orders enabled but no acknowledgement.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup`.
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut config = Self::default();
        if let Some(mode) = get("TRADING_MODE") {
            config.trading_mode = match mode.trim().to_ascii_lowercase().as_str() {
                "paper" => TradingMode::Paper,
                "live" => TradingMode::Live,
                _ => return Err(invalid("TRADING_MODE", &mode, "paper or live")),
            };
        }
        config.port = match config.trading_mode {
            TradingMode::Paper => 4002,
            TradingMode::Live => 4001,
        };
        if let Some(host) = get("IBKR_GATEWAY_HOST") {
            config.host = host.trim().to_owned();
        }
        if let Some(port) = get("IBKR_GATEWAY_PORT") {
            config.port = port
                .trim()
                .parse()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| invalid("IBKR_GATEWAY_PORT", &port, "a port number 1-65535"))?;
        }
        if let Some(id) = get("IBKR_CLIENT_ID") {
            config.client_id = id
                .trim()
                .parse()
                .ok()
                .filter(|id| (0..=32_767).contains(id))
                .ok_or_else(|| invalid("IBKR_CLIENT_ID", &id, "a number 0-32767"))?;
        }
        if let Some(enabled) = get("ORDERS_ENABLED") {
            config.orders_enabled = parse_bool("ORDERS_ENABLED", &enabled)?;
        }
        if let Some(fallback) = get("IBKR_DELAYED_DATA_FALLBACK") {
            config.delayed_data_fallback = parse_bool("IBKR_DELAYED_DATA_FALLBACK", &fallback)?;
        }
        if let Some(ms) = get("IBKR_CONNECT_TIMEOUT_MS") {
            config.connect_timeout = parse_millis("IBKR_CONNECT_TIMEOUT_MS", &ms)?;
        }
        if let Some(ms) = get("IBKR_REQUEST_TIMEOUT_MS") {
            config.request_timeout = parse_millis("IBKR_REQUEST_TIMEOUT_MS", &ms)?;
        }
        if let Some(rate) = get("IBKR_MAX_MESSAGES_PER_SECOND") {
            let rate: u32 = rate.trim().parse().map_err(|_| {
                invalid(
                    "IBKR_MAX_MESSAGES_PER_SECOND",
                    &rate,
                    "a whole number (0: unpaced)",
                )
            })?;
            config.max_messages_per_second = (rate > 0).then_some(rate);
        }
        if let Some(lines) = get("IBKR_LIVE_QUOTES") {
            config.live_quotes = lines
                .trim()
                .parse()
                .ok()
                .filter(|n| *n <= 100)
                .ok_or_else(|| invalid("IBKR_LIVE_QUOTES", &lines, "a whole number up to 100"))?;
        }
        if let Some(notional) = get("IBKR_MAX_ORDER_NOTIONAL") {
            config.limits.max_order_notional = Some(Money::new(parse_positive(
                "IBKR_MAX_ORDER_NOTIONAL",
                &notional,
            )?));
        }
        if let Some(quantities) = get("IBKR_MAX_QUANTITY") {
            for entry in quantities
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
            {
                let (symbol, value) = entry.split_once('=').unwrap_or(("*", entry));
                let quantity = Quantity::new(parse_positive("IBKR_MAX_QUANTITY", value)?);
                match symbol.trim() {
                    "*" => config.limits.max_order_quantity = Some(quantity),
                    symbol => {
                        config
                            .limits
                            .max_quantity_by_symbol
                            .insert(symbol.to_ascii_uppercase(), quantity);
                    }
                }
            }
        }
        if let Some(symbols) = get("IBKR_ALLOWED_SYMBOLS") {
            let set: BTreeSet<String> = symbols
                .split(',')
                .map(|s| s.trim().to_ascii_uppercase())
                .filter(|s| !s.is_empty())
                .collect();
            config.limits.allowed_symbols = Some(set);
        }
        if let Some(path) = get("IBKR_LIVE_ACK_FILE") {
            match std::fs::read_to_string(path.trim()) {
                Ok(text) => config.acknowledge_live_trading(text.trim())?,
                Err(error) => {
                    return Err(Error::Config(format!(
                        "IBKR_LIVE_ACK_FILE {path:?} cannot be read: {error}"
                    )));
                }
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// Acknowledges that orders can trade real money, with [`LIVE_ACK_PHRASE`] verbatim.
    ///
    /// # Errors
    /// [`Error::Config`] if the phrase is not exactly [`LIVE_ACK_PHRASE`].
    pub fn acknowledge_live_trading(&mut self, phrase: &str) -> Result<(), Error> {
        if phrase != LIVE_ACK_PHRASE {
            return Err(Error::Config(format!(
                "the live trading acknowledgement must read exactly: {LIVE_ACK_PHRASE:?}"
            )));
        }
        self.live_acknowledged = true;
        Ok(())
    }

    /// Whether live trading was acknowledged.
    pub fn live_acknowledged(&self) -> bool {
        self.live_acknowledged
    }

    /// Checks the configuration is consistent and safe.
    ///
    /// # Errors
    /// [`Error::Config`] for live trading with orders enabled and no acknowledgement, an
    /// empty host, or a zero timeout.
    pub fn validate(&self) -> Result<(), Error> {
        if self.host.trim().is_empty() {
            return Err(Error::Config("IBKR_GATEWAY_HOST is empty".into()));
        }
        if self.connect_timeout.is_zero() || self.request_timeout.is_zero() {
            return Err(Error::Config("timeouts must be positive".into()));
        }
        if self.trading_mode == TradingMode::Live && self.orders_enabled && !self.live_acknowledged
        {
            return Err(Error::Config(format!(
                "TRADING_MODE=live with ORDERS_ENABLED=true needs an explicit acknowledgement: \
                 write {LIVE_ACK_PHRASE:?} into a file and set IBKR_LIVE_ACK_FILE to its path"
            )));
        }
        Ok(())
    }

    /// `host:port`.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<Config, Error> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    fn live_with_ack_file(path: &std::path::Path) -> Result<Config, Error> {
        let path = path.to_string_lossy();
        from(&[
            ("TRADING_MODE", "live"),
            ("ORDERS_ENABLED", "true"),
            ("IBKR_LIVE_ACK_FILE", &path),
        ])
    }

    #[test]
    fn defaults_are_paper_with_orders_off() {
        let config = from(&[]).unwrap();
        assert_eq!(config.trading_mode, TradingMode::Paper);
        assert!(!config.orders_enabled);
        assert_eq!(config.address(), "127.0.0.1:4002");
        assert_eq!(from(&[("TRADING_MODE", "live")]).unwrap().port, 4001);
        assert_eq!(
            config.max_messages_per_second,
            Some(50),
            "paced as IBKR documents"
        );
        let unpaced = from(&[("IBKR_MAX_MESSAGES_PER_SECOND", "0")]).unwrap();
        assert_eq!(unpaced.max_messages_per_second, None);
        assert!(from(&[("IBKR_MAX_MESSAGES_PER_SECOND", "fast")]).is_err());
        assert_eq!(config.live_quotes, 0, "snapshots unless asked");
        assert_eq!(from(&[("IBKR_LIVE_QUOTES", "20")]).unwrap().live_quotes, 20);
        assert!(from(&[("IBKR_LIVE_QUOTES", "500")]).is_err());
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let error = from(&[("TRADING_MODE", "papr")]).unwrap_err().to_string();
        assert!(
            error.contains("TRADING_MODE=\"papr\"") && error.contains("paper or live"),
            "{error}"
        );
        let error = from(&[("ORDERS_ENABLED", "maybe")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("ORDERS_ENABLED"), "{error}");
        assert!(from(&[("IBKR_GATEWAY_PORT", "0")]).is_err());
        assert!(from(&[("IBKR_GATEWAY_PORT", "70000")]).is_err());
        assert!(from(&[("IBKR_CLIENT_ID", "-3")]).is_err());
        assert!(from(&[("IBKR_MAX_ORDER_NOTIONAL", "-5")]).is_err());
    }

    #[test]
    fn live_orders_need_an_acknowledgement_file() {
        let error = from(&[("TRADING_MODE", "live"), ("ORDERS_ENABLED", "true")]).unwrap_err();
        assert!(error.to_string().contains("IBKR_LIVE_ACK_FILE"), "{error}");
        // Live without orders, and paper with orders, are fine.
        assert!(from(&[("TRADING_MODE", "live")]).is_ok());
        assert!(from(&[("ORDERS_ENABLED", "true")]).is_ok());

        let dir = std::env::temp_dir().join(format!("ibkr-ack-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let wrong = dir.join("wrong");
        std::fs::write(&wrong, "yes").unwrap();
        let right = dir.join("right");
        std::fs::write(&right, format!("{LIVE_ACK_PHRASE}\n")).unwrap();
        assert!(live_with_ack_file(&wrong).is_err());
        assert!(live_with_ack_file(&dir.join("missing")).is_err());
        let config = live_with_ack_file(&right).unwrap();
        assert!(config.live_acknowledged() && config.orders_enabled);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn limits_parse() {
        let config = from(&[
            ("IBKR_MAX_ORDER_NOTIONAL", "25000"),
            ("IBKR_MAX_QUANTITY", "AAPL=100, es=2, *=50"),
            ("IBKR_ALLOWED_SYMBOLS", "aapl, MSFT ,ES"),
        ])
        .unwrap();
        assert_eq!(config.limits.max_order_notional, Some(Money::from(25_000)));
        assert_eq!(
            config.limits.max_quantity("AAPL"),
            Some(Quantity::from(100))
        );
        assert_eq!(config.limits.max_quantity("ES"), Some(Quantity::from(2)));
        assert_eq!(config.limits.max_quantity("MSFT"), Some(Quantity::from(50)));
        assert_eq!(config.limits.allowed_symbols.unwrap().len(), 3);
        let plain = from(&[("IBKR_MAX_QUANTITY", "10")]).unwrap();
        assert_eq!(plain.limits.max_quantity("ANY"), Some(Quantity::from(10)));
    }
}
