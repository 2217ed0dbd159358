//! Account summary, positions and PnL.

use std::collections::BTreeMap;

use futures::StreamExt;
use ibapi::accounts::types::{AccountGroup, AccountId, ContractId};
use ibapi::accounts::{AccountSummaryResult, PositionUpdate};
use ibapi::subscriptions::SubscriptionItem;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::boundary;
use crate::client::IbkrClient;
use crate::contracts::SecType;
use crate::error::Error;
use crate::money::{ConId, Money, Price, Quantity, parse_decimal};

/// The account's headline figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct AccountSummary {
    /// Account id.
    pub account: String,
    /// Base currency.
    pub currency: String,
    /// Net liquidation value.
    pub net_liquidation: Money,
    /// Cash.
    pub total_cash: Money,
    /// Buying power.
    pub buying_power: Money,
    /// Funds available for new positions.
    pub available_funds: Money,
    /// Excess liquidity.
    pub excess_liquidity: Money,
    /// Initial margin requirement.
    pub initial_margin: Money,
    /// Maintenance margin requirement.
    pub maintenance_margin: Money,
    /// Equity with loan value.
    pub equity_with_loan: Money,
    /// Gross position value.
    pub gross_position_value: Money,
}

const SUMMARY_TAGS: &[&str] = &[
    "NetLiquidation",
    "TotalCashValue",
    "BuyingPower",
    "AvailableFunds",
    "ExcessLiquidity",
    "InitMarginReq",
    "MaintMarginReq",
    "EquityWithLoanValue",
    "GrossPositionValue",
];

/// One position, with its market value and PnL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Position {
    /// Contract id.
    pub con_id: ConId,
    /// Symbol.
    pub symbol: String,
    /// Security type.
    pub sec_type: Option<SecType>,
    /// Exchange-local symbol.
    pub local_symbol: String,
    /// Currency.
    pub currency: String,
    /// Signed quantity (negative short).
    pub quantity: Quantity,
    /// Average cost per unit, multiplier included (IBKR's convention).
    pub average_cost: Price,
    /// Current price per unit (market value / quantity / multiplier).
    pub market_price: Option<Price>,
    /// Market value.
    pub market_value: Option<Money>,
    /// Unrealized PnL.
    pub unrealized_pnl: Option<Money>,
    /// Realized PnL (today).
    pub realized_pnl: Option<Money>,
    /// Daily PnL.
    pub daily_pnl: Option<Money>,
}

/// PnL of one position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SymbolPnl {
    /// Contract id.
    pub con_id: ConId,
    /// Symbol.
    pub symbol: String,
    /// Quantity held.
    pub quantity: Quantity,
    /// Daily PnL.
    pub daily: Option<Money>,
    /// Unrealized PnL.
    pub unrealized: Option<Money>,
    /// Realized PnL.
    pub realized: Option<Money>,
}

/// Account PnL, in total and by position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PnlReport {
    /// Account id.
    pub account: String,
    /// Daily PnL of the account.
    pub daily: Money,
    /// Unrealized PnL of the account.
    pub unrealized: Option<Money>,
    /// Realized PnL of the account.
    pub realized: Option<Money>,
    /// By position, from the same source as [`AccountApi::positions`].
    pub by_symbol: Vec<SymbolPnl>,
}

/// Account queries. Get one with [`IbkrClient::account`].
#[derive(Debug, Clone, Copy)]
pub struct AccountApi<'a> {
    client: &'a IbkrClient,
}

impl<'a> AccountApi<'a> {
    pub(crate) fn new(client: &'a IbkrClient) -> Self {
        Self { client }
    }

    pub(crate) fn client(&self) -> &'a IbkrClient {
        self.client
    }

    fn deadline(&self) -> tokio::time::Instant {
        tokio::time::Instant::now() + self.client.request_timeout()
    }

    fn timeout(&self, what: &'static str) -> Error {
        Error::Timeout {
            what,
            after: self.client.request_timeout(),
        }
    }

    /// The account summary.
    ///
    /// # Errors
    /// [`Error::Timeout`]; [`Error::Disconnected`]; a figure missing from the gateway's
    /// answer is [`Error::InvalidRequest`].
    pub async fn summary(&self) -> Result<AccountSummary, Error> {
        crate::timing::timed(
            "account_summary",
            Box::pin(async {
                let gateway = self.client.gateway()?;
                let group = AccountGroup("All".into());
                let mut subscription = self
                    .client
                    .bounded(
                        "account summary",
                        "",
                        gateway.account_summary(&group, SUMMARY_TAGS),
                    )
                    .await?;
                let deadline = self.deadline();
                let account = self.client.account_id().to_owned();
                let mut values: BTreeMap<String, (Decimal, String)> = BTreeMap::new();
                loop {
                    match tokio::time::timeout_at(deadline, subscription.next()).await {
                        Err(_) => return Err(self.timeout("account summary")),
                        Ok(None)
                        | Ok(Some(Ok(SubscriptionItem::Data(AccountSummaryResult::End)))) => {
                            break;
                        }
                        Ok(Some(Ok(SubscriptionItem::Data(AccountSummaryResult::Summary(
                            row,
                        ))))) => {
                            if row.account == account
                                && let Ok(value) = parse_decimal(&row.value)
                            {
                                values.insert(row.tag, (value, row.currency));
                            }
                        }
                        Ok(Some(Ok(SubscriptionItem::Notice(_)))) => {}
                        Ok(Some(Err(error))) => return Err(Error::from_ibapi(error, "")),
                    }
                }
                let figure = |tag: &str| {
                    values
                        .get(tag)
                        .map(|(value, _)| Money::new(*value))
                        .ok_or_else(|| {
                            Error::InvalidRequest(format!("the gateway did not report {tag}"))
                        })
                };
                Ok(AccountSummary {
                    currency: values
                        .get("NetLiquidation")
                        .map(|(_, c)| c.clone())
                        .unwrap_or_default(),
                    net_liquidation: figure("NetLiquidation")?,
                    total_cash: figure("TotalCashValue")?,
                    buying_power: figure("BuyingPower")?,
                    available_funds: figure("AvailableFunds")?,
                    excess_liquidity: figure("ExcessLiquidity")?,
                    initial_margin: figure("InitMarginReq")?,
                    maintenance_margin: figure("MaintMarginReq")?,
                    equity_with_loan: figure("EquityWithLoanValue")?,
                    gross_position_value: figure("GrossPositionValue")?,
                    account,
                })
            }),
        )
        .await
    }

    /// Open positions of the account, keyed by contract id, each with its market value and
    /// PnL (asked per position, concurrently).
    ///
    /// # Errors
    /// [`Error::Timeout`]; [`Error::Disconnected`].
    pub async fn positions(&self) -> Result<BTreeMap<ConId, Position>, Error> {
        crate::timing::timed(
            "positions",
            Box::pin(async {
                let mut subscription = self
                    .client
                    .bounded("positions", "", self.client.gateway()?.positions())
                    .await?;
                let deadline = self.deadline();
                let mut raw = Vec::new();
                loop {
                    match tokio::time::timeout_at(deadline, subscription.next()).await {
                        Err(_) => return Err(self.timeout("positions")),
                        Ok(None)
                        | Ok(Some(Ok(SubscriptionItem::Data(PositionUpdate::PositionEnd)))) => {
                            break;
                        }
                        Ok(Some(Ok(SubscriptionItem::Data(PositionUpdate::Position(
                            position,
                        ))))) => {
                            let held =
                                boundary::from_ib(position.position).is_some_and(|q| !q.is_zero());
                            if position.account == self.client.account_id() && held {
                                raw.push(position);
                            }
                        }
                        Ok(Some(Ok(SubscriptionItem::Notice(_)))) => {}
                        Ok(Some(Err(error))) => return Err(Error::from_ibapi(error, "")),
                    }
                }
                drop(subscription);
                let figures = futures::future::join_all(
                    raw.iter()
                        .map(|p| self.position_pnl(ConId(p.contract.contract_id))),
                )
                .await;
                let mut out = BTreeMap::new();
                for (position, figures) in raw.into_iter().zip(figures) {
                    let figures = figures?;
                    let contract = &position.contract;
                    let quantity = boundary::from_ib(position.position).unwrap_or_default();
                    let multiplier = parse_decimal(&contract.multiplier)
                        .ok()
                        .filter(|m| !m.is_zero())
                        .unwrap_or(Decimal::ONE);
                    let market_price = figures
                        .value
                        .and_then(|value| {
                            value.value().checked_div(quantity.checked_mul(multiplier)?)
                        })
                        .map(|p| Price::new(p.round_dp(6).normalize()));
                    let con_id = ConId(contract.contract_id);
                    out.insert(
                        con_id,
                        Position {
                            con_id,
                            symbol: contract.symbol.to_string(),
                            sec_type: contract.security_type.to_string().parse().ok(),
                            local_symbol: contract.local_symbol.clone(),
                            currency: contract.currency.to_string(),
                            quantity: Quantity::new(quantity),
                            average_cost: Price::new(
                                boundary::from_ib(position.average_cost).unwrap_or_default(),
                            ),
                            market_price,
                            market_value: figures.value,
                            unrealized_pnl: figures.unrealized,
                            realized_pnl: figures.realized,
                            daily_pnl: figures.daily,
                        },
                    );
                }
                Ok(out)
            }),
        )
        .await
    }

    async fn position_pnl(&self, con_id: ConId) -> Result<PositionFigures, Error> {
        let account = AccountId(self.client.account_id().to_owned());
        let mut subscription = self
            .client
            .bounded(
                "position PnL",
                "",
                self.client
                    .gateway()?
                    .pnl_single(&account, ContractId(con_id.0), None),
            )
            .await?;
        let deadline = self.deadline();
        loop {
            match tokio::time::timeout_at(deadline, subscription.next()).await {
                Err(_) => return Err(self.timeout("position PnL")),
                Ok(None) => return Ok(PositionFigures::default()),
                Ok(Some(Ok(SubscriptionItem::Data(pnl)))) => {
                    return Ok(PositionFigures {
                        value: boundary::money(pnl.value),
                        unrealized: boundary::money(pnl.unrealized_pnl),
                        realized: boundary::money(pnl.realized_pnl),
                        daily: boundary::money(pnl.daily_pnl),
                    });
                }
                Ok(Some(Ok(SubscriptionItem::Notice(_)))) => {}
                Ok(Some(Err(error))) => return Err(Error::from_ibapi(error, "")),
            }
        }
    }

    /// The account's PnL, in total and by position.
    ///
    /// # Errors
    /// As [`positions`](Self::positions).
    pub async fn pnl(&self) -> Result<PnlReport, Error> {
        crate::timing::timed(
            "pnl",
            Box::pin(async {
                let account = AccountId(self.client.account_id().to_owned());
                let mut subscription = self
                    .client
                    .bounded("PnL", "", self.client.gateway()?.pnl(&account, None))
                    .await?;
                let deadline = self.deadline();
                let total = loop {
                    match tokio::time::timeout_at(deadline, subscription.next()).await {
                        Err(_) | Ok(None) => return Err(self.timeout("PnL")),
                        Ok(Some(Ok(SubscriptionItem::Data(pnl)))) => break pnl,
                        Ok(Some(Ok(SubscriptionItem::Notice(_)))) => {}
                        Ok(Some(Err(error))) => return Err(Error::from_ibapi(error, "")),
                    }
                };
                drop(subscription);
                let positions = self.positions().await?;
                Ok(PnlReport {
                    account: account.0,
                    daily: boundary::money(total.daily_pnl).unwrap_or_default(),
                    unrealized: total.unrealized_pnl.and_then(boundary::money),
                    realized: total.realized_pnl.and_then(boundary::money),
                    by_symbol: positions
                        .into_values()
                        .map(|p| SymbolPnl {
                            con_id: p.con_id,
                            symbol: p.symbol,
                            quantity: p.quantity,
                            daily: p.daily_pnl,
                            unrealized: p.unrealized_pnl,
                            realized: p.realized_pnl,
                        })
                        .collect(),
                })
            }),
        )
        .await
    }
}

#[derive(Debug, Default)]
struct PositionFigures {
    value: Option<Money>,
    unrealized: Option<Money>,
    realized: Option<Money>,
    daily: Option<Money>,
}
