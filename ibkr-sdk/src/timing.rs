//! One `debug` line per gateway operation (target `ibkr_sdk::request`, with its `endpoint`
//! and `elapsed_us`), so an application (our MCP server among them) can time what it waits
//! on the gateway for from its logs. An operation made of others (a quote resolves its
//! contract first) is one line: the inner ones are not logged again.

use std::future::Future;
use std::time::Instant;

use crate::error::Error;

tokio::task_local! {
    static TIMING: ();
}

/// Runs `operation`, logging how long it took unless an outer operation already is.
pub(crate) async fn timed<T>(
    endpoint: &'static str,
    operation: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    if TIMING.try_with(|()| ()).is_ok() {
        return operation.await;
    }
    let started = Instant::now();
    let result = TIMING.scope((), operation).await;
    tracing::debug!(
        target: "ibkr_sdk::request",
        endpoint,
        elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        ok = result.is_ok(),
        "ibkr request"
    );
    result
}
