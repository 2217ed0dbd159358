//! Tests of the configuration: every variable, every refusal.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use super::*;

fn from(vars: &[(&str, &str)]) -> Result<ServerConfig, String> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ServerConfig::from_lookup(|name| map.get(name).cloned())
}

#[test]
fn no_keys_means_both_simulators_with_every_tier() {
    let config = from(&[("HOME", "/home/x")]).unwrap();
    assert_eq!(
        (config.mode(Venue::Backpack), config.mode(Venue::Ibkr)),
        (Mode::Simulated, Mode::Simulated)
    );
    assert_eq!(config.backpack.tiers, Tiers::ALL);
    assert_eq!(
        config.journal_path,
        Some(PathBuf::from("/home/x/.local/state/trading-mcp/journal.db"))
    );
    assert_eq!(
        (
            config.backpack.confirm,
            config.backpack.caps.currency.as_str()
        ),
        (ConfirmPolicy::Token, "USDC")
    );
    let nowhere = from(&[]).unwrap();
    assert!(
        nowhere.journal_path.is_none() && nowhere.kill_switch_path.is_none(),
        "no shared temporary folder"
    );
    let old = from(&[("TRADING_MCP_JOURNAL", "/s/journal.jsonl")]).unwrap();
    assert_eq!(old.journal_path, Some(PathBuf::from("/s/journal.db")));
}

/// A well-formed ED25519 seed (32 zero bytes).
const SECRET: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

#[test]
fn bad_backpack_keys_stop_the_start_without_echoing_them() {
    let error = from(&[("BACKPACK_API_SECRET", "not-a-key-abcdef")]).unwrap_err();
    assert!(error.starts_with("Backpack configuration"), "{error}");
    assert!(!error.contains("not-a-key-abcdef"), "{error}");
    let config = from(&[
        ("BACKPACK_API_SECRET", SECRET),
        ("BACKPACK_BASE_URL", "http://127.0.0.1:9"),
    ])
    .unwrap();
    assert!(matches!(
        config.backpack_connection,
        BackpackConnection::Exchange(_)
    ));
    assert!(
        !format!("{config:?}").contains(SECRET),
        "Debug hides the key"
    );
}

#[test]
fn a_real_venue_reads_only_until_trading_is_capped() {
    let config = from(&[("BACKPACK_API_SECRET", SECRET)]).unwrap();
    assert_eq!(
        (config.mode(Venue::Backpack), config.backpack.tiers),
        (Mode::Live, Tiers::READ)
    );
    let error = from(&[
        ("BACKPACK_API_SECRET", SECRET),
        ("TRADING_MCP_BACKPACK_TIERS", "market,account,trading"),
    ])
    .unwrap_err();
    assert!(
        error.contains("TRADING_MCP_BACKPACK_MAX_ORDER_NOTIONAL"),
        "{error}"
    );
    let trading = [
        ("BACKPACK_API_SECRET", SECRET),
        ("TRADING_MCP_BACKPACK_TIERS", "market,trading"),
        ("TRADING_MCP_BACKPACK_MAX_ORDER_NOTIONAL", "250"),
        ("TRADING_MCP_BACKPACK_ALLOWED_SYMBOLS", "sol_usdc, BTC_USDC"),
    ];
    let unacknowledged = from(&trading).unwrap_err();
    assert!(
        unacknowledged.contains("BACKPACK_LIVE_ACK_FILE"),
        "{unacknowledged}"
    );
    let dir = std::env::temp_dir().join(format!("config-ack-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (right, wrong) = (dir.join("right"), dir.join("wrong"));
    std::fs::write(&right, format!("{}\n", ibkr_sdk::LIVE_ACK_PHRASE)).unwrap();
    std::fs::write(&wrong, "yes").unwrap();
    let with_ack = |file: &std::path::Path| {
        let mut vars = trading.to_vec();
        let file = file.display().to_string();
        vars.push(("BACKPACK_LIVE_ACK_FILE", &file));
        from(&vars)
    };
    assert!(
        with_ack(&wrong)
            .unwrap_err()
            .contains("must contain exactly")
    );
    let capped = with_ack(&right).unwrap();
    assert_eq!(
        capped.backpack.confirm,
        ConfirmPolicy::Ask,
        "real venues ask"
    );
    assert!(capped.backpack.tiers.trading && !capped.backpack.tiers.account);
    assert_eq!(
        capped.backpack.caps.max_order_notional,
        Some(Decimal::from(250))
    );
    assert!(
        capped
            .backpack
            .caps
            .allowed_symbols
            .unwrap()
            .contains("SOL_USDC")
    );
}

#[test]
fn the_mode_is_the_connections_and_live_needs_a_real_one() {
    // "live" without a gateway is the simulator, and says so; the mode is never stored
    // apart from where the orders go.
    let no_gateway = from(&[("TRADING_MODE", "live")]).unwrap();
    assert!(matches!(
        no_gateway.ibkr_connection,
        IbkrConnection::Simulated
    ));
    assert_eq!(no_gateway.mode(Venue::Ibkr), Mode::Simulated);
    let live = from(&[("IBKR_GATEWAY_PORT", "4001"), ("TRADING_MODE", "live")]).unwrap();
    assert_eq!(live.mode(Venue::Ibkr), Mode::Live);
    assert!(matches!(live.ibkr_connection, IbkrConnection::Gateway(_)));
    assert_eq!(
        BackpackConnection::default().mode(),
        Mode::Simulated,
        "Backpack is live only with a client to reach the exchange"
    );
}

#[test]
fn a_real_ibkr_gateway_trades_only_with_caps_and_the_sdk_rules() {
    let paper = from(&[("IBKR_GATEWAY_PORT", "4002")]).unwrap();
    assert_eq!(
        (paper.mode(Venue::Ibkr), paper.ibkr.tiers),
        (Mode::Paper, Tiers::READ)
    );
    let IbkrConnection::Gateway(gateway) = &paper.ibkr_connection else {
        panic!("a gateway was configured")
    };
    assert!(!gateway.orders_enabled);
    let live = from(&[
        ("IBKR_GATEWAY_PORT", "4001"),
        ("TRADING_MODE", "live"),
        ("TRADING_MCP_IBKR_TIERS", "market,account,trading"),
        ("TRADING_MCP_IBKR_MAX_ORDER_NOTIONAL", "1000"),
    ])
    .unwrap_err();
    assert!(live.contains("IBKR_LIVE_ACK_FILE"), "{live}");
}

#[test]
fn bad_values_name_their_variable() {
    assert!(
        from(&[("TRADING_MCP_BACKPACK_TIERS", "market,spend")])
            .unwrap_err()
            .contains("spend")
    );
    assert!(
        from(&[("TRADING_MCP_IBKR_MAX_DAILY_NOTIONAL", "-1")])
            .unwrap_err()
            .contains("MAX_DAILY")
    );
    assert!(from(&[("TRADING_MCP_CONFIRM_TTL_SECS", "0")]).is_err());
    assert!(
        from(&[("TRADING_MCP_SIMULATOR_SEED", "-3")])
            .unwrap_err()
            .contains("SIMULATOR_SEED")
    );
    assert_eq!(
        from(&[("TRADING_MCP_SIMULATOR_SEED", " 7 ")])
            .unwrap()
            .simulator_seed,
        7
    );
}

#[test]
fn switches_and_rates_are_read_strictly() {
    assert!(!from(&[("ORDERS_ENABLED", "false")]).unwrap().orders_enabled);
    assert!(from(&[]).unwrap().orders_enabled);
    assert!(from(&[("ORDERS_ENABLED", "maybe")]).is_err());
    let config = from(&[
        ("TRADING_MCP_CONFIRM", "ask"),
        ("TRADING_MCP_IBKR_CONFIRM", "token"),
        ("TRADING_MCP_IBKR_FX_RATES", "eur=1.08, GBP=1.27"),
    ])
    .unwrap();
    assert_eq!(
        (config.backpack.confirm, config.ibkr.confirm),
        (ConfirmPolicy::Ask, ConfirmPolicy::Token)
    );
    assert_eq!(
        config.ibkr.caps.fx_rates.get("EUR"),
        Some(&Decimal::new(108, 2))
    );
    assert!(from(&[("TRADING_MCP_CONFIRM", "never")]).is_err());
    assert!(from(&[("TRADING_MCP_IBKR_FX_RATES", "EUR")]).is_err());
}

#[test]
fn tools_can_be_narrowed() {
    let mut config = from(&[]).unwrap();
    config.restrict_tools("backpack,market").unwrap();
    assert_eq!(
        config.backpack.tiers,
        Tiers {
            market: true,
            account: false,
            trading: false
        }
    );
    assert!(!config.ibkr.tiers.any());
    assert!(config.restrict_tools("bogus").is_err());
}

#[test]
fn backpack_paper_mode_needs_no_keys_refuses_them_and_reads_its_markets() {
    let config = from(&[
        ("BACKPACK_MODE", "paper"),
        ("BACKPACK_PAPER_SYMBOLS", "sol_usdc, BTC_USDC_PERP"),
        ("BACKPACK_PAPER_BALANCES", "USDC=5000,SOL=2"),
        ("BACKPACK_WS_URL", "ws://127.0.0.1:9"),
    ])
    .unwrap();
    assert_eq!(config.mode(Venue::Backpack), Mode::PaperLivePrices);
    assert_eq!(config.mode(Venue::Backpack).as_str(), "paper, live prices");
    // Nothing leaves the process: the defaults of a simulator, no cap required.
    assert_eq!(config.backpack.tiers, Tiers::ALL);
    assert_eq!(config.backpack.confirm, ConfirmPolicy::Token);
    let BackpackConnection::Paper(source) = &config.backpack_connection else {
        panic!("{:?}", config.backpack_connection)
    };
    assert_eq!(source.settings.symbols, ["SOL_USDC", "BTC_USDC_PERP"]);
    assert_eq!(source.settings.balances.len(), 2);
    assert_eq!(source.ws_url, "ws://127.0.0.1:9");

    for (vars, expected) in [
        (
            vec![("BACKPACK_MODE", "paper"), ("BACKPACK_API_SECRET", SECRET)],
            "never uses keys",
        ),
        (vec![("BACKPACK_MODE", "live")], "needs keys"),
        (
            vec![
                ("BACKPACK_MODE", "simulated"),
                ("BACKPACK_API_SECRET", SECRET),
            ],
            "with keys set",
        ),
        (
            vec![("BACKPACK_MODE", "demo")],
            "is not `simulated`, `paper` or `live`",
        ),
        (
            vec![
                ("BACKPACK_MODE", "paper"),
                ("BACKPACK_PAPER_BALANCES", "USDC=-1"),
            ],
            "not an amount",
        ),
        (
            vec![
                ("BACKPACK_MODE", "paper"),
                ("BACKPACK_PAPER_SYMBOLS", " , "),
            ],
            "names no market",
        ),
    ] {
        let error = from(&vars).unwrap_err();
        assert!(error.contains(expected), "{vars:?}: {error}");
        assert!(!error.contains(SECRET), "{error}");
    }
    assert!(matches!(
        from(&[("BACKPACK_MODE", "LIVE"), ("BACKPACK_API_SECRET", SECRET)])
            .unwrap()
            .backpack_connection,
        BackpackConnection::Exchange(_)
    ));
}
