//! Every gate refuses through the REST API with its documented code, and nothing a client
//! sends — a wrong key, a malformed body, a wrong route — gets a 5xx or a non-JSON answer.

use mcp_tools::Tiers;
use mcp_tools::config::ConfirmPolicy;
use mcp_tools::rest::RestSettings;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Answer, KEY, resting_buy, start, start_with};

async fn previewed(api: &super::Api) -> Value {
    api.ok_post(
        "/backpack/orders/preview",
        "/backpack/orders/preview",
        json!({ "order": resting_buy("1") }),
    )
    .await
}

fn refused(api: &super::Api, answer: &Answer, code: &str, status: u16) {
    assert_eq!(answer.code(), code, "{:?}", answer.body);
    assert_eq!(answer.status.as_u16(), status, "{:?}", answer.body);
    assert_eq!(answer.body["details"]["tool"], "backpack_create_order");
    api.conforms("post", "/backpack/orders", answer);
}

#[tokio::test]
async fn tokens_missing_forged_reused_and_altered_are_refused_with_their_codes() {
    let api = start(|_| {}).await;
    let p = previewed(&api).await;
    let missing = api
        .send(
            "POST",
            "/backpack/orders",
            Some(json!({ "order": p["order"] })),
        )
        .await;
    refused(&api, &missing, "invalid_input", 400);
    assert!(
        missing.body["message"]
            .as_str()
            .unwrap()
            .contains("confirmationToken")
    );
    let forged = api
        .send(
            "POST",
            "/backpack/orders",
            Some(json!({ "order": p["order"], "confirmationToken": "ct_00000000000000000000000000000000" })),
        )
        .await;
    refused(&api, &forged, "token_unknown", 409);

    let mut bigger = p["order"].clone();
    bigger["quantity"] = json!("10");
    let altered = api
        .send(
            "POST",
            "/backpack/orders",
            Some(json!({ "order": bigger, "confirmationToken": p["confirmationToken"] })),
        )
        .await;
    refused(&api, &altered, "token_mismatch", 409);

    let p = previewed(&api).await;
    let body = json!({ "order": p["order"], "confirmationToken": p["confirmationToken"] });
    api.ok_post("/backpack/orders", "/backpack/orders", body.clone())
        .await;
    let reused = api.send("POST", "/backpack/orders", Some(body)).await;
    refused(&api, &reused, "token_unknown", 409);
}

#[tokio::test]
async fn caps_kill_switch_and_the_orders_switch_refuse_with_their_codes() {
    let api = start(|c| c.backpack.caps.max_order_notional = Some(Decimal::from(150))).await;
    let big = api
        .send(
            "POST",
            "/backpack/orders/preview",
            Some(json!({ "order": resting_buy("2") })),
        )
        .await;
    assert_eq!(big.code(), "cap_exceeded", "{:?}", big.body);
    assert_eq!(big.status, StatusCode::FORBIDDEN);
    api.conforms("post", "/backpack/orders/preview", &big);

    let p = previewed(&api).await;
    std::fs::write(api.dir.0.join("KILL"), "").unwrap();
    let killed = api
        .send(
            "POST",
            "/backpack/orders",
            Some(json!({ "order": p["order"], "confirmationToken": p["confirmationToken"] })),
        )
        .await;
    refused(&api, &killed, "kill_switch", 403);

    let off = start(|c| c.orders_enabled = false).await;
    let p = previewed(&off).await;
    let disabled = off
        .send(
            "POST",
            "/backpack/orders",
            Some(json!({ "order": p["order"], "confirmationToken": p["confirmationToken"] })),
        )
        .await;
    refused(&off, &disabled, "orders_disabled", 403);
}

#[tokio::test]
async fn a_tier_that_is_off_and_a_venue_that_asks_the_person_refuse_rest_orders() {
    let read_only = start(|c| c.backpack.tiers = Tiers::READ).await;
    let off = read_only
        .send(
            "POST",
            "/backpack/orders/preview",
            Some(json!({ "order": resting_buy("1") })),
        )
        .await;
    assert_eq!(off.code(), "tool_disabled", "{:?}", off.body);
    read_only.conforms("post", "/backpack/orders/preview", &off);
    read_only
        .ok_get("/backpack/markets", "/backpack/markets")
        .await;

    let asks = start(|c| c.backpack.confirm = ConfirmPolicy::Ask).await;
    let p = previewed(&asks).await;
    let unasked = asks
        .send(
            "POST",
            "/backpack/orders",
            Some(json!({ "order": p["order"], "confirmationToken": p["confirmationToken"] })),
        )
        .await;
    refused(&asks, &unasked, "confirmation_required", 403);
    let journal = asks.state.journal.entries(&Default::default()).unwrap();
    assert!(
        journal.iter().any(|e| e
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("cannot be asked"))),
        "the refusal is journaled"
    );
}

#[tokio::test]
async fn the_api_key_is_required_and_compared_exactly() {
    let api = start(|_| {}).await;
    for key in [
        None,
        Some("wrong-key-wrong-key-wrong"),
        Some(&KEY[..KEY.len() - 1]),
    ] {
        let answer = api
            .raw(|http, url| {
                let request = http.get(format!("{url}/health"));
                match key {
                    Some(key) => request.header("X-API-Key", key),
                    None => request,
                }
            })
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.code(), "unauthorized");
        api.conforms("get", "/health", &answer);
    }
    let document = api
        .raw(|http, url| http.get(format!("{url}/openapi.json")))
        .await;
    assert_eq!(document.status, StatusCode::OK, "the document needs no key");
    assert!(RestSettings::new("short").is_err());
}

#[tokio::test]
async fn malformed_requests_get_their_codes_never_a_5xx() {
    let mut settings = RestSettings::new(KEY).unwrap();
    settings.max_body = 1024;
    let api = start_with(|_| {}, settings).await;
    let post = |body: &'static [u8], kind: &'static str| {
        move |http: &reqwest::Client, url: &str| {
            http.post(format!("{url}/backpack/orders/preview"))
                .header("X-API-Key", KEY)
                .header("Content-Type", kind)
                .body(body)
        }
    };
    let cases: [(Answer, &str); 6] = [
        (
            api.raw(post(b"{not json", "application/json")).await,
            "invalid_input",
        ),
        (
            api.raw(post(b"[1, 2]", "application/json")).await,
            "invalid_input",
        ),
        (
            api.raw(post(b"order=1", "application/x-www-form-urlencoded"))
                .await,
            "unsupported_media_type",
        ),
        (
            api.raw(post(&[b'['; 2000], "application/json")).await,
            "payload_too_large",
        ),
        (
            api.raw(post(b"{\"order\": {}, \"extra\": 1}", "application/json"))
                .await,
            "invalid_input",
        ),
        (
            api.raw(post(b"{\"order\": {\"symbol\": 7}}", "application/json"))
                .await,
            "invalid_input",
        ),
    ];
    for (answer, code) in &cases {
        assert_eq!(answer.code(), *code, "{:?}", answer.body);
        api.conforms("post", "/backpack/orders/preview", answer);
    }
    let wrong_type = api
        .send("GET", "/backpack/orders/history?limit=many", None)
        .await;
    assert_eq!(wrong_type.code(), "invalid_input");
    api.conforms("get", "/backpack/orders/history", &wrong_type);
    let unknown = api.send("GET", "/backpack/markets?colour=red", None).await;
    assert_eq!(unknown.code(), "invalid_input", "{:?}", unknown.body);
    let id = api.send("GET", "/ibkr/orders/abc/status", None).await;
    assert_eq!(id.code(), "invalid_input");
    // IBKR issues positive ids: another is refused at once (a gateway may never answer).
    let negative = api
        .send("POST", "/ibkr/orders/-1/cancel", Some(json!({})))
        .await;
    assert_eq!(negative.code(), "invalid_input", "{:?}", negative.body);
    // An order the venue does not know is not found, not just "rejected".
    let unknown = api
        .send("POST", "/ibkr/orders/999/cancel", Some(json!({})))
        .await;
    assert_eq!(
        (unknown.status.as_u16(), unknown.code()),
        (404, "not_found"),
        "{:?}",
        unknown.body
    );
    api.conforms("post", "/ibkr/orders/{id}/cancel", &unknown);
    let market = api
        .send("GET", "/backpack/markets/NOPE_USDC/ticker", None)
        .await;
    assert_eq!(
        (market.status.as_u16(), market.code()),
        (404, "not_found"),
        "{:?}",
        market.body
    );
    let no_route = api.send("GET", "/nowhere", None).await;
    assert_eq!(
        (no_route.status.as_u16(), no_route.code()),
        (404, "not_found")
    );
    let method = api.send("DELETE", "/backpack/orders", None).await;
    assert_eq!(
        (method.status.as_u16(), method.code()),
        (405, "method_not_allowed")
    );
    let unknown_order = api
        .send("GET", "/backpack/orders/123?symbol=SOL_USDC", None)
        .await;
    assert_eq!(
        unknown_order.code(),
        "not_found",
        "{:?}",
        unknown_order.body
    );
    api.conforms("get", "/backpack/orders/{id}", &unknown_order);

    // A few hundred arbitrary requests: every answer is JSON (checked in `raw`) and none is
    // a 5xx.
    let paths = [
        "/backpack/orders",
        "/ibkr/orders/preview",
        "/ibkr/market-data/quote",
        "/backpack/orders/1/cancel",
        "/health",
        "/x/%ff",
    ];
    let mut seed = 7u64;
    for round in 0..300 {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let path = paths[usize::try_from(seed >> 61).unwrap() % paths.len()];
        let length = usize::try_from((seed >> 20) % 64).unwrap();
        let alphabet = b"{}[]\":,0123456789aeflnrstu -.\\";
        let body: Vec<u8> = (0..length)
            .map(|i| alphabet[(usize::try_from(seed >> (i % 48)).unwrap() + i) % alphabet.len()])
            .collect();
        let answer = api
            .raw(|http, url| {
                let request = if round % 3 == 0 {
                    http.get(format!("{url}{path}"))
                } else {
                    http.post(format!("{url}{path}"))
                };
                request
                    .header("X-API-Key", KEY)
                    .header("Content-Type", "application/json")
                    .body(body)
            })
            .await;
        assert!(
            answer.status.as_u16() < 500,
            "{path}: {} {:?}",
            answer.status,
            answer.body
        );
    }
}
