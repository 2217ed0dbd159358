//! Tables for a person: each command's JSON answer (the tools' own shapes) as aligned
//! columns. Missing fields show as `-`.

use serde_json::Value;

use crate::config::Venue;

/// What the paper demo's symbols need from the account.
pub(super) const DEMO_SUBSCRIPTIONS: &str = "Market data: live AAPL and MSFT quotes need a US equities subscription on the paper account's \
live user (e.g. \"US Securities Snapshot and Futures Value Bundle\", or NASDAQ and NYSE network feeds); \
without one IBKR answers with delayed quotes (IBKR_DELAYED_DATA_FALLBACK=true, the default) or error 354.";

/// A field by dotted path (`health.healthy`), as text.
fn field(value: &Value, path: &str) -> String {
    let found = path
        .split('.')
        .filter(|key| !key.is_empty())
        .try_fold(value, |current, key| match key.parse::<usize>() {
            Ok(index) => current.get(index),
            Err(_) => current.get(key),
        });
    match found {
        None | Some(Value::Null) => "-".into(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// Rows as aligned columns under their headers.
fn table(rows: &[&Value], columns: &[(&str, &str)]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| columns.iter().map(|(_, path)| field(row, path)).collect())
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, (header, _))| {
            cells
                .iter()
                .map(|row| row[i].chars().count())
                .chain([header.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |items: Vec<String>| {
        items
            .iter()
            .zip(&widths)
            .map(|(item, width)| format!("{item:<width$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(columns.iter().map(|(h, _)| (*h).to_owned()).collect())];
    out.extend(cells.into_iter().map(line));
    if rows.is_empty() {
        out.push("(none)".into());
    }
    out.join("\n")
}

fn items(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(list) => list.iter().collect(),
        other => other["items"]
            .as_array()
            .map(|list| list.iter().collect())
            .unwrap_or_default(),
    }
}

/// A truncation note, when the list was cut.
fn truncated(value: &Value) -> String {
    match value.get("truncated").and_then(Value::as_str) {
        Some(note) => format!("\n({note})"),
        None => String::new(),
    }
}

/// `healthcheck`.
pub(super) fn health(value: &Value) -> String {
    table(
        &items(&value["venues"]),
        &[
            ("VENUE", "venue"),
            ("MODE", "mode"),
            ("HEALTHY", "health.healthy"),
            ("ROUND TRIP MS", "health.round_trip_ms"),
            ("ENDPOINT", "health.endpoint"),
            ("ERROR", "health.error"),
        ],
    )
}

/// `quote`: Backpack tickers and IBKR quotes.
pub(super) fn quotes(value: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(tickers) = value.get("backpack") {
        parts.push(table(
            &items(tickers),
            &[
                ("SYMBOL", "symbol"),
                ("LAST", "lastPrice"),
                ("CHANGE %", "priceChangePercent"),
                ("HIGH", "high"),
                ("LOW", "low"),
                ("VOLUME", "volume"),
            ],
        ));
    }
    if let Some(quotes) = value.get("ibkr") {
        parts.push(table(
            &items(quotes),
            &[
                ("SYMBOL", "contract.symbol"),
                ("BID", "quote.bid"),
                ("ASK", "quote.ask"),
                ("LAST", "quote.last"),
                ("BID SIZE", "quote.bid_size"),
                ("ASK SIZE", "quote.ask_size"),
                ("DATA", "quote.source"),
                ("ERROR", "error"),
            ],
        ));
    }
    parts.join("\n\n")
}

/// `bars`: the latest `last` bars.
pub(super) fn bars(value: &Value, last: usize) -> String {
    let all = items(&value["bars"]);
    let shown = &all[all.len().saturating_sub(last)..];
    format!(
        "{} {} bars over {} ({} in all)\n{}",
        field(value, "contract"),
        field(value, "barSize"),
        field(value, "duration"),
        all.len(),
        table(
            shown,
            &[
                ("TIME", "time"),
                ("OPEN", "open"),
                ("HIGH", "high"),
                ("LOW", "low"),
                ("CLOSE", "close"),
                ("VOLUME", "volume"),
            ],
        )
    )
}

/// The key/value lines of an object.
fn pairs(value: &Value) -> String {
    match value.as_object() {
        Some(map) => map
            .iter()
            .filter(|(_, item)| !item.is_array() && !item.is_object())
            .map(|(key, item)| format!("  {key}: {}", field(item, "")))
            .collect::<Vec<_>>()
            .join("\n"),
        None => "  -".into(),
    }
}

/// `account`.
pub(super) fn account(value: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(backpack) = value.get("backpack") {
        parts.push(format!(
            "Backpack balances\n{}{}\n\nBackpack positions\n{}",
            table(
                &items(&backpack["balances"]),
                &[
                    ("ASSET", "asset"),
                    ("AVAILABLE", "available"),
                    ("LOCKED", "locked"),
                    ("STAKED", "staked"),
                    ("LENT", "lent"),
                ],
            ),
            truncated(&backpack["balances"]),
            table(
                &items(&backpack["positions"]),
                &[
                    ("SYMBOL", "symbol"),
                    ("NET QTY", "netQuantity"),
                    ("ENTRY", "entryPrice"),
                    ("MARK", "markPrice"),
                    ("UNREALIZED PNL", "pnlUnrealized"),
                ],
            )
        ));
    }
    if let Some(ibkr) = value.get("ibkr") {
        let mut text = format!(
            "IBKR account\n{}\n\nIBKR positions\n{}",
            pairs(&ibkr["account"]["summary"]),
            table(
                &items(&ibkr["account"]["positions"]),
                &[
                    ("SYMBOL", "contract.symbol"),
                    ("QUANTITY", "quantity"),
                    ("AVG COST", "average_cost"),
                    ("MARKET VALUE", "market_value"),
                    ("UNREALIZED PNL", "unrealized_pnl"),
                ],
            )
        );
        if let Some(pnl) = ibkr.get("pnl") {
            text.push_str(&format!("\n\nIBKR PnL\n{}", pairs(&pnl["pnl"])));
        }
        parts.push(text);
    }
    parts.join("\n\n")
}

/// `orders`.
pub(super) fn orders(value: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(backpack) = value.get("backpack") {
        let rows: Vec<&Value> = match (backpack.get("open"), backpack.get("finished")) {
            (Some(open), _) => vec![open],
            (None, Some(finished)) => vec![finished],
            _ => items(backpack),
        };
        parts.push(format!(
            "Backpack orders\n{}{}",
            table(
                &rows,
                &[
                    ("ID", "id"),
                    ("SYMBOL", "symbol"),
                    ("SIDE", "side"),
                    ("TYPE", "orderType"),
                    ("QUANTITY", "quantity"),
                    ("PRICE", "price"),
                    ("FILLED", "executedQuantity"),
                    ("STATUS", "status"),
                ],
            ),
            truncated(backpack)
        ));
    }
    if let Some(ibkr) = value.get("ibkr") {
        parts.push(format!(
            "IBKR orders\n{}",
            table(
                &items(ibkr),
                &[
                    ("ID", "orderId"),
                    ("SYMBOL", "report.contract.symbol"),
                    ("ACTION", "report.action"),
                    ("TYPE", "report.order_type"),
                    ("QUANTITY", "report.quantity"),
                    ("FILLED", "report.filled"),
                    ("AVG PRICE", "report.average_fill_price"),
                    ("STATUS", "report.status"),
                    ("ERROR", "error"),
                ],
            )
        ));
    }
    parts.join("\n\n")
}

/// `preview` (and what `place` shows before asking).
pub(super) fn preview(venue: Venue, value: &Value) -> String {
    let mut lines = vec![format!(
        "{} order preview ({}):",
        match venue {
            Venue::Backpack => "Backpack",
            Venue::Ibkr => "IBKR",
        },
        field(value, "mode")
    )];
    match venue {
        Venue::Backpack => {
            let order = &value["order"];
            lines.push(format!(
                "  {} {} {} {} at {} ({})",
                field(order, "side"),
                field(order, "quantity"),
                field(order, "symbol"),
                field(order, "orderType"),
                field(order, "price"),
                field(order, "timeInForce")
            ));
            lines.push(format!("  estimated fee: {}", field(value, "estimatedFee")));
        }
        Venue::Ibkr => {
            let preview = &value["preview"];
            lines.push(format!(
                "  notional {}, commission {}, margin change {}",
                field(preview, "notional"),
                field(preview, "commission"),
                field(preview, "initial_margin_change")
            ));
        }
    }
    lines.push(format!(
        "  can execute for up to {} {} ({})",
        field(value, "exposure.value"),
        field(value, "exposure.currency"),
        field(value, "exposure.basis")
    ));
    for (label, key) in [("rounded", "adjustments"), ("warning", "warnings")] {
        for item in items(&value[key]) {
            lines.push(format!("  {label}: {}", field(item, "")));
        }
    }
    lines.push(format!(
        "  token {} (valid {} s)",
        field(value, "confirmationToken"),
        field(value, "expiresInSecs")
    ));
    lines.join("\n")
}

/// `place`.
pub(super) fn placed(venue: Venue, value: &Value) -> String {
    match venue {
        Venue::Backpack => format!(
            "Sent: order {} {} (filled {}), journal id {}",
            field(value, "order.id"),
            field(value, "order.status"),
            field(value, "order.executedQuantity"),
            field(value, "correlationId")
        ),
        Venue::Ibkr => format!(
            "Sent:\n{}\njournal id {}",
            table(
                &items(&value["orders"]),
                &[
                    ("ID", "order_id"),
                    ("STATUS", "status"),
                    ("FILLED", "filled")
                ],
            ),
            field(value, "correlationId")
        ),
    }
}

/// `cancel`.
pub(super) fn cancelled(value: &Value) -> String {
    let listed = if value["orders"].is_array() {
        &value["orders"]
    } else {
        &value["orders"]["items"]
    };
    format!(
        "Cancelled:\n{}\njournal id {}",
        table(
            &items(listed),
            &[("ID", "id"), ("ORDER ID", "order_id"), ("STATUS", "status"),],
        ),
        field(value, "correlationId")
    )
}
