//! Random orders of every shape the tools accept, valid and not, and junk input.

use serde_json::{Value, json};

use super::Rng;

fn quantity(rng: &mut Rng, small: &[&str]) -> String {
    match rng.below(20) {
        0 => "10000000000000000000000000000".into(),
        1 => "-1".into(),
        2 => "0".into(),
        3 => "abc".into(),
        4..7 => format!("{}", 50 + rng.below(1_000)),
        _ => (*rng.pick(small)).to_owned(),
    }
}

fn price(rng: &mut Rng, market: f64) -> String {
    match rng.below(12) {
        0 => "0.01".into(),
        1 => "1".into(),
        2 => "79228162514264337593543950335".into(),
        3 => format!("{:.2}", market * 5.0),
        _ => {
            // Within 3% of the market, on the tick.
            let offset = (rng.below(600) as f64 - 300.0) / 10_000.0;
            format!("{:.2}", market * (1.0 + offset))
        }
    }
}

/// A Backpack order for `backpack_preview_order`.
pub(super) fn backpack(rng: &mut Rng) -> Value {
    let (symbol, market, small): (&str, f64, &[&str]) = match rng.below(10) {
        0 => ("BTC_USDC", 60_000.0, &["0.001", "0.01", "0.02"]),
        1 => ("NOPE_USDC", 1.0, &["1"]),
        _ => ("SOL_USDC", 180.0, &["0.1", "0.5", "1", "2", "5", "10"]),
    };
    let side = *rng.pick(&["Bid", "Ask"]);
    let mut order = json!({ "symbol": symbol, "side": side });
    if rng.chance(60) {
        order["orderType"] = json!("Limit");
        order["quantity"] = json!(quantity(rng, small));
        order["price"] = json!(price(rng, market));
        order["timeInForce"] = json!(rng.pick(&["GTC", "IOC", "FOK"]));
        if rng.chance(10) {
            order["postOnly"] = json!(true);
        }
    } else {
        order["orderType"] = json!("Market");
        if rng.chance(25) {
            order["quoteQuantity"] = json!(format!("{}", 10 + rng.below(3_000)));
        } else {
            order["quantity"] = json!(quantity(rng, small));
        }
    }
    if rng.chance(20) {
        order["triggerPrice"] = json!(price(rng, market));
        order["triggerQuantity"] = json!(if rng.chance(30) {
            format!("{}%", 1 + rng.below(100))
        } else {
            quantity(rng, small)
        });
    }
    if rng.chance(5) {
        order["reduceOnly"] = json!(true);
    }
    if rng.chance(5) {
        order["autoBorrow"] = json!(true);
    }
    json!({ "order": order })
}

/// An IBKR order or bracket for `ibkr_preview_order`.
pub(super) fn ibkr(rng: &mut Rng) -> Value {
    let (contract, market) = match rng.below(10) {
        0 => (json!({ "symbol": "MSFT", "sec_type": "STK" }), 420.0),
        1 => (json!({ "symbol": "NOPE", "sec_type": "STK" }), 1.0),
        _ => (json!({ "symbol": "AAPL", "sec_type": "STK" }), 189.5),
    };
    let action = *rng.pick(&["BUY", "SELL"]);
    let quantity = quantity(rng, &["1", "5", "10", "50", "100"]);
    if rng.chance(10) {
        let entry = if rng.chance(50) {
            json!({ "type": "market" })
        } else {
            json!({ "type": "limit", "price": price(rng, market) })
        };
        return json!({ "bracket": {
            "contract": contract, "action": action, "quantity": quantity, "entry": entry,
            "take_profit": price(rng, market), "stop_loss": price(rng, market)
        } });
    }
    let mut order = json!({ "contract": contract, "action": action, "quantity": quantity });
    match rng.below(6) {
        0 => order["order_type"] = json!("MKT"),
        1 | 2 => {
            order["order_type"] = json!("LMT");
            order["limit_price"] = json!(price(rng, market));
        }
        3 => {
            order["order_type"] = json!("STP");
            order["stop_price"] = json!(price(rng, market));
        }
        4 => {
            order["order_type"] = json!("STP LMT");
            order["stop_price"] = json!(price(rng, market));
            order["limit_price"] = json!(price(rng, market));
        }
        _ => order["order_type"] = json!(rng.pick(&["MOC", "MOO"])),
    }
    json!({ "order": order })
}

/// Input no tool should accept: unknown fields, wrong types, missing fields.
pub(super) fn junk(rng: &mut Rng) -> (String, Value) {
    let tool = *rng.pick(&[
        "backpack_preview_order",
        "backpack_create_order",
        "ibkr_preview_order",
        "ibkr_place_order",
        "backpack_cancel_order",
        "ibkr_cancel_order",
        "no_such_tool",
    ]);
    let args = match rng.below(5) {
        0 => json!({}),
        1 => json!({ "order": "buy everything" }),
        2 => json!({ "order": { "symbol": 7, "side": null } }),
        3 => json!({ "orderIds": ["x"], "extra": true }),
        _ => {
            json!({ "order": { "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1", "price": "1e400" }, "confirmationToken": "" })
        }
    };
    (tool.to_owned(), args)
}
