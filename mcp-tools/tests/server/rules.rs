//! The server's rules through a real MCP client: the confirmation policy, the question,
//! one cap across processes, a journal that fails closed, the switches, and cancels.

use std::sync::{Arc, Mutex};

use mcp_tools::config::ConfirmPolicy;
use rmcp::model::{
    ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult, ElicitationAction,
    Implementation,
};
use rmcp::service::RequestContext;
use rmcp::{ClientHandler, ErrorData, RoleClient};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Harness, TempDir, config, place, preview, resting_buy, start_adjusted, start_with};

fn create(preview: &Value) -> Value {
    json!({ "order": preview["order"], "confirmationToken": preview["confirmationToken"] })
}

fn aapl_limit() -> Value {
    json!({ "contract": { "symbol": "AAPL", "sec_type": "STK" }, "action": "BUY", "quantity": "1", "order_type": "LMT", "limit_price": "150" })
}

#[tokio::test]
async fn the_ask_policy_refuses_a_client_that_cannot_be_asked() {
    let h = start_adjusted(|config| {
        config.backpack.confirm = ConfirmPolicy::Ask;
        config.ibkr.confirm = ConfirmPolicy::Ask;
    })
    .await;
    let p = preview(&h, resting_buy("1")).await;
    let refused = h.refused("backpack_create_order", create(&p)).await;
    assert!(
        refused.contains("TRADING_MCP_BACKPACK_CONFIRM") && refused.contains("Nothing was sent"),
        "{refused}"
    );
    let again = h.refused("backpack_create_order", create(&p)).await;
    assert!(
        again.contains("already used"),
        "the token is spent: {again}"
    );
    let ibkr = h
        .ok("ibkr_preview_order", json!({ "order": aapl_limit() }))
        .await;
    let sent = h.ibkr_orders().await;
    let refused = h
        .refused(
            "ibkr_place_order",
            json!({ "order": aapl_limit(), "confirmationToken": ibkr["confirmationToken"] }),
        )
        .await;
    assert!(refused.contains("TRADING_MCP_IBKR_CONFIRM"), "{refused}");
    assert_eq!(h.backpack_orders().await, 0);
    assert_eq!(h.ibkr_orders().await, sent);
    let reasons: Vec<String> = h
        .journal()
        .iter()
        .filter(|row| row["phase"] == "refusal")
        .map(|row| row["detail"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("cannot be asked")),
        "{reasons:?}"
    );
}

/// A client whose person reads the question (kept) and says yes.
#[derive(Debug, Clone, Default)]
struct Reader {
    questions: Arc<Mutex<Vec<String>>>,
}

impl ClientHandler for Reader {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::builder().enable_elicitation().build(),
            Implementation::new("test-reader", "0"),
        )
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = request {
            self.questions.lock().unwrap().push(message);
        }
        Ok(ElicitResult::new(ElicitationAction::Accept).with_content(json!({ "confirm": true })))
    }
}

#[tokio::test]
async fn the_question_shows_every_field_that_changes_the_order_and_its_exposure() {
    let reader = Reader::default();
    let dir = TempDir::new();
    let config = config(&dir, |_| {});
    let h = start_with(reader.clone(), dir, config).await;
    let order = json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1", "price": "170", "triggerPrice": "175", "triggerQuantity": "2", "timeInForce": "IOC" });
    let p = preview(&h, order).await;
    h.ok("backpack_create_order", create(&p)).await;
    let questions = reader.questions.lock().unwrap().clone();
    let question = &questions[0];
    for field in [
        "triggerPrice: 175",
        "triggerQuantity: 2",
        "timeInForce: IOC",
        "price: 170",
        "It can execute for up to 340 USDC",
    ] {
        assert!(question.contains(field), "{field} missing from: {question}");
    }
}

#[tokio::test]
async fn two_servers_sharing_a_journal_share_its_daily_cap() {
    let dir = TempDir::new();
    let capped = |config: &mut mcp_tools::ServerConfig| {
        config.backpack.caps.max_daily_notional = Some(Decimal::from(300));
    };
    let first: Harness<()> = start_with((), dir.borrowed(), config(&dir, capped)).await;
    let second: Harness<()> = start_with((), dir.borrowed(), config(&dir, capped)).await;
    // Both previews fit on their own; only the first order fits once sent.
    let a = preview(&first, resting_buy("2")).await;
    let b = preview(&second, resting_buy("2")).await;
    first.ok("backpack_create_order", create(&a)).await;
    let refused = second.refused("backpack_create_order", create(&b)).await;
    assert!(
        refused.contains("only 100 of the 24-hour cap of 300 USDC is left"),
        "{refused}"
    );
    assert_eq!(second.backpack_orders().await, 0);
    drop((first, second));
}

#[tokio::test]
async fn a_journal_that_cannot_be_used_stops_trading_but_not_reading_or_cancelling() {
    let h = start_adjusted(|config| {
        let dir = config.journal_path.clone().unwrap();
        let dir = dir.parent().unwrap();
        // A folder where the journal file should be: it cannot be opened.
        let path = dir.join("journal-is-a-folder");
        std::fs::create_dir_all(&path).unwrap();
        config.journal_path = Some(path);
    })
    .await;
    let refused = h
        .refused(
            "backpack_preview_order",
            json!({ "order": resting_buy("1") }),
        )
        .await;
    assert!(
        refused.contains("cannot be opened") && refused.contains("trading is stopped"),
        "{refused}"
    );
    let status = h.ok("status", json!({})).await;
    assert!(status["journalProblem"].is_string(), "{status}");
    h.ok("backpack_get_ticker", json!({ "symbol": "SOL_USDC" }))
        .await;
    h.ok(
        "backpack_cancel_all_orders",
        json!({ "symbol": "SOL_USDC" }),
    )
    .await;
}

#[tokio::test]
async fn orders_enabled_false_stops_orders_not_previews_or_cancels() {
    let h = start_adjusted(|config| config.orders_enabled = false).await;
    let p = preview(&h, resting_buy("1")).await;
    assert!(p["warnings"].to_string().contains("ORDERS_ENABLED=false"));
    let refused = h.refused("backpack_create_order", create(&p)).await;
    assert!(refused.contains("ORDERS_ENABLED=false"), "{refused}");
    let ibkr = h
        .ok("ibkr_preview_order", json!({ "order": aapl_limit() }))
        .await;
    let refused = h
        .refused(
            "ibkr_place_order",
            json!({ "order": aapl_limit(), "confirmationToken": ibkr["confirmationToken"] }),
        )
        .await;
    assert!(refused.contains("ORDERS_ENABLED=false"), "{refused}");
    assert_eq!(h.backpack_orders().await, 0);
    h.ok(
        "backpack_cancel_all_orders",
        json!({ "symbol": "SOL_USDC" }),
    )
    .await;
}

#[tokio::test]
async fn cancels_respect_the_symbol_allow_list() {
    let h = start_adjusted(|config| {
        config.backpack.caps.allowed_symbols = Some(["BTC_USDC".to_owned()].into());
        config.ibkr.caps.allowed_symbols = Some(["MSFT".to_owned()].into());
    })
    .await;
    let refused = h
        .refused(
            "backpack_cancel_all_orders",
            json!({ "symbol": "SOL_USDC" }),
        )
        .await;
    assert!(refused.contains("not in the allowed symbols"), "{refused}");
    let unknown = h
        .refused("ibkr_cancel_order", json!({ "orderIds": [4242] }))
        .await;
    assert!(unknown.contains("symbol is unknown"), "{unknown}");
}

#[tokio::test]
async fn a_placed_order_can_be_cancelled_under_the_kill_switch() {
    let h = start_adjusted(|_| {}).await;
    let placed = place(&h, resting_buy("1")).await;
    std::fs::write(h.dir.0.join("KILL"), "").unwrap();
    let cancelled = h
        .ok(
            "backpack_cancel_order",
            json!({ "symbol": "SOL_USDC", "orderId": placed["order"]["id"] }),
        )
        .await;
    assert_eq!(cancelled["orders"]["count"], 1);
}
