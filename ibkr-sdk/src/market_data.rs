//! Quotes and historical bars.

use chrono::{DateTime, Utc};
use futures::StreamExt;
use ibapi::market_data::MarketDataType;
use ibapi::market_data::historical::{
    BarSize, BarTimestamp, Duration as IbDuration, WhatToShow as IbWhatToShow,
};
use ibapi::market_data::realtime::{Quote as IbQuote, TickTypes};
use ibapi::subscriptions::SubscriptionItem;
use serde::{Deserialize, Serialize};

use crate::boundary;
use crate::client::IbkrClient;
use crate::contracts::{ContractSpec, ResolvedContract};
use crate::error::Error;
use crate::money::{ConId, Price, Quantity};

/// Where a quote came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum DataSource {
    /// Real-time.
    Live,
    /// Last real-time values while the market is closed.
    Frozen,
    /// Delayed (usually 15–20 minutes).
    Delayed,
    /// Last delayed values while the market is closed.
    DelayedFrozen,
}

/// A quote snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Quote {
    /// Contract id.
    pub con_id: ConId,
    /// What it is (`STK AAPL`, `FUT ESZ6`).
    pub contract: String,
    /// Best bid.
    pub bid: Option<Price>,
    /// Best ask.
    pub ask: Option<Price>,
    /// Last trade.
    pub last: Option<Price>,
    /// Size at the bid.
    pub bid_size: Option<Quantity>,
    /// Size at the ask.
    pub ask_size: Option<Quantity>,
    /// Size of the last trade.
    pub last_size: Option<Quantity>,
    /// Session volume.
    pub volume: Option<Quantity>,
    /// Previous close.
    pub close: Option<Price>,
    /// When the snapshot was taken.
    pub timestamp: DateTime<Utc>,
    /// Live or delayed.
    pub source: DataSource,
}

impl Quote {
    /// The price to estimate an order's value with: ask for buys, bid for sells, else last,
    /// else close.
    pub fn reference_price(&self, buying: bool) -> Option<Price> {
        let touch = if buying { self.ask } else { self.bid };
        touch.or(self.last).or(self.close)
    }
}

/// What to show in bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum WhatToShow {
    /// Traded prices.
    #[default]
    Trades,
    /// Bid/ask midpoint.
    Midpoint,
    /// Bids.
    Bid,
    /// Asks.
    Ask,
    /// Bid and ask.
    BidAsk,
    /// Split- and dividend-adjusted last.
    AdjustedLast,
}

impl WhatToShow {
    fn to_ib(self) -> IbWhatToShow {
        match self {
            WhatToShow::Trades => IbWhatToShow::Trades,
            WhatToShow::Midpoint => IbWhatToShow::MidPoint,
            WhatToShow::Bid => IbWhatToShow::Bid,
            WhatToShow::Ask => IbWhatToShow::Ask,
            WhatToShow::BidAsk => IbWhatToShow::BidAsk,
            WhatToShow::AdjustedLast => IbWhatToShow::AdjustedLast,
        }
    }
}

fn default_true() -> bool {
    true
}

/// A request for bars, in the words a person uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct BarsRequest {
    /// Bar width: `"5 min"`, `"5m"`, `"1 hour"`, `"1h"`, `"1 day"`, `"1d"`, `"1 week"`, ...
    pub bar_size: String,
    /// How far back: `"2 D"`, `"2 days"`, `"1 W"`, `"1 week"`, `"3 M"`, `"1 Y"`, `"3600 S"`.
    pub duration: String,
    /// What the bars show (default trades).
    #[serde(default)]
    pub what_to_show: WhatToShow,
    /// Regular trading hours only (default true).
    #[serde(default = "default_true")]
    pub regular_hours_only: bool,
    /// End of the window (default: now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<DateTime<Utc>>,
}

impl BarsRequest {
    /// `bar_size` bars over `duration`, trades, regular hours, ending now.
    pub fn new(bar_size: &str, duration: &str) -> Self {
        Self {
            bar_size: bar_size.into(),
            duration: duration.into(),
            what_to_show: WhatToShow::Trades,
            regular_hours_only: true,
            end: None,
        }
    }
}

/// One bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Bar {
    /// Bar start (daily and longer bars: midnight UTC of the trading day).
    pub time: DateTime<Utc>,
    /// Open.
    pub open: Price,
    /// High.
    pub high: Price,
    /// Low.
    pub low: Price,
    /// Close.
    pub close: Price,
    /// Volume.
    pub volume: Option<Quantity>,
    /// Volume-weighted average price.
    pub wap: Option<Price>,
    /// Number of trades.
    pub count: i32,
}

/// Bars and what they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Bars {
    /// What they are of.
    pub contract: String,
    /// Normalised bar size (`5 mins`).
    pub bar_size: String,
    /// Normalised duration (`2 D`).
    pub duration: String,
    /// The bars, oldest first.
    pub bars: Vec<Bar>,
}

const BAR_SIZES: &[(&[&str], BarSize, &str)] = &[
    (
        &["1s", "1sec", "1secs", "1second", "1seconds"],
        BarSize::Sec,
        "1 secs",
    ),
    (
        &["5s", "5sec", "5secs", "5second", "5seconds"],
        BarSize::Sec5,
        "5 secs",
    ),
    (
        &["10s", "10sec", "10secs", "10seconds"],
        BarSize::Sec10,
        "10 secs",
    ),
    (
        &["15s", "15sec", "15secs", "15seconds"],
        BarSize::Sec15,
        "15 secs",
    ),
    (
        &["30s", "30sec", "30secs", "30seconds"],
        BarSize::Sec30,
        "30 secs",
    ),
    (
        &["1m", "1min", "1mins", "1minute", "1minutes"],
        BarSize::Min,
        "1 min",
    ),
    (
        &["2m", "2min", "2mins", "2minutes"],
        BarSize::Min2,
        "2 mins",
    ),
    (
        &["3m", "3min", "3mins", "3minutes"],
        BarSize::Min3,
        "3 mins",
    ),
    (
        &["4m", "4min", "4mins", "4minutes"],
        BarSize::Min4,
        "4 mins",
    ),
    (
        &["5m", "5min", "5mins", "5minutes"],
        BarSize::Min5,
        "5 mins",
    ),
    (
        &["10m", "10min", "10mins", "10minutes"],
        BarSize::Min10,
        "10 mins",
    ),
    (
        &["15m", "15min", "15mins", "15minutes"],
        BarSize::Min15,
        "15 mins",
    ),
    (
        &["20m", "20min", "20mins", "20minutes"],
        BarSize::Min20,
        "20 mins",
    ),
    (
        &["30m", "30min", "30mins", "30minutes"],
        BarSize::Min30,
        "30 mins",
    ),
    (
        &["1h", "1hr", "1hour", "1hours", "60m", "60min", "60mins"],
        BarSize::Hour,
        "1 hour",
    ),
    (&["2h", "2hr", "2hours"], BarSize::Hour2, "2 hours"),
    (&["3h", "3hr", "3hours"], BarSize::Hour3, "3 hours"),
    (&["4h", "4hr", "4hours"], BarSize::Hour4, "4 hours"),
    (&["8h", "8hr", "8hours"], BarSize::Hour8, "8 hours"),
    (&["1d", "1day", "1days", "daily"], BarSize::Day, "1 day"),
    (
        &["1w", "1wk", "1week", "1weeks", "weekly"],
        BarSize::Week,
        "1 week",
    ),
    (
        &["1mo", "1mon", "1month", "1months", "monthly"],
        BarSize::Month,
        "1 month",
    ),
];

/// Parses a bar size written any usual way (`"5 min"`, `"5m"`, `"5 mins"`, `"1 hour"`).
///
/// # Errors
/// [`Error::InvalidRequest`] listing the accepted sizes.
pub fn parse_bar_size(text: &str) -> Result<(BarSize, &'static str), Error> {
    let compact: String = text
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    BAR_SIZES
        .iter()
        .find(|(spellings, _, _)| spellings.contains(&compact.as_str()))
        .map(|(_, size, name)| (*size, *name))
        .ok_or_else(|| {
            let accepted: Vec<&str> = BAR_SIZES.iter().map(|(_, _, name)| *name).collect();
            Error::InvalidRequest(format!(
                "bar size `{text}` is not one of: {}",
                accepted.join(", ")
            ))
        })
}

/// Parses a duration (`"2 D"`, `"2 days"`, `"1 W"`, `"3 M"`, `"1 Y"`, `"3600 S"`).
///
/// # Errors
/// [`Error::InvalidRequest`] with the accepted forms.
pub fn parse_duration(text: &str) -> Result<(IbDuration, String), Error> {
    let bad = || {
        Error::InvalidRequest(format!(
            "duration `{text}` must be a count and a unit: S (seconds), D (days), W (weeks), M (months), Y (years), e.g. `2 D`"
        ))
    };
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let split = compact
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(bad)?;
    let (count, unit) = compact.split_at(split);
    let count: i32 = count.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
    let (duration, code) = match unit.to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => (IbDuration::seconds(count), "S"),
        "d" | "day" | "days" => (IbDuration::days(count), "D"),
        "w" | "wk" | "week" | "weeks" => (IbDuration::weeks(count), "W"),
        // An uppercase `M` in IBKR's own notation means months.
        "m" | "mo" | "mon" | "month" | "months" => (IbDuration::months(count), "M"),
        "y" | "yr" | "year" | "years" => (IbDuration::years(count), "Y"),
        _ => return Err(bad()),
    };
    Ok((duration, format!("{count} {code}")))
}

fn data_source(market_data_type: Option<MarketDataType>, advised_delayed: bool) -> DataSource {
    match market_data_type {
        Some(MarketDataType::Frozen) => DataSource::Frozen,
        Some(MarketDataType::Delayed) => DataSource::Delayed,
        Some(MarketDataType::DelayedFrozen) => DataSource::DelayedFrozen,
        _ if advised_delayed => DataSource::Delayed,
        _ => DataSource::Live,
    }
}

/// Quotes and bars. Get one with [`IbkrClient::market_data`].
#[derive(Debug, Clone, Copy)]
pub struct MarketData<'a> {
    client: &'a IbkrClient,
}

impl<'a> MarketData<'a> {
    pub(crate) fn new(client: &'a IbkrClient) -> Self {
        Self { client }
    }

    pub(crate) fn client(&self) -> &'a IbkrClient {
        self.client
    }

    /// A quote snapshot. When live data is not permitted and delayed fallback is on (the
    /// default), switches the connection to delayed data and asks again; the quote then
    /// says `source: delayed`.
    ///
    /// # Errors
    /// [`Error::NoMarketDataPermission`]; [`Error::UnknownContract`]; [`Error::Timeout`].
    pub async fn quote(&self, spec: &ContractSpec) -> Result<Quote, Error> {
        crate::timing::timed(
            "quote",
            Box::pin(async {
                let contract = self.client.contracts().resolve(spec).await?;
                self.quote_contract(&contract).await
            }),
        )
        .await
    }

    /// Quotes of several contracts, fetched concurrently; each result on its own.
    pub async fn quotes(&self, specs: &[ContractSpec]) -> Vec<Result<Quote, Error>> {
        futures::future::join_all(specs.iter().map(|spec| self.quote(spec))).await
    }

    /// A quote of a resolved contract.
    ///
    /// # Errors
    /// As [`quote`](Self::quote).
    pub async fn quote_contract(&self, contract: &ResolvedContract) -> Result<Quote, Error> {
        crate::timing::timed(
            "quote",
            Box::pin(async {
                // Only while the session is up: a stream learns of a loss a moment after the socket.
                if self.client.is_connected()
                    && let Some(live) = self.client.quote_cache().get(contract.con_id)
                {
                    return Ok(live);
                }
                let quote = self.snapshot_or_delayed(contract).await?;
                self.client.quote_cache().follow(self.client, contract);
                Ok(quote)
            }),
        )
        .await
    }

    async fn snapshot_or_delayed(&self, contract: &ResolvedContract) -> Result<Quote, Error> {
        match self.snapshot(contract).await {
            Err(Error::NoMarketDataPermission { .. })
                if self.client.config().delayed_data_fallback
                    && !self.client.uses_delayed_data() =>
            {
                tracing::info!(contract = %contract.describe(), "no live data permission; switching to delayed data");
                self.client
                    .bounded(
                        "switch to delayed data",
                        &contract.symbol,
                        self.client
                            .gateway()?
                            .switch_market_data_type(MarketDataType::Delayed),
                    )
                    .await?;
                self.client.set_delayed_data();
                self.snapshot(contract).await
            }
            other => other,
        }
    }

    async fn snapshot(&self, contract: &ResolvedContract) -> Result<Quote, Error> {
        let mut subscription = self
            .client
            .bounded(
                "quote",
                &contract.symbol,
                self.client
                    .gateway()?
                    .market_data(&contract.ib)
                    .snapshot()
                    .subscribe(),
            )
            .await?;
        let deadline = tokio::time::Instant::now() + self.client.request_timeout();
        let mut ticks = Vec::new();
        let mut advised_delayed = false;
        loop {
            match tokio::time::timeout_at(deadline, subscription.next()).await {
                Err(_) if ticks.is_empty() => {
                    return Err(Error::Timeout {
                        what: "quote",
                        after: self.client.request_timeout(),
                    });
                }
                Err(_)
                | Ok(None)
                | Ok(Some(Ok(SubscriptionItem::Data(TickTypes::SnapshotEnd)))) => break,
                Ok(Some(Ok(SubscriptionItem::Data(tick)))) => ticks.push(tick),
                Ok(Some(Ok(SubscriptionItem::Notice(notice)))) => {
                    advised_delayed |= matches!(notice.code, 10167 | 10089 | 10090 | 10091);
                }
                Ok(Some(Err(error))) => return Err(Error::from_ibapi(error, &contract.symbol)),
            }
        }
        let quote = IbQuote::from_ticks(&ticks);
        Ok(quote_from(contract, &quote, advised_delayed))
    }

    /// Historical bars.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a bar size or duration that cannot be read;
    /// [`Error::PacingViolation`], [`Error::NoData`], [`Error::NoMarketDataPermission`],
    /// [`Error::Timeout`].
    pub async fn bars(&self, spec: &ContractSpec, request: &BarsRequest) -> Result<Bars, Error> {
        crate::timing::timed(
            "bars",
            Box::pin(async {
                let (bar_size, bar_name) = parse_bar_size(&request.bar_size)?;
                let (duration, duration_name) = parse_duration(&request.duration)?;
                let contract = self.client.contracts().resolve(spec).await?;
                let gateway = self.client.gateway()?;
                let mut builder = gateway
                    .historical_data(&contract.ib, bar_size)
                    .duration(duration)
                    .what_to_show(request.what_to_show.to_ib())
                    .trading_hours(if request.regular_hours_only {
                        ibapi::market_data::TradingHours::Regular
                    } else {
                        ibapi::market_data::TradingHours::Extended
                    });
                if let Some(end) = request.end {
                    let end = time::OffsetDateTime::from_unix_timestamp(end.timestamp())
                        .map_err(|_| Error::InvalidRequest(format!("end {end} is out of range")))?;
                    builder = builder.ending(end);
                }
                let data = self
                    .client
                    .bounded("bars", &contract.symbol, builder.fetch())
                    .await?;
                let mut bars = Vec::with_capacity(data.bars.len());
                for bar in &data.bars {
                    let time = match bar.date {
                        BarTimestamp::Date(date) => date.midnight().assume_utc().unix_timestamp(),
                        BarTimestamp::DateTime(moment) => moment.unix_timestamp(),
                    };
                    let price = |value: f64, what: &str| {
                        boundary::from_ib(value).map(Price::new).ok_or_else(|| {
                            Error::InvalidRequest(format!(
                                "the gateway sent a bar without a {what}"
                            ))
                        })
                    };
                    bars.push(Bar {
                        time: DateTime::from_timestamp(time, 0).unwrap_or_default(),
                        open: price(bar.open, "open")?,
                        high: price(bar.high, "high")?,
                        low: price(bar.low, "low")?,
                        close: price(bar.close, "close")?,
                        volume: boundary::from_ib(bar.volume).map(Quantity::new),
                        wap: boundary::from_ib(bar.wap)
                            .filter(|w| !w.is_zero())
                            .map(Price::new),
                        count: bar.count,
                    });
                }
                Ok(Bars {
                    contract: contract.describe(),
                    bar_size: bar_name.into(),
                    duration: duration_name,
                    bars,
                })
            }),
        )
        .await
    }
}

/// Our quote from `ibapi`'s fold of the ticks so far.
pub(crate) fn quote_from(
    contract: &ResolvedContract,
    quote: &IbQuote,
    advised_delayed: bool,
) -> Quote {
    let price = |value: Option<f64>| {
        boundary::from_ib_opt(value)
            .filter(|p| !p.is_zero())
            .map(Price::new)
    };
    let size = |value: Option<f64>| boundary::from_ib_opt(value).map(Quantity::new);
    Quote {
        con_id: contract.con_id,
        contract: contract.describe(),
        bid: price(quote.bid),
        ask: price(quote.ask),
        last: price(quote.last),
        bid_size: size(quote.bid_size),
        ask_size: size(quote.ask_size),
        last_size: size(quote.last_size),
        volume: size(quote.volume),
        close: price(quote.close),
        timestamp: Utc::now(),
        source: data_source(quote.market_data_type, advised_delayed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_sizes_in_human_words() {
        for (text, name) in [
            ("5 min", "5 mins"),
            ("5m", "5 mins"),
            ("5 MINS", "5 mins"),
            ("1 hour", "1 hour"),
            ("1h", "1 hour"),
            ("1 day", "1 day"),
            ("1D", "1 day"),
            ("1 W", "1 week"),
            ("30 secs", "30 secs"),
        ] {
            assert_eq!(parse_bar_size(text).unwrap().1, name, "{text}");
        }
        let error = parse_bar_size("7 min").unwrap_err().to_string();
        assert!(
            error.contains("5 mins") && error.contains("7 min"),
            "{error}"
        );
    }

    #[test]
    fn durations_in_human_words() {
        for (text, name) in [
            ("2 D", "2 D"),
            ("2 days", "2 D"),
            ("1 W", "1 W"),
            ("1week", "1 W"),
            ("3 M", "3 M"),
            ("1 Y", "1 Y"),
            ("3600 S", "3600 S"),
        ] {
            assert_eq!(parse_duration(text).unwrap().1, name, "{text}");
        }
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("0 D").is_err());
        assert!(parse_duration("2 fortnights").is_err());
    }
}
