//! Venue time, read from the SDKs' own request lines.
//!
//! Both SDKs log each venue request at `debug` on a `…::request` target with its endpoint
//! and `elapsed_us` (`backpack_sdk::request`: `method` and `path`; `ibkr_sdk::request`:
//! `endpoint`). This layer hands each one to the tool call in flight (a task-local, so a
//! request is counted against the call that made it and against nothing else). The SDKs
//! know nothing of MCP: they log; the server listens.

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer};

use super::{VenueRequest, note_venue_request};

const BACKPACK: &str = "backpack_sdk::request";
const IBKR: &str = "ibkr_sdk::request";

/// The layer that times venue requests (install it with [`VenueRequests::filter`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct VenueRequests;

impl VenueRequests {
    /// The events this layer needs: the SDKs' request lines, whatever `RUST_LOG` says.
    pub fn filter() -> Targets {
        Targets::new()
            .with_target(BACKPACK, tracing::Level::DEBUG)
            .with_target(IBKR, tracing::Level::DEBUG)
    }
}

#[derive(Default)]
struct Fields {
    method: Option<String>,
    path: Option<String>,
    endpoint: Option<String>,
    elapsed_us: Option<u64>,
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "elapsed_us" {
            self.elapsed_us = Some(value);
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == "elapsed_us" {
            self.elapsed_us = u64::try_from(value).ok();
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "method" => self.method = Some(value.to_owned()),
            "path" => self.path = Some(value.to_owned()),
            "endpoint" => self.endpoint = Some(value.to_owned()),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

impl<S: Subscriber> Layer<S> for VenueRequests {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let venue = match event.metadata().target() {
            BACKPACK => "backpack",
            IBKR => "ibkr",
            _ => return,
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        let Some(elapsed_us) = fields.elapsed_us else {
            return;
        };
        let endpoint = match (fields.endpoint, fields.method, fields.path) {
            (Some(endpoint), _, _) => endpoint,
            (None, Some(method), Some(path)) => format!("{method} {path}"),
            (None, _, Some(path)) => path,
            _ => return,
        };
        note_venue_request(VenueRequest {
            venue,
            endpoint,
            elapsed_us,
        });
    }
}
