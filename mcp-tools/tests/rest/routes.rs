//! Every route, end to end, each answer checked against the document.

use mcp_tools::rest::routes::ROUTES;
use serde_json::json;

use super::{aapl_limit, resting_buy, start};

#[tokio::test]
async fn every_route_is_documented_and_every_documented_path_is_served() {
    let api = start(|_| {}).await;
    let paths = api.openapi["paths"].as_object().unwrap();
    for route in ROUTES {
        let operation = &paths[route.path][route.method.as_str()];
        assert!(operation.is_object(), "{} is not documented", route.path);
        assert_eq!(operation["operationId"], route.operation_id());
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let kind = &parameter["schema"]["type"];
            assert!(
                kind != "array" && kind != "object",
                "{}: a query string cannot carry {}",
                route.path,
                parameter["name"]
            );
        }
        for status in [
            "200", "400", "401", "403", "404", "409", "413", "415", "500", "502", "503", "504",
        ] {
            assert!(
                operation["responses"][status].is_object(),
                "{} {} does not document {status}",
                route.method.as_str(),
                route.path
            );
        }
    }
    let served = ROUTES.len() + 1; // and /openapi.json
    let documented: usize = paths
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(documented, served);
    assert_eq!(api.openapi["openapi"], "3.1.0");
    assert_eq!(
        api.openapi["components"]["securitySchemes"]["apiKey"]["name"],
        "X-API-Key"
    );
    // Every schema of the document compiles.
    let resolved = super::resolve(&api.openapi, &api.openapi["paths"]);
    for item in resolved.as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            for response in operation["responses"].as_object().unwrap().values() {
                let schema = &response["content"]["application/json"]["schema"];
                jsonschema::validator_for(schema).unwrap();
            }
        }
    }
}

#[tokio::test]
async fn every_ibkr_route_answers_as_documented() {
    let api = start(|_| {}).await;
    let health = api.ok_get("/health", "/health").await;
    assert_eq!(health["venues"][0]["mode"], "simulated");

    let quote = api
        .ok_post(
            "/ibkr/market-data/quote",
            "/ibkr/market-data/quote",
            json!({ "contracts": [{ "symbol": "AAPL", "sec_type": "STK" }] }),
        )
        .await;
    assert!(quote["items"][0]["quote"]["bid"].is_string(), "{quote}");
    let bars = api
        .ok_post(
            "/ibkr/market-data/historical",
            "/ibkr/market-data/historical",
            json!({ "contract": { "symbol": "AAPL", "sec_type": "STK" }, "bars": { "bar_size": "5 mins", "duration": "1 D" } }),
        )
        .await;
    assert!(bars["bars"]["count"].as_u64().unwrap() > 0);

    let preview = api
        .ok_post(
            "/ibkr/orders/preview",
            "/ibkr/orders/preview",
            json!({ "order": aapl_limit("2") }),
        )
        .await;
    let placed = api
        .ok_post(
            "/ibkr/orders",
            "/ibkr/orders",
            json!({ "order": aapl_limit("2"), "confirmationToken": preview["confirmationToken"] }),
        )
        .await;
    let id = placed["orders"][0]["order_id"].as_i64().unwrap();
    let status = api
        .ok_get(
            &format!("/ibkr/orders/{id}/status"),
            "/ibkr/orders/{id}/status",
        )
        .await;
    assert_eq!(status["items"][0]["orderId"], id, "{status}");
    let working = api.ok_get("/ibkr/orders", "/ibkr/orders").await;
    assert_eq!(working["count"], 1, "{working}");
    let summary = api
        .ok_get("/ibkr/account/summary", "/ibkr/account/summary")
        .await;
    assert!(summary.is_object(), "{summary}");
    api.ok_get("/ibkr/account/positions", "/ibkr/account/positions")
        .await;
    api.ok_get("/ibkr/account/pnl", "/ibkr/account/pnl").await;
    let cancelled = api
        .ok_post(
            &format!("/ibkr/orders/{id}/cancel"),
            "/ibkr/orders/{id}/cancel",
            json!({}),
        )
        .await;
    assert!(cancelled["correlationId"].is_string(), "{cancelled}");
}

#[tokio::test]
async fn every_backpack_route_answers_as_documented() {
    let api = start(|_| {}).await;
    let markets = api
        .ok_get("/backpack/markets?marketType=SPOT", "/backpack/markets")
        .await;
    assert!(markets["count"].as_u64().unwrap() > 0, "{markets}");
    let ticker = api
        .ok_get(
            "/backpack/markets/SOL_USDC/ticker",
            "/backpack/markets/{symbol}/ticker",
        )
        .await;
    assert_eq!(ticker["symbol"], "SOL_USDC");
    let depth = api
        .ok_get(
            "/backpack/markets/SOL_USDC/depth?levels=3",
            "/backpack/markets/{symbol}/depth",
        )
        .await;
    assert_eq!(depth["bids"].as_array().unwrap().len(), 3, "{depth}");

    let preview = api
        .ok_post(
            "/backpack/orders/preview",
            "/backpack/orders/preview",
            json!({ "order": resting_buy("1") }),
        )
        .await;
    let placed = api
        .ok_post(
            "/backpack/orders",
            "/backpack/orders",
            json!({ "order": preview["order"], "confirmationToken": preview["confirmationToken"] }),
        )
        .await;
    let id = placed["order"]["id"].as_str().unwrap().to_owned();
    let open = api
        .ok_get("/backpack/orders?symbol=SOL_USDC", "/backpack/orders")
        .await;
    assert_eq!(open["count"], 1, "{open}");
    let found = api
        .ok_get(
            &format!("/backpack/orders/{id}?symbol=SOL_USDC"),
            "/backpack/orders/{id}",
        )
        .await;
    assert_eq!(found["open"]["id"], id.as_str(), "{found}");
    api.ok_get(
        "/backpack/orders/history?symbol=SOL_USDC&limit=5",
        "/backpack/orders/history",
    )
    .await;
    api.ok_get("/backpack/fills?limit=5", "/backpack/fills")
        .await;
    api.ok_get(
        "/backpack/account/balances?showZeroBalances=true",
        "/backpack/account/balances",
    )
    .await;
    api.ok_get("/backpack/account/positions", "/backpack/account/positions")
        .await;
    let cancelled = api
        .ok_post(
            &format!("/backpack/orders/{id}/cancel"),
            "/backpack/orders/{id}/cancel",
            json!({ "symbol": "SOL_USDC" }),
        )
        .await;
    assert_eq!(
        cancelled["orders"]["items"][0]["status"], "Cancelled",
        "{cancelled}"
    );
    let all = api
        .ok_post(
            "/backpack/orders/cancel-all",
            "/backpack/orders/cancel-all",
            json!({ "symbol": "SOL_USDC" }),
        )
        .await;
    assert!(all["correlationId"].is_string(), "{all}");
}
