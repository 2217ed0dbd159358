//! Order endpoints over the engine: payloads validated with the exchange's messages and
//! converted to engine units, orders placed, cancelled and queried, and the history endpoints
//! with their filters and paging.

use rust_decimal::Decimal;

use super::views::{self, amount};
use super::wire::{self, Dec, OrderPayload, TriggerAmount};
use crate::engine::{
    AccountId, Exchange, Exit, Exits, Kind, MarketId, MarketState, NewOrder, OrderId, OrderRecord,
    Reject, RejectKind, Side, Size, Stp, TimeInForce, Trigger, TriggerSize, TriggerSource,
    exact_units, floor_units,
};

/// Filters and paging of the history endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// One market only.
    pub symbol: Option<String>,
    /// One order only (orders and fills).
    pub order_id: Option<String>,
    /// Markets of one type (`SPOT`, `PERP`).
    pub market_type: Option<String>,
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

/// A value as a positive whole number of `unit`s (ticks or steps), with the exchange's
/// answers: "decimal too long" for more decimals than the unit has, else "must be a positive
/// multiple" (`kind`, naming the unit as `unit_name`).
fn grid_units(
    value: Decimal,
    unit: Decimal,
    field: &str,
    kind: RejectKind,
    unit_name: &str,
) -> Result<i64, Reject> {
    let units = exact_units(value, unit);
    if value.scale() > unit.normalize().scale().max(unit.scale()) && units.is_none() {
        return Err(Reject::invalid(format!("{field} decimal too long")));
    }
    units.filter(|units| *units > 0).ok_or_else(|| {
        Reject::new(
            kind,
            format!("{field} must be a positive multiple of the {unit_name} {unit}"),
        )
    })
}

fn price_units(market: &MarketState, price: Dec, field: &str) -> Result<i64, Reject> {
    let tick = market.config.tick_size;
    grid_units(price.0, tick, field, RejectKind::InvalidPrice, "tick size")
}

fn quantity_units(market: &MarketState, quantity: Decimal, field: &str) -> Result<i64, Reject> {
    let step = market.config.step_size;
    grid_units(
        quantity,
        step,
        field,
        RejectKind::InvalidQuantity,
        "step size",
    )
}

fn trigger_source(by: Option<&str>) -> Result<TriggerSource, Reject> {
    match by {
        None | Some("LastPrice") => Ok(TriggerSource::Last),
        Some("MarkPrice") => Ok(TriggerSource::Mark),
        Some("IndexPrice") => Ok(TriggerSource::Index),
        Some(other) => Err(Reject::invalid(format!("Invalid triggerBy `{other}`"))),
    }
}

/// Validates an order payload as the exchange does and converts it to engine units.
///
/// # Errors
/// The exchange's 400 answers: unknown symbol, missing or contradictory fields, prices
/// and quantities off the market's grid ("Price decimal too long", ...).
pub(crate) fn new_order(ex: &Exchange, payload: &OrderPayload) -> Result<NewOrder, Reject> {
    let market_id = ex
        .market_id(&payload.symbol)
        .ok_or_else(|| Reject::invalid("Invalid market symbol"))?;
    let market = &ex.markets[usize::from(market_id.0)];
    let side = match payload.side.as_str() {
        "Bid" => Side::Bid,
        "Ask" => Side::Ask,
        _ => return Err(Reject::invalid("Invalid side")),
    };
    let tif = match payload.time_in_force.as_deref() {
        None | Some("GTC") => TimeInForce::Gtc,
        Some("IOC") => TimeInForce::Ioc,
        Some("FOK") => TimeInForce::Fok,
        Some(other) => return Err(Reject::invalid(format!("Invalid timeInForce `{other}`"))),
    };
    let stp = match payload.self_trade_prevention.as_deref() {
        None | Some("RejectTaker") => Stp::RejectTaker,
        Some("RejectMaker") => Stp::RejectMaker,
        Some("RejectBoth") => Stp::RejectBoth,
        Some(other) => {
            return Err(Reject::invalid(format!(
                "Invalid selfTradePrevention `{other}`"
            )));
        }
    };
    let post_only = payload.post_only.unwrap_or(false);
    let kind = match payload.order_type.as_str() {
        "Limit" => {
            let price = payload
                .price
                .ok_or_else(|| Reject::invalid("Limit orders must specify a `price`"))?;
            Kind::Limit {
                price: price_units(market, price, "Price")?,
                tif,
                post_only,
            }
        }
        "Market" => {
            if post_only {
                return Err(Reject::invalid("Post only is only valid for limit orders"));
            }
            Kind::Market
        }
        other => return Err(Reject::invalid(format!("Invalid orderType `{other}`"))),
    };
    let size = match (payload.quantity, payload.quote_quantity, &kind) {
        (Some(quantity), None, _) => Size::Base(quantity_units(market, quantity.0, "Quantity")?),
        (None, Some(quote), Kind::Market) if quote.0 > Decimal::ZERO => Size::Quote(quote.0),
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
                TriggerAmount::Quantity(q) => {
                    TriggerSize::Steps(quantity_units(market, q, "Trigger quantity")?)
                }
                TriggerAmount::Percent(p) => TriggerSize::Percent(p),
            },
            source: trigger_source(payload.trigger_by.as_deref())?,
        }),
        _ => {
            return Err(Reject::invalid(
                "Must specify both `triggerPrice` and `triggerQuantity` or neither",
            ));
        }
    };
    let exit = |trigger: Option<Dec>,
                limit: Option<Dec>,
                by: Option<&str>,
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
        client_id: payload.client_id,
        reduce_only: payload.reduce_only.unwrap_or(false),
        stp,
        trigger,
        exits: Exits {
            take_profit: exit(
                payload.take_profit_trigger_price,
                payload.take_profit_limit_price,
                payload.take_profit_trigger_by.as_deref(),
                "Take profit",
            )?,
            stop_loss: exit(
                payload.stop_loss_trigger_price,
                payload.stop_loss_limit_price,
                payload.stop_loss_trigger_by.as_deref(),
                "Stop loss",
            )?,
        },
    })
}

/// `POST /api/v1/order`: places a wire payload and answers with the order.
///
/// # Errors
/// See [`new_order`] and [`Exchange::submit`].
pub(crate) fn execute(
    ex: &mut Exchange,
    account: AccountId,
    payload: &OrderPayload,
) -> Result<wire::Order, Reject> {
    let order = new_order(ex, payload)?;
    let id = ex.submit(account, order)?;
    ex.record(account, id)
        .map(|record| views::order(ex, record))
        .ok_or_else(|| Reject::not_found("Order not found"))
}

/// `POST /api/v1/orders`: each payload placed on its own.
pub(crate) fn execute_batch(
    ex: &mut Exchange,
    account: AccountId,
    payloads: &[OrderPayload],
) -> Vec<wire::BatchItem> {
    payloads
        .iter()
        .map(|payload| match execute(ex, account, payload) {
            Ok(order) => wire::BatchItem::Ok(Box::new(order)),
            Err(reject) => wire::BatchItem::Err(super::error_body(&reject)),
        })
        .collect()
}

fn market_id(ex: &Exchange, symbol: &str) -> Result<MarketId, Reject> {
    ex.market_id(symbol)
        .ok_or_else(|| Reject::invalid("Invalid market symbol"))
}

fn order_ref(order_id: Option<&str>, client_id: Option<u32>) -> Result<Option<OrderId>, Reject> {
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
pub(crate) fn cancel(
    ex: &mut Exchange,
    account: AccountId,
    symbol: &str,
    order_id: Option<&str>,
    client_id: Option<u32>,
) -> Result<wire::Order, Reject> {
    let market = market_id(ex, symbol)?;
    let id = order_ref(order_id, client_id)?;
    let cancelled = ex.cancel(account, market, id, client_id)?;
    ex.record(account, cancelled)
        .map(|record| views::order(ex, record))
        .ok_or_else(|| Reject::invalid("Order not found"))
}

/// `DELETE /api/v1/orders`.
///
/// # Errors
/// `400 "Invalid market symbol"`.
pub(crate) fn cancel_all(
    ex: &mut Exchange,
    account: AccountId,
    symbol: &str,
    order_type: Option<&str>,
) -> Result<Vec<wire::Order>, Reject> {
    let market = market_id(ex, symbol)?;
    let (resting, conditional) = match order_type {
        None => (true, true),
        Some("RestingLimitOrder") => (true, false),
        Some("ConditionalOrder") => (false, true),
        Some(other) => return Err(Reject::invalid(format!("Invalid orderType `{other}`"))),
    };
    let ids = ex.cancel_all(account, market, resting, conditional);
    Ok(ids
        .iter()
        .filter_map(|id| ex.record(account, *id))
        .map(|record| views::order(ex, record))
        .collect())
}

/// `GET /api/v1/order`: one **open** order.
///
/// # Errors
/// `404 RESOURCE_NOT_FOUND` when the order is not open (finished orders are only in the
/// history), `400` for a bad reference.
pub(crate) fn open_order(
    ex: &Exchange,
    account: AccountId,
    symbol: &str,
    order_id: Option<&str>,
    client_id: Option<u32>,
) -> Result<wire::Order, Reject> {
    let market = market_id(ex, symbol)?;
    let id = match order_ref(order_id, client_id)? {
        Some(id) => Some(id),
        None => client_id.and_then(|client_id| {
            ex.accounts
                .get(account.0 as usize)?
                .open_by_client_id
                .get(&client_id)
                .copied()
        }),
    };
    id.and_then(|id| ex.orders.get(&id))
        .filter(|record| record.account == account && record.order.market == market)
        .map(|record| views::order(ex, record))
        .ok_or_else(|| Reject::not_found("Order not found"))
}

/// `GET /api/v1/orders`: open orders, oldest first.
pub(crate) fn open_orders(
    ex: &Exchange,
    account: AccountId,
    symbol: Option<&str>,
    market_type: Option<&str>,
) -> Vec<wire::Order> {
    let mut records: Vec<&OrderRecord> = ex
        .orders
        .values()
        .filter(|record| record.account == account)
        .filter(|record| matches_market(ex, record.order.market, symbol, market_type))
        .collect();
    records.sort_by_key(|record| record.id);
    records
        .into_iter()
        .map(|record| views::order(ex, record))
        .collect()
}

fn matches_market(
    ex: &Exchange,
    market: MarketId,
    symbol: Option<&str>,
    market_type: Option<&str>,
) -> bool {
    let market = &ex.markets[usize::from(market.0)];
    let kind = if market.is_perp() { "PERP" } else { "SPOT" };
    symbol.is_none_or(|s| s == market.config.symbol) && market_type.is_none_or(|t| t == kind)
}

/// `GET /wapi/v1/history/orders`: open and finished orders.
pub(crate) fn order_history(
    ex: &Exchange,
    account: AccountId,
    filter: &OrderFilter,
) -> Vec<wire::HistoricalOrder> {
    let Some(owner) = ex.accounts.get(account.0 as usize) else {
        return Vec::new();
    };
    let rows = owner
        .finished
        .iter()
        .chain(ex.orders.values().filter(|r| r.account == account))
        .filter(|r| {
            matches_market(
                ex,
                r.order.market,
                filter.symbol.as_deref(),
                filter.market_type.as_deref(),
            )
        })
        .filter(|r| filter.wants_order(r.id))
        .map(|r| (r.id.0, views::history_order(ex, r)))
        .collect();
    filter.page(rows)
}

/// Every order of `account`, open and finished, oldest first.
pub(crate) fn all_orders(ex: &Exchange, account: AccountId) -> Vec<wire::HistoricalOrder> {
    let Some(owner) = ex.accounts.get(account.0 as usize) else {
        return Vec::new();
    };
    let mut records: Vec<&OrderRecord> = owner
        .finished
        .iter()
        .chain(ex.orders.values().filter(|r| r.account == account))
        .collect();
    records.sort_by_key(|r| r.id);
    records
        .into_iter()
        .map(|r| views::history_order(ex, r))
        .collect()
}

/// `GET /wapi/v1/history/fills`.
pub(crate) fn fill_history(
    ex: &Exchange,
    account: AccountId,
    filter: &OrderFilter,
) -> Vec<wire::Fill> {
    let Some(owner) = ex.accounts.get(account.0 as usize) else {
        return Vec::new();
    };
    let rows = owner
        .fills
        .iter()
        .filter(|f| {
            matches_market(
                ex,
                f.market,
                filter.symbol.as_deref(),
                filter.market_type.as_deref(),
            )
        })
        .filter(|f| filter.wants_order(f.order_id))
        .filter(|f| filter.from_ms.is_none_or(|from| f.timestamp_ms >= from))
        .filter(|f| filter.to_ms.is_none_or(|to| f.timestamp_ms <= to))
        .map(|f| (f.trade_id, views::fill(ex, f)))
        .collect();
    filter.page(rows)
}

/// `GET /wapi/v1/history/funding`.
pub(crate) fn funding_history(
    ex: &Exchange,
    account: AccountId,
    filter: &OrderFilter,
) -> Vec<wire::FundingPayment> {
    let Some(owner) = ex.accounts.get(account.0 as usize) else {
        return Vec::new();
    };
    let rows = owner
        .funding
        .iter()
        .filter(|f| matches_market(ex, f.market, filter.symbol.as_deref(), None))
        .map(|f| (f.timestamp_ms, views::funding(ex, account, f)))
        .collect();
    filter.page(rows)
}

/// `GET /api/v1/account/limits/order`: the largest order `account` can place on `symbol`
/// now, at `price` (default: the reference price). Spot buys are bounded by the available
/// quote, sells by the available base, perp orders by the free margin.
///
/// # Errors
/// `400 "Invalid market symbol"`, or an unknown side.
pub(crate) fn max_order_quantity(
    ex: &Exchange,
    account: AccountId,
    symbol: &str,
    side: &str,
    price: Option<Decimal>,
) -> Result<Decimal, Reject> {
    let market_id = market_id(ex, symbol)?;
    let market = &ex.markets[usize::from(market_id.0)];
    let owner = ex
        .accounts
        .get(account.0 as usize)
        .ok_or_else(|| Reject::invalid("Unknown account"))?;
    let price = price
        .filter(|p| *p > Decimal::ZERO)
        .unwrap_or_else(|| market.price(market.reference));
    let step = market.config.step_size;
    let steps = match (market.is_perp(), side) {
        (true, "Bid" | "Ask") => floor_units(
            ex.free_margin(account, market.quote),
            price * step * market.imf(),
        ),
        (false, "Bid") => floor_units(owner.balance(market.quote).available, price * step),
        (false, "Ask") => floor_units(owner.balance(market.base).available, step),
        _ => return Err(Reject::invalid("Invalid side")),
    };
    Ok(amount(market.quantity(steps)))
}
