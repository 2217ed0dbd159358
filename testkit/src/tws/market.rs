//! The fake gateway's instruments: contract definitions, quotes and a deterministic bar
//! generator. Prices are exact decimals here; doubles appear only when a protobuf message is
//! written.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::proto;

/// Which market data a client may see for an instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataPermission {
    /// Live (and delayed) data.
    #[default]
    Live,
    /// Only delayed data: a live request is refused with code 354.
    DelayedOnly,
    /// No data at all: every request is refused with code 354.
    None,
}

/// Top of book and session figures of an instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Quote {
    /// Best bid.
    pub bid: Decimal,
    /// Best ask.
    pub ask: Decimal,
    /// Last trade.
    pub last: Decimal,
    /// Size at the bid.
    pub bid_size: Decimal,
    /// Size at the ask.
    pub ask_size: Decimal,
    /// Size of the last trade.
    pub last_size: Decimal,
    /// Session volume.
    pub volume: Decimal,
    /// Previous close.
    pub close: Decimal,
}

impl Quote {
    /// A quote with a one-tick spread around `last`.
    pub fn around(last: Decimal, tick: Decimal, size: Decimal) -> Self {
        Self {
            bid: last - tick,
            ask: last + tick,
            last,
            bid_size: size,
            ask_size: size,
            last_size: Decimal::ONE,
            volume: Decimal::from(1_000_000),
            close: last,
        }
    }
}

/// A tradable (or quotable) instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct Instrument {
    /// IB contract id.
    pub con_id: i32,
    /// Symbol.
    pub symbol: String,
    /// `STK`, `FUT`, `OPT`, `IND`, `CASH`.
    pub sec_type: String,
    /// Routing exchange (`SMART`, `CME`, ...).
    pub exchange: String,
    /// Primary listing exchange.
    pub primary_exchange: String,
    /// Currency.
    pub currency: String,
    /// Exchange-local symbol.
    pub local_symbol: String,
    /// Last trading day, `YYYYMMDD` (futures and options).
    pub expiry: Option<String>,
    /// Option strike.
    pub strike: Option<Decimal>,
    /// Option right, `C` or `P`.
    pub right: Option<String>,
    /// Contract multiplier.
    pub multiplier: Decimal,
    /// Price increment.
    pub min_tick: Decimal,
    /// Long name.
    pub long_name: String,
    /// Current quote.
    pub quote: Quote,
    /// What data clients may see.
    pub permission: DataPermission,
    /// Whether orders may be placed (indices may not).
    pub tradable: bool,
}

fn d(text: &str) -> Decimal {
    text.parse().unwrap_or_default()
}

impl Instrument {
    fn stock(con_id: i32, symbol: &str, primary: &str, name: &str, last: &str) -> Self {
        Self {
            con_id,
            symbol: symbol.into(),
            sec_type: "STK".into(),
            exchange: "SMART".into(),
            primary_exchange: primary.into(),
            currency: "USD".into(),
            local_symbol: symbol.into(),
            expiry: None,
            strike: None,
            right: None,
            multiplier: Decimal::ONE,
            min_tick: d("0.01"),
            long_name: name.into(),
            quote: Quote::around(d(last), d("0.01"), Decimal::from(300)),
            permission: DataPermission::Live,
            tradable: true,
        }
    }

    /// The default instruments: AAPL, MSFT and SPY stocks; three quarterly ES futures; AAPL
    /// calls and puts on two expiries; the SPX index.
    pub fn defaults() -> Vec<Instrument> {
        let mut all = vec![
            Self::stock(265_598, "AAPL", "NASDAQ", "APPLE INC", "189.50"),
            Self::stock(272_093, "MSFT", "NASDAQ", "MICROSOFT CORP", "415.20"),
            Self::stock(756_733, "SPY", "ARCA", "SPDR S&P 500 ETF TRUST", "540.10"),
            Self {
                con_id: 416_904,
                symbol: "SPX".into(),
                sec_type: "IND".into(),
                exchange: "CBOE".into(),
                primary_exchange: "CBOE".into(),
                currency: "USD".into(),
                local_symbol: "SPX".into(),
                expiry: None,
                strike: None,
                right: None,
                multiplier: Decimal::ONE,
                min_tick: d("0.01"),
                long_name: "S&P 500 Stock Index".into(),
                quote: Quote::around(d("5400.00"), d("0.01"), Decimal::ZERO),
                permission: DataPermission::Live,
                tradable: false,
            },
        ];
        for (offset, (month, expiry, last)) in [
            ("H7", "20270319", "5425.25"),
            ("M7", "20270618", "5460.50"),
            ("Z6", "20261218", "5410.00"),
        ]
        .iter()
        .enumerate()
        {
            all.push(Self {
                con_id: 620_731_015 + i32::try_from(offset).unwrap_or(0),
                symbol: "ES".into(),
                sec_type: "FUT".into(),
                exchange: "CME".into(),
                primary_exchange: "CME".into(),
                currency: "USD".into(),
                local_symbol: format!("ES{month}"),
                expiry: Some((*expiry).into()),
                strike: None,
                right: None,
                multiplier: Decimal::from(50),
                min_tick: d("0.25"),
                long_name: "E-mini S&P 500".into(),
                quote: Quote::around(d(last), d("0.25"), Decimal::from(40)),
                permission: DataPermission::Live,
                tradable: true,
            });
        }
        let mut con_id = 700_000_001;
        for expiry in ["20261218", "20270115"] {
            for strike in ["180", "190", "200"] {
                for right in ["C", "P"] {
                    let strike_value = d(strike);
                    let intrinsic = match right {
                        "C" => (d("189.50") - strike_value).max(Decimal::ZERO),
                        _ => (strike_value - d("189.50")).max(Decimal::ZERO),
                    };
                    let premium = intrinsic + d("4.35");
                    all.push(Self {
                        con_id,
                        symbol: "AAPL".into(),
                        sec_type: "OPT".into(),
                        exchange: "SMART".into(),
                        primary_exchange: "CBOE".into(),
                        currency: "USD".into(),
                        local_symbol: format!(
                            "AAPL  {}{}{:0>8}",
                            &expiry[2..],
                            right,
                            strike_value * Decimal::from(1000)
                        ),
                        expiry: Some(expiry.into()),
                        strike: Some(strike_value),
                        right: Some(right.into()),
                        multiplier: Decimal::from(100),
                        min_tick: d("0.01"),
                        long_name: "APPLE INC".into(),
                        quote: Quote::around(premium, d("0.05"), Decimal::from(20)),
                        permission: DataPermission::Live,
                        tradable: true,
                    });
                    con_id += 1;
                }
            }
        }
        all
    }

    /// Whether a requested contract describes this instrument. Empty fields match anything;
    /// `SMART` matches any exchange; a `YYYYMM` expiry matches that month.
    pub fn matches(&self, wanted: &proto::Contract) -> bool {
        if let Some(con_id) = wanted.con_id.filter(|id| *id != 0) {
            return con_id == self.con_id;
        }
        let text = field;
        let same =
            |wanted: Option<&str>, have: &str| wanted.is_none_or(|w| w.eq_ignore_ascii_case(have));
        if !same(text(&wanted.symbol), &self.symbol)
            || !same(text(&wanted.sec_type), &self.sec_type)
        {
            return false;
        }
        if !same(text(&wanted.currency), &self.currency) {
            return false;
        }
        if let Some(exchange) = text(&wanted.exchange) {
            let smart = exchange.eq_ignore_ascii_case("SMART");
            let ours = exchange.eq_ignore_ascii_case(&self.exchange)
                || exchange.eq_ignore_ascii_case(&self.primary_exchange);
            if !smart && !ours {
                return false;
            }
        }
        if let Some(expiry) = text(&wanted.last_trade_date_or_contract_month)
            && !self
                .expiry
                .as_deref()
                .is_some_and(|have| have.starts_with(expiry))
        {
            return false;
        }
        // The wire strike is a double; compare its shortest text as a decimal, exactly.
        if let Some(strike) = wanted.strike.filter(|s| *s != 0.0) {
            let wanted_strike = strike.to_string().parse::<Decimal>().ok();
            if wanted_strike.is_none() || self.strike != wanted_strike {
                return false;
            }
        }
        if let Some(right) = text(&wanted.right) {
            let right = &right[..1];
            if !self
                .right
                .as_deref()
                .is_some_and(|have| have.eq_ignore_ascii_case(right))
            {
                return false;
            }
        }
        true
    }

    /// The contract as replies describe it.
    pub fn contract(&self) -> proto::Contract {
        proto::Contract {
            con_id: Some(self.con_id),
            symbol: Some(self.symbol.clone()),
            sec_type: Some(self.sec_type.clone()),
            last_trade_date_or_contract_month: self.expiry.clone(),
            strike: self.strike.and_then(|s| s.to_f64()),
            right: self.right.clone(),
            multiplier: (self.multiplier != Decimal::ONE)
                .then(|| self.multiplier.to_f64())
                .flatten(),
            exchange: Some(self.exchange.clone()),
            primary_exch: Some(self.primary_exchange.clone()),
            currency: Some(self.currency.clone()),
            local_symbol: Some(self.local_symbol.clone()),
            trading_class: Some(if self.sec_type == "OPT" {
                self.symbol.clone()
            } else {
                self.local_symbol.clone()
            }),
            description: None,
            last_trade_date: self.expiry.clone(),
        }
    }

    /// Contract details as replies describe them.
    pub fn details(&self) -> proto::ContractDetails {
        proto::ContractDetails {
            market_name: Some(self.symbol.clone()),
            min_tick: Some(self.min_tick.normalize().to_string()),
            order_types: Some("LMT,MKT,STP,STP LMT,TRAIL,TRAIL LIMIT,MOC,LOC,MOO,LOO".into()),
            valid_exchanges: Some(format!("SMART,{}", self.primary_exchange)),
            under_con_id: None,
            long_name: Some(self.long_name.clone()),
            contract_month: self.expiry.as_ref().map(|e| e[..6].to_owned()),
            time_zone_id: Some("US/Eastern".into()),
            under_symbol: (self.sec_type == "OPT" || self.sec_type == "FUT")
                .then(|| self.symbol.clone()),
            under_sec_type: match self.sec_type.as_str() {
                "OPT" => Some("STK".into()),
                "FUT" => Some("IND".into()),
                _ => None,
            },
            real_expiration_date: self.expiry.clone(),
            min_size: Some("1".into()),
            size_increment: Some("1".into()),
        }
    }
}

/// A requested text field, trimmed; `None` when absent or empty.
fn field(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A bar of the deterministic history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeneratedBar {
    /// Bar start, seconds since the epoch.
    pub time: i64,
    /// Open.
    pub open: Decimal,
    /// High.
    pub high: Decimal,
    /// Low.
    pub low: Decimal,
    /// Close.
    pub close: Decimal,
    /// Volume.
    pub volume: Decimal,
    /// Number of trades.
    pub count: i32,
}

/// A reproducible price history: the same instrument and times always give the same bars.
/// Prices wander around the instrument's last price by a hash-driven walk on its tick grid.
pub fn bars(
    instrument: &Instrument,
    start: i64,
    end: i64,
    step: i64,
    limit: usize,
) -> Vec<GeneratedBar> {
    let mut out = Vec::new();
    if step <= 0 || end <= start {
        return out;
    }
    let tick = instrument.min_tick.max(d("0.01"));
    let mut time = start - start.rem_euclid(step);
    while time < end && out.len() < limit {
        let mix = |salt: i64| {
            let mut x = (time as u64)
                ^ (i64::from(instrument.con_id) as u64).rotate_left(17)
                ^ (salt as u64).rotate_left(41);
            x ^= x >> 33;
            x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
            x ^= x >> 33;
            x
        };
        // Up to ±2% from the current last, in ticks.
        let span = (instrument.quote.last * d("0.02") / tick)
            .trunc()
            .to_i64()
            .unwrap_or(100)
            .max(1);
        let offset =
            |salt: i64| Decimal::from((mix(salt) % (2 * span as u64 + 1)) as i64 - span) * tick;
        let open = (instrument.quote.last + offset(1)).max(tick);
        let close = (instrument.quote.last + offset(2)).max(tick);
        let wiggle = Decimal::from(mix(3) % 8) * tick;
        out.push(GeneratedBar {
            time,
            open,
            high: open.max(close) + wiggle,
            low: (open.min(close) - wiggle).max(tick),
            close,
            volume: Decimal::from(1_000 + mix(4) % 50_000),
            count: i32::try_from(10 + mix(5) % 500).unwrap_or(10),
        });
        time += step;
    }
    out
}
