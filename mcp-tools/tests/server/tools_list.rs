//! The tool list: a snapshot, its size, schemas every client reads, honest annotations,
//! tiers that are off not registered.

use mcp_tools::Tiers;
use mcp_tools::schema::portability_problems;
use serde_json::{Value, json};

use super::{start, start_adjusted};

const WRITE_TOOLS: &[&str] = &[
    "backpack_create_order",
    "backpack_cancel_order",
    "backpack_cancel_all_orders",
    "ibkr_place_order",
    "ibkr_cancel_order",
];

#[tokio::test]
async fn the_tool_list_is_pinned_small_and_portable() {
    let h = start().await;
    let tools = h.client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), 23);
    let listed = serde_json::to_value(&tools).unwrap();
    insta::assert_json_snapshot!("tools_list", listed);

    let wire = serde_json::to_string(&json!({ "tools": listed })).unwrap();
    // Under 24 KB however a kilobyte is counted.
    assert!(wire.len() < 24_000, "tools/list is {} bytes", wire.len());

    for tool in &tools {
        let name = tool.name.as_ref();
        let input = Value::Object(tool.input_schema.as_ref().clone());
        assert_eq!(input["type"], "object", "{name}");
        assert!(
            portability_problems(&input).is_empty(),
            "{name}: {:?}",
            portability_problems(&input)
        );
        let output = Value::Object(
            tool.output_schema
                .as_ref()
                .unwrap_or_else(|| panic!("{name} has no output schema"))
                .as_ref()
                .clone(),
        );
        assert!(
            portability_problems(&output).is_empty(),
            "{name}: {:?}",
            portability_problems(&output)
        );
        let description = tool.description.as_deref().unwrap_or_default();
        assert!(
            !description.is_empty() && description.len() <= 220,
            "{name}: {description}"
        );
        let hints = tool
            .annotations
            .as_ref()
            .unwrap_or_else(|| panic!("{name} has no annotations"));
        let writes = WRITE_TOOLS.contains(&name);
        assert_eq!(hints.read_only_hint, Some(!writes), "{name}");
        if writes {
            let cancel = name.contains("cancel");
            assert_eq!(hints.destructive_hint, Some(!cancel), "{name}");
            assert_eq!(hints.idempotent_hint, Some(cancel), "{name}");
        }
    }
    // Inputs are closed: a typo is an error, not an ignored field.
    let create = tools
        .iter()
        .find(|t| t.name == "backpack_preview_order")
        .unwrap();
    assert_eq!(
        create.input_schema["properties"]["order"]["additionalProperties"],
        false
    );
    // Enums are inline string enums.
    assert_eq!(
        create.input_schema["properties"]["order"]["properties"]["side"]["enum"],
        json!(["Bid", "Ask"])
    );
}

#[tokio::test]
async fn tiers_that_are_off_are_not_registered() {
    let h = start_adjusted(|config| {
        config.backpack.tiers = Tiers {
            market: true,
            account: false,
            trading: false,
        };
        config.ibkr.tiers = Tiers::default();
    })
    .await;
    let names: Vec<String> = h
        .client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "backpack_get_depth",
            "backpack_get_markets",
            "backpack_get_ticker",
            "status",
            "watch"
        ]
    );
    let mut request = rmcp::model::CallToolRequestParams::new("backpack_create_order");
    request = request.with_arguments(
        json!({ "order": {}, "confirmationToken": "x" })
            .as_object()
            .unwrap()
            .clone(),
    );
    let error = h.client.call_tool(request).await.unwrap_err();
    assert!(error.to_string().contains("tool not found"), "{error}");

    let mut narrowed = mcp_tools::ServerConfig::simulated(std::path::Path::new("/tmp"));
    narrowed.restrict_tools("ibkr,market").unwrap();
    assert!(!narrowed.backpack.tiers.any());
    assert_eq!(
        narrowed.ibkr.tiers,
        Tiers {
            market: true,
            account: false,
            trading: false
        }
    );
}

#[tokio::test]
async fn the_assistant_prompt_states_the_rules() {
    let h = start().await;
    let prompts = h.client.list_all_prompts().await.unwrap();
    assert_eq!(prompts.len(), 1);
    assert_eq!(prompts[0].name, "trading-assistant");
    let prompt = h
        .client
        .get_prompt(rmcp::model::GetPromptRequestParams::new(
            "trading-assistant",
        ))
        .await
        .unwrap();
    let text = serde_json::to_string(&prompt.messages).unwrap();
    for rule in [
        "preview",
        "explicitly says yes",
        "ask; do not guess",
        "outcome is unknown",
    ] {
        assert!(text.contains(rule), "missing `{rule}`");
    }
    let info = h.client.peer_info().unwrap();
    assert!(
        info.instructions
            .as_deref()
            .unwrap_or_default()
            .contains("status")
    );
}
