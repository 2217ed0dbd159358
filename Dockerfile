# syntax=docker/dockerfile:1
# The trading toolkit's binaries in a small image: `trading` (CLI and REST API) and
# `trading-mcp` (MCP server). Built with cargo, run as a non-root user on a slim base.
#
#   docker build -t trading-toolkit .
#   docker run --rm -e TRADING_API_KEY=... -p 127.0.0.1:8787:8787 trading-toolkit
#
# With no keys both venues are simulated. See compose.yaml for paper trading next to an
# IB Gateway container, and .env.example for every variable.

FROM rust:1-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake pkg-config perl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p mcp-tools --bin trading --bin trading-mcp

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --create-home --home-dir /home/trading trading \
 && install -d -m 0700 -o trading -g trading /home/trading/state
COPY --from=build /src/target/release/trading /src/target/release/trading-mcp /usr/local/bin/
USER trading
WORKDIR /home/trading
# The journal and the kill switch live here: mount a volume to keep them.
ENV XDG_STATE_HOME=/home/trading/state
VOLUME ["/home/trading/state"]
# The REST API on the container's interface (it needs TRADING_API_KEY). For MCP over HTTP
# instead: `trading mcp --http 0.0.0.0:8765` with TRADING_MCP_HTTP_TOKEN and
# TRADING_MCP_HTTP_ALLOWED_HOSTS naming the host clients use.
EXPOSE 8787
# No HEALTHCHECK: `trading healthcheck` would open a second gateway session with the same
# IBKR_CLIENT_ID. Probe GET /health with the API key from outside instead.
ENTRYPOINT ["trading"]
CMD ["start-api", "--bind", "0.0.0.0:8787"]
