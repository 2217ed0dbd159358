//! The engine through the exchange's wire types: order payloads in, orders out, with the
//! exchange's validation messages, and the account queries with their filters.

use rust_decimal::Decimal;

use backpack_sdk::model::{
    self as wire, BatchOrderResult, CancelOrderType, Fill, FundingPayment, HistoricalOrder,
    MarketType, Order, OrderExecutePayload, OrderType, SelfTradePrevention, TriggerBy,
    TriggerQuantity,
};

use super::Exchange;
use super::market::MarketState;
use super::order::{Exit, Exits, Kind, NewOrder, OrderRecord, Size, Trigger};
use super::types::{
    AccountId, MarketId, OrderId, Reject, Side, Stp, TimeInForce, TriggerSize, TriggerSource,
};

/// Filters and paging of the history endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// One market only.
    pub symbol: Option<String>,
    /// One order only (orders and fills).
    pub order_id: Option<String>,
    /// Markets of one type.
    pub market_type: Option<MarketType>,
    /// From this time, ms (fills).
    pub from_ms: Option<u64>,
    /// Up to this time, ms (fills).
    pub to_ms: Option<u64>,
    /// Page size (`None`: 100).
    pub limit: Option<usize>,
    /// Rows to skip.
    pub offset: usize,
    /// Oldest first instead of newest first.
    pub ascending: bool,
}

impl OrderFilter {
    /// Whether a row of order `id` passes the `order_id` filter.
    fn wants_order(&self, id: OrderId) -> bool {
        self.order_id
            .as_deref()
            .is_none_or(|wanted| wanted.parse::<u64>().is_ok_and(|wanted| wanted == id.0))
    }

    fn page<T>(&self, mut rows: Vec<(u64, T)>) -> Vec<T> {
        // Rows arrive oldest first; sort stably by time, then page.
        rows.sort_by_key(|(time, _)| *time);
        if !self.ascending {
            rows.reverse();
        }
        rows.into_iter()
            .skip(self.offset)
            .take(self.limit.unwrap_or(100).min(1_000))
            .map(|(_, row)| row)
            .collect()
    }
}

fn price_units(market: &MarketState, price: wire::Price, field: &str) -> Result<i64, Reject> {
    let value = price.value();
    if value.scale()
        > market
            .config
            .tick_size
            .normalize()
            .scale()
            .max(market.config.tick_size.scale())
        && market.to_ticks(value).is_none()
    {
        return Err(Reject::invalid(format!("{field} decimal too long")));
    }
    market
        .to_ticks(value)
        .filter(|ticks| *ticks > 0)
        .ok_or_else(|| {
            Reject::bad_request(
                wire::ApiErrorCode::InvalidPrice,
                format!(
                    "{field} must be a positive multiple of the tick size {}",
                    market.config.tick_size
                ),
            )
        })
}

fn quantity_units(market: &MarketState, quantity: Decimal, field: &str) -> Result<i64, Reject> {
    let step = market.config.step_size;
    if quantity.scale() > step.normalize().scale().max(step.scale())
        && market.to_steps(quantity).is_none()
    {
        return Err(Reject::invalid(format!("{field} decimal too long")));
    }
    market
        .to_steps(quantity)
        .filter(|steps| *steps > 0)
        .ok_or_else(|| {
            Reject::bad_request(
                wire::ApiErrorCode::InvalidQuantity,
                format!("{field} must be a positive multiple of the step size {step}"),
            )
        })
}

fn trigger_source(by: Option<&TriggerBy>) -> Result<TriggerSource, Reject> {
    match by {
        None | Some(TriggerBy::LastPrice) => Ok(TriggerSource::Last),
        Some(TriggerBy::MarkPrice) => Ok(TriggerSource::Mark),
        Some(TriggerBy::IndexPrice) => Ok(TriggerSource::Index),
        Some(other) => Err(Reject::invalid(format!("Invalid triggerBy `{other}`"))),
    }
}

impl Exchange {
    /// Validates a wire payload as the exchange does and converts it to engine units.
    ///
    /// # Errors
    /// The exchange's 400 answers: unknown symbol, missing or contradictory fields, prices
    /// and quantities off the market's grid ("Price decimal too long", ...).
    pub fn new_order_from_payload(
        &self,
        payload: &OrderExecutePayload,
    ) -> Result<NewOrder, Reject> {
        let market_id = self
            .market_id(payload.symbol.as_str())
            .ok_or_else(|| Reject::invalid("Invalid market symbol"))?;
        let market = &self.markets[usize::from(market_id.0)];
        let side = match payload.side {
            wire::Side::Bid => Side::Bid,
            wire::Side::Ask => Side::Ask,
            _ => return Err(Reject::invalid("Invalid side")),
        };
        let tif = match payload.time_in_force.as_ref() {
            None | Some(wire::TimeInForce::Gtc) => TimeInForce::Gtc,
            Some(wire::TimeInForce::Ioc) => TimeInForce::Ioc,
            Some(wire::TimeInForce::Fok) => TimeInForce::Fok,
            Some(other) => return Err(Reject::invalid(format!("Invalid timeInForce `{other}`"))),
        };
        let stp = match payload.self_trade_prevention.as_ref() {
            None | Some(SelfTradePrevention::RejectTaker) => Stp::RejectTaker,
            Some(SelfTradePrevention::RejectMaker) => Stp::RejectMaker,
            Some(SelfTradePrevention::RejectBoth) => Stp::RejectBoth,
            Some(other) => {
                return Err(Reject::invalid(format!(
                    "Invalid selfTradePrevention `{other}`"
                )));
            }
        };
        let post_only = payload.post_only.unwrap_or(false);
        let kind = match payload.order_type {
            OrderType::Limit => {
                let price = payload
                    .price
                    .ok_or_else(|| Reject::invalid("Limit orders must specify a `price`"))?;
                Kind::Limit {
                    price: price_units(market, price, "Price")?,
                    tif,
                    post_only,
                }
            }
            OrderType::Market => {
                if post_only {
                    return Err(Reject::invalid("Post only is only valid for limit orders"));
                }
                Kind::Market
            }
            ref other => return Err(Reject::invalid(format!("Invalid orderType `{other}`"))),
        };
        let size = match (payload.quantity, payload.quote_quantity, &kind) {
            (Some(quantity), None, _) => {
                Size::Base(quantity_units(market, quantity.value(), "Quantity")?)
            }
            (None, Some(quote), Kind::Market) if quote.is_positive() => Size::Quote(quote.value()),
            (None, Some(_), Kind::Market) => {
                return Err(Reject::invalid("Quote quantity is invalid"));
            }
            (None, None, Kind::Market) => {
                return Err(Reject::invalid(
                    "Market orders must specify a `quantity` or `quoteQuantity`",
                ));
            }
            (Some(_), Some(_), _) => {
                return Err(Reject::invalid(
                    "Must specify either `quantity` or `quoteQuantity`, not both",
                ));
            }
            (None, _, Kind::Limit { .. }) => {
                return Err(Reject::invalid("Limit orders must specify a `quantity`"));
            }
        };
        let trigger = match (payload.trigger_price, payload.trigger_quantity) {
            (None, None) => None,
            (Some(price), Some(quantity)) => Some(Trigger {
                price: price_units(market, price, "Trigger price")?,
                size: match quantity {
                    TriggerQuantity::Amount(q) => {
                        TriggerSize::Steps(quantity_units(market, q.value(), "Trigger quantity")?)
                    }
                    TriggerQuantity::Percent(p) => TriggerSize::Percent(p.value()),
                },
                source: trigger_source(payload.trigger_by.as_ref())?,
            }),
            _ => {
                return Err(Reject::invalid(
                    "Must specify both `triggerPrice` and `triggerQuantity` or neither",
                ));
            }
        };
        let exit = |trigger: Option<wire::Price>,
                    limit: Option<wire::Price>,
                    by: Option<&TriggerBy>,
                    name: &str|
         -> Result<Option<Exit>, Reject> {
            match trigger {
                None if limit.is_some() => Err(Reject::invalid(format!(
                    "{name} limit price requires a {name} trigger price"
                ))),
                None => Ok(None),
                Some(trigger) => Ok(Some(Exit {
                    trigger: price_units(market, trigger, "Trigger price")?,
                    limit: limit.map(|p| price_units(market, p, "Price")).transpose()?,
                    source: trigger_source(by)?,
                })),
            }
        };
        Ok(NewOrder {
            market: market_id,
            side,
            kind,
            size,
            client_id: payload.client_id.map(|id| id.get()),
            reduce_only: payload.reduce_only.unwrap_or(false),
            stp,
            trigger,
            exits: Exits {
                take_profit: exit(
                    payload.take_profit_trigger_price,
                    payload.take_profit_limit_price,
                    payload.take_profit_trigger_by.as_ref(),
                    "Take profit",
                )?,
                stop_loss: exit(
                    payload.stop_loss_trigger_price,
                    payload.stop_loss_limit_price,
                    payload.stop_loss_trigger_by.as_ref(),
                    "Stop loss",
                )?,
            },
        })
    }

    /// `POST /api/v1/order`: places a wire payload and answers with the order.
    ///
    /// # Errors
    /// See [`new_order_from_payload`](Self::new_order_from_payload) and
    /// [`submit`](Self::submit).
    pub fn execute_payload(
        &mut self,
        account: AccountId,
        payload: &OrderExecutePayload,
    ) -> Result<Order, Reject> {
        let order = self.new_order_from_payload(payload)?;
        let id = self.submit(account, order)?;
        self.record(account, id)
            .map(|record| self.order_view(record))
            .ok_or_else(|| Reject::not_found("Order not found"))
    }

    /// `POST /api/v1/orders`: each payload placed on its own.
    pub fn execute_batch(
        &mut self,
        account: AccountId,
        payloads: &[OrderExecutePayload],
    ) -> Vec<BatchOrderResult> {
        payloads
            .iter()
            .map(|payload| match self.execute_payload(account, payload) {
                Ok(order) => BatchOrderResult::Ok(Box::new(order)),
                Err(reject) => BatchOrderResult::Err(reject.body),
            })
            .collect()
    }

    fn wire_market(&self, symbol: &str) -> Result<MarketId, Reject> {
        self.market_id(symbol)
            .ok_or_else(|| Reject::invalid("Invalid market symbol"))
    }

    fn order_ref(
        order_id: Option<&str>,
        client_id: Option<u32>,
    ) -> Result<Option<OrderId>, Reject> {
        match (order_id, client_id) {
            (Some(_), Some(_)) | (None, None) => Err(Reject::invalid(
                "Must specify either `clientId` or `orderId`",
            )),
            (Some(id), None) => Ok(Some(OrderId(
                id.parse().map_err(|_| Reject::invalid("Order not found"))?,
            ))),
            (None, Some(_)) => Ok(None),
        }
    }

    /// `DELETE /api/v1/order`.
    ///
    /// # Errors
    /// `400 "Order not found"` when there is no such open order.
    pub fn cancel_wire(
        &mut self,
        account: AccountId,
        symbol: &str,
        order_id: Option<&str>,
        client_id: Option<u32>,
    ) -> Result<Order, Reject> {
        let market = self.wire_market(symbol)?;
        let id = Self::order_ref(order_id, client_id)?;
        let cancelled = self.cancel(account, market, id, client_id)?;
        self.record(account, cancelled)
            .map(|record| self.order_view(record))
            .ok_or_else(|| Reject::invalid("Order not found"))
    }

    /// `DELETE /api/v1/orders`.
    ///
    /// # Errors
    /// `400 "Invalid market symbol"`.
    pub fn cancel_all_wire(
        &mut self,
        account: AccountId,
        symbol: &str,
        order_type: Option<&CancelOrderType>,
    ) -> Result<Vec<Order>, Reject> {
        let market = self.wire_market(symbol)?;
        let (resting, conditional) = match order_type {
            None => (true, true),
            Some(CancelOrderType::RestingLimitOrder) => (true, false),
            Some(CancelOrderType::ConditionalOrder) => (false, true),
            Some(other) => return Err(Reject::invalid(format!("Invalid orderType `{other}`"))),
        };
        let ids = self.cancel_all(account, market, resting, conditional);
        Ok(ids
            .iter()
            .filter_map(|id| self.record(account, *id))
            .map(|record| self.order_view(record))
            .collect())
    }

    /// `GET /api/v1/order`: one **open** order.
    ///
    /// # Errors
    /// `404 RESOURCE_NOT_FOUND` when the order is not open (finished orders are only in the
    /// history), `400` for a bad reference.
    pub fn open_order(
        &self,
        account: AccountId,
        symbol: &str,
        order_id: Option<&str>,
        client_id: Option<u32>,
    ) -> Result<Order, Reject> {
        let market = self.wire_market(symbol)?;
        let id = match Self::order_ref(order_id, client_id)? {
            Some(id) => Some(id),
            None => client_id.and_then(|client_id| {
                self.accounts
                    .get(account.0 as usize)?
                    .open_by_client_id
                    .get(&client_id)
                    .copied()
            }),
        };
        id.and_then(|id| self.orders.get(&id))
            .filter(|record| record.account == account && record.order.market == market)
            .map(|record| self.order_view(record))
            .ok_or_else(|| Reject::not_found("Order not found"))
    }

    /// `GET /api/v1/orders`: open orders, oldest first.
    pub fn open_orders(
        &self,
        account: AccountId,
        symbol: Option<&str>,
        market_type: Option<&MarketType>,
    ) -> Vec<Order> {
        let mut records: Vec<&OrderRecord> = self
            .orders
            .values()
            .filter(|record| record.account == account)
            .filter(|record| self.matches_market(record.order.market, symbol, market_type))
            .collect();
        records.sort_by_key(|record| record.id);
        records
            .into_iter()
            .map(|record| self.order_view(record))
            .collect()
    }

    fn matches_market(
        &self,
        market: MarketId,
        symbol: Option<&str>,
        market_type: Option<&MarketType>,
    ) -> bool {
        let market = &self.markets[usize::from(market.0)];
        let kind = if market.is_perp() {
            MarketType::Perp
        } else {
            MarketType::Spot
        };
        symbol.is_none_or(|s| s == market.config.symbol) && market_type.is_none_or(|t| *t == kind)
    }

    /// `GET /wapi/v1/history/orders`: open and finished orders.
    pub fn order_history(&self, account: AccountId, filter: &OrderFilter) -> Vec<HistoricalOrder> {
        let Some(owner) = self.accounts.get(account.0 as usize) else {
            return Vec::new();
        };
        let rows = owner
            .finished
            .iter()
            .chain(self.orders.values().filter(|r| r.account == account))
            .filter(|r| {
                self.matches_market(
                    r.order.market,
                    filter.symbol.as_deref(),
                    filter.market_type.as_ref(),
                )
            })
            .filter(|r| filter.wants_order(r.id))
            .map(|r| (r.id.0, self.history_view(r)))
            .collect();
        filter.page(rows)
    }

    /// `GET /wapi/v1/history/fills`.
    pub fn fill_history(&self, account: AccountId, filter: &OrderFilter) -> Vec<Fill> {
        let Some(owner) = self.accounts.get(account.0 as usize) else {
            return Vec::new();
        };
        let rows = owner
            .fills
            .iter()
            .filter(|f| {
                self.matches_market(
                    f.market,
                    filter.symbol.as_deref(),
                    filter.market_type.as_ref(),
                )
            })
            .filter(|f| filter.wants_order(f.order_id))
            .filter(|f| filter.from_ms.is_none_or(|from| f.timestamp_ms >= from))
            .filter(|f| filter.to_ms.is_none_or(|to| f.timestamp_ms <= to))
            .map(|f| (f.trade_id, self.fill_view(f)))
            .collect();
        filter.page(rows)
    }

    /// `GET /wapi/v1/history/funding`.
    pub fn funding_history(&self, account: AccountId, filter: &OrderFilter) -> Vec<FundingPayment> {
        let Some(owner) = self.accounts.get(account.0 as usize) else {
            return Vec::new();
        };
        let rows = owner
            .funding
            .iter()
            .filter(|f| self.matches_market(f.market, filter.symbol.as_deref(), None))
            .map(|f| (f.timestamp_ms, self.funding_view(account, f)))
            .collect();
        filter.page(rows)
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
}

impl Exchange {
    /// Names of every asset, in the order they were added.
    pub fn asset_names(&self) -> &[String] {
        &self.assets
    }

    /// `GET /api/v1/account/limits/order`: the largest order `account` can place on `symbol`
    /// now, at `price` (default: the reference price). Spot buys are bounded by the available
    /// quote, sells by the available base, perp orders by the free margin.
    ///
    /// # Errors
    /// `400 "Invalid market symbol"`, or an unknown side.
    pub fn max_order_quantity(
        &self,
        account: AccountId,
        symbol: &str,
        side: &wire::Side,
        price: Option<Decimal>,
    ) -> Result<Decimal, Reject> {
        let market_id = self.wire_market(symbol)?;
        let market = &self.markets[usize::from(market_id.0)];
        let owner = self
            .accounts
            .get(account.0 as usize)
            .ok_or_else(|| Reject::invalid("Unknown account"))?;
        let price = price
            .filter(|p| *p > Decimal::ZERO)
            .unwrap_or_else(|| market.price(market.reference));
        let step = market.config.step_size;
        let steps = match (market.is_perp(), side) {
            (true, wire::Side::Bid | wire::Side::Ask) => super::market::floor_units(
                self.free_margin(account, market.quote),
                price * step * market.imf(),
            ),
            (false, wire::Side::Bid) => {
                super::market::floor_units(owner.balance(market.quote).available, price * step)
            }
            (false, wire::Side::Ask) => {
                super::market::floor_units(owner.balance(market.base).available, step)
            }
            _ => return Err(Reject::invalid("Invalid side")),
        };
        Ok(super::views::amount(market.quantity(steps)))
    }
}
