//! The exchange's enumerations. All are open (made by one internal `open_enum` macro): values
//! added by the exchange decode as `Unknown(text)` instead of failing the whole response.

use super::open_enum::open_enum;

open_enum! {
    /// Order side.
    pub enum Side {
        /// Buy.
        Bid = "Bid",
        /// Sell.
        Ask = "Ask",
    }
}

impl Side {
    /// The other side.
    pub fn opposite(&self) -> Side {
        match self {
            Side::Bid => Side::Ask,
            Side::Ask => Side::Bid,
            Side::Unknown(text) => Side::Unknown(text.clone()),
        }
    }
}

open_enum! {
    /// Order type.
    pub enum OrderType {
        /// Rests at a price.
        Limit = "Limit",
        /// Takes liquidity at once.
        Market = "Market",
    }
}

open_enum! {
    /// How long a limit order lives.
    pub enum TimeInForce {
        /// Good till cancelled.
        Gtc = "GTC",
        /// Immediate or cancel: fill what crosses now, expire the rest.
        Ioc = "IOC",
        /// Fill or kill: fill everything now or nothing.
        Fok = "FOK",
    }
}

open_enum! {
    /// What happens when an order would trade against the same account.
    pub enum SelfTradePrevention {
        /// Cancel the incoming (taker) order.
        RejectTaker = "RejectTaker",
        /// Cancel the resting (maker) order.
        RejectMaker = "RejectMaker",
        /// Cancel both.
        RejectBoth = "RejectBoth",
    }
}

open_enum! {
    /// Which price a conditional order watches.
    pub enum TriggerBy {
        /// Last traded price.
        LastPrice = "LastPrice",
        /// Mark price.
        MarkPrice = "MarkPrice",
        /// Index price.
        IndexPrice = "IndexPrice",
    }
}

open_enum! {
    /// Kind of market.
    pub enum MarketType {
        /// Spot.
        Spot = "SPOT",
        /// Perpetual future.
        Perp = "PERP",
        /// Inverse perpetual.
        Iperp = "IPERP",
        /// Dated future.
        Dated = "DATED",
        /// Prediction market.
        Prediction = "PREDICTION",
        /// Request-for-quote market.
        Rfq = "RFQ",
    }
}

open_enum! {
    /// Lifecycle state of an order.
    pub enum OrderStatus {
        /// Resting, nothing filled.
        New = "New",
        /// Resting, partly filled.
        PartiallyFilled = "PartiallyFilled",
        /// Completely filled.
        Filled = "Filled",
        /// Cancelled by the user or a cancel-all.
        Cancelled = "Cancelled",
        /// Ended by the exchange (IOC remainder, FOK kill, post-only taker, ...).
        Expired = "Expired",
        /// Conditional order waiting for its trigger.
        TriggerPending = "TriggerPending",
        /// Conditional order whose trigger fired but could not be placed.
        TriggerFailed = "TriggerFailed",
    }
}

impl OrderStatus {
    /// Whether the order can still trade (resting or waiting for a trigger).
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            OrderStatus::New | OrderStatus::PartiallyFilled | OrderStatus::TriggerPending
        )
    }
}

open_enum! {
    /// Why the exchange ended an order (order history).
    pub enum ExpiryReason {
        /// The account cannot trade.
        AccountTradingSuspended = "AccountTradingSuspended",
        /// Borrowing needs lent funds redeemed first.
        BorrowRequiresLendRedeem = "BorrowRequiresLendRedeem",
        /// A fill-or-kill order could not fill completely.
        FillOrKill = "FillOrKill",
        /// Not enough borrowable quantity.
        InsufficientBorrowableQuantity = "InsufficientBorrowableQuantity",
        /// Not enough funds.
        InsufficientFunds = "InsufficientFunds",
        /// Not enough liquidity in the book.
        InsufficientLiquidity = "InsufficientLiquidity",
        /// Invalid price.
        InvalidPrice = "InvalidPrice",
        /// Invalid quantity.
        InvalidQuantity = "InvalidQuantity",
        /// Remainder of an immediate-or-cancel order.
        ImmediateOrCancel = "ImmediateOrCancel",
        /// Not enough margin.
        InsufficientMargin = "InsufficientMargin",
        /// Liquidation.
        Liquidation = "Liquidation",
        /// Negative equity.
        NegativeEquity = "NegativeEquity",
        /// The market only accepts post-only orders.
        PostOnlyMode = "PostOnlyMode",
        /// A post-only order would have taken liquidity.
        PostOnlyTaker = "PostOnlyTaker",
        /// Price outside the allowed band.
        PriceOutOfBounds = "PriceOutOfBounds",
        /// A reduce-only order would not reduce the position.
        ReduceOnlyNotReduced = "ReduceOnlyNotReduced",
        /// Self-trade prevention fired.
        SelfTradePrevention = "SelfTradePrevention",
        /// A stop order without a position.
        StopWithoutPosition = "StopWithoutPosition",
        /// Price impact too large.
        PriceImpact = "PriceImpact",
        /// The exchange gives no reason.
        Unspecified = "Unknown",
        /// Permissions of the user.
        UserPermissions = "UserPermissions",
        /// Too many stop orders on the position.
        MaxStopOrdersPerPosition = "MaxStopOrdersPerPosition",
        /// Position limit reached.
        PositionLimit = "PositionLimit",
        /// Slippage tolerance exceeded.
        SlippageToleranceExceeded = "SlippageToleranceExceeded",
    }
}

open_enum! {
    /// Orders the exchange places on its own (history `systemOrderType`).
    pub enum SystemOrderType {
        /// Collateral conversion.
        CollateralConversion = "CollateralConversion",
        /// Dated future expiry.
        FutureExpiry = "FutureExpiry",
        /// Auto-deleveraging.
        LiquidatePositionOnAdl = "LiquidatePositionOnAdl",
        /// Liquidation on the book.
        LiquidatePositionOnBook = "LiquidatePositionOnBook",
        /// Liquidation by the backstop.
        LiquidatePositionOnBackstop = "LiquidatePositionOnBackstop",
        /// The order book closed.
        OrderBookClosed = "OrderBookClosed",
    }
}

open_enum! {
    /// Trading state of a market's order book.
    pub enum OrderBookState {
        /// Normal trading.
        Open = "Open",
        /// No trading.
        Closed = "Closed",
        /// Only cancels accepted.
        CancelOnly = "CancelOnly",
        /// Only limit orders accepted.
        LimitOnly = "LimitOnly",
        /// Only post-only orders accepted.
        PostOnly = "PostOnly",
    }
}

open_enum! {
    /// Sort order of history endpoints.
    pub enum SortDirection {
        /// Oldest first.
        Asc = "Asc",
        /// Newest first.
        Desc = "Desc",
    }
}

open_enum! {
    /// Which fills the fill history returns.
    pub enum FillType {
        /// The user's own orders.
        User = "User",
        /// Liquidations on the book.
        BookLiquidation = "BookLiquidation",
        /// Auto-deleveraging.
        Adl = "Adl",
        /// Backstop liquidations.
        Backstop = "Backstop",
        /// Liquidations.
        Liquidation = "Liquidation",
        /// All liquidation kinds.
        AllLiquidation = "AllLiquidation",
        /// Collateral conversions.
        CollateralConversion = "CollateralConversion",
        /// Collateral conversions and spot liquidations.
        CollateralConversionAndSpotLiquidation = "CollateralConversionAndSpotLiquidation",
    }
}

open_enum! {
    /// Which orders a cancel-all removes.
    pub enum CancelOrderType {
        /// Resting limit orders only.
        RestingLimitOrder = "RestingLimitOrder",
        /// Conditional (trigger) orders only.
        ConditionalOrder = "ConditionalOrder",
    }
}

open_enum! {
    /// How a slippage tolerance is expressed.
    pub enum SlippageToleranceType {
        /// In ticks.
        TickSize = "TickSize",
        /// In percent.
        Percent = "Percent",
    }
}

open_enum! {
    /// Exchange status.
    pub enum ExchangeStatus {
        /// Operating normally.
        Ok = "Ok",
        /// Under maintenance.
        Maintenance = "Maintenance",
    }
}

open_enum! {
    /// Candle width for klines.
    pub enum KlineInterval {
        /// 1 minute.
        OneMinute = "1m",
        /// 3 minutes.
        ThreeMinutes = "3m",
        /// 5 minutes.
        FiveMinutes = "5m",
        /// 15 minutes.
        FifteenMinutes = "15m",
        /// 30 minutes.
        ThirtyMinutes = "30m",
        /// 1 hour.
        OneHour = "1h",
        /// 2 hours.
        TwoHours = "2h",
        /// 4 hours.
        FourHours = "4h",
        /// 6 hours.
        SixHours = "6h",
        /// 8 hours.
        EightHours = "8h",
        /// 12 hours.
        TwelveHours = "12h",
        /// 1 day.
        OneDay = "1d",
        /// 3 days.
        ThreeDays = "3d",
        /// 1 week.
        OneWeek = "1w",
        /// 1 month.
        OneMonth = "1month",
    }
}

impl KlineInterval {
    /// Width of one candle in seconds (a month counts as 30 days); `None` for `Unknown`.
    pub fn seconds(&self) -> Option<i64> {
        Some(match self {
            KlineInterval::OneMinute => 60,
            KlineInterval::ThreeMinutes => 180,
            KlineInterval::FiveMinutes => 300,
            KlineInterval::FifteenMinutes => 900,
            KlineInterval::ThirtyMinutes => 1_800,
            KlineInterval::OneHour => 3_600,
            KlineInterval::TwoHours => 7_200,
            KlineInterval::FourHours => 14_400,
            KlineInterval::SixHours => 21_600,
            KlineInterval::EightHours => 28_800,
            KlineInterval::TwelveHours => 43_200,
            KlineInterval::OneDay => 86_400,
            KlineInterval::ThreeDays => 259_200,
            KlineInterval::OneWeek => 604_800,
            KlineInterval::OneMonth => 2_592_000,
            KlineInterval::Unknown(_) => return None,
        })
    }
}

open_enum! {
    /// Which price a kline series follows.
    pub enum KlinePriceType {
        /// Last traded price.
        Last = "Last",
        /// Index price.
        Index = "Index",
        /// Mark price.
        Mark = "Mark",
    }
}

open_enum! {
    /// Window of the 24h ticker statistics.
    pub enum TickerInterval {
        /// One day.
        OneDay = "1d",
        /// One week.
        OneWeek = "1w",
    }
}

open_enum! {
    /// Number of price levels per side the depth endpoint returns.
    pub enum DepthLimit {
        /// 5 levels.
        L5 = "5",
        /// 10 levels.
        L10 = "10",
        /// 20 levels.
        L20 = "20",
        /// 50 levels.
        L50 = "50",
        /// 100 levels.
        L100 = "100",
        /// 500 levels.
        L500 = "500",
        /// 1000 levels.
        L1000 = "1000",
    }
}

impl DepthLimit {
    /// Number of levels; `None` for `Unknown`.
    pub fn levels(&self) -> Option<usize> {
        self.as_str().parse().ok()
    }
}

open_enum! {
    /// Side of a borrow/lend position or order.
    pub enum BorrowLendSide {
        /// Borrow.
        Borrow = "Borrow",
        /// Lend.
        Lend = "Lend",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_decode_and_round_trip() {
        let status: OrderStatus = serde_json::from_str(r#""Triggered""#).unwrap();
        assert_eq!(status, OrderStatus::Unknown("Triggered".into()));
        assert_eq!(serde_json::to_string(&status).unwrap(), r#""Triggered""#);
        assert!(!status.is_open());
    }

    #[test]
    fn from_str_is_strict_and_says_what_is_accepted() {
        assert_eq!("GTC".parse::<TimeInForce>().unwrap(), TimeInForce::Gtc);
        let error = "gtc".parse::<TimeInForce>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "`gtc` is not a valid TimeInForce; expected one of: GTC, IOC, FOK"
        );
    }

    #[test]
    fn wire_spellings() {
        assert_eq!(MarketType::Perp.as_str(), "PERP");
        assert_eq!(KlineInterval::OneMonth.as_str(), "1month");
        assert_eq!(DepthLimit::L100.levels(), Some(100));
        assert_eq!(
            ExpiryReason::from_wire("Unknown"),
            ExpiryReason::Unspecified
        );
        assert_eq!(Side::Bid.opposite(), Side::Ask);
    }
}
