//! Live positions and PnL.

use std::sync::Arc;

use ibapi::accounts::types::AccountId;
use ibapi::accounts::{PnL, PositionUpdate as IbPosition};
use serde::Serialize;

use super::{EventStream, Kind, resubscribing};
use crate::account::AccountApi;
use crate::boundary;
use crate::error::Error;
use crate::money::{ConId, Money, Price, Quantity};

/// A position as the gateway reports it (after the initial listing, every change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PositionUpdate {
    /// A position (zero when it was closed).
    Position {
        /// Contract id.
        con_id: ConId,
        /// Symbol.
        symbol: String,
        /// Signed quantity.
        quantity: Quantity,
        /// Average cost per unit, multiplier included.
        average_cost: Price,
    },
    /// The initial listing is complete (after a reconnect it comes again).
    End,
}

/// The account's PnL, pushed by the gateway as it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PnlUpdate {
    /// Today's PnL.
    pub daily: Option<Money>,
    /// Unrealized PnL.
    pub unrealized: Option<Money>,
    /// Realized PnL.
    pub realized: Option<Money>,
}

impl AccountApi<'_> {
    /// The account's positions, then every change, resubscribed after a reconnect (which
    /// lists them all again: replace, do not add).
    ///
    /// # Errors
    /// [`Error::NotConnected`]; [`Error::Timeout`].
    pub async fn position_stream(&self) -> Result<EventStream<PositionUpdate>, Error> {
        let account = self.client().account_id().to_owned();
        let open: super::Opener<IbPosition> = Box::new(|gateway: Arc<ibapi::Client>| {
            Box::pin(async move {
                let subscription = gateway.positions().await?;
                Ok(Box::pin(subscription) as super::Items<IbPosition>)
            })
        });
        let convert: super::Converter<IbPosition, PositionUpdate> =
            Box::new(move |update| match update {
                IbPosition::Position(position) if position.account == account => {
                    vec![PositionUpdate::Position {
                        con_id: ConId(position.contract.contract_id),
                        symbol: position.contract.symbol.to_string(),
                        quantity: boundary::quantity(position.position),
                        average_cost: Price::new(
                            boundary::from_ib(position.average_cost).unwrap_or_default(),
                        ),
                    }]
                }
                IbPosition::Position(_) => Vec::new(),
                IbPosition::PositionEnd => vec![PositionUpdate::End],
            });
        resubscribing(self.client(), Kind::Account, "", open, convert).await
    }

    /// The account's PnL as the gateway pushes it, resubscribed after a reconnect.
    ///
    /// # Errors
    /// [`Error::NotConnected`]; [`Error::Timeout`].
    pub async fn pnl_stream(&self) -> Result<EventStream<PnlUpdate>, Error> {
        let account = Arc::new(AccountId(self.client().account_id().to_owned()));
        let open: super::Opener<PnL> = Box::new(move |gateway: Arc<ibapi::Client>| {
            let account = Arc::clone(&account);
            Box::pin(async move {
                let subscription = gateway.pnl(&account, None).await?;
                Ok(Box::pin(subscription) as super::Items<PnL>)
            })
        });
        let convert: super::Converter<PnL, PnlUpdate> = Box::new(move |pnl: PnL| {
            vec![PnlUpdate {
                daily: boundary::money(pnl.daily_pnl),
                unrealized: pnl.unrealized_pnl.and_then(boundary::money),
                realized: pnl.realized_pnl.and_then(boundary::money),
            }]
        });
        resubscribing(self.client(), Kind::Account, "", open, convert).await
    }
}
