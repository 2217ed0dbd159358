#!/usr/bin/env bash
# Builds a journal from a short session on the simulators (through the REST API), replays it,
# writes its HTML report with a metrics scrape, and renders the page in headless Chromium
# (Debian's `chromium`) to a PNG, to look at it the way a person would.
#
#   bash examples/scripts/journal-report.sh [OUT_DIR]     # default: target/journal-report
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/target/journal-report}"
mkdir -p "$out"
state="$(mktemp -d)"; chmod 700 "$state"
trap 'kill "$api" 2>/dev/null || true; rm -rf "$state"' EXIT
cargo build -q --manifest-path "$root/Cargo.toml" -p mcp-tools --bin trading
trading="$root/target/debug/trading"
export XDG_STATE_HOME="$state" TRADING_API_KEY="report-example-key-0123456789"
export TRADING_MCP_BACKPACK_MAX_ORDER_NOTIONAL=20000 TRADING_MCP_BACKPACK_MAX_DAILY_NOTIONAL=60000
export TRADING_MCP_IBKR_MAX_DAILY_NOTIONAL=20000
"$trading" start-api --bind 127.0.0.1:0 > "$state/ready" 2> "$state/api.log" &
api=$!
for _ in $(seq 100); do [ -s "$state/ready" ] && break; sleep 0.1; done
url="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$state/ready")"
call() { curl -s -H "X-API-Key: $TRADING_API_KEY" -H 'content-type: application/json' "$@"; }
place() { # venue, preview body
  local preview token order
  preview="$(call -X POST "$url/$1/orders/preview" -d "$2")"
  token="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("confirmationToken",""))' "$preview")"
  body="$(python3 -c 'import json,sys; p=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); b["confirmationToken"]=sys.argv[3]; print(json.dumps(b))' "$preview" "$2" "$3$token")"
  if [ "$1" = backpack ]; then
    body="$(python3 -c 'import json,sys; p=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); b["order"]=p.get("order",b["order"]); print(json.dumps(b))' "$preview" "$body")"
  fi
  call -X POST "$url/$1/orders" -d "$body" > /dev/null
}
for i in 1 2 3; do call "$url/backpack/markets/SOL_USDC/ticker" > /dev/null; done
place backpack '{"order":{"symbol":"SOL_USDC","side":"Bid","orderType":"Limit","quantity":"5","price":"150"}}' ""
place backpack '{"order":{"symbol":"SOL_USDC","side":"Bid","orderType":"Market","quantity":"20"}}' ""
sleep 1
place backpack '{"order":{"symbol":"SOL_USDC","side":"Ask","orderType":"Limit","quantity":"10","price":"170"}}' ""
place backpack '{"order":{"symbol":"SOL_USDC","side":"Bid","orderType":"Market","quantity":"50"}}' "forged-"
place backpack '{"order":{"symbol":"SOL_USDC","side":"Bid","orderType":"Market","quantity":"500"}}' ""
sleep 1
place backpack '{"order":{"symbol":"SOL_USDC","side":"Bid","orderType":"Market","quantity":"60"}}' ""
place backpack '{"order":{"symbol":"SOL_USDC","side":"Bid","orderType":"Market","quantity":"100"}}' ""
place ibkr '{"order":{"contract":{"symbol":"AAPL","sec_type":"STK"},"action":"BUY","quantity":"10","order_type":"LMT","limit_price":"150"}}' ""
sleep 2
place ibkr '{"order":{"contract":{"symbol":"AAPL","sec_type":"STK"},"action":"BUY","quantity":"20","order_type":"MKT"}}' ""
call "$url/ibkr/market-data/quote" -X POST -d '{"contracts":[{"symbol":"AAPL","sec_type":"STK"}]}' > /dev/null
call "$url/metrics" > "$out/metrics.txt"
kill "$api"; wait "$api" 2>/dev/null || true
"$trading" journal replay | tee "$out/replay.txt" || true
"$trading" journal report --metrics "$out/metrics.txt" --out "$out/report.html"
if grep -Eq '(src|href)=|url\(|@import' "$out/report.html"; then
  echo "the report refers to something outside itself" >&2; exit 1
fi
if ! command -v chromium > /dev/null; then
  echo "report: $out/report.html (install Debian's chromium to render it to a PNG)" >&2; exit 1
fi
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=960,1700 \
  --screenshot="$out/report.png" "file://$out/report.html" 2>/dev/null
echo "screenshot: $out/report.png"
