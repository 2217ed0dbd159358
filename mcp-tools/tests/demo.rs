//! `trading-mcp demo`, the README's first command, run as a user runs it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests

use std::process::Command;

#[test]
fn the_demo_runs_its_whole_script_and_prints_only_the_session() {
    let output = Command::new(env!("CARGO_BIN_EXE_trading-mcp"))
        .args(["demo", "--watch", "5"])
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stdout}\n{stderr}");
    // Logs stay out of the way: nothing below warn reaches the terminal.
    assert!(
        !stderr.contains(" INFO ") && !stderr.contains(" DEBUG "),
        "{stderr}"
    );
    for expected in [
        "tools/list: 23 tools",
        "backpack: simulated, healthy true",
        "ibkr: simulated, healthy true",
        "(tick size is 0.01)",
        "quantity: 1.2345 -> 1.23 (step size is 0.01 (rounded down))",
        "| backpack (simulated): BUY SOL_USDC 1.23 at ",
        "| It can execute for up to ",
        "warning: far from the market",
        ": Cancelled",
        "refused: the confirmation token is unknown or was already used",
        "executed 2",
        "SOL_USDC_PERP 2 @",
        "order 4 STP PreSubmitted",
        "order 4 Cancelled",
        "DU1234567 net liquidation",
        "done: every order above was previewed, confirmed and journaled",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    // The first order either filled while watched or was cancelled when the watch ended.
    assert!(
        stdout.contains("status Filled after") || stdout.contains("cancelling it"),
        "{stdout}"
    );
}
