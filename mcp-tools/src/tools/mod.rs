//! The tools, one file per venue and tier. Inputs are the SDKs' own request and order
//! types; outputs are the SDKs' answer types inside small envelopes that bound every list.

pub mod backpack_read;
pub mod backpack_trade;
pub mod ibkr_read;
pub mod ibkr_trade;
pub mod status;
pub mod watch;
mod watch_ibkr;

use rmcp::handler::server::common::FromContextPart;
use rmcp::handler::server::tool::{IntoCallToolResult, ToolCallContext};
use rmcp::model::{CallToolResponse, CallToolResult};
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A bounded list.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Listed<T> {
    /// The items (at most the server's limit).
    pub items: Vec<T>,
    /// How many are returned.
    pub count: usize,
    /// How many there were before the limit.
    pub total: usize,
    /// Present when items were left out: what to do to see them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
}

/// At most `max` of `items`, saying what was left out and how to narrow the query.
pub fn bounded<T>(mut items: Vec<T>, max: usize, narrow: &str) -> Listed<T> {
    let total = items.len();
    let truncated = (total > max).then(|| {
        items.truncate(max);
        format!("showing {max} of {total}; {narrow}")
    });
    Listed {
        count: items.len(),
        items,
        total,
        truncated,
    }
}

/// Removes object fields that are `null` (the output schemas do not require them; the
/// answer gets shorter).
fn drop_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, item| !item.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// A successful result with structured content (null fields left out).
pub fn structured<T: Serialize>(value: &T) -> CallToolResponse {
    match serde_json::to_value(value) {
        Ok(mut json) => {
            drop_nulls(&mut json);
            CallToolResult::structured(json).into()
        }
        Err(error) => crate::error::ToolError::new(
            crate::error::ErrorCode::Internal,
            format!("the answer could not be encoded: {error}"),
        )
        .into(),
    }
}

/// A tool's arguments, read as rmcp's `Parameters` are (the macro finds the input schema
/// by this type's name), but a mistake names the field: `order.quantity: invalid type`.
#[derive(Debug, Clone)]
pub struct Parameters<T>(pub T);

impl<T: JsonSchema> JsonSchema for Parameters<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

impl<S, T: DeserializeOwned> FromContextPart<ToolCallContext<'_, S>> for Parameters<T> {
    fn from_context_part(context: &mut ToolCallContext<'_, S>) -> Result<Self, rmcp::ErrorData> {
        let arguments = serde_json::Value::Object(context.arguments.take().unwrap_or_default());
        serde_path_to_error::deserialize(arguments)
            .map(Parameters)
            .map_err(|error| {
                let path = error.path().to_string();
                let place = if path == "." {
                    String::new()
                } else {
                    format!("{path}: ")
                };
                // rmcp turns an error with this prefix into a tool error the model reads.
                rmcp::ErrorData::invalid_params(
                    format!("failed to deserialize parameters: {place}{}", error.inner()),
                    None,
                )
            })
    }
}

/// A tool's typed answer: rmcp derives the output schema from `T` (by this type's name, as
/// for its own `Json`), and the content leaves null fields out (see [`structured`]).
#[derive(Debug, Clone)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoCallToolResult for Json<T> {
    fn into_call_tool_result(self) -> Result<CallToolResponse, rmcp::ErrorData> {
        Ok(structured(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_bounded_with_a_notice() {
        let listed = bounded((0..10).collect::<Vec<_>>(), 3, "filter by symbol");
        assert_eq!(
            (listed.count, listed.total, listed.items),
            (3, 10, vec![0, 1, 2])
        );
        assert_eq!(
            listed.truncated.as_deref(),
            Some("showing 3 of 10; filter by symbol")
        );
        assert!(bounded(vec![1], 3, "").truncated.is_none());
    }
}
