//! The crate's error type, grouped by what the caller can do.
//!
//! [`Error::outcome`] says, for order calls, whether the order was never sent, was refused,
//! or may have reached the gateway (then look it up with `orders().status(id)` before
//! placing it again).

use std::time::Duration;

use crate::money::OrderId;

/// What is known about the effect of a failed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Nothing was sent to the gateway.
    NotSent,
    /// The gateway (or IBKR) refused it: nothing changed.
    Rejected,
    /// It may have taken effect: check before retrying.
    Unknown,
}

/// An invalid order, listing every problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid order: {}", .problems.join("; "))]
pub struct InvalidOrder {
    /// What is wrong, each naming the field.
    pub problems: Vec<String>,
}

/// Every way a call can fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is invalid or unsafe; nothing was started.
    #[error("configuration: {0}")]
    Config(String),

    /// Nothing accepts connections at the gateway address.
    #[error(
        "the IB gateway at {address} is unreachable ({reason}); is TWS or IB Gateway running with the API enabled on that port?"
    )]
    GatewayUnreachable {
        /// `host:port`.
        address: String,
        /// What the connection attempt said.
        reason: String,
    },

    /// The gateway did not finish the handshake in time.
    #[error("the IB gateway at {address} did not complete the connection within {after:?}")]
    ConnectTimeout {
        /// `host:port`.
        address: String,
        /// The timeout.
        after: Duration,
    },

    /// Another connection already uses this client id.
    #[error(
        "client id {client_id} is already in use on the gateway; choose another IBKR_CLIENT_ID"
    )]
    ClientIdInUse {
        /// The client id.
        client_id: i32,
    },

    /// The gateway speaks a protocol too old for this crate.
    #[error("incompatible gateway: {0}; update TWS / IB Gateway")]
    IncompatibleGateway(String),

    /// The account's kind (paper `DU…` or live) does not match `TRADING_MODE`.
    #[error(
        "TRADING_MODE is {mode} but the gateway's account {account} is a {actual} account; refusing to continue"
    )]
    AccountModeMismatch {
        /// Configured mode.
        mode: &'static str,
        /// The account.
        account: String,
        /// What the account is.
        actual: &'static str,
    },

    /// Not connected (the client is reconnecting, or gave up); nothing was sent.
    #[error("not connected to the IB gateway (reconnecting or closed); nothing was sent")]
    NotConnected,

    /// The connection to the gateway was lost.
    #[error("disconnected from the IB gateway: {0}")]
    Disconnected(String),

    /// No answer in time.
    #[error("{what}: no answer from the IB gateway within {after:?}")]
    Timeout {
        /// The call.
        what: &'static str,
        /// The timeout.
        after: Duration,
    },

    /// Orders are disabled by configuration (`ORDERS_ENABLED=false`); nothing was sent.
    #[error(
        "trading disabled: ORDERS_ENABLED is false, so no order was sent (use dry_run to simulate)"
    )]
    TradingDisabled,

    /// A configured limit refuses the order; nothing was sent.
    #[error("order refused by the {limit} limit: {detail}")]
    LimitExceeded {
        /// Which limit.
        limit: &'static str,
        /// Why.
        detail: String,
    },

    /// The order is invalid; nothing was sent.
    #[error(transparent)]
    InvalidOrder(#[from] InvalidOrder),

    /// Bad input (contract spec, bar size, ...); nothing was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),

    /// An unknown security type.
    #[error("`{0}` is not a security type; use STK, FUT, OPT, IND or CASH")]
    InvalidSecurityType(String),

    /// No contract matches.
    #[error("no contract found for {0}")]
    UnknownContract(String),

    /// Several contracts match; say which.
    #[error(
        "{spec} matches several contracts: {candidates}; add the exchange, expiry, strike or right"
    )]
    AmbiguousContract {
        /// The request.
        spec: String,
        /// The matches.
        candidates: String,
    },

    /// The account may not see this market data (code 354 / 10168).
    #[error("no market data permission for {symbol} (IBKR {code}: {message})")]
    NoMarketDataPermission {
        /// Symbol.
        symbol: String,
        /// IBKR code.
        code: i32,
        /// IBKR message.
        message: String,
    },

    /// The historical data service has nothing for this request (code 162).
    #[error("no data: {0}")]
    NoData(String),

    /// A limit on concurrent subscriptions was reached: market-data lines (IBKR 101),
    /// tick-by-tick (10190) or depth (309) requests. Cancel a stream first.
    #[error("subscription limit reached (IBKR {code}): {message}; cancel another stream first")]
    SubscriptionLimit {
        /// IBKR's code.
        code: i32,
        /// IBKR's text.
        message: String,
    },

    /// Too many requests: historical pacing (code 162) or too many messages (420).
    #[error("historical data pacing violation: wait before asking again ({0})")]
    PacingViolation(String),

    /// IBKR refused the order.
    #[error("order {order_id} rejected (IBKR {code}): {reason}")]
    OrderRejected {
        /// The order.
        order_id: OrderId,
        /// IBKR code.
        code: i32,
        /// IBKR's reason.
        reason: String,
    },

    /// No such order (or not one of this connection's).
    #[error("order {0} not found")]
    OrderNotFound(OrderId),

    /// The order can no longer be cancelled (filled or already cancelled).
    #[error("order {order_id} cannot be cancelled: {reason}")]
    NotCancellable {
        /// The order.
        order_id: OrderId,
        /// IBKR's reason.
        reason: String,
    },

    /// The order was sent but no answer came: it may be working. Look it up with
    /// `orders().status(order_id)` before sending it again.
    #[error("outcome unknown for order {order_id}: {reason}; check its status before retrying")]
    OutcomeUnknown {
        /// The order.
        order_id: OrderId,
        /// What happened.
        reason: String,
    },

    /// Part of a linked set (bracket, OCA group) is at the gateway and part failed: check
    /// the orders in `sent` (they may be working) before anything else.
    #[error(
        "order set incomplete: orders {sent:?} reached the gateway, order {failed} failed: {source}"
    )]
    IncompleteSet {
        /// Orders of the set the gateway acknowledged.
        sent: Vec<OrderId>,
        /// The first order that failed.
        failed: OrderId,
        /// Why it failed.
        #[source]
        source: Box<Error>,
    },

    /// Any other error IBKR reported.
    #[error("IBKR error {code}: {message}")]
    Ibkr {
        /// IBKR code.
        code: i32,
        /// IBKR message.
        message: String,
    },

    /// An error of the `ibapi` client not covered above.
    #[error("ibapi: {0}")]
    Gateway(#[source] ibapi::Error),
}

impl From<crate::money::ParseDecimalError> for Error {
    fn from(error: crate::money::ParseDecimalError) -> Self {
        Error::InvalidRequest(error.to_string())
    }
}

impl Error {
    /// Whether the call had an effect, for order calls. Every variant is named here, so a
    /// new one cannot silently count as "not sent"; an error of `ibapi` this crate does not
    /// classify counts as unknown.
    pub fn outcome(&self) -> Outcome {
        match self {
            Error::OutcomeUnknown { .. }
            | Error::IncompleteSet { .. }
            | Error::Disconnected(_)
            | Error::Timeout { .. }
            | Error::Gateway(_) => Outcome::Unknown,
            Error::OrderRejected { .. }
            | Error::OrderNotFound(_)
            | Error::NotCancellable { .. }
            | Error::Ibkr { .. } => Outcome::Rejected,
            Error::Config(_)
            | Error::GatewayUnreachable { .. }
            | Error::ConnectTimeout { .. }
            | Error::ClientIdInUse { .. }
            | Error::IncompatibleGateway(_)
            | Error::AccountModeMismatch { .. }
            | Error::NotConnected
            | Error::TradingDisabled
            | Error::LimitExceeded { .. }
            | Error::InvalidOrder(_)
            | Error::InvalidRequest(_)
            | Error::InvalidSecurityType(_)
            | Error::UnknownContract(_)
            | Error::AmbiguousContract { .. }
            | Error::NoMarketDataPermission { .. }
            | Error::NoData(_)
            | Error::PacingViolation(_)
            | Error::SubscriptionLimit { .. } => Outcome::NotSent,
        }
    }

    /// The orders this error leaves possibly working: look them up before sending again.
    pub fn orders_in_doubt(&self) -> Vec<OrderId> {
        match self {
            Error::OutcomeUnknown { order_id, .. } => vec![*order_id],
            Error::IncompleteSet {
                sent,
                failed,
                source,
            } => {
                let mut ids = sent.clone();
                if source.outcome() == Outcome::Unknown {
                    ids.push(*failed);
                }
                ids
            }
            _ => Vec::new(),
        }
    }

    /// Whether asking again later may work (timeouts, lost connections, pacing).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Timeout { .. }
                | Error::Disconnected(_)
                | Error::PacingViolation(_)
                | Error::ConnectTimeout { .. }
        )
    }

    /// Maps an `ibapi` error, with `context` (a symbol) for market data errors.
    pub(crate) fn from_ibapi(error: ibapi::Error, context: &str) -> Error {
        match error {
            ibapi::Error::Notice(notice) => {
                Error::from_notice(notice.code, notice.message, context)
            }
            ibapi::Error::ClientIdInUse { client_id } => Error::ClientIdInUse { client_id },
            ibapi::Error::ServerVersion(need, have, detail) => Error::IncompatibleGateway(format!(
                "the gateway speaks version {have}, at least {need} is needed ({detail})"
            )),
            ibapi::Error::ConnectionReset
            | ibapi::Error::ConnectionFailed
            | ibapi::Error::Shutdown
            | ibapi::Error::ConnectionRejected(_)
            | ibapi::Error::UnexpectedEndOfStream => Error::Disconnected(error.to_string()),
            other => Error::Gateway(other),
        }
    }

    /// Maps an IBKR error code.
    pub(crate) fn from_notice(code: i32, message: String, context: &str) -> Error {
        match code {
            200 => Error::UnknownContract(context.to_owned()),
            354 | 10168 | 10089 | 10197 => Error::NoMarketDataPermission {
                symbol: context.to_owned(),
                code,
                message,
            },
            162 if message.to_ascii_lowercase().contains("pacing") => {
                Error::PacingViolation(message)
            }
            162 | 366 => Error::NoData(message),
            101 | 309 | 10190 => Error::SubscriptionLimit { code, message },
            420 => Error::PacingViolation(message),
            321 => Error::InvalidRequest(message),
            _ => Error::Ibkr { code, message },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_what_the_caller_can_do() {
        assert!(
            matches!(Error::from_notice(200, "x".into(), "AAPL"), Error::UnknownContract(s) if s == "AAPL")
        );
        assert!(matches!(
            Error::from_notice(354, "x".into(), "AAPL"),
            Error::NoMarketDataPermission { code: 354, .. }
        ));
        let pacing = Error::from_notice(
            162,
            "Historical Market Data Service error message:Historical data request pacing violation"
                .into(),
            "",
        );
        assert!(matches!(pacing, Error::PacingViolation(_)));
        assert!(pacing.is_retryable());
        assert!(matches!(
            Error::from_notice(162, "HMDS query returned no data".into(), ""),
            Error::NoData(_)
        ));
        assert_eq!(Error::TradingDisabled.outcome(), Outcome::NotSent);
        assert_eq!(
            Error::OutcomeUnknown {
                order_id: OrderId(1),
                reason: String::new()
            }
            .outcome(),
            Outcome::Unknown
        );
    }
}
