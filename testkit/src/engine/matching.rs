//! Placing, matching, settling and cancelling orders.

use rust_decimal::{Decimal, RoundingStrategy};

use super::account::{Account, FillRecord};
use super::events::{EngineEvent, OrderChange};
use super::market::{TradeRecord, floor_units};
use super::order::{Kind, NewOrder, OrderRecord, Size};
use super::types::{
    AccountId, AssetId, Expiry, MarketId, OrderId, Reject, RejectKind, Side, Status, Stp,
    TimeInForce, TriggerSize,
};
use super::{Exchange, order::Crossing};

/// Largest price (ticks) and size (steps) the engine accepts, so money never overflows.
const MAX_UNITS: i64 = 1_000_000_000_000_000;
/// Trades kept per market for the trades and ticker endpoints.
const TRADES_KEPT: usize = 10_000;

/// How the matching loop ended.
enum MatchEnd {
    /// The order's size (or quote budget) is used up.
    Done,
    /// No more acceptable liquidity.
    Book,
    /// Stopped early; the order expires for this reason.
    Stopped(Expiry),
}

/// Which order gave up an asset in a fill, and whether from its reservation.
struct Party {
    account: AccountId,
    reserved: bool,
    maker: bool,
}

fn fee(amount: Decimal, rate: Decimal) -> Decimal {
    (amount * rate).round_dp_with_strategy(8, RoundingStrategy::ToZero)
}

impl Exchange {
    /// Places an order. Returns its id; the order may already be filled, resting, waiting
    /// for its trigger, or expired (see [`Exchange::order`]).
    ///
    /// # Errors
    /// [`Reject`] (the exchange's 4xx answer) when the order is refused outright: unknown
    /// market, sizes off the grid or out of bounds, duplicate client id, insufficient funds
    /// or margin. A refused order leaves no trace.
    pub fn submit(&mut self, account: AccountId, order: NewOrder) -> Result<OrderId, Reject> {
        self.validate(account, &order)?;
        self.place(account, order)
    }

    /// [`submit`](Self::submit) without the market's size and price checks (the paper
    /// feed mirrors levels that are whatever the real book holds).
    pub(crate) fn place(&mut self, account: AccountId, order: NewOrder) -> Result<OrderId, Reject> {
        let id = self.next_order_id();
        let market = order.market;
        let mut record = OrderRecord {
            id,
            account,
            order,
            created_ms: self.now_ms,
            status: Status::New,
            executed: 0,
            executed_quote: Decimal::ZERO,
            reserved: Decimal::ZERO,
            crossing: None,
            triggered_ms: None,
            related: None,
            sibling: None,
            node: None,
        };
        if let Some(trigger) = record.order.trigger {
            let current = self.watched_price(market, trigger.source);
            record.crossing = Some(if trigger.price >= current {
                Crossing::Rising
            } else {
                Crossing::Falling
            });
            record.status = Status::TriggerPending;
            self.open(record);
            self.run_triggers(market, None);
            return Ok(id);
        }
        self.activate(record).map_err(|(reject, _)| reject)?;
        self.run_triggers(market, None);
        Ok(id)
    }

    fn validate(&self, account: AccountId, order: &NewOrder) -> Result<(), Reject> {
        let owner = self
            .accounts
            .get(account.0 as usize)
            .ok_or_else(|| Reject::new(RejectKind::UnknownAccount, "Unknown account"))?;
        let market = self
            .markets
            .get(usize::from(order.market.0))
            .ok_or_else(|| Reject::invalid("Invalid market symbol"))?;
        let in_bounds = |units: i64| (1..=MAX_UNITS).contains(&units);
        match order.size {
            Size::Base(steps) => {
                if !in_bounds(steps) {
                    return Err(Reject::invalid("Quantity is invalid"));
                }
                let quantity = market.quantity(steps);
                if quantity < market.config.min_quantity {
                    return Err(Reject::invalid(format!(
                        "Quantity is below the minimum allowed value of {}",
                        market.config.min_quantity
                    )));
                }
                if market.config.max_quantity.is_some_and(|max| quantity > max) {
                    return Err(Reject::invalid(
                        "Quantity is above the maximum allowed value",
                    ));
                }
            }
            Size::Quote(amount) => {
                if amount <= Decimal::ZERO || !matches!(order.kind, Kind::Market) {
                    return Err(Reject::invalid(
                        "Quote quantity is only valid on market orders",
                    ));
                }
                if amount > Decimal::from(MAX_UNITS) {
                    return Err(Reject::invalid("Quote quantity is invalid"));
                }
            }
        }
        if let Kind::Limit { price, .. } = order.kind {
            if !in_bounds(price) {
                return Err(Reject::new(RejectKind::InvalidPrice, "Price is invalid"));
            }
            if let Size::Base(steps) = order.size
                && i128::from(price) * i128::from(steps) > i128::from(MAX_UNITS) * 1_000
            {
                return Err(Reject::invalid("Order value is too large"));
            }
        }
        if order.reduce_only && !market.is_perp() {
            return Err(Reject::new(
                RejectKind::InvalidOrder,
                "Reduce only orders are only supported on futures markets",
            ));
        }
        if let Some(trigger) = order.trigger {
            let size_ok = match trigger.size {
                TriggerSize::Steps(steps) => in_bounds(steps),
                TriggerSize::Percent(percent) => {
                    percent > Decimal::ZERO && percent <= Decimal::ONE_HUNDRED
                }
            };
            if !in_bounds(trigger.price) || !size_ok {
                return Err(Reject::invalid("Invalid trigger"));
            }
        }
        for exit in [order.exits.take_profit, order.exits.stop_loss]
            .into_iter()
            .flatten()
        {
            if !in_bounds(exit.trigger) || exit.limit.is_some_and(|limit| !in_bounds(limit)) {
                return Err(Reject::invalid("Invalid take profit or stop loss price"));
            }
        }
        if let Some(client_id) = order.client_id
            && owner.open_by_client_id.contains_key(&client_id)
        {
            return Err(Reject::new(
                RejectKind::InvalidOrder,
                format!("Order with client ID already exists: {client_id}"),
            ));
        }
        Ok(())
    }

    /// Puts a live order (new or just triggered) to work: reserve, match, rest or expire.
    /// On refusal, returns the record unchanged with the reason.
    pub(crate) fn activate(
        &mut self,
        mut record: OrderRecord,
    ) -> Result<(), (Reject, Box<OrderRecord>)> {
        let market_index = usize::from(record.order.market.0);
        if record.order.reduce_only {
            let position = self.position(record.account, record.order.market).net_steps;
            let reducible = match record.order.side {
                Side::Bid if position < 0 => -position,
                Side::Ask if position > 0 => position,
                _ => 0,
            };
            if reducible == 0 {
                self.emit_order(OrderChange::Accepted, &record);
                record.status = Status::Expired(Expiry::ReduceOnlyNotReduced);
                self.finish(record);
                return Ok(());
            }
            if let Size::Base(steps) = record.order.size {
                record.order.size = Size::Base(steps.min(reducible));
            }
        }
        let required = self.reserve_for(&record);
        if required > Decimal::ZERO {
            let market = &self.markets[market_index];
            let asset = self.reserve_asset(&record);
            if market.is_perp() && self.free_margin(record.account, market.quote) < required {
                return Err((
                    Reject::new(RejectKind::InsufficientMargin, "Insufficient margin"),
                    Box::new(record),
                ));
            }
            if !self.accounts[record.account.0 as usize].lock(asset, required) {
                return Err((
                    Reject::new(RejectKind::InsufficientFunds, "Insufficient funds"),
                    Box::new(record),
                ));
            }
            record.reserved = required;
        }
        self.emit_order(OrderChange::Accepted, &record);
        if let Kind::Limit {
            price,
            tif,
            post_only,
        } = record.order.kind
        {
            let book = &self.markets[market_index].book;
            let (bid, ask) = book.top();
            let crosses = match record.order.side {
                Side::Bid => ask.is_some_and(|ask| ask <= price),
                Side::Ask => bid.is_some_and(|bid| bid >= price),
            };
            if post_only && crosses {
                record.status = Status::Expired(Expiry::PostOnlyTaker);
                self.finish(record);
                return Ok(());
            }
            if tif == TimeInForce::Fok {
                let wanted = record.remaining();
                let stop_at_own = record.order.stp != Stp::RejectMaker;
                let available = book.available_to_take(
                    record.order.side,
                    Some(price),
                    record.account,
                    wanted,
                    stop_at_own,
                );
                if available < wanted {
                    record.status = Status::Expired(Expiry::FillOrKill);
                    self.finish(record);
                    return Ok(());
                }
            }
        }
        let end = self.match_order(&mut record);
        let remaining = record.remaining();
        record.status = match (end, record.order.kind) {
            (MatchEnd::Stopped(expiry), _) => Status::Expired(expiry),
            (MatchEnd::Done, _) => Status::Filled,
            (MatchEnd::Book, Kind::Limit { price, tif, .. }) => match tif {
                TimeInForce::Gtc if remaining > 0 => {
                    let node = self.markets[market_index].book.insert(
                        record.id,
                        record.account,
                        record.order.side,
                        price,
                        remaining,
                    );
                    record.node = Some(node);
                    record.status = if record.executed > 0 {
                        Status::PartiallyFilled
                    } else {
                        Status::New
                    };
                    self.open(record);
                    return Ok(());
                }
                TimeInForce::Gtc => Status::Filled,
                TimeInForce::Ioc | TimeInForce::Fok => Status::Expired(Expiry::ImmediateOrCancel),
            },
            (MatchEnd::Book, Kind::Market) => Status::Expired(Expiry::InsufficientLiquidity),
        };
        self.finish(record);
        Ok(())
    }

    fn match_order(&mut self, taker: &mut OrderRecord) -> MatchEnd {
        let market_index = usize::from(taker.order.market.0);
        loop {
            let wanted = match taker.order.size {
                Size::Base(steps) => steps - taker.executed,
                Size::Quote(_) => i64::MAX,
            };
            if wanted <= 0 {
                return MatchEnd::Done;
            }
            let Some((price, node_index)) = self.markets[market_index]
                .book
                .best(taker.order.side.opposite())
            else {
                return MatchEnd::Book;
            };
            if let Kind::Limit { price: limit, .. } = taker.order.kind {
                let acceptable = match taker.order.side {
                    Side::Bid => price <= limit,
                    Side::Ask => price >= limit,
                };
                if !acceptable {
                    return MatchEnd::Book;
                }
            }
            let node = self.markets[market_index].book.node(node_index);
            if node.account == taker.account {
                match taker.order.stp {
                    Stp::RejectTaker => return MatchEnd::Stopped(Expiry::SelfTradePrevention),
                    Stp::RejectMaker => {
                        self.expire_resting(node.order, Expiry::SelfTradePrevention);
                        continue;
                    }
                    Stp::RejectBoth => {
                        self.expire_resting(node.order, Expiry::SelfTradePrevention);
                        return MatchEnd::Stopped(Expiry::SelfTradePrevention);
                    }
                }
            }
            let mut steps = wanted.min(node.remaining);
            if let Size::Quote(budget) = taker.order.size {
                let market = &self.markets[market_index];
                let per_step = market.price(price) * market.config.step_size;
                steps = steps.min(floor_units(budget - taker.executed_quote, per_step));
                if steps == 0 {
                    return MatchEnd::Done;
                }
            }
            let (affordable, shortage) = self.affordable(taker, price, steps);
            if affordable > 0 {
                self.fill(taker, node_index, price, affordable);
            }
            if affordable < steps {
                return MatchEnd::Stopped(shortage);
            }
        }
    }

    /// How many of `steps` at `price` a taker without a reservation can pay for.
    fn affordable(&self, taker: &OrderRecord, price: i64, steps: i64) -> (i64, Expiry) {
        if taker.reserved > Decimal::ZERO || taker.order.reduce_only {
            return (steps, Expiry::InsufficientFunds);
        }
        let market = &self.markets[usize::from(taker.order.market.0)];
        let account = &self.accounts[taker.account.0 as usize];
        if market.is_perp() {
            let position = self.position(taker.account, market.id).net_steps;
            let reducing = match taker.order.side {
                Side::Bid if position < 0 => -position,
                Side::Ask if position > 0 => position,
                _ => 0,
            };
            if steps <= reducing {
                return (steps, Expiry::InsufficientMargin);
            }
            let per_step = market.price(price) * market.config.step_size * market.imf();
            let free = self.free_margin(taker.account, market.quote);
            let payable = reducing + floor_units(free, per_step);
            return (steps.min(payable), Expiry::InsufficientMargin);
        }
        let payable = match taker.order.side {
            Side::Bid => floor_units(
                account.balance(market.quote).available,
                market.price(price) * market.config.step_size,
            ),
            Side::Ask => floor_units(
                account.balance(market.base).available,
                market.config.step_size,
            ),
        };
        (steps.min(payable), Expiry::InsufficientFunds)
    }

    /// Settles one fill between the taker and the resting order at `node_index`.
    fn fill(&mut self, taker: &mut OrderRecord, node_index: u32, price: i64, steps: i64) {
        let market_index = usize::from(taker.order.market.0);
        let node = self.markets[market_index].book.node(node_index);
        let Some(mut maker) = self.orders.remove(&node.order) else {
            // A book node without an order record would be an engine bug; drop the node
            // rather than trade against nothing.
            self.markets[market_index].book.remove(node_index);
            return;
        };
        let market = &self.markets[market_index];
        let notional = market.notional(price, steps);
        let quantity = market.quantity(steps);
        let (maker_fee, taker_fee) = (market.config.maker_fee, market.config.taker_fee);
        let (base, quote, market_id) = (market.base, market.quote, market.id);
        let taker_party = Party {
            account: taker.account,
            reserved: taker.reserved > Decimal::ZERO,
            maker: false,
        };
        let maker_party = Party {
            account: maker.account,
            reserved: maker.reserved > Decimal::ZERO,
            maker: true,
        };
        let (buyer, seller) = match taker.order.side {
            Side::Bid => (taker_party, maker_party),
            Side::Ask => (maker_party, taker_party),
        };
        let rate = |party: &Party| if party.maker { maker_fee } else { taker_fee };
        let (buyer_fee, seller_fee, buyer_fee_asset, seller_fee_asset);
        if market.is_perp() {
            let price_value = market.price(price);
            let step_size = market.config.step_size;
            let per_steps = move |s: i64| price_value * Decimal::from(s) * step_size;
            buyer_fee = fee(notional, rate(&buyer));
            seller_fee = fee(notional, rate(&seller));
            buyer_fee_asset = quote;
            seller_fee_asset = quote;
            for (party, signed, paid) in [(&buyer, steps, buyer_fee), (&seller, -steps, seller_fee)]
            {
                let account = &mut self.accounts[party.account.0 as usize];
                let realized = account.apply_perp_fill(market_id, signed, notional, per_steps);
                if realized >= Decimal::ZERO {
                    account.credit(quote, realized);
                } else {
                    account.debit(quote, -realized);
                }
                account.debit(quote, paid);
            }
        } else {
            buyer_fee = fee(quantity, rate(&buyer));
            seller_fee = fee(notional, rate(&seller));
            buyer_fee_asset = base;
            seller_fee_asset = quote;
            let buyer_account = &mut self.accounts[buyer.account.0 as usize];
            if buyer.reserved {
                buyer_account.spend_locked(quote, notional);
            } else {
                buyer_account.debit(quote, notional);
            }
            buyer_account.credit(base, quantity - buyer_fee);
            let seller_account = &mut self.accounts[seller.account.0 as usize];
            if seller.reserved {
                seller_account.spend_locked(base, quantity);
            } else {
                seller_account.debit(base, quantity);
            }
            seller_account.credit(quote, notional - seller_fee);
        }
        self.fees[usize::from(buyer_fee_asset.0)] += buyer_fee;
        self.fees[usize::from(seller_fee_asset.0)] += seller_fee;

        // Reservations: what was paid out of them, then release what is no longer needed.
        let spot = !self.markets[market_index].is_perp();
        for order in [&mut *taker, &mut maker] {
            order.executed += steps;
            order.executed_quote += notional;
            if spot && order.reserved > Decimal::ZERO {
                order.reserved -= match order.order.side {
                    Side::Bid => notional,
                    Side::Ask => quantity,
                };
            }
        }
        self.release_excess(taker);
        self.release_excess(&mut maker);

        let trade_id = self.next_trade_id;
        self.next_trade_id += 1;
        let now = self.now_ms;
        let history_limit = self.config.history_limit;
        let fee_of = |side: Side| match side {
            Side::Bid => (buyer_fee, buyer_fee_asset),
            Side::Ask => (seller_fee, seller_fee_asset),
        };
        for (order, is_maker) in [(&*taker, false), (&maker, true)] {
            let (fee_paid, fee_asset) = fee_of(order.order.side);
            let account = &mut self.accounts[order.account.0 as usize];
            Account::log(
                &mut account.fills,
                FillRecord {
                    trade_id,
                    order_id: order.id,
                    client_id: order.order.client_id,
                    market: market_id,
                    side: order.order.side,
                    price,
                    steps,
                    fee: fee_paid,
                    fee_asset,
                    is_maker,
                    timestamp_ms: now,
                },
                history_limit,
            );
        }
        if self.recording() {
            self.emit_fill(
                taker,
                trade_id,
                price,
                steps,
                fee_of(taker.order.side),
                false,
            );
            self.emit_fill(
                &maker,
                trade_id,
                price,
                steps,
                fee_of(maker.order.side),
                true,
            );
            let (buyer_order, seller_order) = match taker.order.side {
                Side::Bid => (taker.id.0, maker.id.0),
                Side::Ask => (maker.id.0, taker.id.0),
            };
            self.emit(EngineEvent::Trade {
                market: market_id,
                id: trade_id,
                price,
                steps,
                buyer_is_maker: taker.order.side == Side::Ask,
                buyer_order,
                seller_order,
                at_ms: now,
            });
            if !spot {
                for account in [taker.account, maker.account] {
                    self.emit(EngineEvent::Position {
                        account,
                        market: market_id,
                    });
                }
            }
        }
        let market = &mut self.markets[market_index];
        market.last = Some(price);
        Account::log(
            &mut market.trades,
            TradeRecord {
                id: trade_id,
                price,
                steps,
                timestamp_ms: now,
                buyer_is_maker: taker.order.side == Side::Ask,
            },
            TRADES_KEPT,
        );
        if maker.remaining() == 0 {
            market.book.remove(node_index);
            maker.node = None;
            maker.status = Status::Filled;
            self.finish(maker);
        } else {
            market.book.reduce(node_index, steps);
            maker.status = Status::PartiallyFilled;
            self.orders.insert(maker.id, maker);
        }
    }

    /// Locks for an order: the quote value of a spot buy, the base of a spot sell, the
    /// initial margin of a perp order (none for reduce-only, market or pending orders).
    pub(crate) fn reserve_for(&self, record: &OrderRecord) -> Decimal {
        let Kind::Limit { price, .. } = record.order.kind else {
            return Decimal::ZERO;
        };
        if record.status == Status::TriggerPending {
            return Decimal::ZERO;
        }
        let market = &self.markets[usize::from(record.order.market.0)];
        let remaining = record.remaining().max(0);
        if market.is_perp() {
            if record.order.reduce_only {
                return Decimal::ZERO;
            }
            return market.notional(price, remaining) * market.imf();
        }
        match record.order.side {
            Side::Bid => market.notional(price, remaining),
            Side::Ask => market.quantity(remaining),
        }
    }

    pub(crate) fn reserve_asset(&self, record: &OrderRecord) -> AssetId {
        let market = &self.markets[usize::from(record.order.market.0)];
        match (market.is_perp(), record.order.side) {
            (false, Side::Ask) => market.base,
            _ => market.quote,
        }
    }

    fn release_excess(&mut self, record: &mut OrderRecord) {
        if record.reserved <= Decimal::ZERO {
            return;
        }
        let required = self.reserve_for(record);
        if record.reserved > required {
            let asset = self.reserve_asset(record);
            self.accounts[record.account.0 as usize].unlock(asset, record.reserved - required);
            record.reserved = required;
        }
    }

    /// Quote balance free for new perp margin: available minus the initial margin of open
    /// positions at the mark price.
    pub(crate) fn free_margin(&self, account: AccountId, quote: AssetId) -> Decimal {
        let owner = &self.accounts[account.0 as usize];
        let in_use: Decimal = owner
            .positions
            .iter()
            .filter(|(_, position)| position.net_steps != 0)
            .filter_map(|(market, position)| {
                let market = self.markets.get(usize::from(market.0))?;
                (market.quote == quote).then(|| {
                    market.notional(market.reference, position.net_steps.abs()) * market.imf()
                })
            })
            .sum();
        owner.balance(quote).available - in_use
    }

    /// Registers a live order in the open-order indexes.
    pub(crate) fn open(&mut self, record: OrderRecord) {
        if record.status == Status::TriggerPending {
            self.emit_order(OrderChange::TriggerPlaced, &record);
        }
        let account = &mut self.accounts[record.account.0 as usize];
        if let Some(client_id) = record.order.client_id {
            account.open_by_client_id.insert(client_id, record.id);
        }
        if record.status == Status::TriggerPending {
            self.markets[usize::from(record.order.market.0)]
                .pending_triggers
                .push(record.id);
        }
        self.orders.insert(record.id, record);
    }

    /// Retires an order that is no longer live: releases its reservation, files it in its
    /// account's history and creates its take-profit / stop-loss legs.
    pub(crate) fn finish(&mut self, mut record: OrderRecord) {
        match record.status {
            Status::Cancelled => self.emit_order(OrderChange::Cancelled, &record),
            Status::Expired(_) => self.emit_order(OrderChange::Expired, &record),
            Status::TriggerFailed => self.emit_order(OrderChange::TriggerFailed, &record),
            _ => {}
        }
        if record.reserved > Decimal::ZERO {
            let asset = self.reserve_asset(&record);
            self.accounts[record.account.0 as usize].unlock(asset, record.reserved);
            record.reserved = Decimal::ZERO;
        }
        let account = &mut self.accounts[record.account.0 as usize];
        if let Some(client_id) = record.order.client_id
            && account.open_by_client_id.get(&client_id) == Some(&record.id)
        {
            account.open_by_client_id.remove(&client_id);
        }
        let has_exits =
            record.order.exits.take_profit.is_some() || record.order.exits.stop_loss.is_some();
        let legs = (has_exits && record.executed > 0).then(|| record.clone());
        let limit = self.config.history_limit;
        Account::log(&mut account.finished, record, limit);
        if let Some(parent) = legs {
            self.attach_exits(&parent);
        }
    }

    fn expire_resting(&mut self, id: OrderId, expiry: Expiry) {
        if let Some(mut record) = self.orders.remove(&id) {
            if let Some(node) = record.node.take() {
                self.markets[usize::from(record.order.market.0)]
                    .book
                    .remove(node);
            }
            record.status = Status::Expired(expiry);
            self.finish(record);
        }
    }

    /// Cancels an open order of `account` on `market`, found by id or client id.
    ///
    /// # Errors
    /// `400 INVALID_CLIENT_REQUEST "Order not found"` when the account has no such open
    /// order on that market.
    pub fn cancel(
        &mut self,
        account: AccountId,
        market: MarketId,
        id: Option<OrderId>,
        client_id: Option<u32>,
    ) -> Result<OrderId, Reject> {
        let found = id.or_else(|| {
            client_id.and_then(|client_id| {
                self.accounts
                    .get(account.0 as usize)?
                    .open_by_client_id
                    .get(&client_id)
                    .copied()
            })
        });
        let order_id = found
            .filter(|id| {
                self.orders
                    .get(id)
                    .is_some_and(|r| r.account == account && r.order.market == market)
            })
            .ok_or_else(|| Reject::invalid("Order not found"))?;
        self.cancel_open(order_id);
        Ok(order_id)
    }

    fn emit_order(&mut self, change: OrderChange, record: &OrderRecord) {
        if self.recording() {
            self.emit(EngineEvent::Order {
                change,
                record: Box::new(record.clone()),
            });
        }
    }

    fn emit_fill(
        &mut self,
        record: &OrderRecord,
        trade_id: u64,
        price: i64,
        steps: i64,
        (fee, fee_asset): (Decimal, AssetId),
        is_maker: bool,
    ) {
        let complete = match record.order.size {
            Size::Base(size) => record.executed >= size,
            Size::Quote(quote) => record.executed_quote >= quote,
        };
        self.emit(EngineEvent::Fill {
            record: Box::new(record.clone()),
            trade_id,
            price,
            steps,
            fee,
            fee_asset,
            is_maker,
            complete,
        });
    }

    /// Cancels an open order, whoever owns it.
    pub(crate) fn cancel_open(&mut self, id: OrderId) {
        if let Some(mut record) = self.orders.remove(&id) {
            let market = &mut self.markets[usize::from(record.order.market.0)];
            if let Some(node) = record.node.take() {
                market.book.remove(node);
            }
            market.pending_triggers.retain(|pending| *pending != id);
            record.status = Status::Cancelled;
            self.finish(record);
        }
    }

    /// Cancels every open order of `account` on `market`: resting limit orders, conditional
    /// orders, or both. Returns the ids, oldest first.
    pub fn cancel_all(
        &mut self,
        account: AccountId,
        market: MarketId,
        resting: bool,
        conditional: bool,
    ) -> Vec<OrderId> {
        let mut ids: Vec<OrderId> = self
            .orders
            .values()
            .filter(|r| r.account == account && r.order.market == market)
            .filter(|r| {
                if r.status == Status::TriggerPending {
                    conditional
                } else {
                    resting
                }
            })
            .map(|r| r.id)
            .collect();
        ids.sort();
        for id in &ids {
            self.cancel_open(*id);
        }
        ids
    }
}
