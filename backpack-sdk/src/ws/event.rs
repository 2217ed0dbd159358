//! Typed stream events and the frame decoder.
//!
//! [`decode`] reads one text frame into a [`Message`]: an event of a known stream, a server
//! error, or something else. Decoding never fails and never drops a frame: an event type
//! this crate does not know, or a known one whose fields it cannot read, arrives as
//! [`Event::Unrecognized`] with the raw data and the reason, so the consumer sees everything
//! the server sent. Every field accepts each form the reference records from live data
//! (numbers as strings, ISO kline times, upper-case enums); unknown fields are ignored.

use serde::Deserialize;
use serde::de::DeserializeSeed as _;
use serde_json::value::RawValue;

use super::lenient;
use crate::model::open_enum::open_enum;
use crate::model::{
    Asset, ClientOrderId, ExpiryReason, Level, Notional, OrderId, OrderStatus, OrderType,
    PositionId, Price, Quantity, Rate, SelfTradePrevention, Side, StrategyId, Symbol, TimeInForce,
    Timestamp, TriggerBy, TriggerQuantity,
};

open_enum! {
    /// What happened to an order (`e` of `account.orderUpdate`).
    pub enum OrderEventKind {
        /// Accepted by the matching engine (resting, or about to match).
        Accepted = "orderAccepted",
        /// Cancelled.
        Cancelled = "orderCancelled",
        /// Ended by the exchange (see `expiry_reason`).
        Expired = "orderExpired",
        /// Filled, partly or completely (see `status`).
        Fill = "orderFill",
        /// A resting reduce-only order's quantity was decreased.
        Modified = "orderModified",
        /// A conditional order was placed, waiting for its trigger.
        TriggerPlaced = "triggerPlaced",
        /// A conditional order's trigger fired but the order could not be placed.
        TriggerFailed = "triggerFailed",
        /// The older generic update event.
        Update = "orderUpdate",
    }
}

open_enum! {
    /// What happened to a position (`e` of `account.positionUpdate`).
    pub enum PositionEventKind {
        /// Opened.
        Opened = "positionOpened",
        /// Changed size or price.
        Adjusted = "positionAdjusted",
        /// Closed (the quantity is zero).
        Closed = "positionClosed",
        /// Updated (seen in third-party code).
        Updated = "positionUpdated",
    }
}

open_enum! {
    /// Who placed an order (`O` of an order update).
    pub enum OrderOrigin {
        /// The account's owner.
        User = "USER",
        /// Closed by a liquidation.
        LiquidationAutoclose = "LIQUIDATION_AUTOCLOSE",
        /// Closed by auto-deleveraging.
        AdlAutoclose = "ADL_AUTOCLOSE",
        /// A collateral conversion.
        CollateralConversion = "COLLATERAL_CONVERSION",
        /// Closed at settlement.
        SettlementAutoclose = "SETTLEMENT_AUTOCLOSE",
        /// The backstop liquidity provider.
        BackstopLiquidityProvider = "BACKSTOP_LIQUIDITY_PROVIDER",
    }
}

/// Best bid and ask (`bookTicker.<symbol>`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct BookTicker {
    /// Market.
    #[serde(rename = "s")]
    pub symbol: Symbol,
    /// Best ask price.
    #[serde(rename = "a")]
    pub ask_price: Price,
    /// Quantity at the best ask.
    #[serde(rename = "A")]
    pub ask_quantity: Quantity,
    /// Best bid price.
    #[serde(rename = "b")]
    pub bid_price: Price,
    /// Quantity at the best bid.
    #[serde(rename = "B")]
    pub bid_quantity: Quantity,
    /// Book update id.
    #[serde(rename = "u", deserialize_with = "lenient::u64_any")]
    pub update_id: u64,
    /// When the server sent the event.
    #[serde(rename = "E", deserialize_with = "lenient::micros")]
    pub event_time: Timestamp,
    /// Matching-engine time.
    #[serde(rename = "T", deserialize_with = "lenient::micros_opt", default)]
    pub engine_time: Option<Timestamp>,
}

/// Changed book levels (`depth[.<interval>].<symbol>`): each level's new **absolute**
/// quantity, zero removing it. Apply in sequence: `first_update_id` must follow the previous
/// message's `last_update_id` (see [`LocalBook`](super::LocalBook)).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct DepthUpdate {
    /// Market.
    #[serde(rename = "s")]
    pub symbol: Symbol,
    /// Changed asks.
    #[serde(rename = "a", deserialize_with = "lenient::levels", default)]
    pub asks: Vec<Level>,
    /// Changed bids.
    #[serde(rename = "b", deserialize_with = "lenient::levels", default)]
    pub bids: Vec<Level>,
    /// First update id in this message.
    #[serde(rename = "U", deserialize_with = "lenient::u64_any")]
    pub first_update_id: u64,
    /// Last update id in this message.
    #[serde(rename = "u", deserialize_with = "lenient::u64_any")]
    pub last_update_id: u64,
    /// When the server sent the event.
    #[serde(rename = "E", deserialize_with = "lenient::micros")]
    pub event_time: Timestamp,
    /// Engine time of the last change in the message.
    #[serde(rename = "T", deserialize_with = "lenient::micros_opt", default)]
    pub engine_time: Option<Timestamp>,
}

/// A public trade (`trade.<symbol>`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct PublicTrade {
    /// Market.
    #[serde(rename = "s")]
    pub symbol: Symbol,
    /// Price.
    #[serde(rename = "p")]
    pub price: Price,
    /// Quantity.
    #[serde(rename = "q")]
    pub quantity: Quantity,
    /// Buyer's order id.
    #[serde(rename = "b", deserialize_with = "lenient::text_opt", default)]
    pub buyer_order_id: Option<OrderId>,
    /// Seller's order id.
    #[serde(rename = "a", deserialize_with = "lenient::text_opt", default)]
    pub seller_order_id: Option<OrderId>,
    /// Trade id, sequential per market (a jump means missed prints).
    #[serde(rename = "t", deserialize_with = "lenient::u64_any")]
    pub trade_id: u64,
    /// Whether the buyer was the maker (the taker sold).
    #[serde(rename = "m", default)]
    pub buyer_is_maker: bool,
    /// When the server sent the event.
    #[serde(rename = "E", deserialize_with = "lenient::micros")]
    pub event_time: Timestamp,
    /// Matching-engine time.
    #[serde(rename = "T", deserialize_with = "lenient::micros_opt", default)]
    pub engine_time: Option<Timestamp>,
}

/// 24-hour statistics (`ticker.<symbol>`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct TickerUpdate {
    /// Market.
    #[serde(rename = "s")]
    pub symbol: Symbol,
    /// First price of the window.
    #[serde(rename = "o")]
    pub first_price: Price,
    /// Last price.
    #[serde(rename = "c")]
    pub last_price: Price,
    /// High.
    #[serde(rename = "h")]
    pub high: Price,
    /// Low.
    #[serde(rename = "l")]
    pub low: Price,
    /// Base volume.
    #[serde(rename = "v")]
    pub volume: Quantity,
    /// Quote volume.
    #[serde(rename = "V")]
    pub quote_volume: Notional,
    /// Number of trades.
    #[serde(rename = "n", deserialize_with = "lenient::u64_any", default)]
    pub trades: u64,
    /// When the server sent the event.
    #[serde(rename = "E", deserialize_with = "lenient::micros")]
    pub event_time: Timestamp,
}

/// A candle (`kline.<interval>.<symbol>`), sent while it is open and once closed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct KlineUpdate {
    /// Market.
    #[serde(rename = "s")]
    pub symbol: Symbol,
    /// Start of the candle.
    #[serde(rename = "t", deserialize_with = "lenient::any_epoch")]
    pub start: Timestamp,
    /// End of the candle (exclusive).
    #[serde(rename = "T", deserialize_with = "lenient::any_epoch_opt", default)]
    pub end: Option<Timestamp>,
    /// Open.
    #[serde(rename = "o")]
    pub open: Price,
    /// Close (last price while open).
    #[serde(rename = "c")]
    pub close: Price,
    /// High.
    #[serde(rename = "h")]
    pub high: Price,
    /// Low.
    #[serde(rename = "l")]
    pub low: Price,
    /// Base volume.
    #[serde(rename = "v")]
    pub volume: Quantity,
    /// Number of trades.
    #[serde(rename = "n", deserialize_with = "lenient::u64_any", default)]
    pub trades: u64,
    /// Whether the candle is closed.
    #[serde(rename = "X", default)]
    pub closed: bool,
    /// When the server sent the event.
    #[serde(rename = "E", deserialize_with = "lenient::micros")]
    pub event_time: Timestamp,
}

/// Mark price, index price and funding estimate (`markPrice.<symbol>`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct MarkPriceUpdate {
    /// Market.
    #[serde(rename = "s")]
    pub symbol: Symbol,
    /// Mark price.
    #[serde(rename = "p")]
    pub mark_price: Price,
    /// Estimated funding rate (absent on prediction markets).
    #[serde(rename = "f", default)]
    pub funding_rate: Option<Rate>,
    /// Index price (absent on prediction markets).
    #[serde(rename = "i", default)]
    pub index_price: Option<Price>,
    /// Next funding time.
    #[serde(rename = "n", deserialize_with = "lenient::any_epoch_opt", default)]
    pub next_funding: Option<Timestamp>,
    /// When the server sent the event.
    #[serde(rename = "E", deserialize_with = "lenient::micros")]
    pub event_time: Timestamp,
    /// Matching-engine time.
    #[serde(rename = "T", deserialize_with = "lenient::micros_opt", default)]
    pub engine_time: Option<Timestamp>,
}

/// Open interest (`openInterest.<symbol>`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct OpenInterestUpdate {
    /// Market.
    #[serde(rename = "s")]
    pub symbol: Symbol,
    /// Open interest, in contracts.
    #[serde(rename = "o")]
    pub open_interest: Quantity,
    /// When the server sent the event.
    #[serde(rename = "E", deserialize_with = "lenient::micros")]
    pub event_time: Timestamp,
}

/// A liquidation on any market (`liquidation`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Liquidation {
    /// Market.
    #[serde(rename = "s")]
    pub symbol: Symbol,
    /// Price.
    #[serde(rename = "p")]
    pub price: Price,
    /// Quantity.
    #[serde(rename = "q")]
    pub quantity: Quantity,
    /// Side of the liquidation order.
    #[serde(rename = "S", deserialize_with = "lenient::loose")]
    pub side: Side,
    /// When the server sent the event.
    #[serde(rename = "E", deserialize_with = "lenient::micros")]
    pub event_time: Timestamp,
    /// Matching-engine time.
    #[serde(rename = "T", deserialize_with = "lenient::micros_opt", default)]
    pub engine_time: Option<Timestamp>,
}

/// A change to one of this account's orders (`account.orderUpdate[.<symbol>]`).
///
/// There is no sequence number: an update missed while disconnected cannot be detected
/// in-band, so after a reconnect rebuild from REST (open orders, order and fill history).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct OrderUpdate {
    /// What happened.
    #[serde(rename = "e", deserialize_with = "lenient::loose")]
    pub kind: OrderEventKind,
    /// Market.
    #[serde(rename = "s")]
    pub symbol: Symbol,
    /// Order id.
    #[serde(rename = "i", deserialize_with = "lenient::text")]
    pub order_id: OrderId,
    /// Client order id, if the order had one.
    #[serde(
        rename = "c",
        with = "crate::model::serde_util::client_id_lenient",
        default
    )]
    pub client_id: Option<ClientOrderId>,
    /// Side.
    #[serde(rename = "S", deserialize_with = "lenient::loose")]
    pub side: Side,
    /// Order type (upper case on the stream, read in any case).
    #[serde(rename = "o", deserialize_with = "lenient::loose")]
    pub order_type: OrderType,
    /// Time in force.
    #[serde(rename = "f", deserialize_with = "lenient::loose_opt", default)]
    pub time_in_force: Option<TimeInForce>,
    /// Order quantity, if the order has one.
    #[serde(rename = "q", default)]
    pub quantity: Option<Quantity>,
    /// Order quantity in quote, if given.
    #[serde(rename = "Q", default)]
    pub quote_quantity: Option<Notional>,
    /// Limit price.
    #[serde(rename = "p", default)]
    pub price: Option<Price>,
    /// Trigger price of a conditional order.
    #[serde(rename = "P", default)]
    pub trigger_price: Option<Price>,
    /// What the trigger watches.
    #[serde(rename = "B", deserialize_with = "lenient::loose_opt", default)]
    pub trigger_by: Option<TriggerBy>,
    /// Take-profit trigger price.
    #[serde(rename = "a", default)]
    pub take_profit_trigger_price: Option<Price>,
    /// Stop-loss trigger price.
    #[serde(rename = "b", default)]
    pub stop_loss_trigger_price: Option<Price>,
    /// What the take-profit trigger watches.
    #[serde(rename = "d", deserialize_with = "lenient::loose_opt", default)]
    pub take_profit_trigger_by: Option<TriggerBy>,
    /// What the stop-loss trigger watches.
    #[serde(rename = "g", deserialize_with = "lenient::loose_opt", default)]
    pub stop_loss_trigger_by: Option<TriggerBy>,
    /// Take-profit limit price.
    #[serde(rename = "j", default)]
    pub take_profit_limit_price: Option<Price>,
    /// Stop-loss limit price.
    #[serde(rename = "k", default)]
    pub stop_loss_limit_price: Option<Price>,
    /// Size once triggered: an amount or a percentage of the position.
    #[serde(rename = "Y", default)]
    pub trigger_quantity: Option<TriggerQuantity>,
    /// The order's state after this event.
    #[serde(rename = "X", deserialize_with = "lenient::loose")]
    pub status: OrderStatus,
    /// Why the exchange ended the order (on `orderExpired`).
    #[serde(rename = "R", deserialize_with = "lenient::loose_opt", default)]
    pub expiry_reason: Option<ExpiryReason>,
    /// Trade id of this fill.
    #[serde(rename = "t", deserialize_with = "lenient::u64_any_opt", default)]
    pub trade_id: Option<u64>,
    /// Quantity of this fill.
    #[serde(rename = "l", default)]
    pub fill_quantity: Option<Quantity>,
    /// Price of this fill.
    #[serde(rename = "L", default)]
    pub fill_price: Option<Price>,
    /// Executed so far.
    #[serde(rename = "z", default)]
    pub executed_quantity: Option<Quantity>,
    /// Executed so far, in quote.
    #[serde(rename = "Z", default)]
    pub executed_quote_quantity: Option<Notional>,
    /// Whether this fill was as maker.
    #[serde(rename = "m", default)]
    pub is_maker: Option<bool>,
    /// Fee of this fill.
    #[serde(rename = "n", default)]
    pub fee: Option<Notional>,
    /// Asset the fee was paid in.
    #[serde(rename = "N", default)]
    pub fee_asset: Option<Asset>,
    /// Self-trade prevention mode.
    #[serde(rename = "V", deserialize_with = "lenient::loose_opt", default)]
    pub self_trade_prevention: Option<SelfTradePrevention>,
    /// Who placed the order.
    #[serde(rename = "O", deserialize_with = "lenient::loose_opt", default)]
    pub origin: Option<OrderOrigin>,
    /// A related order (the parent of a take-profit or stop-loss).
    #[serde(rename = "I", deserialize_with = "lenient::text_opt", default)]
    pub related_order_id: Option<OrderId>,
    /// Strategy that placed the order.
    #[serde(rename = "H", deserialize_with = "lenient::text_opt", default)]
    pub strategy_id: Option<StrategyId>,
    /// Post-only.
    #[serde(rename = "y", default)]
    pub post_only: Option<bool>,
    /// Reduce-only.
    #[serde(rename = "r", default)]
    pub reduce_only: Option<bool>,
    /// When the server sent the event.
    #[serde(rename = "E", deserialize_with = "lenient::micros")]
    pub event_time: Timestamp,
    /// Matching-engine time.
    #[serde(rename = "T", deserialize_with = "lenient::micros_opt", default)]
    pub engine_time: Option<Timestamp>,
}

impl OrderUpdate {
    /// Average price of what executed so far (`Z / z`), if anything did.
    pub fn average_price(&self) -> Option<Price> {
        let quantity = self.executed_quantity?.value();
        let quote = self.executed_quote_quantity?.value();
        if quantity.is_zero() {
            return None;
        }
        quote.checked_div(quantity).map(Price::new)
    }
}

/// A change to one of this account's positions (`account.positionUpdate[.<symbol>]`). The
/// frames right after subscribing are the open positions and carry no `kind`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct PositionUpdate {
    /// What happened (`None` in the snapshot sent on subscribe).
    #[serde(rename = "e", deserialize_with = "lenient::loose_opt", default)]
    pub kind: Option<PositionEventKind>,
    /// Market.
    #[serde(rename = "s")]
    pub symbol: Symbol,
    /// Position id.
    #[serde(rename = "i", deserialize_with = "lenient::text_opt", default)]
    pub position_id: Option<PositionId>,
    /// Net quantity: positive long, negative short, zero closed.
    #[serde(rename = "q")]
    pub net_quantity: Quantity,
    /// Net exposure quantity, open orders included.
    #[serde(rename = "Q", default)]
    pub net_exposure_quantity: Option<Quantity>,
    /// Net exposure notional.
    #[serde(rename = "n", default)]
    pub net_exposure_notional: Option<Notional>,
    /// Entry price.
    #[serde(rename = "B", default)]
    pub entry_price: Option<Price>,
    /// Break-even price.
    #[serde(rename = "b", default)]
    pub break_even_price: Option<Price>,
    /// Mark price.
    #[serde(rename = "M", default)]
    pub mark_price: Option<Price>,
    /// Initial margin fraction.
    #[serde(rename = "f", default)]
    pub initial_margin_fraction: Option<Rate>,
    /// Maintenance margin fraction.
    #[serde(rename = "m", default)]
    pub maintenance_margin_fraction: Option<Rate>,
    /// Realized PnL.
    #[serde(rename = "p", default)]
    pub realized_pnl: Option<Notional>,
    /// Unrealized PnL.
    #[serde(rename = "P", default)]
    pub unrealized_pnl: Option<Notional>,
    /// When the server sent the event.
    #[serde(rename = "E", deserialize_with = "lenient::micros_opt", default)]
    pub event_time: Option<Timestamp>,
    /// Matching-engine time.
    #[serde(rename = "T", deserialize_with = "lenient::micros_opt", default)]
    pub engine_time: Option<Timestamp>,
}

/// A frame's data this crate could not type: an event it does not know, or a known one
/// whose fields did not read (then `reason` says why).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RawEvent {
    /// The stream it came on.
    pub stream: String,
    /// Its `e` field, if any.
    pub event_type: Option<String>,
    /// Why it did not decode (`None`: an event type or stream this crate does not know).
    pub reason: Option<String>,
    /// The data as sent.
    pub data: serde_json::Value,
}

/// One event from a stream.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// Best bid and ask.
    BookTicker(BookTicker),
    /// Changed book levels.
    Depth(DepthUpdate),
    /// A public trade.
    Trade(PublicTrade),
    /// 24-hour statistics.
    Ticker(TickerUpdate),
    /// A candle.
    Kline(KlineUpdate),
    /// Mark price.
    MarkPrice(MarkPriceUpdate),
    /// Open interest.
    OpenInterest(OpenInterestUpdate),
    /// A liquidation.
    Liquidation(Liquidation),
    /// One of this account's orders changed.
    Order(Box<OrderUpdate>),
    /// One of this account's positions changed.
    Position(Box<PositionUpdate>),
    /// Data this crate could not type (never dropped).
    Unrecognized(Box<RawEvent>),
}

/// An error frame from the server (`{"id":null,"error":{"code":4006,"message":"Invalid
/// stream"}}`). The exchange does not say which subscription it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ServerError {
    /// Error code.
    #[serde(default)]
    pub code: i64,
    /// Message.
    #[serde(default)]
    pub message: String,
}

/// One decoded text frame.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Message {
    /// Data on a stream.
    Data {
        /// The stream's name as the server wrote it.
        stream: String,
        /// The event.
        event: Event,
    },
    /// An error frame.
    Error(ServerError),
    /// JSON of no known shape (kept for logging).
    Other(String),
    /// Text that is not JSON at all: the server is broken or the frame was cut.
    Malformed(String),
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    stream: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(default)]
    error: Option<ServerError>,
}

#[derive(Deserialize)]
struct EventType<'a> {
    #[serde(borrow, rename = "e", default)]
    kind: Option<std::borrow::Cow<'a, str>>,
}

/// Which typed event a stream carries, from its name.
fn stream_kind(stream: &str) -> &str {
    if let Some(rest) = stream.strip_prefix("account.") {
        return rest.split('.').next().unwrap_or(rest);
    }
    stream.split('.').next().unwrap_or(stream)
}

/// Decodes one text frame. Never fails: see the module documentation.
///
/// Frames name their stream before their data (as the exchange writes them), so the data
/// is read straight into its type in one pass; anything else (data first, a field that
/// does not read) takes a second, slower pass that keeps the raw data.
pub fn decode(text: &str) -> Message {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    match serde::Deserializer::deserialize_map(&mut deserializer, FrameVisitor)
        .and_then(|message| deserializer.end().map(|()| message))
    {
        Ok(Some(message)) => message,
        Ok(None) | Err(_) => decode_slowly(text),
    }
}

/// One pass: `Some` when the stream came before the data (or there is an error frame).
struct FrameVisitor;

impl<'de> serde::de::Visitor<'de> for FrameVisitor {
    type Value = Option<Message>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a stream frame")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut stream: Option<std::borrow::Cow<'de, str>> = None;
        let mut event = None;
        let mut error = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match (key.as_ref(), &stream) {
                ("stream", _) => stream = Some(map.next_value()?),
                ("data", Some(name)) => event = Some(map.next_value_seed(TypedData(name))?),
                ("data", None) => return Ok(None),
                ("error", _) => error = Some(map.next_value::<ServerError>()?),
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(match (error, stream, event) {
            (Some(error), _, _) => Some(Message::Error(error)),
            (None, Some(stream), Some(event)) => Some(Message::Data {
                stream: stream.into_owned(),
                event,
            }),
            _ => None,
        })
    }
}

/// The data of a frame on `stream`, read as that stream's type.
struct TypedData<'s>(&'s str);

impl<'de> serde::de::DeserializeSeed<'de> for TypedData<'_> {
    type Value = Event;

    fn deserialize<D: serde::Deserializer<'de>>(self, data: D) -> Result<Event, D::Error> {
        Ok(match stream_kind(self.0) {
            "bookTicker" => Event::BookTicker(Deserialize::deserialize(data)?),
            "depth" => Event::Depth(Deserialize::deserialize(data)?),
            "trade" => Event::Trade(Deserialize::deserialize(data)?),
            "ticker" => Event::Ticker(Deserialize::deserialize(data)?),
            "kline" => Event::Kline(Deserialize::deserialize(data)?),
            "markPrice" => Event::MarkPrice(Deserialize::deserialize(data)?),
            "openInterest" => Event::OpenInterest(Deserialize::deserialize(data)?),
            "liquidation" => Event::Liquidation(Deserialize::deserialize(data)?),
            "orderUpdate" => Event::Order(Box::new(Deserialize::deserialize(data)?)),
            "positionUpdate" => Event::Position(Box::new(Deserialize::deserialize(data)?)),
            _ => {
                let raw: &RawValue = Deserialize::deserialize(data)?;
                unrecognized(self.0, raw, None)
            }
        })
    }
}

/// Two passes: the envelope with the raw data, then the data, keeping the reason when it
/// does not read.
fn decode_slowly(text: &str) -> Message {
    let Ok(envelope) = serde_json::from_str::<Envelope<'_>>(text) else {
        return if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
            Message::Other(text.to_owned())
        } else {
            Message::Malformed(text.chars().take(200).collect())
        };
    };
    if let Some(error) = envelope.error {
        return Message::Error(error);
    }
    let (Some(stream), Some(data)) = (envelope.stream, envelope.data) else {
        return Message::Other(text.to_owned());
    };
    let event =
        match TypedData(&stream).deserialize(&mut serde_json::Deserializer::from_str(data.get())) {
            Ok(event) => event,
            Err(reason) => unrecognized(&stream, data, Some(reason.to_string())),
        };
    Message::Data {
        stream: stream.into_owned(),
        event,
    }
}

fn unrecognized(stream: &str, data: &RawValue, reason: Option<String>) -> Event {
    let event_type = serde_json::from_str::<EventType<'_>>(data.get())
        .ok()
        .and_then(|t| t.kind)
        .map(std::borrow::Cow::into_owned);
    Event::Unrecognized(Box::new(RawEvent {
        stream: stream.to_owned(),
        event_type,
        reason,
        data: serde_json::from_str(data.get()).unwrap_or(serde_json::Value::Null),
    }))
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
