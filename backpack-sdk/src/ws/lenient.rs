//! Readers for the streams' loosely typed fields. The same field arrives as a number in the
//! documentation and as a quoted string in live frames (`"E":"1754903057555305"`), kline
//! times as ISO text or integers, enums in upper case (`"LIMIT"`). Every reader here accepts
//! each form the reference records, so drift never drops an event.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, Visitor};

use crate::model::Timestamp;
use crate::model::open_enum::LooseWire;
use crate::model::serde_util::U64Visitor;

/// How a bare integer is read.
#[derive(Clone, Copy)]
enum Unit {
    /// Microseconds (`E`, `T` of every event).
    Micros,
    /// Guessed from the magnitude: seconds below 10^11, milliseconds below 10^14,
    /// microseconds above (kline times, documented as seconds, seen as milliseconds; mark
    /// price funding time, documented as µs, seen as ms). Any time after 1973 is read right.
    Guess,
}

fn from_integer(value: i64, unit: Unit) -> Timestamp {
    match unit {
        Unit::Micros => Timestamp::from_micros(value),
        Unit::Guess if value.unsigned_abs() < 100_000_000_000 => Timestamp::from_secs(value),
        Unit::Guess if value.unsigned_abs() < 100_000_000_000_000 => Timestamp::from_millis(value),
        Unit::Guess => Timestamp::from_micros(value),
    }
}

struct TimeVisitor(Unit);

impl Visitor<'_> for TimeVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a time: an integer, a string of digits or a date and time")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Timestamp, E> {
        Ok(from_integer(value, self.0))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Timestamp, E> {
        let value = i64::try_from(value).map_err(|_| E::custom("time out of range"))?;
        self.visit_i64(value)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
        let trimmed = text.trim();
        if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            let value: i64 = trimmed
                .parse()
                .map_err(|_| E::custom(format!("time `{text}` out of range")))?;
            return Ok(from_integer(value, self.0));
        }
        Timestamp::parse(trimmed).ok_or_else(|| E::custom(format!("unrecognised time `{text}`")))
    }
}

struct OptionTimeVisitor(Unit);

impl<'de> Visitor<'de> for OptionTimeVisitor {
    type Value = Option<Timestamp>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a time or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(TimeVisitor(self.0)).map(Some)
    }
}

/// Microseconds as a number or a string of digits, or a date and time.
pub(crate) fn micros<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
    deserializer.deserialize_any(TimeVisitor(Unit::Micros))
}

/// [`micros`], optional (`null` or absent is `None`; use with `#[serde(default)]`).
pub(crate) fn micros_opt<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Timestamp>, D::Error> {
    deserializer.deserialize_option(OptionTimeVisitor(Unit::Micros))
}

/// A time whose integer unit drifts (seconds, milliseconds or microseconds, told apart by
/// size), or a date and time.
pub(crate) fn any_epoch<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
    deserializer.deserialize_any(TimeVisitor(Unit::Guess))
}

/// [`any_epoch`], optional.
pub(crate) fn any_epoch_opt<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Timestamp>, D::Error> {
    deserializer.deserialize_option(OptionTimeVisitor(Unit::Guess))
}

/// An unsigned integer as a number or a string of digits.
pub(crate) fn u64_any<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    deserializer.deserialize_any(U64Visitor)
}

/// [`u64_any`], optional (`null` is `None`).
pub(crate) fn u64_any_opt<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    struct OptionVisitor;
    impl<'de> Visitor<'de> for OptionVisitor {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an id or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(U64Visitor).map(Some)
        }
    }
    deserializer.deserialize_option(OptionVisitor)
}

struct TextVisitor;

impl Visitor<'_> for TextVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an id, as a string or a number")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<String, E> {
        Ok(text.to_owned())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<String, E> {
        Ok(value.to_string())
    }
}

/// An id kept as text whether it came as a string or a number (`"i":"5411399049"` in order
/// updates, `"i":5411399049` in position updates).
pub(crate) fn text<'de, D: Deserializer<'de>, T: From<String>>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_any(TextVisitor).map(T::from)
}

/// [`text`], optional.
pub(crate) fn text_opt<'de, D: Deserializer<'de>, T: From<String>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    struct OptionVisitor;
    impl<'de> Visitor<'de> for OptionVisitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an id or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(TextVisitor).map(Some)
        }
    }
    Ok(deserializer.deserialize_option(OptionVisitor)?.map(T::from))
}

struct EnumVisitor<T>(std::marker::PhantomData<T>);

impl<T: LooseWire> Visitor<'_> for EnumVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        Ok(T::from_wire_loose(text))
    }
}

/// An enum spelled in any case (`LIMIT`, `Limit`); unknown values are kept as `Unknown`.
pub(crate) fn loose<'de, D: Deserializer<'de>, T: LooseWire>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_str(EnumVisitor(std::marker::PhantomData))
}

/// [`loose`], optional (`null` is `None`).
pub(crate) fn loose_opt<'de, D: Deserializer<'de>, T: LooseWire>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    struct OptionVisitor<T>(std::marker::PhantomData<T>);
    impl<'de, T: LooseWire> Visitor<'de> for OptionVisitor<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(EnumVisitor(std::marker::PhantomData))
                .map(Some)
        }
    }
    deserializer.deserialize_option(OptionVisitor(std::marker::PhantomData))
}

/// Book levels, read into a vector sized for a typical delta up front (serde's default
/// grows it from empty, which costs a third of a depth frame's decoding).
pub(crate) fn levels<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<crate::model::Level>, D::Error> {
    struct LevelsVisitor;
    impl<'de> Visitor<'de> for LevelsVisitor {
        type Value = Vec<crate::model::Level>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of [price, quantity] levels")
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut levels = Vec::with_capacity(seq.size_hint().unwrap_or(16).min(4_096));
            while let Some(level) = seq.next_element()? {
                levels.push(level);
            }
            Ok(levels)
        }
    }
    deserializer.deserialize_seq(LevelsVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Times {
        #[serde(deserialize_with = "micros")]
        e: Timestamp,
        #[serde(deserialize_with = "any_epoch")]
        t: Timestamp,
    }

    #[test]
    fn every_form_of_a_time_reads_to_the_same_instant() {
        let instant = Timestamp::from_micros(1_754_506_800_000_000);
        for json in [
            r#"{"e":1754506800000000,"t":1754506800}"#,
            r#"{"e":"1754506800000000","t":1754506800000}"#,
            r#"{"e":"2025-08-06T19:00:00","t":"2025-08-06T19:00:00"}"#,
            r#"{"e":1754506800000000,"t":"1754506800000000"}"#,
        ] {
            let times: Times = serde_json::from_str(json).unwrap();
            assert_eq!(times.e, instant, "{json}");
            assert_eq!(times.t, instant, "{json}");
        }
        assert!(serde_json::from_str::<Times>(r#"{"e":"soon","t":1}"#).is_err());
        assert!(serde_json::from_str::<Times>(r#"{"e":"99999999999999999999999","t":1}"#).is_err());
    }
}
