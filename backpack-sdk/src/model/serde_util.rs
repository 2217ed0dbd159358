//! Small serde helpers for the exchange's loosely typed fields.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

use super::ids::ClientOrderId;

/// A `u64` from a number or a string of digits (shared with the stream decoders).
pub(crate) struct U64Visitor;

impl Visitor<'_> for U64Visitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an unsigned integer, as a number or a string of digits")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<u64, E> {
        Ok(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<u64, E> {
        u64::try_from(value).map_err(|_| E::custom(format!("expected a count, got {value}")))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<u64, E> {
        text.trim()
            .parse()
            .map_err(|_| E::custom(format!("expected digits, got `{text}`")))
    }
}

/// A `u64` sent as a string of digits (`"trades":"1234"`, `"lastUpdateId":"1504999670"`);
/// numbers are accepted too.
pub mod u64_string {
    use super::*;

    /// Writes the number as a string.
    pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    /// Reads a number or a string of digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_any(U64Visitor)
    }
}

/// Schema of [`u64_string`] fields, for `#[schemars(with = ...)]`.
#[cfg(feature = "schemars")]
pub(crate) struct U64String;

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for U64String {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "U64String".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^[0-9]+$" })
    }
}

/// An optional client id that some endpoints send as a number and others (fills) as a string.
/// A string that is not a `u32` reads as `None` rather than failing the whole response.
pub mod client_id_lenient {
    use super::*;

    /// Writes the id as a number, `None` as `null`.
    pub fn serialize<S: Serializer>(
        value: &Option<ClientOrderId>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(id) => serializer.serialize_u32(id.get()),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a number, a string of digits, or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<ClientOrderId>, D::Error> {
        let value: Option<serde_json::Value> = serde::Deserialize::deserialize(deserializer)?;
        Ok(match value {
            Some(serde_json::Value::Number(number)) => number
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(ClientOrderId),
            Some(serde_json::Value::String(text)) => text.parse().ok().map(ClientOrderId),
            _ => None,
        })
    }
}
