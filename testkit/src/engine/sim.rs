//! The living market: a seeded random walk of each reference price, a market maker that
//! re-quotes a ladder around it, and perp funding. Time only moves in
//! [`Exchange::advance_to`].

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use rust_decimal::{Decimal, RoundingStrategy};

use super::account::{Account, FundingRecord};
use super::market::floor_units;
use super::order::NewOrder;
use super::types::{MarketId, Side};
use super::{Exchange, MARKET_MAKER_KEY};

/// Most price steps simulated in one advance; a longer gap jumps the clock.
const MAX_STEPS_PER_ADVANCE: u64 = 100_000;
/// Balance of every asset the market maker starts with.
const MAKER_BALANCE: i64 = 1_000_000_000_000;

impl Exchange {
    pub(crate) fn start_market_maker(&mut self) {
        let balances: Vec<(String, Decimal)> = self
            .assets
            .iter()
            .map(|asset| (asset.clone(), Decimal::from(MAKER_BALANCE)))
            .collect();
        let borrowed: Vec<(&str, Decimal)> =
            balances.iter().map(|(a, d)| (a.as_str(), *d)).collect();
        match self.add_account(MARKET_MAKER_KEY, &borrowed) {
            Ok(id) => self.maker = Some(id),
            Err(_) => return,
        }
        for index in 0..self.markets.len() {
            self.requote(MarketId(u16::try_from(index).unwrap_or(u16::MAX)));
        }
    }

    /// Replaces the market maker's ladder around the reference price.
    fn requote(&mut self, market: MarketId) {
        let Some(maker) = self.maker else { return };
        let index = usize::from(market.0);
        let Some(config) = self.markets[index].config.maker.clone() else {
            return;
        };
        for id in std::mem::take(&mut self.maker_orders[index]) {
            self.cancel_open(id);
        }
        let state = &self.markets[index];
        let steps = floor_units(config.level_quantity, state.config.step_size).max(1);
        let reference = state.reference;
        let mut placed = Vec::with_capacity(config.levels as usize * 2);
        for level in 0..i64::from(config.levels) {
            let offset = config.half_spread_ticks + level * config.level_spacing_ticks;
            for (side, price) in [
                (Side::Bid, reference - offset),
                (Side::Ask, reference + offset),
            ] {
                if price < 1 {
                    continue;
                }
                if let Ok(id) = self.submit(maker, NewOrder::limit(market, side, price, steps))
                    && self.orders.contains_key(&id)
                {
                    placed.push(id);
                }
            }
        }
        self.maker_orders[index] = placed;
    }

    /// The random stream of market `id`'s walk: the seed's, one stream per market.
    pub(crate) fn walk_rng(seed: u64, id: MarketId) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(u64::from(id.0));
        rng
    }

    /// Moves simulated time to `now_ms`: each market's reference price takes one random step
    /// per `step_ms` elapsed, the market maker re-quotes (its new quotes may fill resting
    /// orders), triggers watching the price fire, and perp funding is paid when due.
    /// Time never goes backwards; an earlier `now_ms` does nothing.
    pub fn advance_to(&mut self, now_ms: u64) {
        if now_ms <= self.now_ms {
            return;
        }
        let step_ms = self.config.step_ms.max(1);
        let steps = ((now_ms - self.last_step_ms) / step_ms).min(MAX_STEPS_PER_ADVANCE);
        self.last_step_ms = if steps == MAX_STEPS_PER_ADVANCE {
            now_ms
        } else {
            self.last_step_ms + steps * step_ms
        };
        self.now_ms = now_ms;
        let mut ranges = Vec::with_capacity(self.markets.len());
        for market in &mut self.markets {
            let start = market.reference;
            let (mut low, mut high) = (start, start);
            if market.config.volatility_bps > 0 {
                for _ in 0..steps {
                    // Each step is at most `volatility_bps` of the price it starts from.
                    let amplitude = (market.reference * i64::from(market.config.volatility_bps)
                        / 10_000)
                        .max(1);
                    let span = u64::try_from(2 * amplitude + 1).unwrap_or(1);
                    let draw = i64::try_from(market.walk.next_u64() % span).unwrap_or(0);
                    market.reference = (market.reference + draw - amplitude).max(1);
                    low = low.min(market.reference);
                    high = high.max(market.reference);
                }
            }
            ranges.push((market.id, start != market.reference, (low, high)));
        }
        for (market, moved, range) in ranges {
            if moved {
                self.requote(market);
            }
            self.run_triggers(market, Some(range));
        }
        self.pay_funding();
    }

    fn pay_funding(&mut self) {
        let interval = self.config.funding_interval_ms.max(1);
        for index in 0..self.markets.len() {
            if !self.markets[index].is_perp() {
                continue;
            }
            let mut due = 0;
            while self.markets[index].next_funding_ms <= self.now_ms && due < 1_000 {
                self.markets[index].next_funding_ms += interval;
                due += 1;
            }
            if due == 0 {
                continue;
            }
            if self.markets[index].next_funding_ms <= self.now_ms {
                // Far behind: skip the missed intervals rather than loop forever.
                self.markets[index].next_funding_ms = self.now_ms + interval;
            }
            for _ in 0..due.min(24) {
                self.fund_market(index);
            }
        }
    }

    /// One funding payment: longs pay shorts `position × mark × rate` when the rate is
    /// positive. The rate is a base interest of 0.00125% plus the premium of the last trade
    /// over the mark price, clamped to ±0.05%. Payments are rounded to 8 decimals; what
    /// rounding leaves over goes to the fee pool, so the quote asset is conserved exactly.
    fn fund_market(&mut self, index: usize) {
        let market = &self.markets[index];
        let mark = market.price(market.reference);
        let premium = match market.last {
            Some(last) if mark > Decimal::ZERO => (market.price(last) - mark) / mark,
            _ => Decimal::ZERO,
        };
        let rate = (Decimal::new(125, 7) + premium)
            .clamp(Decimal::new(-5, 4), Decimal::new(5, 4))
            .round_dp_with_strategy(8, RoundingStrategy::ToZero);
        let (market_id, quote, step) = (market.id, market.quote, market.config.step_size);
        let now = self.now_ms;
        let limit = self.config.history_limit;
        let mut total = Decimal::ZERO;
        for account in &mut self.accounts {
            let Some(position) = account.positions.get_mut(&market_id) else {
                continue;
            };
            if position.net_steps == 0 {
                continue;
            }
            let size = Decimal::from(position.net_steps) * step;
            let payment = -(size * mark * rate).round_dp_with_strategy(8, RoundingStrategy::ToZero);
            position.funding += payment;
            if payment >= Decimal::ZERO {
                account.credit(quote, payment);
            } else {
                account.debit(quote, -payment);
            }
            total += payment;
            Account::log(
                &mut account.funding,
                FundingRecord {
                    market: market_id,
                    amount: payment,
                    rate,
                    timestamp_ms: now,
                },
                limit,
            );
        }
        self.fees[usize::from(quote.0)] -= total;
        let market = &mut self.markets[index];
        market.funding_rate = rate;
        Account::log(&mut market.funding_history, (now, rate), limit);
    }
}
