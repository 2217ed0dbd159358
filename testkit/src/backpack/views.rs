//! Engine records in the exchange's shapes: orders (open and historical), fills and funding
//! payments, and the names the exchange gives the engine's enums.

use rust_decimal::Decimal;

use super::wire::{self, Dec, TriggerAmount};
use crate::engine::{
    AccountId, Exchange, Exit, Expiry, FillRecord, FundingRecord, Kind, OrderRecord, Side, Size,
    Status, Stp, TimeInForce, TriggerSize, TriggerSource,
};

/// Trailing zeros off, as the exchange prints amounts.
pub(crate) fn amount(value: Decimal) -> Decimal {
    value.normalize()
}

/// `Bid` / `Ask`.
pub(crate) fn side(side: Side) -> &'static str {
    match side {
        Side::Bid => "Bid",
        Side::Ask => "Ask",
    }
}

fn time_in_force(tif: TimeInForce) -> &'static str {
    match tif {
        TimeInForce::Gtc => "GTC",
        TimeInForce::Ioc => "IOC",
        TimeInForce::Fok => "FOK",
    }
}

fn self_trade_prevention(stp: Stp) -> &'static str {
    match stp {
        Stp::RejectTaker => "RejectTaker",
        Stp::RejectMaker => "RejectMaker",
        Stp::RejectBoth => "RejectBoth",
    }
}

fn trigger_by(source: TriggerSource) -> &'static str {
    match source {
        TriggerSource::Last => "LastPrice",
        TriggerSource::Mark => "MarkPrice",
        TriggerSource::Index => "IndexPrice",
    }
}

/// The exchange's order status (§4.3).
pub(crate) fn status(status: Status) -> &'static str {
    match status {
        Status::New => "New",
        Status::PartiallyFilled => "PartiallyFilled",
        Status::Filled => "Filled",
        Status::Cancelled => "Cancelled",
        Status::Expired(_) => "Expired",
        Status::TriggerPending => "TriggerPending",
        Status::TriggerFailed => "TriggerFailed",
    }
}

/// The exchange's expiry reason (§4.4).
pub(crate) fn expiry_reason(expiry: Expiry) -> &'static str {
    match expiry {
        Expiry::FillOrKill => "FillOrKill",
        Expiry::ImmediateOrCancel => "ImmediateOrCancel",
        Expiry::PostOnlyTaker => "PostOnlyTaker",
        Expiry::SelfTradePrevention => "SelfTradePrevention",
        Expiry::InsufficientFunds => "InsufficientFunds",
        Expiry::InsufficientLiquidity => "InsufficientLiquidity",
        Expiry::ReduceOnlyNotReduced => "ReduceOnlyNotReduced",
        Expiry::InsufficientMargin => "InsufficientMargin",
    }
}

/// An exit leg: trigger price, limit price, trigger source.
type Leg = (Option<Dec>, Option<Dec>, Option<&'static str>);

/// An order as open-order, execute and cancel endpoints show it.
pub(crate) fn order(ex: &Exchange, record: &OrderRecord) -> wire::Order {
    let market = ex.market_of(record);
    let price = |ticks: i64| Dec(market.price(ticks));
    let (limit_price, tif, post_only) = match record.order.kind {
        Kind::Limit {
            price: ticks,
            tif,
            post_only,
        } => (Some(price(ticks)), time_in_force(tif), Some(post_only)),
        Kind::Market => (None, "GTC", None),
    };
    let (quantity, quote_quantity) = match record.order.size {
        Size::Base(steps) => (Some(Dec(market.quantity(steps))), None),
        Size::Quote(quote) => (None, Some(Dec(quote))),
    };
    let trigger = record.order.trigger;
    let leg = |exit: Option<Exit>| -> Leg {
        match exit {
            Some(exit) => (
                Some(price(exit.trigger)),
                exit.limit.map(price),
                Some(trigger_by(exit.source)),
            ),
            None => (None, None, None),
        }
    };
    let take_profit = leg(record.order.exits.take_profit);
    let stop_loss = leg(record.order.exits.stop_loss);
    wire::Order {
        id: record.id.to_string(),
        client_id: record.order.client_id,
        symbol: market.config.symbol.clone(),
        side: side(record.order.side),
        order_type: match record.order.kind {
            Kind::Limit { .. } => "Limit",
            Kind::Market => "Market",
        },
        status: status(record.status),
        time_in_force: tif,
        self_trade_prevention: self_trade_prevention(record.order.stp),
        created_at: record.created_ms,
        executed_quantity: Dec::amount(market.quantity(record.executed)),
        executed_quote_quantity: Dec::amount(record.executed_quote),
        price: limit_price,
        quantity,
        quote_quantity,
        post_only,
        reduce_only: record.order.reduce_only.then_some(true),
        trigger_price: trigger.map(|t| price(t.price)),
        trigger_by: trigger.map(|t| trigger_by(t.source)),
        trigger_quantity: trigger.map(|t| match t.size {
            TriggerSize::Steps(steps) => TriggerAmount::Quantity(market.quantity(steps)),
            TriggerSize::Percent(percent) => TriggerAmount::Percent(percent),
        }),
        triggered_at: record.triggered_ms,
        take_profit_trigger_price: take_profit.0,
        take_profit_limit_price: take_profit.1,
        take_profit_trigger_by: take_profit.2,
        stop_loss_trigger_price: stop_loss.0,
        stop_loss_limit_price: stop_loss.1,
        stop_loss_trigger_by: stop_loss.2,
        related_order_id: record.related.map(|id| id.to_string()),
        strategy_id: None,
        slippage_tolerance: None,
        slippage_tolerance_type: None,
    }
}

/// An order as the order history shows it.
pub(crate) fn history_order(ex: &Exchange, record: &OrderRecord) -> wire::HistoricalOrder {
    let order = order(ex, record);
    wire::HistoricalOrder {
        id: order.id,
        client_id: order.client_id,
        symbol: order.symbol,
        side: order.side,
        order_type: order.order_type,
        status: order.status,
        expiry_reason: match record.status {
            Status::Expired(expiry) => Some(expiry_reason(expiry)),
            _ => None,
        },
        system_order_type: None,
        time_in_force: order.time_in_force,
        self_trade_prevention: order.self_trade_prevention,
        created_at: wire::naive(record.created_ms),
        executed_quantity: order.executed_quantity,
        executed_quote_quantity: order.executed_quote_quantity,
        price: order.price,
        quantity: order.quantity,
        quote_quantity: order.quote_quantity,
        post_only: order.post_only,
        trigger_price: order.trigger_price,
        trigger_by: order.trigger_by,
        trigger_quantity: order.trigger_quantity,
        take_profit_trigger_price: order.take_profit_trigger_price,
        take_profit_limit_price: order.take_profit_limit_price,
        take_profit_trigger_by: order.take_profit_trigger_by,
        stop_loss_trigger_price: order.stop_loss_trigger_price,
        stop_loss_limit_price: order.stop_loss_limit_price,
        stop_loss_trigger_by: order.stop_loss_trigger_by,
        strategy_id: None,
        slippage_tolerance: None,
        slippage_tolerance_type: None,
    }
}

/// A fill of the fill history.
pub(crate) fn fill(ex: &Exchange, fill: &FillRecord) -> wire::Fill {
    let market = &ex.markets[usize::from(fill.market.0)];
    wire::Fill {
        trade_id: fill.trade_id,
        order_id: fill.order_id.to_string(),
        client_id: fill.client_id.map(|id| id.to_string()),
        symbol: market.config.symbol.clone(),
        side: side(fill.side),
        price: Dec(market.price(fill.price)),
        quantity: Dec(market.quantity(fill.steps)),
        fee: Dec::amount(fill.fee),
        fee_symbol: ex.asset_name(fill.fee_asset).to_owned(),
        is_maker: fill.is_maker,
        system_order_type: None,
        timestamp: wire::naive(fill.timestamp_ms),
    }
}

/// A funding payment of the funding history.
pub(crate) fn funding(
    ex: &Exchange,
    account: AccountId,
    record: &FundingRecord,
) -> wire::FundingPayment {
    wire::FundingPayment {
        user_id: u64::from(account.0),
        subaccount_id: None,
        symbol: ex.markets[usize::from(record.market.0)]
            .config
            .symbol
            .clone(),
        quantity: Dec::amount(record.amount),
        interval_end_timestamp: wire::naive(record.timestamp_ms),
        funding_rate: Dec(record.rate),
    }
}
