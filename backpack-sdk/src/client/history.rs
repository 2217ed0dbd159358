//! Order, fill and funding history (signed), with a paging helper.

use super::Client;
use crate::api::Request;
use crate::api::history::{GetFillHistory, GetFundingPayments, GetOrderHistory, MAX_PAGE, Paged};
use crate::error::Error;
use crate::model::{Fill, FundingPayment, HistoricalOrder};

/// Account history. Get one with [`Client::history`].
///
/// # References
/// <https://docs.backpack.exchange/#tag/History>
#[derive(Debug, Clone, Copy)]
pub struct History<'a> {
    client: &'a Client,
}

impl<'a> History<'a> {
    pub(super) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// Orders, open and finished (one page; filter and page with [`GetOrderHistory`]'s
    /// setters).
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn orders(&self, query: &GetOrderHistory) -> Result<Vec<HistoricalOrder>, Error> {
        self.client.execute(query).await
    }

    /// Fills (one page).
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn fills(&self, query: &GetFillHistory) -> Result<Vec<Fill>, Error> {
        self.client.execute(query).await
    }

    /// Funding payments (one page).
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn funding(&self, query: &GetFundingPayments) -> Result<Vec<FundingPayment>, Error> {
        self.client.execute(query).await
    }

    /// Follows pages from the query's offset until a short page or `max_rows` rows.
    ///
    /// # Errors
    /// The first failing page's error (rows already fetched are dropped).
    pub async fn collect<R, T>(&self, query: &R, max_rows: usize) -> Result<Vec<T>, Error>
    where
        R: Request<Response = Vec<T>> + Paged,
    {
        let page = query.page_limit().unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
        let mut offset = query.page_offset().unwrap_or(0);
        let mut rows = Vec::new();
        while rows.len() < max_rows {
            let batch = self
                .client
                .execute(&query.clone().with_page(page, offset))
                .await?;
            let fetched = batch.len();
            rows.extend(batch);
            if fetched < usize::try_from(page).unwrap_or(usize::MAX) {
                break;
            }
            offset += u64::from(page);
        }
        rows.truncate(max_rows);
        Ok(rows)
    }
}
