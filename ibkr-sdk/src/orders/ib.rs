//! Validated specs as `ibapi` orders. Every price and quantity crosses to `f64` through
//! [`boundary::to_ib`](crate::boundary), which refuses values a double cannot carry exactly.

use ibapi::orders::{Action as IbAction, OcaType, Order, TimeInForce as IbTimeInForce};

use super::{Action, BracketSpec, Entry, OrderSpec, OrderType, TimeInForce, Trail};
use crate::boundary::to_ib;
use crate::error::Error;

fn action(action: Action) -> IbAction {
    match action {
        Action::Buy => IbAction::Buy,
        Action::Sell => IbAction::Sell,
    }
}

fn time_in_force(tif: TimeInForce) -> IbTimeInForce {
    match tif {
        TimeInForce::Day => IbTimeInForce::Day,
        TimeInForce::Gtc => IbTimeInForce::GoodTillCanceled,
        TimeInForce::Ioc => IbTimeInForce::ImmediateOrCancel,
        TimeInForce::Fok => IbTimeInForce::FillOrKill,
    }
}

fn set_trail(order: &mut Order, trail: Trail) -> Result<(), Error> {
    match trail {
        Trail::Amount(amount) => order.aux_price = Some(to_ib(amount.value(), "trail amount")?),
        Trail::Percent(percent) => {
            order.trailing_percent = Some(to_ib(percent.value(), "trail percent")?)
        }
    }
    Ok(())
}

/// The `ibapi` order for a validated spec, for `account`.
pub(crate) fn order(spec: &OrderSpec, account: &str) -> Result<Order, Error> {
    let mut order = Order {
        action: action(spec.action),
        total_quantity: to_ib(spec.quantity.value(), "quantity")?,
        tif: time_in_force(spec.time_in_force),
        outside_rth: spec.outside_rth,
        account: account.to_owned(),
        transmit: true,
        ..Order::default()
    };
    match spec.order_type {
        OrderType::Market => order.order_type = "MKT".into(),
        OrderType::Limit { price } => {
            order.order_type = "LMT".into();
            order.limit_price = Some(to_ib(price.value(), "limit price")?);
        }
        OrderType::Stop { stop_price } => {
            order.order_type = "STP".into();
            order.aux_price = Some(to_ib(stop_price.value(), "stop price")?);
        }
        OrderType::StopLimit {
            stop_price,
            limit_price,
        } => {
            order.order_type = "STP LMT".into();
            order.aux_price = Some(to_ib(stop_price.value(), "stop price")?);
            order.limit_price = Some(to_ib(limit_price.value(), "limit price")?);
        }
        OrderType::TrailingStop { trail, stop_price } => {
            order.order_type = "TRAIL".into();
            set_trail(&mut order, trail)?;
            order.trail_stop_price = stop_price
                .map(|p| to_ib(p.value(), "stop price"))
                .transpose()?;
        }
        OrderType::TrailingStopLimit {
            trail,
            stop_price,
            limit_offset,
        } => {
            order.order_type = "TRAIL LIMIT".into();
            set_trail(&mut order, trail)?;
            order.trail_stop_price = stop_price
                .map(|p| to_ib(p.value(), "stop price"))
                .transpose()?;
            order.limit_price_offset = Some(to_ib(limit_offset.value(), "limit offset")?);
        }
        OrderType::MarketOnClose => order.order_type = "MOC".into(),
        OrderType::MarketOnOpen => {
            order.order_type = "MKT".into();
            order.tif = IbTimeInForce::OnOpen;
        }
    }
    Ok(order)
}

/// The three orders of a bracket: the entry and the take-profit are held
/// (`transmit = false`), the stop-loss transmits the set.
pub(crate) fn bracket(
    spec: &BracketSpec,
    ids: [i32; 3],
    account: &str,
) -> Result<[Order; 3], Error> {
    let entry_type = match spec.entry {
        Entry::Market => OrderType::Market,
        Entry::Limit { price } => OrderType::Limit { price },
    };
    let leg = |action_: Action, order_type: OrderType| {
        OrderSpec::of_type(spec.contract.clone(), action_, spec.quantity, order_type)
            .time_in_force(spec.time_in_force)
    };
    let exit = spec.action.opposite();
    let mut entry = order(&leg(spec.action, entry_type), account)?;
    let mut take_profit = order(
        &leg(
            exit,
            OrderType::Limit {
                price: spec.take_profit,
            },
        ),
        account,
    )?;
    let mut stop_loss = order(
        &leg(
            exit,
            OrderType::Stop {
                stop_price: spec.stop_loss,
            },
        ),
        account,
    )?;
    entry.order_id = ids[0];
    entry.transmit = false;
    take_profit.order_id = ids[1];
    take_profit.parent_id = ids[0];
    take_profit.transmit = false;
    stop_loss.order_id = ids[2];
    stop_loss.parent_id = ids[0];
    stop_loss.transmit = true;
    Ok([entry, take_profit, stop_loss])
}

/// Marks orders as one OCA group: when one fills, the others are cancelled.
pub(crate) fn one_cancels_all(orders: &mut [Order], group: &str) {
    for order in orders {
        order.oca_group = group.to_owned();
        order.oca_type = OcaType::CancelWithBlock;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contracts::ContractSpec;
    use crate::money::{Price, Quantity};

    fn p(text: &str) -> Price {
        text.parse().unwrap()
    }

    #[test]
    fn each_order_type_sets_the_right_fields() {
        let aapl = ContractSpec::stock("AAPL");
        let q = Quantity::from(100);
        let limit = order(
            &OrderSpec::limit(aapl.clone(), Action::Buy, q, p("150.25")),
            "DU1",
        )
        .unwrap();
        assert_eq!(
            (
                limit.order_type.as_str(),
                limit.limit_price,
                limit.total_quantity
            ),
            ("LMT", Some(150.25), 100.0)
        );
        assert_eq!(limit.account, "DU1");
        let trail = OrderType::TrailingStop {
            trail: Trail::Percent(p("5")),
            stop_price: Some(p("95")),
        };
        let trail = order(
            &OrderSpec::of_type(aapl.clone(), Action::Sell, q, trail),
            "DU1",
        )
        .unwrap();
        assert_eq!(
            (
                trail.order_type.as_str(),
                trail.trailing_percent,
                trail.aux_price,
                trail.trail_stop_price
            ),
            ("TRAIL", Some(5.0), None, Some(95.0))
        );
        let moo = order(
            &OrderSpec::of_type(aapl.clone(), Action::Buy, q, OrderType::MarketOnOpen),
            "DU1",
        )
        .unwrap();
        assert_eq!(
            (moo.order_type.as_str(), moo.tif),
            ("MKT", IbTimeInForce::OnOpen)
        );
        let tsl = OrderType::TrailingStopLimit {
            trail: Trail::Amount(p("2")),
            stop_price: None,
            limit_offset: p("0.5"),
        };
        let tsl = order(&OrderSpec::of_type(aapl, Action::Sell, q, tsl), "DU1").unwrap();
        assert_eq!(
            (
                tsl.order_type.as_str(),
                tsl.aux_price,
                tsl.limit_price_offset
            ),
            ("TRAIL LIMIT", Some(2.0), Some(0.5))
        );
    }

    #[test]
    fn brackets_hold_until_the_last_leg() {
        let spec = BracketSpec {
            contract: ContractSpec::stock("AAPL"),
            action: Action::Buy,
            quantity: Quantity::from(10),
            entry: Entry::Limit { price: p("150") },
            take_profit: p("160"),
            stop_loss: p("145"),
            time_in_force: TimeInForce::Gtc,
        };
        let [entry, tp, sl] = bracket(&spec, [7, 8, 9], "DU1").unwrap();
        assert!(!entry.transmit && !tp.transmit && sl.transmit);
        assert_eq!((tp.parent_id, sl.parent_id), (7, 7));
        assert_eq!((tp.action, sl.action), (IbAction::Sell, IbAction::Sell));
        assert_eq!(
            (tp.order_type.as_str(), sl.order_type.as_str()),
            ("LMT", "STP")
        );
    }
}
