//! Account endpoints (signed): settings, balances, collateral, positions.

use serde::Serialize;

use super::{DecodeError, Effect, Method, Request, json_request};
use crate::model::{
    AccountSettings, Balances, BorrowLendPosition, Collateral, FuturePosition, MaxOrderQuantity,
    Price, Rate, Side, Symbol,
};

/// `GET /api/v1/account` (`accountQuery`): settings and fee tier.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GetAccount {}
json_request!(GetAccount => AccountSettings, Get "/api/v1/account", instruction: Some("accountQuery"));

/// `PATCH /api/v1/account` (`accountUpdate`): change settings. Fields left `None` are kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAccount {
    /// Borrow automatically to settle negative balances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_borrow_settlements: Option<bool>,
    /// Lend idle balances automatically.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_lend: Option<bool>,
    /// Repay borrows automatically.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_repay_borrows: Option<bool>,
    /// Account leverage limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leverage_limit: Option<Rate>,
}

impl Request for UpdateAccount {
    type Response = ();
    const METHOD: Method = Method::Patch;
    const PATH: &'static str = "/api/v1/account";
    const INSTRUCTION: Option<&'static str> = Some("accountUpdate");
    const EFFECT: Effect = Effect::Write;

    /// The exchange answers with an empty body.
    fn decode(_status: u16, _body: &[u8]) -> Result<(), DecodeError> {
        Ok(())
    }
}

/// `GET /api/v1/capital` (`balanceQuery`): available, locked and staked per asset.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GetBalances {}
json_request!(GetBalances => Balances, Get "/api/v1/capital", instruction: Some("balanceQuery"));

/// `GET /api/v1/capital/collateral` (`collateralQuery`): margin summary, including lent
/// quantities per asset.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetCollateral {
    /// A sub-account instead of the main account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subaccount_id: Option<u16>,
}
json_request!(GetCollateral => Collateral, Get "/api/v1/capital/collateral", instruction: Some("collateralQuery"));

/// `GET /api/v1/position` (`positionQuery`): open perpetual positions (`[]` when flat).
#[derive(Debug, Clone, Default, Serialize)]
pub struct GetPositions {
    /// One market only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Symbol>,
}
json_request!(GetPositions => Vec<FuturePosition>, Get "/api/v1/position", instruction: Some("positionQuery"));

/// `GET /api/v1/borrowLend/positions` (`borrowLendPositionQuery`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct GetBorrowLendPositions {}
json_request!(GetBorrowLendPositions => Vec<BorrowLendPosition>, Get "/api/v1/borrowLend/positions", instruction: Some("borrowLendPositionQuery"));

/// `GET /api/v1/account/limits/order` (`maxOrderQuantity`): the largest order the account
/// can place now.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetMaxOrderQuantity {
    /// Market symbol.
    pub symbol: Symbol,
    /// Side of the order.
    pub side: Side,
    /// Limit price (market price when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
    /// Whether the order would be reduce-only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reduce_only: Option<bool>,
}
json_request!(GetMaxOrderQuantity => MaxOrderQuantity, Get "/api/v1/account/limits/order", instruction: Some("maxOrderQuantity"));
