//! Asking the person: a yes places the order; a no, a failure to ask, or a forged answer
//! refuse it (fail closed); on protocol 2026-07-28 the question travels as input_required.

use rmcp::model::{
    ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult, ElicitationAction,
    Implementation, ProtocolVersion,
};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RequestContext};
use rmcp::{ClientHandler, ErrorData, RoleClient};
use serde_json::json;

use super::{Harness, TempDir, config, preview, resting_buy, start_confirming, start_with};

/// A client whose person answers with `answer` (or whose asking fails).
#[derive(Debug, Clone)]
struct Person {
    answer: Option<ElicitationAction>,
}

impl ClientHandler for Person {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::builder().enable_elicitation().build(),
            Implementation::new("test-person", "0"),
        )
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let ElicitRequestParams::FormElicitationParams { message, .. } = request else {
            return Err(ErrorData::internal_error("expected a form", None));
        };
        assert!(message.contains("Send this order?"), "{message}");
        match &self.answer {
            Some(ElicitationAction::Accept) => Ok(ElicitResult::new(ElicitationAction::Accept)
                .with_content(json!({ "confirm": true }))),
            Some(action) => Ok(ElicitResult::new(action.clone())),
            None => Err(ErrorData::internal_error("the dialog crashed", None)),
        }
    }
}

async fn person(answer: Option<ElicitationAction>) -> Harness<Person> {
    let dir = TempDir::new();
    let config = config(&dir, |_| {});
    start_with(Person { answer }, dir, config).await
}

fn create(preview: &serde_json::Value) -> serde_json::Value {
    json!({ "order": preview["order"], "confirmationToken": preview["confirmationToken"] })
}

#[tokio::test]
async fn a_yes_places_the_order() {
    let h = start_confirming().await;
    let p = preview(&h, resting_buy("1")).await;
    let placed = h.ok("backpack_create_order", create(&p)).await;
    assert_eq!(placed["order"]["status"], "New");
}

#[tokio::test]
async fn a_no_or_a_cancel_refuses_and_spends_the_token() {
    for answer in [ElicitationAction::Decline, ElicitationAction::Cancel] {
        let h = person(Some(answer)).await;
        let p = preview(&h, resting_buy("1")).await;
        let refused = h.refused("backpack_create_order", create(&p)).await;
        assert!(
            refused.contains("did not confirm") && refused.contains("nothing was sent"),
            "{refused}"
        );
        assert_eq!(h.backpack_orders().await, 0);
        let again = h.refused("backpack_create_order", create(&p)).await;
        assert!(again.contains("already used"), "{again}");
    }
}

#[tokio::test]
async fn failing_to_ask_refuses_the_order() {
    let h = person(None).await;
    let p = preview(&h, resting_buy("1")).await;
    let refused = h.refused("backpack_create_order", create(&p)).await;
    assert!(
        refused.contains("could not be asked") && refused.contains("NOT sent"),
        "{refused}"
    );
    assert_eq!(h.backpack_orders().await, 0);
    let order = json!({ "contract": { "symbol": "AAPL", "sec_type": "STK" }, "action": "BUY", "quantity": "1", "order_type": "LMT", "limit_price": "150" });
    let preview = h.ok("ibkr_preview_order", json!({ "order": order })).await;
    let sent = h.ibkr_orders().await;
    let refused = h
        .refused(
            "ibkr_place_order",
            json!({ "order": order, "confirmationToken": preview["confirmationToken"] }),
        )
        .await;
    assert!(refused.contains("could not be asked"), "{refused}");
    assert_eq!(h.ibkr_orders().await, sent);
}

#[tokio::test]
async fn on_2026_07_28_the_question_is_an_input_required_round() {
    for (answer, placed) in [
        (ElicitationAction::Accept, true),
        (ElicitationAction::Decline, false),
    ] {
        let dir = TempDir::new();
        let state = mcp_tools::AppState::new(
            config(&dir, |_| {}),
            mcp_tools::safety::redact::Redactor::default(),
        );
        let server = mcp_tools::TradingServer::new(std::sync::Arc::clone(&state));
        let (server_io, client_io) = tokio::io::duplex(1 << 20);
        let serving = tokio::spawn(async move {
            if let Ok(running) = rmcp::ServiceExt::serve(server, server_io).await {
                let _ = running.waiting().await;
            }
        });
        let client = Person {
            answer: Some(answer),
        }
        .serve_with_lifecycle(
            client_io,
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        )
        .await
        .unwrap();
        let call = |name: &str, args: serde_json::Value| {
            let request = rmcp::model::CallToolRequestParams::new(name.to_owned())
                .with_arguments(args.as_object().unwrap().clone());
            client.call_tool(request)
        };
        let preview = call(
            "backpack_preview_order",
            json!({ "order": resting_buy("1") }),
        )
        .await
        .unwrap();
        let preview = preview.structured_content.unwrap();
        let result = call("backpack_create_order", create(&preview))
            .await
            .unwrap();
        assert_eq!(
            result.is_error != Some(true),
            placed,
            "{:?}",
            result.content
        );
        let venue = state.backpack().await.unwrap();
        let fake = venue.simulator().unwrap();
        let orders = fake.open_orders(fake.account()).len();
        assert_eq!(orders, usize::from(placed));
        serving.abort();
    }
}
