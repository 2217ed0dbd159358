//! Live quotes.

use ibapi::market_data::realtime::{Quote as IbQuote, TickTypes};
use serde::Serialize;

use super::{EventStream, Kind, resubscribing};
use crate::client::IbkrClient;
use crate::contracts::{ContractSpec, ResolvedContract};
use crate::error::Error;
use crate::market_data::{Quote, quote_from};

/// A quote as it stands after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct QuoteUpdate {
    /// The quote with every field known so far (live or delayed: see its `source`).
    pub quote: Quote,
}

impl crate::market_data::MarketData<'_> {
    /// A live quote stream: the quote again after every change of bid, ask, last, their
    /// sizes or volume. Delayed data when the connection uses it (see
    /// [`quote`](Self::quote)); the quote's `source` says which. It resubscribes after a
    /// reconnect by itself ([`StreamEvent::Resumed`](super::StreamEvent::Resumed)), and
    /// dropping it cancels the subscription at the gateway.
    ///
    /// # Errors
    /// Contract errors; [`Error::NoMarketDataPermission`]; [`Error::SubscriptionLimit`]
    /// when the account's market-data lines are used up; [`Error::NotConnected`].
    pub async fn quote_stream(
        &self,
        spec: &ContractSpec,
    ) -> Result<EventStream<QuoteUpdate>, Error> {
        let contract = self.client().contracts().resolve(spec).await?;
        quote_stream(self.client(), contract).await
    }
}

pub(crate) async fn quote_stream(
    client: &IbkrClient,
    contract: ResolvedContract,
) -> Result<EventStream<QuoteUpdate>, Error> {
    let symbol = contract.symbol.clone();
    let open: super::Opener<TickTypes> = super::per_contract(&contract, |gateway, ib| async move {
        let subscription = gateway.market_data(&ib).subscribe().await?;
        Ok(Box::pin(subscription) as super::Items<TickTypes>)
    });
    let mut folded = IbQuote::default();
    let mut advised_delayed = client.uses_delayed_data();
    let convert: super::Converter<TickTypes, QuoteUpdate> = Box::new(move |tick: TickTypes| {
        let changes = matches!(
            tick,
            TickTypes::Price(_) | TickTypes::Size(_) | TickTypes::PriceSize(_)
        );
        if let TickTypes::MarketDataType(_) = &tick {
            advised_delayed = false;
        }
        folded.apply(&tick);
        if changes {
            vec![QuoteUpdate {
                quote: quote_from(&contract, &folded, advised_delayed),
            }]
        } else {
            Vec::new()
        }
    });
    resubscribing(client, Kind::MarketData, &symbol, open, convert).await
}
