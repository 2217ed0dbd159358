//! `open_enum!`: string enums that survive values the exchange adds later.
//!
//! Each generated enum has its known variants plus `Unknown(String)`:
//! - `Deserialize` never fails on an unknown string: it becomes `Unknown(text)`, so a new
//!   order status or market type does not break decoding of a whole response;
//! - `FromStr` (what user input goes through) is strict and names the accepted values;
//! - `Serialize`/`Display` write the exchange's spelling (an `Unknown` writes its text back);
//! - with the `schemars` feature, the schema is an inline string enum of the known values.
//!
//! Request paths reject `Unknown` before anything is sent (see the order spec validation).

/// Error for a string that is not one of an enum's known values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind}; expected one of: {expected}")]
pub struct ParseEnumError {
    /// The enum's name.
    pub kind: &'static str,
    /// The rejected input (truncated to 64 characters).
    pub value: String,
    /// The accepted spellings, comma separated.
    pub expected: String,
}

/// Whether two spellings are the same with case, `_` and `-` ignored (for
/// `from_wire_loose`; no allocation, it runs on every streamed enum).
pub(crate) fn loose_eq(a: &str, b: &str) -> bool {
    fn key(text: &str) -> impl Iterator<Item = char> + '_ {
        text.chars()
            .filter(|c| !matches!(c, '_' | '-'))
            .flat_map(char::to_lowercase)
    }
    key(a).eq(key(b))
}

/// Enums that read a value spelled in another case (what the stream decoders use).
#[cfg_attr(not(feature = "ws"), allow(dead_code))]
pub(crate) trait LooseWire: Sized {
    fn from_wire_loose(text: &str) -> Self;
}

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the crate does not know, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// Every known variant, in declaration order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The exchange's spelling of this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )+
                    $name::Unknown(text) => text.as_str(),
                }
            }

            /// Whether this is a value the crate does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, $name::Unknown(_))
            }

            /// Maps the exchange's spelling to a variant; unknown text becomes `Unknown`.
            pub fn from_wire(text: &str) -> Self {
                match text {
                    $( $text => $name::$variant, )+
                    other => $name::Unknown(other.to_owned()),
                }
            }

            /// Like [`from_wire`](Self::from_wire), but also matches the spelling in another
            /// case or with underscores (`LIMIT` for `Limit`, `PRICE_BAND` for `PriceBand`):
            /// the WebSocket streams spell some values differently from REST.
            pub fn from_wire_loose(text: &str) -> Self {
                $( if text == $text {
                    return $name::$variant;
                } )+
                $( if $crate::model::open_enum::loose_eq($text, text) {
                    return $name::$variant;
                } )+
                $name::Unknown(text.to_owned())
            }
        }

        impl $crate::model::open_enum::LooseWire for $name {
            fn from_wire_loose(text: &str) -> Self {
                $name::from_wire_loose(text)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::model::ParseEnumError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match $name::from_wire(text) {
                    $name::Unknown(_) => Err($crate::model::ParseEnumError {
                        kind: stringify!($name),
                        value: text.chars().take(64).collect(),
                        expected: [$($text),+].join(", "),
                    }),
                    known => Ok(known),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct EnumVisitor;
                impl ::serde::de::Visitor<'_> for EnumVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " string"))
                    }
                    fn visit_str<E: ::serde::de::Error>(self, text: &str) -> Result<$name, E> {
                        Ok($name::from_wire(text))
                    }
                }
                deserializer.deserialize_str(EnumVisitor)
            }
        }

        #[cfg(feature = "schemars")]
        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn inline_schema() -> bool {
                true
            }

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!({
                    "type": "string",
                    "enum": [$($text),+]
                })
            }
        }
    };
}

pub(crate) use open_enum;
