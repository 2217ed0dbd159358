//! The OpenAPI 3.1 document, generated from the route table and the tools' own schemas
//! (which schemars derives from the SDK types): nothing in it is written by hand but the
//! words.

use serde_json::{Map, Value, json};

use super::API_KEY_HEADER;
use super::routes::{Method, ROUTES, Route, Segment};
use crate::error::ErrorCode;

/// The tools' schemas by name: (input, output).
pub type Schemas = std::collections::HashMap<String, (Map<String, Value>, Option<Value>)>;

/// Every tool's input and output schema, from the full catalogue.
pub fn schemas() -> Schemas {
    crate::server::TradingServer::catalogue()
        .into_iter()
        .map(|tool| {
            let input = without_dialect(tool.input_schema.as_ref().clone());
            let output = tool
                .output_schema
                .map(|schema| Value::Object(without_dialect(schema.as_ref().clone())));
            (tool.name.to_string(), (input, output))
        })
        .collect()
}

/// The `$schema` key is the document's (`jsonSchemaDialect`), not each schema's.
fn without_dialect(mut schema: Map<String, Value>) -> Map<String, Value> {
    schema.remove("$schema");
    schema
}

const DESCRIPTION: &str = "The trading toolkit's REST API: the same tools, rules and journal as the MCP server \
(`trading-mcp`), for programs. Safe by default: with no keys both venues are simulated; IBKR is paper unless \
configured live; every order is previewed first and placed with the preview's single-use `confirmationToken`, \
then checked against the caps, the kill switch and the journal. A venue whose confirmation policy is `ask` \
(the default on paper and live venues) refuses orders from this API (`confirmation_required`): set \
`TRADING_MCP_<VENUE>_CONFIRM=token` to let the token confirm.\n\nEvery error is \
`{\"error_code\", \"message\", \"details\"}`; `error_code` is stable (see the `ErrorCode` schema). For an order \
that answers `outcome_unknown` or `timeout`, look the order up before sending anything again.";

/// The error codes with what each means, for the `ErrorCode` schema's description.
fn codes_table() -> String {
    let mut lines = vec![
        "| error_code | HTTP | meaning |".to_owned(),
        "|---|---|---|".to_owned(),
    ];
    for code in ErrorCode::ALL {
        lines.push(format!(
            "| `{}` | {} | {} |",
            code.as_str(),
            code.http_status(),
            code.meaning()
        ));
    }
    lines.join("\n")
}

/// The HTTP statuses errors can have, each a shared response.
fn error_statuses() -> Vec<u16> {
    let mut statuses: Vec<u16> = ErrorCode::ALL.iter().map(|c| c.http_status()).collect();
    statuses.sort_unstable();
    statuses.dedup();
    statuses
}

fn status_text(status: u16) -> &'static str {
    axum::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

/// The schema of `route`'s path parameter.
fn path_parameter(route: &Route, input: &Map<String, Value>) -> Option<Value> {
    let param = route.param?;
    let schema = match param.shape {
        Segment::Text => input
            .get("properties")
            .and_then(|p| p.get(param.field))
            .cloned()
            .unwrap_or_else(|| json!({ "type": "string" })),
        Segment::IdList => json!({ "type": "integer", "minimum": 1 }),
    };
    Some(json!({
        "name": param.name,
        "in": "path",
        "required": true,
        "schema": schema,
        "description": format!("The tool's `{}`.", param.field),
    }))
}

/// The input schema without the path parameter's field.
fn body_schema(route: &Route, input: &Map<String, Value>) -> Map<String, Value> {
    let mut schema = input.clone();
    if let Some(param) = route.param {
        if let Some(Value::Object(properties)) = schema.get_mut("properties") {
            properties.remove(param.field);
        }
        if let Some(Value::Array(required)) = schema.get_mut("required") {
            required.retain(|name| name != param.field);
        }
    }
    schema
}

fn operation(route: &Route, schemas: &Schemas) -> Value {
    let (input, output) = schemas
        .get(route.tool)
        .cloned()
        .unwrap_or_else(|| (Map::new(), None));
    let mut parameters: Vec<Value> = path_parameter(route, &input).into_iter().collect();
    let body = body_schema(route, &input);
    let required: Vec<&str> = body
        .get("required")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut operation = json!({
        "operationId": route.operation_id(),
        "summary": route.summary,
        "description": format!("Calls the MCP tool `{}`{}.", route.tool,
            route.project.map(|field| format!(" and returns its `{field}`")).unwrap_or_default()),
        "tags": [route.path.split('/').nth(1).unwrap_or("server")],
    });
    match route.method {
        Method::Get => {
            if let Some(Value::Object(properties)) = body.get("properties") {
                // A query string carries scalars; a list or an object stays out of it (the
                // route refuses it there, so the document does not offer it).
                let scalar = |schema: &Value| {
                    !matches!(
                        schema.get("type").and_then(Value::as_str),
                        Some("array" | "object")
                    )
                };
                for (name, schema) in properties.iter().filter(|(_, schema)| scalar(schema)) {
                    parameters.push(json!({
                        "name": name,
                        "in": "query",
                        "required": required.contains(&name.as_str()),
                        "schema": schema,
                    }));
                }
            }
        }
        Method::Post => {
            operation["requestBody"] = json!({
                "required": !required.is_empty(),
                "content": { "application/json": { "schema": body } },
            });
        }
    }
    if !parameters.is_empty() {
        operation["parameters"] = Value::Array(parameters);
    }
    let answer = match (output, route.project) {
        (Some(schema), Some(field)) => schema
            .get("properties")
            .and_then(|p| p.get(field))
            .cloned()
            .unwrap_or_else(|| json!({})),
        (Some(schema), None) => schema,
        (None, _) => json!({}),
    };
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({ "description": "The tool's answer.", "content": { "application/json": { "schema": answer } } }),
    );
    for status in error_statuses() {
        responses.insert(
            status.to_string(),
            json!({ "$ref": format!("#/components/responses/Error{status}") }),
        );
    }
    operation["responses"] = Value::Object(responses);
    operation
}

/// The whole document, for a server at `base_url`.
pub fn document(base_url: &str, schemas: &Schemas) -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let item = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        item[route.method.as_str()] = operation(route, schemas);
    }
    paths.insert(
        "/openapi.json".into(),
        json!({ "get": {
            "operationId": "get_openapi",
            "summary": "This document (no API key needed).",
            "tags": ["server"],
            "security": [],
            "responses": { "200": { "description": "The OpenAPI document.",
                "content": { "application/json": { "schema": { "type": "object" } } } } }
        }}),
    );
    let mut responses = Map::new();
    for status in error_statuses() {
        let codes: Vec<&str> = ErrorCode::ALL
            .iter()
            .filter(|c| c.http_status() == status)
            .map(|c| c.as_str())
            .collect();
        responses.insert(
            format!("Error{status}"),
            json!({
                "description": format!("{}: {}", status_text(status), codes.join(", ")),
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
            }),
        );
    }
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Trading toolkit REST API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": DESCRIPTION,
            "license": { "name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0" },
        },
        "servers": [{ "url": base_url }],
        "security": [{ "apiKey": [] }],
        "tags": [
            { "name": "server", "description": "Health and this document." },
            { "name": "ibkr", "description": "Interactive Brokers (TWS / IB Gateway, or the simulator)." },
            { "name": "backpack", "description": "Backpack Exchange (or the simulator)." },
        ],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "apiKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": API_KEY_HEADER,
                    "description": "The value of TRADING_API_KEY (at least 16 characters).",
                }
            },
            "schemas": {
                "ErrorCode": {
                    "type": "string",
                    "enum": codes,
                    "description": codes_table(),
                },
                "Error": {
                    "type": "object",
                    "required": ["error_code", "message", "details"],
                    "additionalProperties": false,
                    "properties": {
                        "error_code": { "$ref": "#/components/schemas/ErrorCode" },
                        "message": { "type": "string", "description": "What happened, and whether anything was sent." },
                        "details": { "type": "object", "description": "The tool called (`tool`), when there is one." },
                    }
                }
            },
            "responses": responses,
        }
    })
}
