//! `trading-mcp` over stdio, as a host drives it, against the built-in simulators:
//!
//! - cold start: spawn to the `initialize` result, and to the first `tools/list` result,
//!   over fresh processes;
//! - `tools/call backpack_list_orders`: round trips on one session (p50, p99);
//! - the server's CPU time per call (user + system, from `/proc`), with Backpack as the
//!   in-process simulator and as a real HTTP server (a canned loopback Backpack answering 20
//!   open orders, the shape of the exchange), which is what a user with keys pays;
//! - the server's peak RSS (`VmHWM`) after the calls;
//! - the size of the `tools/list` result.
//!
//! One JSON line per figure on stdout. Needs the release binary next to this one:
//!
//! ```text
//! cargo build --release -p mcp-tools && cargo run --release -p benches --bin mcp-stdio-bench [-- --calls 2000 --starts 30]
//! ```
//!
//! With `--observe [--calls N --rounds R]`: only the cost of the per-call events and metrics
//! (`tools/call` p50 with them on, against `TRADING_MCP_OBSERVE=false`; the goal is under 5 %).

#![allow(
    clippy::float_arithmetic,
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use benches::percentile;
use serde_json::{Value, json};

fn server_binary() -> PathBuf {
    let here = std::env::current_exe().unwrap();
    let path = here.with_file_name("trading-mcp");
    assert!(
        path.exists(),
        "{} is missing: cargo build --release -p mcp-tools",
        path.display()
    );
    path
}

struct Session {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Session {
    fn spawn(binary: &PathBuf, state: &std::path::Path, backpack: Option<SocketAddr>) -> Session {
        Self::spawn_with(
            binary,
            state,
            backpack,
            &[("RUST_LOG", "warn")],
            Stdio::null(),
        )
    }

    /// A session with `env` set and its stderr (the logs) going to `stderr`.
    fn spawn_with(
        binary: &PathBuf,
        state: &std::path::Path,
        backpack: Option<SocketAddr>,
        env: &[(&str, &str)],
        stderr: Stdio,
    ) -> Session {
        let mut command = Command::new(binary);
        command
            .env_remove("BACKPACK_BASE_URL")
            .env_remove("BACKPACK_API_KEY")
            .env_remove("BACKPACK_API_SECRET");
        if let Some(address) = backpack {
            command
                .env("BACKPACK_BASE_URL", format!("http://{address}"))
                .env("BACKPACK_API_SECRET", benches::TEST_SECRET);
        }
        let mut child = command
            .env("TRADING_MCP_JOURNAL", state.join("journal.db"))
            .env("TRADING_MCP_KILL_SWITCH", state.join("KILL"))
            .envs(env.iter().copied())
            .env_remove("IBKR_GATEWAY_HOST")
            .env_remove("IBKR_GATEWAY_PORT")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Session {
            child,
            stdin,
            stdout,
            next_id: 1,
        }
    }

    fn send(&mut self, message: &Value) {
        let mut line = serde_json::to_vec(message).unwrap();
        line.push(b'\n');
        self.stdin.write_all(&line).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends a request and reads lines until its answer; returns the answer's raw line.
    fn request(&mut self, method: &str, params: Value) -> String {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let mut line = String::new();
        loop {
            line.clear();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "the server closed stdout"
            );
            let message: Value = serde_json::from_str(&line).unwrap();
            if message["id"].as_u64() == Some(id) {
                assert!(message.get("error").is_none(), "{line}");
                return line.clone();
            }
        }
    }

    fn initialize(&mut self) -> String {
        let answer = self.request(
            "initialize",
            json!({ "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "bench", "version": "0" } }),
        );
        self.send(&json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }));
        answer
    }

    fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|line| line.starts_with("VmHWM:"))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    }
}

impl Session {
    /// CPU time the server has used so far (user, system), in clock ticks.
    fn cpu_ticks(&self) -> (u64, u64) {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name (which may hold spaces): utime is the 12th, stime
        // the 13th.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let field = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        (field(11), field(12))
    }
}

/// Clock ticks per second of `/proc` CPU times.
fn ticks_per_second() -> f64 {
    let output = Command::new("getconf").arg("CLK_TCK").output();
    output
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(100.0)
}

/// `calls` round trips of `backpack_list_orders` on a fresh session: latency and the
/// server's CPU per call.
fn list_orders(
    binary: &PathBuf,
    state: &std::path::Path,
    backpack: Option<SocketAddr>,
    calls: usize,
) -> Session {
    let mut session = Session::spawn(binary, state, backpack);
    session.initialize();
    let call = json!({ "name": "backpack_list_orders", "arguments": {} });
    // The venue connects in the background; the first calls wait for it and warm up.
    for _ in 0..calls / 10 {
        let answer = session.request("tools/call", call.clone());
        assert!(answer.contains("\"isError\":false"), "{answer}");
    }
    let mut samples = Vec::with_capacity(calls);
    let cpu_before = session.cpu_ticks();
    let started = Instant::now();
    for _ in 0..calls {
        let t = Instant::now();
        session.request("tools/call", call.clone());
        samples.push(u64::try_from(t.elapsed().as_nanos()).unwrap());
    }
    let elapsed = started.elapsed();
    let cpu_after = session.cpu_ticks();
    let per_call = |ticks: u64| ticks as f64 * 1e3 / ticks_per_second() / calls as f64;
    let (user_ms, system_ms) = (
        per_call(cpu_after.0 - cpu_before.0),
        per_call(cpu_after.1 - cpu_before.1),
    );
    samples.sort_unstable();
    println!(
        "{}",
        json!({
            "case": "tools_call_backpack_list_orders",
            "backpack": if backpack.is_some() { "http" } else { "simulator" },
            "calls": calls,
            "p50_us": percentile(&samples, 50.0) as f64 / 1e3,
            "p99_us": percentile(&samples, 99.0) as f64 / 1e3,
            "calls_per_sec": (calls as f64 / elapsed.as_secs_f64()).round(),
            "server_cpu_ms_per_call": user_ms + system_ms,
            "server_user_ms_per_call": user_ms,
            "server_system_ms_per_call": system_ms,
            "total_ms": micros(elapsed) / 1e3
        })
    );
    session
}

/// `tools/call backpack_list_orders` with per-call events (JSON, to a log file) and metrics
/// on, against a server with them off (`TRADING_MCP_OBSERVE=false`), in alternating batches
/// on two live sessions so that the machine's drift falls on both.
fn observe_overhead(
    binary: &PathBuf,
    state: &std::path::Path,
    calls: usize,
    rounds: usize,
    on_env: &[(String, String)],
) {
    let log = std::fs::File::create(state.join("events.log")).unwrap();
    // The same base level as the other session: the JSON format turns the call events on at
    // info, and nothing else changes. `--on-env K=V` adds to (or replaces) it.
    let mut env: Vec<(&str, &str)> = vec![("RUST_LOG", "warn"), ("TRADING_LOG_FORMAT", "json")];
    for (key, value) in on_env {
        env.retain(|(k, _)| k != key);
        env.push((key, value));
    }
    // `--on-env EVENTS_TO=pipe`: stderr read by this process, as a host reads it; else a file.
    let piped = on_env.iter().any(|(k, v)| k == "EVENTS_TO" && v == "pipe");
    let stderr = if piped {
        Stdio::piped()
    } else {
        Stdio::from(log)
    };
    let mut on = Session::spawn_with(binary, state, None, &env, stderr);
    if let Some(mut pipe) = on.child.stderr.take() {
        let mut copy = std::fs::File::create(state.join("events.log")).unwrap();
        std::thread::spawn(move || std::io::copy(&mut pipe, &mut copy));
    }
    let mut off = Session::spawn_with(
        binary,
        state,
        None,
        &[("RUST_LOG", "warn"), ("TRADING_MCP_OBSERVE", "false")],
        Stdio::null(),
    );
    let call = json!({ "name": "backpack_list_orders", "arguments": {} });
    for session in [&mut on, &mut off] {
        session.initialize();
        for _ in 0..calls / 10 {
            let answer = session.request("tools/call", call.clone());
            assert!(answer.contains("\"isError\":false"), "{answer}");
        }
    }
    let (mut with, mut without) = (Vec::new(), Vec::new());
    let (mut cpu_on, mut cpu_off) = (0u64, 0u64);
    let batch = (calls / rounds.max(1)).max(1);
    for round in 0..rounds {
        let mut order = [
            (&mut on, &mut with, &mut cpu_on),
            (&mut off, &mut without, &mut cpu_off),
        ];
        if round % 2 == 1 {
            order.reverse();
        }
        for (session, samples, cpu) in order {
            let before = session.cpu_ticks();
            for _ in 0..batch {
                let t = Instant::now();
                session.request("tools/call", call.clone());
                samples.push(u64::try_from(t.elapsed().as_nanos()).unwrap());
            }
            let after = session.cpu_ticks();
            *cpu += (after.0 + after.1) - (before.0 + before.1);
        }
    }
    // Events wait at most 50 ms in the server before they are written.
    std::thread::sleep(Duration::from_millis(200));
    let per_call_us = |ticks: u64, n: usize| ticks as f64 * 1e6 / ticks_per_second() / n as f64;
    with.sort_unstable();
    without.sort_unstable();
    let (p50_on, p50_off) = (percentile(&with, 50.0), percentile(&without, 50.0));
    let events = std::fs::read_to_string(state.join("events.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"target\":\"trading::call\""))
        .count();
    println!(
        "{}",
        json!({
            "case": "observe_overhead_tools_call",
            "calls_each": with.len(),
            "events_logged": events,
            "p50_on_us": p50_on as f64 / 1e3,
            "p50_off_us": p50_off as f64 / 1e3,
            "p99_on_us": percentile(&with, 99.0) as f64 / 1e3,
            "p99_off_us": percentile(&without, 99.0) as f64 / 1e3,
            "p50_ratio": p50_on as f64 / p50_off as f64,
            "server_cpu_on_us_per_call": per_call_us(cpu_on, with.len()),
            "server_cpu_off_us_per_call": per_call_us(cpu_off, without.len()),
        })
    );
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let calls = arg(&args, "--calls", 2_000);
    let starts = arg(&args, "--starts", 30);
    let binary = server_binary();
    let state = std::env::temp_dir().join(format!("mcp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&state).unwrap();
    if args.iter().any(|a| a == "--observe") {
        let on_env: Vec<(String, String)> = args
            .windows(2)
            .filter(|w| w[0] == "--on-env")
            .filter_map(|w| w[1].split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        observe_overhead(&binary, &state, calls, arg(&args, "--rounds", 20), &on_env);
        let _ = std::fs::remove_dir_all(state);
        return;
    }

    // Cold start: spawn -> initialize result and -> first tools/list result, a fresh process
    // each time (the first one warms the page cache and is not counted).
    let (mut cold, mut listed) = (Vec::new(), Vec::new());
    for i in 0..=starts {
        let started = Instant::now();
        let mut session = Session::spawn(&binary, &state, None);
        session.initialize();
        let initialized = started.elapsed();
        session.request("tools/list", json!({}));
        if i > 0 {
            cold.push(u64::try_from(initialized.as_nanos()).unwrap());
            listed.push(u64::try_from(started.elapsed().as_nanos()).unwrap());
        }
    }
    for (case, samples) in [
        ("cold_start_to_initialize", &mut cold),
        ("cold_start_to_tools_list", &mut listed),
    ] {
        samples.sort_unstable();
        println!(
            "{}",
            json!({ "case": case, "runs": starts, "p50_ms": percentile(samples, 50.0) as f64 / 1e6, "min_ms": samples[0] as f64 / 1e6, "p90_ms": percentile(samples, 90.0) as f64 / 1e6 })
        );
    }

    let mut session = Session::spawn(&binary, &state, None);
    session.initialize();
    let tools = session.request("tools/list", json!({}));
    let listed: Value = serde_json::from_str(&tools).unwrap();
    let result = serde_json::to_string(&listed["result"]).unwrap();
    println!(
        "{}",
        json!({ "case": "tools_list_size", "tools": listed["result"]["tools"].as_array().map_or(0, Vec::len), "result_bytes": result.len(), "kib": result.len() as f64 / 1024.0 })
    );

    drop(session);

    let session = list_orders(&binary, &state, None, calls);
    let orders = bytes::Bytes::from(benches::open_orders_json(20));
    let canned = benches::canned::serve(move |path| match path {
        "/api/v1/time" => bytes::Bytes::from_static(b"1753626206762"),
        _ => orders.clone(),
    });
    let http = list_orders(&binary, &state, Some(canned), calls);
    drop(http);
    println!(
        "{}",
        json!({ "case": "peak_rss", "vm_hwm_kib": session.peak_rss_kib(), "mib": session.peak_rss_kib() as f64 / 1024.0 })
    );
    drop(session);
    let _ = std::fs::remove_dir_all(state);
}
