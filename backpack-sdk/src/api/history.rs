//! Account history endpoints (signed, under `/wapi/v1/history`), paged by `limit`/`offset`.
//!
//! `marketType` is sent as a single value: the exchange documents it as an array, but how
//! repeated query keys are signed is not established, and a wrong guess fails the signature.

use serde::{Deserialize, Serialize};

use super::json_request;
use crate::model::{
    Fill, FillType, FundingPayment, HistoricalOrder, MarketType, OrderId, SortDirection,
    StrategyId, Symbol, Timestamp,
};

/// Largest page the history endpoints return.
pub const MAX_PAGE: u32 = 1_000;

/// A request paged by `limit` and `offset`.
pub trait Paged: Clone {
    /// Current page size (`None`: exchange default, 100).
    fn page_limit(&self) -> Option<u32>;
    /// Current offset.
    fn page_offset(&self) -> Option<u64>;
    /// The same request for another page.
    #[must_use]
    fn with_page(self, limit: u32, offset: u64) -> Self;
}

macro_rules! paged {
    ($request:ty) => {
        impl Paged for $request {
            fn page_limit(&self) -> Option<u32> {
                self.limit
            }
            fn page_offset(&self) -> Option<u64> {
                self.offset
            }
            fn with_page(mut self, limit: u32, offset: u64) -> Self {
                self.limit = Some(limit);
                self.offset = Some(offset);
                self
            }
        }

        impl $request {
            /// Page size (max 1000).
            #[must_use]
            pub fn limit(mut self, limit: u32) -> Self {
                self.limit = Some(limit);
                self
            }

            /// Rows to skip.
            #[must_use]
            pub fn offset(mut self, offset: u64) -> Self {
                self.offset = Some(offset);
                self
            }

            /// Oldest or newest first.
            #[must_use]
            pub fn sort(mut self, direction: SortDirection) -> Self {
                self.sort_direction = Some(direction);
                self
            }

            /// One market only.
            #[must_use]
            pub fn symbol(mut self, symbol: impl Into<Symbol>) -> Self {
                self.symbol = Some(symbol.into());
                self
            }
        }
    };
}

/// `GET /wapi/v1/history/orders` (`orderHistoryQueryAll`): every order, open or finished.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct GetOrderHistory {
    /// One order only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    /// Orders of one strategy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy_id: Option<StrategyId>,
    /// One market only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Symbol>,
    /// Page size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Rows to skip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Markets of one type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub market_type: Option<MarketType>,
    /// Sort order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_direction: Option<SortDirection>,
}

impl GetOrderHistory {
    /// All orders (filter with the setters).
    pub fn new() -> Self {
        Self::default()
    }

    /// One order only.
    #[must_use]
    pub fn order_id(mut self, id: impl Into<OrderId>) -> Self {
        self.order_id = Some(id.into());
        self
    }

    /// Markets of one type.
    #[must_use]
    pub fn market_type(mut self, market_type: MarketType) -> Self {
        self.market_type = Some(market_type);
        self
    }
}
paged!(GetOrderHistory);
json_request!(GetOrderHistory => Vec<HistoricalOrder>, Get "/wapi/v1/history/orders", instruction: Some("orderHistoryQueryAll"));

/// `GET /wapi/v1/history/fills` (`fillHistoryQueryAll`): the account's fills.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct GetFillHistory {
    /// Fills of one order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    /// Fills of one strategy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy_id: Option<StrategyId>,
    /// From this time (milliseconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    /// Up to this time (milliseconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<i64>,
    /// One market only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Symbol>,
    /// Page size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Rows to skip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// User fills, liquidations, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fill_type: Option<FillType>,
    /// Markets of one type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub market_type: Option<MarketType>,
    /// Sort order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_direction: Option<SortDirection>,
}

impl GetFillHistory {
    /// All fills (filter with the setters).
    pub fn new() -> Self {
        Self::default()
    }

    /// Fills of one order.
    #[must_use]
    pub fn order_id(mut self, id: impl Into<OrderId>) -> Self {
        self.order_id = Some(id.into());
        self
    }

    /// Fills in `[from, to]`.
    #[must_use]
    pub fn between(mut self, from: Option<Timestamp>, to: Option<Timestamp>) -> Self {
        self.from = from.map(Timestamp::as_millis);
        self.to = to.map(Timestamp::as_millis);
        self
    }

    /// One kind of fill.
    #[must_use]
    pub fn fill_type(mut self, fill_type: FillType) -> Self {
        self.fill_type = Some(fill_type);
        self
    }

    /// Markets of one type.
    #[must_use]
    pub fn market_type(mut self, market_type: MarketType) -> Self {
        self.market_type = Some(market_type);
        self
    }
}
paged!(GetFillHistory);
json_request!(GetFillHistory => Vec<Fill>, Get "/wapi/v1/history/fills", instruction: Some("fillHistoryQueryAll"));

/// `GET /wapi/v1/history/funding` (`fundingHistoryQueryAll`): funding paid and received.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetFundingPayments {
    /// A sub-account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subaccount_id: Option<u16>,
    /// One market only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Symbol>,
    /// Page size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Rows to skip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Sort order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_direction: Option<SortDirection>,
}

impl GetFundingPayments {
    /// All funding payments (filter with the setters).
    pub fn new() -> Self {
        Self::default()
    }
}
paged!(GetFundingPayments);
json_request!(GetFundingPayments => Vec<FundingPayment>, Get "/wapi/v1/history/funding", instruction: Some("fundingHistoryQueryAll"));
