//! Contracts: what a trader names (`AAPL` stock, `ES` front-month future, an `AAPL` call) and
//! what IBKR identifies (a contract id), resolved through the gateway and cached.

use std::fmt;
use std::str::FromStr;
use trading_core::clock::{Clock, SharedClock};

use ibapi::contracts::{
    Contract as IbContract, Currency, Exchange, OptionRight, SecurityType, Symbol,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::boundary;
use crate::client::IbkrClient;
use crate::error::Error;
use crate::money::{ConId, Price, Quantity, parse_decimal};

/// Security type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum SecType {
    /// Stock or ETF.
    #[serde(rename = "STK")]
    Stock,
    /// Future.
    #[serde(rename = "FUT")]
    Future,
    /// Option.
    #[serde(rename = "OPT")]
    Option,
    /// Index (quotes and bars only).
    #[serde(rename = "IND")]
    Index,
    /// Currency pair.
    #[serde(rename = "CASH")]
    Forex,
}

impl SecType {
    /// IBKR's code: `STK`, `FUT`, `OPT`, `IND`, `CASH`.
    pub fn code(self) -> &'static str {
        match self {
            SecType::Stock => "STK",
            SecType::Future => "FUT",
            SecType::Option => "OPT",
            SecType::Index => "IND",
            SecType::Forex => "CASH",
        }
    }

    fn to_ib(self) -> SecurityType {
        match self {
            SecType::Stock => SecurityType::Stock,
            SecType::Future => SecurityType::Future,
            SecType::Option => SecurityType::Option,
            SecType::Index => SecurityType::Index,
            SecType::Forex => SecurityType::ForexPair,
        }
    }

    fn from_ib(security_type: &SecurityType) -> Option<SecType> {
        Some(match security_type {
            SecurityType::Stock => SecType::Stock,
            SecurityType::Future => SecType::Future,
            SecurityType::Option => SecType::Option,
            SecurityType::Index => SecType::Index,
            SecurityType::ForexPair => SecType::Forex,
            _ => return None,
        })
    }
}

impl FromStr for SecType {
    type Err = Error;

    /// `STK`/`stock`, `FUT`/`future`, `OPT`/`option`, `IND`/`index`, `CASH`/`forex`.
    fn from_str(text: &str) -> Result<Self, Error> {
        Ok(match text.trim().to_ascii_uppercase().as_str() {
            "STK" | "STOCK" | "ETF" => SecType::Stock,
            "FUT" | "FUTURE" | "FUTURES" => SecType::Future,
            "OPT" | "OPTION" | "OPTIONS" => SecType::Option,
            "IND" | "INDEX" => SecType::Index,
            "CASH" | "FOREX" | "FX" => SecType::Forex,
            _ => return Err(Error::InvalidSecurityType(text.chars().take(32).collect())),
        })
    }
}

/// Option right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum Right {
    /// Call.
    #[serde(rename = "C")]
    Call,
    /// Put.
    #[serde(rename = "P")]
    Put,
}

/// What a trader names: enough to find one contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ContractSpec {
    /// `AAPL`, `ES`, `SPX`, `EUR` (EUR.USD).
    pub symbol: String,
    /// Security type.
    pub sec_type: SecType,
    /// Default `SMART` for stocks and options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<String>,
    /// Default `USD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// `YYYYMM` or `YYYYMMDD`; futures default to the front month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<String>,
    /// Options: strike.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strike: Option<Price>,
    /// Options: call or put.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<Right>,
}

impl ContractSpec {
    fn new(symbol: &str, sec_type: SecType) -> Self {
        Self {
            symbol: symbol.trim().to_ascii_uppercase(),
            sec_type,
            exchange: None,
            currency: None,
            expiry: None,
            strike: None,
            right: None,
        }
    }

    /// A stock, smart-routed in USD.
    pub fn stock(symbol: &str) -> Self {
        Self::new(symbol, SecType::Stock)
    }

    /// A future: the front month unless [`expiry`](Self::expiry) is set.
    pub fn future(symbol: &str) -> Self {
        Self::new(symbol, SecType::Future)
    }

    /// An option.
    pub fn option(symbol: &str, expiry: &str, strike: Price, right: Right) -> Self {
        Self {
            expiry: Some(expiry.into()),
            strike: Some(strike),
            right: Some(right),
            ..Self::new(symbol, SecType::Option)
        }
    }

    /// An index.
    pub fn index(symbol: &str) -> Self {
        Self::new(symbol, SecType::Index)
    }

    /// A currency pair (`forex("EUR", "USD")` is EUR.USD).
    pub fn forex(base: &str, quote: &str) -> Self {
        Self {
            currency: Some(quote.trim().to_ascii_uppercase()),
            ..Self::new(base, SecType::Forex)
        }
    }

    /// On this exchange.
    #[must_use]
    pub fn on_exchange(mut self, exchange: &str) -> Self {
        self.exchange = Some(exchange.trim().to_ascii_uppercase());
        self
    }

    /// In this currency.
    #[must_use]
    pub fn in_currency(mut self, currency: &str) -> Self {
        self.currency = Some(currency.trim().to_ascii_uppercase());
        self
    }

    /// This expiry (`YYYYMM` or `YYYYMMDD`).
    #[must_use]
    pub fn expiry(mut self, expiry: &str) -> Self {
        self.expiry = Some(expiry.trim().into());
        self
    }

    /// Checks the spec is complete and well-formed.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming what is missing or malformed.
    pub fn validate(&self) -> Result<(), Error> {
        let symbol_ok = !self.symbol.is_empty()
            && self.symbol.len() <= 32
            && self
                .symbol
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-/ ".contains(&b));
        if !symbol_ok {
            return Err(Error::InvalidRequest(format!(
                "`{}` is not a symbol",
                self.symbol.chars().take(40).collect::<String>()
            )));
        }
        if let Some(expiry) = &self.expiry {
            let ok = (expiry.len() == 6 || expiry.len() == 8)
                && expiry.bytes().all(|b| b.is_ascii_digit());
            if !ok {
                return Err(Error::InvalidRequest(format!(
                    "expiry `{expiry}` must be YYYYMM or YYYYMMDD"
                )));
            }
        }
        match self.sec_type {
            SecType::Option => {
                if self.expiry.is_none()
                    || self.right.is_none()
                    || !self.strike.is_some_and(Price::is_positive)
                {
                    return Err(Error::InvalidRequest(
                        "an option needs an expiry, a positive strike and a right (C or P)".into(),
                    ));
                }
            }
            _ => {
                if self.strike.is_some() || self.right.is_some() {
                    return Err(Error::InvalidRequest(format!(
                        "strike and right apply to options, not to {}",
                        self.sec_type.code()
                    )));
                }
            }
        }
        Ok(())
    }

    /// A stable text form, used as the cache key and in messages.
    pub fn key(&self) -> String {
        let mut key = format!("{} {}", self.sec_type.code(), self.symbol);
        for part in [&self.exchange, &self.currency, &self.expiry]
            .into_iter()
            .flatten()
        {
            key.push(' ');
            key.push_str(part);
        }
        if let Some(strike) = self.strike {
            key.push_str(&format!(" {}", strike.value().normalize()));
        }
        if let Some(right) = self.right {
            key.push_str(if right == Right::Call { " C" } else { " P" });
        }
        key
    }

    fn to_ib(&self) -> Result<IbContract, Error> {
        let exchange = self
            .exchange
            .clone()
            .unwrap_or_else(|| match self.sec_type {
                SecType::Stock | SecType::Option => "SMART".into(),
                SecType::Forex => "IDEALPRO".into(),
                SecType::Future | SecType::Index => String::new(),
            });
        Ok(IbContract {
            symbol: Symbol::new(self.symbol.clone()),
            security_type: self.sec_type.to_ib(),
            exchange: Exchange::new(exchange),
            currency: Currency::new(self.currency.clone().unwrap_or_else(|| "USD".into())),
            last_trade_date_or_contract_month: self.expiry.clone().unwrap_or_default(),
            strike: match self.strike {
                Some(strike) => boundary::to_ib(strike.value(), "strike")?,
                None => 0.0,
            },
            right: self.right.map(|right| match right {
                Right::Call => OptionRight::Call,
                Right::Put => OptionRight::Put,
            }),
            ..IbContract::default()
        })
    }
}

impl fmt::Display for ContractSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// A contract IBKR knows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedContract {
    /// Contract id.
    pub con_id: ConId,
    /// Symbol.
    pub symbol: String,
    /// Security type.
    pub sec_type: SecType,
    /// Exchange orders route to.
    pub exchange: String,
    /// Primary listing exchange.
    pub primary_exchange: String,
    /// Currency.
    pub currency: String,
    /// Exchange-local symbol (`ESZ6`, the OCC option symbol).
    pub local_symbol: String,
    /// Last trading day or contract month.
    pub expiry: Option<String>,
    /// Option strike.
    pub strike: Option<Price>,
    /// Option right.
    pub right: Option<Right>,
    /// Contract multiplier (1 for stocks).
    pub multiplier: Quantity,
    /// Price increment.
    pub min_tick: Option<Price>,
    /// Full name.
    pub long_name: String,
    #[serde(skip)]
    pub(crate) ib: IbContract,
}

impl ResolvedContract {
    fn from_details(details: &ibapi::contracts::ContractDetails) -> Option<Self> {
        let contract = &details.contract;
        let sec_type = SecType::from_ib(&contract.security_type)?;
        let expiry =
            Some(contract.last_trade_date_or_contract_month.clone()).filter(|e| !e.is_empty());
        let multiplier = parse_decimal(&contract.multiplier)
            .ok()
            .filter(|m| !m.is_zero())
            .unwrap_or(Decimal::ONE);
        Some(Self {
            con_id: ConId(contract.contract_id),
            symbol: contract.symbol.to_string(),
            sec_type,
            exchange: contract.exchange.to_string(),
            primary_exchange: contract.primary_exchange.to_string(),
            currency: contract.currency.to_string(),
            local_symbol: contract.local_symbol.clone(),
            expiry,
            strike: (sec_type == SecType::Option)
                .then(|| boundary::from_ib(contract.strike).map(Price::new))
                .flatten(),
            right: contract.right.map(|right| match right {
                OptionRight::Call => Right::Call,
                OptionRight::Put => Right::Put,
            }),
            multiplier: Quantity::new(multiplier),
            min_tick: boundary::from_ib(details.min_tick)
                .filter(|t| !t.is_zero())
                .map(Price::new),
            long_name: details.long_name.clone(),
            ib: contract.clone(),
        })
    }

    /// `symbol expiry strike right` in a few words, for messages.
    pub fn describe(&self) -> String {
        if self.local_symbol.is_empty() {
            format!("{} {}", self.sec_type.code(), self.symbol)
        } else {
            format!("{} {}", self.sec_type.code(), self.local_symbol.trim())
        }
    }
}

/// Contract lookup. Get one with [`IbkrClient::contracts`].
#[derive(Debug, Clone, Copy)]
pub struct Contracts<'a> {
    client: &'a IbkrClient,
}

impl<'a> Contracts<'a> {
    pub(crate) fn new(client: &'a IbkrClient) -> Self {
        Self { client }
    }

    /// Every contract matching `spec`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a malformed spec; [`Error::UnknownContract`] when
    /// nothing matches; [`Error::Timeout`].
    pub async fn search(&self, spec: &ContractSpec) -> Result<Vec<ResolvedContract>, Error> {
        crate::timing::timed(
            "contract_search",
            Box::pin(async {
                spec.validate()?;
                let ib = spec.to_ib()?;
                let details = self
                    .client
                    .bounded(
                        "contract details",
                        &spec.key(),
                        self.client.gateway()?.contract_details(&ib),
                    )
                    .await?;
                let found: Vec<ResolvedContract> = details
                    .iter()
                    .filter_map(ResolvedContract::from_details)
                    .collect();
                if found.is_empty() {
                    return Err(Error::UnknownContract(spec.key()));
                }
                Ok(found)
            }),
        )
        .await
    }

    /// The one contract `spec` names; futures without an expiry resolve to the front month
    /// (the nearest expiry from today). Answers are cached per spec.
    ///
    /// # Errors
    /// As [`search`](Self::search), and [`Error::AmbiguousContract`] when several match.
    pub async fn resolve(&self, spec: &ContractSpec) -> Result<ResolvedContract, Error> {
        crate::timing::timed(
            "contract_resolve",
            Box::pin(async {
                let key = spec.key();
                if let Some(hit) = self.client.contract_cache().get(&key) {
                    return Ok(hit.clone());
                }
                let mut found = self.search(spec).await?;
                let chosen = if found.len() == 1 {
                    found.remove(0)
                } else if spec.sec_type == SecType::Future && spec.expiry.is_none() {
                    let today = today(&self.client.config().clock);
                    found.retain(|c| c.expiry.as_deref().is_some_and(|e| e >= today.as_str()));
                    found.sort_by(|a, b| a.expiry.cmp(&b.expiry));
                    if found.is_empty() {
                        return Err(Error::UnknownContract(format!(
                            "{key} (no unexpired month)"
                        )));
                    }
                    found.remove(0)
                } else {
                    let candidates: Vec<String> = found
                        .iter()
                        .take(8)
                        .map(ResolvedContract::describe)
                        .collect();
                    return Err(Error::AmbiguousContract {
                        spec: key,
                        candidates: candidates.join(", "),
                    });
                };
                self.client.contract_cache().insert(key, chosen.clone());
                Ok(chosen)
            }),
        )
        .await
    }
}

/// Today's date as IBKR writes expiries (`YYYYMMDD`), by `clock`.
fn today(clock: &SharedClock) -> String {
    i64::try_from(clock.now_ms())
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(String::new, |now| now.format("%Y%m%d").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_types_parse_with_aliases() {
        assert_eq!("stk".parse::<SecType>().unwrap(), SecType::Stock);
        assert_eq!("Future".parse::<SecType>().unwrap(), SecType::Future);
        let error = "bond".parse::<SecType>().unwrap_err();
        assert!(matches!(error, Error::InvalidSecurityType(_)));
        assert!(error.to_string().contains("STK, FUT, OPT, IND or CASH"));
    }

    #[test]
    fn specs_validate() {
        assert!(ContractSpec::stock("AAPL").validate().is_ok());
        assert!(
            ContractSpec::future("ES")
                .expiry("202612")
                .validate()
                .is_ok()
        );
        assert!(
            ContractSpec::future("ES")
                .expiry("Dec26")
                .validate()
                .is_err()
        );
        let mut option =
            ContractSpec::option("AAPL", "20261218", "190".parse().unwrap(), Right::Call);
        assert!(option.validate().is_ok());
        option.right = None;
        assert!(option.validate().is_err());
        let mut stock = ContractSpec::stock("AAPL");
        stock.strike = Some("1".parse().unwrap());
        assert!(stock.validate().is_err());
        assert!(ContractSpec::stock("AA;PL").validate().is_err());
        assert_eq!(
            ContractSpec::option("aapl", "20261218", "190.0".parse().unwrap(), Right::Put).key(),
            "OPT AAPL 20261218 190 P"
        );
    }
}
