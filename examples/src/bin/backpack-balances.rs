//! Prints the account's balances: available, locked, staked and lent per asset.
//!
//! ```text
//! BACKPACK_BASE_URL=http://127.0.0.1:9100 BACKPACK_API_SECRET=<base64 seed> \
//!     cargo run -p examples --bin backpack-balances
//! ```

#![allow(clippy::print_stdout)] // an example prints its results

use backpack_sdk::Client;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let client = Client::from_env()?;
    if !client.has_credentials() {
        anyhow::bail!("set BACKPACK_API_SECRET (base64 ED25519 seed) to read balances");
    }
    let offset = client.sync_clock().await?;
    println!(
        "{} (clock offset {} ms)",
        client.base_url(),
        offset.offset_ms
    );
    println!(
        "{:<8} {:>18} {:>18} {:>14} {:>14} {:>18}",
        "asset", "available", "locked", "staked", "lent", "total"
    );
    for row in client.account().balances_with_lent().await? {
        if row.is_zero() {
            continue;
        }
        println!(
            "{:<8} {:>18} {:>18} {:>14} {:>14} {:>18}",
            row.asset.as_str(),
            row.available.to_string(),
            row.locked.to_string(),
            row.staked.to_string(),
            row.lent.to_string(),
            row.total.to_string()
        );
    }
    let positions = client.account().positions(None).await?;
    for position in positions {
        println!(
            "position {:<16} {:>10} @ {:<12} mark {:<12} uPnL {}",
            position.symbol.as_str(),
            position.net_quantity.to_string(),
            position.entry_price.to_string(),
            position.mark_price.to_string(),
            position.pnl_unrealized
        );
    }
    Ok(())
}
