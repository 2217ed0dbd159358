//! Fault injection: failures a test can switch on for chosen requests. The names are the
//! fake gateway's ([`crate::tws::TwsFault`]) for the same failures, and so are the defaults:
//! a fault hits one request unless told otherwise.
//!
//! Each fault is a wiremock mock mounted above the exchange (higher priority), matching a
//! method and path and limited to a number of requests. Faults that fire "after
//! processing" let the engine act on the request first (an order is placed) and then
//! spoil the answer: exactly the case where a client cannot know whether its order exists.

use std::sync::Arc;
use std::time::Duration;

use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockBuilder, Request, ResponseTemplate};

use super::super::router::{Reply, Shared};
use super::{respond, to_request};

/// A failure to inject.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// `429 {"code":"TOO_MANY_REQUESTS"}` without processing.
    RateLimited {
        /// `Retry-After` seconds to send, if any.
        retry_after_secs: Option<u64>,
    },
    /// A 5xx `{"code":"SERVER_ERROR"}` without processing.
    ServerError {
        /// HTTP status.
        status: u16,
    },
    /// The request is processed, then answered with a 5xx `{"code":"SERVER_ERROR"}`.
    ErrorAfterProcessing {
        /// HTTP status.
        status: u16,
    },
    /// `503 {"code":"MAINTENANCE"}` without processing.
    Maintenance,
    /// The request is processed; the answer comes after `delay`.
    Slow {
        /// How long to hold the answer.
        delay: Duration,
    },
    /// The request is processed, then the connection is closed without an answer.
    DropAfterProcessing,
    /// The request is not processed and never answered (the connection stays open).
    NoReply,
    /// The connection is closed without an answer and without processing.
    DropBeforeProcessing,
    /// The request is processed, then answered `200` with a body that is not JSON.
    MalformedBody,
    /// A plain-text error body without processing, like the exchange's parameter parser.
    PlainTextError {
        /// HTTP status.
        status: u16,
        /// The body.
        message: String,
    },
}

impl Fault {
    /// For requests with this method and path only.
    pub fn on(self, method: &str, path: &str) -> FaultRule {
        FaultRule {
            fault: self,
            method: Some(method.to_ascii_uppercase()),
            path: Some(path.to_owned()),
            times: Some(1),
        }
    }

    /// For the next request, whatever it is.
    pub fn once(self) -> FaultRule {
        FaultRule {
            fault: self,
            method: None,
            path: None,
            times: Some(1),
        }
    }
}

/// A fault and which requests it hits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a fault rule does nothing until injected"]
pub struct FaultRule {
    fault: Fault,
    method: Option<String>,
    path: Option<String>,
    times: Option<u64>,
}

impl From<Fault> for FaultRule {
    fn from(fault: Fault) -> Self {
        fault.once()
    }
}

impl FaultRule {
    /// Hits the next `n` matching requests (default 1).
    pub fn times(mut self, n: u64) -> Self {
        self.times = Some(n);
        self
    }

    /// Hits every matching request.
    pub fn always(mut self) -> Self {
        self.times = None;
        self
    }

    pub(crate) fn into_mock(self, shared: Arc<Shared>) -> Mock {
        let mut builder: MockBuilder = Mock::given(any());
        if let Some(m) = &self.method {
            builder = builder.and(method(m.as_str()));
        }
        if let Some(p) = &self.path {
            builder = builder.and(path(p.as_str()));
        }
        let mock = match self.fault {
            Fault::DropAfterProcessing => builder.respond_with_err(move |request: &Request| {
                let _ = shared.handle(&to_request(request));
                std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "fault injection: connection dropped",
                )
            }),
            Fault::DropBeforeProcessing => builder.respond_with_err(|_: &Request| {
                std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "fault injection: connection dropped",
                )
            }),
            fault => builder.respond_with(FaultResponder { shared, fault }),
        };
        let mock = mock.with_priority(1);
        match self.times {
            Some(n) => mock.up_to_n_times(n),
            None => mock,
        }
    }
}

struct FaultResponder {
    shared: Arc<Shared>,
    fault: Fault,
}

fn error_json(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        serde_json::json!({ "code": code, "message": message }).to_string(),
        "application/json; charset=utf-8",
    )
}

impl wiremock::Respond for FaultResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match &self.fault {
            Fault::RateLimited { retry_after_secs } => {
                let template = error_json(429, "TOO_MANY_REQUESTS", "Too many requests");
                match retry_after_secs {
                    Some(secs) => template.insert_header("retry-after", secs.to_string().as_str()),
                    None => template,
                }
            }
            Fault::ServerError { status } => {
                error_json(*status, "SERVER_ERROR", "Internal server error")
            }
            Fault::ErrorAfterProcessing { status } => {
                let _ = self.shared.handle(&to_request(request));
                error_json(*status, "SERVER_ERROR", "Internal server error")
            }
            Fault::Maintenance => error_json(503, "MAINTENANCE", "Exchange is under maintenance"),
            Fault::Slow { delay } => {
                respond(self.shared.handle(&to_request(request))).set_delay(*delay)
            }
            Fault::MalformedBody => {
                let _ = self.shared.handle(&to_request(request));
                ResponseTemplate::new(200)
                    .set_body_raw("{\"id\": 42, \"truncated", "application/json")
            }
            Fault::PlainTextError { status, message } => {
                respond(Reply::Text(*status, message.clone()))
            }
            // An hour is longer than any client waits.
            Fault::NoReply => ResponseTemplate::new(504).set_delay(Duration::from_secs(3_600)),
            // Drops are mounted with `respond_with_err`; answering here would be a bug.
            Fault::DropAfterProcessing | Fault::DropBeforeProcessing => ResponseTemplate::new(500),
        }
    }
}
