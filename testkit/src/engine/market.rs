//! Market configuration (filters, fees, starting price, simulated liquidity) and the
//! default set of markets.

use rust_decimal::Decimal;

use super::book::Book;
use super::types::{AssetId, MarketId};

/// Spot or perpetual.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketKind {
    /// Spot: trades move the base and quote balances.
    Spot,
    /// Perpetual settled in the quote asset: trades move positions.
    Perp {
        /// Initial margin fraction (0.1 is 10x leverage).
        imf: Decimal,
        /// Maintenance margin fraction (reported only; there is no liquidation).
        mmf: Decimal,
    },
}

/// Simulated market maker: a ladder of resting orders around the reference price,
/// re-quoted whenever the price moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MakerConfig {
    /// Levels per side.
    pub levels: u32,
    /// Distance from the reference price to the first level, in ticks.
    pub half_spread_ticks: i64,
    /// Distance between levels, in ticks.
    pub level_spacing_ticks: i64,
    /// Quantity per level, in base units.
    pub level_quantity: Decimal,
}

/// One market's rules and starting state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketConfig {
    /// Symbol, e.g. `SOL_USDC`.
    pub symbol: String,
    /// Base asset.
    pub base: String,
    /// Quote asset.
    pub quote: String,
    /// Spot or perpetual.
    pub kind: MarketKind,
    /// Price increment.
    pub tick_size: Decimal,
    /// Quantity increment.
    pub step_size: Decimal,
    /// Smallest order.
    pub min_quantity: Decimal,
    /// Largest order.
    pub max_quantity: Option<Decimal>,
    /// Maker fee as a fraction of the amount received (0.0002 = 2 bp).
    pub maker_fee: Decimal,
    /// Taker fee as a fraction.
    pub taker_fee: Decimal,
    /// Starting reference (mark/index) price; must be on the tick grid.
    pub reference_price: Decimal,
    /// Random-walk volatility per simulation step, in basis points.
    pub volatility_bps: u32,
    /// Simulated liquidity; `None` starts with an empty book.
    pub maker: Option<MakerConfig>,
}

fn dec(mantissa: i64, scale: u32) -> Decimal {
    Decimal::new(mantissa, scale)
}

impl MarketConfig {
    /// A spot market with 2 bp maker / 5 bp taker fees and no simulated liquidity.
    pub fn spot(
        base: &str,
        quote: &str,
        tick_size: Decimal,
        step_size: Decimal,
        reference_price: Decimal,
    ) -> Self {
        Self {
            symbol: format!("{base}_{quote}"),
            base: base.to_owned(),
            quote: quote.to_owned(),
            kind: MarketKind::Spot,
            tick_size,
            step_size,
            min_quantity: step_size,
            max_quantity: None,
            maker_fee: dec(2, 4),
            taker_fee: dec(5, 4),
            reference_price,
            volatility_bps: 10,
            maker: None,
        }
    }

    /// A perpetual settled in `quote`, 10x initial margin.
    pub fn perp(
        base: &str,
        quote: &str,
        tick_size: Decimal,
        step_size: Decimal,
        reference_price: Decimal,
    ) -> Self {
        Self {
            symbol: format!("{base}_{quote}_PERP"),
            kind: MarketKind::Perp {
                imf: dec(1, 1),
                mmf: dec(5, 2),
            },
            ..Self::spot(base, quote, tick_size, step_size, reference_price)
        }
    }

    /// With a simulated market maker of `levels` levels of `level_quantity` each.
    #[must_use]
    pub fn with_maker(mut self, levels: u32, level_quantity: Decimal) -> Self {
        self.maker = Some(MakerConfig {
            levels,
            half_spread_ticks: 5,
            level_spacing_ticks: 5,
            level_quantity,
        });
        self
    }

    /// Whether the market is a perpetual.
    pub fn is_perp(&self) -> bool {
        matches!(self.kind, MarketKind::Perp { .. })
    }

    /// The default markets: SOL, BTC and ETH spot against USDC, SOL and BTC perpetuals, all
    /// with simulated liquidity around realistic prices.
    pub fn defaults() -> Vec<MarketConfig> {
        vec![
            Self::spot("SOL", "USDC", dec(1, 2), dec(1, 2), dec(18_000, 2))
                .with_maker(10, dec(25, 0)),
            Self::spot("BTC", "USDC", dec(1, 1), dec(1, 5), dec(950_000, 1))
                .with_maker(10, dec(5, 2)),
            Self::spot("ETH", "USDC", dec(1, 2), dec(1, 4), dec(340_000, 2))
                .with_maker(10, dec(15, 1)),
            Self::perp("SOL", "USDC", dec(1, 2), dec(1, 2), dec(18_000, 2))
                .with_maker(10, dec(50, 0)),
            Self::perp("BTC", "USDC", dec(1, 1), dec(1, 4), dec(950_000, 1))
                .with_maker(10, dec(1, 1)),
        ]
    }
}

/// A public trade, kept for the trades and ticker endpoints.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TradeRecord {
    pub(crate) id: u64,
    pub(crate) price: i64,
    pub(crate) steps: i64,
    pub(crate) timestamp_ms: u64,
    pub(crate) buyer_is_maker: bool,
}

/// A market at run time.
#[derive(Debug)]
pub(crate) struct MarketState {
    pub(crate) id: MarketId,
    pub(crate) config: MarketConfig,
    pub(crate) base: AssetId,
    pub(crate) quote: AssetId,
    pub(crate) book: Book,
    /// Reference (mark and index) price, ticks.
    pub(crate) reference: i64,
    /// Last traded price, ticks.
    pub(crate) last: Option<i64>,
    pub(crate) trades: std::collections::VecDeque<TradeRecord>,
    /// Conditional orders waiting for a trigger.
    pub(crate) pending_triggers: Vec<super::types::OrderId>,
    /// Funding rate applied at the last funding time (perps).
    pub(crate) funding_rate: Decimal,
    pub(crate) next_funding_ms: u64,
    /// Past funding rates: `(interval end ms, rate)`, oldest first.
    pub(crate) funding_history: std::collections::VecDeque<(u64, Decimal)>,
    /// The random stream of this market's price walk.
    pub(crate) walk: rand_chacha::ChaCha8Rng,
}

impl MarketState {
    /// Price of `ticks`.
    pub(crate) fn price(&self, ticks: i64) -> Decimal {
        Decimal::from(ticks) * self.config.tick_size
    }

    /// Quantity of `steps`.
    pub(crate) fn quantity(&self, steps: i64) -> Decimal {
        Decimal::from(steps) * self.config.step_size
    }

    /// `price × quantity` of `ticks` and `steps`.
    pub(crate) fn notional(&self, ticks: i64, steps: i64) -> Decimal {
        Decimal::from(i128::from(ticks) * i128::from(steps))
            * self.config.tick_size
            * self.config.step_size
    }

    /// Whether the market is a perpetual.
    pub(crate) fn is_perp(&self) -> bool {
        self.config.is_perp()
    }

    /// Initial margin fraction (perps), zero for spot.
    pub(crate) fn imf(&self) -> Decimal {
        match self.config.kind {
            MarketKind::Perp { imf, .. } => imf,
            MarketKind::Spot => Decimal::ZERO,
        }
    }
}

/// `value / unit` when it is a whole number that fits an `i64`.
pub(crate) fn exact_units(value: Decimal, unit: Decimal) -> Option<i64> {
    use rust_decimal::prelude::ToPrimitive;
    if unit <= Decimal::ZERO {
        return None;
    }
    let units = value.checked_div(unit)?;
    if units.fract().is_zero() {
        units.to_i64()
    } else {
        None
    }
}

/// Whole units of `unit` in `value`, rounded down.
pub(crate) fn floor_units(value: Decimal, unit: Decimal) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    if unit <= Decimal::ZERO || value <= Decimal::ZERO {
        return 0;
    }
    value
        .checked_div(unit)
        .and_then(|units| units.floor().to_i64())
        .unwrap_or(0)
}
