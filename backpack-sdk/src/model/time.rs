//! Timestamps. The exchange uses four formats (see the reference): integer milliseconds
//! (orders, trades), integer microseconds (depth), naive UTC datetime strings
//! (`"2025-01-21T06:34:54.691858"` in history, fills and markets; `"2025-07-19 13:09:00"` in
//! klines) and RFC 3339 with `Z`.
//!
//! [`Timestamp`] is one type for all of them (microseconds since the Unix epoch, UTC). Each
//! field picks how it is *written* with a serde module ([`millis`], [`micros`], [`naive`]),
//! so a value round-trips in its own wire format; *reading* accepts every format, because the
//! same field has been seen in more than one.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// A point in time, UTC, microsecond precision.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    micros: i64,
}

impl Timestamp {
    /// From milliseconds since the Unix epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Self {
            micros: millis.saturating_mul(1_000),
        }
    }

    /// From microseconds since the Unix epoch.
    pub const fn from_micros(micros: i64) -> Self {
        Self { micros }
    }

    /// From seconds since the Unix epoch.
    pub const fn from_secs(secs: i64) -> Self {
        Self {
            micros: secs.saturating_mul(1_000_000),
        }
    }

    /// Milliseconds since the Unix epoch (truncated).
    pub const fn as_millis(self) -> i64 {
        self.micros.div_euclid(1_000)
    }

    /// Microseconds since the Unix epoch.
    pub const fn as_micros(self) -> i64 {
        self.micros
    }

    /// Seconds since the Unix epoch (truncated).
    pub const fn as_secs(self) -> i64 {
        self.micros.div_euclid(1_000_000)
    }

    /// As a `chrono` UTC datetime (`None` only outside chrono's range).
    pub fn to_datetime(self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_micros(self.micros)
    }

    /// Parses any of the exchange's text formats: naive `YYYY-MM-DD[T ]HH:MM:SS[.ffffff]`
    /// (UTC), RFC 3339, or a run of digits (milliseconds).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return text.parse::<i64>().ok().map(Self::from_millis);
        }
        if let Ok(datetime) = DateTime::parse_from_rfc3339(text) {
            return Some(Self::from_micros(datetime.timestamp_micros()));
        }
        for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
            if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
                return Some(Self::from_micros(naive.and_utc().timestamp_micros()));
            }
        }
        None
    }

    /// The naive UTC text klines use (`2025-07-19 13:09:00`).
    pub fn to_naive_space_string(self) -> String {
        match self.to_datetime() {
            Some(datetime) => datetime.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => self.micros.to_string(),
        }
    }

    /// The naive UTC text the exchange uses in history endpoints
    /// (`2025-01-21T06:34:54.691858`; fraction omitted when zero).
    pub fn to_naive_string(self) -> String {
        match self.to_datetime() {
            Some(datetime) if self.micros.rem_euclid(1_000_000) == 0 => {
                datetime.format("%Y-%m-%dT%H:%M:%S").to_string()
            }
            Some(datetime) => datetime.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
            None => self.micros.to_string(),
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_datetime() {
            Some(datetime) => write!(f, "Timestamp({})", datetime.to_rfc3339()),
            None => write!(f, "Timestamp({}us)", self.micros),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_datetime() {
            Some(datetime) => f.write_str(&datetime.to_rfc3339()),
            None => write!(f, "{}us", self.micros),
        }
    }
}

/// How a bare integer is read.
#[derive(Clone, Copy)]
enum IntUnit {
    Millis,
    Micros,
}

struct TimestampVisitor(IntUnit);

impl Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a timestamp (integer, or a datetime string)")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Timestamp, E> {
        Ok(match self.0 {
            IntUnit::Millis => Timestamp::from_millis(value),
            IntUnit::Micros => Timestamp::from_micros(value),
        })
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Timestamp, E> {
        let value = i64::try_from(value).map_err(|_| E::custom("timestamp out of range"))?;
        self.visit_i64(value)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
        Timestamp::parse(text).ok_or_else(|| E::custom(format!("unrecognised timestamp `{text}`")))
    }
}

struct OptionVisitor(IntUnit);

impl<'de> Visitor<'de> for OptionVisitor {
    type Value = Option<Timestamp>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a timestamp or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer
            .deserialize_any(TimestampVisitor(self.0))
            .map(Some)
    }
}

macro_rules! timestamp_format {
    ($(#[$meta:meta])* $module:ident, $unit:expr, |$ts:ident, $serializer:ident| $write:expr) => {
        $(#[$meta])*
        pub mod $module {
            use super::*;

            /// Writes the timestamp in this module's format.
            pub fn serialize<S: Serializer>(timestamp: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
                let $ts = *timestamp;
                let $serializer = serializer;
                $write
            }

            /// Reads a timestamp in any format (integers in this module's unit).
            pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
                deserializer.deserialize_any(TimestampVisitor($unit))
            }

            /// The same for `Option<Timestamp>` (`null` and absent are `None`;
            /// combine with `#[serde(default)]`).
            pub mod option {
                use super::*;

                /// Writes `Some` in the module's format, `None` as `null`.
                pub fn serialize<S: Serializer>(timestamp: &Option<Timestamp>, serializer: S) -> Result<S::Ok, S::Error> {
                    match timestamp {
                        Some(timestamp) => super::serialize(timestamp, serializer),
                        None => serializer.serialize_none(),
                    }
                }

                /// Reads an optional timestamp in any format.
                pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Timestamp>, D::Error> {
                    deserializer.deserialize_option(OptionVisitor($unit))
                }
            }
        }
    };
}

timestamp_format!(
    /// Integer milliseconds since the epoch (orders, trades, mark prices).
    millis, IntUnit::Millis, |ts, serializer| serializer.serialize_i64(ts.as_millis())
);
timestamp_format!(
    /// Integer microseconds since the epoch (depth).
    micros, IntUnit::Micros, |ts, serializer| serializer.serialize_i64(ts.as_micros())
);
timestamp_format!(
    /// Naive UTC datetime string (history, fills, markets, funding).
    naive, IntUnit::Millis, |ts, serializer| serializer.serialize_str(&ts.to_naive_string())
);

timestamp_format!(
    /// Naive UTC datetime string with a space and whole seconds (klines).
    naive_space, IntUnit::Millis, |ts, serializer| serializer.serialize_str(&ts.to_naive_space_string())
);

/// Schemas of the timestamp wire formats, for `#[schemars(with = ...)]` on fields that use
/// the modules above.
#[cfg(feature = "schemars")]
pub(crate) mod schema {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

    macro_rules! format_schema {
        ($name:ident, $schema:tt) => {
            pub(crate) struct $name;

            impl JsonSchema for $name {
                fn schema_name() -> Cow<'static, str> {
                    stringify!($name).into()
                }

                fn inline_schema() -> bool {
                    true
                }

                fn json_schema(_: &mut SchemaGenerator) -> Schema {
                    json_schema!($schema)
                }
            }
        };
    }

    format_schema!(Millis, { "type": "integer", "description": "milliseconds since the Unix epoch" });
    format_schema!(Micros, { "type": "integer", "description": "microseconds since the Unix epoch" });
    format_schema!(Naive, { "type": "string", "description": "UTC date and time, YYYY-MM-DDTHH:MM:SS[.ffffff]" });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Both {
        #[serde(with = "millis")]
        open: Timestamp,
        #[serde(with = "naive")]
        history: Timestamp,
        #[serde(with = "micros::option", default)]
        depth: Option<Timestamp>,
    }

    #[test]
    fn every_format_reads_to_the_same_instant() {
        let json = r#"{"open":1737441294691,"history":"2025-01-21T06:34:54.691","depth":1737441294691000}"#;
        let both: Both = serde_json::from_str(json).unwrap();
        assert_eq!(both.open, both.history);
        assert_eq!(both.depth, Some(both.open));
        assert_eq!(Timestamp::parse("2025-01-21 06:34:54.691"), Some(both.open));
        assert_eq!(
            Timestamp::parse("2025-01-21T06:34:54.691Z"),
            Some(both.open)
        );
    }

    #[test]
    fn each_field_writes_its_own_format() {
        let ts = Timestamp::from_micros(1_737_441_294_691_858);
        let both = Both {
            open: ts,
            history: ts,
            depth: None,
        };
        assert_eq!(
            serde_json::to_string(&both).unwrap(),
            r#"{"open":1737441294691,"history":"2025-01-21T06:34:54.691858","depth":null}"#
        );
        assert_eq!(
            Timestamp::from_secs(1_752_930_540).to_naive_string(),
            "2025-07-19T13:09:00"
        );
    }

    #[test]
    fn null_and_garbage() {
        let both: Result<Both, _> = serde_json::from_str(r#"{"open":1,"history":"yesterday"}"#);
        assert!(both.unwrap_err().to_string().contains("yesterday"));
    }
}
