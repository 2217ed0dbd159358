//! Order kinds the fake works, parsed from the `Order` message.

use rust_decimal::Decimal;

use super::super::proto;
use super::decimal;

/// How an order works.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    Market,
    Limit(Decimal),
    Stop(Decimal),
    StopLimit {
        stop: Decimal,
        limit: Decimal,
    },
    Trail {
        amount: Option<Decimal>,
        percent: Option<Decimal>,
        stop: Option<Decimal>,
        limit_offset: Option<Decimal>,
    },
    AtClose(Option<Decimal>),
    AtOpen(Option<Decimal>),
}

/// The kind of an order, or why it is refused.
pub(crate) fn parse_kind(order: &proto::Order) -> Result<Kind, String> {
    let limit = decimal(order.lmt_price).filter(|p| *p > Decimal::ZERO);
    let aux = decimal(order.aux_price).filter(|p| *p > Decimal::ZERO);
    let on_open = order.tif.as_deref() == Some("OPG");
    let order_type = order.order_type.as_deref().unwrap_or("");
    let need = |value: Option<Decimal>, what: &str| {
        value.ok_or_else(|| format!("{order_type} order needs a {what}"))
    };
    Ok(match order_type {
        "MKT" if on_open => Kind::AtOpen(None),
        "LMT" if on_open => Kind::AtOpen(Some(need(limit, "limit price")?)),
        "MKT" => Kind::Market,
        "LMT" => Kind::Limit(need(limit, "limit price")?),
        "STP" => Kind::Stop(need(aux, "stop price")?),
        "STP LMT" => Kind::StopLimit {
            stop: need(aux, "stop price")?,
            limit: need(limit, "limit price")?,
        },
        "TRAIL" | "TRAIL LIMIT" => {
            let percent = decimal(order.trailing_percent).filter(|p| *p > Decimal::ZERO);
            if aux.is_none() && percent.is_none() {
                return Err(format!(
                    "{order_type} order needs a trailing amount or percent"
                ));
            }
            let limit_offset = if order_type == "TRAIL LIMIT" {
                Some(need(decimal(order.lmt_price_offset), "limit price offset")?)
            } else {
                None
            };
            Kind::Trail {
                amount: aux,
                percent: if aux.is_some() { None } else { percent },
                stop: decimal(order.trail_stop_price).filter(|p| *p > Decimal::ZERO),
                limit_offset,
            }
        }
        "MOC" => Kind::AtClose(None),
        "LOC" => Kind::AtClose(Some(need(limit, "limit price")?)),
        other => {
            return Err(format!(
                "order type {other:?} is not supported by the fake gateway"
            ));
        }
    })
}
