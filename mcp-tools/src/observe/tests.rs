use super::*;

#[test]
fn arguments_are_summarized_without_tokens_or_secrets_and_bounded() {
    let mut redactor = Redactor::default();
    redactor.add("s3cret-value-123");
    let arguments = serde_json::json!({
        "order": { "symbol": "SOL_USDC", "note": "key s3cret-value-123" },
        "confirmationToken": "ct_abcdef"
    });
    let serde_json::Value::Object(map) = arguments else {
        unreachable!()
    };
    let line = summarize(Some(map), &redactor);
    assert!(
        !line.contains("s3cret-value-123") && !line.contains("ct_abcdef"),
        "{line}"
    );
    assert!(
        line.contains("[hidden]") && line.contains("SOL_USDC"),
        "{line}"
    );
    let long = serde_json::json!({ "text": "é".repeat(600) });
    let serde_json::Value::Object(map) = long else {
        unreachable!()
    };
    let line = summarize(Some(map), &redactor);
    assert!(line.len() <= MAX_ARGUMENTS + "…".len() && line.ends_with('…'));
    assert_eq!(summarize(None, &redactor), "{}");
}

#[test]
fn outcomes_follow_the_error_codes() {
    let ok: Result<CallToolResponse, rmcp::ErrorData> =
        Ok(CallToolResult::structured(serde_json::json!({})).into());
    assert_eq!(CallOutcome::of(&ok), CallOutcome::Ok);
    let coded = |code: ErrorCode| -> Result<CallToolResponse, rmcp::ErrorData> {
        Ok(crate::error::ToolError::new(code, "no").into())
    };
    assert_eq!(
        CallOutcome::of(&coded(ErrorCode::CapExceeded)),
        CallOutcome::Refused(ErrorCode::CapExceeded)
    );
    assert_eq!(
        CallOutcome::of(&coded(ErrorCode::VenueRejected)),
        CallOutcome::VenueError(ErrorCode::VenueRejected)
    );
    assert_eq!(
        CallOutcome::of(&coded(ErrorCode::OutcomeUnknown)).as_str(),
        "outcome_unknown"
    );
    let invalid = Err(rmcp::ErrorData::invalid_params(
        "failed to deserialize",
        None,
    ));
    assert_eq!(
        CallOutcome::of(&invalid),
        CallOutcome::Refused(ErrorCode::InvalidInput)
    );
}

#[tokio::test]
async fn venue_requests_count_against_the_call_that_made_them_only() {
    let metrics = Metrics::new();
    note_venue_request(VenueRequest {
        venue: "backpack",
        endpoint: "outside".into(),
        elapsed_us: 7,
    });
    let mut seen = String::new();
    let response = observed(
        &metrics,
        &Redactor::default(),
        Door::Rest,
        "backpack_get_ticker",
        None,
        async {
            seen = call_id();
            note_venue_request(VenueRequest {
                venue: "backpack",
                endpoint: "GET /api/v1/ticker".into(),
                elapsed_us: 1500,
            });
            Ok(CallToolResult::structured(serde_json::json!({})).into())
        },
    )
    .await;
    assert!(response.is_ok());
    assert!(seen.starts_with('w'), "{seen}");
    assert_ne!(call_id(), seen, "outside a call, a new id");
    let text = metrics.encode().unwrap_or_default();
    assert!(
        text.contains(r#"trading_venue_request_duration_seconds_count{venue="backpack",endpoint="GET /api/v1/ticker"} 1"#),
        "{text}"
    );
    assert!(!text.contains("outside"), "{text}");
    assert!(
        text.contains(
            r#"trading_calls_total{door="rest",tool="backpack_get_ticker",outcome="ok"} 1"#
        ),
        "{text}"
    );
    let activity = metrics.activity();
    assert_eq!((activity.calls, activity.venue_p50_ms), (1, Some(1)));
}
