//! A fake Backpack Exchange for manual use with any client.
//!
//! ```text
//! cargo run -p testkit --bin fake-backpack -- --port 9100 [--secret <base64 seed>]
//! ```
//!
//! Prints one JSON line `{"base_url": ..., "ws_url": ..., "api_key": ..., "api_secret": ...}`
//! on stdout when ready, then serves until killed. `ws_url` is where the WebSocket streams
//! are served (`--ws-port`, default any free port). The account of that key starts funded; the markets
//! have simulated liquidity and prices that move.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Parser;
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use testkit::backpack::{FakeBackpack, KeyPair, StreamSettings, WireForm};
use testkit::engine::ExchangeConfig;

/// A fake Backpack Exchange REST server backed by a simulated exchange.
#[derive(Debug, Parser)]
#[command(name = "fake-backpack", version)]
struct Args {
    /// Port to listen on, on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 9100)]
    port: u16,
    /// Base64 ED25519 seed of the account's key (default: a new random key).
    #[arg(long)]
    secret: Option<String>,
    /// Seed of the simulated market.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Starting balances, `ASSET=AMOUNT` separated by commas.
    #[arg(long, default_value = "USDC=100000,SOL=500,BTC=2,ETH=25")]
    balances: String,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 1)]
    speed: u64,
    /// Port of the WebSocket streams, on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    ws_port: u16,
    /// Form of the stream frames: `documented` (numbers as the docs show them) or `live`
    /// (the drift seen on the live exchange: quoted numbers, ISO kline times).
    #[arg(long, default_value = "documented", value_parser = ["documented", "live"])]
    ws_form: String,
}

/// The line printed when the server is ready (fields in this order).
#[derive(serde::Serialize)]
struct Ready<'a> {
    base_url: &'a str,
    ws_url: &'a str,
    api_key: &'a str,
    api_secret: &'a str,
}

fn parse_balances(text: &str) -> anyhow::Result<Vec<(String, String)>> {
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (asset, amount) = part
                .split_once('=')
                .with_context(|| format!("balance `{part}` is not ASSET=AMOUNT"))?;
            Ok((asset.trim().to_owned(), amount.trim().to_owned()))
        })
        .collect()
}

fn random_keys() -> KeyPair {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut rng =
        ChaCha8Rng::seed_from_u64((nanos as u64) ^ u64::from(std::process::id()).rotate_left(32));
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    KeyPair::from_seed(&seed)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let keys = match &args.secret {
        Some(secret) => KeyPair::from_secret(secret).context("--secret")?,
        None => random_keys(),
    };
    let balances = parse_balances(&args.balances)?;
    let fake = FakeBackpack::builder()
        .exchange(ExchangeConfig {
            seed: args.seed,
            ..ExchangeConfig::default()
        })
        .keys(keys.clone())
        .balances(balances.iter().map(|(a, d)| (a.as_str(), d.as_str())))
        .speed(args.speed)
        .record_requests(false)
        .port(args.port)
        .ws_port(args.ws_port)
        .streams(StreamSettings {
            form: if args.ws_form == "live" {
                WireForm::Live
            } else {
                WireForm::Documented
            },
            ..StreamSettings::default()
        })
        .try_start()
        .await?;
    let ready = serde_json::to_string(&Ready {
        base_url: &fake.uri(),
        ws_url: &fake.ws_url(),
        api_key: &keys.api_key(),
        api_secret: &keys.api_secret(),
    })?;
    #[allow(clippy::print_stdout)] // the program's one line of output
    {
        println!("{ready}");
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for ctrl-c")?;
    Ok(())
}
